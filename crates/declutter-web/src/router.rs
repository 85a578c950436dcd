//! The route table: the whole attack surface in one place. Every route names its access
//! level here and passes [`enforce`]; a route missing from this table does not exist (deny
//! unless allowed), and [`table`] lets the tests try every route as the wrong caller.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, delete, get, post};
use http::Method;

use crate::assets;
use crate::auth::access::{Access, enforce};
use crate::handlers::{
    account, admin, api, auth, connections, dupes, files, jobs, oidc, openapi, ops, plan_edit,
    plans, report, scans, sources, trash, usage,
};
use crate::state::AppState;

/// One row of the table.
struct Route {
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
}

fn r(method: Method, path: &'static str, access: Access, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

fn routes() -> Vec<Route> {
    use Access::{Admin, Public, Session, User};
    use Method as M;
    vec![
        r(M::GET, "/", Public, get(ops::root)),
        r(M::GET, "/healthz", Public, get(ops::healthz)),
        r(M::GET, "/readyz", Public, get(ops::readyz)),
        r(M::GET, "/static/{file}", Public, get(assets::serve)),
        r(M::GET, "/login", Public, get(auth::login_page)),
        r(M::POST, "/login", Public, post(auth::login)),
        r(M::GET, "/signup", Public, get(auth::signup_page)),
        r(M::POST, "/signup", Public, post(auth::signup)),
        r(M::GET, "/auth/{provider}/start", Public, get(oidc::start)),
        r(
            M::GET,
            "/auth/{provider}/callback",
            Public,
            get(oidc::callback),
        ),
        r(M::POST, "/logout", User, post(auth::logout)),
        r(M::GET, "/dashboard", User, get(account::dashboard)),
        r(M::GET, "/account", User, get(account::page)),
        r(
            M::POST,
            "/account/password",
            User,
            post(account::change_password),
        ),
        r(M::GET, "/account/export", User, get(account::export)),
        r(M::POST, "/account/delete", User, post(account::delete)),
        r(M::GET, "/audit", User, get(admin::own_audit)),
        r(M::GET, "/admin/users", Admin, get(admin::users)),
        r(
            M::POST,
            "/admin/users/{id}/role",
            Admin,
            post(admin::set_role),
        ),
        r(
            M::POST,
            "/admin/users/{id}/delete",
            Admin,
            post(admin::delete_user),
        ),
        r(M::GET, "/admin/audit", Admin, get(admin::audit)),
        // A session only: a bearer token cannot mint its own successor.
        r(M::POST, "/api/tokens", Session, post(api::issue_token)),
        r(M::GET, "/api/me", User, get(api::me)),
        // Cloud drive connect flow (OAuth code + PKCE, state bound to the session).
        r(
            M::POST,
            "/connections/{provider}/connect",
            User,
            post(connections::connect),
        ),
        r(
            M::GET,
            "/connections/{provider}/callback",
            User,
            get(connections::callback),
        ),
        r(
            M::POST,
            "/drives/{id}/disconnect",
            User,
            post(connections::disconnect_form),
        ),
        r(M::GET, "/api/connections", User, get(api::connections)),
        r(
            M::DELETE,
            "/api/connections/{id}",
            User,
            delete(api::disconnect),
        ),
        r(M::GET, "/api/audit", User, get(api::audit_entries)),
        r(M::GET, "/api/admin/users", Admin, get(api::admin_users)),
        // Local sources, scans, duplicates, plans, trash, report: pages, then the same as JSON.
        r(M::GET, "/admin/sources", Admin, get(sources::admin_page)),
        r(M::POST, "/admin/sources", Admin, post(sources::admin_add)),
        r(M::GET, "/sources", User, get(sources::page_)),
        r(M::POST, "/sources/{id}/scan", User, post(scans::start_form)),
        r(M::POST, "/drives/{id}/scan", User, post(scans::drive_form)),
        r(M::GET, "/scans/{id}", User, get(scans::page_)),
        r(M::GET, "/dupes", User, get(dupes::page_)),
        r(M::GET, "/dupes/folders", User, get(dupes::folders_page)),
        r(M::POST, "/dupes/verify", User, post(dupes::verify_form)),
        r(M::POST, "/plans", User, post(plans::create_form)),
        r(M::GET, "/plans/{id}", User, get(plans::page_)),
        r(
            M::POST,
            "/plans/{id}/items",
            User,
            post(plan_edit::edit_form),
        ),
        r(M::POST, "/plans/{id}/apply", User, post(plans::apply_form)),
        // Apply and undo run as jobs: the request answers at once, the page follows the job.
        r(
            M::POST,
            "/plans/{id}/restore",
            User,
            post(jobs::restore_plan_form),
        ),
        r(M::GET, "/jobs/{id}", User, get(jobs::page_)),
        r(M::POST, "/jobs/{id}/cancel", User, post(jobs::cancel_form)),
        r(M::GET, "/trash", User, get(trash::page_)),
        r(
            M::POST,
            "/trash/selection",
            User,
            post(trash::selection_form),
        ),
        r(M::POST, "/trash/empty", User, post(trash::empty_form)),
        r(
            M::POST,
            "/trash/{id}/restore",
            User,
            post(trash::restore_form),
        ),
        r(M::POST, "/trash/{id}/purge", User, post(trash::purge_form)),
        r(M::GET, "/report", User, get(report::page_)),
        r(M::POST, "/plans/clutter", User, post(report::plan_form)),
        r(M::GET, "/api/openapi.json", Public, get(openapi::document)),
        r(M::GET, "/api/docs", Public, get(openapi::docs)),
        r(
            M::GET,
            "/api/admin/sources",
            Admin,
            get(sources::api_admin_list),
        ),
        r(
            M::POST,
            "/api/admin/sources",
            Admin,
            post(sources::api_admin_add),
        ),
        r(M::GET, "/api/sources", User, get(sources::api_list)),
        r(
            M::POST,
            "/api/sources/{id}/scans",
            User,
            post(scans::api_start),
        ),
        r(
            M::POST,
            "/api/connections/{id}/scans",
            User,
            post(scans::api_drive),
        ),
        r(M::GET, "/api/scans/{id}", User, get(scans::api_status)),
        r(M::GET, "/api/dupes", User, get(dupes::api_list)),
        r(M::GET, "/api/folders", User, get(dupes::api_folders)),
        r(M::POST, "/api/dupes/verify", User, post(dupes::api_verify)),
        // Owner only (looked up by id and owner: 404 for anyone else), local images only,
        // re-confined to the allow-listed roots, decoded under limits on the blocking pool.
        r(
            M::GET,
            "/api/files/{id}/thumbnail",
            User,
            get(files::thumbnail),
        ),
        r(M::POST, "/api/plans", User, post(plans::api_create)),
        r(M::POST, "/api/plans/clutter", User, post(report::api_plan)),
        r(M::GET, "/api/plans/{id}", User, get(plans::api_get)),
        r(
            M::POST,
            "/api/plans/{id}/items",
            User,
            post(plan_edit::api_edit),
        ),
        r(
            M::POST,
            "/api/plans/{id}/apply",
            User,
            post(plans::api_apply),
        ),
        r(
            M::POST,
            "/api/plans/{id}/restore",
            User,
            post(jobs::api_restore_plan),
        ),
        r(M::GET, "/api/jobs/{id}", User, get(jobs::api_get)),
        r(
            M::POST,
            "/api/jobs/{id}/cancel",
            User,
            post(jobs::api_cancel),
        ),
        r(M::GET, "/api/trash", User, get(trash::api_list)),
        r(M::GET, "/api/trash/summary", User, get(trash::api_summary)),
        r(
            M::POST,
            "/api/trash/restore",
            User,
            post(trash::api_restore_selection),
        ),
        r(
            M::POST,
            "/api/trash/purge",
            User,
            post(trash::api_purge_selection),
        ),
        r(M::POST, "/api/trash/empty", User, post(trash::api_empty)),
        r(
            M::POST,
            "/api/trash/{id}/restore",
            User,
            post(trash::api_restore),
        ),
        r(M::DELETE, "/api/trash/{id}", User, delete(trash::api_purge)),
        r(M::GET, "/api/report", User, get(report::api_get)),
        r(M::GET, "/api/usage", User, get(usage::api_get)),
    ]
}

/// `(method, path template, access)` of every route, for tests and docs.
pub fn table() -> Vec<(Method, &'static str, Access)> {
    routes()
        .into_iter()
        .map(|r| (r.method, r.path, r.access))
        .collect()
}

/// Every route with its access check; browser routes render problems as HTML pages, the
/// platform's 404 and 405 fallbacks included (so they are added here, inside that layer, and
/// `app` wraps the result in the stack without adding them again).
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for route in routes() {
        let layer = from_fn_with_state((state.clone(), route.access), enforce);
        router = router.route(route.path, route.handler.route_layer(layer));
    }
    platform::layers::routes(router)
        .layer(from_fn_with_state(state.clone(), crate::views::html_errors))
        .layer(from_fn_with_state(
            state.clone(),
            crate::proxy::https_upgrade,
        ))
        .with_state(state)
}
