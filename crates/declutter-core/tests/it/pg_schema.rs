//! The engine's PostgreSQL schema behaves as its SQLite schema: the same random sequences of
//! group and file changes leave the same group counts, wasted bytes, owner totals and dupes
//! view versions on both (the triggers that keep them are written once per dialect).

use declutter_core::db::{PG_COMPONENT, PG_MIGRATIONS};
use declutter_core::platform_db::pg::{self, testing::FreshDb};
use declutter_core::platform_db::rusqlite::Connection;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    AddGroup {
        group: u8,
        owner: u8,
        exact: bool,
        size: u16,
    },
    AddMember {
        group: u8,
        file: u8,
    },
    RemoveMember {
        group: u8,
        file: u8,
    },
    RemoveGroup {
        group: u8,
    },
    TouchFile {
        file: u8,
    },
    RemoveFile {
        file: u8,
    },
}

const FILES: u8 = 6;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..4u8, 0..2u8, any::<bool>(), 1..500u16).prop_map(|(group, owner, exact, size)| {
            Op::AddGroup { group, owner, exact, size }
        }),
        3 => (0..4u8, 0..FILES).prop_map(|(group, file)| Op::AddMember { group, file }),
        1 => (0..4u8, 0..FILES).prop_map(|(group, file)| Op::RemoveMember { group, file }),
        1 => (0..4u8).prop_map(|group| Op::RemoveGroup { group }),
        1 => (0..FILES).prop_map(|file| Op::TouchFile { file }),
        1 => (0..FILES).prop_map(|file| Op::RemoveFile { file }),
    ]
}

/// The statement, the same text on both databases (numbers only: nothing to escape).
fn sql(op: &Op) -> String {
    match *op {
        Op::AddGroup {
            group,
            owner,
            exact,
            size,
        } => format!(
            "INSERT INTO dup_groups (id, user_id, confidence, size, computed_at) \
             VALUES ({g}, 'u{owner}', '{c}', {size}, 0)",
            g = u32::from(group) + 1,
            c = if exact { "exact" } else { "probable" },
        ),
        Op::AddMember { group, file } => format!(
            "INSERT INTO dup_group_files (group_id, file_id) VALUES ({}, {})",
            u32::from(group) + 1,
            u32::from(file) + 1
        ),
        Op::RemoveMember { group, file } => format!(
            "DELETE FROM dup_group_files WHERE group_id = {} AND file_id = {}",
            u32::from(group) + 1,
            u32::from(file) + 1
        ),
        Op::RemoveGroup { group } => {
            format!("DELETE FROM dup_groups WHERE id = {}", u32::from(group) + 1)
        }
        Op::TouchFile { file } => format!(
            "UPDATE files SET modified_ns = modified_ns + 1 WHERE id = {}",
            u32::from(file) + 1
        ),
        Op::RemoveFile { file } => {
            format!("DELETE FROM files WHERE id = {}", u32::from(file) + 1)
        }
    }
}

const STATE: [&str; 3] = [
    "SELECT 'summary ' || user_id || ' ' || group_count || ' ' || reclaimable || ' ' || copies \
     FROM dup_summary ORDER BY user_id",
    "SELECT 'group ' || id || ' ' || file_count || ' ' || wasted FROM dup_groups ORDER BY id",
    "SELECT 'view ' || user_id || ' ' || version FROM dupes_view_version ORDER BY user_id",
];

const RESET: &str = "DELETE FROM dup_group_files; DELETE FROM dup_groups; DELETE FROM files; \
                     DELETE FROM dup_summary; DELETE FROM dupes_view_version;";

fn seed_files() -> String {
    (1..=u32::from(FILES))
        .map(|i| {
            format!(
                "INSERT INTO files (id, user_id, source, provider, item_id, name, path, size, \
                 modified_ns) VALUES ({i}, 'u{}', 's', 'local', 'i{i}', 'f{i}', 'p{i}', 1, 0);",
                i % 2
            )
        })
        .collect()
}

fn lite_state(c: &Connection) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for q in STATE {
        let mut stmt = c.prepare(q).map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| e.to_string())?;
        for row in rows {
            out.push(row.map_err(|e| e.to_string())?);
        }
    }
    Ok(out)
}

async fn pg_state(c: &pg::Client) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for q in STATE {
        for row in c.query(q, &[]).await.map_err(|e| e.to_string())? {
            out.push(row.get(0));
        }
    }
    Ok(out)
}

#[test]
fn the_postgres_schema_keeps_counts_as_sqlite_does() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Runtime::new()?;
    let Some(db) = rt.block_on(FreshDb::create())? else {
        return Ok(());
    };
    let pool = pg::connect(&db.url, 1, &pg::PgTls::default())?;
    rt.block_on(pg::migrate(&pool, PG_COMPONENT, PG_MIGRATIONS))?;
    let client = rt.block_on(pool.get())?;
    let lite = declutter_core::db::open_in_memory()?;
    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in prop::collection::vec(op(), 1..40))| {
        let reset = format!("{RESET}{}", seed_files());
        lite.execute_batch(&reset).map_err(|e| TestCaseError::fail(e.to_string()))?;
        rt.block_on(client.batch_execute(&reset))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for op in &ops {
            let statement = sql(op);
            let on_lite = lite.execute_batch(&statement).is_ok();
            let on_pg = rt.block_on(client.batch_execute(&statement)).is_ok();
            prop_assert_eq!(on_lite, on_pg, "{} accepted by one side only", statement);
            prop_assert_eq!(
                lite_state(&lite).map_err(TestCaseError::fail)?,
                rt.block_on(pg_state(&client)).map_err(TestCaseError::fail)?,
                "after {}",
                statement
            );
        }
    });
    Ok(())
}

/// Names every order and fold below is compared on: cases, accents, digits and punctuation
/// that a linguistic collation orders otherwise than bytes.
const NAMES: [&str; 10] = [
    "B.txt", "a.txt", "É.JPG", "é.jpg", "_x", "Z", "f10.Tar", "f9.tar", "Ä", "ab.tXt",
];

/// Text sorts and folds as on SQLite even on a database whose default collation is
/// linguistic (the schema's text is byte-ordered): paths page in one order on both databases,
/// and extensions and the names probable groups compare are folded the same way.
#[test]
fn the_postgres_schema_orders_and_folds_text_as_sqlite_does()
-> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Runtime::new()?;
    let Some(db) = rt.block_on(FreshDb::create_in_icu_locale("en-US"))? else {
        return Ok(());
    };
    let pool = pg::connect(&db.url, 1, &pg::PgTls::default())?;
    rt.block_on(pg::migrate(&pool, PG_COMPONENT, PG_MIGRATIONS))?;
    let client = rt.block_on(pool.get())?;
    let lite = declutter_core::db::open_in_memory()?;
    let rows: String = NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                "INSERT INTO files (user_id, source, provider, item_id, parent_id, name, path, \
                 size, modified_ns) VALUES ('u', 's', 'local', 'i/{name}', 'i', '{name}', \
                 '/d/{name}', {i}, 0);"
            )
        })
        .collect();
    lite.execute_batch(&rows)?;
    rt.block_on(client.batch_execute(&rows))?;
    for query in [
        "SELECT path FROM files ORDER BY path",
        "SELECT item_id FROM files WHERE user_id = 'u' AND source = 's' ORDER BY item_id",
        "SELECT name || ' ' || ext FROM files ORDER BY size",
        "SELECT lower(name) FROM files GROUP BY lower(name) ORDER BY lower(name)",
        "SELECT path FROM files WHERE path > '/d/Z' ORDER BY path",
    ] {
        let on_lite: Vec<String> = lite
            .prepare(query)?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let on_pg: Vec<String> = rt
            .block_on(client.query(query, &[]))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(on_lite, on_pg, "{query}");
    }
    Ok(())
}
