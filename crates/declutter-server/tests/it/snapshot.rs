//! What a disaster-recovery test compares: every user, connection and trash entry, read
//! straight from a database file with rusqlite (through `platform_db`).

use std::path::Path;

use platform_db::rusqlite::Connection;

use crate::support::TestResult;

/// (id, user id, provider, account, scopes, key id, sealed token)
pub type ConnectionRow = (i64, String, String, String, String, String, Vec<u8>);

/// The rows that must survive a backup and restore, in id order.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// (id, email, display name, role, password hash)
    pub users: Vec<(String, String, String, String, Option<String>)>,
    /// Cloud connections with their sealed tokens.
    pub connections: Vec<ConnectionRow>,
    /// (id, user id, original path, location, size, state)
    pub trash: Vec<(i64, String, String, String, i64, String)>,
}

fn rows<T>(
    c: &Connection,
    sql: &str,
    f: impl FnMut(&platform_db::rusqlite::Row<'_>) -> platform_db::rusqlite::Result<T>,
) -> TestResult<Vec<T>> {
    let mut stmt = c.prepare(sql)?;
    let out = stmt.query_map([], f)?.collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// Reads the snapshot of the database at `db`.
pub fn take(db: &Path) -> TestResult<Snapshot> {
    let c = platform_db::open(db)?;
    Ok(Snapshot {
        users: rows(
            &c,
            "SELECT id, email, display_name, role, password_hash FROM users ORDER BY id",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?,
        connections: rows(
            &c,
            "SELECT id, user_id, provider, account, scopes, key_id, token_sealed
             FROM oauth_connections ORDER BY id",
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?,
        trash: rows(
            &c,
            "SELECT id, user_id, original_path, location, size, state FROM trash ORDER BY id",
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )?,
    })
}
