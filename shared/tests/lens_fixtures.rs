//! The lenses on traffic recorded once from real peers (see `fixtures/lens/README.md`): every
//! message is decoded without findings, summaries read as the protocol means them, and every
//! request is paired with its response.

mod lens_support;

use lens_support::fixture_records;
use wirebook_shared::capture::CaptureRecord;
use wirebook_shared::lens::dissector::{Dissection, Dissector};
use wirebook_shared::lens::pairing::Pairing;
use wirebook_shared::lens::{FieldValue, Lens, FIELDS};

const CONN: u64 = 7;

/// The fixture as capture records on connection `CONN`, numbered from 0.
fn records(jsonl: &str) -> Vec<CaptureRecord> {
    fixture_records(jsonl, CONN, 0)
}

/// Every record dissected, checked to have no findings.
fn dissect(jsonl: &str, lens: Lens) -> (Dissector, Vec<Dissection>) {
    let mut dissector = Dissector::new();
    let mut out = Vec::new();
    for record in records(jsonl) {
        if let Some(d) = dissector.feed(&record) {
            assert_eq!(d.decoded.lens, lens);
            assert!(d.decoded.findings.is_empty(), "#{}: {:?}", d.seq, d.decoded);
            for field in &d.decoded.fields {
                assert!(
                    FIELDS.iter().any(|(n, _)| *n == field.name),
                    "{}",
                    field.name
                );
            }
            assert!(
                !d.pairings
                    .iter()
                    .any(|p| matches!(p, Pairing::Unmatched { .. })),
                "#{} {}: {:?}",
                d.seq,
                d.decoded.summary,
                d.pairings
            );
            out.push(d);
        }
    }
    assert_eq!(dissector.lens_of(CONN), Some(lens));
    (dissector, out)
}

fn summaries(dissections: &[Dissection]) -> Vec<String> {
    dissections
        .iter()
        .map(|d| d.decoded.summary.clone())
        .collect()
}

/// (response seq, request seq, last) for every pairing that answers.
fn answers(dissections: &[Dissection]) -> Vec<(u64, u64, bool)> {
    dissections
        .iter()
        .flat_map(|d| {
            d.pairings.iter().filter_map(move |p| match p {
                Pairing::Answers {
                    request_seq,
                    latency_us,
                    last,
                    ..
                } => {
                    assert_eq!(*latency_us, (d.seq - request_seq) * 1_000);
                    Some((d.seq, *request_seq, *last))
                }
                _ => None,
            })
        })
        .collect()
}

#[test]
fn socketio_from_python_socketio() {
    let (dissector, d) = dissect(include_str!("fixtures/lens/socketio.jsonl"), Lens::SocketIo);
    let s = summaries(&d);
    assert!(s[0].starts_with("open sid "), "{}", s[0]);
    assert_eq!(
        s[1..],
        [
            "connect /",
            "connect /math",
            "connect /",
            "connect /math",
            r#"emit "chat message" ack 1"#,
            r#"emit "chat message""#,
            r#"ack 1 ["got it",5]"#,
            r#"emit "upload" ack 2 +1 attachment"#,
            "attachment (4 bytes)",
            r#"ack 2 [{"size":4}]"#,
            r#"emit "add" ack 1 on /math"#,
            "ack 1 [5] on /math",
            r#"emit "chat message""#,
            r#"emit "ask" ack 1"#,
            r#"emit "chat message""#,
            r#"ack 1 ["answer to life"]"#,
            "ping",
            "pong",
        ]
    );
    assert_eq!(
        answers(&d),
        [
            (4, 2, true),
            (5, 3, true),
            (8, 6, true),
            (11, 9, true),
            (13, 12, true),
            (17, 15, true),
            (19, 18, true),
        ]
    );
    assert!(dissector.unanswered(CONN).is_empty());
    assert_eq!(
        d[5].decoded.field("socketio.event"),
        Some(&FieldValue::Text("chat message".into()))
    );
    assert_eq!(d[5].summary(), r#"Socket.IO emit "chat message" ack 1"#);
}

#[test]
fn graphql_transport_ws_from_strawberry() {
    let (dissector, d) = dissect(
        include_str!("fixtures/lens/graphql_transport_ws.jsonl"),
        Lens::GraphqlTransportWs,
    );
    let s = summaries(&d);
    assert_eq!(s[4], "subscribe #1 (onCount)");
    assert_eq!(s[8], "subscribe #2 (Hello)");
    assert_eq!(s[11], "subscribe #3 ({ nope })");
    assert_eq!(
        s[12],
        "error #3: Cannot query field 'nope' on type 'Query'."
    );
    assert_eq!(
        answers(&d),
        [
            (2, 1, true),
            (4, 3, true),
            (6, 5, false),
            (7, 5, false),
            (8, 5, true),
            (10, 9, false),
            (11, 9, true),
            (13, 12, true),
        ]
    );
    assert!(dissector.unanswered(CONN).is_empty());
}

#[test]
fn subscriptions_transport_ws_from_strawberry() {
    let (dissector, d) = dissect(
        include_str!("fixtures/lens/graphql_ws.jsonl"),
        Lens::SubscriptionsTransportWs,
    );
    let s = summaries(&d);
    assert_eq!(s[2], "start #1 (onCount)");
    assert_eq!(s[9], "stop #2");
    assert_eq!(
        answers(&d),
        [
            (2, 1, true),
            (4, 3, false),
            (5, 3, false),
            (6, 3, true),
            (8, 7, false),
            (9, 7, false),
            // The server completes the operation the client stopped.
            (12, 7, true),
        ]
    );
    assert!(d[9]
        .pairings
        .iter()
        .any(|p| matches!(p, Pairing::Cancels { request_seq: 7 })));
    assert!(dissector.unanswered(CONN).is_empty());
}

#[test]
fn mqtt_311_from_paho_and_amqtt() {
    let (dissector, d) = dissect(include_str!("fixtures/lens/mqtt311.jsonl"), Lens::Mqtt);
    let s = summaries(&d);
    assert_eq!(s[0], "CONNECT lens-mqtt311 v3.1.1");
    assert_eq!(s[2], "SUBSCRIBE #1 lens/#");
    assert_eq!(s[4], "PUBLISH lens/a qos 1 id 2 (7 bytes)");
    assert_eq!(s[12], "PUBLISH lens/c qos 0 (8 bytes)");
    assert_eq!(
        d[4].decoded.field("mqtt.topic"),
        Some(&FieldValue::Text("lens/a".into()))
    );
    // CONNACK, SUBACK, PUBACK, the client's PUBACK of a delivered PUBLISH, PUBREC (of the
    // QoS 2 PUBLISH), PUBCOMP (of PUBREL), two more delivered PUBLISHes acked, UNSUBACK.
    assert_eq!(
        answers(&d),
        [
            (2, 1, true),
            (4, 3, true),
            (6, 5, true),
            (9, 8, true),
            (10, 7, true),
            (12, 11, true),
            (15, 14, true),
            (17, 16, true),
            (19, 18, true),
        ]
    );
    assert!(dissector.unanswered(CONN).is_empty());
}

#[test]
fn mqtt_5_from_paho() {
    let (dissector, d) = dissect(include_str!("fixtures/lens/mqtt5.jsonl"), Lens::Mqtt);
    let s = summaries(&d);
    assert_eq!(s[0], "CONNECT lens-mqtt5 v5");
    assert_eq!(s[6], "PUBLISH lens/a qos 1 id 2 (7 bytes)");
    assert_eq!(
        d[6].decoded.tree["properties"],
        "27 bytes, not decoded: 03000a746578742f706c61696e260005747261636500046c656e73"
    );
    assert!(dissector.unanswered(CONN).is_empty());
    // CONNACK, SUBACK, the client's PUBACK of the peer's PUBLISH, PUBACK, PUBREC, PUBCOMP,
    // UNSUBACK.
    assert_eq!(
        answers(&d),
        [
            (2, 1, true),
            (4, 3, true),
            (6, 5, true),
            (8, 7, true),
            (10, 9, true),
            (12, 11, true),
            (15, 14, true),
        ]
    );
}

#[test]
fn jsonrpc_from_jsonrpcserver_and_jsonrpcclient() {
    // No subprotocol: the first call's content names the lens.
    let (dissector, d) = dissect(include_str!("fixtures/lens/jsonrpc.jsonl"), Lens::JsonRpc);
    assert_eq!(
        summaries(&d),
        [
            "call add id 1",
            "result id 1: 3",
            "notify log",
            r#"call divide id "two""#,
            r#"error 1 division by zero id "two""#,
            "call nope id 3",
            "error -32601 Method not found id 3",
            "batch of 3: call add id 4, notify log, call divide id 5",
            "batch of 2: result id 4: 5, result id 5: 2.0",
        ]
    );
    assert_eq!(
        answers(&d),
        [
            (2, 1, true),
            (5, 4, true),
            (7, 6, true),
            (9, 8, true),
            (9, 8, true)
        ]
    );
    assert_eq!(
        d[6].decoded.field("jsonrpc.error_code"),
        Some(&FieldValue::Number(-32601))
    );
    assert!(dissector.unanswered(CONN).is_empty());
}
