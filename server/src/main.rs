//! `wirebook`: parse the command line, bind, print the URL, serve until Ctrl+C or SIGTERM.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use wirebook_server::address::startup_line;
use wirebook_server::cli::Args;
use wirebook_server::{serve, shutdown};

#[tokio::main]
async fn main() -> ExitCode {
    // Logs go to stderr: stdout carries only the URL line, which scripts read.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("wirebook_server=info,wirebook=info")),
        )
        .init();
    let args = Args::parse();
    let bind = args.bind.clone();
    let config = match args.into_config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("wirebook: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("wirebook: cannot listen on {bind}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("wirebook: cannot read the bound address: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(
        stdout,
        "{}",
        startup_line(addr, &config.base_url, &config.token)
    )
    .and_then(|()| stdout.flush())
    .is_err()
    {
        eprintln!("wirebook: cannot write the URL to stdout");
    }
    drop(stdout);
    match serve(listener, config, shutdown::signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wirebook: server failed: {error}");
            ExitCode::FAILURE
        }
    }
}
