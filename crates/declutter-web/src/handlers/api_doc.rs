//! The OpenAPI 3.1 document of `/api`, generated from the handlers' `#[utoipa::path]`
//! annotations and the response types themselves, so it cannot drift from the code. A test
//! checks that it lists exactly the `/api` rows of the route table.
//!
//! What every operation shares is added here once ([`CommonResponses`]): the problem responses
//! of the access layer (401, 403), of the API rate limit (429) and of a busy database (503),
//! plus 404 where the path names a resource and 422 where the operation reads a query or a body.

use std::sync::LazyLock;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::handlers;

/// The hand-written description of the routes not annotated yet (the review and clean-up
/// routes, which are being reworked): merged in until each carries its own annotation.
const UNANNOTATED: &str = include_str!("../openapi.json");

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Declutter Cloud API",
        description = "Everything the web UI does, as JSON. Authenticate with a bearer token from \
            POST /api/tokens, or with the browser session cookie plus the X-CSRF-Token header on \
            state-changing requests. Errors are RFC 9457 problem details. Resources of other \
            accounts answer 404, like absent ones."
    ),
    servers((url = "/")),
    security(("bearer" = []), ("session" = [])),
    paths(
        handlers::api::issue_token,
        handlers::api::me,
        handlers::api::connections,
        handlers::api::disconnect,
        handlers::api::audit_entries,
        handlers::api::admin_users,
        handlers::sources::api_admin_list,
        handlers::sources::api_admin_add,
        handlers::sources::api_list,
        handlers::scans::api_start,
        handlers::scans::api_drive,
        handlers::scans::api_status,
        handlers::files::thumbnail,
        handlers::report::api_get,
        handlers::usage::api_get,
        handlers::openapi::document,
        handlers::openapi::docs,
    ),
    components(schemas(platform::Problem)),
    modifiers(&SecuritySchemes, &CommonResponses),
    tags(
        (name = "account", description = "The caller, tokens, connections, audit"),
        (name = "sources", description = "Folders and drives, and their scans"),
        (name = "review", description = "Duplicates, folders, thumbnails, the clutter report"),
        (name = "cleanup", description = "Plans, applying them, the trash"),
        (name = "admin", description = "Administrators only"),
        (name = "docs", description = "This document and its browser"),
    )
)]
pub struct ApiDoc;

/// The bearer token and the session cookie.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-declutter",
                "Browser session; state-changing requests also need X-CSRF-Token and a \
                 same-origin Origin.",
            ))),
        );
    }
}

/// The responses every operation can give, by what the operation reads.
struct CommonResponses;

/// Name of the shared problem response component.
const PROBLEM: &str = "Problem";

fn problem_response() -> Response {
    ResponseBuilder::new()
        .description("Problem details (RFC 9457)")
        .content(
            "application/problem+json",
            Content::new(Some(RefOr::Ref(Ref::from_schema_name(PROBLEM)))),
        )
        .build()
}

impl Modify for CommonResponses {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        api.components
            .get_or_insert_with(Default::default)
            .responses
            .insert(PROBLEM.to_owned(), RefOr::T(problem_response()));
        for (path, item) in api.paths.paths.iter_mut() {
            let public = path == "/api/openapi.json" || path == "/api/docs";
            let names_resource = path.contains('{');
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if public {
                    op.security = Some(Vec::new());
                    continue;
                }
                let reads_input = op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|ps| {
                        ps.iter().any(|p| match p {
                            RefOr::T(p) => p.parameter_in != ParameterIn::Path,
                            RefOr::Ref(_) => true,
                        })
                    });
                let mut codes = vec!["401", "403", "429", "503"];
                if names_resource {
                    codes.push("404");
                }
                if reads_input {
                    codes.push("422");
                }
                add_problems(op, &codes);
            }
        }
    }
}

fn add_problems(op: &mut Operation, codes: &[&str]) {
    for code in codes {
        op.responses
            .responses
            .entry((*code).to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(PROBLEM)));
    }
}

/// The generated document, with the hand-written paths (and the schemas they use) of the routes
/// not annotated yet.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let Ok(old) = serde_json::from_str::<serde_json::Value>(UNANNOTATED) else {
        return doc;
    };
    for pointer in ["/paths", "/components/schemas"] {
        let (Some(from), Some(to)) = (
            old.pointer(pointer).and_then(serde_json::Value::as_object),
            doc.pointer_mut(pointer)
                .and_then(serde_json::Value::as_object_mut),
        ) else {
            continue;
        };
        for (name, value) in from {
            to.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
    doc
}

/// The document as served (built once).
pub static JSON: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string_pretty(&document()).unwrap_or_default());
