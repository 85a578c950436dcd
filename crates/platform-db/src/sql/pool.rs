//! [`AnyPool`]: the async handle of an app whose storage runs on either database.
//!
//! Storage code is synchronous and written once over [`Db`] and [`Conn`]; a handler hands it a
//! closure and awaits the answer. On SQLite the closure runs on the pool's single writer or one
//! of its readers ([`crate::Pool`]); on PostgreSQL, on a connection of a [`BlockingPool`]. Either
//! way it runs on the blocking thread pool, never on an async worker.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::pg::BlockingPool;
use super::{Conn, Db, Dialect};
use crate::{Pool, PoolError};

/// A cheap-to-clone handle to the app's database, SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub enum AnyPool {
    /// One SQLite file: a single writer, a few readers.
    Sqlite(Pool),
    /// A PostgreSQL database shared by every instance.
    Postgres(PgHandle),
}

/// A [`BlockingPool`] with a bound on the tasks waiting for it, so callers queue in async code
/// (not on blocking threads) when every connection is busy.
#[derive(Debug, Clone)]
pub struct PgHandle {
    pool: BlockingPool,
    permits: Arc<Semaphore>,
}

impl PgHandle {
    /// The pool underneath (the async one is [`BlockingPool::pool`]).
    pub fn blocking(&self) -> &BlockingPool {
        &self.pool
    }
}

impl AnyPool {
    /// A PostgreSQL handle over `pool`: at most its size of closures run at once.
    pub fn postgres(pool: BlockingPool) -> Self {
        let size = pool.pool().status().max_size.max(1);
        Self::Postgres(PgHandle {
            pool,
            permits: Arc::new(Semaphore::new(size)),
        })
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` where it may write: SQLite's single writer, after every earlier write has
    /// finished; a PostgreSQL connection, alongside other instances' and tasks' (take the
    /// [`super::Lock`] the code's invariant needs in its transaction).
    pub async fn write<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Conn) -> T + Send + 'static,
    {
        match self {
            Self::Sqlite(pool) => pool.write(move |c| f(c)).await,
            Self::Postgres(pg) => pg.run(f).await,
        }
    }

    /// Runs `f` for reading: one of SQLite's read connections, or a PostgreSQL connection.
    pub async fn read<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Db) -> T + Send + 'static,
    {
        match self {
            Self::Sqlite(pool) => pool.read(move |c| f(c)).await,
            Self::Postgres(pg) => pg.run(move |c| f(c)).await,
        }
    }

    /// Whether the database answers a trivial query (the readiness probe).
    pub async fn ping(&self) -> bool {
        matches!(
            self.read(|c| super::DbExt::one::<i64>(c, "SELECT 1", &[]))
                .await,
            Ok(Ok(1))
        )
    }
}

impl PgHandle {
    async fn run<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Conn) -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| PoolError::Closed)?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| PoolError::Connect(Box::new(e)))?;
            let out = f(&mut conn);
            drop(conn);
            drop(permit);
            Ok(out)
        })
        .await?
    }
}
