//! A OneDrive scan of a large fake account (the fake Graph server, over HTTP, in a child process
//! of its own) into SQLite or PostgreSQL, for `bench/declutter-cloud-scan.sh`: prints one line
//! with the wall time and this process's peak RSS (the scanning side only).
//!
//! Usage: `cloud_scan <sqlite path | postgres://…> <items>`.

mod bench_db;

use std::io::{BufRead as _, Write as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use declutter_core::cloud::{RetryPolicy, StaticToken};
use declutter_core::engine::scan::scan;
use declutter_core::ids::{Source, UserId};
use declutter_core::onedrive::OneDriveProvider;
use declutter_fakes::{FakeGraph, Gated as _};

/// The child: a fake Graph holding `items` files in 1,000 folders (a tenth of them in
/// duplicate pairs), its URL and token on one line, served until killed.
async fn serve_fake(items: usize) -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeGraph::start().await?;
    fake.set_page_size(200);
    let folders: Vec<String> = (0..1_000)
        .map(|i| fake.add_folder(None, &format!("d{i}")))
        .collect();
    for i in 0..items {
        let hash = if i % 10 == 0 { i / 2 } else { i };
        fake.add_file(
            Some(&folders[i % folders.len()]),
            &format!("f{i}.jpg"),
            1_000 + (i % 100_000) as u64,
            &format!("h{hash}"),
        );
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} {}", fake.base_url(), fake.access_token())?;
    out.flush()?;
    drop(out);
    std::future::pending::<()>().await;
    Ok(())
}

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--fake") {
        return serve_fake(args.get(2).ok_or("items")?.parse()?).await;
    }
    let target = args.get(1).ok_or("usage: cloud_scan <db> <items>")?.clone();
    let items: usize = args.get(2).ok_or("items")?.parse()?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--fake", &items.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let (url, token) = line.trim().split_once(' ').ok_or("no fake URL")?;
    let provider = OneDriveProvider::new(
        url,
        Arc::new(StaticToken::new(token.to_owned())),
        RetryPolicy::default(),
    )?;
    let mut conn = bench_db::open(&target).await?;
    let start = Instant::now();
    let summary = scan(&mut *conn, &UserId::local(), &Source::OneDrive, &provider).await?;
    let secs = start.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    writeln!(
        std::io::stdout().lock(),
        "RESULT items={items} indexed={} secs={secs:.2} peak_rss_mib={}",
        summary.indexed,
        peak_rss_mib()
    )?;
    Ok(())
}
