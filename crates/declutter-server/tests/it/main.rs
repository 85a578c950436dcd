//! Tests of the real `declutter` binary: commands and output formats, exit codes, cloud scans
//! against the fakes, crash-safety of `apply` under SIGKILL, the web server's key decision,
//! the operations commands, a full disaster-recovery drill, and attacks on the output by
//! planted file names.

mod account;
mod cli;
mod cloud;
mod crash;
mod dr;
mod hardening;
mod live_check;
mod ops;
mod pg_copy;
mod pg_tls;
mod review;
mod safety;
mod serve;
mod server;
mod snapshot;
mod support;
mod token_file;
mod undo;
mod web;
mod workers;
