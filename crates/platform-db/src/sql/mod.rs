//! One synchronous SQL interface over both databases, so storage code that must stay correct
//! (checks and writes in one transaction) is written once and runs on SQLite and PostgreSQL.
//!
//! - [`Db`]: statements and queries; [`Conn`] adds transactions, [`Tx`] ends them.
//! - Statements use SQLite's numbered placeholders (`?1`, `?2`); PostgreSQL gets them rewritten
//!   to `$1`, `$2`. Values travel as [`Value`]s and come back through [`Row::get`].
//! - SQL that differs between the two is chosen with [`Db::dialect`]; the rest is the common
//!   subset (`RETURNING`, `ON CONFLICT`, `coalesce`, `CAST(… AS BIGINT)` for sums).
//! - [`Lock`] says what a transaction must exclude. SQLite has one writer at a time, so every
//!   locking transaction there is `BEGIN IMMEDIATE`. PostgreSQL runs writers side by side, so a
//!   locking transaction takes advisory locks first: [`Lock::Owner`] excludes the same owner's
//!   locking transactions, [`Lock::All`] excludes every locking transaction. Code that relied on
//!   SQLite's single writer keeps that guarantee on PostgreSQL, per owner.
//!
//! The SQLite side is rusqlite on the caller's thread. The PostgreSQL side is `tokio-postgres`
//! driven by a small runtime of its own ([`pg::BlockingPool`]): callers block on a channel, never
//! on a runtime, so the same code runs from a CLI's main thread, a `spawn_blocking` task or a
//! thread inside another runtime's `block_on`.

pub mod pg;
mod sqlite;

use std::borrow::Cow;
use std::fmt;

/// Which database a connection talks to, for the statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A parameter or column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (SQLite INTEGER; PostgreSQL BIGINT, INTEGER, SMALLINT or BOOLEAN).
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (SQLite BLOB; PostgreSQL BYTEA).
    Blob(Vec<u8>),
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Self::Int(i64::from(n))
            }
        }
    )*};
}
value_from_int!(i64, i32, u32, u16, u8, bool);

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Self::Real(n)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Self::Text(s.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Self {
        Self::Blob(b.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Self::Blob(b)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A Rust value a statement takes as a parameter (by reference: nothing is moved).
pub trait ToValue {
    /// The parameter's value.
    fn to_value(&self) -> Value;
}

macro_rules! to_value_via_from {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::from(*self)
            }
        }
    )*};
}
to_value_via_from!(i64, i32, u32, u16, u8, bool, f64);

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for std::borrow::Cow<'_, str> {
    fn to_value(&self) -> Value {
        Value::Text(self.as_ref().to_owned())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// Parameters for a statement, as rusqlite's `params!` takes them: `vals![a, &b, c]`, each
/// borrowed and converted with [`ToValue`].
#[macro_export]
macro_rules! vals {
    ($($v:expr),* $(,)?) => {
        &[$($crate::sql::ToValue::to_value(&$v)),*][..]
    };
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
    /// A statement used a placeholder other than `?N`.
    #[error("unsupported placeholder in statement: {0}")]
    Placeholder(String),
}

impl SqlError {
    /// A unique or primary-key constraint refused the write.
    pub fn is_conflict(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            Self::Pg(e) => e.db_error().is_some_and(|e| {
                e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
            }),
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

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Self::Null => "NULL",
            Self::Int(_) => "integer",
            Self::Real(_) => "real",
            Self::Text(_) => "text",
            Self::Blob(_) => "blob",
        }
    }
}

/// A Rust type a column converts into.
pub trait FromValue: Sized {
    /// The conversion; on a mismatch, what was expected and the value found.
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)>;
}

impl FromValue for Value {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        Ok(v)
    }
}

impl FromValue for i64 {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Int(n) => Ok(n),
            other => Err(("integer", other)),
        }
    }
}

macro_rules! from_value_int {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
                match v {
                    Value::Int(n) => <$t>::try_from(n).map_err(|_| (stringify!($t), Value::Int(n))),
                    other => Err((stringify!($t), other)),
                }
            }
        }
    )*};
}
from_value_int!(i32, u32, u64, usize);

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Int(n) => Ok(n != 0),
            other => Err(("boolean", other)),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Real(n) => Ok(n),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(n) => Ok(n as f64),
            other => Err(("real", other)),
        }
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(("text", other)),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Blob(b) => Ok(b),
            other => Err(("blob", other)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
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

/// A statement's parameters: a slice of [`Value`]s (`vals![…]`) or an array of values.
pub trait Params<'a> {
    /// The values, in order.
    fn values(self) -> Cow<'a, [Value]>;
}

impl<'a> Params<'a> for &'a [Value] {
    fn values(self) -> Cow<'a, [Value]> {
        Cow::Borrowed(self)
    }
}

impl<'a, const N: usize> Params<'a> for &'a [Value; N] {
    fn values(self) -> Cow<'a, [Value]> {
        Cow::Borrowed(self.as_slice())
    }
}

impl Params<'_> for [Value; 0] {
    fn values(self) -> Cow<'static, [Value]> {
        Cow::Borrowed(&[])
    }
}

macro_rules! params_for_arrays {
    ($($n:literal)*) => {$(
        impl<T: ToValue> Params<'_> for [T; $n] {
            fn values(self) -> Cow<'static, [Value]> {
                Cow::Owned(self.iter().map(ToValue::to_value).collect())
            }
        }
    )*};
}
params_for_arrays!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);

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

    /// Whether it answers any row.
    pub fn exists<'p>(&mut self, params: impl Params<'p>) -> Result<bool, SqlError> {
        Ok(self
            .db
            .row_opt(&self.sql, &params.values(), |_| Ok(()))?
            .is_some())
    }

    /// Its rows, read whole, to walk with [`Rows::next`] (for short results; stream long ones
    /// with [`Db::each`]).
    pub fn query<'p>(&mut self, params: impl Params<'p>) -> Result<Rows, SqlError> {
        let mut rows = Vec::new();
        let mut columns = None;
        self.db.each(&self.sql, &params.values(), &mut |r| {
            if columns.is_none() {
                columns = Some(r.columns());
            }
            let n = columns.as_ref().map_or(0, Vec::len);
            rows.push((0..n).map(|i| r.value(i)).collect::<Result<Vec<_>, _>>()?);
            Ok(())
        })?;
        Ok(Rows {
            columns: columns.unwrap_or_default(),
            rows: rows.into_iter(),
            current: None,
        })
    }
}

/// The rows of [`Stmt::query`].
pub struct Rows {
    columns: Vec<String>,
    rows: std::vec::IntoIter<Vec<Value>>,
    current: Option<ValuesRow>,
}

impl Rows {
    /// The next row, if any (a lending iterator, as rusqlite's `Rows`: the row borrows the
    /// cursor, which `Iterator` cannot express).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<&dyn Row>, SqlError> {
        self.current = self.rows.next().map(|values| ValuesRow {
            columns: self.columns.clone(),
            values,
        });
        Ok(self.current.as_ref().map(|r| r as &dyn Row))
    }
}

/// A row read whole.
struct ValuesRow {
    columns: Vec<String>,
    values: Vec<Value>,
}

impl Row for ValuesRow {
    fn value(&self, i: usize) -> Result<Value, SqlError> {
        self.values.get(i).cloned().ok_or_else(|| SqlError::Type {
            column: i,
            expected: "a column",
            found: format!("{} columns", self.values.len()),
        })
    }

    fn columns(&self) -> Vec<String> {
        self.columns.clone()
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

/// `sql` for PostgreSQL: SQLite's `?N` placeholders written as `$N`, and SQLite's index hints
/// (`INDEXED BY name`, `NOT INDEXED`) left out, as PostgreSQL's planner takes none. String
/// literals and quoted names are left alone.
pub(crate) fn to_postgres(sql: &str) -> Result<String, SqlError> {
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
                    return Err(SqlError::Placeholder("INDEXED BY without an index".into()));
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
                    return Err(SqlError::Placeholder(
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

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
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
            Err(SqlError::Placeholder(_))
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
