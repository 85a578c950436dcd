//! The built-in PKI's endpoints: status, the CA certificate and CRL (public), creating the CA,
//! and issuing and revoking certificates (admins). Every change is an audit log line.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use paste_api::pki::{
    self as wire, IssueRequest, IssuedCertificate, NameRequest, PkiStatus, RevokeRequest, Revoked,
};
use serde::de::DeserializeOwned;

use super::admin::Admin;
use super::body::read_limited;
use crate::error::{ApiError, problem};
use crate::identity::Identity;
use crate::pki::certs::CertError;
use crate::pki::{KeySource, Pki, PkiError};
use crate::state::AppState;

/// Largest JSON body of a PKI request; names are at most 64 characters.
pub const MAX_JSON_BYTES: u64 = 4096;

/// The PKI, or 404 when it is not enabled.
pub fn enabled(state: &AppState) -> Result<&Arc<Pki>, ApiError> {
    state.pki.as_ref().ok_or_else(|| {
        problem(
            StatusCode::NOT_FOUND,
            "pki_disabled",
            "The PKI is not enabled on this server",
        )
    })
}

impl From<PkiError> for ApiError {
    fn from(e: PkiError) -> Self {
        match e {
            PkiError::Store(e) => Self::Store(e),
            PkiError::Cert(CertError::CommonName) => problem(
                StatusCode::BAD_REQUEST,
                "invalid_common_name",
                CertError::CommonName.to_string(),
            ),
            PkiError::CaExists => problem(
                StatusCode::CONFLICT,
                "ca_exists",
                "The certificate authority exists already",
            ),
            PkiError::UnknownSerial => problem(
                StatusCode::NOT_FOUND,
                "certificate_not_found",
                "No certificate with this serial",
            ),
            PkiError::AlreadyRevoked => problem(
                StatusCode::CONFLICT,
                "already_revoked",
                "The certificate is already revoked",
            ),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Parses a small JSON body; an empty body is `T::default()` when `optional`.
pub fn json_body<T: DeserializeOwned + Default>(
    raw: &Bytes,
    optional: bool,
) -> Result<T, ApiError> {
    if optional && raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(raw).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("Invalid JSON body: {e}"),
        )
    })
}

fn pem(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(wire::PEM_TYPE),
        )],
        body,
    )
        .into_response()
}

/// `GET /pki/status`: `{enabled:false}` when the PKI is off.
#[utoipa::path(
    get,
    path = "/pki/status",
    operation_id = "getPkiStatus",
    tag = "pki",
    responses(
        (status = 200, description = "Whether the PKI is enabled, its CA and its counts (`enabled: false` and nothing else of use when it is off)", body = paste_api::pki::PkiStatus),
    )
)]
pub async fn status(State(state): State<AppState>) -> Json<PkiStatus> {
    let Some(pki) = state.pki.as_ref() else {
        return Json(PkiStatus {
            enabled: false,
            ca_exists: false,
            common_name: None,
            fingerprint_sha1: None,
            created_at: None,
            expires_at: None,
            issued: 0,
            revoked: 0,
            cert_days: 0,
            download: None,
            crl: None,
        });
    };
    let p = &state.config.url_prefix;
    let ca = pki.ca();
    let (issued, revoked) = pki.counts();
    Json(PkiStatus {
        enabled: true,
        ca_exists: ca.is_some(),
        common_name: ca.as_ref().map(|c| c.stored.common_name.clone()),
        fingerprint_sha1: ca.as_ref().map(|c| c.stored.fingerprint.clone()),
        created_at: ca.as_ref().map(|c| c.stored.created_at),
        expires_at: ca.as_ref().map(|c| c.stored.expires_at),
        issued: issued as u64,
        revoked: revoked as u64,
        cert_days: pki.cert_days(),
        download: ca.as_ref().map(|_| format!("{p}{}", wire::CA_CERT_PATH)),
        crl: ca.as_ref().map(|_| format!("{p}{}", wire::CRL_PATH)),
    })
}

fn no_ca() -> ApiError {
    problem(
        StatusCode::NOT_FOUND,
        "ca_not_found",
        "No certificate authority has been created yet",
    )
}

/// `GET /pki/ca.crt`: the CA certificate, PEM.
#[utoipa::path(
    get,
    path = "/pki/ca.crt",
    operation_id = "getPkiCaCertificate",
    tag = "pki",
    responses(
        (status = 200, description = "The CA certificate, PEM (`-----BEGIN CERTIFICATE-----`)",
            content_type = "application/x-pem-file", body = String),
        (status = 404, response = crate::openapi::problems::Problem404),
    )
)]
pub async fn ca_cert(State(state): State<AppState>) -> Result<Response, ApiError> {
    let ca = enabled(&state)?.ca().ok_or_else(no_ca)?;
    Ok(pem(ca.authority.cert_pem.clone()))
}

/// `GET /pki/crl`: the revocation list, PEM (`-----BEGIN X509 CRL-----`), for nginx's
/// `ssl_crl`.
#[utoipa::path(
    get,
    path = "/pki/crl",
    operation_id = "getPkiCrl",
    tag = "pki",
    responses(
        (status = 200, description = "The certificate revocation list, PEM (`-----BEGIN X509 CRL-----`)",
            content_type = "application/x-pem-file", body = String),
        (status = 404, response = crate::openapi::problems::Problem404),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn crl(State(state): State<AppState>) -> Result<Response, ApiError> {
    let crl = enabled(&state)?.crl().await?.ok_or_else(no_ca)?;
    Ok(pem(crl.pem.clone()))
}

/// `POST /pki/ca`: creates the CA (optional `{"common_name": ...}`). Admins only, except
/// while nobody is admin yet (no `FLASKPASTE_ADMINS`, no admin certificate issued), when the
/// first registration would create it anyway, and for a process on this host talking to
/// fpasted directly (loopback, no forwarding header, as for `/metrics`): the deployment's
/// CRL job, which needs the CA before nginx can verify anyone.
#[utoipa::path(
    post,
    path = "/pki/ca",
    operation_id = "createPkiCa",
    tag = "pki",
    request_body(
        description = "Optional: the CA's common name (an empty body takes the default)",
        content = Option<paste_api::pki::NameRequest>,
        content_type = "application/json",
    ),
    responses(
        (status = 201, description = "The certificate authority was created", body = crate::openapi::bodies::CaCreated),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
        (status = 408, response = crate::openapi::problems::Problem408),
        (status = 409, response = crate::openapi::problems::Problem409),
        (status = 413, response = crate::openapi::problems::Problem413),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn create_ca(
    State(state): State<AppState>,
    identity: Identity,
    conn: Option<axum::Extension<platform::serve::ConnInfo>>,
    headers: http::HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let pki = enabled(&state)?;
    let nobody_admin = state.config.admins.is_empty() && !pki.has_admin();
    let forwarded = super::ops::FORWARDING_HEADERS
        .iter()
        .any(|h| headers.contains_key(*h));
    let local = !forwarded && conn.is_some_and(|c| c.peer.ip().is_loopback());
    let actor = if local && identity.fingerprint().is_none() {
        "local".to_owned()
    } else if nobody_admin {
        identity
            .fingerprint()
            .map_or("anonymous", |f| &f[..8])
            .to_owned()
    } else {
        Admin::require(&identity)?.actor().to_owned()
    };
    let req: NameRequest = json_body(&read_limited(body, MAX_JSON_BYTES).await?, true)?;
    let ca = pki.create_ca(req.common_name).await?;
    tracing::info!(target: "audit", actor, action = "pki.create_ca", "PKI CA created on request");
    let p = &state.config.url_prefix;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "common_name": ca.stored.common_name,
            "fingerprint_sha1": ca.stored.fingerprint,
            "created_at": ca.stored.created_at,
            "expires_at": ca.stored.expires_at,
            "download": format!("{p}{}", wire::CA_CERT_PATH),
        })),
    )
        .into_response())
}

/// `POST /pki/issue` (admins): `{"common_name", "is_admin"?}` → 201 with certificate, key
/// and CA as PEM. The key is generated here, handed over once and never stored.
#[utoipa::path(
    post,
    path = "/pki/issue",
    operation_id = "issuePkiCertificate",
    tag = "pki",
    request_body(
        description = "The subject's common name and whether it is an admin",
        content = paste_api::pki::IssueRequest,
        content_type = "application/json",
    ),
    responses(
        (status = 201, description = "Issued: certificate, its new private key (handed over once, never stored) and the CA, PEM", body = paste_api::pki::IssuedCertificate),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
        (status = 408, response = crate::openapi::problems::Problem408),
        (status = 413, response = crate::openapi::problems::Problem413),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn issue(
    State(state): State<AppState>,
    identity: Identity,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let pki = enabled(&state)?;
    let admin = Admin::require(&identity)?;
    let raw = read_limited(body, MAX_JSON_BYTES).await?;
    let req: IssueRequest = serde_json::from_slice(&raw).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("Invalid JSON body: {e}"),
        )
    })?;
    let issued = pki
        .issue(&req.common_name, "issue", req.is_admin, KeySource::Generate)
        .await?;
    tracing::info!(
        target: "audit",
        actor = admin.actor(),
        action = "pki.issue",
        serial = %issued.cert.serial,
        "admin issued a certificate"
    );
    let ca = pki.ca().ok_or_else(no_ca)?;
    let key_pem = issued
        .key_pkcs8
        .as_deref()
        .map(|der| pem_encode("PRIVATE KEY", der));
    Ok((
        StatusCode::CREATED,
        Json(IssuedCertificate {
            serial: issued.cert.serial,
            fingerprint_sha1: issued.cert.fingerprint,
            common_name: issued.cert.common_name,
            is_admin: issued.cert.is_admin,
            created_at: issued.cert.issued_at,
            expires_at: issued.cert.expires_at,
            certificate_pem: issued.pem,
            private_key_pem: key_pem,
            ca_certificate_pem: ca.authority.cert_pem.clone(),
        }),
    )
        .into_response())
}

/// PEM-encodes DER under `label`, 64 columns.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// `POST /pki/revoke` (admins): `{"serial": "..."}`; refused by native mTLS from the next
/// handshake and listed in the CRL at once.
#[utoipa::path(
    post,
    path = "/pki/revoke",
    operation_id = "revokePkiCertificate",
    tag = "pki",
    request_body(
        description = "The serial of the certificate to revoke, hex (colons and case ignored)",
        content = paste_api::pki::RevokeRequest,
        content_type = "application/json",
    ),
    responses(
        (status = 200, description = "Revoked: refused from the next handshake and listed in the CRL", body = paste_api::pki::Revoked),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
        (status = 408, response = crate::openapi::problems::Problem408),
        (status = 409, response = crate::openapi::problems::Problem409),
        (status = 413, response = crate::openapi::problems::Problem413),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    identity: Identity,
    body: axum::body::Body,
) -> Result<Json<Revoked>, ApiError> {
    let pki = enabled(&state)?;
    let admin = Admin::require(&identity)?;
    let raw = read_limited(body, MAX_JSON_BYTES).await?;
    let req: RevokeRequest = serde_json::from_slice(&raw).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("Invalid JSON body: {e}"),
        )
    })?;
    let serial = wire::normalise_serial(&req.serial).ok_or_else(|| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_serial",
            "serial must be 2 to 40 hex digits",
        )
    })?;
    let cert = pki.revoke(&serial).await?;
    tracing::info!(
        target: "audit",
        actor = admin.actor(),
        action = "pki.revoke",
        serial = %cert.serial,
        fingerprint = %&cert.fingerprint[..12],
        "PKI certificate revoked"
    );
    Ok(Json(Revoked {
        serial: cert.serial,
        fingerprint_sha1: cert.fingerprint,
        revoked_at: cert.revoked_at.unwrap_or_default(),
    }))
}
