//! The PostgreSQL dialect of a statement written for SQLite.

use super::SqlError;

/// `sql` for PostgreSQL: SQLite's `?N` placeholders written as `$N`, and SQLite's index hints
/// (`INDEXED BY name`, `NOT INDEXED`) left out, as PostgreSQL's planner takes none. String
/// literals and quoted names are left alone.
pub(super) fn to_postgres(sql: &str) -> Result<String, SqlError> {
    strip_hints(&renumber(sql)?)
}

/// `sql` without SQLite's index hints outside quotes.
fn strip_hints(sql: &str) -> Result<String, SqlError> {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while !rest.is_empty() {
        // Copy a quoted stretch whole.
        if let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
            let end = rest[1..].find(q).map_or(rest.len(), |i| i + 2);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let word_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if word_len == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = &rest[..word_len];
        let after = &rest[word_len..];
        let next = |s: &str| -> (usize, usize) {
            let skip = s.len() - s.trim_start().len();
            let t = &s[skip..];
            let len = t
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(t.len());
            (skip, len)
        };
        if word.eq_ignore_ascii_case("INDEXED") {
            let (skip, len) = next(after);
            if after[skip..skip + len].eq_ignore_ascii_case("BY") {
                let by_end = skip + len;
                let (skip2, len2) = next(&after[by_end..]);
                if len2 == 0 {
                    return Err(SqlError::Unsupported("INDEXED BY without an index".into()));
                }
                rest = &after[by_end + skip2 + len2..];
                continue;
            }
        }
        if word.eq_ignore_ascii_case("NOT") {
            let (skip, len) = next(after);
            if after[skip..skip + len].eq_ignore_ascii_case("INDEXED") {
                rest = &after[skip + len..];
                continue;
            }
        }
        out.push_str(word);
        rest = after;
    }
    Ok(out)
}

/// `sql` with SQLite's `?N` placeholders written as PostgreSQL's `$N`.
fn renumber(sql: &str) -> Result<String, SqlError> {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    return Err(SqlError::Unsupported(
                        "bare `?` (number every placeholder: `?1`)".into(),
                    ));
                }
                out.push('$');
                out.push_str(&digits);
            }
            (None, c) => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_outside_quotes_only() -> Result<(), SqlError> {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?3\" = ?12")?,
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?3\" = $12"
        );
        assert_eq!(
            to_postgres("SELECT 'it''s ?1', ?2")?,
            "SELECT 'it''s ?1', $2"
        );
        assert!(matches!(
            to_postgres("SELECT ?"),
            Err(SqlError::Unsupported(_))
        ));
        Ok(())
    }

    #[test]
    fn sqlite_index_hints_are_left_out() -> Result<(), SqlError> {
        assert_eq!(
            to_postgres("SELECT a FROM t INDEXED BY t_a WHERE x = 'INDEXED BY q' AND b = ?1")?,
            "SELECT a FROM t  WHERE x = 'INDEXED BY q' AND b = $1"
        );
        assert_eq!(
            to_postgres("SELECT size FROM files NOT INDEXED WHERE reindexed = 1 AND NOT x")?,
            "SELECT size FROM files  WHERE reindexed = 1 AND NOT x"
        );
        assert_eq!(
            to_postgres("SELECT \"NOT INDEXED\" FROM t indexed  by\n t_b")?,
            "SELECT \"NOT INDEXED\" FROM t "
        );
        Ok(())
    }
}
