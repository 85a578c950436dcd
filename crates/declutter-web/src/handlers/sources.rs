//! Local sources: admins assign allow-listed folders to accounts; users list their own.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::db::{self, sources::LocalSource};
use crate::error::ApiError;
use crate::extract::{Form, Json};
use crate::local_roots::confine;
use crate::model::AddSource;
use crate::pages::{AdminSourcesPage, SourcesPage};
use crate::state::AppState;
use crate::views::{Layout, page};

async fn add(
    state: &AppState,
    ctx: &Ctx,
    admin: &Principal,
    body: AddSource,
) -> Result<LocalSource, ApiError> {
    let real = confine(&state.config.local_roots, std::path::Path::new(&body.path))
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let real = real
        .to_str()
        .ok_or_else(|| ApiError::Invalid("the folder name must be UTF-8".into()))?
        .to_owned();
    let (owner, by) = (body.user_id.clone(), admin.user.id.clone());
    let added = state
        .pool
        .write(move |c| -> Result<_, ApiError> {
            if db::users::by_id(c, &owner)?.is_none() {
                return Err(ApiError::Invalid("no such account".into()));
            }
            db::sources::add(c, &owner, &real, &by).map_err(|e| {
                if e.is_conflict() {
                    ApiError::Conflict("this folder is already assigned to that account".into())
                } else {
                    e.into()
                }
            })
        })
        .await??;
    audit(
        state,
        ctx,
        Some(admin),
        "source.added",
        Some(added.id.to_string()),
        Some(format!("{} for {}", added.path, added.user_id)),
    )
    .await?;
    Ok(added)
}

/// `GET /admin/sources`.
pub async fn admin_page(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    admin_view(&state, &p, StatusCode::OK, None, AddSource::default()).await
}

/// The admin page, with an error and what was typed when an add failed (so nothing is lost).
async fn admin_view(
    state: &AppState,
    p: &Principal,
    status: StatusCode,
    error: Option<String>,
    typed: AddSource,
) -> Result<Response, ApiError> {
    let (sources, users) = state
        .pool
        .read(|c| -> Result<_, db::DbError> {
            Ok((db::sources::list(c, None)?, db::users::list(c)?))
        })
        .await??;
    let email = |id: &str| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.email.clone())
            .unwrap_or_default()
    };
    let view = AdminSourcesPage {
        layout: Layout::new(state, Some(p), "", "admin_sources"),
        error,
        typed,
        roots: state
            .config
            .local_roots
            .iter()
            .map(|r| r.display().to_string())
            .collect(),
        sources: sources
            .into_iter()
            .map(|s| {
                let e = email(&s.user_id);
                (s, e)
            })
            .collect(),
        users: users
            .iter()
            .map(|u| (u.id.clone(), u.email.clone()))
            .collect(),
    };
    Ok(page(status, &view))
}

/// `POST /admin/sources`: back to the page; a refused folder shows why, with the form as typed.
pub async fn admin_add(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Form(form): Form<AddSource>,
) -> Result<Response, ApiError> {
    match add(&state, &ctx, &p, form.clone()).await {
        Ok(_) => Ok(Redirect::to("/admin/sources").into_response()),
        Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(_))) => {
            let status = e.problem().status();
            admin_view(&state, &p, status, Some(e.to_string()), form).await
        }
        Err(e) => Err(e),
    }
}

/// Every local source of every account (administrators only).
#[utoipa::path(get, path = "/api/admin/sources", operation_id = "listAllSources", tag = "admin",
    responses((status = 200, description = "Sources", body = Vec<LocalSource>)))]
pub async fn api_admin_list(
    State(state): State<AppState>,
) -> Result<Json<Vec<LocalSource>>, ApiError> {
    Ok(Json(
        state.pool.read(|c| db::sources::list(c, None)).await??,
    ))
}

/// Assigns a folder inside an allowed root to an account (administrators only).
#[utoipa::path(post, path = "/api/admin/sources", operation_id = "addSource", tag = "admin", request_body = AddSource,
    responses((status = 201, description = "Assigned", body = LocalSource),
        (status = 409, description = "Already assigned to that account", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_admin_add(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Json(body): Json<AddSource>,
) -> Result<Response, ApiError> {
    let added = add(&state, &ctx, &p, body).await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

async fn own(state: &AppState, p: &Principal) -> Result<Vec<LocalSource>, ApiError> {
    let uid = p.user.id.clone();
    Ok(state
        .pool
        .read(move |c| db::sources::list(c, Some(&uid)))
        .await??)
}

/// `GET /sources`.
pub async fn page_(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let uid = p.user.id.clone();
    let drives = state
        .pool
        .read(move |c| db::connections::list(c, &uid))
        .await??
        .into_iter()
        .map(|k| (k.id, crate::connect::label(&k.provider)))
        .collect();
    let view = SourcesPage {
        sources: own(&state, &p).await?,
        drives,
        clouds: super::account::cloud_labels(&state),
        layout: Layout::new(&state, Some(&p), "", "sources"),
    };
    Ok(page(StatusCode::OK, &view))
}

/// The caller's local sources.
#[utoipa::path(get, path = "/api/sources", operation_id = "listSources", tag = "sources",
    responses((status = 200, description = "Sources", body = Vec<LocalSource>)))]
pub async fn api_list(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Vec<LocalSource>>, ApiError> {
    Ok(Json(own(&state, &p).await?))
}
