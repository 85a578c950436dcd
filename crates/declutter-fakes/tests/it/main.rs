//! The fakes speak the documented protocol: checked with a plain HTTP client.

mod drive;
mod graph;
mod tokens;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;
