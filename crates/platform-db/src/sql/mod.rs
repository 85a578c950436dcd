//! One synchronous SQL interface over both databases, so storage code that must stay correct
//! (checks and writes in one transaction) is written once and runs on SQLite and PostgreSQL.
//!
//! - [`Db`]: statements and queries; [`Conn`] adds transactions, [`Tx`] ends them.
//! - Statements use SQLite's numbered placeholders (`?1`, `?2`); PostgreSQL gets them rewritten
//!   to `$1`, `$2`, and SQLite's index hints dropped. Values travel as [`Value`]s and come back
//!   through [`Row::get`].
//! - SQL that differs between the two is chosen with [`Db::dialect`]; the rest is the common
//!   subset (`ON CONFLICT`, `IS DISTINCT FROM`, `coalesce`, `CAST(… AS BIGINT)` for sums), and
//!   [`Db::insert`] answers a new row's id on both.
//! - [`Lock`] says what a transaction must exclude. SQLite has one writer at a time, so every
//!   locking transaction there is `BEGIN IMMEDIATE`. PostgreSQL runs writers side by side, so a
//!   locking transaction takes advisory locks first: [`Lock::Owner`] excludes the same owner's
//!   locking transactions, [`Lock::All`] excludes every locking transaction. Code that relied on
//!   SQLite's single writer keeps that guarantee on PostgreSQL, per owner.
//!
//! The SQLite side is rusqlite on the caller's thread. The PostgreSQL side is `tokio-postgres`
//! whose sockets a small runtime of its own drives ([`pg::BlockingPool`]): a statement is a future
//! parked on the caller's thread, never a runtime's `block_on`, so the same code runs from a CLI's
//! main thread, a `spawn_blocking` task or a thread inside another runtime's `block_on`.

mod compat;
mod dialect;
pub mod pg;
mod pool;
mod sqlite;
mod value;

use std::fmt;

pub use self::compat::{Optional, RusqliteLike, Stmt};
use self::dialect::to_postgres;
pub use self::pool::{AnyPool, PgHandle};
pub use self::value::{FromValue, Params, ToValue, Value};

/// Which database a connection talks to, for the statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A statement failed, or a value was not what the code reads it as.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed, or no connection could be had.
    #[error(transparent)]
    Pg(#[from] crate::pg::PgError),
    /// A column held another type than the one read.
    #[error("column {column}: expected {expected}, found {found}")]
    Type {
        /// Column index.
        column: usize,
        /// What the code reads.
        expected: &'static str,
        /// What the row holds.
        found: String,
    },
    /// A stored value did not parse back into its domain type.
    #[error("corrupt value in database: {0}")]
    Corrupt(String),
    /// A query that must answer one row answered none.
    #[error("the query returned no row")]
    NoRow,
    /// The connection's runtime is gone (the pool was dropped).
    #[error("the PostgreSQL connection's runtime has stopped")]
    Closed,
    /// A nested use of a connection: on PostgreSQL, a statement while a query's rows on it
    /// are still being read (collect the rows first); on either, a transaction inside one.
    #[error(
        "a nested use of the connection (a statement inside a row loop, or a transaction inside a transaction)"
    )]
    Nested,
    /// A statement the PostgreSQL translation cannot take (a bare `?`, a hint without its
    /// index).
    #[error("unsupported statement: {0}")]
    Unsupported(String),
}

impl SqlError {
    /// A unique or primary-key constraint refused the write.
    pub fn is_conflict(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            Self::Pg(e) => e.is_conflict(),
            _ => false,
        }
    }
}

/// One row of a result.
pub trait Row {
    /// The value of column `i` (0-based).
    fn value(&self, i: usize) -> Result<Value, SqlError>;

    /// The columns' names, in order.
    fn columns(&self) -> Vec<String>;
}

impl dyn Row + '_ {
    /// Column `i` read as a `T` (`r.get(0)`, or as rusqlite spells it, `r.get::<_, T>(0)`).
    pub fn get<I: ColumnIndex, T: FromValue>(&self, i: I) -> Result<T, SqlError> {
        let i = i.index();
        T::from_value(self.value(i)?).map_err(|(expected, found)| SqlError::Type {
            column: i,
            expected,
            found: found.kind().to_owned(),
        })
    }
}

/// A column's position.
pub trait ColumnIndex {
    /// 0-based.
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// Runs statements and queries.
pub trait Db {
    /// The database behind it.
    fn dialect(&self) -> Dialect;

    /// Runs a statement; answers the rows it changed (callers use [`DbExt::execute`]).
    fn run(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError>;

    /// Runs a query, handing each row to `f` as it arrives (a failing `f` stops it).
    fn each(
        &self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&dyn Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError>;

    /// Runs an `INSERT` of one row into a table whose key is `id`, and answers the new row's
    /// id, or `None` when nothing was inserted (`ON CONFLICT DO NOTHING`). SQLite reads its last
    /// row id, so there `id` must be the row id (`id INTEGER PRIMARY KEY`; a `RETURNING` clause
    /// would make SQLite journal every such statement, 15% of a cold scan); PostgreSQL appends
    /// `RETURNING id`.
    fn insert(&self, sql: &str, params: &[Value]) -> Result<Option<i64>, SqlError>;

    /// Runs several statements without parameters (schema, pragmas).
    fn batch(&self, sql: &str) -> Result<(), SqlError>;

    /// Opens a transaction holding `lock` through a shared reference, for code that keeps the
    /// connection shared while it writes in short transactions. A transaction already open on
    /// the connection makes it fail (never nests). Prefer [`Conn::transaction`].
    fn begin(&self, lock: Lock<'_>) -> Result<Box<dyn Tx + '_>, SqlError>;
}

impl fmt::Debug for dyn Db + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} connection", self.dialect())
    }
}

/// Implements [`Db`] for a type by handing every call to the `Db` its closure-like expression
/// names: `delegate_db!(impl['a] for Wrapper<'a> => |w| &w.inner);`.
#[macro_export]
macro_rules! delegate_db {
    (impl[$($g:tt)*] for $t:ty => |$s:ident| $target:expr) => {
        impl<$($g)*> $crate::sql::Db for $t {
            fn dialect(&self) -> $crate::sql::Dialect {
                let $s = self;
                $crate::sql::Db::dialect($target)
            }

            fn run(
                &self,
                sql: &str,
                params: &[$crate::sql::Value],
            ) -> Result<u64, $crate::sql::SqlError> {
                let $s = self;
                $crate::sql::Db::run($target, sql, params)
            }

            fn each(
                &self,
                sql: &str,
                params: &[$crate::sql::Value],
                f: &mut dyn FnMut(&dyn $crate::sql::Row) -> Result<(), $crate::sql::SqlError>,
            ) -> Result<(), $crate::sql::SqlError> {
                let $s = self;
                $crate::sql::Db::each($target, sql, params, f)
            }

            fn insert(
                &self,
                sql: &str,
                params: &[$crate::sql::Value],
            ) -> Result<Option<i64>, $crate::sql::SqlError> {
                let $s = self;
                $crate::sql::Db::insert($target, sql, params)
            }

            fn batch(&self, sql: &str) -> Result<(), $crate::sql::SqlError> {
                let $s = self;
                $crate::sql::Db::batch($target, sql)
            }

            fn begin(
                &self,
                lock: $crate::sql::Lock<'_>,
            ) -> Result<Box<dyn $crate::sql::Tx + '_>, $crate::sql::SqlError> {
                let $s = self;
                $crate::sql::Db::begin($target, lock)
            }
        }
    };
}

// A boxed connection or transaction is one.
delegate_db!(impl[T: Db + ?Sized] for Box<T> => |b| &**b);

/// What a transaction must exclude while it runs (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock<'a> {
    /// Nothing: reads see a consistent state; writes may interleave with others'.
    None,
    /// Other locking transactions of this owner (and [`Lock::All`] ones).
    Owner(&'a str),
    /// Every other locking transaction.
    All,
}

/// A connection: a [`Db`] whose exclusive borrow opens transactions, so none nests.
pub trait Conn: Db {
    /// Opens a transaction holding `lock`; it rolls back unless committed.
    fn transaction(&mut self, lock: Lock<'_>) -> Result<Box<dyn Tx + '_>, SqlError> {
        self.begin(lock)
    }
}

/// An open transaction.
pub trait Tx: Db {
    /// Makes its writes durable and visible.
    fn commit(self: Box<Self>) -> Result<(), SqlError>;
}

/// Reading helpers for every [`Db`], sized or not.
pub trait DbExt: Db {
    /// Runs a statement; answers the rows it changed.
    fn execute<'p>(&self, sql: &str, params: impl Params<'p>) -> Result<u64, SqlError> {
        self.run(sql, &params.values())
    }

    /// The rows of a query, each read by `f`.
    fn rows<T>(
        &self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&dyn Row) -> Result<T, SqlError>,
    ) -> Result<Vec<T>, SqlError> {
        let mut out = Vec::new();
        self.each(sql, params, &mut |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of a query read by `f`, if there is one.
    fn row_opt<T>(
        &self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&dyn Row) -> Result<T, SqlError>,
    ) -> Result<Option<T>, SqlError> {
        let mut out = None;
        self.each(sql, params, &mut |r| {
            if out.is_none() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of a query read by `f`; [`SqlError::NoRow`] when there is none.
    fn row<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnMut(&dyn Row) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        self.row_opt(sql, params, f)?.ok_or(SqlError::NoRow)
    }

    /// Runs an `INSERT` of one row as [`Db::insert`] and answers its id; [`SqlError::NoRow`]
    /// when nothing was inserted.
    fn insert_id<'p>(&self, sql: &str, params: impl Params<'p>) -> Result<i64, SqlError> {
        self.insert(sql, &params.values())?.ok_or(SqlError::NoRow)
    }

    /// The first column of the first row, as a `T`.
    fn one<T: FromValue>(&self, sql: &str, params: &[Value]) -> Result<T, SqlError> {
        self.row(sql, params, |r| r.get(0))
    }
}

impl<D: Db + ?Sized> DbExt for D {}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}
