//! Tests of the real `declutter` binary: commands and output formats, exit codes, cloud scans
//! against the fakes, crash-safety of `apply` under SIGKILL, the web server's key decision,
//! the operations commands, and a full disaster-recovery drill.

mod cli;
mod cloud;
mod crash;
mod dr;
mod live_check;
mod ops;
mod serve;
mod server;
mod snapshot;
mod support;
mod token_file;
mod web;
