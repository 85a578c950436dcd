//! The URL shortener: `POST /s` (rate limit and proof of work as for pastes), `GET /s/{id}`
//! (a redirect; the target is never fetched), `GET /s` (one's own), `DELETE /s/{id}` (owner,
//! admin or the anonymous creator's delete token).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use paste_api::headers;
use paste_api::{Deleted, ShortUrlList};
use paste_core::id::{DeleteToken, PasteId, delete_token_matches};
use paste_core::now_unix;
use paste_core::short_url;
use paste_core::store::ShortUrl;
use platform::extract::Query;
use serde::Deserialize;

use super::body::read_limited;
use super::create::header_checked;
use crate::error::{ApiError, problem};
use crate::identity::{ClientAddr, Identity};
use crate::metrics::Rejection;
use crate::state::AppState;

/// Largest page of `GET /s`.
const MAX_LIMIT: u32 = 200;

fn short_path(prefix: &str, id: &str) -> String {
    format!("{prefix}/s/{id}")
}

fn not_found() -> ApiError {
    problem(
        StatusCode::NOT_FOUND,
        "short_url_not_found",
        "Short URL not found",
    )
}

fn describe(prefix: &str, s: &ShortUrl) -> paste_api::ShortUrl {
    paste_api::ShortUrl {
        id: s.id.clone(),
        url: short_path(prefix, &s.id),
        target_url: s.target.clone(),
        created_at: s.created_at,
        expires_at: s.expires_at,
        owner: s.owner.clone(),
        delete_token: None,
    }
}

/// `POST /s`: the target as the raw body, or JSON `{"url": "..."}`.
#[utoipa::path(
    post,
    path = "/s",
    operation_id = "createShortUrl",
    tag = "short",
    params(crate::openapi::params::ShortenHeaders),
    request_body(
        description = "The target URL, raw or as JSON `{\"url\": ...}`",
        content(
            (String = "text/plain"),
            (crate::openapi::bodies::ShortenJson = "application/json"),
        )
    ),
    responses(
        (status = 201, description = "Created", body = paste_api::ShortUrl,
            headers(
                ("Location" = String, description = "Path of the redirect"),
                ("X-RateLimit-Limit" = u64, description = "Creations allowed per minute for this address (when rate limiting is on)"),
                ("X-RateLimit-Remaining" = u64, description = "Creations left in this window"),
                ("X-RateLimit-Reset" = u64, description = "Unix seconds at which the window starts afresh"),
            ),
            links(
                ("followShortUrl" = (operation_id = "followShortUrl", parameters(("id" = "$response.body#/id")))),
                ("deleteShortUrl" = (operation_id = "deleteShortUrl", parameters(("id" = "$response.body#/id")))),
            )
        ),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 408, response = crate::openapi::problems::Problem408),
        (status = 413, response = crate::openapi::problems::Problem413),
        (status = 429, response = crate::openapi::problems::Problem429),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    identity: Identity,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let cfg = &state.config;
    let now = now_unix();
    let quota = state
        .rate
        .as_ref()
        .map(|q| q.check_at(ip, identity.fingerprint().is_some(), now));
    if let Some(standing) = quota.filter(|s| !s.allowed) {
        state.metrics.rejected(Rejection::RateLimit);
        return Ok(crate::error::rate_limited(standing, now));
    }
    if state.pow.enabled() {
        let token = header_checked(&headers, headers::POW_TOKEN)?;
        let solution = header_checked(&headers, headers::POW_SOLUTION)?;
        if let Err(e) = state.pow.verify(token, solution, now) {
            state.metrics.rejected(Rejection::Pow);
            return Err(e.into());
        }
    }
    // JSON framing around the longest URL, and not a byte more.
    let raw = read_limited(body, cfg.short_url_max as u64 + 1024).await?;
    let target = target_of(&headers, &raw)?;
    let target = short_url::validate(&target, cfg.short_url_max).map_err(|e| {
        let status = match e {
            short_url::TargetError::TooLong(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        problem(status, "invalid_url", e.to_string())
    })?;
    let owner = identity.fingerprint().map(str::to_owned);
    let lifetime = cfg
        .expiry_policy()
        .lifetime(
            header_checked(&headers, headers::EXPIRY)?,
            identity.expiry_tier(),
        )
        .map_err(|e| problem(StatusCode::BAD_REQUEST, "invalid_expiry", e.to_string()))?;
    let id = PasteId::generate().map_err(|e| ApiError::Internal(e.to_string()))?;
    let token = match owner {
        None => Some(DeleteToken::generate().map_err(|e| ApiError::Internal(e.to_string()))?),
        Some(_) => None,
    };
    let short = ShortUrl {
        id: id.to_string(),
        target,
        owner,
        created_at: now,
        expires_at: Some(now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX))),
        delete_token_hash: token.as_ref().map(DeleteToken::digest),
    };
    state.store.create_short(short.clone()).await?;
    state.pow.record_creation(now);
    state.metrics.short_created.inc();
    let mut body = describe(&cfg.url_prefix, &short);
    if let Some(token) = token {
        body.delete_token = Some(token.reveal().to_owned());
    }
    let location = short_path(&cfg.url_prefix, &short.id);
    let mut res = (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response();
    if let Some(standing) = quota {
        standing.apply(res.headers_mut());
    }
    Ok(res)
}

fn target_of(headers: &HeaderMap, raw: &Bytes) -> Result<String, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        #[derive(Deserialize)]
        struct Body {
            url: String,
        }
        return serde_json::from_slice::<Body>(raw)
            .map(|b| b.url)
            .map_err(|_| {
                problem(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    "A JSON body must be an object with a \"url\" string",
                )
            });
    }
    String::from_utf8(raw.to_vec())
        .map_err(|_| problem(StatusCode::BAD_REQUEST, "invalid_url", "Not a valid URL"))
}

/// `GET /s/{id}`: 302 to the target.
#[utoipa::path(
    get,
    path = "/s/{id}",
    operation_id = "followShortUrl",
    tag = "short",
    params(crate::openapi::params::IdPath),
    responses(
        (status = 302, description = "Redirect to the target",
            headers(
                ("Location" = String, description = "The target URL"),
                ("Referrer-Policy" = String, description = "`no-referrer`"),
                ("Cache-Control" = String, description = "`no-store`"),
            )
        ),
        (status = 404, response = crate::openapi::problems::Problem404),
    )
)]
pub async fn redirect(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: PasteId = id.parse().map_err(|_| not_found())?;
    let short = state
        .store
        .short(id.as_str(), now_unix())
        .await?
        .ok_or_else(not_found)?;
    let location = HeaderValue::from_str(&short.target)
        .map_err(|_| ApiError::Internal("stored target is not a header value".into()))?;
    state.metrics.short_redirects.inc();
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

/// Query of `GET /s`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// Items to skip.
    offset: Option<u32>,
}

/// `GET /s`: one's own short URLs, newest first.
#[utoipa::path(
    get,
    path = "/s",
    operation_id = "listShortUrls",
    tag = "short",
    params(ListQuery),
    responses(
        (status = 200, description = "The caller's short URLs, newest first", body = paste_api::ShortUrlList),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    Query(q): Query<ListQuery>,
) -> Result<Json<ShortUrlList>, ApiError> {
    let Some(me) = identity.fingerprint() else {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "authentication_required",
            "Listing short URLs requires a client certificate",
        ));
    };
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let offset = q.offset.unwrap_or(0);
    let (rows, total) = state
        .store
        .shorts_by_owner(me, now_unix(), limit, offset)
        .await?;
    let prefix = &state.config.url_prefix;
    let urls: Vec<_> = rows.iter().map(|s| describe(prefix, s)).collect();
    Ok(Json(ShortUrlList {
        count: urls.len(),
        urls,
        total,
        limit,
        offset,
    }))
}

/// `DELETE /s/{id}`.
#[utoipa::path(
    delete,
    path = "/s/{id}",
    operation_id = "deleteShortUrl",
    tag = "short",
    params(crate::openapi::params::IdPath, crate::openapi::params::DeleteHeaders),
    responses(
        (status = 200, description = "Deleted", body = paste_api::Deleted),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    identity: Identity,
    headers: HeaderMap,
) -> Result<Json<Deleted>, ApiError> {
    let token = super::delete::delete_credentials(&headers, &identity, "the short URL's")?;
    let id: PasteId = id.parse().map_err(|_| not_found())?;
    let short = state
        .store
        .short(id.as_str(), now_unix())
        .await?
        .ok_or_else(not_found)?;
    let by_token = token.is_some_and(|t| {
        short
            .delete_token_hash
            .as_deref()
            .is_some_and(|stored| delete_token_matches(stored, t))
    });
    let by_owner = short.owner.is_some() && identity.fingerprint() == short.owner.as_deref();
    if !(by_token || by_owner || identity.is_admin()) {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "not_owner",
            "Only the short URL's owner, an admin, or its delete token may delete it",
        ));
    }
    if state.store.delete_short(id.as_str()).await? {
        state.metrics.short_deleted.inc();
    }
    Ok(Json(Deleted {
        message: "Short URL deleted".into(),
        id: id.to_string(),
    }))
}
