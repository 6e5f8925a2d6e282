//! Fuzzing, as a property test, of the HAR importer (`har::websockets`, `har::to_notebook`):
//! the Chrome fixture and synthetic sockets, mutated as JSON and as bytes, with the runner and
//! mutations of wirebook-shared's parser fuzzing (shared/tests/fuzz_parsers.rs, whose module
//! doc says how to make a long run: `-p wirebook-notebook --test fuzz_har` here). Every listed
//! message is imported or reported as skipped, and the notebook writes, reads back equal and
//! gives the received messages back.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};
use wirebook_notebook::har;
use wirebook_shared::cell_format;
use wirebook_shared::ipynb::IpynbOutput;
use wirebook_shared::session::WireData;

#[path = "../../shared/tests/fuzz_support/mod.rs"]
mod fuzz_support;

use fuzz_support::*;

const CHROME_HAR: &str = include_str!("../../shared/fixtures/har/chrome_websocket.har");

fn har_samples() -> Vec<Value> {
    let message = |kind: &str, time: f64, opcode: u64, data: &str| json!({"type": kind, "time": time, "opcode": opcode, "data": data});
    let entry = |url: &str, messages: Vec<Value>| {
        json!({"_resourceType": "websocket", "request": {"method": "GET", "url": url, "headers": []},
            "response": {"status": 101}, "_webSocketMessages": messages})
    };
    vec![
        serde_json::from_str(CHROME_HAR).expect("the HAR fixture is JSON"),
        json!({"log": {"version": "1.2", "entries": [
            {"request": {"url": "http://x/"}, "_resourceType": "xhr"},
            entry("ws://127.0.0.1:8765/", vec![
                message("receive", 1.5, 1, "welcome"),
                message("send", 1_732_000_000.123_456, 1, "{\"op\": \"subscribe\"}"),
                message("receive", 2.0, 1, "line\r\nbreak\u{2028}"),
                message("receive", 2.5, 2, "AAEC/v8="),
                message("send", 3.0, 2, "3q2+7w=="),
                message("send", 3.5, 1, ""),
                message("receive", 4.0, 9, ""),
                message("sideways", 4.5, 1, "x"),
            ]),
            entry("wss://u:p@h/feed?token=abc", vec![message("send", 0.0, 1, "[1, 2.25, 1e300]")]),
        ]}}),
    ]
}

fn check_har(text: &str, calls: &Calls) -> Result<(), TestCaseError> {
    let sockets = har::websockets(text);
    calls.add(1);
    let Ok(sockets) = sockets else {
        return Ok(());
    };
    calls.accept();
    prop_assert!(!sockets.is_empty());
    // Every listed message is imported or reported as skipped.
    let document: Value = serde_json::from_str(text).map_err(|e| fail(e.to_string()))?;
    let listed: usize = document["log"]["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| {
            e.get("_resourceType").and_then(Value::as_str) == Some("websocket")
                || e.get("_webSocketMessages").is_some()
        })
        .map(|e| e["_webSocketMessages"].as_array().map_or(0, Vec::len))
        .sum();
    let accounted: usize = sockets
        .iter()
        .map(|s| s.messages.len() + s.skipped.len())
        .sum();
    prop_assert_eq!(accounted, listed);
    for socket in &sockets {
        let notebook = har::to_notebook(socket);
        calls.add(1);
        let sent = socket.messages.iter().filter(|m| m.sent).count();
        prop_assert_eq!(notebook.cells.len(), 1 + sent);
        let again = check_notebook_round_trip(&notebook, calls)?;
        // The received messages come back out of the written notebook's outputs, in order.
        let expected: Vec<WireData> = socket
            .messages
            .iter()
            .skip_while(|m| !m.sent)
            .filter(|m| !m.sent)
            .map(|m| match &m.message {
                cell_format::CellMessage::Binary(bytes) => WireData::binary(bytes),
                other => WireData::Text {
                    text: cell_format::detect(other).1,
                },
            })
            .collect();
        let got: Vec<Option<WireData>> = again
            .cells
            .iter()
            .filter_map(|cell| match &cell.kind {
                wirebook_shared::ipynb::IpynbCellKind::Code { outputs, .. } => Some(outputs),
                _ => None,
            })
            .flatten()
            .map(IpynbOutput::wire_data)
            .collect();
        prop_assert_eq!(got, expected.into_iter().map(Some).collect::<Vec<_>>());
    }
    Ok(())
}

#[test]
fn fuzz_har_import() {
    fuzz("har import", json_text(har_samples()), |text, calls| {
        check_har(&text, calls)
    });
}

/// The valid samples import, so the mutations start from real inputs.
#[test]
fn the_samples_are_valid() {
    for sample in har_samples() {
        let sockets = har::websockets(&sample.to_string()).unwrap();
        assert!(sockets.iter().all(|s| !s.messages.is_empty()));
    }
}
