//! Capture records: what the server saw cross a socket, as the inspector shows it.
//!
//! A record belongs to one connection (`conn`) on one hop. The server's byte tap records, per
//! connection: `Open`, the opening `Handshake` as sent, every `Frame` (the frame that completes
//! a message carries its [`MessageSummary`]), and `Closed`.

use serde::{Deserialize, Serialize};

pub use crate::direction::Direction;
use crate::jupyter::KernelMessageRecord;
pub use crate::wire::Opcode;

/// Identifies one captured connection for the lifetime of the server process.
pub type ConnId = u64;

/// Which leg of the path a connection is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hop {
    /// The browser's `/session` socket: browser (client) ⇄ wirebook (server).
    Browser,
    /// wirebook (client) ⇄ the kernel (server).
    Kernel,
    /// Any client ⇄ one of wirebook's own WebSocket endpoints (`/echo`): the server side of
    /// what the built-in kernel sees, kept apart from the session's own kernel hop.
    Endpoint,
    /// Any client ⇄ wirebook's transparent proxy (`/tap/NAME`): the accepted side of a route.
    Tap,
    /// wirebook (client) ⇄ a route's upstream URL: the relayed side of `/tap/NAME`.
    Upstream,
}

impl Hop {
    pub fn label(self) -> &'static str {
        match self {
            Hop::Browser => "browser",
            Hop::Kernel => "kernel",
            Hop::Endpoint => "endpoint",
            Hop::Tap => "tap",
            Hop::Upstream => "upstream",
        }
    }
}

/// One thing the capture saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRecord {
    /// Monotonic over the server process; the inspector orders and de-duplicates by it.
    pub seq: u64,
    pub conn: ConnId,
    pub hop: Hop,
    /// Microseconds since the UNIX epoch.
    pub time_us: u64,
    pub body: CaptureBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CaptureBody {
    /// A connection was established. `client` and `server` name the two ends (an address, a
    /// URL, or `wirebook`).
    Open {
        client: String,
        server: String,
        /// The request path or URL, e.g. `/session` or `ws://127.0.0.1:8977/echo`.
        target: String,
    },
    /// The connection ended. `code` is the close code seen, if any; `reason` says how it ended
    /// in plain words.
    Closed { code: Option<u16>, reason: String },
    /// The HTTP/1.1 upgrade that opened the connection, as the byte tap saw it.
    Handshake(Box<HandshakeRecord>),
    /// One WebSocket frame, as the byte tap saw it.
    Frame(Box<FrameRecord>),
    /// One Jupyter message on a kernel channel, with its wire parts.
    KernelMessage(Box<KernelMessageRecord>),
    /// One heartbeat round trip to a Jupyter kernel: `ok` with its time, or the beat that went
    /// unanswered. The inspector shows these as a compact liveness line.
    Heartbeat { ok: bool, rtt_us: Option<u64> },
    /// What a breakpoint on the tap did with a message: held it, then sent it on, edited,
    /// dropped or released it (recorded on the hop the message arrived on).
    Intercept(Box<crate::intercept_api::InterceptRecord>),
}

impl CaptureBody {
    /// The record's kind as its serde tag names it: `open`, `closed`, `handshake`, `frame`,
    /// `kernel_message`, `heartbeat` or `intercept` (the inspector's `data-event`, the
    /// filter's `event`).
    pub fn event_name(&self) -> &'static str {
        match self {
            CaptureBody::Open { .. } => "open",
            CaptureBody::Closed { .. } => "closed",
            CaptureBody::Handshake(_) => "handshake",
            CaptureBody::Frame(_) => "frame",
            CaptureBody::KernelMessage(_) => "kernel_message",
            CaptureBody::Heartbeat { .. } => "heartbeat",
            CaptureBody::Intercept(_) => "intercept",
        }
    }
}

/// An HTTP/1.1 head (request or response) with header order and case as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeadRecord {
    /// `GET /echo HTTP/1.1` or `HTTP/1.1 101 Switching Protocols`.
    pub start_line: String,
    pub headers: Vec<(String, String)>,
}

/// The opening handshake of a WebSocket connection (what `wsdump -vv` prints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeRecord {
    pub request: HttpHeadRecord,
    /// `None` while no response has been seen (or the connection failed before one).
    pub response: Option<HttpHeadRecord>,
    /// `Sec-WebSocket-Accept` matches the key: `Some(true)`; `None` when there was nothing to
    /// check.
    pub accept_ok: Option<bool>,
    /// The negotiated subprotocol, if any.
    pub protocol: Option<String>,
    /// The negotiated extensions as sent, e.g. `permessage-deflate; client_max_window_bits`.
    pub extensions: Vec<String>,
    /// Violations and oddities, in plain words.
    pub findings: Vec<String>,
}

/// One frame, decoded down to the bits (RFC 6455 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRecord {
    pub direction: Direction,
    /// Offset of the frame's first byte in its direction's byte stream after the handshake.
    pub offset: u64,
    pub fin: bool,
    pub rsv1: bool,
    pub rsv2: bool,
    pub rsv3: bool,
    pub opcode: Opcode,
    /// The masking key; present exactly when the MASK bit is set.
    pub mask_key: Option<[u8; 4]>,
    /// The payload length the header announced (the true length).
    pub len: u64,
    /// `7-bit`, `16-bit` or `64-bit`: which length encoding the header used.
    pub length_form: String,
    /// The header bytes as on the wire (2–14 bytes), hex.
    pub header_hex: String,
    /// The unmasked payload, hex, up to the capture's preview length.
    pub payload_hex: String,
    /// `payload_hex` holds fewer bytes than `len`.
    pub truncated: bool,
    /// Violations found on this frame, in plain words.
    pub findings: Vec<String>,
    /// Set on the frame that completes a message (the FIN frame, or any control frame).
    pub message: Option<MessageSummary>,
    /// The record on the other hop that this frame's message relays, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<u64>,
    /// Sent by wirebook's tap in place of a held message (`forwarded`, `edited`, `released`)
    /// or `injected` by the user: no peer sent these bytes as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<crate::intercept_api::InterceptAction>,
}

impl FrameRecord {
    /// A text message in one unmasked frame (as a server sends it), kept whole: the record a
    /// capture makes of it.
    pub fn text_message(direction: Direction, text: &str) -> FrameRecord {
        FrameRecord::message(direction, Opcode::Text, text.as_bytes())
    }

    /// A text or binary message in one unmasked frame, kept whole; a text payload that is not
    /// UTF-8 is previewed with replacement characters.
    pub fn message(direction: Direction, opcode: Opcode, payload: &[u8]) -> FrameRecord {
        let len = payload.len() as u64;
        let form = crate::wire::LengthForm::minimal_for(len);
        let header = crate::wire::FrameHeader {
            payload_len: len,
            length_form: form,
            ..crate::wire::FrameHeader::new(opcode)
        };
        let mut header_bytes = Vec::new();
        header.write(&mut header_bytes);
        let preview = if opcode == Opcode::Text {
            String::from_utf8_lossy(payload).into_owned()
        } else {
            crate::hex::hex(payload)
        };
        FrameRecord {
            direction,
            offset: 0,
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask_key: None,
            len,
            length_form: form.name().into(),
            header_hex: crate::hex::hex(&header_bytes),
            payload_hex: crate::hex::hex(payload),
            truncated: false,
            findings: Vec::new(),
            message: Some(MessageSummary {
                opcode,
                frames: 1,
                compressed: false,
                wire_len: len,
                len,
                preview,
                truncated: false,
                close: None,
                findings: Vec::new(),
            }),
            caused_by: None,
            mark: None,
        }
    }
}

/// A whole message, summarised on the frame that completes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub opcode: Opcode,
    /// Number of frames it took.
    pub frames: u32,
    /// permessage-deflate: the payload was compressed and `preview` shows it inflated.
    pub compressed: bool,
    /// Payload bytes on the wire, over all frames.
    pub wire_len: u64,
    /// Payload bytes after inflation.
    pub len: u64,
    /// Text messages as text; binary and control payloads as hex.
    pub preview: String,
    pub truncated: bool,
    /// For close messages: the decoded code and reason.
    pub close: Option<CloseSummary>,
    /// Message-level findings (UTF-8 across fragments, inflation).
    pub findings: Vec<String>,
}

/// A close payload decoded and explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseSummary {
    /// `None` for an empty close payload (which means 1005, "no status").
    pub code: Option<u16>,
    pub reason: String,
    /// The registered name, e.g. `Normal Closure`.
    pub name: String,
    /// What it means, in plain words.
    pub meaning: String,
}

/// The preview of a text payload: at most `limit` bytes, cut at a character boundary.
/// Returns the preview and whether it was cut.
pub fn text_preview(text: &str, limit: usize) -> (String, bool) {
    if text.len() <= limit {
        return (text.to_string(), false);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_string(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_are_pinned() {
        for (hop, json) in [
            (Hop::Browser, r#""browser""#),
            (Hop::Kernel, r#""kernel""#),
            (Hop::Endpoint, r#""endpoint""#),
            (Hop::Tap, r#""tap""#),
            (Hop::Upstream, r#""upstream""#),
        ] {
            assert_eq!(serde_json::to_string(&hop).unwrap(), json);
            assert_eq!(serde_json::from_str::<Hop>(json).unwrap(), hop);
            assert_eq!(format!(r#""{}""#, hop.label()), json);
        }
    }

    #[test]
    fn a_text_message_record_has_the_header_an_encoder_writes() {
        for len in [5, 200, 70_000] {
            let text = "x".repeat(len);
            let record = FrameRecord::text_message(Direction::ToClient, &text);
            let wire = crate::wire::encode_frame(
                &crate::wire::FrameSpec::new(Opcode::Text),
                text.as_bytes(),
            );
            assert_eq!(
                record.header_hex,
                crate::hex::hex(&wire[..wire.len() - len])
            );
            assert_eq!(record.payload_hex.len(), 2 * len);
            assert_eq!(record.message.unwrap().preview, text);
        }
    }

    #[test]
    fn previews_cut_at_character_boundaries() {
        assert_eq!(text_preview("hai", 10), ("hai".to_string(), false));
        // 'é' is two bytes: a cut inside it moves back to before it.
        assert_eq!(text_preview("aé", 2), ("a".to_string(), true));
    }
}
