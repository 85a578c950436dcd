//! Counted reads and quotas against a real SQLite file.

use super::*;
use sha2::{Digest, Sha256};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn paste(id: &str, content: &[u8], owner: Option<&str>, burn: bool) -> NewPaste {
    NewPaste {
        id: id.to_owned(),
        content: content.to_vec().into(),
        mime_type: "text/plain".into(),
        sha256: Sha256::digest(content).into(),
        owner: owner.map(str::to_owned),
        created_at: 10,
        expires_at: Some(1000),
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

fn limited(max_views: u32, confirm: bool) -> CreateGuards {
    CreateGuards {
        read_limit: Some(ReadLimit {
            max_views,
            views: 0,
            confirm,
        }),
        quota: None,
    }
}

fn open(dir: &tempfile::TempDir) -> Result<PasteStore, Box<dyn std::error::Error>> {
    Ok(PasteStore::open(&dir.path().join("p.db"), 2, 1 << 20)?)
}

#[tokio::test]
async fn a_paste_serves_exactly_its_views_then_is_gone() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(&dir)?;
    store
        .create_guarded(
            paste("a", b"thrice", None, true),
            NO_DEDUP,
            limited(3, true),
        )
        .await?;
    let limit = store.read_limit("a", 11).await?;
    assert_eq!(
        limit,
        Some(ReadLimit {
            max_views: 3,
            views: 0,
            confirm: true
        })
    );
    for left in [2, 1, 0] {
        let read = store
            .count_read("a", 11)
            .await?
            .ok_or("paste vanished early")?;
        assert_eq!(
            (read.content.as_slice(), read.views_left),
            (&b"thrice"[..], left)
        );
    }
    assert_eq!(store.count_read("a", 11).await?, None);
    assert_eq!(store.meta("a", 11).await?, None);
    assert_eq!(store.read_limit("a", 11).await?, None);
    Ok(())
}

#[tokio::test]
async fn plain_burn_needs_no_limit_row_and_expired_pastes_do_not_count() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(&dir)?;
    store
        .create(paste("b", b"once", None, true), NO_DEDUP)
        .await?;
    assert_eq!(store.read_limit("b", 11).await?, Some(ReadLimit::BURN));
    assert_eq!(store.count_read("b", 1000).await?, None, "expired");
    let read = store
        .count_read("b", 11)
        .await?
        .ok_or("burn paste missing")?;
    assert_eq!(read.views_left, 0);
    assert_eq!(store.count_read("b", 11).await?, None);
    // A paste whose reads are not counted is never handed out by a counting read.
    store
        .create(paste("c", b"free", None, false), NO_DEDUP)
        .await?;
    assert_eq!(store.count_read("c", 11).await?, None);
    assert!(store.meta("c", 11).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn concurrent_counting_reads_get_exactly_max_views() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(&dir)?;
    store
        .create_guarded(paste("d", b"five", None, true), NO_DEDUP, limited(5, false))
        .await?;
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.count_read("d", 11).await })
        })
        .collect();
    let mut left = Vec::new();
    for t in tasks {
        if let Some(read) = t.await?? {
            left.push(read.views_left);
        }
    }
    left.sort_unstable();
    assert_eq!(left, [0, 1, 2, 3, 4]);
    Ok(())
}

#[tokio::test]
async fn owner_quota_counts_live_pastes_and_refuses_past_the_limit() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(&dir)?;
    let owner = "a".repeat(40);
    let quota = |bytes, pastes| CreateGuards {
        read_limit: None,
        quota: Some(Quota {
            scope: QuotaScope::Owner(owner.clone()),
            limits: QuotaLimits { bytes, pastes },
        }),
    };
    let first = store
        .create_guarded(
            paste("e1", b"12345", Some(&owner), false),
            NO_DEDUP,
            quota(8, 2),
        )
        .await?;
    assert_eq!(first.outcome, Dedup::Stored);
    assert_eq!(
        first.usage,
        Some(Usage {
            bytes: 5,
            pastes: 1
        })
    );
    let too_big = store
        .create_guarded(
            paste("e2", b"6789", Some(&owner), false),
            NO_DEDUP,
            quota(8, 2),
        )
        .await?;
    assert_eq!(too_big.outcome, Dedup::OverQuota);
    assert_eq!(
        too_big.usage,
        Some(Usage {
            bytes: 5,
            pastes: 1
        })
    );
    assert_eq!(
        store.meta("e2", 11).await?,
        None,
        "a refused paste is not stored"
    );
    store
        .create_guarded(
            paste("e3", b"67", Some(&owner), false),
            NO_DEDUP,
            quota(8, 2),
        )
        .await?;
    let too_many = store
        .create_guarded(
            paste("e4", b"x", Some(&owner), false),
            NO_DEDUP,
            quota(0, 2),
        )
        .await?;
    assert_eq!(too_many.outcome, Dedup::OverQuota);
    // Deleting frees the quota again.
    store.delete("e1").await?;
    let after = store
        .create_guarded(
            paste("e5", b"x", Some(&owner), false),
            NO_DEDUP,
            quota(8, 2),
        )
        .await?;
    assert_eq!(
        after.usage,
        Some(Usage {
            bytes: 3,
            pastes: 2
        })
    );
    Ok(())
}

#[tokio::test]
async fn anonymous_quota_is_per_client_and_day() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(&dir)?;
    let guard = |client: &str, now: i64| CreateGuards {
        read_limit: None,
        quota: Some(Quota {
            scope: QuotaScope::anonymous(client.to_owned(), now),
            limits: QuotaLimits {
                bytes: 0,
                pastes: 1,
            },
        }),
    };
    let ok = store
        .create_guarded(
            paste("f1", b"x", None, false),
            NO_DEDUP,
            guard("192.0.2.1", 10),
        )
        .await?;
    assert_eq!(ok.outcome, Dedup::Stored);
    let refused = store
        .create_guarded(
            paste("f2", b"y", None, false),
            NO_DEDUP,
            guard("192.0.2.1", 20),
        )
        .await?;
    assert_eq!(refused.outcome, Dedup::OverQuota);
    let other = store
        .create_guarded(
            paste("f3", b"z", None, false),
            NO_DEDUP,
            guard("192.0.2.2", 20),
        )
        .await?;
    assert_eq!(other.outcome, Dedup::Stored);
    let next_day = store
        .create_guarded(
            paste("f4", b"w", None, false),
            NO_DEDUP,
            guard("192.0.2.1", 86_400),
        )
        .await?;
    assert_eq!(next_day.outcome, Dedup::Stored);
    assert_eq!(
        store.purge_anon_usage(86_400).await?,
        2,
        "yesterday forgotten"
    );
    Ok(())
}

#[tokio::test]
async fn large_content_is_written_and_read_in_chunks_and_never_from_another_paste() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = open(&dir)?;
    let big: Vec<u8> = (0..(STREAM_THRESHOLD + 12_345))
        .map(|i| (i % 251) as u8)
        .collect();
    store
        .create(paste("g", &big, None, false), NO_DEDUP)
        .await?;
    let mut got = Vec::new();
    while got.len() < big.len() {
        let chunk = store
            .content_chunk("g", got.len() as u64, 100_000)
            .await?
            .ok_or("paste vanished")?;
        assert!(!chunk.is_empty() && chunk.len() <= 100_000);
        got.extend_from_slice(&chunk);
    }
    assert!(got == big, "chunks differ from what was written");
    assert_eq!(store.content("g", 11).await?, Some(big.clone()));
    // Delete it and store another large paste, which may take the freed row id: a download of
    // the first must end, not continue with the second's bytes.
    store.delete("g").await?;
    let other = vec![b'z'; big.len()];
    store
        .create(paste("h", &other, None, false), NO_DEDUP)
        .await?;
    assert_eq!(store.content_chunk("g", 0, 1024).await?, None);
    Ok(())
}
