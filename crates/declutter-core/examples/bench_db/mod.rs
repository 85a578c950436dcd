//! The database a benchmark example scans into: a SQLite file, or a PostgreSQL URL (migrated
//! first).

use platform_db::sql::Conn;

/// A connection to `target`: `postgres://…` (TLS as the URL says, trusting Mozilla's roots),
/// else the path of a SQLite file.
pub async fn open(target: &str) -> Result<Box<dyn Conn>, Box<dyn std::error::Error>> {
    if !target.starts_with("postgres://") {
        return Ok(Box::new(declutter_core::db::open(std::path::Path::new(
            target,
        ))?));
    }
    let tls = platform_db::pg::PgTls::default();
    let migrating = platform_db::pg::connect(target, 1, &tls)?;
    platform_db::pg::migrate(
        &migrating,
        declutter_core::db::PG_COMPONENT,
        declutter_core::db::PG_MIGRATIONS,
    )
    .await?;
    drop(migrating);
    let pool = platform_db::sql::pg::BlockingPool::connect(target, 2, &tls)?;
    Ok(Box::new(pool.get()?))
}
