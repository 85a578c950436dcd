//! Every problem fpasted answers, by status and stable code, and the reusable responses built
//! from them: one `components.responses` entry per status, whose schema pins `status` and lists
//! the codes that status can carry, so a client (or schemathesis) can check both.
//!
//! The table is the contract; `tests/it/openapi.rs` reads the server's and the platform's
//! sources and fails when a handler answers a code (or a code with a status) missing here.

use utoipa::ToResponse;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder, Schema};

/// One problem: HTTP status, stable `code` (the `type` is `urn:problem:<code>`), and when it
/// happens.
#[derive(Debug, Clone, Copy)]
pub struct ProblemDoc {
    /// HTTP status.
    pub status: u16,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// When a client gets it.
    pub when: &'static str,
}

const fn p(status: u16, code: &'static str, when: &'static str) -> ProblemDoc {
    ProblemDoc { status, code, when }
}

/// Every problem of the API.
pub const PROBLEMS: &[ProblemDoc] = &[
    p(
        400,
        "malformed_header",
        "a header value is not printable ASCII",
    ),
    p(
        400,
        "invalid_expiry",
        "`X-Expiry` is not a whole number of seconds within the policy",
    ),
    p(
        400,
        "invalid_burn_after_read",
        "`X-Burn-After-Read` is not true/false (1/0, yes/no)",
    ),
    p(
        400,
        "invalid_max_views",
        "`X-Max-Views` is not 1..=max, or above 1 with burn after read",
    ),
    p(
        400,
        "invalid_burn_confirm",
        "`X-Burn-Confirm` is not true/false, or asks for confirmation without counted reads",
    ),
    p(
        400,
        "invalid_password",
        "`X-Paste-Password` (or `X-New-Password`) is empty or too long",
    ),
    p(
        400,
        "invalid_remove_password",
        "`X-Remove-Password` is not true/false",
    ),
    p(
        400,
        "conflicting_password_headers",
        "`X-New-Password` together with `X-Remove-Password: true`",
    ),
    p(
        400,
        "invalid_display_name",
        "`X-Display-Name` is too long, not UTF-8, or holds control characters",
    ),
    p(
        400,
        "invalid_json",
        "a JSON body is not the documented object",
    ),
    p(
        400,
        "invalid_query",
        "a query parameter is missing or not of its type",
    ),
    p(
        400,
        "content_too_small",
        "the content is empty or below the minimum size",
    ),
    p(
        400,
        "entropy_too_low",
        "the server only accepts encrypted content and this is below its entropy minimum (members `entropy`, `min_entropy`, `hint`)",
    ),
    p(400, "nothing_to_update", "a `PUT` that changes nothing"),
    p(
        400,
        "invalid_url",
        "a short URL's target is not an absolute http(s) URL",
    ),
    p(
        400,
        "invalid_owner",
        "`owner` is not a SHA-1 fingerprint (40 hex digits)",
    ),
    p(400, "invalid_limit", "`limit` is outside 1..=200"),
    p(400, "invalid_offset", "`offset` is too deep"),
    p(400, "invalid_type", "`type` is not a MIME type or family"),
    p(400, "body_unreadable", "the request body broke off"),
    p(
        400,
        "invalid_client_fingerprint",
        "behind a trusted proxy: `X-SSL-Client-SHA1` is not a fingerprint",
    ),
    p(
        400,
        "pow_required",
        "proof of work is on and `X-PoW-Token`/`X-PoW-Solution` are missing",
    ),
    p(
        400,
        "pow_malformed",
        "the proof-of-work headers are not a token and a number",
    ),
    p(
        400,
        "pow_invalid",
        "the proof-of-work token was not issued by this server",
    ),
    p(400, "pow_expired", "the proof-of-work token is too old"),
    p(
        400,
        "pow_insufficient",
        "the solution does not have enough leading zero bits",
    ),
    p(
        400,
        "pow_replayed",
        "the proof-of-work token was already used",
    ),
    p(
        400,
        "invalid_common_name",
        "PKI: a common name is empty, above 64 characters or holds control characters",
    ),
    p(
        400,
        "invalid_serial",
        "`POST /pki/revoke`: `serial` is not 2 to 40 hex digits",
    ),
    p(
        400,
        "invalid_csr",
        "`POST /csr`: the body is not a PEM CSR with a valid signature and common name",
    ),
    p(
        401,
        "authentication_required",
        "the route needs a client certificate (or a delete token)",
    ),
    p(
        401,
        "identity_required",
        "this server accepts pastes only from clients with a certificate",
    ),
    p(
        401,
        "password_required",
        "the paste is password protected: send `X-Paste-Password`",
    ),
    p(403, "not_owner", "the paste or short URL is someone else's"),
    p(
        403,
        "admin_required",
        "the route (or `owner`/`all`) is for admins",
    ),
    p(403, "password_invalid", "wrong `X-Paste-Password`"),
    p(
        403,
        "proxy_secret_invalid",
        "behind a trusted proxy: wrong `X-Proxy-Secret`",
    ),
    p(
        403,
        "certificate_revoked",
        "the client certificate was issued by this server's PKI and has been revoked",
    ),
    p(
        404,
        "paste_not_found",
        "unknown, expired or burned paste (alike, so existence is not revealed)",
    ),
    p(404, "short_url_not_found", "unknown or expired short URL"),
    p(
        404,
        "client_unavailable",
        "no client binary is installed on this server",
    ),
    p(
        404,
        "not_found",
        "no such route (also `/metrics` for remote non-admin callers)",
    ),
    p(
        404,
        "pki_disabled",
        "a PKI route on a server without `FLASKPASTE_PKI_ENABLED`",
    ),
    p(
        404,
        "ca_not_found",
        "no certificate authority has been created yet",
    ),
    p(
        404,
        "certificate_not_found",
        "`POST /pki/revoke`: no certificate with this serial",
    ),
    p(
        405,
        "method_not_allowed",
        "the route exists, not with this method",
    ),
    p(
        408,
        "request_timeout",
        "the request (or its body) took too long",
    ),
    p(
        409,
        "burn_after_read_immutable",
        "counted (burn-after-read, max-views) pastes cannot be updated",
    ),
    p(
        409,
        "ca_exists",
        "`POST /pki/ca` when the certificate authority exists already",
    ),
    p(
        409,
        "already_revoked",
        "`POST /pki/revoke` of a certificate revoked before",
    ),
    p(
        413,
        "payload_too_large",
        "the body is above the caller's size limit (member `max_bytes`), or a short URL's target is too long",
    ),
    p(
        413,
        "invalid_url",
        "a short URL's target is longer than the server allows",
    ),
    p(
        415,
        "unsupported_media_type",
        "a JSON-only body sent with another `Content-Type`",
    ),
    p(
        422,
        "malware_detected",
        "the malware scanner found a signature",
    ),
    p(
        428,
        "burn_confirmation_required",
        "a read of a confirm-mode paste without `X-Burn-Confirm: true`; nothing was counted (member `views_left`)",
    ),
    p(
        429,
        "rate_limited",
        "too many creations from this address (`Retry-After`, `X-RateLimit-*`)",
    ),
    p(
        429,
        "duplicate_content",
        "the same content too often (members `count`, `window_seconds`; `Retry-After`)",
    ),
    p(
        429,
        "quota_exceeded",
        "the paste would exceed the caller's quota (member `quota`; `Retry-After` for daily quotas)",
    ),
    p(
        500,
        "internal_error",
        "a server fault; the body says nothing more, the log has the request id",
    ),
    p(
        503,
        "unavailable",
        "storage or the malware scanner is temporarily unavailable",
    ),
    p(
        503,
        "server_busy",
        "too many uploads in flight (`Retry-After`)",
    ),
    p(
        503,
        "pow_saturated",
        "too many proof-of-work tokens in flight",
    ),
];

/// The reusable response for problems of `status`: named `Problem<status>` in
/// `components.responses`.
pub fn response_name(status: u16) -> &'static str {
    match status {
        400 => "Problem400",
        401 => "Problem401",
        403 => "Problem403",
        404 => "Problem404",
        405 => "Problem405",
        408 => "Problem408",
        409 => "Problem409",
        413 => "Problem413",
        415 => "Problem415",
        422 => "Problem422",
        428 => "Problem428",
        429 => "Problem429",
        503 => "Problem503",
        _ => "Problem500",
    }
}

/// The problem response of status `N`, for `responses(...)` of `#[utoipa::path]`: a `$ref` to
/// the `components.responses` entry the document registers for every status of the table.
#[derive(Debug)]
pub struct Status<const N: u16>;

impl<'s, const N: u16> ToResponse<'s> for Status<N> {
    fn response() -> (&'s str, RefOr<Response>) {
        (response_name(N), RefOr::T(response(N)))
    }
}

/// `400 Bad Request` problems.
pub type Problem400 = Status<400>;
/// `401 Unauthorized` problems.
pub type Problem401 = Status<401>;
/// `403 Forbidden` problems.
pub type Problem403 = Status<403>;
/// `404 Not Found` problems.
pub type Problem404 = Status<404>;
/// `408 Request Timeout` problems.
pub type Problem408 = Status<408>;
/// `409 Conflict` problems.
pub type Problem409 = Status<409>;
/// `413 Payload Too Large` problems.
pub type Problem413 = Status<413>;
/// `422 Unprocessable Entity` problems.
pub type Problem422 = Status<422>;
/// `428 Precondition Required` problems.
pub type Problem428 = Status<428>;
/// `429 Too Many Requests` problems.
pub type Problem429 = Status<429>;
/// `503 Service Unavailable` problems.
pub type Problem503 = Status<503>;

/// A `$ref` to the problem response of `status`, for operations.
pub fn reference(status: u16) -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name(response_name(status)))
}

/// Every status with problems, each once, ascending.
pub fn statuses() -> Vec<u16> {
    let mut s: Vec<u16> = PROBLEMS.iter().map(|p| p.status).collect();
    s.sort_unstable();
    s.dedup();
    s
}

/// The response of `status`: problem+json whose `status` is pinned and whose `code` is one of
/// the table's, with `Retry-After` where the server sends it.
pub fn response(status: u16) -> Response {
    let problems: Vec<&ProblemDoc> = PROBLEMS.iter().filter(|p| p.status == status).collect();
    let codes: Vec<&str> = problems.iter().map(|p| p.code).collect();
    let mut description = format!(
        "{} (RFC 9457 problem details). `code` (and `type`, `urn:problem:<code>`):",
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error")
    );
    for p in &problems {
        description.push_str(&format!("\n- `{}`: {}", p.code, p.when));
    }
    let pinned = ObjectBuilder::new()
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some([status])),
        )
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(codes)),
        );
    let schema: Schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("Problem"))
        .item(pinned)
        .into();
    let mut res = ResponseBuilder::new()
        .description(description)
        .content(
            platform::problem::PROBLEM_JSON,
            Content::new(Some(RefOr::T(schema))),
        )
        .header("X-Request-Id", super::headers::request_id());
    if matches!(status, 429 | 503) {
        res = res.header(
            "Retry-After",
            super::headers::integer("Seconds to wait before trying again (on `rate_limited`, `duplicate_content`, `server_busy`, daily `quota_exceeded`)."),
        );
    }
    if status == 429 {
        for (name, header) in super::headers::rate_limit() {
            res = res.header(name, header);
        }
    }
    res.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_own_response() {
        for status in statuses() {
            assert_eq!(response_name(status), format!("Problem{status}"));
        }
        let mut seen = std::collections::HashSet::new();
        for p in PROBLEMS {
            assert!(
                seen.insert((p.status, p.code)),
                "{} {} listed twice",
                p.status,
                p.code
            );
            assert!(
                p.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                p.code
            );
        }
    }
}
