//! Keep rules → a stored plan (a dry run with bytes reclaimed) → apply, which moves the
//! plan's removals into the trash (re-checking every file first; a group never loses its last copy).

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRef as _, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use declutter_core::engine::plan;
use declutter_core::engine::rules::KeepRules;
use declutter_core::store::plans::{self, Action};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{audit, connections, form_body, json_body};
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::error::ApiError;
use crate::pages::{FileView, PlanPage, human};
use crate::services::cleanup::Cleanup;
use crate::state::AppState;
use crate::views::{Layout, page_with_form_targets};
use crate::work;

/// The HTML form: up to two ordering rules and an optional reference folder.
#[derive(Debug, Deserialize)]
pub struct RulesForm {
    /// First rule.
    #[serde(default)]
    pub prefer: String,
    /// Tie-breaker.
    #[serde(default)]
    pub then: String,
    /// Keep everything under this folder.
    #[serde(default)]
    pub reference: String,
}

/// The API body.
#[derive(Debug, Deserialize)]
pub struct RulesBody {
    /// Keep rules in order: `newest`, `oldest`, `shortest-path`, `original-name`, `ref:<folder>`.
    pub rules: Vec<String>,
}

/// One planned file.
#[derive(Debug, Clone, Serialize)]
pub struct PlanItemView {
    /// `keep` or `remove`.
    pub action: &'static str,
    /// The file.
    #[serde(flatten)]
    pub file: FileView,
    /// `pending`, `started`, `done` or `skipped`.
    pub state: String,
    /// Why it was skipped.
    pub reason: Option<String>,
}

/// A plan and its items.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    /// Plan id.
    pub id: i64,
    /// The rules, as text.
    pub rules: String,
    /// `draft`, `applying` or `applied`.
    pub status: String,
    /// Files to remove.
    pub remove_count: u64,
    /// Bytes the plan frees.
    pub bytes_reclaimed: u64,
    /// Every item, grouped by duplicate group.
    pub items: Vec<PlanItemView>,
}

async fn create(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    rules: Vec<String>,
) -> Result<i64, ApiError> {
    let rules = KeepRules::parse(&rules)?;
    if rules.0.is_empty() {
        return Err(ApiError::Invalid("choose at least one keep rule".into()));
    }
    let owner = work::owner(&p.user.id)?;
    // Relative keep folders are read against each source root; each must name a scanned folder.
    let summary = state
        .pool
        .write(move |c| {
            let rules = plan::resolve_rules(c, &owner, rules, plan::Base::SourceRoots)?;
            plan::build(c, &owner, &rules)
        })
        .await??;
    audit(
        state,
        ctx,
        Some(p),
        "plan.created",
        Some(summary.plan_id.to_string()),
        Some(format!(
            "{} files, {} bytes",
            summary.remove_count, summary.bytes_reclaimed
        )),
    )
    .await?;
    Ok(summary.plan_id)
}

async fn load(state: &AppState, p: &Principal, id: i64) -> Result<PlanView, ApiError> {
    let owner = work::owner(&p.user.id)?;
    let (plan, items) = state
        .pool
        .read(move |c| -> Result<_, ApiError> {
            // Ownership first: items are only read for the caller's own plan.
            let plan = plans::get(c, &owner, id)
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .ok_or(ApiError::NotFound)?;
            let items = plans::items(c, id).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok((plan, items))
        })
        .await??;
    Ok(PlanView {
        id: plan.id,
        rules: plan.rules,
        status: plan.status,
        remove_count: plan.remove_count,
        bytes_reclaimed: plan.bytes_reclaimed,
        items: items
            .into_iter()
            .map(|i| PlanItemView {
                action: if i.action == Action::Remove {
                    "remove"
                } else {
                    "keep"
                },
                file: FileView::of(&i.path, i.size, i.modified_ns),
                state: i.state,
                reason: i.reason,
            })
            .collect(),
    })
}

/// Starts applying plan `id` as a background job and returns its id at once.
async fn start_apply(state: &AppState, ctx: &Ctx, p: &Principal, id: i64) -> Result<i64, ApiError> {
    let needs = needs_write(state, p, id).await?;
    if let Some(provider) = needs.first() {
        // Incremental consent: connections start read-only; write access is asked for here,
        // through the "Allow changes" button on the plan page, never silently.
        return Err(ApiError::Conflict(format!(
            "Declutter can only read your {}. Choose \"Allow changes\" on the plan page to let it move duplicates to the trash, then apply again.",
            crate::connect::label(provider)
        )));
    }
    let owner = work::owner(&p.user.id)?;
    // The owner's apply lock is taken here: a second apply answers 409 now.
    let job = Cleanup::from_ref(state).start_apply(&owner, id).await?;
    audit(
        state,
        ctx,
        Some(p),
        "plan.apply_started",
        Some(id.to_string()),
        Some(format!("job {job}")),
    )
    .await?;
    Ok(job)
}

/// The cloud providers this plan removes files from whose connection lacks write scope.
async fn needs_write(state: &AppState, p: &Principal, id: i64) -> Result<Vec<String>, ApiError> {
    let owner = work::owner(&p.user.id)?;
    let uid = p.user.id.clone();
    state
        .pool
        .read(move |c| -> Result<_, ApiError> {
            plans::get(c, &owner, id)
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .ok_or(ApiError::NotFound)?;
            let mut providers: Vec<String> = plans::items(c, id)
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .into_iter()
                .filter(|i| i.action == Action::Remove && i.provider != "local")
                .map(|i| i.provider)
                .collect();
            providers.sort();
            providers.dedup();
            let conns = crate::db::connections::list(c, &uid)?;
            providers.retain(|prov| {
                !conns
                    .iter()
                    .any(|k| &k.provider == prov && crate::connect::can_write(prov, &k.scopes))
            });
            Ok(providers)
        })
        .await?
}

/// `POST /plans`.
pub async fn create_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    form: Result<Form<RulesForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let f = form_body(form)?;
    let mut rules: Vec<String> = Vec::new();
    if !f.reference.trim().is_empty() {
        rules.push(format!("ref:{}", f.reference.trim()));
    }
    rules.extend(
        [f.prefer, f.then]
            .into_iter()
            .filter(|r| !r.is_empty() && r != "none"),
    );
    let id = create(&state, &ctx, &p, rules).await?;
    Ok(Redirect::to(&format!("/plans/{id}")).into_response())
}

/// `POST /api/plans`.
pub async fn api_create(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    body: Result<Json<RulesBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = create(&state, &ctx, &p, json_body(body)?.rules).await?;
    Ok((StatusCode::CREATED, Json(load(&state, &p, id).await?)).into_response())
}

/// `GET /plans/{id}`: the preview.
pub async fn page_(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let plan = load(&state, &p, id).await?;
    let needs_write = needs_write(&state, &p, id).await?;
    let view = PlanPage {
        needs_write,
        reclaimed: human(plan.bytes_reclaimed),
        plan,
        layout: Layout::new(&state, Some(&p), "", "dupes"),
    };
    // Apply and "Allow changes" may continue at the provider's consent page.
    Ok(page_with_form_targets(
        StatusCode::OK,
        &view,
        &state.connector.authorize_origins(),
    ))
}

/// `GET /api/plans/{id}`.
pub async fn api_get(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(load(&state, &p, id).await?))
}

/// Starts applying plan `id` and shows its progress; when a drive it touches is still read-only, first
/// sends the browser to that provider's consent for write access, remembering the plan so the
/// connect callback comes back here and the apply continues by itself.
pub async fn apply_or_consent(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    id: i64,
) -> Result<Response, ApiError> {
    let needs = needs_write(state, p, id).await?;
    if let (Some(provider), Some(session)) = (needs.first(), p.session.as_ref())
        && state.connector.enabled(provider)
    {
        let url = state
            .connector
            .start(
                provider,
                crate::connect::Access::Write,
                &connections::redirect_uri(state, provider),
                &p.user.id,
                &session.id_hash,
                format!("/plans/{id}"),
                Some(id),
            )
            .map_err(|e| connections::failed(&e))?;
        return Ok(Redirect::to(&url).into_response());
    }
    let job = start_apply(state, ctx, p, id).await?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

/// `POST /plans/{id}/apply`: then the job's progress page (via write consent when needed).
pub async fn apply_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    apply_or_consent(&state, &ctx, &p, id).await
}

/// `POST /api/plans/{id}/apply`: 202 with the job to watch.
pub async fn api_apply(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(super::jobs::accepted(
        start_apply(&state, &ctx, &p, id).await?,
    ))
}
