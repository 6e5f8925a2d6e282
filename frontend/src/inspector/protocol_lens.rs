//! The record pane's "Protocol" section as data: the selected record read through its
//! connection's lens (`wirebook_shared::lens`), the request it answers and the responses that
//! answer it, with their latencies. The connection's records are dissected in capture order,
//! the way the server and a "Protocol" column (`Dissection::summary`) read them, and
//! incrementally ([`ProtocolTracker`]) while the section is open.

use wirebook_shared::capture::{CaptureRecord, ConnId};
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

/// The Protocol section of one record, kept up to date as its connection's records come:
/// fed the connection's records in capture order (only those after the last fed), so a
/// response that arrives while the section is open shows up without dissecting the
/// connection again.
#[derive(Debug, Clone, Default)]
pub struct ProtocolTracker {
    seq: u64,
    conn: Option<ConnId>,
    dissector: Dissector,
    last_fed: Option<u64>,
    detail: Option<ProtocolDetail>,
}

impl ProtocolTracker {
    pub fn new(seq: u64, conn: ConnId) -> Self {
        ProtocolTracker {
            seq,
            conn: Some(conn),
            ..ProtocolTracker::default()
        }
    }

    /// The last record fed (give the records after it next time).
    pub fn last_fed(&self) -> Option<u64> {
        self.last_fed
    }

    pub fn detail(&self) -> Option<&ProtocolDetail> {
        self.detail.as_ref()
    }

    /// Feeds records in capture order; those of other connections and those already fed are
    /// skipped. Returns whether the section changed.
    pub fn feed<'a>(&mut self, records: impl Iterator<Item = &'a CaptureRecord>) -> bool {
        let mut changed = false;
        for record in records {
            if self.last_fed.is_some_and(|last| record.seq <= last) {
                continue;
            }
            self.last_fed = Some(record.seq);
            if Some(record.conn) != self.conn {
                continue;
            }
            let Some(dissection) = self.dissector.feed(record) else {
                continue;
            };
            if dissection.seq == self.seq {
                self.detail = Some(detail_of(dissection));
                changed = true;
            } else if let Some(detail) = &mut self.detail {
                for pairing in &dissection.pairings {
                    if let Pairing::Answers {
                        request_seq,
                        latency_us,
                        last,
                        ..
                    } = pairing
                    {
                        if *request_seq == self.seq {
                            detail.answered_by.push(Partner {
                                seq: dissection.seq,
                                latency_us: *latency_us,
                                last: *last,
                            });
                            changed = true;
                        }
                    }
                }
            }
        }
        if let (Some(detail), Some(conn)) = (&mut self.detail, self.conn) {
            let open = self
                .dissector
                .unanswered(conn)
                .iter()
                .any(|r| r.seq == self.seq);
            changed |= detail.unanswered != open;
            detail.unanswered = open;
        }
        changed
    }
}

fn detail_of(mine: Dissection) -> ProtocolDetail {
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
    ProtocolDetail {
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
        answered_by: Vec::new(),
        unanswered: false,
    }
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

    /// The Protocol section for record `seq`, from the records of its connection in capture order
    /// (`None` when no lens reads it).
    fn protocol_detail<'a>(
        records: impl Iterator<Item = &'a CaptureRecord>,
        seq: u64,
        conn: ConnId,
    ) -> Option<ProtocolDetail> {
        let mut tracker = ProtocolTracker::new(seq, conn);
        tracker.feed(records);
        tracker.detail
    }

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
        let request = protocol_detail(records.iter(), 1, 1).unwrap();
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
        let response = protocol_detail(records.iter(), 1_500, 1).unwrap();
        assert_eq!(response.answers[0].seq, 1);
        assert_eq!(latency_text(response.answers[0].latency_us), "1.5 ms");
        let ping = protocol_detail(records.iter(), 2, 1).unwrap();
        assert!(ping.unanswered && ping.answered_by.is_empty());
        let other = protocol_detail(records.iter(), 1_600, 1).unwrap();
        assert!(!other.findings.is_empty(), "not JSON, said so");
        assert_eq!(protocol_detail(records.iter(), 99, 1), None);
    }

    #[test]
    fn a_response_that_comes_later_shows_up() {
        let records = records();
        let mut tracker = ProtocolTracker::new(1, 1);
        assert!(tracker.feed(records[..2].iter()));
        let detail = tracker.detail().unwrap();
        assert!(detail.unanswered && detail.answered_by.is_empty());
        assert_eq!(tracker.last_fed(), Some(2));
        // Fed again from the start: what was fed is skipped, the response is new.
        assert!(tracker.feed(records.iter()));
        let detail = tracker.detail().unwrap();
        assert!(!detail.unanswered);
        assert_eq!(detail.answered_by[0].seq, 1_500);
        assert!(!tracker.feed(records.iter()), "nothing new");
        // Another connection's records are not this section's.
        let mut other = records[2].clone();
        other.seq = 2_000;
        other.conn = 9;
        assert!(!tracker.feed([other].iter()));
    }

    #[test]
    fn latencies_read_in_their_unit() {
        assert_eq!(latency_text(0), "0 µs");
        assert_eq!(latency_text(999), "999 µs");
        assert_eq!(latency_text(12_345), "12.3 ms");
        assert_eq!(latency_text(2_500_000), "2.500 s");
    }
}
