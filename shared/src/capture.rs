//! Capture records: what the server saw cross a socket, as the inspector shows it.
//!
//! A record belongs to one connection (`conn`) on one hop. The server's byte tap records, per
//! connection: `Open`, the opening `Handshake` as sent, every `Frame` (the frame that completes
//! a message carries its [`MessageSummary`]), and `Closed`.

use serde::{Deserialize, Serialize};

use crate::jupyter::KernelMessageRecord;

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

/// Direction of a message relative to the connection's roles. On both hops the client is the
/// end nearer the browser, so `ToServer` always points toward the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ToServer,
    ToClient,
}

impl Direction {
    /// The arrow the inspector shows: left is the browser, right is the kernel.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ToServer => "→",
            Direction::ToClient => "←",
        }
    }
}

/// WebSocket opcodes (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
    /// 0x3–0x7 and 0xB–0xF: reserved, a protocol error unless an extension defines them.
    Reserved(u8),
}

impl Opcode {
    pub fn from_u8(value: u8) -> Self {
        match value & 0x0f {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            other => Opcode::Reserved(other),
        }
    }

    pub fn as_u8(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
            Opcode::Reserved(v) => v & 0x0f,
        }
    }

    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }

    pub fn name(self) -> &'static str {
        match self {
            Opcode::Continuation => "continuation",
            Opcode::Text => "text",
            Opcode::Binary => "binary",
            Opcode::Close => "close",
            Opcode::Ping => "ping",
            Opcode::Pong => "pong",
            Opcode::Reserved(_) => "reserved",
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

/// Lowercase hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Built as bytes: the capture hexes every frame header and payload preview.
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.extend_from_slice(&[DIGITS[(b >> 4) as usize], DIGITS[(b & 0xf) as usize]]);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Decodes lowercase or uppercase hex; whitespace between byte pairs is allowed.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|_| "non-ASCII in hex".to_string())?;
            u8::from_str_radix(s, 16).map_err(|_| format!("not a hex byte: {s:?}"))
        })
        .collect()
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

/// The preview of a binary payload: hex of at most `limit` bytes.
pub fn binary_preview(bytes: &[u8], limit: usize) -> (String, bool) {
    let cut = bytes.len() > limit;
    (hex(&bytes[..bytes.len().min(limit)]), cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_round_trip_through_their_numbers() {
        for v in 0..16u8 {
            assert_eq!(Opcode::from_u8(v).as_u8(), v);
        }
        assert!(Opcode::Ping.is_control());
        assert!(Opcode::Reserved(0xB).is_control());
        assert!(!Opcode::Text.is_control());
    }

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
    fn hex_round_trip() {
        assert_eq!(hex(&[0, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(unhex("00 0F a0ff").unwrap(), vec![0, 0x0f, 0xa0, 0xff]);
        assert!(unhex("abc").unwrap_err().contains("odd"));
        assert!(unhex("zz").unwrap_err().contains("not a hex byte"));
    }

    #[test]
    fn previews_cut_at_character_boundaries() {
        assert_eq!(text_preview("hai", 10), ("hai".to_string(), false));
        // 'é' is two bytes: a cut inside it moves back to before it.
        assert_eq!(text_preview("aé", 2), ("a".to_string(), true));
        assert_eq!(binary_preview(&[1, 2, 3], 2), ("0102".to_string(), true));
    }
}
