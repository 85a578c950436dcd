//! One writer and a few readers behind async-friendly handles.
//!
//! SQLite serialises writers on the file lock anyway; queueing them on one connection in our own
//! process turns lock contention (`SQLITE_BUSY` and retries) into a fair async queue. Readers run
//! concurrently in WAL mode. All SQLite work runs on the blocking thread pool so it never stalls
//! the async runtime.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::open::{Migrations, OpenError, migrate, open};

/// A database task could not run to completion.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The blocking task panicked or the runtime is shutting down.
    #[error("database task did not complete: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The pool was closed while waiting for a connection.
    #[error("database pool is closed")]
    Closed,
    /// No PostgreSQL connection could be had ([`crate::sql::AnyPool`]).
    #[error(transparent)]
    Connect(Box<crate::sql::SqlError>),
}

/// A cheap-to-clone handle to one SQLite database.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Arc<tokio::sync::Mutex<Connection>>,
    readers: Mutex<Vec<Connection>>,
    reader_permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Pool {
    /// Opens the database, applies `migrations`, and opens `readers` read connections.
    pub fn open(
        path: &Path,
        readers: usize,
        migrations: &Migrations<'_>,
    ) -> Result<Self, OpenError> {
        let mut writer = open(path)?;
        migrate(&mut writer, migrations)?;
        let readers = readers.max(1);
        let conns = (0..readers)
            .map(|_| open(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Arc::new(tokio::sync::Mutex::new(writer)),
                readers: Mutex::new(conns),
                reader_permits: Arc::new(Semaphore::new(readers)),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on the single writer connection, after every earlier write has finished.
    pub async fn write<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> T + Send + 'static,
    {
        let mut guard = Arc::clone(&self.inner.writer).lock_owned().await;
        Ok(tokio::task::spawn_blocking(move || f(&mut guard)).await?)
    }

    /// Runs `f` on the writer from a dedicated (non-async) thread, waiting for the lock.
    /// Never call it from async code: it blocks the calling thread.
    pub fn write_blocking<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut guard = self.inner.writer.blocking_lock();
        f(&mut guard)
    }

    /// Runs `f` on one of the read connections.
    pub async fn read<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.inner.reader_permits)
            .acquire_owned()
            .await
            .map_err(|_| PoolError::Closed)?;
        let inner = Arc::clone(&self.inner);
        Ok(tokio::task::spawn_blocking(move || {
            let conn = inner.take_reader();
            let out = f(&conn);
            inner.give_back(conn);
            drop(permit);
            out
        })
        .await?)
    }
}

impl Inner {
    fn take_reader(&self) -> Connection {
        let conn = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        // The semaphore holds exactly as many permits as there are connections, so a holder of a
        // permit always finds one; reopening is a fallback that keeps a logic slip from panicking.
        match conn {
            Some(conn) => conn,
            None => open(&self.path).unwrap_or_else(|_| {
                Connection::open_in_memory().unwrap_or_else(|_| unreachable_connection())
            }),
        }
    }

    fn give_back(&self, conn: Connection) {
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

#[expect(
    clippy::panic,
    reason = "opening an in-memory database only fails when SQLite itself cannot allocate"
)]
fn unreachable_connection() -> Connection {
    panic!("SQLite cannot open even an in-memory database")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite_migration::M;

    #[tokio::test]
    async fn writes_are_visible_to_readers() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let migrations = Migrations::new(vec![M::up("CREATE TABLE t (v INTEGER);")]);
        let pool = Pool::open(&dir.path().join("p.db"), 2, &migrations)?;
        let mut tasks = Vec::new();
        for i in 0..50 {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                pool.write(move |c| c.execute("INSERT INTO t VALUES (?1)", [i]))
                    .await
            }));
        }
        for t in tasks {
            t.await???;
        }
        let n: i64 = pool
            .read(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
            .await??;
        assert_eq!(n, 50);
        Ok(())
    }
}
