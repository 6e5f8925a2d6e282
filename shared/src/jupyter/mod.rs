//! The Jupyter messaging protocol as wirebook sees it: channels, a message's wire parts, and the
//! capture record of one kernel message.
//!
//! Layered like the WebSocket side (bytes → frames → messages → view): the transports (ZeroMQ
//! multipart messages for local kernels, the WebSocket protocols of Jupyter Server for remote
//! ones) are split into [`WireParts`] by their own modules; what the inspector and the notebook
//! need is the [`KernelMessageRecord`] made from those parts. Nothing here does IO or crypto:
//! the server checks signatures (it holds the key) and says what it found in
//! [`SignatureCheck`].

pub mod spec;
pub mod websocket;
pub mod zmq;

use serde::{Deserialize, Serialize};

use crate::direction::Direction;

/// The sockets of a Jupyter kernel (the messaging spec's "channels").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Shell,
    Iopub,
    Stdin,
    Control,
    /// Liveness pings; not Jupyter messages (see [`crate::CaptureBody::Heartbeat`]).
    Heartbeat,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Shell,
        Channel::Iopub,
        Channel::Stdin,
        Channel::Control,
        Channel::Heartbeat,
    ];

    /// The name the spec and Jupyter Server's WebSocket protocols use.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Shell => "shell",
            Channel::Iopub => "iopub",
            Channel::Stdin => "stdin",
            Channel::Control => "control",
            Channel::Heartbeat => "hb",
        }
    }

    /// The inverse of [`Channel::name`] (also accepts `heartbeat`).
    pub fn from_name(name: &str) -> Option<Channel> {
        match name {
            "shell" => Some(Channel::Shell),
            "iopub" => Some(Channel::Iopub),
            "stdin" => Some(Channel::Stdin),
            "control" => Some(Channel::Control),
            "hb" | "heartbeat" => Some(Channel::Heartbeat),
            _ => None,
        }
    }
}

/// How a kernel message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireFormat {
    /// A ZeroMQ multipart message: identities, `<IDS|MSG>`, signature, four JSON parts, buffers.
    Zmq,
    /// Jupyter Server's `v1.kernel.websocket.jupyter.org` binary frame: offsets, channel, the
    /// four JSON parts and buffers (no signature: the server signs on the ZeroMQ side).
    WebSocketV1,
    /// Jupyter Server's default protocol: one JSON text frame per message with a `channel` key.
    WebSocketJson,
}

impl WireFormat {
    pub fn label(self) -> &'static str {
        match self {
            WireFormat::Zmq => "ZeroMQ multipart",
            WireFormat::WebSocketV1 => "WebSocket v1.kernel.websocket.jupyter.org",
            WireFormat::WebSocketJson => "WebSocket JSON",
        }
    }
}

/// What checking a message's HMAC signature against the connection key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureCheck {
    /// The signature matches HMAC-SHA256 of header, parent_header, metadata and content.
    Verified,
    /// The signature does not match: the message was altered or signed with another key.
    Bad,
    /// The connection has no key (an empty `key` in the connection file): nothing to check.
    Unsigned,
    /// The format carries no signature (Jupyter Server's WebSocket protocols).
    NotCarried,
}

impl SignatureCheck {
    pub fn label(self) -> &'static str {
        match self {
            SignatureCheck::Verified => "verified",
            SignatureCheck::Bad => "bad",
            SignatureCheck::Unsigned => "unsigned (no key)",
            SignatureCheck::NotCarried => "not carried by this format",
        }
    }
}

/// One binary buffer attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BufferRecord {
    /// Its true length in bytes.
    pub len: u64,
    /// Hex of its first bytes, up to the capture's preview length.
    pub preview_hex: String,
}

/// A kernel message split into its parts as they crossed the wire. The JSON parts are kept as
/// the text that was sent (key order and spacing as the sender wrote them), so the detail pane
/// shows exactly what was signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireParts {
    pub format: WireFormat,
    /// ZeroMQ routing identities before `<IDS|MSG>`, hex (empty for the WebSocket formats).
    pub identities: Vec<String>,
    /// The HMAC signature part as sent (lowercase hex), empty when none was carried.
    pub signature: String,
    pub signature_check: SignatureCheck,
    /// v1 WebSocket frames: the offset table as sent (empty for other formats).
    pub offsets: Vec<u64>,
    pub header: String,
    pub parent_header: String,
    pub metadata: String,
    /// Up to the capture's preview length; see `content_len` and `content_truncated`.
    pub content: String,
    pub content_len: u64,
    pub content_truncated: bool,
    pub buffers: Vec<BufferRecord>,
}

/// One Jupyter message on one channel: the inspector's row and detail for kernel traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelMessageRecord {
    pub channel: Channel,
    /// `ToServer`: sent to the kernel; `ToClient`: sent by the kernel.
    pub direction: Direction,
    /// From the header; empty when the header could not be read (see `findings`).
    pub msg_type: String,
    pub msg_id: String,
    /// `parent_header.msg_id`: the request this message answers or reports on.
    pub parent_msg_id: Option<String>,
    /// Bytes of all parts together (for WebSocket formats: the frame's payload).
    pub size: u64,
    pub parts: WireParts,
    /// What was wrong with the message, in plain words (missing delimiter, JSON that does not
    /// parse, bad signature, ...). A message with findings is still recorded and relayed.
    pub findings: Vec<String>,
    /// The capture record this message relays or answers (e.g. the browser's execute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<u64>,
}
