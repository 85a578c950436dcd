//! SQLite as a deliberate component, written once for every service.
//!
//! [`open`] applies the pragmas every connection needs (WAL, foreign keys, a busy timeout),
//! [`migrate`] applies a service's numbered, append-only migrations embedded in its binary, and
//! [`backup`] takes a consistent online copy while the service keeps serving. The
//! [`pool::Pool`] gives async code one writer and several readers, which is the only
//! concurrency SQLite does well.
//!
//! [`sql`] is one synchronous interface over both databases, for storage code written once.
//!
//! [`pg`] is the PostgreSQL side, for installations that run several instances on one database;
//! [`pg::copy`] moves a SQLite installation into it, verified.

pub mod backup;
pub mod open;
pub mod pg;
pub mod pool;
pub mod sql;

pub use backup::{BackupError, backup, restore};
pub use open::{Migrations, OpenError, migrate, open, open_in_memory};
pub use pool::{Pool, PoolError};
pub use rusqlite;
