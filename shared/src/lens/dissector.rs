//! Capture records through the lenses, per connection: the connection's lens (from its
//! handshake's subprotocol, else from the first message whose content names one), each
//! message decoded with it, and its requests paired with their responses.
//!
//! Fed in capture order, as the inspector and the server see records. Bounded: at most
//! [`MAX_CONNECTIONS`] connections are remembered (the lowest ids go first).

use std::collections::BTreeMap;

use serde::Serialize;

use super::pairing::{OpenRequest, Pairer, Pairing};
use super::{decode, detect, jupyter, Decoded, Lens, LensState, Payload};
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
            CaptureBody::Closed { .. } | CaptureBody::Heartbeat { .. } => return None,
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
