//! RFC 3339 timestamps as cloud APIs send them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses an RFC 3339 timestamp to nanoseconds since the epoch (0 when absent or invalid).
pub fn rfc3339_ns(s: Option<&str>) -> i64 {
    s.and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
        .map_or(0, |t| i64::try_from(t.unix_timestamp_nanos()).unwrap_or(0))
}
