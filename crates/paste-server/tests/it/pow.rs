//! Proof of work against a real server: required, solved, and every way to cheat refused.

use std::sync::atomic::AtomicBool;

use paste_api::Challenge;
use paste_core::pow::{PowPolicy, ProofOfWork};
use secrecy::SecretString;

use crate::support::{Server, TestResult, http, problem};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

fn solve(c: &Challenge) -> String {
    let stop = AtomicBool::new(false);
    paste_api::pow::solve_strided(&c.nonce, c.difficulty, 0, 1, u64::MAX, &stop)
        .map(|n| n.to_string())
        .unwrap_or_default()
}

async fn pow_server(difficulty: u32, flood: u32) -> Result<Server, crate::support::BoxError> {
    Server::start(move |c| {
        c.pow_difficulty = difficulty;
        c.pow_flood = flood;
        c.pow_secret = Some(SecretString::from(SECRET));
    })
    .await
}

#[tokio::test]
async fn solved_challenges_create_and_cannot_be_replayed() -> TestResult {
    let server = pow_server(12, 0).await?;
    let c = http();
    let challenge: Challenge = c.get(server.url("/challenge")).send().await?.json().await?;
    assert!(challenge.enabled);
    assert_eq!(challenge.difficulty, 12);
    assert_eq!(challenge.token.split(':').count(), 4);

    problem(
        c.post(server.url("/")).body("no work").send().await?,
        400,
        "pow_required",
    )
    .await?;

    let solution = solve(&challenge);
    let post = |body: &'static str, token: &str, sol: &str| {
        c.post(server.url("/"))
            .header("x-pow-token", token.to_owned())
            .header("x-pow-solution", sol.to_owned())
            .body(body)
    };
    assert_eq!(
        post("worked", &challenge.token, &solution)
            .send()
            .await?
            .status(),
        201
    );
    problem(
        post("again", &challenge.token, &solution).send().await?,
        400,
        "pow_replayed",
    )
    .await?;

    let fresh: Challenge = c.get(server.url("/challenge")).send().await?.json().await?;
    let forged = fresh.token.replacen(":12:", ":1:", 1);
    problem(
        post("forged", &forged, "1").send().await?,
        400,
        "pow_invalid",
    )
    .await?;
    let wrong = (0..u64::MAX)
        .find(|n| !paste_api::pow::check(&fresh.nonce, *n, fresh.difficulty))
        .unwrap_or(0);
    problem(
        post("lazy", &fresh.token, &wrong.to_string())
            .send()
            .await?,
        400,
        "pow_insufficient",
    )
    .await?;
    problem(
        post("junk", "a:b:c", "x").send().await?,
        400,
        "pow_malformed",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn expired_challenges_are_refused() -> TestResult {
    let server = pow_server(8, 0).await?;
    // Mint a correctly signed challenge that expired long ago, as a client holding one would.
    let minter = ProofOfWork::new(
        SECRET.as_bytes(),
        PowPolicy {
            base_difficulty: 8,
            ttl_secs: 60,
            flood_threshold: 0,
        },
    )?;
    let old = minter.issue(paste_core::now_unix() - 3600)?;
    let res = http()
        .post(server.url("/"))
        .header("x-pow-token", &old.token)
        .header("x-pow-solution", solve(&old))
        .body("late")
        .send()
        .await?;
    problem(res, 400, "pow_expired").await?;
    Ok(())
}

#[tokio::test]
async fn difficulty_rises_under_a_burst() -> TestResult {
    let server = pow_server(4, 3).await?;
    let c = http();
    let first: Challenge = c.get(server.url("/challenge")).send().await?.json().await?;
    assert_eq!(first.difficulty, 4);
    for i in 0..8 {
        let ch: Challenge = c.get(server.url("/challenge")).send().await?.json().await?;
        let res = c
            .post(server.url("/"))
            .header("x-pow-token", &ch.token)
            .header("x-pow-solution", solve(&ch))
            .body(format!("burst {i}"))
            .send()
            .await?;
        assert_eq!(res.status(), 201);
    }
    let later: Challenge = c.get(server.url("/challenge")).send().await?.json().await?;
    assert!(
        later.difficulty > 4,
        "difficulty {} did not rise",
        later.difficulty
    );
    Ok(())
}

#[tokio::test]
async fn disabled_pow_says_so() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let ch: Challenge = http()
        .get(server.url("/challenge"))
        .send()
        .await?
        .json()
        .await?;
    assert!(!ch.enabled);
    Ok(())
}
