//! Handlers grouped by resource.

pub mod account;
pub mod admin;
pub mod api;
pub mod api_doc;
pub mod auth;
pub mod connections;
pub mod dupes;
pub mod files;
pub mod jobs;
pub mod oidc;
pub mod openapi;
pub mod ops;
pub mod plan_edit;
pub mod plans;
pub mod report;
pub mod scans;
pub mod sources;
pub mod trash;
pub mod usage;

use crate::auth::access::{Ctx, Principal};
use crate::db::{self, audit::Entry};
use crate::error::ApiError;
use crate::state::AppState;

/// Appends to the audit log on behalf of `actor`.
pub async fn audit(
    state: &AppState,
    ctx: &Ctx,
    actor: Option<&Principal>,
    action: &str,
    target: Option<String>,
    detail: Option<String>,
) -> Result<(), ApiError> {
    let entry = Entry {
        actor_id: actor.map(|p| p.user.id.clone()),
        actor_email: actor.map(|p| p.user.email.clone()),
        action: action.to_owned(),
        target,
        detail,
        request_id: Some(ctx.request_id.clone()),
        ip: Some(ctx.ip.to_string()),
    };
    state
        .pool
        .write(move |c| db::audit::append(c, &entry))
        .await??;
    Ok(())
}

/// The fields of a form body, in order; a repeated name (checkboxes) appears once per value.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    let Ok(mut url) = reqwest::Url::parse("http://form.invalid/") else {
        return Vec::new();
    };
    url.set_query(Some(text));
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The values of every `name` field of a form body, as ids.
pub fn form_ids(pairs: &[(String, String)], name: &str) -> Result<Vec<i64>, ApiError> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::Invalid("invalid selection".into()))
}

/// A `next` target that stays on this site: a relative path starting with a single `/`, no
/// scheme, no `//` or `/\` (protocol-relative), no control characters. Anything else → `/dashboard`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control() || c == '\\')
                && n.len() <= 512 =>
        {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/account?x=1")), "/account?x=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/\tx",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/dashboard", "{bad}");
        }
        assert_eq!(safe_next(None), "/dashboard");
    }
}
