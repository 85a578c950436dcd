//! Verification of probable (cross-provider) matches by streaming download and hash, against
//! the fake Graph and Drive servers and a local folder.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use declutter_core::cloud::{RetryPolicy, StaticToken};
use declutter_core::engine::lease::{self, Lease};
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::scan::scan;
use declutter_core::engine::verify::{VerifyOptions, verify, verify_holding};
use declutter_core::engine::{AnyProvider, plan};
use declutter_core::gdrive::GDriveProvider;
use declutter_core::ids::{Source, UserId};
use declutter_core::local::LocalProvider;
use declutter_core::onedrive::OneDriveProvider;
use declutter_core::platform_db::sql::{Db, DbExt as _, RusqliteLike as _};
use declutter_core::progress::NoProgress;
use declutter_core::store::groups::{self, Confidence};
use declutter_core::store::plans::Action;
use declutter_fakes::Gated as _;
use declutter_fakes::{FakeDrive, FakeGraph};

use crate::support::{Table, TestResult, bytes, quick_policy, scan_folder, write};

/// Groups as (confidence, {provider:name}).
type Described = BTreeSet<(String, BTreeSet<String>)>;

struct World {
    graph: FakeGraph,
    drive: FakeDrive,
    dir: tempfile::TempDir,
    root: std::path::PathBuf,
    conn: crate::support::TestDb,
    providers: Table,
}

impl World {
    async fn new(policy: RetryPolicy) -> Result<Self, Box<dyn std::error::Error>> {
        let graph = FakeGraph::start().await?;
        let drive = FakeDrive::start().await?;
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("tree");
        std::fs::create_dir_all(&root)?;
        let conn = crate::support::db(dir.path())?;
        let onedrive = OneDriveProvider::new(
            &graph.base_url(),
            Arc::new(StaticToken::new(graph.access_token())),
            policy,
        )?;
        let gdrive = GDriveProvider::new(
            &drive.base_url(),
            Arc::new(StaticToken::new(drive.access_token())),
            policy,
        )?;
        let providers = Table::default()
            .with(Source::OneDrive, AnyProvider::OneDrive(onedrive))
            .with(Source::GDrive, AnyProvider::GDrive(gdrive))
            .with(
                Source::Local(root.clone()),
                AnyProvider::Local(LocalProvider::new(&root)),
            );
        Ok(Self {
            graph,
            drive,
            dir,
            root,
            conn,
            providers,
        })
    }

    async fn scan_all(&mut self) -> TestResult {
        let user = UserId::local();
        scan_folder(&mut self.conn, &self.root).await?;
        for source in [Source::OneDrive, Source::GDrive] {
            let p = declutter_core::engine::Providers::provider(&self.providers, &source)?;
            scan(&mut self.conn, &user, &source, p.as_ref()).await?;
        }
        Ok(())
    }

    /// `name` with `content` both in the local folder and on OneDrive (a probable match).
    fn local_and_onedrive(&self, name: &str, content: &[u8]) -> TestResult {
        write(&self.root, name, content)?;
        let id = self.graph.add_file(None, name, 0, &format!("qx-{name}"));
        self.graph.set_content(&id, content);
        Ok(())
    }

    fn groups(&self) -> Result<Described, Box<dyn std::error::Error>> {
        Ok(groups::list(&self.conn, &UserId::local())?
            .into_iter()
            .map(|g| {
                let conf = match g.confidence {
                    Confidence::Exact => "exact",
                    Confidence::Probable => "probable",
                };
                let members = g
                    .files
                    .into_iter()
                    .map(|f| format!("{}:{}", f.provider, f.name))
                    .collect();
                (conf.to_owned(), members)
            })
            .collect())
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn verification_confirms_equal_contents_and_rejects_different_ones() -> TestResult {
    let mut w = World::new(quick_policy()).await?;
    let photo = bytes(1, 30_000);
    let mut other = photo.clone();
    other[15_000] ^= 1;
    write(&w.root, "photo.jpg", &photo)?;
    let od = w.graph.add_file(None, "Photo.JPG", 0, "qx-photo");
    w.graph.set_content(&od, &photo);
    let gd = w.drive.add_file(None, "photo.jpg", 0, "md5-other");
    w.drive.set_content(&gd, &other);
    // Same name and size on two providers, different bytes.
    write(&w.root, "notes.txt", &bytes(2, 5000))?;
    let notes = w.graph.add_file(None, "notes.txt", 0, "qx-notes");
    w.graph.set_content(&notes, &bytes(3, 5000));
    w.scan_all().await?;
    assert_eq!(
        w.groups()?,
        BTreeSet::from([
            (
                "probable".to_owned(),
                set(&["local:photo.jpg", "onedrive:Photo.JPG", "gdrive:photo.jpg"])
            ),
            (
                "probable".to_owned(),
                set(&["local:notes.txt", "onedrive:notes.txt"])
            ),
        ])
    );
    let user = UserId::local();
    let summary = verify(
        &mut w.conn,
        &user,
        &w.providers,
        &VerifyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(summary.probable_groups, 2);
    assert_eq!(summary.checked, 5);
    assert_eq!(summary.confirmed, 2, "{summary:?}");
    assert_eq!(summary.rejected, 3, "{summary:?}");
    assert!(summary.issues.is_empty(), "{:?}", summary.issues);
    assert_eq!(
        w.groups()?,
        BTreeSet::from([(
            "exact".to_owned(),
            set(&["local:photo.jpg", "onedrive:Photo.JPG"])
        )]),
        "confirmed matches are exact, rejected ones leave the probable groups"
    );
    // A confirmed group is one a plan acts on.
    let p = plan::build(&mut w.conn, &user, &KeepRules::parse(&["shortest-path"])?)?;
    assert_eq!(
        p.items
            .iter()
            .filter(|i| i.action == Action::Remove)
            .count(),
        1
    );
    assert!(
        p.items.iter().all(|i| i.hash.is_some()),
        "every planned file has a hash for the re-check before removal: {:?}",
        p.items
    );
    // Checks stay valid while files are unchanged: nothing is downloaded again.
    let served = w.graph.contents().served() + w.drive.contents().served();
    w.scan_all().await?;
    let again = verify(
        &mut w.conn,
        &user,
        &w.providers,
        &VerifyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!((again.checked, again.probable_groups), (0, 0));
    assert_eq!(
        w.graph.contents().served() + w.drive.contents().served(),
        served
    );
    // A new local copy of the confirmed content joins the exact group after a rescan.
    write(&w.root, "sub/photo.jpg", &photo)?;
    w.scan_all().await?;
    let all = groups::list(&w.conn, &user)?;
    assert_eq!(all.len(), 1, "{:?}", w.groups()?);
    assert_eq!(all[0].confidence, Confidence::Exact);
    assert_eq!(
        all[0].files.len(),
        3,
        "two local copies and the OneDrive one"
    );
    drop(w.dir);
    Ok(())
}

#[tokio::test]
async fn downloads_are_size_capped_and_bounded_in_number() -> TestResult {
    let mut policy = quick_policy();
    policy.concurrency = 8;
    let mut w = World::new(policy).await?;
    for i in 0..8u64 {
        w.local_and_onedrive(&format!("f{i}.bin"), &bytes(100 + i, 2000))?;
    }
    w.local_and_onedrive("big.bin", &bytes(7, 50_000))?;
    w.scan_all().await?;
    w.graph.contents().set_delay(Duration::from_millis(40));
    let options = VerifyOptions {
        concurrency: 2,
        max_bytes: 10_000,
        ..VerifyOptions::default()
    };
    let summary = verify(
        &mut w.conn,
        &UserId::local(),
        &w.providers,
        &options,
        &NoProgress,
    )
    .await?;
    assert_eq!(
        summary.too_large, 2,
        "both copies of big.bin are over the cap"
    );
    assert_eq!(summary.checked, 16);
    assert_eq!(summary.confirmed, 16);
    assert_eq!(
        w.graph.contents().served(),
        8,
        "big.bin was never downloaded"
    );
    assert!(
        w.graph.contents().max_in_flight() <= 2,
        "at most 2 downloads at once, saw {}",
        w.graph.contents().max_in_flight()
    );
    assert!(
        w.groups()?.contains(&(
            "probable".to_owned(),
            set(&["local:big.bin", "onedrive:big.bin"])
        )),
        "unverified matches stay probable"
    );
    Ok(())
}

#[tokio::test]
async fn the_http_client_bounds_downloads_by_its_policy() -> TestResult {
    let graph = FakeGraph::start().await?;
    let mut ids = Vec::new();
    for i in 0..6u64 {
        let id = graph.add_file(None, &format!("f{i}"), 0, &format!("q{i}"));
        graph.set_content(&id, &bytes(i, 1000));
        ids.push(id);
    }
    graph.contents().set_delay(Duration::from_millis(40));
    let mut policy = quick_policy();
    policy.concurrency = 3;
    let p = OneDriveProvider::new(
        &graph.base_url(),
        Arc::new(StaticToken::new(graph.access_token())),
        policy,
    )?;
    use declutter_core::provider::StorageProvider as _;
    let hashes = futures_util::future::join_all(ids.iter().map(|id| {
        let p = &p;
        async move {
            let id: declutter_core::ids::ItemId = id.parse()?;
            p.content_hash(&id, u64::MAX)
                .await
                .map_err(|e| e.to_string().into())
        }
    }))
    .await
    .into_iter()
    .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    assert!(hashes.iter().all(Option::is_some));
    assert_eq!(
        hashes[0].as_deref(),
        Some(blake3::hash(&bytes(0, 1000)).to_hex().as_str())
    );
    assert!(graph.contents().max_in_flight() <= 3);
    // The body is streamed and the cap applies to what arrives.
    let id: declutter_core::ids::ItemId = ids[0].parse()?;
    assert_eq!(p.content_hash(&id, 999).await?, None);
    Ok(())
}

/// The lock row's last sign of life.
fn renewed_at(conn: &dyn Db) -> Result<i64, declutter_core::platform_db::sql::SqlError> {
    conn.query_row("SELECT renewed_at FROM apply_locks", [], |r| r.get(0))
}

#[tokio::test]
async fn a_queued_verification_keeps_its_lock_alive_and_stops_when_it_loses_it() -> TestResult {
    let mut w = World::new(quick_policy()).await?;
    for i in 0..4u64 {
        w.local_and_onedrive(&format!("slow{i}.bin"), &bytes(200 + i, 3000))?;
    }
    w.scan_all().await?;
    let user = UserId::local();
    let lease = Lease::acquire(&mut w.conn, &user, lease::VERIFY)?;
    // Each download outlasts several heartbeats; the lock was last renewed long ago.
    w.graph.contents().set_delay(Duration::from_millis(150));
    let options = VerifyOptions {
        concurrency: 1,
        renew_every: Duration::from_millis(20),
        ..VerifyOptions::default()
    };
    w.conn
        .execute("UPDATE apply_locks SET renewed_at = 0", [])?;
    // What another instance sees half-way through the ~600 ms of downloads.
    let path = w.dir.path().join("declutter.db");
    let midway = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        renewed_at(
            &crate::support::open(&path)
                .map_err(|e| declutter_core::platform_db::sql::SqlError::Corrupt(e.to_string()))?,
        )
    });
    let summary = verify_holding(
        &mut w.conn,
        &user,
        &lease,
        &w.providers,
        &options,
        &NoProgress,
    )
    .await?;
    assert_eq!(summary.confirmed, 8);
    let seen = midway.join().map_err(|_| "the observer panicked")?;
    assert!(
        seen.map_err(|e| e.to_string())? > 0,
        "the lock was renewed while the downloads ran"
    );

    // Another run takes the lock over mid-way: this one stops and records nothing.
    for i in 0..2u64 {
        w.local_and_onedrive(&format!("late{i}.bin"), &bytes(300 + i, 3000))?;
    }
    w.scan_all().await?;
    let before = w.groups()?;
    w.conn
        .execute("UPDATE apply_locks SET holder = 'someone else'", [])?;
    // Without a heartbeat in the way, the check made as the results are written catches it.
    let once = VerifyOptions {
        renew_every: Duration::from_secs(3600),
        ..options
    };
    let lost = verify_holding(&mut w.conn, &user, &lease, &w.providers, &once, &NoProgress).await;
    assert!(
        matches!(lost, Err(declutter_core::engine::EngineError::LeaseLost)),
        "{lost:?}"
    );
    assert_eq!(
        w.groups()?,
        before,
        "a run without the lock changed nothing"
    );
    Ok(())
}
