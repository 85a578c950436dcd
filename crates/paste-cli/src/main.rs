//! The `fpaste` binary: parse the command line, run it, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use paste_cli::cli::Cli;
use paste_cli::commands;
use paste_cli::error::exit_code_of;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let err = anyhow::Error::from(err);
            eprintln!("fpaste: {err:#}");
            exit_code_of(&err)
        }
    }
}
