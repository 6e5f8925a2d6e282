//! Capture records through the lenses, per connection: the connection's lens (from its
//! handshake's subprotocol, else from the first message whose content names one), each
//! message decoded with it, and its requests paired with their responses.
//!
//! Fed in capture order, as the inspector and the server see records. Bounded: at most
//! [`MAX_CONNECTIONS`] connections are remembered (the lowest ids go first).

use std::collections::BTreeMap;

use serde::Serialize;

use super::pairing::{OpenRequest, Pairer, Pairing};
use super::{decode, detect, jupyter, Decoded, Field, Lens, LensState, Payload};
use crate::capture::{CaptureBody, CaptureRecord, ConnId, Opcode};
use crate::hex::unhex;
use crate::jupyter::websocket::V1_SUBPROTOCOL;

/// The most connections whose lens state is kept.
pub const MAX_CONNECTIONS: usize = 1024;

/// One record seen through its connection's lens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dissection {
    pub seq: u64,
    pub decoded: Decoded,
    pub pairings: Vec<Pairing>,
}

impl Dissection {
    /// What a "Protocol" column shows for the record (see [`Decoded::column_text`]).
    pub fn summary(&self) -> String {
        self.decoded.column_text()
    }

    /// The latency of the first request this record answers, in µs.
    pub fn latency_us(&self) -> Option<u64> {
        self.pairings.iter().find_map(|p| match p {
            Pairing::Answers { latency_us, .. } => Some(*latency_us),
            _ => None,
        })
    }
}

impl Dissection {
    /// What the display filter reads of it, without the tree: kept per record by whoever
    /// filters rows by lens fields (a tree costs far more than its fields).
    pub fn facts(&self) -> LensFacts {
        LensFacts {
            lens: self.decoded.lens,
            fields: self.decoded.fields.clone(),
            latency_us: self.latency_us(),
        }
    }
}

/// A record's lens, its named fields and its latency: what `socketio.event == "chat"`,
/// `mqtt`, or `latency > 100000` read (see `crate::display_filter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LensFacts {
    pub lens: Lens,
    pub fields: Vec<Field>,
    pub latency_us: Option<u64>,
}

#[derive(Debug, Clone, Default)]
struct Connection {
    target: String,
    lens: Option<Lens>,
    state: LensState,
    pairer: Pairer,
}

/// The lenses of every connection fed so far.
#[derive(Debug, Clone, Default)]
pub struct Dissector {
    connections: BTreeMap<ConnId, Connection>,
}

impl Dissector {
    pub fn new() -> Self {
        Dissector::default()
    }

    /// The lens a connection speaks, once known.
    pub fn lens_of(&self, conn: ConnId) -> Option<Lens> {
        self.connections.get(&conn).and_then(|c| c.lens)
    }

    /// Requests on `conn` that got no response (see [`Pairer::unanswered`]).
    pub fn unanswered(&self, conn: ConnId) -> Vec<OpenRequest> {
        self.connections
            .get(&conn)
            .map(|c| c.pairer.unanswered())
            .unwrap_or_default()
    }

    /// Feeds one record; returns its dissection when it is a message a lens read.
    pub fn feed(&mut self, record: &CaptureRecord) -> Option<Dissection> {
        let connection = self.connection(record.conn);
        let (decoded, direction) = match &record.body {
            CaptureBody::Open { target, .. } => {
                connection.target = target.clone();
                return None;
            }
            CaptureBody::Handshake(handshake) => {
                if connection.target.is_empty() {
                    // `GET /path HTTP/1.1`: the target is the middle word.
                    let line = &handshake.request.start_line;
                    connection.target = line.split(' ').nth(1).unwrap_or("").to_string();
                }
                if let Some(protocol) = &handshake.protocol {
                    if let Some(lens) = detect::by_subprotocol(protocol) {
                        connection.lens = Some(lens);
                    }
                    connection.state.jupyter_v1 = protocol == V1_SUBPROTOCOL;
                }
                return None;
            }
            CaptureBody::Frame(frame) => {
                let message = frame.message.as_ref()?;
                let bytes;
                let payload = match message.opcode {
                    Opcode::Text => Payload::Text(&message.preview),
                    Opcode::Binary => {
                        bytes = unhex(&message.preview).ok()?;
                        Payload::Binary(&bytes)
                    }
                    _ => return None,
                };
                let lens = match connection.lens {
                    Some(lens) => lens,
                    None => {
                        let lens = detect::by_content(&connection.target, payload)?;
                        connection.lens = Some(lens);
                        lens
                    }
                };
                let mut decoded = decode(lens, &mut connection.state, frame.direction, payload);
                if message.truncated {
                    decoded.findings.push(format!(
                        "the capture kept {} of the message's {} bytes, so this reads only \
                         the start",
                        match payload {
                            Payload::Text(t) => t.len(),
                            Payload::Binary(b) => b.len(),
                        },
                        message.len
                    ));
                }
                (decoded, frame.direction)
            }
            CaptureBody::KernelMessage(message) => {
                connection.lens = Some(Lens::Jupyter);
                (jupyter::decode_record(message), message.direction)
            }
            CaptureBody::Closed { .. }
            | CaptureBody::Heartbeat { .. }
            | CaptureBody::Intercept(_) => return None,
        };
        let pairings = connection
            .pairer
            .feed(record.seq, record.time_us, direction, &decoded.keys);
        Some(Dissection {
            seq: record.seq,
            decoded,
            pairings,
        })
    }

    fn connection(&mut self, conn: ConnId) -> &mut Connection {
        if !self.connections.contains_key(&conn) && self.connections.len() >= MAX_CONNECTIONS {
            self.connections.pop_first();
        }
        self.connections.entry(conn).or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{FrameRecord, Hop};
    use crate::direction::Direction;
    use crate::jupyter::websocket::decode_json_text;

    fn record(seq: u64, conn: ConnId, body: CaptureBody) -> CaptureRecord {
        CaptureRecord {
            seq,
            conn,
            hop: Hop::Kernel,
            time_us: seq * 10,
            body,
        }
    }

    fn text_frame(direction: Direction, text: &str, truncated: bool) -> CaptureBody {
        // `truncated`: the capture kept `text` of a message one byte longer.
        let mut frame = FrameRecord::text_message(direction, text);
        frame.truncated = truncated;
        if let Some(message) = frame.message.as_mut() {
            message.truncated = truncated;
            message.len += u64::from(truncated);
            message.wire_len += u64::from(truncated);
        }
        CaptureBody::Frame(Box::new(frame))
    }

    fn kernel(direction: Direction, json: &str) -> CaptureBody {
        let mut message = decode_json_text(json);
        let fields = message.fields();
        CaptureBody::KernelMessage(Box::new(message.record(&fields, direction, None, 4096)))
    }

    #[test]
    fn content_names_the_lens_when_the_handshake_does_not() {
        let mut d = Dissector::new();
        let open = CaptureBody::Open {
            client: "c".into(),
            server: "s".into(),
            target: "/rpc".into(),
        };
        assert!(d.feed(&record(1, 3, open)).is_none());
        // Plain text says nothing; the lens stays open until a message names it.
        assert!(d
            .feed(&record(
                2,
                3,
                text_frame(Direction::ToServer, "hello", false)
            ))
            .is_none());
        let call = r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":7}"#;
        let request = d
            .feed(&record(3, 3, text_frame(Direction::ToServer, call, false)))
            .unwrap();
        assert_eq!(request.summary(), "JSON-RPC call add id 7");
        assert_eq!(d.lens_of(3), Some(Lens::JsonRpc));
        assert_eq!(d.unanswered(3).len(), 1);
        let cut = r#"{"jsonrpc":"2.0","result":3,"id":7"#;
        let response = d
            .feed(&record(9, 3, text_frame(Direction::ToClient, cut, true)))
            .unwrap();
        assert!(response.decoded.findings.iter().any(|f| f.contains("kept")));
        // A cut message that still names its id is not paired: its JSON did not parse.
        assert_eq!(response.latency_us(), None);
        let whole = r#"{"jsonrpc":"2.0","result":3,"id":7}"#;
        let response = d
            .feed(&record(
                10,
                3,
                text_frame(Direction::ToClient, whole, false),
            ))
            .unwrap();
        assert_eq!(response.latency_us(), Some(70));
        assert!(d.unanswered(3).is_empty());
    }

    #[test]
    fn kernel_messages_pair_by_parent_msg_id() {
        let mut d = Dissector::new();
        let request = r#"{"header":{"msg_id":"r1","msg_type":"execute_request"},"parent_header":{},"metadata":{},"content":{"code":"x = 1"},"channel":"shell"}"#;
        let busy = r#"{"header":{"msg_id":"b1","msg_type":"status"},"parent_header":{"msg_id":"r1"},"metadata":{},"content":{"execution_state":"busy"},"channel":"iopub"}"#;
        let reply = r#"{"header":{"msg_id":"p1","msg_type":"execute_reply"},"parent_header":{"msg_id":"r1"},"metadata":{},"content":{"status":"ok"},"channel":"shell"}"#;
        let first = d
            .feed(&record(1, 4, kernel(Direction::ToServer, request)))
            .unwrap();
        assert_eq!(first.summary(), "Jupyter shell execute_request x = 1");
        let busy = d
            .feed(&record(2, 4, kernel(Direction::ToClient, busy)))
            .unwrap();
        assert!(matches!(
            busy.pairings[..],
            [Pairing::Answers {
                request_seq: 1,
                last: false,
                latency_us: 10,
                ..
            }]
        ));
        let reply = d
            .feed(&record(5, 4, kernel(Direction::ToClient, reply)))
            .unwrap();
        assert_eq!(reply.latency_us(), Some(40));
        assert!(d.unanswered(4).is_empty());
    }

    #[test]
    fn connections_are_bounded() {
        let mut d = Dissector::new();
        for conn in 0..(MAX_CONNECTIONS as u64 + 5) {
            let open = CaptureBody::Open {
                client: String::new(),
                server: String::new(),
                target: "/socket.io/".into(),
            };
            d.feed(&record(conn, conn, open));
        }
        assert_eq!(d.connections.len(), MAX_CONNECTIONS);
        assert!(!d.connections.contains_key(&0));
    }
}
