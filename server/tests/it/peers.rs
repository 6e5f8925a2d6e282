//! The python peers in `tests/peers`, implementations independent of ours: the python that
//! runs them, a client run to its end, a server started on the port it prints.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::within;

/// `WIREBOOK_PYTHON`, else the workspace's `.venv` that `make test` creates.
pub fn python() -> PathBuf {
    match std::env::var_os("WIREBOOK_PYTHON") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

/// A script in `tests/peers`.
pub fn peer(script: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script)
}

/// The python to run `script` with, from the source tree: it writes no `__pycache__` there
/// (the peers share `peer_contract.py`).
fn peer_command(script: &str) -> Command {
    let mut command = Command::new(python());
    command
        .arg(peer(script))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true);
    command
}

fn no_python(error: impl std::fmt::Display) -> String {
    format!(
        "cannot run python at {} ({error}): run `make test` (it creates .venv with \
         websocket-client, websockets and nbformat), or set WIREBOOK_PYTHON",
        python().display()
    )
}

/// Runs the peer `script` with `args` to its end and returns what it printed; a peer that
/// fails fails the test, with its output.
pub async fn run_peer(script: &str, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> String {
    let output = within(peer_command(script).args(args).output())
        .await
        .unwrap_or_else(|e| panic!("{}", no_python(e)));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Runs the peer client `script` with `args` and parses the JSON it prints.
pub async fn peer_json(
    script: &str,
    args: impl IntoIterator<Item = impl AsRef<OsStr>>,
) -> serde_json::Value {
    let stdout = run_peer(script, args).await;
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{script}: {e}: {stdout}"))
}

/// Runs `tap_client.py URL MODE` and parses the JSON it prints.
pub async fn python_client(url: &str, mode: &str) -> serde_json::Value {
    peer_json("tap_client.py", [url, mode]).await
}

/// Starts a python peer server that prints `PORT <n>` once it listens; killed when dropped.
pub async fn python_server(script: &str, args: &[&str]) -> (Child, u16) {
    let mut child = peer_command(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}", no_python(e)));
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    within(BufReader::new(stdout).read_line(&mut line))
        .await
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{script} did not print its port: {line:?}"));
    (child, port)
}
