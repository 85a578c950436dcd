//! Proof-of-work verification: stateless HMAC-signed challenges, bounded replay memory, and a
//! difficulty that rises under a burst of creations and decays after it.
//!
//! A token is `nonce:expires:difficulty:sig` where `sig` is the hex HMAC-SHA256 of the first
//! three fields under a server secret; the client proves work with a decimal `N` such that
//! SHA-256(`nonce:N`) has `difficulty` leading zero bits ([`paste_api::pow::check`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use hmac::{Hmac, Mac};
use paste_api::Challenge;
use sha2::Sha256;

use crate::id::{RandomnessError, random_hex};

type HmacSha256 = Hmac<Sha256>;

/// Most spent nonces remembered at once; tokens expire, so this bounds memory, not safety.
const MAX_SPENT: usize = 100_000;
/// Window over which the creation rate is measured.
const RATE_WINDOW_SECS: i64 = 60;
/// Hardest the adaptive boost may make a challenge beyond the base.
const MAX_BOOST_BITS: u32 = 8;

/// Proof-of-work policy.
#[derive(Debug, Clone, Copy)]
pub struct PowPolicy {
    /// Leading zero bits required at rest; 0 disables proof of work.
    pub base_difficulty: u32,
    /// Seconds a challenge stays valid.
    pub ttl_secs: i64,
    /// Creations per minute above which difficulty starts to rise; 0 disables the rise.
    pub flood_threshold: u32,
}

/// Why a proof was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PowError {
    /// No token or no solution sent.
    #[error("proof of work required: fetch /challenge and send X-PoW-Token and X-PoW-Solution")]
    Missing,
    /// The token or solution does not parse.
    #[error("malformed proof-of-work token or solution")]
    Malformed,
    /// The signature does not match: the token was not issued by this server.
    #[error("proof-of-work token signature is invalid")]
    Forged,
    /// The token is past its expiry.
    #[error("proof-of-work challenge expired; fetch a new one")]
    Expired,
    /// The hash does not have enough leading zero bits.
    #[error("proof-of-work solution does not meet the difficulty")]
    Insufficient,
    /// This challenge was already used.
    #[error("proof-of-work challenge already used")]
    Replayed,
    /// Too many live challenges spent at once to remember another; retry shortly.
    #[error("proof-of-work verifier is saturated; retry shortly")]
    Saturated,
}

/// The verifier; one per server.
pub struct ProofOfWork {
    keyed: HmacSha256,
    policy: PowPolicy,
    spent: Mutex<HashMap<String, i64>>,
    recent: Mutex<VecDeque<(i64, u32)>>,
}

impl std::fmt::Debug for ProofOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofOfWork")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl ProofOfWork {
    /// A verifier signing with `secret`, which must be at least 32 bytes.
    pub fn new(secret: &[u8], policy: PowPolicy) -> Result<Self, ShortSecret> {
        if secret.len() < 32 {
            return Err(ShortSecret);
        }
        let keyed = <HmacSha256 as Mac>::new_from_slice(secret).map_err(|_| ShortSecret)?;
        Ok(Self {
            keyed,
            policy,
            spent: Mutex::new(HashMap::new()),
            recent: Mutex::new(VecDeque::new()),
        })
    }

    /// Whether creation requires a proof.
    pub fn enabled(&self) -> bool {
        self.policy.base_difficulty > 0
    }

    /// The difficulty a challenge issued at `now` carries.
    pub fn current_difficulty(&self, now: i64) -> u32 {
        if !self.enabled() {
            return 0;
        }
        let threshold = self.policy.flood_threshold;
        if threshold == 0 {
            return self.policy.base_difficulty;
        }
        let count = self.recent_count(now);
        let boost = if count > threshold {
            // One more bit for each doubling of the rate past the threshold.
            (count / threshold).ilog2() + 1
        } else {
            0
        };
        (self.policy.base_difficulty + boost.min(MAX_BOOST_BITS)).min(64)
    }

    /// Issues a challenge.
    pub fn issue(&self, now: i64) -> Result<Challenge, RandomnessError> {
        if !self.enabled() {
            return Ok(Challenge {
                enabled: false,
                nonce: String::new(),
                difficulty: 0,
                expires: 0,
                token: String::new(),
                base_difficulty: None,
                elevated: None,
            });
        }
        let nonce = random_hex::<16>()?;
        let difficulty = self.current_difficulty(now);
        let expires = now + self.policy.ttl_secs;
        let body = format!("{nonce}:{expires}:{difficulty}");
        let token = format!("{body}:{}", hex::encode(self.sign(&body)));
        Ok(Challenge {
            enabled: true,
            nonce,
            difficulty,
            expires,
            token,
            base_difficulty: Some(self.policy.base_difficulty),
            elevated: Some(difficulty > self.policy.base_difficulty),
        })
    }

    /// Verifies a proof and marks its challenge spent.
    pub fn verify(
        &self,
        token: Option<&str>,
        solution: Option<&str>,
        now: i64,
    ) -> Result<(), PowError> {
        let (Some(token), Some(solution)) = (token, solution) else {
            return Err(PowError::Missing);
        };
        let mut parts = token.split(':');
        let (Some(nonce), Some(expires), Some(difficulty), Some(sig), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(PowError::Malformed);
        };
        let expires: i64 = expires.parse().map_err(|_| PowError::Malformed)?;
        let difficulty: u32 = difficulty.parse().map_err(|_| PowError::Malformed)?;
        let sig = hex::decode(sig).map_err(|_| PowError::Malformed)?;
        let solution: u64 = solution.trim().parse().map_err(|_| PowError::Malformed)?;
        let mut mac = self.mac();
        mac.update(format!("{nonce}:{expires}:{difficulty}").as_bytes());
        mac.verify_slice(&sig).map_err(|_| PowError::Forged)?;
        if now > expires {
            return Err(PowError::Expired);
        }
        if difficulty < self.policy.base_difficulty
            || !paste_api::pow::check(nonce, solution, difficulty)
        {
            return Err(PowError::Insufficient);
        }
        self.spend(nonce, expires, now)
    }

    /// Counts one creation towards the flood measure.
    pub fn record_creation(&self, now: i64) {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        match recent.back_mut() {
            Some((sec, count)) if *sec == now => *count += 1,
            _ => recent.push_back((now, 1)),
        }
        while recent
            .front()
            .is_some_and(|(sec, _)| *sec <= now - RATE_WINDOW_SECS)
        {
            recent.pop_front();
        }
    }

    fn recent_count(&self, now: i64) -> u32 {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent
            .iter()
            .filter(|(sec, _)| *sec > now - RATE_WINDOW_SECS)
            .map(|(_, c)| *c)
            .sum()
    }

    fn spend(&self, nonce: &str, expires: i64, now: i64) -> Result<(), PowError> {
        let mut spent = self.spent.lock().unwrap_or_else(PoisonError::into_inner);
        if spent.contains_key(nonce) {
            return Err(PowError::Replayed);
        }
        if spent.len() >= MAX_SPENT {
            spent.retain(|_, exp| *exp >= now);
            if spent.len() >= MAX_SPENT {
                return Err(PowError::Saturated);
            }
        }
        spent.insert(nonce.to_owned(), expires);
        Ok(())
    }

    fn mac(&self) -> HmacSha256 {
        self.keyed.clone()
    }

    fn sign(&self, body: &str) -> Vec<u8> {
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// The proof-of-work secret is shorter than 32 bytes.
#[derive(Debug, thiserror::Error)]
#[error("the proof-of-work secret must be at least 32 bytes")]
pub struct ShortSecret;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn verifier(difficulty: u32, flood: u32) -> ProofOfWork {
        ProofOfWork::new(
            b"test secret test secret test sec",
            PowPolicy {
                base_difficulty: difficulty,
                ttl_secs: 300,
                flood_threshold: flood,
            },
        )
        .unwrap()
    }

    fn solve(c: &Challenge) -> String {
        let stop = AtomicBool::new(false);
        paste_api::pow::solve_strided(&c.nonce, c.difficulty, 0, 1, u64::MAX, &stop)
            .map(|n| n.to_string())
            .unwrap_or_default()
    }

    /// Tokens signed outside this code: `printf %s 'fpaste-kat-nonce:1700000300:13' | openssl
    /// dgst -sha256 -hmac 'test secret test secret test sec'`; 24518 solves the nonce at 13 bits
    /// (`sha256sum` of `fpaste-kat-nonce:24518` is `00051635…`), not at 14.
    #[test]
    fn known_answer_tokens_from_openssl() {
        let now = 1_700_000_000;
        let at_13 = "fpaste-kat-nonce:1700000300:13:\
                     6c738666ad4b0f4ebda0aba02853336df34b73c06ebbb7ee6c53480232d3e571";
        let at_14 = "fpaste-kat-nonce:1700000300:14:\
                     0a6aec8dafca8e1dbea0ad3c39ae97a065ba17862eba6a5faae4cbca21fe9d14";
        let pow = verifier(13, 1000);
        assert!(matches!(
            pow.verify(Some(at_14), Some("24518"), now),
            Err(PowError::Insufficient)
        ));
        let tampered = at_13.replace(":13:", ":12:");
        assert!(matches!(
            pow.verify(Some(&tampered), Some("24518"), now),
            Err(PowError::Forged)
        ));
        assert!(pow.verify(Some(at_13), Some("24518"), now).is_ok());
    }

    #[test]
    fn accepts_once_then_replay_fails() -> Result<(), Box<dyn std::error::Error>> {
        let pow = verifier(8, 0);
        let c = pow.issue(1000)?;
        let s = solve(&c);
        assert_eq!(pow.verify(Some(&c.token), Some(&s), 1001), Ok(()));
        assert_eq!(
            pow.verify(Some(&c.token), Some(&s), 1002),
            Err(PowError::Replayed)
        );
        Ok(())
    }

    #[test]
    fn rejects_forged_expired_insufficient() -> Result<(), Box<dyn std::error::Error>> {
        let pow = verifier(8, 0);
        let c = pow.issue(1000)?;
        let s = solve(&c);
        let forged = c.token.replacen(":8:", ":1:", 1);
        assert_eq!(
            pow.verify(Some(&forged), Some(&s), 1001),
            Err(PowError::Forged)
        );
        assert_eq!(
            pow.verify(Some(&c.token), Some(&s), 1301),
            Err(PowError::Expired)
        );
        let other = ProofOfWork::new(&[7u8; 32], pow.policy).unwrap();
        assert_eq!(
            other.verify(Some(&c.token), Some(&s), 1001),
            Err(PowError::Forged)
        );
        let bad = (0..u64::MAX)
            .find(|n| !paste_api::pow::check(&c.nonce, *n, 8))
            .unwrap_or(0);
        assert_eq!(
            pow.verify(Some(&c.token), Some(&bad.to_string()), 1001),
            Err(PowError::Insufficient)
        );
        assert_eq!(pow.verify(None, Some("1"), 1001), Err(PowError::Missing));
        assert_eq!(
            pow.verify(Some("a:b"), Some("1"), 1001),
            Err(PowError::Malformed)
        );
        assert_eq!(
            pow.verify(Some(&c.token), Some("-1"), 1001),
            Err(PowError::Malformed)
        );
        Ok(())
    }

    #[test]
    fn difficulty_rises_under_flood_and_decays() {
        let pow = verifier(4, 10);
        assert_eq!(pow.current_difficulty(0), 4);
        for _ in 0..45 {
            pow.record_creation(100);
        }
        let raised = pow.current_difficulty(100);
        assert!(raised > 4, "{raised}");
        assert!(raised <= 4 + MAX_BOOST_BITS);
        assert_eq!(pow.current_difficulty(100 + RATE_WINDOW_SECS), 4);
    }
}
