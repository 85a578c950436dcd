//! The folder view counts what the duplicates list shows: its numbers follow the list's filter
//! (type, size, source, name search), not every duplicate of the account, over real HTTP.

use std::collections::BTreeMap;

use crate::cleanup::my_id;
use crate::review::{count, json_ok, seed};
use crate::support::{Browser, TestApp, TestResult};

/// Groups seeded (see `review::seed`): group `g` has `2 + g % 3` copies, named `IMG_…jpg`
/// (`g % 3 == 0`), `report_…pdf` (1) or `song_…mp3` (2); its first copy is in Photos (in
/// Backup when `g % 10 == 9`), the second in Backup, the rest in Misc.
const N: u64 = 60;

/// Copies per top-level folder of the groups passing `keep`, as the seed lays them out.
fn expected(keep: impl Fn(u64) -> bool) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for g in (0..N).filter(|g| keep(*g)) {
        let first = if g % 10 == 9 { "/Backup" } else { "/Photos" };
        *out.entry(first.to_owned()).or_default() += 1;
        *out.entry("/Backup".to_owned()).or_default() += 1;
        if g % 3 > 0 {
            *out.entry("/Misc".to_owned()).or_default() += g % 3;
        }
    }
    out
}

/// The folder view's rows at `query`: folder → copies, as the page shows them.
async fn shown(b: &Browser, query: &str) -> TestResult<(BTreeMap<String, u64>, String)> {
    let html = b.text(&format!("/dupes/folders?{query}")).await?;
    let mut rows = BTreeMap::new();
    for row in html.split("<tr><td class=\"path\">").skip(1) {
        let (cell, rest) = row.split_once("</td>").ok_or("path cell")?;
        // The path, inside a link when the folder opens.
        let path = match cell.split_once('>') {
            Some((_, linked)) => linked.trim_end_matches("</a>"),
            None => cell,
        };
        let copies = rest
            .strip_prefix("<td data-label=\"Copies\">")
            .and_then(|r| r.split_once('<'))
            .ok_or("copies cell")?
            .0
            .parse()?;
        rows.insert(path.to_owned(), copies);
    }
    Ok((rows, html))
}

#[tokio::test]
async fn folder_counts_follow_the_lists_search_and_filters() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("counts@example.com", "Counts").await?;
    seed(&app, &my_id(&b).await?, N).await?;

    let (all, html) = shown(&b, "").await?;
    assert_eq!(all, expected(|_| true));
    assert!(!html.contains("Count all duplicates"), "nothing filtered");

    // A name search: only the pictures' groups, two copies each (so nothing in Misc).
    let (pictures, html) = shown(&b, "q=img").await?;
    let want = expected(|g| g % 3 == 0);
    assert_eq!(pictures, want);
    assert_ne!(pictures, all);
    assert!(
        html.contains("names containing <strong>img</strong>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/dupes/folders?sort=reclaimable\">Count all duplicates"),
        "{html}"
    );
    // The same copies as the list shows for the search.
    let list = json_ok(&b, "/api/dupes?q=img").await?;
    assert_eq!(list["total_groups"], count(N, |g| g % 3 == 0));
    let listed: usize = list["groups"]
        .as_array()
        .ok_or("groups")?
        .iter()
        .map(|g| g["files"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(listed as u64, want.values().sum::<u64>());

    // Type and search together; the folder being cleaned up does not narrow the tree it is
    // picked in.
    let (songs, _) = shown(&b, "type=audio&q=song&folder=/Photos/0").await?;
    assert_eq!(songs, expected(|g| g % 3 == 2));
    let (none, html) = shown(&b, "type=image&q=song").await?;
    assert!(none.is_empty(), "{none:?}");
    assert!(html.contains("No duplicates here."));

    // The API counts the same way.
    for (query, keep) in [
        ("", (|_| true) as fn(u64) -> bool),
        ("?q=img", |g| g % 3 == 0),
        ("?type=audio&q=song&folder=/Photos/0", |g| g % 3 == 2),
    ] {
        let api = json_ok(&b, &format!("/api/folders{query}")).await?;
        let counted: BTreeMap<String, u64> = api
            .as_array()
            .ok_or("folders")?
            .iter()
            .map(|f| {
                let path = f["path"].as_str().unwrap_or_default().to_owned();
                (path, f["copies"].as_u64().unwrap_or_default())
            })
            .collect();
        assert_eq!(counted, expected(keep), "/api/folders{query}");
    }
    Ok(())
}

/// Pixels between the folder view's "Review these duplicates" button and the card below it,
/// in the page `d` shows.
const BUTTON_GAP: &str = "const b = document.querySelector('main .chips .button'); \
    const c = document.querySelector('main .chips ~ .card'); \
    return b && c ? c.getBoundingClientRect().top - b.getBoundingClientRect().bottom : null;";

/// The folder view's button keeps off the card below it (it touched it on a phone).
pub async fn button_keeps_off_the_card(d: &crate::browser::Driver) -> TestResult {
    let gap = d
        .cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(serde_json::json!({"script": BUTTON_GAP, "args": []})),
        )
        .await?;
    let gap = gap
        .as_f64()
        .ok_or_else(|| format!("no button or card: {gap}"))?;
    assert!(gap >= 12.0, "the button is {gap} px from the card below it");
    Ok(())
}
