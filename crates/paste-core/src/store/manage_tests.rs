//! Listing order and filters, and updates, against a real SQLite file.

use sha2::{Digest, Sha256};

use super::*;

const NO_DEDUP: DedupPolicy = DedupPolicy {
    window_secs: 60,
    max: 0,
};

fn owned(id: &str, owner: &str, created_at: i64, mime: &str) -> NewPaste {
    NewPaste {
        id: id.to_owned(),
        content: id.as_bytes().to_vec().into(),
        mime_type: mime.to_owned(),
        sha256: Sha256::digest(id.as_bytes()).into(),
        owner: Some(owner.to_owned()),
        created_at,
        expires_at: Some(created_at + 1000),
        burn_after_read: false,
        password_hash: None,
        delete_token_hash: None,
        scan: None,
        display_name: None,
    }
}

fn ids(page: &ListPage) -> Vec<&str> {
    page.pastes.iter().map(|m| m.id.as_str()).collect()
}

#[tokio::test]
async fn listings_are_newest_first_and_filtered() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 2, 1 << 20)?;
    for p in [
        owned("old", "a", 100, "text/plain"),
        owned("mid", "a", 200, "image/png"),
        owned("new", "a", 300, "text/plain"),
        owned("other", "b", 250, "text/plain"),
    ] {
        store.create(p, NO_DEDUP).await?;
    }
    let mine = |f: ListFilter| ListFilter {
        owner: Some("a".into()),
        limit: 10,
        ..f
    };
    let all = store.list(mine(ListFilter::default()), 150).await?;
    assert_eq!(ids(&all), ["new", "mid", "old"]);
    assert_eq!(all.total, 3);
    let window = ListFilter {
        after: Some(150),
        before: Some(300),
        ..ListFilter::default()
    };
    assert_eq!(ids(&store.list(mine(window), 150).await?), ["mid"]);
    let images = ListFilter {
        mime_prefix: Some("image/".into()),
        ..ListFilter::default()
    };
    assert_eq!(ids(&store.list(mine(images), 150).await?), ["mid"]);
    let paged = ListFilter {
        offset: 1,
        limit: 1,
        owner: Some("a".into()),
        ..ListFilter::default()
    };
    let page = store.list(paged, 150).await?;
    assert_eq!((ids(&page), page.total), (vec!["mid"], 3));
    let everyone = ListFilter {
        limit: 10,
        ..ListFilter::default()
    };
    assert_eq!(store.list(everyone, 150).await?.total, 4);
    // Expired pastes are not listed.
    assert_eq!(
        ids(&store.list(mine(ListFilter::default()), 1150).await?),
        ["new", "mid"]
    );
    Ok(())
}

#[tokio::test]
async fn updates_change_only_what_they_name() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 2, 1 << 20)?;
    store
        .create(owned("p", "a", 100, "text/plain"), NO_DEDUP)
        .await?;
    // Cached before the update: the update must not leave the old bytes in memory.
    assert!(store.readable("p", 101).await?.is_some());
    let renamed = PasteUpdate {
        display_name: Some(Some("notes".into())),
        ..PasteUpdate::default()
    };
    let Updated::Done(meta) = store.update("p", renamed, NO_DEDUP, None, 101).await? else {
        panic!("update refused");
    };
    assert_eq!(meta.display_name.as_deref(), Some("notes"));
    assert_eq!(meta.expires_at, Some(1100), "expiry untouched");
    let content = PasteUpdate {
        content: Some(NewContent {
            content: Content::Memory(b"fresh".to_vec()),
            sha256: Sha256::digest(b"fresh").into(),
            mime_type: "text/plain".into(),
            scan: None,
        }),
        expires_at: Some(5000),
        ..PasteUpdate::default()
    };
    let Updated::Done(meta) = store.update("p", content, NO_DEDUP, None, 102).await? else {
        panic!("update refused");
    };
    assert_eq!((meta.size, meta.expires_at), (5, Some(5000)));
    assert_eq!(meta.display_name.as_deref(), Some("notes"), "name kept");
    let cached = store.readable("p", 103).await?.ok_or("gone")?;
    assert_eq!(cached.content.as_deref(), Some(&b"fresh"[..]));
    assert_eq!(
        store
            .update("nope", PasteUpdate::default(), NO_DEDUP, None, 103)
            .await?,
        Updated::NotFound
    );
    Ok(())
}

fn new_content(bytes: &[u8]) -> PasteUpdate {
    PasteUpdate {
        content: Some(NewContent {
            content: Content::Memory(bytes.to_vec()),
            sha256: Sha256::digest(bytes).into(),
            mime_type: "text/plain".into(),
            scan: None,
        }),
        ..PasteUpdate::default()
    }
}

#[tokio::test]
async fn growing_needs_room_in_the_quota_and_shrinking_never_does()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 2, 1 << 20)?;
    // Two 8-byte pastes: 16 bytes held, over a limit of 10 lowered after they were stored.
    for id in ["paste-01", "paste-02"] {
        store
            .create(owned(id, "a", 100, "text/plain"), NO_DEDUP)
            .await?;
    }
    let quota = || {
        Some(Quota {
            scope: QuotaScope::Owner("a".into()),
            limits: QuotaLimits {
                bytes: 10,
                pastes: 0,
            },
        })
    };
    let grown = store
        .update(
            "paste-01",
            new_content(b"0123456789"),
            NO_DEDUP,
            quota(),
            101,
        )
        .await?;
    assert_eq!(
        grown,
        Updated::OverQuota {
            used: Usage {
                bytes: 16,
                pastes: 2
            }
        }
    );
    assert_eq!(store.meta("paste-01", 101).await?.ok_or("gone")?.size, 8);
    // Shrinking is allowed even while over the limit, so the owner can make room.
    let shrunk = store
        .update("paste-01", new_content(b"0123"), NO_DEDUP, quota(), 102)
        .await?;
    assert!(
        matches!(shrunk, Updated::Done(ref m) if m.size == 4),
        "{shrunk:?}"
    );
    Ok(())
}
