//! `wirebook`: parse the command line, bind, print the URL, serve until Ctrl+C or SIGTERM;
//! or, as `wirebook run NOTEBOOK`, run a notebook headless (`wirebook_server::run`).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use wirebook_server::address::startup_line;
use wirebook_server::cli::{Args, RunArgs, Subcommand};
use wirebook_server::{serve, shutdown};

fn main() -> ExitCode {
    // On one CPU (a small container, or a process pinned with `taskset`) a work-stealing
    // scheduler has nobody to steal from, and its bookkeeping costs every task it runs: there
    // the current-thread scheduler does the same work for less (docs/benchmarks.md).
    let one_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let mut runtime = if one_cpu {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    match runtime.enable_all().build() {
        Ok(runtime) => runtime.block_on(async_main()),
        Err(error) => {
            eprintln!("wirebook: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn async_main() -> ExitCode {
    let mut args = Args::parse();
    let command = args.command.take();
    // Logs go to stderr: stdout carries only the URL line, which scripts read (or a run's
    // report, which warnings would only interrupt).
    let default_logs = match command {
        None => "wirebook_server=info,wirebook=info",
        Some(Subcommand::Run(_)) => "wirebook_server=error,wirebook=error",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_logs)),
        )
        .init();
    let bind = args.bind.clone();
    let config = match args.into_config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("wirebook: {message}");
            return ExitCode::from(2);
        }
    };
    if let Some(Subcommand::Run(run)) = command {
        return run_notebook(&config, &run).await;
    }
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

/// `wirebook run`: 0 when every cell ran and every expectation held, 1 when one did not, 2
/// when the run could not start.
async fn run_notebook(config: &wirebook_server::config::Config, run: &RunArgs) -> ExitCode {
    let options = match run.options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("wirebook run: {message}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout();
    match wirebook_server::run::run(config, &options, &mut stdout).await {
        Ok(report) if report.all_passed() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("wirebook run: {message}");
            ExitCode::from(2)
        }
    }
}
