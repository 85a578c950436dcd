//! Typed reads and writes of the declutter schema. Every function takes a connection so the
//! CLI can call it directly and the web app from inside `platform_db::Pool::write`/`read`.
//!
//! The modules being moved onto both databases take a [`platform_db::sql::Db`] (or `Conn` when
//! they open a transaction) and run on SQLite and PostgreSQL alike: `jobs`, `apply_locks`,
//! `plans`, and single functions of `groups` and `trash`. The rest still take a rusqlite
//! `Connection` (which is a `Db` too).

pub mod apply_locks;
pub mod cache;
pub mod checks;
pub mod files;
pub mod folders;
pub mod groups;
pub mod jobs;
pub mod local_index;
pub mod owners;
pub mod plans;
pub mod removed_folders;
pub mod review;
pub mod scans;
pub mod singles;
pub mod trash;

pub use crate::db::DbError;

/// Converts a `u64` size to SQLite's `i64` (sizes above 2^63 do not exist on any provider).
pub(crate) fn sql_size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Converts SQLite's `i64` back to a size.
pub(crate) fn size_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
