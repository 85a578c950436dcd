//! The OpenAPI 3.1 document of `/api`, generated from the handlers' `#[utoipa::path]`
//! annotations and the response types themselves, so it cannot drift from the code. A test
//! checks that it lists exactly the `/api` rows of the route table.
//!
//! What every operation shares is added here once ([`CommonResponses`]): the problem responses
//! of the access layer (401, 403), of the API rate limit (429) and of a busy database (503),
//! plus 404 where the path names a resource and 422 where the operation reads a query or a body.

use std::sync::LazyLock;

use utoipa::openapi::link::Link;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::handlers;

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
        handlers::dupes::api_verify,
        handlers::dupes::api_list,
        handlers::dupes::api_folders,
        handlers::files::thumbnail,
        handlers::report::api_get,
        handlers::report::api_plan,
        handlers::usage::api_get,
        handlers::plans::api_create,
        handlers::plans::api_get,
        handlers::plan_edit::api_edit,
        handlers::plans::api_apply,
        handlers::jobs::api_restore_plan,
        handlers::jobs::api_get,
        handlers::jobs::api_cancel,
        handlers::trash::api_list,
        handlers::trash::api_summary,
        handlers::trash::api_restore_selection,
        handlers::trash::api_purge_selection,
        handlers::trash::api_empty,
        handlers::trash::api_restore,
        handlers::trash::api_purge,
        handlers::openapi::document,
        handlers::openapi::docs,
    ),
    components(schemas(platform::Problem)),
    modifiers(&SecuritySchemes, &CommonResponses, &Links),
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

/// The document as served (built once).
pub static JSON: LazyLock<String> =
    LazyLock::new(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default());

/// The links from what an operation creates to the operations on it (a plan to its edits,
/// apply and undo; a job to its progress and cancel), so a client — and schemathesis's
/// stateful phase — can follow them.
struct Links;

/// (operation, status, the created id's JSON pointer, the operations taking it as `id`).
const LINKS: &[(&str, &str, &str, &[&str])] = &[
    (
        "createPlan",
        "201",
        "/id",
        &["getPlan", "editPlan", "applyPlan", "restorePlan"],
    ),
    (
        "createClutterPlan",
        "201",
        "/plan_id",
        &["getPlan", "applyPlan", "restorePlan"],
    ),
    ("applyPlan", "202", "/job", &["getJob", "cancelJob"]),
    ("restorePlan", "202", "/job", &["getJob", "cancelJob"]),
    ("emptyTrash", "202", "/job", &["getJob", "cancelJob"]),
    ("verifyDuplicates", "202", "/job", &["getJob", "cancelJob"]),
    ("scanSource", "202", "/job", &["getScan"]),
    ("scanConnection", "202", "/job", &["getScan"]),
];

impl Modify for Links {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for item in api.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post, &mut item.delete]
                .into_iter()
                .flatten()
            {
                let Some((_, status, pointer, targets)) = LINKS
                    .iter()
                    .find(|(id, ..)| op.operation_id.as_deref() == Some(*id))
                else {
                    continue;
                };
                let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) else {
                    continue;
                };
                for target in *targets {
                    response.links.insert(
                        (*target).to_owned(),
                        RefOr::T(
                            Link::builder()
                                .operation_id(*target)
                                .parameter("id", format!("$response.body#{pointer}"))
                                .build(),
                        ),
                    );
                }
            }
        }
    }
}
