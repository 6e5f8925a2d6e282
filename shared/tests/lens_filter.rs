//! The display filter over lens fields, on traffic recorded from real peers: the fixtures as
//! four connections of one capture, dissected in capture order as the inspector and the server
//! do, then filtered by protocol, by field and by latency.

mod lens_support;

use lens_support::fixture_records;
use wirebook_shared::capture::CaptureRecord;
use wirebook_shared::capture_filter::FilterSpec;
use wirebook_shared::display_filter::DisplayFilter;
use wirebook_shared::lens::dissector::{Dissector, LensFacts};

/// Socket.IO on conn 1 (seqs 0–19), JSON-RPC on conn 2 (100–), MQTT 3.1.1 on conn 3 (200–),
/// graphql-transport-ws on conn 4 (300–).
fn capture() -> Vec<(CaptureRecord, Option<LensFacts>)> {
    let mut records = Vec::new();
    for (conn, jsonl) in [
        include_str!("fixtures/lens/socketio.jsonl"),
        include_str!("fixtures/lens/jsonrpc.jsonl"),
        include_str!("fixtures/lens/mqtt311.jsonl"),
        include_str!("fixtures/lens/graphql_transport_ws.jsonl"),
    ]
    .into_iter()
    .enumerate()
    {
        let conn = conn as u64 + 1;
        records.extend(fixture_records(jsonl, conn, (conn - 1) * 100));
    }
    let mut dissector = Dissector::new();
    records
        .into_iter()
        .map(|record| {
            let facts = dissector.feed(&record).map(|d| d.facts());
            (record, facts)
        })
        .collect()
}

fn pick(expr: &str) -> Vec<u64> {
    let filter = DisplayFilter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    assert!(filter.reads_lenses(), "{expr}");
    capture()
        .iter()
        .filter(|(record, facts)| filter.matches_with(record, facts.as_ref()))
        .map(|(record, _)| record.seq)
        .collect()
}

#[test]
fn protocols_are_names_alone() {
    assert_eq!(pick("socketio"), (1..=19).collect::<Vec<u64>>());
    assert_eq!(pick("graphql"), (301..=313).collect::<Vec<u64>>());
    // The handshake is no message: no lens reads it.
    assert_eq!(pick("!jsonrpc && conn == 2"), [100]);
    assert_eq!(pick("engineio.type == ping"), [18]);
}

#[test]
fn fields_compare_as_the_protocol_has_them() {
    assert_eq!(pick(r#"socketio.event == "chat message""#), [6, 7, 14, 16]);
    assert_eq!(pick(r#"socketio.namespace == "/math""#), [3, 5, 12, 13]);
    assert_eq!(pick("socketio.ack == 1"), [6, 8, 12, 13, 15, 17]);
    assert_eq!(pick("jsonrpc.method == add"), [101, 108]);
    // An id is JSON: 3 is the number, "two" the string.
    assert_eq!(pick("jsonrpc.id == 3"), [106, 107]);
    assert_eq!(pick(r#"jsonrpc.id == "\"two\"""#), [104, 105]);
    assert_eq!(pick("jsonrpc.error_code"), [105, 107]);
    assert_eq!(pick("jsonrpc.error_code == -32601"), [107]);
    assert_eq!(pick("jsonrpc.error_code < 0"), [107]);
    // `!=` holds when no value equals: the batch at 108 calls add among others.
    assert_eq!(pick("jsonrpc.method != add"), [103, 104, 106]);
    assert_eq!(pick(r#"mqtt.topic == "lens/b""#), [207, 214]);
    assert_eq!(pick(r#"mqtt.topic ~ "^lens/[ab]$""#), [205, 207, 208, 214]);
    assert_eq!(
        pick("mqtt.type == PUBLISH && mqtt.qos >= 1"),
        [205, 207, 208, 214, 216]
    );
    assert_eq!(pick("graphql.type == next"), [306, 307, 310]);
}

#[test]
fn latency_is_a_responses_time_since_its_request() {
    // The fixtures' messages are 1 ms apart.
    assert_eq!(pick("latency > 1000 && socketio"), [4, 5, 8, 11, 17]);
    assert_eq!(pick("latency == 1000 && jsonrpc"), [102, 105, 107, 109]);
    assert!(pick("latency > 100000").is_empty());
}

#[test]
fn without_its_lens_a_record_has_no_lens_field() {
    let filter = DisplayFilter::parse("socketio || latency || socketio.event").unwrap();
    assert!(capture().iter().all(|(record, _)| !filter.matches(record)));
    let spec = FilterSpec {
        expr: "mqtt.packet_id == 3 && dir == to_client".into(),
        ..FilterSpec::default()
    }
    .compile()
    .unwrap();
    assert!(spec.reads_lenses());
    let picked: Vec<u64> = capture()
        .iter()
        .filter(|(record, facts)| spec.matches_with(record, facts.as_ref()))
        .map(|(record, _)| record.seq)
        .collect();
    assert_eq!(picked, [210, 212, 216]);
    assert!(!FilterSpec {
        expr: "conn == 2 && text contains \"mqtt\"".into(),
        ..FilterSpec::default()
    }
    .compile()
    .unwrap()
    .reads_lenses());
}
