//! Request handlers, grouped by resource.

pub mod admin;
pub mod body;
pub mod create;
pub mod delete;
pub mod info;
pub mod mine;
pub mod ops;
pub mod pki;
pub mod read;
pub mod read_limits;
pub mod register;
pub mod short;
pub mod update;

/// The path of a paste resource, URL prefix included.
pub fn paste_path(prefix: &str, id: &str) -> String {
    format!("{prefix}/{id}")
}
