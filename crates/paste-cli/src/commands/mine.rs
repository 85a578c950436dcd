//! `fpaste list` (one's own pastes, `GET /pastes`) and `fpaste shorten` (`POST /s`).

use paste_api::{PasteList, PasteListItem, headers};

use super::{Context, emit, emit_json};
use crate::cli::{ListArgs, ShortenArgs};
use crate::error::{CliError, Result};
use crate::pow;
use crate::when::{human_span, human_time, now};

/// Refuses early, in the client's words, when no client certificate is set.
pub fn require_cert(ctx: &Context, what: &str) -> Result<()> {
    if ctx.settings.client_cert.is_none() {
        return Err(CliError::Usage(format!(
            "{what} needs a client certificate: set --client-cert and --client-key"
        )));
    }
    Ok(())
}

/// One line per paste: id, created, size, type, expiry, flags, display name.
pub fn rows(pastes: &[PasteListItem], now: i64) -> String {
    let mut out = String::new();
    for p in pastes {
        let expires = match p.expires_at_unix {
            Some(t) => format!("expires in {}", human_span(t - now)),
            None => "never expires".to_owned(),
        };
        let mut flags = Vec::new();
        if p.burn_after_read {
            flags.push("burn");
        }
        if p.password_protected {
            flags.push("password");
        }
        out.push_str(&format!(
            "{}  {}  {:>9}  {:<24}  {}{}{}\n",
            p.id,
            human_time(p.created_at),
            p.size,
            p.mime_type,
            expires,
            if flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", flags.join(", "))
            },
            p.display_name
                .as_deref()
                .map(|n| format!("  {n}"))
                .unwrap_or_default(),
        ));
    }
    out
}

/// Runs `list`.
pub fn list(ctx: &Context, args: &ListArgs) -> Result<()> {
    let api = ctx.api()?;
    require_cert(ctx, "listing your pastes")?;
    let mut query: Vec<(&str, String)> = vec![
        ("limit", args.limit.to_string()),
        ("offset", args.offset.to_string()),
    ];
    if let Some(mime) = &args.mime {
        query.push(("type", mime.clone()));
    }
    let page: PasteList = api.get_json("pastes", &query)?;
    if ctx.json {
        return emit_json(&serde_json::to_value(&page).unwrap_or_default());
    }
    let mut out = rows(&page.pastes, now());
    out.push_str(&format!(
        "{} of {} paste{} (from {})\n",
        page.count,
        page.total,
        if page.total == 1 { "" } else { "s" },
        page.offset + 1
    ));
    emit(out.as_bytes())
}

/// Runs `shorten`.
pub fn shorten(ctx: &Context, args: &ShortenArgs) -> Result<()> {
    let api = ctx.api()?;
    let mut request = api.post("s").body(args.url.clone());
    if let Some(expiry) = args.expiry {
        request = request.header(headers::EXPIRY, expiry.seconds().to_string());
    }
    if let Some((token, solution)) = pow::answer(&api.challenge()?)? {
        request = request
            .header(headers::POW_TOKEN, token)
            .header(headers::POW_SOLUTION, solution);
    }
    let made: serde_json::Value = api.send_json(request)?;
    if ctx.json {
        return emit_json(&made);
    }
    let path = made["url"].as_str().unwrap_or_default();
    let link = api
        .base()
        .join(path)
        .map_or_else(|_| path.to_owned(), |u| u.to_string());
    emit(format!("{link}\n").as_bytes())
}
