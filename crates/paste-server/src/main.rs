//! `fpasted`: parse configuration, start logging, bind, serve until SIGINT/SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use paste_server::config::{Args, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    platform::telemetry::init(args.log_format);
    let listen = args.listen;
    let config = match Config::from_args(args) {
        Ok(c) => c,
        Err(error) => {
            tracing::error!(%error, "invalid configuration");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(error) => {
            tracing::error!(%error, %listen, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    match paste_server::serve(config, listener, platform::shutdown::signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "server failed");
            ExitCode::FAILURE
        }
    }
}
