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

#[tokio::test]
async fn scopes_per_file_grants_and_only_owners_trash() -> TestResult {
    let fake = FakeDrive::start().await?;
    let mine = fake.add_file(None, "a", 3, "md5a");
    let theirs = fake.add_shared_file(None, "b", 3, "md5b");
    let http = reqwest::Client::new();
    let base = fake.base_url();
    let trash = |token: String, id: String| {
        let http = http.clone();
        let url = format!("{base}/files/{id}");
        async move {
            let resp = http
                .patch(url)
                .json(&serde_json::json!({"trashed": true}))
                .bearer_auth(token)
                .send()
                .await?;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await?;
            let reason = body["error"]["errors"][0]["reason"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            Ok::<_, reqwest::Error>((status, reason))
        }
    };
    let meta = fake.grant(&["https://www.googleapis.com/auth/drive.metadata.readonly"]);
    let media = http
        .get(format!("{base}/files/{mine}"))
        .query(&[("alt", "media")])
        .bearer_auth(&meta.access)
        .send()
        .await?;
    assert_eq!(media.status(), 403, "metadata scopes do not download");
    assert_eq!(
        trash(meta.access.clone(), mine.clone()).await?,
        (403, "insufficientPermissions".into())
    );
    let per_file = fake.grant(&[
        "https://www.googleapis.com/auth/drive.metadata.readonly",
        "https://www.googleapis.com/auth/drive.file",
    ]);
    assert_eq!(
        trash(per_file.access.clone(), mine.clone()).await?,
        (403, "appNotAuthorizedToFile".into())
    );
    fake.grant_file(&mine);
    assert_eq!(trash(per_file.access.clone(), mine.clone()).await?.0, 200);
    let full = fake.grant(&["https://www.googleapis.com/auth/drive"]);
    assert_eq!(
        trash(full.access.clone(), theirs.clone()).await?,
        (403, "insufficientFilePermissions".into())
    );
    Ok(())
}

#[tokio::test]
async fn shared_drives_are_listed_only_on_request_and_change_as_drives() -> TestResult {
    use declutter_fakes::Role;
    let fake = FakeDrive::start().await?;
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
    let team = fake.add_shared_drive("Team", Role::Reader);
    let f = fake.add_drive_file(&team, "t.bin", 3, "md5t");
    let plain: Value = http
        .get(format!("{base}/files"))
        .bearer_auth(tok)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(plain["files"].as_array().map(Vec::len), Some(0));
    let all: Value = http
        .get(format!("{base}/files"))
        .query(&[
            ("supportsAllDrives", "true"),
            ("includeItemsFromAllDrives", "true"),
            ("corpora", "allDrives"),
        ])
        .bearer_auth(tok)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(all["files"][0]["id"], f.as_str());
    assert_eq!(all["files"][0]["capabilities"]["canTrash"], false);
    let changes: Value = http
        .get(format!("{base}/changes"))
        .query(&[("pageToken", start.as_str())])
        .bearer_auth(tok)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(changes["changes"][0]["changeType"], "drive");
    assert!(changes["changes"][0].get("fileId").is_none());
    assert_eq!(changes["changes"].as_array().map(Vec::len), Some(1));
    Ok(())
}
