use super::*;
use sha2::{Digest, Sha256};

fn paste(id: &str, content: &[u8], now: i64, burn: bool) -> NewPaste {
    NewPaste {
        id: id.to_owned(),
        content: content.to_vec().into(),
        mime_type: "text/plain".into(),
        sha256: Sha256::digest(content).into(),
        owner: None,
        created_at: now,
        expires_at: Some(now + 100),
        burn_after_read: burn,
        password_hash: None,
        delete_token_hash: None,
        scan: None,
        display_name: None,
    }
}

const NO_DEDUP: DedupPolicy = DedupPolicy {
    window_secs: 60,
    max: 0,
};

#[tokio::test]
async fn create_read_delete() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 2, 1 << 20)?;
    assert_eq!(
        store.create(paste("a", b"hi", 10, false), NO_DEDUP).await?,
        Dedup::Stored
    );
    assert_eq!(store.meta("a", 11).await?.map(|m| m.size), Some(2));
    assert_eq!(store.content("a", 11).await?, Some(b"hi".to_vec()));
    assert_eq!(
        store.content("a", 110).await?,
        None,
        "expired pastes are never served"
    );
    assert!(store.delete("a").await?.is_some());
    assert!(store.meta("a", 11).await?.is_none());
    Ok(())
}

#[tokio::test]
async fn cached_reads_follow_deletes_purges_and_expiry() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 2, 1 << 20)?;
    for id in ["a", "b"] {
        store.create(paste(id, b"hot", 10, false), NO_DEDUP).await?;
    }
    store
        .create(paste("burn", b"once", 10, true), NO_DEDUP)
        .await?;
    for _ in 0..2 {
        let a = store.readable("a", 11).await?.ok_or("a missing")?;
        assert_eq!(a.content.as_deref(), Some(&b"hot"[..]));
    }
    let burn = store.readable("burn", 11).await?.ok_or("burn missing")?;
    assert_eq!(burn.content, None, "burn pastes never come with content");

    assert!(store.delete("a").await?.is_some());
    assert!(store.readable("a", 11).await?.is_none());
    assert!(store.meta("a", 11).await?.is_none());

    assert!(store.readable("b", 11).await?.is_some());
    assert!(
        store.readable("b", 110).await?.is_none(),
        "expired in cache too"
    );
    let purged = store.purge_expired(200, 60).await?;
    assert!(purged.iter().any(|(id, _)| id == "b"));
    assert!(store.readable("b", 11).await?.is_none(), "purge evicts");
    Ok(())
}

#[tokio::test]
async fn burn_is_exactly_once() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 4, 1 << 20)?;
    store
        .create(paste("b", b"secret", 10, true), NO_DEDUP)
        .await?;
    assert_eq!(
        store.content("b", 11).await?,
        None,
        "burn pastes only come out through burn"
    );
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move { s.burn("b", 11).await }));
    }
    let mut winners = 0;
    for t in tasks {
        if t.await??.is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    Ok(())
}

#[tokio::test]
async fn dedup_throttles_within_window() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 1, 1 << 20)?;
    let policy = DedupPolicy {
        window_secs: 60,
        max: 2,
    };
    assert_eq!(
        store
            .create(paste("c1", b"same", 100, false), policy)
            .await?,
        Dedup::Stored
    );
    assert_eq!(
        store
            .create(paste("c2", b"same", 101, false), policy)
            .await?,
        Dedup::Stored
    );
    assert_eq!(
        store
            .create(paste("c3", b"same", 110, false), policy)
            .await?,
        Dedup::Throttled {
            retry_after: 50,
            count: 2
        }
    );
    assert_eq!(
        store
            .create(paste("d1", b"other", 110, false), policy)
            .await?,
        Dedup::Stored
    );
    assert_eq!(
        store
            .create(paste("c4", b"same", 161, false), policy)
            .await?,
        Dedup::Stored
    );
    Ok(())
}

#[tokio::test]
async fn purge_removes_only_expired() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 1, 1 << 20)?;
    store.create(paste("old", b"1", 0, false), NO_DEDUP).await?;
    store
        .create(paste("new", b"2", 50, false), NO_DEDUP)
        .await?;
    let purged = store.purge_expired(120, 60).await?;
    assert_eq!(purged, vec![("old".to_owned(), 1)]);
    assert!(store.meta("new", 120).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn stats_group_by_family_and_horizon() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 1, 1 << 20)?;
    store
        .create(paste("t1", b"abc", 0, false), NO_DEDUP)
        .await?;
    let mut img = paste("i1", b"12345", 0, true);
    img.mime_type = "image/png".into();
    img.owner = Some("f".repeat(40));
    img.expires_at = Some(10_000);
    store.create(img, NO_DEDUP).await?;
    store
        .create(paste("old", b"gone", -500, false), NO_DEDUP)
        .await?;
    let stats = store.stats(50, 3600).await?;
    assert_eq!(stats.total, Tally { count: 2, bytes: 8 });
    assert_eq!(
        stats.by_mime_family.get("image"),
        Some(&Tally { count: 1, bytes: 5 })
    );
    assert_eq!(
        stats.by_mime_family.get("text"),
        Some(&Tally { count: 1, bytes: 3 })
    );
    assert_eq!(stats.expiring_soon, Tally { count: 1, bytes: 3 });
    assert_eq!(stats.expired_unpurged, Tally { count: 1, bytes: 4 });
    assert_eq!(
        (stats.burn_after_read, stats.owned, stats.owners),
        (1, 1, 1)
    );
    Ok(())
}

#[tokio::test]
async fn outbox_is_filled_by_the_same_transaction() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 1, 1 << 20)?;
    store
        .create(paste("quiet", b"q", 10, false), NO_DEDUP)
        .await?;
    assert!(
        store.due_webhooks(i64::MAX, 10).await?.is_empty(),
        "no endpoints, no events"
    );
    store
        .set_webhook_endpoints(vec!["http://a.test/h".into(), "http://b.test/h".into()])
        .await?;
    // The triggers tell expiry from deletion by the wall clock, as the sweeper does.
    let now = crate::now_unix();
    store
        .create(paste("w", b"hello", now, true), NO_DEDUP)
        .await?;
    store.burn("w", now + 1).await?;
    let due = store.due_webhooks(i64::MAX, 10).await?;
    let events: Vec<_> = due
        .iter()
        .map(|d| (d.endpoint.as_str(), d.event.as_str(), d.reason.as_deref()))
        .collect();
    assert_eq!(
        events,
        vec![
            ("http://a.test/h", "paste.created", None),
            ("http://b.test/h", "paste.created", None),
            ("http://a.test/h", "paste.deleted", Some("burned")),
            ("http://b.test/h", "paste.deleted", Some("burned")),
        ]
    );
    store.webhook_delivered(due[0].id).await?;
    store
        .webhook_failed(due[1].id, "500".into(), 5_000, false)
        .await?;
    let later = store.due_webhooks(1_000, 10).await?;
    assert_eq!(later.len(), 2, "the failed one waits for its retry time");
    assert_eq!(store.next_webhook_due().await?, Some(0));
    store.set_webhook_endpoints(vec![]).await?;
    assert!(store.due_webhooks(i64::MAX, 10).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn group_commit_isolates_a_failing_create() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 2, 1 << 20)?;
    store
        .create(paste("taken", b"first", 10, false), NO_DEDUP)
        .await?;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = store.clone();
        // Every 50th create reuses an existing id and must fail alone.
        let id = if i % 50 == 0 {
            "taken".to_owned()
        } else {
            format!("id{i}")
        };
        let body = format!("body {i}");
        tasks.push(tokio::spawn(async move {
            s.create(paste(&id, body.as_bytes(), 10, false), NO_DEDUP)
                .await
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    for t in tasks {
        match t.await? {
            Ok(Dedup::Stored) => ok += 1,
            Ok(Dedup::Throttled { .. } | Dedup::OverQuota) => {}
            Err(_) => failed += 1,
        }
    }
    assert_eq!((ok, failed), (196, 4));
    let (count, _) = store.totals().await?;
    assert_eq!(count, 197);
    Ok(())
}
