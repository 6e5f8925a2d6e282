//! `/echo` against python's websocket-client, an implementation independent of ours.

use std::path::PathBuf;

use serde_json::json;

use crate::support::{within, TestServer};

/// `WIREBOOK_PYTHON`, else the workspace's `.venv` that `make test` creates.
pub fn python() -> PathBuf {
    match std::env::var_os("WIREBOOK_PYTHON") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

#[tokio::test]
async fn websocket_client_gets_everything_echoed() {
    let python = python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/echo_client.py");
    let server = TestServer::with_defaults().await;
    let output = within(
        tokio::process::Command::new(&python)
            .arg(&script)
            .arg(server.ws("/echo"))
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|error| {
        panic!(
            "cannot run python at {} ({error}): run `make test` (it creates .venv with \
             websocket-client), or set WIREBOOK_PYTHON to a python that has websocket-client",
            python.display()
        )
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "echo_client.py failed ({}):\n{}\n{}",
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    let got: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON from the client");
    assert_eq!(
        got,
        json!({
            "text": {"opcode": 1, "data": "hai"},
            "binary": {"opcode": 2, "hex": "00ff10"},
            "pong": {"opcode": 10, "data": "are you there"},
            "close": {"opcode": 8, "code": 4001, "reason": "bye"},
        })
    );
}
