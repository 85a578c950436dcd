use super::*;
use sha2::{Digest, Sha256};

fn paste(id: &str, content: &[u8], now: i64, burn: bool) -> NewPaste {
    NewPaste {
        id: id.to_owned(),
        content: content.to_vec(),
        mime_type: "text/plain".into(),
        sha256: Sha256::digest(content).into(),
        owner: None,
        created_at: now,
        expires_at: Some(now + 100),
        burn_after_read: burn,
        password_hash: None,
        delete_token_hash: None,
        scan: None,
    }
}

const NO_DEDUP: DedupPolicy = DedupPolicy {
    window_secs: 60,
    max: 0,
};

#[tokio::test]
async fn create_read_delete() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 2)?;
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
async fn burn_is_exactly_once() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = PasteStore::open(&dir.path().join("p.db"), 4)?;
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
    let store = PasteStore::open(&dir.path().join("p.db"), 1)?;
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
        Dedup::Throttled { retry_after: 50 }
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
    let store = PasteStore::open(&dir.path().join("p.db"), 1)?;
    store.create(paste("old", b"1", 0, false), NO_DEDUP).await?;
    store
        .create(paste("new", b"2", 50, false), NO_DEDUP)
        .await?;
    let purged = store.purge_expired(120, 60).await?;
    assert_eq!(purged, vec![("old".to_owned(), 1)]);
    assert!(store.meta("new", 120).await?.is_some());
    Ok(())
}
