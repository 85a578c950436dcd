//! `fpaste search`: one's own pastes whose id or display name holds every word, narrowed by
//! type and creation date on the server (`GET /pastes?type=&after=&before=`), newest first.

use paste_api::{PasteList, PasteListItem};
use serde_json::json;

use super::mine::{require_cert, rows};
use super::{Context, emit, emit_json};
use crate::cli::SearchArgs;
use crate::error::Result;
use crate::http::Api;
use crate::when::now;

/// Page size asked of the server (its maximum).
const PAGE: u32 = 200;
/// Most pastes looked at in one search: the listing is paged, and a search must end.
const SCANNED_MAX: u32 = 20_000;

/// Whether `p` holds every word in its id or display name, ignoring case.
fn matches(p: &PasteListItem, words: &[String]) -> bool {
    let id = p.id.to_lowercase();
    let name = p.display_name.as_deref().unwrap_or_default().to_lowercase();
    words.iter().all(|w| {
        let w = w.to_lowercase();
        id.contains(&w) || name.contains(&w)
    })
}

/// Walks the caller's listing under the server-side filters, page by page, handing each paste
/// to `keep` until it answers `false` or the listing ends; answers how many were looked at.
pub fn scan(
    api: &Api,
    mime: Option<&str>,
    after: Option<i64>,
    before: Option<i64>,
    mut keep: impl FnMut(PasteListItem) -> bool,
) -> Result<u32> {
    let mut offset = 0;
    while offset < SCANNED_MAX {
        let mut query: Vec<(&str, String)> =
            vec![("limit", PAGE.to_string()), ("offset", offset.to_string())];
        if let Some(mime) = mime {
            query.push(("type", mime.to_owned()));
        }
        if let Some(after) = after {
            query.push(("after", after.to_string()));
        }
        if let Some(before) = before {
            query.push(("before", before.to_string()));
        }
        let page: PasteList = api.get_json("pastes", &query)?;
        let n = u32::try_from(page.pastes.len()).unwrap_or(u32::MAX);
        for p in page.pastes {
            if !keep(p) {
                return Ok(offset.saturating_add(n));
            }
        }
        offset = offset.saturating_add(n);
        if n < PAGE || u64::from(offset) >= page.total {
            break;
        }
    }
    Ok(offset)
}

/// Runs `search`.
pub fn run(ctx: &Context, args: &SearchArgs) -> Result<()> {
    let api = ctx.api()?;
    require_cert(ctx, "searching your pastes")?;
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    let mut found = Vec::new();
    let scanned = scan(&api, args.mime.as_deref(), args.after, args.before, |p| {
        if matches(&p, &args.words) {
            found.push(p);
        }
        found.len() < limit
    })?;
    if ctx.json {
        return emit_json(&json!({
            "pastes": found,
            "count": found.len(),
            "scanned": scanned,
        }));
    }
    let mut out = rows(&found, now());
    out.push_str(&format!(
        "{} match{} among {scanned} paste{}\n",
        found.len(),
        if found.len() == 1 { "" } else { "es" },
        if scanned == 1 { "" } else { "s" },
    ));
    emit(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, name: Option<&str>) -> PasteListItem {
        PasteListItem {
            id: id.into(),
            mime_type: "text/plain".into(),
            size: 1,
            created_at: 0,
            expires_at: None,
            expires_at_unix: None,
            burn_after_read: false,
            password_protected: false,
            display_name: name.map(Into::into),
            owner: None,
            url: String::new(),
            raw: String::new(),
        }
    }

    #[test]
    fn every_word_must_be_in_the_id_or_the_name() {
        let p = item("AbC123", Some("Quarterly Report"));
        let w = |ws: &[&str]| ws.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(matches(&p, &w(&[])));
        assert!(matches(&p, &w(&["abc"])));
        assert!(matches(&p, &w(&["report", "QUARTER"])));
        assert!(!matches(&p, &w(&["report", "annual"])));
        assert!(!matches(&item("x", None), &w(&["report"])));
    }
}
