//! Counted reads over HTTP: `X-Max-Views` and `X-Burn-Confirm` on create, and the
//! confirmation a read of a confirm-mode paste must carry.
//!
//! Chat and mail scanners fetch every link they see, which used to consume burn-after-read
//! pastes before the person did. A paste created with confirmation (per paste, or by default
//! with `FLASKPASTE_BURN_CONFIRM`) answers a plain read with a small notice that counts for
//! nothing; only a read sending `X-Burn-Confirm: true` (as `fpaste get` does) counts. The key
//! of an encrypted paste stays in the link's fragment either way: the server never sees it.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use paste_api::headers;
use paste_core::store::{MAX_VIEWS, ReadLimit};
use platform::Problem;

use super::create::header_checked;
use crate::config::Config;
use crate::error::{ApiError, problem};

/// The read limit a create asks for: `None` when reads are not counted. `burn` is the parsed
/// `X-Burn-After-Read`.
pub fn requested(
    headers: &HeaderMap,
    burn: bool,
    cfg: &Config,
) -> Result<Option<ReadLimit>, ApiError> {
    let max_views = match header_checked(headers, headers::MAX_VIEWS)? {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_VIEWS).contains(n))
                .ok_or_else(|| {
                    problem(
                        StatusCode::BAD_REQUEST,
                        "invalid_max_views",
                        format!("X-Max-Views must be a whole number from 1 to {MAX_VIEWS}"),
                    )
                })?,
        ),
    };
    let confirm = parse_flag(headers, headers::BURN_CONFIRM, "invalid_burn_confirm")?;
    let max_views = match (burn, max_views) {
        (true, Some(n)) if n != 1 => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "invalid_max_views",
                "X-Burn-After-Read allows one read; it cannot be combined with X-Max-Views above 1",
            ));
        }
        (true, _) => 1,
        (false, Some(n)) => n,
        (false, None) if confirm == Some(true) => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "invalid_burn_confirm",
                "X-Burn-Confirm applies to pastes created with X-Burn-After-Read or X-Max-Views",
            ));
        }
        (false, None) => return Ok(None),
    };
    Ok(Some(ReadLimit {
        max_views,
        views: 0,
        confirm: confirm.unwrap_or(cfg.burn_confirm),
    }))
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`) or absent; anything else is a 400 with `code`.
fn parse_flag(headers: &HeaderMap, name: &str, code: &str) -> Result<Option<bool>, ApiError> {
    match header_checked(headers, name)?.map(headers::parse_flag) {
        None => Ok(None),
        Some(Some(flag)) => Ok(Some(flag)),
        Some(None) => Err(problem(
            StatusCode::BAD_REQUEST,
            code,
            format!("{name} must be true or false"),
        )),
    }
}

/// The `X-Burn-Confirm` request header of a read, taken alone (as `PastePassword` is).
#[derive(Debug)]
pub struct BurnConfirm(Option<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for BurnConfirm {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get(headers::BURN_CONFIRM).cloned()))
    }
}

impl BurnConfirm {
    /// Refuses a read of a confirm-mode paste that does not carry the confirmation, with a
    /// notice saying how to read it; a malformed confirmation is a 400.
    pub fn check(&self, limit: &ReadLimit) -> Result<(), ApiError> {
        let mut map = HeaderMap::new();
        if let Some(v) = &self.0 {
            map.insert(headers::BURN_CONFIRM, v.clone());
        }
        let confirmed =
            parse_flag(&map, headers::BURN_CONFIRM, "invalid_burn_confirm")? == Some(true);
        if !limit.confirm || confirmed {
            return Ok(());
        }
        let left = limit.views_left();
        Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "burn_confirmation_required",
            format!(
                "This paste can be read {left} more time{}, and reading it counts. Nothing was \
                 counted now: to read it, send X-Burn-Confirm: true (`fpaste get` does).",
                if left == 1 { "" } else { "s" }
            ),
        )
        .with("views_left", left)
        .into())
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    fn config() -> Config {
        Config::for_tests(std::path::Path::new("unused"))
    }

    fn with(name: &'static str, value: &str) -> Option<HeaderMap> {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).ok()?);
        Some(map)
    }

    proptest! {
        #[test]
        fn max_views_accepts_exactly_the_counts_in_range(
            n in prop_oneof![0..=3_u32, MAX_VIEWS - 1..=MAX_VIEWS + 1, any::<u32>()],
            burn_confirm in any::<bool>(),
        ) {
            let mut headers = with(headers::MAX_VIEWS, &n.to_string()).unwrap_or_default();
            if burn_confirm {
                headers.insert(headers::BURN_CONFIRM, HeaderValue::from_static("true"));
            }
            match requested(&headers, false, &config()) {
                Ok(Some(limit)) => {
                    prop_assert!((1..=MAX_VIEWS).contains(&n));
                    prop_assert_eq!(limit.max_views, n);
                    prop_assert_eq!(limit.views, 0);
                    prop_assert_eq!(limit.confirm, burn_confirm);
                }
                Ok(None) => prop_assert!(false, "a present X-Max-Views was ignored"),
                Err(_) => prop_assert!(!(1..=MAX_VIEWS).contains(&n)),
            }
        }

        #[test]
        fn any_header_text_is_parsed_or_refused_never_ignored(
            // Near-numbers and flag words as often as arbitrary text.
            value in prop_oneof![
                prop::sample::select(vec![
                    "true", "1", "yes", "false", "0", "no", " TRUE ", "Yes", "2", "+1", "01",
                    "1000000", "1000001", "",
                ])
                .prop_map(str::to_owned),
                "[ +0-9a-zA-Z-]{0,8}",
                "\\PC{0,24}",
            ],
            burn in any::<bool>(),
        ) {
            if let Some(headers) = with(headers::MAX_VIEWS, &value) {
                let parsed = value.trim().parse::<u32>().ok().filter(|n| (1..=MAX_VIEWS).contains(n));
                match (requested(&headers, burn, &config()), parsed) {
                    (Ok(Some(limit)), Some(n)) => {
                        prop_assert!(!burn || n == 1);
                        prop_assert_eq!(limit.max_views, n);
                    }
                    (Err(_), None) => {}
                    (Err(_), Some(n)) => prop_assert!(burn && n != 1),
                    (other, parsed) => prop_assert!(false, "{other:?} for {parsed:?}"),
                }
            }
            if let Some(headers) = with(headers::BURN_CONFIRM, &value) {
                let flag = match value.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => Some(true),
                    "false" | "0" | "no" => Some(false),
                    _ => None,
                };
                let confirm = BurnConfirm(headers.get(headers::BURN_CONFIRM).cloned());
                let limit = ReadLimit { max_views: 2, views: 0, confirm: true };
                match (confirm.check(&limit), flag) {
                    (Ok(()), Some(true)) => {}
                    (Err(ApiError::Problem(p)), Some(false)) => prop_assert_eq!(p.status(), 428),
                    (Err(ApiError::Problem(p)), None) => prop_assert_eq!(p.status(), 400),
                    (other, flag) => prop_assert!(false, "{other:?} for {flag:?}"),
                }
            }
        }
    }
}
