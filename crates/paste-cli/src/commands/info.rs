//! `fpaste info`: the server's limits and whether creating needs a proof of work.

use serde_json::json;

use super::{Context, emit, emit_json};
use crate::error::Result;
use crate::when::human_span;

/// A size as people read it: `512 bytes`, `3.0 KiB`, `50.0 MiB`.
pub fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0)),
    }
}

/// A lifetime in seconds as a span; 0 means the server sets none.
fn span(secs: u64) -> String {
    match secs {
        0 => "none".to_owned(),
        s => human_span(i64::try_from(s).unwrap_or(i64::MAX)),
    }
}

/// Runs `info`.
pub fn run(ctx: &Context) -> Result<()> {
    let api = ctx.api()?;
    let info = api.info()?;
    let challenge = api.challenge()?;
    if ctx.json {
        return emit_json(&json!({
            "server": api.base().as_str(),
            "info": info,
            "pow": { "enabled": challenge.enabled, "difficulty": challenge.difficulty },
        }));
    }
    let l = &info.limits;
    let entropy = if l.min_entropy > 0.0 {
        format!(
            "at least {:.2} bits/byte for pastes of {} bytes or more (fpaste encrypts by default)",
            l.min_entropy, l.min_entropy_size
        )
    } else {
        "not enforced".to_owned()
    };
    let pow = if challenge.enabled {
        format!("required, difficulty {} bits", challenge.difficulty)
    } else {
        "not required".to_owned()
    };
    let text = format!(
        "server:          {}\n\
         software:        {} {}\n\
         max size:        {} anonymous, {} authenticated\n\
         min size:        {} bytes\n\
         expiry:          {} default, {} maximum\n\
         entropy:         {entropy}\n\
         proof of work:   {pow}\n",
        api.base(),
        info.name,
        info.version,
        size(l.max_anon_size),
        size(l.max_auth_size),
        l.min_size,
        span(l.default_expiry),
        span(l.max_expiry),
    );
    emit(text.as_bytes())
}
