//! The signed-in user's own pages: dashboard, account, password change, export, deletion.

use crate::extract::Form;
use axum::extract::{FromRef as _, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::auth::{password, session};
use crate::cloud;
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{self, AccountPage, DashboardPage, Layout};

/// `GET /dashboard`.
pub async fn dashboard(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let uid = p.user.id.clone();
    let conns = state
        .pool
        .read(move |c| db::connections::list(c, &uid))
        .await??;
    let usage = super::usage::load(&state, &p).await?;
    let view = DashboardPage {
        layout: Layout::new(&state, Some(&p), "", "dashboard"),
        connections: conns.len(),
        reclaimable: crate::pages::human(usage.reclaimable),
        usage,
        clouds: cloud_labels(&state),
        has_roots: !state.config.local_roots.is_empty(),
    };
    Ok(views::page(StatusCode::OK, &view))
}

/// The cloud drives this server can connect (an OAuth client is configured for them).
pub fn cloud_labels(state: &AppState) -> Vec<&'static str> {
    ["onedrive", "gdrive"]
        .into_iter()
        .filter(|d| state.connector.enabled(d))
        .map(crate::connect::label)
        .collect()
}

async fn account_view(
    state: &AppState,
    p: &Principal,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let uid = p.user.id.clone();
    let (sessions, identities, conns) = state
        .pool
        .read(move |c| -> Result<_, db::DbError> {
            Ok((
                db::sessions::count(c, &uid)?,
                db::users::identities(c, &uid)?,
                db::connections::list(c, &uid)?,
            ))
        })
        .await??;
    let drives = ["onedrive", "gdrive"]
        .into_iter()
        .filter(|d| state.connector.enabled(d))
        .map(|d| {
            let conn = conns.iter().find(|c| c.provider == d);
            views::DriveRow {
                provider: d.to_owned(),
                label: crate::connect::label(d),
                id: conn.map(|c| c.id),
                connected: conn.is_some(),
                can_write: conn.is_some_and(|c| crate::connect::can_write(d, &c.scopes)),
                can_read_content: conn
                    .is_some_and(|c| crate::connect::can_read_content(d, &c.scopes)),
            }
        })
        .collect();
    let view = AccountPage {
        layout: Layout::new(state, Some(p), "", "account"),
        notice,
        error,
        sessions,
        identities: identities.into_iter().map(|(iss, _, _)| iss).collect(),
        drives,
    };
    Ok(views::page_with_form_targets(
        status,
        &view,
        &state.connector.authorize_origins(),
    ))
}

/// `GET /account`.
pub async fn page(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    account_view(&state, &p, StatusCode::OK, None, None).await
}

/// The password change form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    new: String,
}

async fn password_matches(
    state: &AppState,
    user_id: &str,
    password: String,
) -> Result<bool, ApiError> {
    let uid = user_id.to_owned();
    let Some(hash) = state
        .pool
        .read(move |c| db::users::password_hash(c, &uid))
        .await??
    else {
        return Ok(false);
    };
    let _slot = state
        .hashing
        .acquire()
        .await
        .map_err(|e| ApiError::internal(e))?;
    let hasher = state.hasher.clone();
    Ok(
        tokio::task::spawn_blocking(move || hasher.verify(&password, &hash).unwrap_or(false))
            .await?,
    )
}

/// `POST /account/password`: re-authenticates, applies the policy, revokes every session and
/// API token, then starts a fresh session for this browser.
pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, ApiError> {
    if p.user.has_password && !password_matches(&state, &p.user.id, f.current).await? {
        return account_view(
            &state,
            &p,
            StatusCode::UNAUTHORIZED,
            None,
            Some("Your current password is not right.".into()),
        )
        .await;
    }
    if let Err(e) = password::check_policy(&f.new, &p.user.email) {
        return account_view(
            &state,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(e.to_string()),
        )
        .await;
    }
    let phc = super::auth::hash(&state, f.new).await?;
    let uid = p.user.id.clone();
    state
        .pool
        .write(move |c| -> Result<_, db::DbError> {
            // One transaction: a new password never stands beside the old sessions.
            let tx = c.transaction(platform_db::sql::Lock::None)?;
            db::users::set_password(&*tx, &uid, &phc)?;
            db::sessions::delete_all(&*tx, &uid)?;
            Ok(tx.commit()?)
        })
        .await??;
    audit(
        &state,
        &ctx,
        Some(&p),
        "user.password_changed",
        Some(p.user.id.clone()),
        Some("all sessions and API tokens revoked".into()),
    )
    .await?;
    let set = session::start(&state.pool, &state.cookies, &headers, &p.user.id).await?;
    Ok((set, Redirect::to("/account")).into_response())
}

/// `GET /account/export`: everything we hold about the caller, as a JSON download. Sealed
/// tokens are never included.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let uid = p.user.id.clone();
    let owner = crate::work::owner(&uid)?;
    let (identities, connections, activity, engine) = state
        .pool
        .read(move |c| -> Result<_, db::DbError> {
            Ok((
                db::users::identities(c, &uid)?,
                db::connections::list(c, &uid)?,
                db::audit::recent(c, Some(&uid), 10_000)?,
                declutter_core::store::owners::export(c, &owner)?,
            ))
        })
        .await??;
    let body = json!({
        "format": "declutter-export-v1",
        "exported_at": db::now(),
        "account": p.user,
        "identities": identities.iter().map(|(iss, sub, email)| json!({"issuer": iss, "subject": sub, "email": email})).collect::<Vec<_>>(),
        "connections": connections,
        "activity": activity,
        "engine": engine,
    });
    audit(
        &state,
        &ctx,
        Some(&p),
        "user.exported",
        Some(p.user.id.clone()),
        None,
    )
    .await?;
    let mut res = axum::Json(body).into_response();
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"declutter-export.json\""),
    );
    Ok(res)
}

/// The deletion confirmation.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
}

/// Why the last admin's account stays (the same rule as for demotion).
const LAST_ADMIN: &str =
    "The last admin cannot be deleted: make another account admin first, then delete this one.";

/// Erases an account: revokes provider tokens, deletes its rows (engine and web), audits.
/// Refuses the last admin (409) before anything is touched, and again in the deleting
/// transaction; `Ok(false)` when there is no such account.
pub async fn erase(
    state: &AppState,
    ctx: &Ctx,
    actor: &Principal,
    user_id: &str,
) -> Result<bool, ApiError> {
    let uid = user_id.to_owned();
    if state
        .pool
        .read(move |c| db::users::is_last_admin(c, &uid))
        .await??
    {
        return Err(ApiError::Conflict(LAST_ADMIN.into()));
    }
    cloud::revoke_connections(&crate::cloud::Vault::from_ref(state), user_id, None).await?;
    // Before the rows go: the trash log is how the files are found.
    let owner = crate::work::owner(user_id)?;
    let roots = state.config.local_roots.clone();
    let removed = crate::user_data::remove_local_trash(&state.pool, roots, &owner).await;
    tracing::info!(removed, "local trash of a deleted account removed");
    let uid = user_id.to_owned();
    let deleted = state
        .pool
        .write(move |c| db::users::delete(c, &uid))
        .await??;
    if deleted == db::users::Deleted::LastAdmin {
        return Err(ApiError::Conflict(LAST_ADMIN.into()));
    }
    let gone = deleted == db::users::Deleted::Gone;
    if gone {
        audit(
            state,
            ctx,
            Some(actor),
            "user.deleted",
            Some(user_id.to_owned()),
            None,
        )
        .await?;
    }
    Ok(gone)
}

/// `POST /account/delete`: confirmed by the password (accounts without one must re-authenticate
/// with their provider first; not offered yet).
pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Form(f): Form<DeleteForm>,
) -> Result<Response, ApiError> {
    if !password_matches(&state, &p.user.id, f.password).await? {
        return account_view(
            &state,
            &p,
            StatusCode::UNAUTHORIZED,
            None,
            Some("Confirm with your current password to delete the account.".into()),
        )
        .await;
    }
    if let Err(e) = erase(&state, &ctx, &p, &p.user.id).await {
        // Shown on the account page itself, beside the form that was refused.
        return match e {
            ApiError::Conflict(why) => {
                account_view(&state, &p, StatusCode::CONFLICT, None, Some(why)).await
            }
            other => Err(other),
        };
    }
    let clear = state.cookies.cookie(state.cookies.session, "", Some(0));
    Ok((
        session::SetCookies(clear.into_iter().collect()),
        Redirect::to("/signup"),
    )
        .into_response())
}
