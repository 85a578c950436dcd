//! [`Db`] and [`Conn`] over rusqlite: statements from the connection's cache, rows read in
//! place, every locking transaction `BEGIN IMMEDIATE`.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Transaction, TransactionBehavior, params_from_iter};

use super::{Conn, Db, Dialect, Lock, Row, SqlError, Tx, Value};

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Self::Null => ValueRef::Null,
            Self::Int(n) => ValueRef::Integer(*n),
            Self::Real(n) => ValueRef::Real(*n),
            Self::Text(s) => ValueRef::Text(s.as_bytes()),
            Self::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Row for rusqlite::Row<'_> {
    fn value(&self, i: usize) -> Result<Value, SqlError> {
        Ok(match self.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(n) => Value::Real(n),
            ValueRef::Text(t) => {
                Value::Text(String::from_utf8(t.to_vec()).map_err(|_| SqlError::Type {
                    column: i,
                    expected: "UTF-8 text",
                    found: "invalid UTF-8".into(),
                })?)
            }
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    }

    fn columns(&self) -> Vec<String> {
        self.as_ref()
            .column_names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
}

impl Db for Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn run(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        let n = self
            .prepare_cached(sql)?
            .execute(params_from_iter(params))?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn each(
        &self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&dyn Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            f(row)?;
        }
        Ok(())
    }

    fn insert(&self, sql: &str, params: &[Value]) -> Result<Option<i64>, SqlError> {
        let n = self
            .prepare_cached(sql)?
            .execute(params_from_iter(params))?;
        Ok((n > 0).then(|| self.last_insert_rowid()))
    }

    fn batch(&self, sql: &str) -> Result<(), SqlError> {
        Ok(self.execute_batch(sql)?)
    }

    fn begin(&self, lock: Lock<'_>) -> Result<Box<dyn Tx + '_>, SqlError> {
        let behavior = match lock {
            Lock::None => TransactionBehavior::Deferred,
            Lock::Owner(_) | Lock::All => TransactionBehavior::Immediate,
        };
        // SQLite itself refuses a BEGIN inside an open transaction.
        Ok(Box::new(Transaction::new_unchecked(self, behavior)?))
    }
}

// A rusqlite transaction is a connection for the statements run inside it (a `begin` on it
// fails: SQLite refuses a nested BEGIN).
crate::delegate_db!(impl['c] for Transaction<'c> => |t| &**t);

impl Tx for Transaction<'_> {
    fn commit(self: Box<Self>) -> Result<(), SqlError> {
        Ok((*self).commit()?)
    }
}

impl Conn for Connection {}
