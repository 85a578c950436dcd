//! Fuzz targets for every parser of untrusted input, each a function of raw bytes that calls the
//! real parser (never a copy) and panics when a property of its answer breaks.
//!
//! AFL++ drives them through `src/bin/*` (`cargo afl build -p fuzz --features afl`, on the
//! stable toolchain; `.ci/fuzz` runs each for a bounded time); `tests/corpus.rs` replays the
//! committed corpus (`corpus/<target>/`) and random inputs through the same functions, so
//! `cargo test` keeps every finding fixed.

mod cli;
mod server;

pub use cli::{cli_envelope, cli_link};
pub use server::{header_values, mime_sniff, pow_token};

/// A fuzz target: raw bytes in, a panic when a property breaks.
pub type Target = fn(&[u8]);

/// Every target by name, as the corpus folders are named.
pub const TARGETS: &[(&str, Target)] = &[
    ("pow_token", pow_token),
    ("header_values", header_values),
    ("cli_envelope", cli_envelope),
    ("cli_link", cli_link),
    ("mime_sniff", mime_sniff),
];
