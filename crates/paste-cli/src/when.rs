//! Times for people: Unix seconds shown as UTC dates and spans (`2026-12-04 20:37 UTC`,
//! `6d 23h`), and dates read from the command line (`2026-12-04`, a Unix time, or `2d` ago).
//! `--json` output keeps the exact numbers; only the text for people goes through here.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::expiry::Expiry;

/// Now, in Unix seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A Unix time as people read it: `2026-12-04 20:37 UTC`.
pub fn human_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// A span as people read it: `6d 23h`, `2h 5m`, `45m`, `12s`.
pub fn human_span(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// `2026-12-04 20:37 UTC (in 6d 23h)` or `(3h 2m ago)`, relative to `now`.
pub fn human_time_from(unix: i64, now: i64) -> String {
    let rel = if unix >= now {
        format!("in {}", human_span(unix - now))
    } else {
        format!("{} ago", human_span(now - unix))
    };
    format!("{} ({rel})", human_time(unix))
}

/// Parses `YYYY-MM-DD` (midnight UTC), a Unix time, or a span such as `2d` (that long ago).
pub fn parse_when(text: &str) -> Result<i64, String> {
    parse_when_at(text, now())
}

fn parse_when_at(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    let date = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(day) = time::Date::parse(text, &date) {
        return Ok(day.midnight().assume_utc().unix_timestamp());
    }
    if let Ok(unix) = text.parse::<i64>() {
        return Ok(unix);
    }
    match text.parse::<Expiry>() {
        Ok(span) => Ok(now.saturating_sub(i64::try_from(span.seconds()).unwrap_or(i64::MAX))),
        Err(_) => Err(format!(
            "{text:?} is not a date: use YYYY-MM-DD, a Unix time, or a span ago such as 2d"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_spans_and_unix_times_are_read() {
        assert_eq!(parse_when_at("2026-12-04", 0), Ok(1_796_342_400));
        assert_eq!(parse_when_at("1700000000", 0), Ok(1_700_000_000));
        assert_eq!(parse_when_at("2d", 1_000_000), Ok(1_000_000 - 2 * 86_400));
        assert!(parse_when_at("yesterday", 0).is_err());
        assert!(parse_when_at("2026-13-01", 0).is_err());
    }

    #[test]
    fn times_read_as_dates_and_spans() {
        assert_eq!(human_time(1_796_416_620), "2026-12-04 20:37 UTC");
        assert_eq!(human_span(6 * 86_400 + 23 * 3600 + 59), "6d 23h");
        assert_eq!(human_span(7500), "2h 5m");
        assert_eq!(human_span(12), "12s");
        assert_eq!(
            human_time_from(1_796_416_620, 1_796_416_620 - 3600),
            "2026-12-04 20:37 UTC (in 1h 0m)"
        );
        assert_eq!(
            human_time_from(1_796_416_620 - 120, 1_796_416_620),
            "2026-12-04 20:35 UTC (2m ago)"
        );
    }
}
