//! `POST /`: create a paste, after every policy check, cheapest first.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use paste_api::{PasteCreated, headers};
use paste_core::id::{DeleteToken, PasteId};
use paste_core::store::{Content, CreateGuards, Dedup, DedupPolicy, NewPaste};
use platform::Problem;

use super::paste_path;
use crate::error::{ApiError, problem};
use crate::identity::{ClientAddr, Identity};
use crate::metrics::Rejection;
use crate::scanner::{Target, Verdict};
use crate::state::AppState;

/// Creates a paste from a raw body or a JSON `{"content": "..."}`.
#[utoipa::path(
    post,
    path = "/",
    operation_id = "createPaste",
    tag = "pastes",
    params(crate::openapi::params::CreateHeaders),
    request_body(
        description = "The content, raw (any type; the server sniffs it), or JSON `{\"content\": ...}`",
        content(
            (String = "text/plain"),
            ([u8] = "application/octet-stream"),
            (crate::openapi::bodies::PasteJson = "application/json"),
        )
    ),
    responses(
        (status = 201, description = "Created", body = paste_api::PasteCreated,
            headers(
                ("Location" = String, description = "Path of the paste's metadata"),
                ("X-Quota-Remaining-Bytes" = u64, description = "Bytes left in the caller's quota (absent when unlimited)"),
                ("X-Quota-Remaining-Pastes" = u64, description = "Pastes left in the caller's quota (absent when unlimited)"),
                ("X-Quota-Reset" = u64, description = "Anonymous callers: Unix seconds at which the daily quota starts afresh"),
                ("X-RateLimit-Limit" = u64, description = "Creations allowed per minute for this address (when rate limiting is on)"),
                ("X-RateLimit-Remaining" = u64, description = "Creations left in this window"),
                ("X-RateLimit-Reset" = u64, description = "Unix seconds at which the window starts afresh"),
            ),
            links(
                ("getPaste" = (operation_id = "getPaste", parameters(("id" = "$response.body#/id")))),
                ("getRawPaste" = (operation_id = "getRawPaste", parameters(("id" = "$response.body#/id")))),
                ("updatePaste" = (operation_id = "updatePaste", parameters(("id" = "$response.body#/id")))),
                ("deletePaste" = (operation_id = "deletePaste", parameters(("id" = "$response.body#/id")))),
            )
        ),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 408, response = crate::openapi::problems::Problem408),
        (status = 413, response = crate::openapi::problems::Problem413),
        (status = 422, response = crate::openapi::problems::Problem422),
        (status = 429, response = crate::openapi::problems::Problem429),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    identity: Identity,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let cfg = &state.config;
    let now = state.config.clock.now();
    if cfg.require_identity && identity.fingerprint().is_none() {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "identity_required",
            "This server accepts pastes only from clients with a certificate; reading needs none",
        ));
    }
    let rate = state
        .rate
        .as_ref()
        .map(|q| q.check_at(ip, identity.fingerprint().is_some(), now));
    if let Some(standing) = rate.filter(|s| !s.allowed) {
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
    let owner = identity.fingerprint().map(str::to_owned);
    let limit = if owner.is_some() {
        cfg.max_auth
    } else {
        cfg.max_anon
    };
    let received = crate::upload::receive(&state, &headers, body, limit).await?;
    let (content, facts) = (&received.upload.content, &received.upload.facts);
    if content.is_empty() || facts.len < cfg.min_size {
        state.metrics.rejected(Rejection::Size);
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "content_too_small",
            format!("Content must be at least {} bytes", cfg.min_size.max(1)),
        ));
    }
    let entropy = check_entropy(&state, facts.entropy, facts.len)?;
    let mime_type = facts.mime.clone();
    let target = match content {
        Content::Memory(bytes) => Target::Bytes(bytes),
        Content::Spooled { file, .. } => Target::File(file),
    };
    let scan = scan(&state, target, entropy, &mime_type).await?;

    let expiry = cfg
        .expiry_policy()
        .lifetime(
            header_checked(&headers, headers::EXPIRY)?,
            identity.expiry_tier(),
        )
        .map_err(|e| problem(StatusCode::BAD_REQUEST, "invalid_expiry", e.to_string()))?;
    let burn = parse_bool(header_checked(&headers, headers::BURN_AFTER_READ)?)?;
    let read_limit = super::read_limits::requested(&headers, burn, cfg)?;
    let quota = crate::quota::for_caller(cfg, &identity, ip, now);
    let password_hash = match header_checked(&headers, headers::PASTE_PASSWORD)? {
        None => None,
        Some(pw) => Some(hash_password(&state, pw.to_owned()).await?),
    };

    let id = PasteId::generate().map_err(|e| ApiError::Internal(e.to_string()))?;
    let token = match owner {
        None => Some(DeleteToken::generate().map_err(|e| ApiError::Internal(e.to_string()))?),
        Some(_) => None,
    };
    let size = facts.len;
    let expires_at = now.saturating_add(i64::try_from(expiry).unwrap_or(i64::MAX));
    let display_name = display_name(&headers)?;
    let new = NewPaste {
        id: id.to_string(),
        sha256: facts.sha256,
        content: received.upload.content,
        mime_type: mime_type.clone(),
        owner: owner.clone(),
        created_at: now,
        expires_at: Some(expires_at),
        burn_after_read: read_limit.is_some(),
        password_hash: password_hash.clone(),
        delete_token_hash: token.as_ref().map(DeleteToken::digest),
        scan,
        display_name: display_name.clone(),
    };
    let dedup = DedupPolicy {
        window_secs: i64::try_from(cfg.dedup_window).unwrap_or(i64::MAX),
        max: cfg.dedup_max,
    };
    let guards = CreateGuards {
        read_limit,
        quota: quota.clone(),
    };
    let created = state.store.create_guarded(new, dedup, guards).await?;
    // Stored or refused, the upload's bytes are no longer held.
    drop(received.holds);
    match created.outcome {
        Dedup::Stored => {}
        Dedup::Throttled { retry_after, count } => {
            state.metrics.rejected(Rejection::Dedup);
            // `count` and `window_seconds` are the original's members; scripts read them.
            return Err(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "duplicate_content",
                "This content was submitted too many times recently",
            )
            .with("count", count)
            .with("window_seconds", cfg.dedup_window)
            .retry_after(retry_after)
            .into());
        }
        Dedup::OverQuota => {
            state.metrics.rejected(Rejection::Quota);
            let (quota, used) = quota
                .zip(created.usage)
                .ok_or_else(|| ApiError::Internal("quota refusal without a quota".into()))?;
            return Err(crate::quota::exceeded(&quota, used, size, now));
        }
    }
    state.pow.record_creation(now);
    state.metrics.created();
    state.webhooks.notify();

    let url = paste_path(&cfg.url_prefix, id.as_str());
    let body = PasteCreated {
        id: id.to_string(),
        raw: format!("{url}/raw"),
        url: url.clone(),
        mime_type,
        created_at: now,
        expires_at: Some(expires_at),
        owner,
        burn_after_read: read_limit.and_then(|l| (l.max_views == 1).then_some(true)),
        password_protected: password_hash.is_some().then_some(true),
        delete_token: token.map(|t| t.reveal().to_owned()),
        max_views: read_limit.map(|l| l.max_views),
        burn_confirm: read_limit.and_then(|l| l.confirm.then_some(true)),
        display_name,
    };
    let mut res = (StatusCode::CREATED, [(header::LOCATION, url)], Json(body)).into_response();
    if let (Some(quota), Some(used)) = (&quota, created.usage) {
        crate::quota::add_headers(res.headers_mut(), quota, used);
    }
    if let Some(standing) = rate {
        standing.apply(res.headers_mut());
    }
    Ok(res)
}

/// `X-Display-Name`: `None` when absent or empty; a 400 when too long, not UTF-8, or holding
/// control characters.
pub fn display_name_header(headers: &HeaderMap) -> Result<Option<Option<String>>, ApiError> {
    let Some(value) = headers.get(headers::DISPLAY_NAME) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(value.as_bytes()).map_err(|_| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_display_name",
            "X-Display-Name must be UTF-8 text",
        )
    })?;
    paste_core::display_name::parse(text)
        .map(Some)
        .map_err(|e| {
            problem(
                StatusCode::BAD_REQUEST,
                "invalid_display_name",
                e.to_string(),
            )
        })
}

fn display_name(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    Ok(display_name_header(headers)?.flatten())
}

/// The header's value when it is present and valid text.
fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The header's value; a present header that is not visible ASCII is a 400, never ignored.
pub fn header_checked<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| malformed_header(name)),
    }
}

/// The 400 for a header that is not printable ASCII.
pub fn malformed_header(name: &str) -> ApiError {
    problem(
        StatusCode::BAD_REQUEST,
        "malformed_header",
        format!("Header {name} must be printable ASCII"),
    )
}

pub fn parse_bool(v: Option<&str>) -> Result<bool, ApiError> {
    match v.map(headers::parse_flag) {
        None | Some(Some(false)) => Ok(false),
        Some(Some(true)) => Ok(true),
        Some(None) => Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_burn_after_read",
            "X-Burn-After-Read must be true or false (1/0 and yes/no are accepted too)",
        )),
    }
}

pub fn unwrap_json(headers: &HeaderMap, raw: Bytes) -> Result<Bytes, ApiError> {
    let is_json = header_str(headers, header::CONTENT_TYPE.as_str())
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Ok(raw);
    }
    #[derive(serde::Deserialize)]
    struct JsonPaste {
        content: String,
    }
    serde_json::from_slice::<JsonPaste>(&raw)
        .map(|j| Bytes::from(j.content))
        .map_err(|_| {
            problem(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "A JSON body must be an object with a \"content\" string",
            )
        })
}

/// Enforces the entropy minimum on content of `len` bytes; returns the entropy for later checks.
pub fn check_entropy(state: &AppState, entropy: f64, len: u64) -> Result<f64, ApiError> {
    let cfg = &state.config;
    if cfg.min_entropy <= 0.0 || len < cfg.min_entropy_size || entropy >= cfg.min_entropy {
        return Ok(entropy);
    }
    state.metrics.rejected(Rejection::Entropy);
    let rounded = (entropy * 100.0).round() / 100.0;
    Err(Problem::new(
        StatusCode::BAD_REQUEST,
        "entropy_too_low",
        format!(
            "Content entropy {rounded} bits/byte is below the required {} bits/byte",
            cfg.min_entropy
        ),
    )
    .with("entropy", rounded)
    .with("min_entropy", cfg.min_entropy)
    .with(
        "hint",
        "This server only accepts encrypted content: upload with `fpaste` (it encrypts by default), \
         which sends raw ciphertext (base64 text stays below 6 bits/byte).",
    )
    .into())
}

/// Scans when a scanner is configured: infected uploads are refused, and so is everything when
/// the scanner cannot answer (fail closed).
pub async fn scan(
    state: &AppState,
    content: Target<'_>,
    entropy: f64,
    mime: &str,
) -> Result<Option<String>, ApiError> {
    let Some(scanner) = &state.config.scanner else {
        return Ok(None);
    };
    match scanner.scan(content, entropy, mime).await {
        Ok(Verdict::Infected(signature)) => {
            state.metrics.rejected(Rejection::Scan);
            tracing::warn!(signature, "refused an infected upload");
            Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "malware_detected",
                format!("Upload refused: malware detected ({signature})"),
            )
            .into())
        }
        Ok(verdict) => Ok(Some(verdict.label())),
        Err(error) => {
            state.metrics.rejected(Rejection::Scan);
            Err(Problem::unavailable(error).into())
        }
    }
}

pub async fn hash_password(state: &AppState, password: String) -> Result<String, ApiError> {
    paste_core::password::validate(&password)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, "invalid_password", e.to_string()))?;
    let _permit = state
        .hashing
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || paste_core::password::hash(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))
}
