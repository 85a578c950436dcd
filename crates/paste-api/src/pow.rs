//! The proof-of-work puzzle: find a decimal `N` such that SHA-256(`nonce:N`) starts with at least
//! `difficulty` zero bits. Verifying costs one hash; solving costs about 2^difficulty.

use sha2::{Digest, Sha256};

/// Number of leading zero bits of `digest`.
pub fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// Whether `solution` solves the puzzle for `nonce` at `difficulty`.
pub fn check(nonce: &str, solution: u64, difficulty: u32) -> bool {
    let mut hasher = Sha256::new();
    hasher.update(nonce.as_bytes());
    hasher.update(b":");
    hasher.update(solution.to_string().as_bytes());
    leading_zero_bits(&hasher.finalize()) >= difficulty
}

/// Searches `start, start+step, start+2*step, ...` below `limit` for a solution; several threads
/// with the same `step` and different `start` split the space without overlap.
pub fn solve_strided(
    nonce: &str,
    difficulty: u32,
    start: u64,
    step: u64,
    limit: u64,
    stop: &std::sync::atomic::AtomicBool,
) -> Option<u64> {
    let prefix = {
        let mut h = Sha256::new();
        h.update(nonce.as_bytes());
        h.update(b":");
        h
    };
    let mut buf = itoa_buffer();
    let mut n = start;
    let mut since_check = 0u32;
    while n < limit {
        let digits = format_decimal(n, &mut buf);
        let mut h = prefix.clone();
        h.update(digits);
        if leading_zero_bits(&h.finalize()) >= difficulty {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            return Some(n);
        }
        since_check += 1;
        if since_check == 4096 {
            since_check = 0;
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
        }
        n = n.checked_add(step)?;
    }
    None
}

fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// Decimal digits of `n` without allocating.
fn format_decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn counts_bits() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x80]), 16);
        assert_eq!(leading_zero_bits(&[0, 0x0f]), 12);
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    /// Written down outside this code: `printf %s 'fpaste-kat-nonce:34229' | sha256sum` is
    /// `000191d4…` (8 + 7 = 15 zero bits), `…:24518` is `00051635…` (13 bits), `…:34228` is
    /// `815c6960…` (none).
    #[test]
    fn known_answers_from_sha256sum() {
        let nonce = "fpaste-kat-nonce";
        assert!(check(nonce, 34229, 15));
        assert!(!check(nonce, 34229, 16));
        assert!(check(nonce, 24518, 13));
        assert!(!check(nonce, 24518, 14));
        assert!(check(nonce, 34228, 0));
        assert!(!check(nonce, 34228, 1));
        let stop = AtomicBool::new(false);
        assert_eq!(solve_strided(nonce, 13, 0, 1, u64::MAX, &stop), Some(24518));
    }

    #[test]
    fn solver_finds_what_check_accepts() {
        let stop = AtomicBool::new(false);
        let n = solve_strided("abc123", 12, 0, 1, u64::MAX, &stop).unwrap();
        assert!(check("abc123", n, 12));
        assert!(!check("abc124", n, 40));
    }

    proptest! {
        #[test]
        fn decimal_formatting_matches_std(n: u64) {
            let mut buf = [0u8; 20];
            let expected = n.to_string();
            prop_assert_eq!(format_decimal(n, &mut buf), expected.as_bytes());
        }
    }
}
