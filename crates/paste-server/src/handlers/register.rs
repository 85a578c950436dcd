//! Public registration: `GET /register/challenge` (a proof of work of its own, harder than a
//! paste's), `POST /register` (a new key and certificate as a PKCS#12 bundle) and `POST /csr`
//! (a certificate for the client's own key, which never leaves it). Both pass the per-address
//! creation limit and the registration proof of work; both are audit-logged as issues.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use paste_api::pki::{self as wire, NameRequest};
use paste_api::{Challenge, headers};

use super::body::read_limited;
use super::create::header_checked;
use super::pki::{MAX_JSON_BYTES, enabled, json_body};
use crate::error::{ApiError, problem};
use crate::identity::ClientAddr;
use crate::metrics::Rejection;
use crate::pki::{Issued, KeySource, bundle, certs};
use crate::state::AppState;

/// Largest CSR accepted, bytes of PEM (an RSA-4096 CSR is under 2 KiB).
pub const MAX_CSR_BYTES: u64 = 16 * 1024;

/// `GET /register/challenge`: the challenge `/register` and `/csr` want, at
/// `FLASKPASTE_REGISTER_POW` bits (`{enabled:false, difficulty:0}` at 0).
#[utoipa::path(
    get,
    path = "/register/challenge",
    operation_id = "getRegisterChallenge",
    tag = "pki",
    responses(
        (status = 200, description = "A signed proof-of-work challenge for `/register` and `/csr`, or `enabled: false`", body = paste_api::Challenge),
        (status = 404, response = crate::openapi::problems::Problem404),
    )
)]
pub async fn challenge(State(state): State<AppState>) -> Result<Json<Challenge>, ApiError> {
    enabled(&state)?
        .register_pow()
        .issue(state.config.clock.now())
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The rate limit and the registration proof of work; `Some(response)` is the refusal.
fn refusal(state: &AppState, ip: std::net::IpAddr, headers: &HeaderMap) -> Option<Response> {
    let now = state.config.clock.now();
    if let Some(standing) = state
        .rate
        .as_ref()
        .map(|q| q.check_at(ip, false, now))
        .filter(|s| !s.allowed)
    {
        state.metrics.rejected(Rejection::RateLimit);
        return Some(crate::error::rate_limited(standing, now));
    }
    let pow = state.pki.as_ref()?.register_pow();
    if !pow.enabled() {
        return None;
    }
    let checked = header_checked(headers, headers::POW_TOKEN)
        .and_then(|t| Ok((t, header_checked(headers, headers::POW_SOLUTION)?)));
    match checked {
        Err(e) => Some(e.into_response()),
        Ok((token, solution)) => pow.verify(token, solution, now).err().map(|e| {
            state.metrics.rejected(Rejection::Pow);
            ApiError::from(e).into_response()
        }),
    }
}

fn certificate_headers(issued: &Issued) -> Result<[(HeaderName, HeaderValue); 4], ApiError> {
    let value = |s: String| {
        HeaderValue::try_from(s).map_err(|e| ApiError::Internal(format!("header value: {e}")))
    };
    Ok([
        (
            HeaderName::from_static(wire::FINGERPRINT_SHA1),
            value(issued.cert.fingerprint.clone())?,
        ),
        (
            HeaderName::from_static(wire::CERTIFICATE_EXPIRES),
            value(issued.cert.expires_at.to_string())?,
        ),
        (
            HeaderName::from_static(wire::CERTIFICATE_SERIAL),
            value(issued.cert.serial.clone())?,
        ),
        (
            HeaderName::from_static(wire::IS_ADMIN),
            HeaderValue::from_static(if issued.cert.is_admin { "1" } else { "0" }),
        ),
    ])
}

/// `POST /register`: optional `{"common_name": ...}` → 200, a PKCS#12 bundle (empty
/// password) with the new key, its certificate and the CA; `X-Is-Admin` and the certificate
/// headers of `/csr`.
#[utoipa::path(
    post,
    path = "/register",
    operation_id = "register",
    tag = "pki",
    params(crate::openapi::params::RegisterHeaders),
    request_body(
        description = "Optional: the certificate's common name (an empty body takes `fpaste-<random>`)",
        content = Option<paste_api::pki::NameRequest>,
        content_type = "application/json",
    ),
    responses(
        (status = 200, description = "A PKCS#12 bundle (empty password) with a new private key, its certificate and the CA",
            content_type = "application/x-pkcs12", body = [u8],
            headers(
                ("X-Fingerprint-SHA1" = String, description = "SHA-1 fingerprint of the new certificate: the identity it grants"),
                ("X-Certificate-Expires" = i64, description = "notAfter of the new certificate, Unix seconds"),
                ("X-Certificate-Serial" = String, description = "Serial of the new certificate, lowercase hex (what `POST /pki/revoke` takes)"),
                ("X-Is-Admin" = String, description = "`1` when the certificate has admin rights, else `0`"),
                ("Content-Disposition" = String, description = "An attachment with a file name"),
                ("Cache-Control" = String, description = "`no-store`: the bundle holds a private key"),
            )
        ),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
        (status = 408, response = crate::openapi::problems::Problem408),
        (status = 413, response = crate::openapi::problems::Problem413),
        (status = 429, response = crate::openapi::problems::Problem429),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let pki = enabled(&state)?.clone();
    if let Some(refused) = refusal(&state, ip, &headers) {
        return Ok(refused);
    }
    let req: NameRequest = json_body(&read_limited(body, MAX_JSON_BYTES).await?, true)?;
    let cn = match req.common_name {
        Some(cn) => cn,
        None => format!(
            "fpaste-{}",
            paste_core::id::random_hex::<4>().map_err(|e| ApiError::Internal(e.to_string()))?
        ),
    };
    let issued = pki
        .issue(&cn, "register", false, KeySource::Generate)
        .await?;
    let ca = pki
        .ca()
        .ok_or_else(|| ApiError::Internal("CA vanished after issuing".into()))?;
    let key = issued
        .key_pkcs8
        .clone()
        .ok_or_else(|| ApiError::Internal("generated key missing".into()))?;
    let (leaf, ca_der, alias) = (
        issued.der.clone(),
        ca.authority.cert_der.to_vec(),
        issued.cert.common_name.clone(),
    );
    let serial = issued.cert.serial.clone();
    let p12 = tokio::task::spawn_blocking(move || {
        bundle::pkcs12(&alias, &key, &leaf, &ca_der, serial.as_bytes())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(format!("PKCS#12: {e}")))?;
    let mut res = (
        certificate_headers(&issued)?,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(wire::PKCS12_TYPE),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"client.p12\""),
            ),
        ],
        p12,
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `POST /csr`: a PEM CSR (`application/x-pem-file`, at most 16 KiB) → 200, the certificate
/// as PEM with `X-Fingerprint-SHA1`, `X-Certificate-Expires`, `X-Certificate-Serial` and
/// `X-Is-Admin`. Only the CSR's public key and common name are used.
#[utoipa::path(
    post,
    path = "/csr",
    operation_id = "signCsr",
    tag = "pki",
    params(crate::openapi::params::RegisterHeaders),
    request_body(
        description = "A PKCS#10 certificate signing request, PEM (at most 16 KiB); only its public key and common name are used",
        content = String,
        content_type = "application/x-pem-file",
    ),
    responses(
        (status = 200, description = "The certificate for the CSR's key, PEM",
            content_type = "application/x-pem-file", body = String,
            headers(
                ("X-Fingerprint-SHA1" = String, description = "SHA-1 fingerprint of the new certificate: the identity it grants"),
                ("X-Certificate-Expires" = i64, description = "notAfter of the new certificate, Unix seconds"),
                ("X-Certificate-Serial" = String, description = "Serial of the new certificate, lowercase hex (what `POST /pki/revoke` takes)"),
                ("X-Is-Admin" = String, description = "`1` when the certificate has admin rights, else `0`"),
                ("Content-Disposition" = String, description = "An attachment with a file name"),
            )
        ),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
        (status = 408, response = crate::openapi::problems::Problem408),
        (status = 413, response = crate::openapi::problems::Problem413),
        (status = 429, response = crate::openapi::problems::Problem429),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn csr(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let pki = enabled(&state)?.clone();
    if let Some(refused) = refusal(&state, ip, &headers) {
        return Ok(refused);
    }
    let raw = read_limited(body, MAX_CSR_BYTES).await?;
    let text = std::str::from_utf8(&raw).map_err(|_| invalid_csr("the CSR is not PEM text"))?;
    let (cn, public) = certs::parse_csr(text).map_err(|e| match e {
        certs::CertError::CommonName => invalid_csr(
            "the CSR needs a common name of 1 to 64 characters without control characters",
        ),
        other => invalid_csr(&format!("the CSR was refused: {other}")),
    })?;
    let issued = pki.issue(&cn, "csr", false, KeySource::Csr(public)).await?;
    Ok((
        certificate_headers(&issued)?,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(wire::PEM_TYPE),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"client.crt\""),
            ),
        ],
        issued.pem,
    )
        .into_response())
}

fn invalid_csr(detail: &str) -> ApiError {
    problem(StatusCode::BAD_REQUEST, "invalid_csr", detail.to_owned())
}
