//! Declutter engine: find duplicate and clutter files in local folders, OneDrive and Google
//! Drive, plan what to remove with combinable keep rules, and remove it safely through a
//! trash bin that can be restored, with every step journaled in SQLite so an interrupted apply
//! resumes without removing more than the plan says.
//!
//! The crate has no HTTP server: the `declutter` CLI and the web app both drive it. Providers
//! implement [`provider::StorageProvider`]; state lives in the schema of [`db`].

pub mod cloud;
pub mod db;
pub mod engine;
pub mod gdrive;
pub mod hash;
pub mod ids;
pub mod local;
pub mod onedrive;
pub mod progress;
pub mod provider;
pub mod quickxor;
pub mod store;
pub mod units;

pub use platform_db;
