//! Tests of the real `declutter` binary: commands and output formats, exit codes, cloud scans
//! against the fakes, and crash-safety of `apply` under SIGKILL.

mod cli;
mod cloud;
mod crash;
mod support;
