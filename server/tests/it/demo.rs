//! The demo endpoints `/demo/push`, `/demo/close` and `/demo/fragmented`: what arrives, what
//! the capture shows, and the 400s for parameters they cannot honour.

use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use wirebook_shared::{Direction, Hop, Opcode};

use crate::capture_records::messages;
use crate::peers::python_client;
use crate::session_client::SessionClient;
use crate::support::{connect, next_message, refused_status, TestServer};

#[tokio::test]
async fn push_sends_messages_by_itself() {
    let server = TestServer::with_defaults().await;
    let mut client = connect(server.request("/demo/push?interval_ms=10", &[])).await;
    for n in 1..=2 {
        let Message::Text(text) = next_message(&mut client).await else {
            panic!("expected a text message");
        };
        let pushed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(pushed["n"], json!(n), "{text}");
        assert!(
            pushed["time_ms"].as_u64().unwrap() > 1_600_000_000_000,
            "{text}"
        );
    }
    for bad in ["interval_ms=9", "interval_ms=60001", "interval_ms=soon"] {
        let status = refused_status(server.request(&format!("/demo/push?{bad}"), &[])).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn close_closes_with_the_code_and_reason_asked() {
    let server = TestServer::with_defaults().await;
    let mut client = connect(server.request("/demo/close?code=4321&reason=as+asked", &[])).await;
    let Message::Close(Some(frame)) = next_message(&mut client).await else {
        panic!("expected a close frame");
    };
    assert_eq!(u16::from(frame.code), 4321);
    assert_eq!(frame.reason.as_str(), "as asked");
    // The same seen by python's websocket-client, with a registered code.
    let got = python_client(
        &server.ws("/demo/close?code=1014&reason=upstream+down"),
        "closed",
    )
    .await;
    assert_eq!(
        got,
        json!({"close": {"opcode": 8, "code": 1014, "reason": "upstream down"}})
    );
    let long = "x".repeat(124);
    for bad in [
        "code=1005",
        "code=1006",
        "code=999",
        "code=5000",
        "code=two",
        &format!("reason={long}"),
    ] {
        let status = refused_status(server.request(&format!("/demo/close?{bad}"), &[])).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn fragmented_answers_in_continuation_frames_and_the_capture_shows_them() {
    let server = TestServer::with_defaults().await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    let got = python_client(&server.ws("/demo/fragmented?size=4"), "fragmented").await;
    assert_eq!(
        got,
        json!({"frames": [
            {"opcode": 1, "fin": false, "data": "abcd"},
            {"opcode": 0, "fin": false, "data": "efgh"},
            {"opcode": 0, "fin": true, "data": "ij"},
        ]})
    );
    let answered = |records: &[wirebook_shared::CaptureRecord]| {
        messages(records).any(|(r, f, m)| {
            r.hop == Hop::Endpoint
                && f.direction == Direction::ToClient
                && m.preview == "abcdefghij"
        })
    };
    session.capture_until(answered).await;
    let records = &session.records;
    let (request, _, _) = messages(records)
        .find(|(r, f, m)| {
            r.hop == Hop::Endpoint
                && f.direction == Direction::ToServer
                && m.preview == "abcdefghij"
        })
        .unwrap();
    let (_, last, answer) = messages(records)
        .find(|(r, f, m)| {
            r.hop == Hop::Endpoint
                && f.direction == Direction::ToClient
                && m.preview == "abcdefghij"
        })
        .unwrap();
    assert_eq!(answer.frames, 3);
    assert_eq!(answer.opcode, Opcode::Text);
    assert_eq!(last.opcode, Opcode::Continuation);
    assert_eq!(last.caused_by, Some(request.seq));
    for bad in ["size=0", "size=65537"] {
        let status = refused_status(server.request(&format!("/demo/fragmented?{bad}"), &[])).await;
        assert_eq!(status, 400, "{bad}");
    }
}
