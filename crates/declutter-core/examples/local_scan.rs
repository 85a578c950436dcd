//! A cold scan of a local folder into SQLite or PostgreSQL, the engine's local path as the web
//! app's workers run it, for `bench/declutter-scan.sh` (PostgreSQL contender): prints one line
//! with the wall time and the duplicate groups found, and on stderr the seconds each phase of
//! the scan took.
//!
//! Usage: `local_scan <sqlite path | postgres://…> <folder>`.

mod bench_db;

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use declutter_core::engine::scan::scan_local;
use declutter_core::ids::UserId;
use declutter_core::local::WalkOptions;
use declutter_core::platform_db::sql::{DbExt as _, ToValue as _};
use declutter_core::progress::Progress;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).ok_or("usage: local_scan <db> <folder>")?;
    let root = std::fs::canonicalize(args.get(2).ok_or("usage: local_scan <db> <folder>")?)?;
    let mut conn = bench_db::open(target).await?;
    let user = UserId::local();
    let start = Instant::now();
    let phases = Arc::new(Phases::default());
    let summary = scan_local(
        &mut *conn,
        &user,
        &root,
        WalkOptions::default(),
        Arc::clone(&phases) as Arc<dyn Progress>,
    )
    .await?;
    let secs = start.elapsed().as_secs_f64();
    phases.phase("end", None);
    phases.report(start);
    // Counted in the database: reading every group here would make the peak memory the
    // benchmark reports this program's, not the scan's.
    let exact: i64 = conn.one(
        "SELECT count(*) FROM dup_groups WHERE user_id = ?1 AND confidence = 'exact' \
         AND file_count > 1",
        &[user.as_str().to_value()],
    )?;
    writeln!(
        std::io::stdout().lock(),
        "RESULT indexed={} groups={exact} secs={secs:.2}",
        summary.indexed
    )?;
    Ok(())
}

/// When each phase of the scan began.
#[derive(Default)]
struct Phases(Mutex<Vec<(String, Instant)>>);

impl Phases {
    /// Writes `phase=seconds …` to stderr, each phase up to the next one.
    fn report(&self, start: Instant) {
        let phases = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut line = String::from("PHASES");
        let mut from = start;
        let mut name = "setup";
        for (next, at) in phases.iter() {
            line.push_str(&format!(
                " {name}={:.2}",
                at.duration_since(from).as_secs_f64()
            ));
            (from, name) = (*at, next);
        }
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

impl Progress for Phases {
    fn phase(&self, name: &str, _total: Option<u64>) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((name.to_owned(), Instant::now()));
    }
    fn advance(&self, _n: u64) {}
}
