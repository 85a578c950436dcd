//! Handlers grouped by resource.

pub mod account;
pub mod admin;
pub mod api;
pub mod auth;
pub mod connections;
pub mod dupes;
pub mod files;
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
