//! The lens fixtures (`fixtures/lens/*.jsonl`, recorded once from real peers) as capture
//! records, for shared/tests/lens_fixtures.rs and shared/benches/lens.rs (which includes this
//! file by path).

use serde_json::Value;
use wirebook_shared::capture::{
    CaptureBody, CaptureRecord, FrameRecord, HandshakeRecord, HttpHeadRecord,
};
use wirebook_shared::hex::unhex;
use wirebook_shared::{Direction, Opcode};

/// A fixture as capture records on connection `conn`: a handshake numbered `first_seq`, then
/// one frame per message, numbered on from it, 1 ms apart.
pub fn fixture_records(jsonl: &str, conn: u64, first_seq: u64) -> Vec<CaptureRecord> {
    let mut lines = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let head = lines.next().unwrap();
    let record = |seq: u64, body| CaptureRecord {
        seq,
        conn,
        hop: wirebook_shared::Hop::Upstream,
        time_us: 1_000_000 + seq * 1_000,
        body,
    };
    let mut out = vec![record(
        first_seq,
        CaptureBody::Handshake(Box::new(HandshakeRecord {
            request: HttpHeadRecord {
                start_line: format!("GET {} HTTP/1.1", head["path"].as_str().unwrap()),
                headers: Vec::new(),
            },
            response: None,
            accept_ok: None,
            protocol: head["protocol"].as_str().map(String::from),
            extensions: Vec::new(),
            findings: Vec::new(),
        })),
    )];
    for (i, line) in lines.enumerate() {
        let direction = match line["dir"].as_str().unwrap() {
            "to_server" => Direction::ToServer,
            _ => Direction::ToClient,
        };
        // Binary messages are recorded as hex; the record previews them as hex again.
        let (opcode, payload) = match (line.get("text"), line.get("hex")) {
            (Some(t), _) => (Opcode::Text, t.as_str().unwrap().as_bytes().to_vec()),
            (_, Some(h)) => (Opcode::Binary, unhex(h.as_str().unwrap()).unwrap()),
            _ => panic!("a line with neither text nor hex"),
        };
        out.push(record(
            first_seq + i as u64 + 1,
            CaptureBody::Frame(Box::new(FrameRecord::message(direction, opcode, &payload))),
        ));
    }
    out
}
