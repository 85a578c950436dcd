//! Keep rules → a stored plan (a dry run with bytes reclaimed) → apply, which moves the
//! plan's removals into the trash (re-checking every file first; a group never loses its last copy).

use axum::extract::{FromRef as _, State};
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::engine::pick::{self, Picks};
use declutter_core::engine::plan;
use declutter_core::engine::rules::KeepRules;
use declutter_core::store::plans::{self, Action, PlanItem};
use http::StatusCode;
use serde::Deserialize;

use super::{audit, connections};
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::error::ApiError;
use crate::extract::{Form, Json, Query};
use crate::model::{PlanItemView, PlanView};
use crate::pages::{FileView, PlanGroupView, PlanPage, human};
use crate::path_id::Id;
use crate::review::{DupesQuery, Selection};
use crate::services::cleanup::Cleanup;
use crate::state::AppState;
use crate::views::{Layout, page_with_form_targets};
use crate::work;

/// The HTML form: up to two ordering rules, an optional keep folder (picked from the indexed
/// folders) and the duplicates view's filter, so the rules apply to the groups it shows; the
/// groups and copies picked on the page come with it ([`crate::review::picks`]).
#[derive(Debug, Default, Deserialize)]
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
    /// The filter of the groups to plan (every group when empty).
    #[serde(flatten)]
    pub filter: DupesQuery,
}

impl RulesForm {
    /// The form's fields by name (the first of each; picks are read from the same fields).
    fn of_fields(fields: &[(String, String)]) -> Self {
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        Self {
            prefer: get("prefer").unwrap_or_default(),
            then: get("then").unwrap_or_default(),
            reference: get("reference").unwrap_or_default(),
            filter: DupesQuery {
                page: get("page"),
                sort: get("sort"),
                kind: get("type"),
                min_size: get("min_size"),
                max_size: get("max_size"),
                folder: get("folder"),
                source: get("source"),
                q: get("q"),
                keep: get("keep"),
            },
        }
    }
}

/// The API body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RulesBody {
    /// Keep rules in order: `newest`, `oldest`, `shortest-path`, `original-name`, `ref:<folder>`.
    #[schema(min_items = 1, max_items = 16, inline, value_type = Vec<RuleText>)]
    pub rules: Vec<String>,
    /// Only the groups passing this filter (the query of `GET /api/dupes`; every group when absent).
    #[serde(default)]
    pub filter: Option<FilterBody>,
}

/// One keep rule as text (the document's type for an item of `rules`).
#[derive(utoipa::ToSchema)]
#[schema(pattern = "^(newest|oldest|shortest-path|original-name|ref:.+)$")]
pub struct RuleText(pub String);

/// A filter in a JSON body: the fields of `GET /api/dupes`'s query.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterBody {
    /// `image`, `video`, `audio`, `document`, `archive` or `other`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(any|image|video|audio|document|archive|other)$")]
    pub kind: Option<String>,
    /// Smallest copy size in bytes.
    pub min_size: Option<u64>,
    /// Largest copy size in bytes.
    pub max_size: Option<u64>,
    /// Groups with a copy in this folder (a path from `/`).
    #[schema(pattern = "^/[^\\x00-\\x1f\\x7f]*$", max_length = 1024)]
    pub folder: Option<String>,
    /// Groups with a copy in this source.
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f]*$", max_length = 1024)]
    pub source: Option<String>,
    /// Name search.
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f]*$", max_length = 1024)]
    pub q: Option<String>,
}

impl From<FilterBody> for DupesQuery {
    fn from(f: FilterBody) -> Self {
        Self {
            kind: f.kind,
            min_size: f.min_size.map(|n| n.to_string()),
            max_size: f.max_size.map(|n| n.to_string()),
            folder: f.folder,
            source: f.source,
            q: f.q,
            ..Self::default()
        }
    }
}

/// Most keep rules in one request.
pub const MAX_RULES: usize = 16;

/// Plan groups per page: the page stays far below 300 KB of HTML whatever the plan's size.
pub const PLAN_PAGE_GROUPS: usize = 25;

async fn create(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    rules: Vec<String>,
    filter: DupesQuery,
    picks: Picks,
) -> Result<i64, ApiError> {
    let filter = Selection::try_from(filter)?.filter;
    if rules.len() > MAX_RULES {
        return Err(ApiError::Invalid(format!("at most {MAX_RULES} keep rules")));
    }
    let rules = KeepRules::parse(&rules)?;
    if rules.0.is_empty() {
        return Err(ApiError::Invalid("choose at least one keep rule".into()));
    }
    let owner = work::owner(&p.user.id)?;
    let picked = match &picks.groups {
        Some(g) => format!("; {} groups picked", g.len()),
        None => String::new(),
    } + &match picks.keep.len() {
        0 => String::new(),
        n => format!("; {n} kept copies chosen"),
    };
    // Relative keep folders are read against each source root; each must name a scanned folder.
    let summary = state
        .pool
        .write(move |c| {
            let rules = plan::resolve_rules(c, &owner, rules, plan::Base::SourceRoots)?;
            pick::build_picked(c, &owner, &rules, &filter, &picks)
        })
        .await??;
    audit(
        state,
        ctx,
        Some(p),
        "plan.created",
        Some(summary.plan_id.to_string()),
        Some(format!(
            "{} files, {} bytes{picked}",
            summary.remove_count, summary.bytes_reclaimed
        )),
    )
    .await?;
    Ok(summary.plan_id)
}

pub(crate) async fn load(
    state: &AppState,
    p: &Principal,
    id: i64,
    page: usize,
) -> Result<(PlanView, Vec<Vec<PlanItem>>), ApiError> {
    let owner = work::owner(&p.user.id)?;
    let caches = std::sync::Arc::clone(&state.review);
    let (plan, group_count, page, groups) = state
        .pool
        .read(move |c| -> Result<_, ApiError> {
            // Ownership first: items are only read for the caller's own plan.
            let plan = plans::get(c, &owner, id)?.ok_or(ApiError::NotFound)?;
            let key = (plan.id, plan.created_at);
            let count = match caches.plan_groups.get(&key) {
                Some(n) => n,
                None => {
                    let n = plans::group_count(c, id)?;
                    caches.plan_groups.insert(key, n);
                    n
                }
            };
            let pages = usize::try_from(count)
                .unwrap_or(usize::MAX)
                .div_ceil(PLAN_PAGE_GROUPS)
                .max(1);
            let page = page.clamp(1, pages);
            let offset = ((page - 1) * PLAN_PAGE_GROUPS) as u64;
            let groups = plans::group_page(c, id, offset, PLAN_PAGE_GROUPS as u64)?;
            Ok((plan, count, page, groups))
        })
        .await??;
    let view = PlanView {
        id: plan.id,
        rules: plan.rules,
        status: plan.status,
        remove_count: plan.remove_count,
        bytes_reclaimed: plan.bytes_reclaimed,
        group_count,
        page,
        pages: usize::try_from(group_count)
            .unwrap_or(usize::MAX)
            .div_ceil(PLAN_PAGE_GROUPS)
            .max(1),
        items: groups.iter().flatten().map(item_view).collect(),
    };
    Ok((view, groups))
}

fn item_view(i: &PlanItem) -> PlanItemView {
    PlanItemView {
        id: i.id,
        action: if i.action == Action::Remove {
            "remove"
        } else {
            "keep"
        },
        file: FileView::of(&i.path, i.size, i.modified_ns),
        state: i.state.clone(),
        reason: i.reason.clone(),
    }
}

/// `?page=` of a plan.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Page of groups, from 1 (a page past the last shows the last).
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
}

fn plan_page_no(q: &PlanQuery) -> Result<usize, ApiError> {
    match q.page.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(1),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(ApiError::Invalid("page must be a positive number".into())),
        },
    }
}

/// How an apply runs, from the plan page's form or the API's query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplyChoice {
    /// Then remove the local folders the plan's files left empty (a restore recreates them);
    /// the form's checkbox sends `on`.
    #[serde(default, deserialize_with = "checkbox")]
    #[param(value_type = Option<bool>)]
    pub remove_empty_folders: bool,
}

/// A checkbox or a boolean query value: `on`, `true` or `1` is set; absent, `false`, `0` or
/// empty is not; anything else is refused.
fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = String::deserialize(d)?;
    match v.as_str() {
        "on" | "true" | "1" => Ok(true),
        "" | "false" | "0" => Ok(false),
        _ => Err(serde::de::Error::custom(
            "remove_empty_folders must be true or false",
        )),
    }
}

/// Starts applying plan `id` as a background job and returns its id at once.
async fn start_apply(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    id: i64,
    choice: &ApplyChoice,
) -> Result<i64, ApiError> {
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
    let job = Cleanup::from_ref(state)
        .start_apply(&owner, id, choice.remove_empty_folders)
        .await?;
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
            plans::get(c, &owner, id)?.ok_or(ApiError::NotFound)?;
            // Two index lookups, not a read of every item (a plan may hold 100k).
            let mut providers: Vec<String> = Vec::new();
            for prov in ["gdrive", "onedrive"] {
                if plans::removes_from(c, id, prov)? {
                    providers.push(prov.to_owned());
                }
            }
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

/// `POST /plans`: the rules over every group matching the filter, or over the groups picked on
/// the duplicates page, with the copies chosen there kept; answers with the editable preview.
pub async fn create_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let picks = crate::review::picks::parse(&fields)?;
    let f = RulesForm::of_fields(&fields);
    let mut rules: Vec<String> = Vec::new();
    if !f.reference.trim().is_empty() {
        rules.push(format!("ref:{}", f.reference.trim()));
    }
    rules.extend(
        [f.prefer, f.then]
            .into_iter()
            .filter(|r| !r.is_empty() && r != "none"),
    );
    let id = create(&state, &ctx, &p, rules, f.filter, picks).await?;
    Ok(Redirect::to(&format!("/plans/{id}")).into_response())
}

/// A draft plan from keep rules over the caller's exact duplicate groups (those passing
/// `filter`, or all): nothing moves until it is applied.
#[utoipa::path(post, path = "/api/plans", operation_id = "createPlan", tag = "cleanup", request_body = RulesBody,
    responses((status = 201, description = "The draft plan, first page of groups", body = PlanView),
        (status = 400, description = "The body is not JSON of this shape", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The duplicates changed since the selection was made", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_create(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Json(body): Json<RulesBody>,
) -> Result<Response, ApiError> {
    let filter = body.filter.map(DupesQuery::from).unwrap_or_default();
    let id = create(&state, &ctx, &p, body.rules, filter, Picks::default()).await?;
    Ok((StatusCode::CREATED, Json(load(&state, &p, id, 1).await?.0)).into_response())
}

/// `GET /plans/{id}?page=`: the preview, a page of groups at a time, totals and Apply on top.
pub async fn page_(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
    Query(q): Query<PlanQuery>,
) -> Result<Response, ApiError> {
    let (plan, groups) = load(&state, &p, id, plan_page_no(&q)?).await?;
    let needs_write = needs_write(&state, &p, id).await?;
    let first = (plan.page - 1) * PLAN_PAGE_GROUPS;
    let view = PlanPage {
        needs_write,
        reclaimed: human(plan.bytes_reclaimed),
        groups: groups
            .iter()
            .enumerate()
            .map(|(n, items)| {
                PlanGroupView::of(first + n + 1, items.iter().map(item_view).collect())
            })
            .collect(),
        prev: (plan.page > 1).then(|| format!("/plans/{id}?page={}", plan.page - 1)),
        next: (plan.page < plan.pages).then(|| format!("/plans/{id}?page={}", plan.page + 1)),
        editable: plan.status == "draft",
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

/// One of the caller's plans with a page of its groups (kept copies first in each).
#[utoipa::path(get, path = "/api/plans/{id}", operation_id = "getPlan", tag = "cleanup",
    params(("id" = i64, Path, minimum = 1, description = "Plan id"), PlanQuery),
    responses((status = 200, description = "The plan", body = PlanView)))]
pub async fn api_get(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
    Query(q): Query<PlanQuery>,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(load(&state, &p, id, plan_page_no(&q)?).await?.0))
}

/// Starts applying plan `id` and shows its progress; when a drive it touches is still read-only, first
/// sends the browser to that provider's consent for write access, remembering the plan so the
/// connect callback comes back here and the apply continues by itself.
pub async fn apply_or_consent(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    id: i64,
    choice: &ApplyChoice,
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
            .await
            .map_err(|e| connections::failed(&e))?;
        return Ok(Redirect::to(&url).into_response());
    }
    let job = start_apply(state, ctx, p, id, choice).await?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

/// `POST /plans/{id}/apply`: then the job's progress page (via write consent when needed).
pub async fn apply_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
    Form(choice): Form<ApplyChoice>,
) -> Result<Response, ApiError> {
    apply_or_consent(&state, &ctx, &p, id, &choice).await
}

/// Starts moving the plan's removals to the trash in the background (each file checked again
/// first; a group never loses its last copy).
#[utoipa::path(post, path = "/api/plans/{id}/apply", operation_id = "applyPlan", tag = "cleanup",
    params(("id" = i64, Path, minimum = 1, description = "Plan id"), ApplyChoice),
    responses((status = 202, description = "Started; poll the job",
            headers(("Location" = String, description = "The job's status URL")),
            body = super::jobs::JobStarted),
        (status = 409, description = "Already applied or applying, another apply of this \
            account is running, or a drive it touches is still read-only", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_apply(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
    Query(choice): Query<ApplyChoice>,
) -> Result<Response, ApiError> {
    Ok(super::jobs::accepted(
        start_apply(&state, &ctx, &p, id, &choice).await?,
    ))
}
