//! fpasted's OpenAPI 3.1 contract, generated from the code: each handler carries its
//! `#[utoipa::path]`, each body derives its schema in `paste-api`, and the problems come from
//! one table ([`problems::PROBLEMS`]). Served at `GET /openapi.json` and named by `GET /`.
//!
//! `tests/it/openapi.rs` checks that every route of `router.rs` is here with its methods and
//! every problem code a handler answers is in the table; `.ci/security` runs schemathesis
//! against a live server with this document.

pub mod bodies;
pub mod headers;
pub mod params;
pub mod problems;

use axum::Json;
use axum::extract::State;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::Type;
use utoipa::openapi::server::Server;
use utoipa::openapi::{Object, OpenApi as Document, RefOr, Required};
use utoipa::{Modify, OpenApi};

use crate::handlers::{admin, create, delete, info, mine, ops, pki, read, register, short, update};
use crate::state::AppState;

/// The document's paths and components; [`document`] adds the server's URL prefix.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "fpasted",
        description = "A FlaskPaste-compatible pastebin API. Authentication is a TLS client \
            certificate (directly, or through a trusted proxy that sends `X-SSL-Client-SHA1` and \
            `X-Proxy-Secret`); anonymous creators get a delete token. Every error is an RFC 9457 \
            problem (`application/problem+json`) with a stable `code`; the reusable responses \
            `Problem<status>` list them.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    paths(
        info::info,
        create::create,
        openapi_json,
        ops::health,
        ops::challenge,
        ops::metrics,
        ops::client,
        ops::client_script,
        admin::stats,
        admin::cleanup,
        admin::list,
        admin::quota,
        mine::list,
        short::list,
        short::create,
        short::redirect,
        short::delete,
        read::meta,
        update::update,
        delete::delete,
        read::raw,
        pki::status,
        pki::create_ca,
        pki::ca_cert,
        pki::crl,
        pki::issue,
        pki::revoke,
        register::challenge,
        register::register,
        register::csr,
    ),
    components(schemas(platform::Problem)),
    modifiers(&Contract),
    tags(
        (name = "pastes", description = "Create, read, update and delete pastes"),
        (name = "short", description = "The URL shortener"),
        (name = "admin", description = "Admin certificates only"),
        (name = "pki", description = "The built-in PKI (404 `pki_disabled` unless enabled): its CA and CRL, registration, issuing and revoking certificates"),
        (name = "meta", description = "What the server is: information, health, the client, this document"),
    )
)]
pub struct ApiDoc;

/// The document for a server mounted under `prefix` (`""` for the root).
pub fn document(prefix: &str) -> Document {
    let mut doc = ApiDoc::openapi();
    let base = if prefix.is_empty() { "/" } else { prefix };
    doc.servers = Some(vec![Server::new(base)]);
    doc
}

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "getOpenApi",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this server",
            content_type = "application/json", body = Object),
    )
)]
pub async fn openapi_json(State(state): State<AppState>) -> Json<Document> {
    Json(document(&state.config.url_prefix))
}

/// What every operation shares, added after the derive: the problem responses, the request id,
/// the proxy headers, and the `500` any route can answer.
struct Contract;

impl Modify for Contract {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        for status in problems::statuses() {
            components.responses.insert(
                problems::response_name(status).to_owned(),
                RefOr::T(problems::response(status)),
            );
        }
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let params = op.parameters.get_or_insert_with(Vec::new);
                params.extend(shared_request_headers().into_iter().map(RefOr::T));
                op.responses
                    .responses
                    .entry("500".into())
                    .or_insert_with(|| problems::reference(500));
                for res in op.responses.responses.values_mut() {
                    if let RefOr::T(res) = res {
                        res.headers
                            .insert("X-Request-Id".into(), RefOr::T(headers::request_id()));
                    }
                }
            }
        }
    }
}

/// Headers any request may carry.
fn shared_request_headers() -> Vec<Parameter> {
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(Object::with_type(Type::String)))
            .build()
    };
    vec![
        header(
            "X-Request-Id",
            "A request id to use in logs and problems (1 to 128 of `[A-Za-z0-9._:-]`; \
             anything else is replaced by a fresh UUID).",
        ),
        header(
            "X-SSL-Client-SHA1",
            "Behind a trusted proxy only: the SHA-1 fingerprint of the client certificate the \
             proxy verified (ignored otherwise).",
        ),
        header(
            "X-Proxy-Secret",
            "Behind a trusted proxy only: the shared secret proving the request came through it.",
        ),
    ]
}
