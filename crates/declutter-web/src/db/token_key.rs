//! The id of the key stored cloud tokens are sealed under, one row for the installation.

use platform_db::sql::{Db, DbExt as _, Optional as _, RusqliteLike as _};
use platform_db::vals as params;

use super::DbError;
use declutter_core::db::now;

/// The recorded key id. The first caller records one: the key of the newest stored token if
/// any exist (an installation from before the record), else `current`.
pub fn adopt(c: &dyn Db, current: &str) -> Result<String, DbError> {
    c.execute(
        "INSERT INTO token_key (id, key_id, set_at)
         VALUES (1, COALESCE((SELECT key_id FROM oauth_connections ORDER BY id DESC LIMIT 1), ?1), ?2)
         ON CONFLICT DO NOTHING",
        params![current, now()],
    )?;
    Ok(
        c.query_row("SELECT key_id FROM token_key WHERE id = 1", [], |r| {
            r.get(0)
        })?,
    )
}

/// The recorded key id, if any instance has started yet.
pub fn get(c: &dyn Db) -> Result<Option<String>, DbError> {
    Ok(
        c.query_row("SELECT key_id FROM token_key WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?,
    )
}

/// Records `key_id` as the one every token is now sealed under (after a rotation).
pub fn set(c: &dyn Db, key_id: &str) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO token_key (id, key_id, set_at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, set_at = excluded.set_at",
        params![key_id, now()],
    )?;
    Ok(())
}
