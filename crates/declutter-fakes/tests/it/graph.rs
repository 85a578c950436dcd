//! Fake Graph: delta paging, delta links, auth, throttling, counters.

use declutter_fakes::Gated;
use declutter_fakes::{FakeGraph, Throttle, ThrottleKind};
use serde_json::Value;

use crate::TestResult;

/// The pages of a full delta round, following `@odata.nextLink` to the last.
async fn full_round(fake: &FakeGraph) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let http = reqwest::Client::new();
    let mut url = format!("{}/me/drive/root/delta", fake.base_url());
    let mut pages = Vec::new();
    loop {
        let page: Value = http
            .get(&url)
            .bearer_auth(fake.access_token())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let next = page["@odata.nextLink"].as_str().map(str::to_owned);
        pages.push(page);
        match next {
            Some(next) => url = next,
            None => return Ok(pages),
        }
    }
}

/// Every folder's `childCount` in a full delta round, by id.
async fn child_counts(fake: &FakeGraph) -> Result<Vec<(String, u64)>, Box<dyn std::error::Error>> {
    let mut counts = Vec::new();
    for page in full_round(fake).await? {
        for item in page["value"].as_array().ok_or("value")? {
            if let Some(n) = item["folder"]["childCount"].as_u64() {
                counts.push((item["id"].as_str().ok_or("id")?.to_owned(), n));
            }
        }
    }
    Ok(counts)
}

#[tokio::test]
async fn delta_pages_then_delta_link_returns_only_changes() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.set_page_size(2);
    for i in 0..4 {
        fake.add_file(None, &format!("f{i}"), 1, "h");
    }
    let http = reqwest::Client::new();
    let pages = full_round(&fake).await?;
    let seen: usize = pages
        .iter()
        .map(|p| p["value"].as_array().map_or(0, Vec::len))
        .sum();
    let delta_link = pages
        .last()
        .and_then(|p| p["@odata.deltaLink"].as_str())
        .ok_or("no delta link")?
        .to_owned();
    assert_eq!(seen, 5, "root and four files");
    assert_eq!(fake.calls(), 3);
    let id = fake.add_file(None, "late", 2, "h2");
    let page: Value = http
        .get(&delta_link)
        .bearer_auth(fake.access_token())
        .send()
        .await?
        .json()
        .await?;
    let items = page["value"].as_array().ok_or("value")?;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["file"]["hashes"]["quickXorHash"], "h2");
    Ok(())
}

#[tokio::test]
async fn delta_folders_count_their_live_children_after_every_change() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.set_page_size(2);
    let a = fake.add_folder(None, "a");
    let b = fake.add_folder(None, "b");
    let files: Vec<String> = (0..3)
        .map(|i| fake.add_file(Some(&a), &format!("f{i}"), 1, "h"))
        .collect();
    let count =
        |counts: &[(String, u64)], id: &str| counts.iter().find(|(i, _)| i == id).map(|(_, n)| *n);
    let before = child_counts(&fake).await?;
    assert_eq!(count(&before, &a), Some(3));
    assert_eq!(count(&before, &b), Some(0));
    // Counted again once the drive changes, not kept from the listing before.
    fake.delete(&files[0]);
    let after = child_counts(&fake).await?;
    assert_eq!(count(&after, &a), Some(2));
    Ok(())
}

#[tokio::test]
async fn tokens_expire_and_refresh_and_storms_send_retry_after() -> TestResult {
    let fake = FakeGraph::start().await?;
    let http = reqwest::Client::new();
    let url = format!("{}/me/drive/items/root-id", fake.base_url());
    assert_eq!(http.get(&url).send().await?.status(), 401);
    fake.expire_tokens();
    assert_eq!(
        http.get(&url)
            .bearer_auth(fake.access_token())
            .send()
            .await?
            .status(),
        401
    );
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", fake.refresh_token()),
    ];
    let tok: Value = http
        .post(fake.token_url())
        .form(&form)
        .send()
        .await?
        .json()
        .await?;
    let fresh = tok["access_token"].as_str().ok_or("token")?;
    assert_eq!(
        http.get(&url).bearer_auth(fresh).send().await?.status(),
        200
    );
    fake.throttle(Throttle {
        count: 1,
        kind: ThrottleKind::TooManyRequests,
        retry_after: Some(7),
    });
    let resp = http.get(&url).bearer_auth(fresh).send().await?;
    assert_eq!(resp.status(), 429);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    assert_eq!(fake.calls(), 4, "token requests are not API calls");
    assert_eq!(fake.refreshes(), 1);
    Ok(())
}

#[tokio::test]
async fn scopes_are_checked_and_errors_have_the_documented_shape() -> TestResult {
    let fake = FakeGraph::start().await?;
    let id = fake.add_file(None, "a.txt", 3, "h");
    let read = fake.grant(&["Files.Read"]);
    let http = reqwest::Client::new();
    let base = fake.base_url();
    // A read-only grant lists, but cannot create the app folder, nor change an item.
    let delta = http
        .get(format!("{base}/me/drive/root/delta"))
        .bearer_auth(&read.access)
        .send()
        .await?;
    assert_eq!(delta.status(), 200);
    let approot = http
        .get(format!("{base}/me/drive/special/approot"))
        .bearer_auth(&read.access)
        .send()
        .await?;
    assert_eq!(approot.status(), 403);
    let body: Value = approot.json().await?;
    assert_eq!(body["error"]["code"], "accessDenied");
    assert!(body["error"]["innerError"]["request-id"].is_string());
    assert!(fake.approot_id().is_none(), "nothing was created");
    let patch = http
        .patch(format!("{base}/me/drive/items/{id}"))
        .json(&serde_json::json!({"name": "b.txt"}))
        .bearer_auth(&read.access)
        .send()
        .await?;
    assert_eq!(patch.status(), 403);
    // The write grant creates the folder; the read grant then sees it.
    let write = fake.grant(&["Files.ReadWrite"]);
    for (token, status) in [(&write.access, 200), (&read.access, 200)] {
        let resp = http
            .get(format!("{base}/me/drive/special/approot"))
            .bearer_auth(token)
            .send()
            .await?;
        assert_eq!(resp.status(), status);
    }
    Ok(())
}

#[tokio::test]
async fn downloads_redirect_to_another_origin_that_refuses_bearer_tokens() -> TestResult {
    let fake = FakeGraph::start().await?;
    let id = fake.add_file(None, "a.txt", 3, "h");
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let url = format!("{}/me/drive/items/{id}/content", fake.base_url());
    let resp = no_redirects
        .get(&url)
        .bearer_auth(fake.access_token())
        .send()
        .await?;
    assert_eq!(resp.status(), 302);
    let to = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("location")?
        .to_owned();
    assert!(!to.starts_with(&fake.base_url()[..fake.base_url().len() - 5]));
    let leaked = no_redirects
        .get(&to)
        .bearer_auth(fake.access_token())
        .send()
        .await?;
    assert_eq!(leaked.status(), 401);
    assert_eq!(fake.leaked_auth(), 1);
    assert_eq!(no_redirects.get(&to).send().await?.status(), 200);
    Ok(())
}

#[tokio::test]
async fn expired_delta_links_answer_410_with_a_location() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.add_file(None, "a.txt", 3, "h");
    let http = reqwest::Client::new();
    let page: Value = http
        .get(format!("{}/me/drive/root/delta", fake.base_url()))
        .bearer_auth(fake.access_token())
        .send()
        .await?
        .json()
        .await?;
    let link = page["@odata.deltaLink"].as_str().ok_or("link")?;
    fake.invalidate_delta_links();
    let gone = http
        .get(link)
        .bearer_auth(fake.access_token())
        .send()
        .await?;
    assert_eq!(gone.status(), 410);
    let location = gone
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("location")?
        .to_owned();
    let body: Value = gone.json().await?;
    assert_eq!(body["error"]["code"], "resyncRequired");
    let fresh: Value = http
        .get(&location)
        .bearer_auth(fake.access_token())
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(fresh["value"].as_array().map(Vec::len), Some(2));
    assert_eq!(fake.resyncs_followed(), 1);
    Ok(())
}
