//! A cold scan of a local folder into SQLite or PostgreSQL, the engine's local path as the web
//! app's workers run it, for `bench/declutter-scan.sh` (PostgreSQL contender): prints one line
//! with the wall time, the duplicate groups found and this process's peak RSS.
//!
//! Usage: `local_scan <sqlite path | postgres://…> <folder>`.

mod bench_db;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use declutter_core::engine::scan::scan_local;
use declutter_core::ids::UserId;
use declutter_core::local::WalkOptions;
use declutter_core::progress::NoProgress;
use declutter_core::store::groups;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).ok_or("usage: local_scan <db> <folder>")?;
    let root = std::fs::canonicalize(args.get(2).ok_or("usage: local_scan <db> <folder>")?)?;
    let mut conn = bench_db::open(target).await?;
    let user = UserId::local();
    let start = Instant::now();
    let summary = scan_local(
        &mut *conn,
        &user,
        &root,
        WalkOptions::default(),
        Arc::new(NoProgress),
    )
    .await?;
    let secs = start.elapsed().as_secs_f64();
    let exact = groups::list(&*conn, &user)?
        .iter()
        .filter(|g| matches!(g.confidence, groups::Confidence::Exact))
        .count();
    writeln!(
        std::io::stdout().lock(),
        "RESULT indexed={} groups={exact} secs={secs:.2}",
        summary.indexed
    )?;
    Ok(())
}
