//! [`Db`] and [`Conn`] over `tokio-postgres`, for synchronous callers.
//!
//! A [`BlockingPool`] owns a one-thread runtime that opens connections and drives their
//! sockets. A statement is a future on the caller's own thread, parked until the connection's
//! task answers: no runtime is entered, so the caller may be a plain thread, a `spawn_blocking`
//! task or a thread inside another runtime's `block_on`. Rows stream one by one, so a long
//! result is never held whole.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use bytes::BytesMut;
use deadpool_postgres::{Object, Pool};
use futures_util::StreamExt as _;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::{Conn, Db, Dialect, Lock, Row, SqlError, Tx, Value, to_postgres};
use crate::pg::{PgError, PgTls};

/// The advisory lock every locking transaction holds: shared for [`Lock::Owner`], exclusive
/// for [`Lock::All`] (one-key space; owners use the two-key space, which does not overlap).
const ALL: i64 = 0x6465_636c_7574_7472;

/// The two-key namespace of the owners' advisory locks.
const OWNERS: i32 = 0x6f77_6e72;

/// A pool of PostgreSQL connections for synchronous code.
#[derive(Clone)]
pub struct BlockingPool {
    pool: Pool,
    io: Arc<Io>,
}

impl std::fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingPool")
            .field("status", &self.pool.status())
            .finish_non_exhaustive()
    }
}

/// The runtime that connects and drives the sockets; shut down without waiting when dropped
/// (dropping a runtime may happen inside another one).
struct Io {
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for Io {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl BlockingPool {
    /// A pool of at most `max_size` connections to `url`, trusting `tls` when TLS is used
    /// (see [`crate::pg::connect`]); nothing connects yet.
    pub fn connect(url: &str, max_size: usize, tls: &PgTls) -> Result<Self, PgError> {
        // Building the pool may need a runtime (timeouts): build it inside the I/O runtime.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pg-io")
            .enable_all()
            .build()
            .map_err(PgError::Runtime)?;
        // Owned by `Io` at once: a refused URL drops it without waiting, which may happen
        // inside the caller's runtime.
        let io = Io { rt: Some(rt) };
        let pool = {
            let _entered = io.rt.as_ref().map(tokio::runtime::Runtime::enter);
            crate::pg::connect(url, max_size, tls)?
        };
        Ok(Self {
            pool,
            io: Arc::new(io),
        })
    }

    /// A connection, waiting at most [`crate::pg::WAIT`] for one.
    ///
    /// The pool is asked on this thread, inside the I/O runtime's context (its timers, its
    /// reactor for a new connection's socket, its workers for the new connection's task): an
    /// idle connection, the common case, is taken at the first poll, with no round trip to the
    /// runtime's thread and back (two thread wake-ups a request on a busy server).
    pub fn get(&self) -> Result<PgConn, SqlError> {
        let rt = self.io.rt.as_ref().ok_or(SqlError::Closed)?;
        let object = {
            let _context = rt.enter();
            block_on(self.pool.get())
        }
        .map_err(PgError::from)?;
        Ok(PgConn {
            client: object,
            streaming: Cell::new(false),
            in_tx: Cell::new(false),
            _io: Arc::clone(&self.io),
        })
    }

    /// The async pool underneath (for code that is async already).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// One connection of a [`BlockingPool`]; back to the pool when dropped.
pub struct PgConn {
    client: Object,
    /// A query's rows are being read: the connection answers nothing else until they end.
    streaming: Cell<bool>,
    /// A transaction is open on it.
    in_tx: Cell<bool>,
    /// Keeps the runtime driving this connection's socket alive.
    _io: Arc<Io>,
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn").finish_non_exhaustive()
    }
}

/// Runs `f` to completion on this thread, parking between wake-ups. Outside tokio's cooperative
/// budget: called from a task that has spent its budget (a thread inside a runtime's
/// `block_on` that has not yielded for a while), a budgeted poll of a `JoinHandle` would answer
/// "pending, poll again" forever, and this loop would spin.
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(tokio::task::unconstrained(f));
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Self::Null => Ok(IsNull::Yes),
            Self::Int(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::BOOL => (*n != 0).to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => (*n as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => n.to_string().to_sql(ty, out),
                _ => Err(format!("an integer cannot be sent as {ty}").into()),
            },
            Self::Real(n) => match *ty {
                Type::FLOAT8 => n.to_sql(ty, out),
                _ => Err(format!("a real cannot be sent as {ty}").into()),
            },
            Self::Text(s) => s.as_str().to_sql(ty, out),
            Self::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

struct PgRow(tokio_postgres::Row);

impl Row for PgRow {
    fn value(&self, i: usize) -> Result<Value, SqlError> {
        let ty = self
            .0
            .columns()
            .get(i)
            .ok_or_else(|| SqlError::Type {
                column: i,
                expected: "a column",
                found: format!("{} columns", self.0.len()),
            })?
            .type_()
            .clone();
        let get = |e: tokio_postgres::Error| SqlError::Pg(PgError::Query(e));
        Ok(match ty {
            Type::INT8 => self.0.try_get::<_, Option<i64>>(i).map_err(get)?.into(),
            Type::INT4 => self.0.try_get::<_, Option<i32>>(i).map_err(get)?.into(),
            Type::INT2 => self
                .0
                .try_get::<_, Option<i16>>(i)
                .map_err(get)?
                .map_or(Value::Null, |n| Value::Int(i64::from(n))),
            Type::BOOL => self.0.try_get::<_, Option<bool>>(i).map_err(get)?.into(),
            Type::FLOAT8 => self.0.try_get::<_, Option<f64>>(i).map_err(get)?.into(),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                self.0.try_get::<_, Option<String>>(i).map_err(get)?.into()
            }
            Type::BYTEA => self.0.try_get::<_, Option<Vec<u8>>>(i).map_err(get)?.into(),
            Type::VOID => Value::Null,
            other => {
                return Err(SqlError::Type {
                    column: i,
                    expected: "BIGINT, INTEGER, BOOLEAN, DOUBLE PRECISION, TEXT or BYTEA",
                    found: other.to_string(),
                });
            }
        })
    }
    fn columns(&self) -> Vec<String> {
        self.0
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect()
    }
}

impl PgConn {
    /// Runs one exchange with the server. A statement issued while a query's rows are still
    /// being read would wait behind them forever (PostgreSQL answers in order): it fails.
    fn exchange<T>(
        &self,
        sql: &str,
        f: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, SqlError> {
        if self.streaming.get() {
            return Err(SqlError::Nested);
        }
        block_on(f).map_err(|e| failed(sql, e))
    }
}

impl Db for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn run(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        let sql = to_postgres(sql)?;
        self.exchange(&sql, async {
            let stmt = self.client.prepare_cached(&sql).await?;
            self.client.execute_raw(&stmt, params.iter()).await
        })
    }

    fn each(
        &self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&dyn Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        let sql = to_postgres(sql)?;
        let rows = self.exchange(&sql, async {
            let stmt = self.client.prepare_cached(&sql).await?;
            self.client.query_raw(&stmt, params.iter()).await
        })?;
        let mut rows = pin!(rows);
        let streaming = Streaming::start(&self.streaming);
        while let Some(row) = block_on(rows.next()) {
            let row = row.map_err(|e| failed(&sql, e))?;
            f(&PgRow(row))?;
        }
        drop(streaming);
        Ok(())
    }

    fn insert(&self, sql: &str, params: &[Value]) -> Result<Option<i64>, SqlError> {
        let sql = format!("{} RETURNING id", sql.trim_end().trim_end_matches(';'));
        let mut id = None;
        self.each(&sql, params, &mut |r| {
            id = Some(r.get(0)?);
            Ok(())
        })?;
        Ok(id)
    }

    fn batch(&self, sql: &str) -> Result<(), SqlError> {
        self.exchange(sql, self.client.batch_execute(sql))
    }

    fn begin(&self, lock: Lock<'_>) -> Result<Box<dyn Tx + '_>, SqlError> {
        self.open(lock)
    }
}

/// A failed statement, naming its first characters (never its parameters).
fn failed(sql: &str, source: tokio_postgres::Error) -> SqlError {
    let mut statement: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((i, _)) = statement.char_indices().nth(160) {
        statement.truncate(i);
        statement.push('…');
    }
    SqlError::Pg(PgError::Statement { statement, source })
}

/// Marks a connection busy reading rows until dropped.
struct Streaming<'a>(&'a Cell<bool>);

impl<'a> Streaming<'a> {
    fn start(flag: &'a Cell<bool>) -> Self {
        flag.set(true);
        Self(flag)
    }
}

impl Drop for Streaming<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// A transaction on a [`PgConn`]: rolled back when dropped uncommitted.
struct PgTx<'a> {
    conn: &'a PgConn,
    open: bool,
}

// Statements of a transaction go to its connection, which refuses a nested one.
crate::delegate_db!(impl['c] for PgTx<'c> => |t| t.conn);

impl Tx for PgTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<(), SqlError> {
        self.open = false;
        self.conn.in_tx.set(false);
        self.conn.batch("COMMIT")
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.open {
            self.conn.in_tx.set(false);
            if let Err(error) = self.conn.batch("ROLLBACK") {
                tracing::warn!(%error, "rolling back a PostgreSQL transaction failed");
            }
        }
    }
}

impl Conn for PgConn {}

impl PgConn {
    /// Opens a transaction holding `lock`. PostgreSQL only warns on a nested `BEGIN` (and the
    /// inner `COMMIT` would commit the outer work), so a nested one is refused here.
    fn open(&self, lock: Lock<'_>) -> Result<Box<dyn Tx + '_>, SqlError> {
        if self.in_tx.get() {
            return Err(SqlError::Nested);
        }
        self.batch("BEGIN")?;
        self.in_tx.set(true);
        let tx = PgTx {
            conn: self,
            open: true,
        };
        match lock {
            Lock::None => {}
            Lock::Owner(owner) => {
                tx.run(
                    "SELECT pg_advisory_xact_lock_shared(?1)",
                    &[Value::Int(ALL)],
                )?;
                tx.run(
                    "SELECT pg_advisory_xact_lock(?1, hashtext(?2))",
                    &[Value::Int(i64::from(OWNERS)), Value::Text(owner.to_owned())],
                )?;
            }
            Lock::All => {
                tx.run("SELECT pg_advisory_xact_lock(?1)", &[Value::Int(ALL)])?;
            }
        }
        Ok(Box::new(tx))
    }
}
