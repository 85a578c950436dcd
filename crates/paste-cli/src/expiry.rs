//! Paste lifetimes as people type them: `3600`, `90s`, `30m`, `1h`, `2d`, `1w`, or sums such as
//! `1h30m`; sent to the server as whole seconds in `X-Expiry`.

use std::fmt;
use std::str::FromStr;

/// A positive lifetime in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry(u64);

impl Expiry {
    /// The lifetime in seconds.
    pub fn seconds(self) -> u64 {
        self.0
    }
}

/// Why an expiry did not parse.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid expiry {0:?}: use seconds or a duration such as 30m, 1h, 2d, 1w")]
pub struct ExpiryError(String);

impl FromStr for Expiry {
    type Err = ExpiryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ExpiryError(s.to_owned());
        let text = s.trim();
        if text.is_empty() {
            return Err(err());
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .map(Self)
                .ok_or_else(err);
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c.to_ascii_lowercase() {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return Err(err()),
            };
            let n: u64 = digits.parse().map_err(|_| err())?;
            digits.clear();
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(err)?;
        }
        if !digits.is_empty() || total == 0 {
            return Err(err());
        }
        Ok(Self(total))
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sums() {
        for (text, secs) in [
            ("3600", 3600),
            ("90s", 90),
            ("30m", 1800),
            ("1h", 3600),
            ("2d", 172_800),
            ("1w", 604_800),
            ("1h30m", 5400),
            (" 2H ", 7200),
        ] {
            assert_eq!(
                text.parse::<Expiry>().map(Expiry::seconds),
                Ok(secs),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_nonsense() {
        for text in [
            "",
            "0",
            "0h",
            "h",
            "1x",
            "1h30",
            "-5",
            "1.5h",
            "99999999999999999999",
            "9999999999999999w",
        ] {
            assert!(text.parse::<Expiry>().is_err(), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn seconds_round_trip(n in 1u64..=u64::MAX) {
            let e: Expiry = n.to_string().parse().unwrap();
            proptest::prop_assert_eq!(e.seconds(), n);
            proptest::prop_assert_eq!(e.to_string().parse::<Expiry>().unwrap(), e);
        }

        #[test]
        fn unit_sums_add_up(d in 0u64..1000, h in 0u64..1000, m in 0u64..1000, s in 1u64..1000) {
            let e: Expiry = format!("{d}d{h}h{m}m{s}s").parse().unwrap();
            proptest::prop_assert_eq!(e.seconds(), d * 86_400 + h * 3600 + m * 60 + s);
        }

        #[test]
        fn never_panics(text in "\\PC{0,12}") {
            let _ = text.parse::<Expiry>();
        }
    }

    #[test]
    fn display_round_trips() {
        let e: Expiry = "1d".parse().unwrap();
        assert_eq!(e.to_string().parse::<Expiry>().unwrap(), e);
    }
}
