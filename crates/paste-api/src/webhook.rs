//! Webhook events and their signatures.
//!
//! Each delivery carries `X-Fpaste-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the
//! MAC covers `<t>.<raw body>` under the shared secret. Receivers recompute it, compare in
//! constant time, and refuse timestamps outside their replay window ([`verify`] does all three).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Signature header.
pub const SIGNATURE_HEADER: &str = "x-fpaste-signature";
/// Event type header.
pub const EVENT_HEADER: &str = "x-fpaste-event";
/// Delivery id header, stable across retries.
pub const DELIVERY_HEADER: &str = "x-fpaste-delivery";
/// Replay window receivers should apply, seconds.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// The JSON body of a delivery. Never content, passwords, keys or owner identities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Delivery id.
    pub id: String,
    /// `paste.created`, `paste.deleted` or `paste.expired`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds when it happened.
    pub occurred_at: i64,
    /// The paste concerned.
    pub paste: EventPaste,
    /// For removals: `burned`, `deleted` or `expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Paste facts in an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPaste {
    /// Paste id.
    pub id: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub size: i64,
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header does not have the `t=...,v1=...` shape.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is outside the replay window.
    #[error("signature timestamp outside the replay window")]
    Stale,
    /// The MAC does not match.
    #[error("signature does not match")]
    Mismatch,
}

type HmacSha256 = Hmac<Sha256>;

#[expect(
    clippy::expect_used,
    reason = "HMAC is defined for keys of every length"
)]
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The header value signing `body` at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// Checks a header against `body` at `now`, allowing `tolerance_secs` of clock skew and delay.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut tag = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => tag = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(timestamp), Some(tag)) = (timestamp, tag) else {
        return Err(SignatureError::Malformed);
    };
    if (now - timestamp).abs() > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    mac(secret, timestamp, body)
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written down outside this code: `printf %s '1700000000.{"event":"paste.created","id":"abc"}'
    /// | openssl dgst -sha256 -hmac 'a webhook secret of decent length!!'`.
    #[test]
    fn known_answer_from_openssl() {
        let secret = b"a webhook secret of decent length!!";
        let body = br#"{"event":"paste.created","id":"abc"}"#;
        let expected =
            "t=1700000000,v1=267f6fb2ae78b03369a2c349be3d63ef6b7f83d3b2eaa04d0ed5c53862908df3";
        assert_eq!(sign(secret, 1_700_000_000, body), expected);
        assert_eq!(verify(secret, expected, body, 1_700_000_010, 300), Ok(()));
    }

    #[test]
    fn sign_verify_and_every_refusal() {
        let secret = b"a webhook secret of decent length!!";
        let header = sign(secret, 1000, b"{\"a\":1}");
        assert_eq!(verify(secret, &header, b"{\"a\":1}", 1100, 300), Ok(()));
        assert_eq!(
            verify(secret, &header, b"{\"a\":2}", 1100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", &header, b"{\"a\":1}", 1100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(secret, &header, b"{\"a\":1}", 1400, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(secret, "v1=zz", b"", 0, 300),
            Err(SignatureError::Malformed)
        );
    }
}
