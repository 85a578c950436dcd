//! Browser sessions: start (always a fresh id, so a planted id never becomes signed in),
//! look up, end. The cookie policy is decided once at start-up.

use axum::response::{IntoResponseParts, ResponseParts};
use http::{HeaderMap, HeaderValue, header};
use platform::cookies::{self, CookieBuilder};
use platform_db::sql::{AnyPool, Lock};

use super::{random_token, sha256_hex};
use crate::db::{self, DbError, sessions::SessionRow};

/// Session lifetime: 12 hours.
pub const TTL_SECS: i64 = 12 * 3600;

/// Cookie names and whether they are `Secure`.
#[derive(Debug, Clone)]
pub struct CookiePolicy {
    /// The session cookie: `__Host-declutter` when secure.
    pub session: &'static str,
    /// The pre-sign-in CSRF cookie (double submit on the sign-in and sign-up forms).
    pub csrf: &'static str,
    /// The OIDC flow binding cookie.
    pub oidc: &'static str,
    /// Whether cookies carry `Secure`.
    pub secure: bool,
}

impl CookiePolicy {
    /// `__Host-` names with `Secure` over HTTPS and on loopback HTTP (browsers count loopback as
    /// a secure context); plain names without `Secure` only on non-loopback plain HTTP, which
    /// is for trusted networks only.
    pub fn for_public_url(public_url: &str) -> Self {
        let loopback = reqwest::Url::parse(public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .is_some_and(|h| {
                h == "localhost"
                    || h.trim_matches(|c| c == '[' || c == ']')
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            });
        if public_url.starts_with("https://") || loopback {
            Self {
                session: "__Host-declutter",
                csrf: "__Host-declutter-csrf",
                oidc: "__Host-declutter-oidc",
                secure: true,
            }
        } else {
            Self {
                session: "declutter",
                csrf: "declutter-csrf",
                oidc: "declutter-oidc",
                secure: false,
            }
        }
    }

    /// A `Set-Cookie` value for `name=value` under this policy.
    pub fn cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> Option<HeaderValue> {
        let mut b = CookieBuilder::new(name, value);
        if let Some(age) = max_age {
            b = b.max_age(age);
        }
        if !self.secure {
            b = b.insecure();
        }
        b.build().ok()
    }

    /// The session id hash from the request, if a cookie is present.
    pub fn session_hash(&self, headers: &HeaderMap) -> Option<String> {
        cookies::read(headers, self.session).map(|v| sha256_hex(&v))
    }
}

/// `Set-Cookie` headers to attach to a response.
#[derive(Debug, Default)]
pub struct SetCookies(pub Vec<HeaderValue>);

impl IntoResponseParts for SetCookies {
    type Error = std::convert::Infallible;
    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        for v in self.0 {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        Ok(res)
    }
}

/// Starts a new session for `user_id`, ending the one the request came with (rotation).
pub async fn start(
    pool: &AnyPool,
    policy: &CookiePolicy,
    headers: &HeaderMap,
    user_id: &str,
) -> Result<SetCookies, DbError> {
    let old = policy.session_hash(headers);
    let id = random_token();
    let row = SessionRow {
        id_hash: sha256_hex(&id),
        user_id: user_id.to_owned(),
        csrf_token: random_token(),
    };
    pool.write(move |c| -> Result<(), DbError> {
        let tx = c.transaction(Lock::None)?;
        if let Some(old) = old {
            db::sessions::delete(&*tx, &old)?;
        }
        db::sessions::insert(&*tx, &row, TTL_SECS)?;
        Ok(tx.commit()?)
    })
    .await??;
    Ok(SetCookies(
        policy
            .cookie(policy.session, &id, Some(TTL_SECS))
            .into_iter()
            .collect(),
    ))
}

/// Ends the request's session and returns the clearing cookie.
pub async fn end(
    pool: &AnyPool,
    policy: &CookiePolicy,
    headers: &HeaderMap,
) -> Result<SetCookies, DbError> {
    if let Some(old) = policy.session_hash(headers) {
        pool.write(move |c| db::sessions::delete(c, &old)).await??;
    }
    Ok(SetCookies(
        policy
            .cookie(policy.session, "", Some(0))
            .into_iter()
            .collect(),
    ))
}
