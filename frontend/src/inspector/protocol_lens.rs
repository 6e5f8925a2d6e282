//! The record pane's "Protocol" section as data: the selected record read through its
//! connection's lens (`wirebook_shared::lens`), the request it answers and the responses that
//! answer it, with their latencies. The connection's records are dissected in capture order,
//! the way the server and a "Protocol" column (`Dissection::summary`) read them.

use wirebook_shared::capture::CaptureRecord;
use wirebook_shared::lens::dissector::{Dissection, Dissector};
use wirebook_shared::lens::pairing::Pairing;
use wirebook_shared::lens::FieldValue;

/// Another record of the exchange, and how long after the request it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub seq: u64,
    pub latency_us: u64,
    /// The response closes the exchange.
    pub last: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolDetail {
    pub protocol: &'static str,
    pub summary: String,
    /// The decoded tree as JSON text, for the JSON tree view.
    pub tree: String,
    /// `name = value` for the filter's fields.
    pub fields: Vec<String>,
    pub findings: Vec<String>,
    /// The requests this record answers.
    pub answers: Vec<Partner>,
    /// The responses to this record's requests, in order.
    pub answered_by: Vec<Partner>,
    /// The record opens an exchange that nothing answered in what the capture kept.
    pub unanswered: bool,
}

/// The Protocol section for record `seq`, from the records of its connection (`None` when no
/// lens reads it).
pub fn protocol_detail<'a>(
    records: impl Iterator<Item = &'a CaptureRecord>,
    seq: u64,
) -> Option<ProtocolDetail> {
    let mut dissector = Dissector::new();
    let mut conn = None;
    let mut mine: Option<Dissection> = None;
    let mut answered_by = Vec::new();
    let mut unanswered = false;
    for record in records {
        if record.seq == seq {
            conn = Some(record.conn);
        }
        let Some(dissection) = dissector.feed(record) else {
            continue;
        };
        if dissection.seq == seq {
            unanswered = !dissection.decoded.keys.is_empty();
            mine = Some(dissection);
            continue;
        }
        for pairing in &dissection.pairings {
            if let Pairing::Answers {
                request_seq,
                latency_us,
                last,
                ..
            } = pairing
            {
                if *request_seq == seq {
                    answered_by.push(Partner {
                        seq: dissection.seq,
                        latency_us: *latency_us,
                        last: *last,
                    });
                }
            }
        }
    }
    let mine = mine?;
    let open = conn.map(|c| dissector.unanswered(c)).unwrap_or_default();
    unanswered = unanswered && open.iter().any(|r| r.seq == seq);
    let answers = mine
        .pairings
        .iter()
        .filter_map(|p| match p {
            Pairing::Answers {
                request_seq,
                latency_us,
                last,
                ..
            } => Some(Partner {
                seq: *request_seq,
                latency_us: *latency_us,
                last: *last,
            }),
            _ => None,
        })
        .collect();
    let decoded = mine.decoded;
    Some(ProtocolDetail {
        protocol: decoded.lens.name(),
        summary: decoded.summary.clone(),
        tree: decoded.tree.to_string(),
        fields: decoded
            .fields
            .iter()
            .map(|f| match &f.value {
                FieldValue::Text(t) => format!("{} = {t:?}", f.name),
                FieldValue::Number(n) => format!("{} = {n}", f.name),
            })
            .collect(),
        findings: decoded.findings,
        answers,
        answered_by,
        unanswered,
    })
}

/// A latency as people read it: µs below a millisecond, ms below a second, else s.
pub fn latency_text(us: u64) -> String {
    match us {
        0..=999 => format!("{us} µs"),
        1_000..=999_999 => format!("{:.1} ms", us as f64 / 1_000.0),
        _ => format!("{:.3} s", us as f64 / 1_000_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::test_records::text_frame;
    use wirebook_shared::capture::{Direction, Hop};

    fn records() -> Vec<CaptureRecord> {
        // text_frame's time is its seq in µs past a fixed instant.
        vec![
            text_frame(
                1,
                Hop::Upstream,
                Direction::ToServer,
                r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":7}"#,
            ),
            text_frame(
                2,
                Hop::Upstream,
                Direction::ToServer,
                r#"{"jsonrpc":"2.0","method":"ping","id":8}"#,
            ),
            text_frame(
                1_500,
                Hop::Upstream,
                Direction::ToClient,
                r#"{"jsonrpc":"2.0","result":3,"id":7}"#,
            ),
            text_frame(1_600, Hop::Upstream, Direction::ToClient, "not json"),
        ]
    }

    #[test]
    fn a_request_and_its_response() {
        let records = records();
        let request = protocol_detail(records.iter(), 1).unwrap();
        assert_eq!(request.protocol, "JSON-RPC");
        assert_eq!(request.summary, "call add id 7");
        assert_eq!(
            request.answered_by,
            [Partner {
                seq: 1_500,
                latency_us: 1_499,
                last: true
            }]
        );
        assert!(!request.unanswered);
        assert!(request
            .fields
            .contains(&r#"jsonrpc.method = "add""#.to_string()));
        let response = protocol_detail(records.iter(), 1_500).unwrap();
        assert_eq!(response.answers[0].seq, 1);
        assert_eq!(latency_text(response.answers[0].latency_us), "1.5 ms");
        let ping = protocol_detail(records.iter(), 2).unwrap();
        assert!(ping.unanswered && ping.answered_by.is_empty());
        let other = protocol_detail(records.iter(), 1_600).unwrap();
        assert!(!other.findings.is_empty(), "not JSON, said so");
        assert_eq!(protocol_detail(records.iter(), 99), None);
    }

    #[test]
    fn latencies_read_in_their_unit() {
        assert_eq!(latency_text(0), "0 µs");
        assert_eq!(latency_text(999), "999 µs");
        assert_eq!(latency_text(12_345), "12.3 ms");
        assert_eq!(latency_text(2_500_000), "2.500 s");
    }
}
