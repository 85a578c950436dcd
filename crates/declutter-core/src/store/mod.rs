//! Typed reads and writes of the declutter schema. Every function takes a connection so the
//! CLI can call it directly and the web app from inside `platform_db::Pool::write`/`read`.
//!
//! Every function takes a [`platform_db::sql::Db`] (or a `Conn` when it opens a transaction),
//! so the same code runs on SQLite and on PostgreSQL: a rusqlite `Connection` is a `Conn`, and
//! so is a PostgreSQL connection of `platform_db::sql::pg::BlockingPool`. SQL is the dialects'
//! common subset (`RETURNING`, `ON CONFLICT`, `IS DISTINCT FROM`, `string_agg`, sums cast to
//! `BIGINT`); SQLite's index hints are dropped for PostgreSQL by the layer; the few statements
//! that differ (JSON lists) choose by `Db::dialect`.

pub mod apply_locks;
pub mod cache;
pub mod checks;
pub mod files;
pub mod folders;
pub mod groups;
pub mod jobs;
mod known_rows;
pub mod listing;
pub mod local_index;
pub mod local_settle;
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
