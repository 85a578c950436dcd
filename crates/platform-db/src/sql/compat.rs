//! rusqlite's shapes over any [`Db`], so storage code moved onto both databases with its
//! statements nearly unchanged: `query_row`, `prepare_cached(…).query_map(…)`, `.optional()`.

use super::{Db, DbExt as _, Params, Row, SqlError};

/// rusqlite's shapes over any [`Db`], so storage code moves onto both databases with its
/// statements unchanged: `query_row`, `prepare_cached(…).query_map(…)`, `.optional()`.
pub trait RusqliteLike: Db {
    /// The first row of a query read by `f`; [`SqlError::NoRow`] when there is none (turn it
    /// into `None` with [`Optional::optional`]).
    fn query_row<'p, T>(
        &self,
        sql: &str,
        params: impl Params<'p>,
        f: impl FnMut(&dyn Row) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        self.row(sql, &params.values(), f)
    }

    /// A statement to run (the databases' own caches keep it prepared).
    fn prepare_cached<'a>(&'a self, sql: &str) -> Result<Stmt<'a, Self>, SqlError> {
        Ok(Stmt {
            db: self,
            sql: sql.to_owned(),
        })
    }

    /// Same as [`RusqliteLike::prepare_cached`].
    fn prepare<'a>(&'a self, sql: &str) -> Result<Stmt<'a, Self>, SqlError> {
        self.prepare_cached(sql)
    }
}

impl<D: Db + ?Sized> RusqliteLike for D {}

/// A statement of a [`Db`], run with its parameters.
pub struct Stmt<'a, D: ?Sized> {
    db: &'a D,
    sql: String,
}

impl<D: Db + ?Sized> Stmt<'_, D> {
    /// Runs it; answers the rows changed.
    pub fn execute<'p>(&mut self, params: impl Params<'p>) -> Result<u64, SqlError> {
        self.db.run(&self.sql, &params.values())
    }

    /// Its rows, each read by `f` (read whole, then handed out).
    pub fn query_map<'p, T>(
        &mut self,
        params: impl Params<'p>,
        f: impl FnMut(&dyn Row) -> Result<T, SqlError>,
    ) -> Result<std::vec::IntoIter<Result<T, SqlError>>, SqlError> {
        Ok(self
            .db
            .rows(&self.sql, &params.values(), f)?
            .into_iter()
            .map(Ok)
            .collect::<Vec<_>>()
            .into_iter())
    }

    /// Its first row read by `f`.
    pub fn query_row<'p, T>(
        &mut self,
        params: impl Params<'p>,
        f: impl FnMut(&dyn Row) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        self.db.row(&self.sql, &params.values(), f)
    }

    /// Runs it as [`Db::insert`]: the new row's id, if a row was inserted.
    pub fn insert<'p>(&mut self, params: impl Params<'p>) -> Result<Option<i64>, SqlError> {
        self.db.insert(&self.sql, &params.values())
    }
}

/// `NoRow` as `None`, as rusqlite's `OptionalExtension`.
pub trait Optional<T> {
    /// `Ok(None)` for [`SqlError::NoRow`].
    fn optional(self) -> Result<Option<T>, SqlError>;
}

impl<T> Optional<T> for Result<T, SqlError> {
    fn optional(self) -> Result<Option<T>, SqlError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(SqlError::NoRow) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
