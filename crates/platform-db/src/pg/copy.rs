//! Moving an installation from SQLite to PostgreSQL: [`copy`] fills an empty, migrated
//! PostgreSQL database with every row of a SQLite one, and [`verify`] proves the two hold the
//! same rows (a count and a SHA-256 per table, computed from values read back from each side).
//!
//! The PostgreSQL schema must be the SQLite schema in PostgreSQL's dialect: the same tables
//! and the same stored columns (generated columns are computed, not copied). Anything else is
//! refused before a row moves. The copy is one transaction: tables in foreign-key order, by
//! binary `COPY`, with the tables' own triggers off (the rows already carry what they would
//! compute; constraint triggers stay on), identity sequences moved past the copied ids.

use std::collections::{BTreeMap, BTreeSet};

use deadpool_postgres::Pool;
use futures_util::{StreamExt as _, pin_mut};
use rusqlite::types::ValueRef;
use sha2::{Digest as _, Sha256};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::PgError;

/// Why a copy or a verification failed. A failed copy leaves the target as it was.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// PostgreSQL failed.
    #[error(transparent)]
    Pg(#[from] PgError),
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The two schemas do not describe the same tables and columns.
    #[error("the schemas differ: {0}")]
    Schema(String),
    /// The target already holds rows.
    #[error("the PostgreSQL database is not empty ({0} has rows): copy into a fresh database")]
    NotEmpty(String),
    /// A SQLite value does not fit its PostgreSQL column.
    #[error("{table}.{column}: a {found} value does not fit PostgreSQL type {expected}")]
    Value {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// SQLite's storage class of the value.
        found: &'static str,
        /// The column's PostgreSQL type.
        expected: String,
    },
    /// The copy does not hold what the source holds.
    #[error("{table} differs after the copy: {detail}")]
    Mismatch {
        /// Table.
        table: String,
        /// Counts or checksums.
        detail: String,
    },
}

impl From<tokio_postgres::Error> for CopyError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Pg(PgError::Query(e))
    }
}

impl From<deadpool_postgres::PoolError> for CopyError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Pg(PgError::Pool(e))
    }
}

/// One table's rows, as a count and a digest of their values in primary-key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSum {
    /// Table.
    pub table: String,
    /// Rows.
    pub rows: u64,
    /// SHA-256 of the rows' values (hex).
    pub sha256: String,
}

/// The PostgreSQL types SQLite's values are carried into.
const CARRIED: [Type; 5] = [
    Type::INT8,
    Type::INT4,
    Type::FLOAT8,
    Type::TEXT,
    Type::BYTEA,
];

/// A stored column of a table, with its PostgreSQL type.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    ty: Type,
}

/// A table as both databases have it.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// Primary-key columns, in key order.
    key: Vec<String>,
}

/// Copies every row of `sqlite` into the empty database behind `pool`, tables named in `skip`
/// (SQLite-only bookkeeping) excepted, then [`verify`]s the result.
pub async fn copy(
    sqlite: &rusqlite::Connection,
    pool: &Pool,
    skip: &[&str],
) -> Result<Vec<TableSum>, CopyError> {
    let tables = plan(sqlite, pool, skip).await?;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    for t in &tables {
        let quoted = quote(&t.name);
        if tx
            .query_opt(&format!("SELECT 1 FROM {quoted} LIMIT 1"), &[])
            .await?
            .is_some()
        {
            return Err(CopyError::NotEmpty(t.name.clone()));
        }
    }
    for t in &tables {
        copy_table(sqlite, &tx, t).await?;
    }
    for t in &tables {
        for c in &t.columns {
            let seq: Option<String> = tx
                .query_one(
                    "SELECT pg_get_serial_sequence($1, $2)",
                    &[&quote(&t.name), &c.name],
                )
                .await?
                .get(0);
            if let Some(seq) = seq {
                tx.execute(
                    &format!(
                        "SELECT setval(CAST($1 AS text)::regclass, COALESCE(MAX({col}), 0) + 1, false) FROM {tab}",
                        col = quote(&c.name),
                        tab = quote(&t.name)
                    ),
                    &[&seq],
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    drop(client);
    verify(sqlite, pool, skip).await
}

/// Compares `sqlite` with the database behind `pool` table by table (rows and a checksum of
/// their values); answers the sums, equal on both sides, or the first difference.
pub async fn verify(
    sqlite: &rusqlite::Connection,
    pool: &Pool,
    skip: &[&str],
) -> Result<Vec<TableSum>, CopyError> {
    let tables = plan(sqlite, pool, skip).await?;
    let client = pool.get().await?;
    let mut sums = Vec::with_capacity(tables.len());
    for t in &tables {
        let from = sqlite_sum(sqlite, t)?;
        let to = pg_sum(&client, t).await?;
        if from != to {
            return Err(CopyError::Mismatch {
                table: t.name.clone(),
                detail: format!(
                    "SQLite has {} rows (sha256 {}), PostgreSQL {} (sha256 {})",
                    from.rows, from.sha256, to.rows, to.sha256
                ),
            });
        }
        sums.push(from);
    }
    Ok(sums)
}

/// The tables to move, parents before children, with their stored columns; refuses schemas
/// that do not match.
async fn plan(
    sqlite: &rusqlite::Connection,
    pool: &Pool,
    skip: &[&str],
) -> Result<Vec<Table>, CopyError> {
    let client = pool.get().await?;
    let mut pg: BTreeMap<String, Table> = BTreeMap::new();
    for row in client
        .query(
            "SELECT c.relname::text, a.attname::text, a.attgenerated <> '', a.atttypid
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind = 'r'
               AND a.attnum > 0 AND NOT a.attisdropped
               AND c.relname <> 'platform_schema_versions'
             ORDER BY c.relname, a.attnum",
            &[],
        )
        .await?
    {
        let (table, column, generated, oid): (String, String, bool, u32) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let entry = pg.entry(table.clone()).or_insert_with(|| Table {
            name: table,
            columns: Vec::new(),
            key: Vec::new(),
        });
        if !generated {
            let ty = Type::from_oid(oid)
                .filter(|ty| CARRIED.contains(ty))
                .ok_or_else(|| {
                    CopyError::Schema(format!(
                        "{}.{column} has a type the copy does not carry (only {CARRIED:?})",
                        entry.name
                    ))
                })?;
            entry.columns.push(Column { name: column, ty });
        }
    }
    for row in client
        .query(
            "SELECT c.relname::text, a.attname::text
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
             JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             WHERE i.indisprimary
             ORDER BY c.relname, k.ord",
            &[],
        )
        .await?
    {
        let (table, column): (String, String) = (row.get(0), row.get(1));
        if let Some(t) = pg.get_mut(&table) {
            t.key.push(column);
        }
    }

    let mut lite: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let names: Vec<String> = sqlite
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for name in names.into_iter().filter(|n| !skip.contains(&n.as_str())) {
        // `hidden` is 2 or 3 for generated columns.
        let columns = sqlite
            .prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden = 0")?
            .query_map([&name], |r| r.get(0))?
            .collect::<Result<BTreeSet<String>, _>>()?;
        let refs = sqlite
            .prepare("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")?
            .query_map([&name], |r| r.get(0))?
            .collect::<Result<BTreeSet<String>, _>>()?;
        parents.insert(name.clone(), refs);
        lite.insert(name, columns);
    }

    let only_lite: Vec<_> = lite.keys().filter(|t| !pg.contains_key(*t)).collect();
    let only_pg: Vec<_> = pg.keys().filter(|t| !lite.contains_key(*t)).collect();
    if !only_lite.is_empty() || !only_pg.is_empty() {
        return Err(CopyError::Schema(format!(
            "tables only in SQLite: {only_lite:?}; only in PostgreSQL: {only_pg:?}"
        )));
    }
    for (name, t) in &pg {
        let stored: BTreeSet<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        if lite.get(name) != Some(&stored) {
            return Err(CopyError::Schema(format!(
                "{name}: SQLite stores {:?}, PostgreSQL {stored:?}",
                lite.get(name)
            )));
        }
        if t.key.is_empty() {
            return Err(CopyError::Schema(format!("{name} has no primary key")));
        }
    }

    // Parents first (a table referring to itself is its own parent: ignored).
    let mut order = Vec::with_capacity(pg.len());
    let mut placed = BTreeSet::new();
    while !pg.is_empty() {
        let ready: Vec<String> = pg
            .keys()
            .filter(|t| {
                parents[*t]
                    .iter()
                    .all(|p| p == *t || placed.contains(p) || !lite.contains_key(p))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(CopyError::Schema("foreign keys form a cycle".into()));
        }
        for t in ready {
            placed.insert(t.clone());
            order.extend(pg.remove(&t));
        }
    }
    Ok(order)
}

/// `"name"`, for identifiers read from the catalogs.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn column_list(t: &Table) -> String {
    t.columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn copy_table(
    sqlite: &rusqlite::Connection,
    tx: &deadpool_postgres::Transaction<'_>,
    t: &Table,
) -> Result<(), CopyError> {
    let table = quote(&t.name);
    let columns = column_list(t);
    tx.batch_execute(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
        .await?;
    let sink = tx
        .copy_in(&format!("COPY {table} ({columns}) FROM STDIN BINARY"))
        .await?;
    let types: Vec<Type> = t.columns.iter().map(|c| c.ty.clone()).collect();
    let writer = BinaryCopyInWriter::new(sink, &types);
    pin_mut!(writer);
    let mut stmt = sqlite.prepare(&format!("SELECT {columns} FROM {table}"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let mut values: Vec<Box<dyn ToSql + Sync + Send>> = Vec::with_capacity(t.columns.len());
        for (i, c) in t.columns.iter().enumerate() {
            values.push(to_pg(t, c, row.get_ref(i)?)?);
        }
        writer
            .as_mut()
            .write_raw(values.iter().map(|v| v.as_ref() as &(dyn ToSql + Sync)))
            .await?;
    }
    writer.finish().await?;
    tx.batch_execute(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
        .await?;
    Ok(())
}

/// A SQLite value as a value of column `c`'s PostgreSQL type.
fn to_pg(
    t: &Table,
    c: &Column,
    v: ValueRef<'_>,
) -> Result<Box<dyn ToSql + Sync + Send>, CopyError> {
    let misfit = |found: &'static str| CopyError::Value {
        table: t.name.clone(),
        column: c.name.clone(),
        found,
        expected: c.ty.to_string(),
    };
    Ok(match (&c.ty, v) {
        (ty, ValueRef::Null) if *ty == Type::INT8 => Box::new(None::<i64>),
        (ty, ValueRef::Null) if *ty == Type::INT4 => Box::new(None::<i32>),
        (ty, ValueRef::Null) if *ty == Type::FLOAT8 => Box::new(None::<f64>),
        (ty, ValueRef::Null) if *ty == Type::BYTEA => Box::new(None::<Vec<u8>>),
        (ty, ValueRef::Null) if *ty == Type::TEXT => Box::new(None::<String>),
        (ty, ValueRef::Integer(i)) if *ty == Type::INT8 => Box::new(i),
        (ty, ValueRef::Integer(i)) if *ty == Type::INT4 => {
            Box::new(i32::try_from(i).map_err(|_| misfit("too large integer"))?)
        }
        (ty, ValueRef::Real(f)) if *ty == Type::FLOAT8 => Box::new(f),
        (ty, ValueRef::Text(s)) if *ty == Type::TEXT => Box::new(
            std::str::from_utf8(s)
                .map_err(|_| misfit("non-UTF-8 text"))?
                .to_owned(),
        ),
        (ty, ValueRef::Blob(b)) if *ty == Type::BYTEA => Box::new(b.to_vec()),
        (_, ValueRef::Null) => return Err(misfit("null")),
        (_, ValueRef::Integer(_)) => return Err(misfit("integer")),
        (_, ValueRef::Real(_)) => return Err(misfit("real")),
        (_, ValueRef::Text(_)) => return Err(misfit("text")),
        (_, ValueRef::Blob(_)) => return Err(misfit("blob")),
    })
}

/// A value, as both sides hash it.
#[derive(Debug)]
enum Canonical<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

impl Canonical<'_> {
    fn feed(&self, h: &mut Sha256) {
        match self {
            Self::Null => h.update([0]),
            Self::Integer(i) => {
                h.update([1]);
                h.update(i.to_le_bytes());
            }
            Self::Real(f) => {
                h.update([2]);
                h.update(f.to_bits().to_le_bytes());
            }
            Self::Text(b) => bytes(h, 3, b),
            Self::Blob(b) => bytes(h, 4, b),
        }
    }
}

/// A tagged, length-prefixed byte string.
fn bytes(h: &mut Sha256, tag: u8, b: &[u8]) {
    h.update([tag]);
    h.update((b.len() as u64).to_le_bytes());
    h.update(b);
}

fn finish(table: &str, rows: u64, h: Sha256) -> TableSum {
    TableSum {
        table: table.to_owned(),
        rows,
        sha256: format!("{:x}", h.finalize()),
    }
}

fn sqlite_sum(sqlite: &rusqlite::Connection, t: &Table) -> Result<TableSum, CopyError> {
    let order = t
        .key
        .iter()
        .map(|k| quote(k))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = sqlite.prepare(&format!(
        "SELECT {} FROM {} ORDER BY {order}",
        column_list(t),
        quote(&t.name)
    ))?;
    let mut rows = stmt.query([])?;
    let (mut h, mut n) = (Sha256::new(), 0u64);
    while let Some(row) = rows.next()? {
        for i in 0..t.columns.len() {
            match row.get_ref(i)? {
                ValueRef::Null => Canonical::Null,
                ValueRef::Integer(v) => Canonical::Integer(v),
                ValueRef::Real(v) => Canonical::Real(v),
                ValueRef::Text(v) => Canonical::Text(v),
                ValueRef::Blob(v) => Canonical::Blob(v),
            }
            .feed(&mut h);
        }
        n += 1;
    }
    Ok(finish(&t.name, n, h))
}

async fn pg_sum(client: &deadpool_postgres::Client, t: &Table) -> Result<TableSum, CopyError> {
    // Byte order for text, as SQLite's default BINARY collation compares.
    let order = t
        .key
        .iter()
        .map(|k| {
            let text = t.columns.iter().any(|c| &c.name == k && c.ty == Type::TEXT);
            if text {
                format!("{} COLLATE \"C\"", quote(k))
            } else {
                quote(k)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {order}",
        column_list(t),
        quote(&t.name)
    );
    let rows = client
        .query_raw(&sql, std::iter::empty::<&(dyn ToSql + Sync)>())
        .await?;
    pin_mut!(rows);
    let (mut h, mut n) = (Sha256::new(), 0u64);
    while let Some(row) = rows.next().await {
        let row = row?;
        for (i, c) in t.columns.iter().enumerate() {
            if c.ty == Type::INT8 {
                row.get::<_, Option<i64>>(i)
                    .map_or(Canonical::Null, Canonical::Integer)
                    .feed(&mut h);
            } else if c.ty == Type::INT4 {
                row.get::<_, Option<i32>>(i)
                    .map_or(Canonical::Null, |v| Canonical::Integer(i64::from(v)))
                    .feed(&mut h);
            } else if c.ty == Type::FLOAT8 {
                row.get::<_, Option<f64>>(i)
                    .map_or(Canonical::Null, Canonical::Real)
                    .feed(&mut h);
            } else if c.ty == Type::TEXT {
                let v: Option<&str> = row.get(i);
                v.map_or(Canonical::Null, |s| Canonical::Text(s.as_bytes()))
                    .feed(&mut h);
            } else if c.ty == Type::BYTEA {
                let v: Option<&[u8]> = row.get(i);
                v.map_or(Canonical::Null, Canonical::Blob).feed(&mut h);
            } else {
                return Err(CopyError::Schema(format!(
                    "{}.{} has type {}, which the copy does not carry",
                    t.name, c.name, c.ty
                )));
            }
        }
        n += 1;
    }
    Ok(finish(&t.name, n, h))
}
