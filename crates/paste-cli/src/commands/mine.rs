//! `fpaste list` (one's own pastes, `GET /pastes`) and `fpaste shorten` (`POST /s`).

use std::time::{SystemTime, UNIX_EPOCH};

use paste_api::{PasteList, headers};

use super::{Context, emit, emit_json};
use crate::cli::{ListArgs, ShortenArgs};
use crate::error::{CliError, Result};
use crate::pow;

/// A Unix time as people read it: `2026-12-04 20:37 UTC`.
pub fn human_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// A span as people read it: `6d 23h`, `45m`, `12s`.
pub fn human_span(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Runs `list`.
pub fn list(ctx: &Context, args: &ListArgs) -> Result<()> {
    let api = ctx.api()?;
    if ctx.settings.client_cert.is_none() {
        return Err(CliError::Usage(
            "listing your pastes needs a client certificate: set --client-cert and --client-key"
                .into(),
        ));
    }
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
    let now = now();
    let mut out = String::new();
    for p in &page.pastes {
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
