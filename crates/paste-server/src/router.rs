//! The route table: the whole attack surface in one place.

use axum::Router;
use axum::routing::{get, post};

use crate::handlers::{admin, create, delete, info, mine, ops, pki, read, register, short, update};
use crate::openapi::openapi_json;
use crate::state::AppState;

/// Every route, under the configured URL prefix.
pub fn router(state: AppState) -> Router {
    let p = state.config.url_prefix.clone();
    let root = if p.is_empty() {
        "/".to_owned()
    } else {
        p.clone()
    };
    let mut routes = Router::new()
        .route(&root, get(info::info).post(create::create))
        .route(&format!("{p}/openapi.json"), get(openapi_json))
        .route(&format!("{p}/health"), get(ops::health))
        .route(&format!("{p}/challenge"), get(ops::challenge))
        .route(&format!("{p}/metrics"), get(ops::metrics))
        .route(&format!("{p}/client"), get(ops::client))
        .route(&format!("{p}/client/fpaste.sh"), get(ops::client_script))
        .route(&format!("{p}/admin/stats"), get(admin::stats))
        .route(&format!("{p}/admin/cleanup"), post(admin::cleanup))
        .route(&format!("{p}/admin/pastes"), get(admin::list))
        .route(&format!("{p}/admin/quota"), get(admin::quota))
        .route(&format!("{p}/pastes"), get(mine::list))
        // The built-in PKI: 404 `pki_disabled` unless FLASKPASTE_PKI_ENABLED (status says so).
        .route(&format!("{p}/pki/status"), get(pki::status))
        .route(&format!("{p}/pki/ca"), post(pki::create_ca))
        .route(&format!("{p}/pki/ca.crt"), get(pki::ca_cert))
        .route(&format!("{p}/pki/crl"), get(pki::crl))
        .route(&format!("{p}/pki/issue"), post(pki::issue))
        .route(&format!("{p}/pki/revoke"), post(pki::revoke))
        .route(&format!("{p}/register/challenge"), get(register::challenge))
        .route(&format!("{p}/register"), post(register::register))
        .route(&format!("{p}/csr"), post(register::csr))
        .route(&format!("{p}/s"), get(short::list).post(short::create))
        .route(
            &format!("{p}/s/{{id}}"),
            get(short::redirect).delete(short::delete),
        )
        .route(
            &format!("{p}/{{id}}"),
            get(read::meta).put(update::update).delete(delete::delete),
        )
        .route(&format!("{p}/{{id}}/raw"), get(read::raw));
    if !p.is_empty() {
        // Under a prefix, `/paste` and `/paste/` are both the API root.
        routes = routes.route(&format!("{p}/"), get(info::info).post(create::create));
    }
    routes.with_state(state)
}
