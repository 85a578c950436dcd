//! What the CLI and the web app call: scan, group, plan, apply, trash, report.

pub mod any;
pub mod apply;
pub mod clutter;
pub mod edit;
mod emptied;
pub mod error;
mod first_scan;
pub mod jobs;
pub mod lease;
mod local_scan;
pub mod pick;
pub mod plan;
pub mod recheck;
pub mod report;
pub mod rules;
pub mod scan;
pub mod trash;
pub mod verify;

pub use any::{AnyProvider, Providers};
pub use error::EngineError;
