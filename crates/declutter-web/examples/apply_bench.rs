//! Benchmark of apply as a background job (`bench/declutter-apply.sh` runs it in release):
//! a real server on loopback, a real folder of `pairs` duplicate pairs (the plan moves one copy
//! of each to the trash), driven over HTTP like a client would. Per run it measures the time
//! until `POST /api/plans/{id}/apply` answers, until `GET /api/jobs/{id}` first shows a moved
//! file, and until the job ends (files/s); it prints each run and the medians.
//!
//! Usage: `apply_bench [pairs] [runs] [file bytes]` (default 5000, 5, 4096).

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser as _;
use declutter_web::auth::jwt::TokenSigner;
use declutter_web::auth::role::Role;
use declutter_web::config::{Args, Config};
use serde_json::{Value, json};

struct Run {
    accepted: Duration,
    first_progress: Duration,
    total: Duration,
    files: u64,
}

fn make_tree(dir: &Path, pairs: usize, size: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for i in 0..pairs {
        let mut bytes = format!("{i:010}").into_bytes();
        bytes.resize(size, b'.');
        // Spread over folders, as a real tree is.
        let sub = dir.join(format!("d{:03}", i % 100));
        std::fs::create_dir_all(&sub)?;
        std::fs::write(sub.join(format!("f{i}.bin")), &bytes)?;
        std::fs::write(sub.join(format!("f{i} (1).bin")), &bytes)?;
    }
    Ok(())
}

async fn poll_until(
    client: &reqwest::Client,
    url: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    for _ in 0..200_000 {
        let v: Value = client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if done(&v) {
            return Ok(v);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("{url} never got there")
}

async fn one_run(pairs: usize, size: usize) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let roots = dir.path().join("roots");
    make_tree(&roots.join("tree"), pairs, size)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut config = Config::from_args(Args::try_parse_from([
        "declutter-serve",
        "--token-key",
        &declutter_web::crypto::generate_key(),
    ])?)?;
    config.db = dir.path().join("declutter.db");
    config.public_url = base.clone();
    config.local_roots = vec![roots.canonicalize()?];
    config.rates = (0, 0, 0);
    let secret = "apply bench secret, not a real one";
    config.jwt_secret = Some(secret.to_owned().into());
    let state = declutter_web::build_state(config).await?;
    let user = state
        .pool
        .write(|c| {
            declutter_web::db::users::create(
                c,
                "bench@example.com",
                "Bench",
                None,
                Some(Role::Admin),
            )
        })
        .await??;
    let (token, _) = TokenSigner::new(secret.as_bytes())
        .issue(&user.id, user.token_version, declutter_core::db::now())
        .map_err(|_| anyhow::anyhow!("could not sign a token"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(declutter_web::serve_state(
        state,
        listener,
        None,
        async move {
            let _ = stopped.await;
        },
    ));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let url = |p: &str| format!("{base}{p}");

    let tree = roots.canonicalize()?.join("tree");
    let src: Value = client
        .post(url("/api/admin/sources"))
        .json(&json!({ "user_id": user.id, "path": tree.to_str().context("utf-8")? }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let source = src["id"].as_i64().context("source id")?;
    let scan: Value = client
        .post(url(&format!("/api/sources/{source}/scans")))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let scanned = poll_until(
        &client,
        &url(scan["status_url"].as_str().context("status_url")?),
        over,
    )
    .await?;
    if scanned["state"] != "done" {
        bail!("scan failed: {scanned}");
    }
    let plan: Value = client
        .post(url("/api/plans"))
        .json(&json!({ "rules": ["original-name"] }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let plan = plan["id"].as_i64().context("plan id")?;

    let t0 = Instant::now();
    let started: Value = client
        .post(url(&format!("/api/plans/{plan}/apply")))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let accepted = t0.elapsed();
    let status = url(started["status_url"].as_str().context("status_url")?);
    poll_until(&client, &status, |v| {
        v["done"].as_u64().unwrap_or(0) > 0 || over(v)
    })
    .await?;
    let first_progress = t0.elapsed();
    let end = poll_until(&client, &status, over).await?;
    let total = t0.elapsed();
    if end["state"] != "done" {
        bail!("apply did not finish: {end}");
    }
    let files = end["summary"]["trashed"].as_u64().context("trashed")?;
    let _ = stop.send(());
    let _ = server.await;
    Ok(Run {
        accepted,
        first_progress,
        total,
        files,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let pairs: usize = args.next().map_or(Ok(5000), |s| s.parse())?;
    let runs: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    let size: usize = args.next().map_or(Ok(4096), |s| s.parse())?;
    let mut all = Vec::new();
    let mut out = std::io::stdout().lock();
    for i in 1..=runs {
        let r = one_run(pairs, size).await?;
        writeln!(
            out,
            "run {i}: {} files in {:.3} s = {:.0} files/s; 202 after {:.1} ms; progress visible after {:.1} ms",
            r.files,
            r.total.as_secs_f64(),
            r.files as f64 / r.total.as_secs_f64(),
            r.accepted.as_secs_f64() * 1e3,
            r.first_progress.as_secs_f64() * 1e3
        )?;
        all.push(r);
    }
    writeln!(
        out,
        "median over {runs} runs of {pairs} files ({size} B each): {:.0} files/s, 202 after {:.1} ms, progress visible after {:.1} ms",
        median(
            all.iter()
                .map(|r| r.files as f64 / r.total.as_secs_f64())
                .collect()
        ),
        median(all.iter().map(|r| r.accepted.as_secs_f64() * 1e3).collect()),
        median(
            all.iter()
                .map(|r| r.first_progress.as_secs_f64() * 1e3)
                .collect()
        ),
    )?;
    Ok(())
}

/// Whether a job's status says it is over (neither queued nor running).
fn over(v: &Value) -> bool {
    !matches!(v["state"].as_str(), Some("queued" | "running"))
}
