//! API call counts against fake drives: a full listing costs what paging allows, an
//! incremental rescan after 1% changes a small fraction of it. The 100k-item version is
//! ignored by default (run with `--ignored --nocapture`); figures are in BENCHMARKS.md.

use std::sync::Arc;

use declutter_core::cloud::StaticToken;
use declutter_core::engine::scan::scan;
use declutter_core::gdrive::GDriveProvider;
use declutter_core::ids::{Source, UserId};
use declutter_core::onedrive::OneDriveProvider;
use declutter_fakes::Gated as _;
use declutter_fakes::{FakeDrive, FakeGraph};

use crate::support::{TestResult, quick_policy};

async fn graph_calls(items: usize, page: usize) -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.set_page_size(page);
    let p = OneDriveProvider::new(
        &fake.base_url(),
        Arc::new(StaticToken::new(fake.access_token())),
        quick_policy(),
    )?;
    let mut ids = Vec::with_capacity(items);
    let folder = fake.add_folder(None, "all");
    for i in 0..items {
        ids.push(fake.add_file(
            Some(&folder),
            &format!("f{i}"),
            10 + (i % 5000) as u64,
            &format!("h{}", i % 5000),
        ));
    }
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let full = scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    let listed = items + 5; // root, folder, Apps, Declutter, plus the files
    let minimum = listed.div_ceil(page) as u64;
    for id in ids.iter().step_by(100) {
        fake.modify_file(id, 1, "changed");
    }
    let inc = scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    eprintln!(
        "onedrive items={items} page={page}: full={} calls (minimum {minimum} pages + 1 app-folder lookup), incremental after 1% changes={} calls ({:.2}% of full)",
        full.api_calls,
        inc.api_calls,
        100.0 * inc.api_calls as f64 / full.api_calls as f64
    );
    assert!(full.api_calls as f64 <= minimum as f64 * 1.01 + 1.0);
    assert!(
        (inc.api_calls as f64) < 0.02 * full.api_calls as f64
            || inc.api_calls <= 2 + (items / 100).div_ceil(page) as u64
    );
    Ok(())
}

async fn drive_calls(items: usize) -> TestResult {
    let fake = FakeDrive::start().await?;
    let p = GDriveProvider::new(
        &fake.base_url(),
        Arc::new(StaticToken::new(fake.access_token())),
        quick_policy(),
    )?;
    let mut ids = Vec::with_capacity(items);
    for i in 0..items {
        ids.push(fake.add_file(
            None,
            &format!("f{i}"),
            10 + (i % 5000) as u64,
            &format!("{:032x}", i % 5000),
        ));
    }
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let full = scan(&mut conn, &user, &Source::GDrive, &p).await?;
    let minimum = items.div_ceil(1000) as u64;
    for id in ids.iter().step_by(100) {
        fake.modify_file(id, 1, "changed");
    }
    let inc = scan(&mut conn, &user, &Source::GDrive, &p).await?;
    eprintln!(
        "gdrive items={items}: full={} calls (minimum {minimum} pages + 1 start token), incremental after 1% changes={} calls ({:.2}% of full)",
        full.api_calls,
        inc.api_calls,
        100.0 * inc.api_calls as f64 / full.api_calls as f64
    );
    assert_eq!(full.api_calls, minimum + 1);
    assert_eq!(inc.api_calls, (items / 100).div_ceil(1000) as u64);
    Ok(())
}

#[tokio::test]
async fn call_counts_10k() -> TestResult {
    graph_calls(10_000, 200).await?;
    drive_calls(10_000).await
}

#[tokio::test]
#[ignore = "100k items: slow in debug builds; run with --release --ignored --nocapture"]
async fn call_counts_100k() -> TestResult {
    graph_calls(100_000, 200).await?;
    drive_calls(100_000).await
}
