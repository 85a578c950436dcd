//! Solving the server's proof-of-work puzzle on every core, with a spinner on a terminal.

use std::sync::atomic::AtomicBool;
use std::thread;

use paste_api::Challenge;
use paste_api::pow::{check, solve_strided};

use crate::error::{CliError, Result};
use crate::progress;

/// Hardest puzzle attempted: beyond this a solve takes hours and the token expires first.
const MAX_DIFFICULTY: u32 = 40;

/// Finds a solution with one thread per available core, each taking every n-th candidate.
pub fn solve(nonce: &str, difficulty: u32) -> Result<u64> {
    if difficulty > MAX_DIFFICULTY {
        return Err(CliError::Server {
            status: 0,
            message: format!(
                "proof-of-work difficulty {difficulty} is beyond what a client can solve"
            ),
        });
    }
    let threads = thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let stop = AtomicBool::new(false);
    let found = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|start| {
                let stop = &stop;
                scope
                    .spawn(move || solve_strided(nonce, difficulty, start, threads, u64::MAX, stop))
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|w| w.join().ok().flatten())
            .min()
    });
    found
        .filter(|n| check(nonce, *n, difficulty))
        .ok_or_else(|| CliError::Local("proof of work: no solution found".into()))
}

/// Solves `challenge` when enabled, returning the `(token, solution)` headers to send.
pub fn answer(challenge: &Challenge) -> Result<Option<(String, String)>> {
    if !challenge.enabled {
        return Ok(None);
    }
    let bar = progress::spinner(format!(
        "solving proof of work (difficulty {})",
        challenge.difficulty
    ));
    let solution = solve(&challenge.nonce, challenge.difficulty);
    bar.finish_and_clear();
    Ok(Some((challenge.token.clone(), solution?.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_what_check_accepts() {
        let n = solve("deadbeef", 14).unwrap();
        assert!(check("deadbeef", n, 14));
    }

    #[test]
    fn disabled_challenges_need_no_answer() {
        let c = Challenge {
            enabled: false,
            nonce: String::new(),
            difficulty: 0,
            expires: 0,
            token: String::new(),
            base_difficulty: None,
            elevated: None,
        };
        assert_eq!(answer(&c).unwrap(), None);
    }

    #[test]
    fn refuses_absurd_difficulty() {
        assert!(solve("x", 99).is_err());
    }
}
