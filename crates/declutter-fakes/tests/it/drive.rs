//! Fake Drive: files.list paging, changes, trash, native docs, rate-limit 403.

use declutter_fakes::Gated;
use declutter_fakes::{FakeDrive, Throttle, ThrottleKind};
use serde_json::Value;

use crate::TestResult;

#[tokio::test]
async fn list_pages_changes_and_trash() -> TestResult {
    let fake = FakeDrive::start().await?;
    let a = fake.add_file(None, "a", 3, "md5a");
    fake.add_native_doc(None, "doc");
    let http = reqwest::Client::new();
    let base = fake.base_url();
    let tok = fake.access_token();
    let start: Value = http
        .get(format!("{base}/changes/startPageToken"))
        .bearer_auth(tok)
        .send()
        .await?
        .json()
        .await?;
    let start = start["startPageToken"].as_str().ok_or("token")?.to_owned();
    let page: Value = http
        .get(format!("{base}/files"))
        .query(&[("pageSize", "1"), ("q", "trashed = false")])
        .bearer_auth(tok)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(page["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["files"][0]["md5Checksum"], "md5a");
    assert!(page["nextPageToken"].is_string());
    let trashed = http
        .patch(format!("{base}/files/{a}"))
        .json(&serde_json::json!({"trashed": true}))
        .bearer_auth(tok)
        .send()
        .await?;
    assert!(trashed.status().is_success());
    assert!(fake.file(&a).is_some_and(|f| f.trashed));
    let changes: Value = http
        .get(format!("{base}/changes"))
        .query(&[("pageToken", start.as_str())])
        .bearer_auth(tok)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(changes["changes"][0]["fileId"], a.as_str());
    assert_eq!(changes["changes"][0]["file"]["trashed"], true);
    assert!(changes["newStartPageToken"].is_string());
    Ok(())
}

#[tokio::test]
async fn rate_limit_is_a_403_with_the_documented_reason() -> TestResult {
    let fake = FakeDrive::start().await?;
    fake.throttle(Throttle {
        count: 1,
        kind: ThrottleKind::UserRateLimit,
        retry_after: None,
    });
    let resp = reqwest::Client::new()
        .get(format!("{}/files", fake.base_url()))
        .bearer_auth(fake.access_token())
        .send()
        .await?;
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await?;
    assert_eq!(
        body["error"]["errors"][0]["reason"],
        "userRateLimitExceeded"
    );
    Ok(())
}
