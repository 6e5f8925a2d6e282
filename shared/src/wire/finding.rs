//! What the wire layer flags: protocol violations (and a few oddities) found in handshakes,
//! frames, messages and close payloads, each with a message in plain words for the inspector.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::opcode::Opcode;

use super::header::LengthForm;

/// One thing wrong (or odd) on the wire. Decoding never stops at a finding: the bytes are still
/// shown as they came, with the finding beside them. Serialisable so capture records can
/// carry findings to the inspector, which words them with [`Finding::message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    // ---- frames (RFC 6455 §5) ----
    /// A client-to-server frame without the MASK bit (§5.1: the server must fail the connection).
    ClientFrameUnmasked,
    /// A server-to-client frame with the MASK bit (§5.1).
    ServerFrameMasked,
    /// A control frame with FIN clear (§5.5: control frames must not be fragmented).
    ControlFrameFragmented { opcode: Opcode },
    /// A control frame whose payload is longer than 125 bytes (§5.5).
    ControlPayloadTooLong { opcode: Opcode, len: u64 },
    /// Opcodes 0x3–0x7 and 0xB–0xF are reserved (§5.2).
    ReservedOpcode { opcode: u8 },
    /// RSV1/2/3 set although no negotiated extension gives it a meaning (§5.2).
    ReservedBitSet { bit: u8 },
    /// RSV1 (permessage-deflate's "compressed" bit) on a frame other than the first frame of a
    /// data message (RFC 7692 §6.1).
    CompressedBitMisplaced { opcode: Opcode },
    /// The 64-bit length has its most significant bit set (§5.2).
    LengthHighBitSet { len: u64 },
    /// The length used a longer form than needed (§5.2: "the minimal number of bytes MUST be
    /// used").
    NonMinimalLength { form: LengthForm, len: u64 },
    /// A continuation frame with no fragmented message open (§5.4).
    ContinuationWithoutMessage,
    /// A text or binary frame while a fragmented message was still open (§5.4).
    DataFrameInsideFragmentedMessage { opcode: Opcode },
    /// A text message that is not valid UTF-8 (§8.1), checked across its fragments (after
    /// inflation for compressed messages).
    InvalidUtf8,

    // ---- close payloads (§5.5.1, §7.4) ----
    /// A close payload of exactly one byte: too short for a code (§5.5.1).
    ClosePayloadOneByte,
    /// A close code that no endpoint may send (0–999, 1004, 1016–2999, 5000 and up).
    InvalidCloseCode { code: u16 },
    /// 1005, 1006 or 1015: codes reserved for reporting, never to be sent in a close frame
    /// (§7.4.1).
    CloseCodeNotForTheWire { code: u16 },
    /// The close reason is not valid UTF-8 (§5.5.1).
    CloseReasonInvalidUtf8,

    // ---- messages ----
    /// The message never reached a frame with FIN: a new data message started or the stream
    /// ended first.
    MessageUnfinished,
    /// A permessage-deflate message did not inflate (RFC 7692 §7.2.2).
    InflateFailed { detail: String },
    /// A compressed message could not be inflated because an earlier part of the compressed
    /// stream was not kept (it was beyond the capture limit or failed), and the sender reuses
    /// its compression context.
    InflateContextLost,

    // ---- handshake (§4) ----
    /// The opening request is not `GET ... HTTP/1.1`.
    HandshakeRequestLine { detail: String },
    /// The server did not answer 101 Switching Protocols.
    HandshakeNotSwitching { status: u16 },
    /// A header the handshake needs is missing or has the wrong value.
    HandshakeHeader { name: String, detail: String },
    /// Sec-WebSocket-Accept does not match Sec-WebSocket-Key.
    AcceptMismatch { expected: String, got: String },
    /// The server chose an extension or subprotocol the client did not offer.
    NotOffered { what: String, value: String },
    /// A permessage-deflate parameter is unknown, repeated or out of range (RFC 7692 §7.1).
    BadDeflateParameter { detail: String },
}

impl Finding {
    /// The finding in plain words.
    pub fn message(&self) -> String {
        match self {
            Finding::ClientFrameUnmasked => {
                "client frame is not masked (clients must mask every frame)".into()
            }
            Finding::ServerFrameMasked => "server frame is masked (servers must not mask)".into(),
            Finding::ControlFrameFragmented { opcode } => {
                format!("{} frame has FIN clear: control frames must not be fragmented", opcode.name())
            }
            Finding::ControlPayloadTooLong { opcode, len } => format!(
                "{} frame payload is {len} bytes: control frames carry at most 125",
                opcode.name()
            ),
            Finding::ReservedOpcode { opcode } => format!("reserved opcode 0x{opcode:X}"),
            Finding::ReservedBitSet { bit } => {
                format!("RSV{bit} is set but no negotiated extension defines it")
            }
            Finding::CompressedBitMisplaced { opcode } => format!(
                "RSV1 (compressed) is set on a {} frame: only the first frame of a data message may set it",
                opcode.name()
            ),
            Finding::LengthHighBitSet { len } => {
                format!("64-bit payload length {len} has its most significant bit set")
            }
            Finding::NonMinimalLength { form, len } => format!(
                "payload length {len} is sent in the {} form: a shorter form must be used",
                form.name()
            ),
            Finding::ContinuationWithoutMessage => {
                "continuation frame, but no fragmented message was started".into()
            }
            Finding::DataFrameInsideFragmentedMessage { opcode } => format!(
                "new {} frame while a fragmented message is still open (expected a continuation)",
                opcode.name()
            ),
            Finding::InvalidUtf8 => "text message is not valid UTF-8".into(),
            Finding::ClosePayloadOneByte => {
                "close payload is 1 byte: a close code needs 2".into()
            }
            Finding::InvalidCloseCode { code } => {
                format!("close code {code} may not be sent by any endpoint")
            }
            Finding::CloseCodeNotForTheWire { code } => format!(
                "close code {code} is reserved for reporting locally and must never be sent in a close frame"
            ),
            Finding::CloseReasonInvalidUtf8 => "close reason is not valid UTF-8".into(),
            Finding::MessageUnfinished => {
                "message never finished: no frame with FIN arrived before the next message or the end".into()
            }
            Finding::InflateFailed { detail } => {
                format!("compressed message does not inflate: {detail}")
            }
            Finding::InflateContextLost => "compressed message can't be inflated: it depends on \
                 earlier compressed data that was not captured in full"
                .into(),
            Finding::HandshakeRequestLine { detail } => {
                format!("opening handshake request: {detail}")
            }
            Finding::HandshakeNotSwitching { status } => {
                format!("server answered {status}, not 101 Switching Protocols")
            }
            Finding::HandshakeHeader { name, detail } => format!("{name}: {detail}"),
            Finding::AcceptMismatch { expected, got } => format!(
                "Sec-WebSocket-Accept is {got:?} but the key requires {expected:?}"
            ),
            Finding::NotOffered { what, value } => {
                format!("server chose {what} {value:?}, which the client did not offer")
            }
            Finding::BadDeflateParameter { detail } => format!("permessage-deflate: {detail}"),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}
