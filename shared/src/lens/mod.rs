//! Protocol lenses: what a WebSocket message means in the protocol spoken over it (Socket.IO,
//! GraphQL over WebSocket, JSON-RPC, STOMP, SignalR, WAMP, MQTT, Jupyter), and which request a
//! response answers.
//!
//! - [`detect`]: which lens a connection speaks, by its subprotocol or by content.
//! - one decoder per protocol: a payload → [`Decoded`] (a one-line summary, a tree for the
//!   detail pane, named fields for the filter, and [`PairKey`]s for pairing).
//! - [`pairing`]: the [`Pairer`](pairing::Pairer) that pairs requests with responses per
//!   connection and says each response's latency and which requests went unanswered.
//! - [`dissector`]: capture records in, per connection: the lens, each record decoded, paired.
//!
//! Decoders never panic on what a peer sent: anything malformed becomes a finding on the
//! [`Decoded`], which keeps what could be read. Everything a peer controls is bounded
//! ([`MAX_PAYLOAD`], [`MAX_PARTS`], [`MAX_SUMMARY`]).

pub mod detect;
pub mod dissector;
pub mod graphql;
pub mod jsonrpc;
pub mod jupyter;
pub mod mqtt;
pub mod pairing;
pub mod signalr;
pub mod socketio;
pub mod stomp;
pub mod wamp;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::direction::Direction;

/// Payloads longer than this (bytes) are not decoded: a finding says so. Capture previews are
/// far shorter; this bounds a direct caller.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// The most packets, frames or messages decoded from one WebSocket message (MQTT packets,
/// STOMP frames, SignalR messages, a JSON-RPC batch); the rest are counted in a finding.
pub const MAX_PARTS: usize = 256;

/// The longest summary, in characters (names and ids from a peer are clipped to fit).
pub const MAX_SUMMARY: usize = 160;

/// The longest name or id taken into a summary, in characters.
const MAX_NAME: usize = 48;

/// Every field name a lens gives, and what it holds: for the filter's field-name completion.
pub const FIELDS: &[(&str, &str)] = &[
    (
        "engineio.type",
        "Engine.IO packet type: open, close, ping, pong, message, binary, …",
    ),
    (
        "socketio.type",
        "Socket.IO packet type: CONNECT, EVENT, ACK, BINARY_EVENT, …",
    ),
    ("socketio.namespace", "Socket.IO namespace, e.g. /"),
    ("socketio.event", "Socket.IO event name"),
    ("socketio.ack", "Socket.IO ack id"),
    (
        "graphql.type",
        "GraphQL over WebSocket message type: subscribe, next, start, data, …",
    ),
    ("graphql.id", "GraphQL operation id"),
    (
        "graphql.operation",
        "GraphQL operation name (or the query's start)",
    ),
    ("jsonrpc.kind", "request, notification, result or error"),
    ("jsonrpc.method", "JSON-RPC method"),
    ("jsonrpc.id", "JSON-RPC id as JSON (7, \"7\")"),
    ("jsonrpc.error_code", "JSON-RPC error code"),
    (
        "stomp.command",
        "STOMP command: SEND, MESSAGE, RECEIPT, …, or heart-beat",
    ),
    ("stomp.destination", "STOMP destination header"),
    ("stomp.receipt", "STOMP receipt or receipt-id header"),
    ("stomp.subscription", "STOMP subscription header"),
    ("stomp.id", "STOMP id header"),
    (
        "signalr.type",
        "SignalR message type: Invocation, Completion, …, or handshake",
    ),
    ("signalr.target", "SignalR hub method"),
    ("signalr.invocation_id", "SignalR invocationId"),
    ("wamp.type", "WAMP message: HELLO, CALL, RESULT, …"),
    ("wamp.request", "WAMP request id"),
    ("wamp.uri", "WAMP topic or procedure URI"),
    ("wamp.error", "WAMP error URI"),
    ("mqtt.type", "MQTT packet type: CONNECT, PUBLISH, PUBACK, …"),
    ("mqtt.topic", "MQTT topic name or topic filter"),
    ("mqtt.qos", "MQTT QoS of a PUBLISH"),
    ("mqtt.packet_id", "MQTT packet identifier"),
    ("mqtt.client_id", "MQTT client identifier of a CONNECT"),
    (
        "mqtt.reason",
        "MQTT failure return or reason code (≥ 0x80, or a refused CONNACK)",
    ),
    (
        "jupyter.channel",
        "Jupyter channel: shell, iopub, stdin, control",
    ),
    ("jupyter.msg_type", "Jupyter msg_type"),
    ("jupyter.msg_id", "Jupyter header msg_id"),
    ("jupyter.parent", "Jupyter parent_header msg_id"),
];

/// A protocol wirebook can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lens {
    /// Engine.IO v4 carrying Socket.IO v5.
    SocketIo,
    /// The `graphql-transport-ws` protocol (graphql-ws, the library).
    GraphqlTransportWs,
    /// The older `graphql-ws` subprotocol of subscriptions-transport-ws.
    SubscriptionsTransportWs,
    JsonRpc,
    Stomp,
    /// The SignalR JSON hub protocol.
    SignalR,
    /// WAMP v2, JSON serialisation.
    Wamp,
    /// MQTT 3.1.1 or 5 over WebSocket.
    Mqtt,
    /// Jupyter's messages (a kernel channel, or Jupyter Server's JSON WebSocket protocol).
    Jupyter,
}

impl Lens {
    pub const ALL: [Lens; 9] = [
        Lens::SocketIo,
        Lens::GraphqlTransportWs,
        Lens::SubscriptionsTransportWs,
        Lens::JsonRpc,
        Lens::Stomp,
        Lens::SignalR,
        Lens::Wamp,
        Lens::Mqtt,
        Lens::Jupyter,
    ];

    /// The protocol's name as people say it.
    pub fn name(self) -> &'static str {
        match self {
            Lens::SocketIo => "Socket.IO",
            Lens::GraphqlTransportWs => "graphql-transport-ws",
            Lens::SubscriptionsTransportWs => "subscriptions-transport-ws",
            Lens::JsonRpc => "JSON-RPC",
            Lens::Stomp => "STOMP",
            Lens::SignalR => "SignalR",
            Lens::Wamp => "WAMP",
            Lens::Mqtt => "MQTT",
            Lens::Jupyter => "Jupyter",
        }
    }
}

/// The protocols' names in the display filter, each alone a test (`mqtt`, as Wireshark's
/// protocol names are), with what it matches.
pub const PROTOCOL_FIELDS: &[(&str, &str)] = &[
    ("socketio", "read as Socket.IO (Engine.IO v4)"),
    ("engineio", "read as Engine.IO (Socket.IO's transport)"),
    (
        "graphql",
        "read as GraphQL over WebSocket (either subprotocol)",
    ),
    ("jsonrpc", "read as JSON-RPC 2.0"),
    ("stomp", "read as STOMP"),
    ("signalr", "read as SignalR's JSON hub protocol"),
    ("wamp", "read as WAMP (JSON)"),
    ("mqtt", "read as MQTT"),
    ("jupyter", "read as Jupyter messages"),
];

impl Lens {
    /// Whether the filter's protocol name `name` (one of [`PROTOCOL_FIELDS`]) means this lens.
    pub fn is_named(self, name: &str) -> bool {
        matches!(
            (self, name),
            (Lens::SocketIo, "socketio" | "engineio")
                | (
                    Lens::GraphqlTransportWs | Lens::SubscriptionsTransportWs,
                    "graphql"
                )
                | (Lens::JsonRpc, "jsonrpc")
                | (Lens::Stomp, "stomp")
                | (Lens::SignalR, "signalr")
                | (Lens::Wamp, "wamp")
                | (Lens::Mqtt, "mqtt")
                | (Lens::Jupyter, "jupyter")
        )
    }
}

/// A message's payload as the lens reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

/// What the filter compares a named field with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Text(String),
    Number(i64),
}

/// One filterable field of a decoded message, e.g. `socketio.event` = `"chat message"`. A
/// message may carry the same name more than once (a batch, several packets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub value: FieldValue,
}

/// Which side of an exchange a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Opens an exchange that a response in the other direction answers.
    Request,
    /// Answers the open request of the same kind and id; `last` closes it (a GraphQL `next`
    /// or an iopub message does not, `complete` or an `execute_reply` does).
    Response { last: bool },
    /// The requester gives up on its own request (GraphQL `stop`, SignalR CancelInvocation).
    Cancel,
}

/// How the pairer recognises an exchange: `kind` names the exchange (`jsonrpc`,
/// `socketio.ack`, `mqtt.subscribe`, ...) and `id` the request within it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PairKey {
    pub kind: &'static str,
    pub id: String,
    pub role: Role,
}

impl PairKey {
    pub fn request(kind: &'static str, id: impl Into<String>) -> Self {
        PairKey {
            kind,
            id: id.into(),
            role: Role::Request,
        }
    }

    pub fn response(kind: &'static str, id: impl Into<String>, last: bool) -> Self {
        PairKey {
            kind,
            id: id.into(),
            role: Role::Response { last },
        }
    }

    pub fn cancel(kind: &'static str, id: impl Into<String>) -> Self {
        PairKey {
            kind,
            id: id.into(),
            role: Role::Cancel,
        }
    }
}

/// One message seen through a lens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decoded {
    pub lens: Lens,
    /// One line, e.g. `emit "chat message" ack 3`, `subscribe #1 (onMessage)`, `call add id 7`.
    pub summary: String,
    /// The message as a tree for the detail pane (what the protocol calls each part).
    pub tree: Value,
    pub fields: Vec<Field>,
    pub keys: Vec<PairKey>,
    /// What is malformed or odd, in plain words.
    pub findings: Vec<String>,
}

impl Decoded {
    pub(crate) fn new(lens: Lens) -> Self {
        Decoded {
            lens,
            summary: String::new(),
            tree: Value::Null,
            fields: Vec::new(),
            keys: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// What a "Protocol" column shows: the protocol's name and the summary.
    pub fn column_text(&self) -> String {
        if self.summary.is_empty() {
            self.lens.name().to_string()
        } else {
            format!("{} {}", self.lens.name(), self.summary)
        }
    }

    /// The first value of the field `name`, if the message has it.
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.value)
    }

    pub(crate) fn text_field(&mut self, name: &'static str, value: impl Into<String>) {
        self.fields.push(Field {
            name,
            value: FieldValue::Text(value.into()),
        });
    }

    pub(crate) fn number_field(&mut self, name: &'static str, value: i64) {
        self.fields.push(Field {
            name,
            value: FieldValue::Number(value),
        });
    }

    /// Sets the summary, clipped to [`MAX_SUMMARY`] characters.
    pub(crate) fn summarise(&mut self, summary: String) {
        self.summary = clip(&summary, MAX_SUMMARY);
    }
}

/// Decodes one message with `lens`. `state` is the connection's (see [`LensState`]);
/// `direction` is the message's (`ToServer`: from the client that opened the connection).
pub fn decode(
    lens: Lens,
    state: &mut LensState,
    direction: Direction,
    payload: Payload<'_>,
) -> Decoded {
    let len = match payload {
        Payload::Text(t) => t.len(),
        Payload::Binary(b) => b.len(),
    };
    if len > MAX_PAYLOAD {
        let mut decoded = Decoded::new(lens);
        decoded.summarise(format!("{len} bytes, not decoded"));
        decoded.findings.push(format!(
            "the message is {len} bytes; lenses decode at most {MAX_PAYLOAD}"
        ));
        return decoded;
    }
    match lens {
        Lens::SocketIo => socketio::decode(state, direction, payload),
        Lens::GraphqlTransportWs => {
            graphql::decode(graphql::Flavour::TransportWs, direction, payload)
        }
        Lens::SubscriptionsTransportWs => graphql::decode(
            graphql::Flavour::SubscriptionsTransportWs,
            direction,
            payload,
        ),
        Lens::JsonRpc => jsonrpc::decode(payload),
        Lens::Stomp => stomp::decode(payload),
        Lens::SignalR => signalr::decode(payload),
        Lens::Wamp => wamp::decode(payload),
        Lens::Mqtt => mqtt::decode(state, payload),
        Lens::Jupyter => jupyter::decode(payload, state.jupyter_v1),
    }
}

/// What a lens remembers about one connection between its messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LensState {
    /// MQTT: the protocol level from CONNECT (4 = 3.1.1, 5 = 5), which says whether packets
    /// carry properties.
    pub mqtt_level: Option<u8>,
    /// Socket.IO: binary attachments still to come for the last binary event or ack, per
    /// direction (to server, to client).
    pub socketio_attachments: [u32; 2],
    /// Jupyter: the connection negotiated `v1.kernel.websocket.jupyter.org` (binary frames
    /// are v1 messages, not the default protocol's messages with buffers).
    pub jupyter_v1: bool,
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => {
            let mut cut = text[..end].to_string();
            cut.pop();
            cut.push('…');
            cut
        }
    }
}

/// A name from a peer, clipped for a summary.
pub(crate) fn name(text: &str) -> String {
    clip(text, MAX_NAME)
}

/// A JSON id as a pairing id: strings as they are, anything else as compact JSON (so `7` and
/// `"7"` stay apart, as JSON-RPC requires).
pub(crate) fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// Parses JSON text, saying what is wrong in a finding.
pub(crate) fn parse_json(text: &str, what: &str, findings: &mut Vec<String>) -> Option<Value> {
    match serde_json::from_str(text) {
        Ok(value) => Some(value),
        Err(e) => {
            findings.push(format!("{what} is not JSON: {e}"));
            None
        }
    }
}

/// The payload as text, or a finding when the protocol needs text and got binary (or invalid
/// UTF-8).
pub(crate) fn need_text<'a>(
    payload: Payload<'a>,
    decoded: &mut Decoded,
) -> Option<std::borrow::Cow<'a, str>> {
    match payload {
        Payload::Text(t) => Some(std::borrow::Cow::Borrowed(t)),
        Payload::Binary(b) => match std::str::from_utf8(b) {
            Ok(t) => Some(std::borrow::Cow::Borrowed(t)),
            Err(_) => {
                decoded.summarise(format!("{} binary bytes", b.len()));
                decoded.findings.push(format!(
                    "{} is a text protocol; this binary message is not UTF-8",
                    decoded.lens.name()
                ));
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_listed_once() {
        let mut names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len());
    }

    #[test]
    fn clipping_keeps_characters_whole() {
        assert_eq!(clip("héllo", 10), "héllo");
        assert_eq!(clip("héllo", 3), "hé…");
        assert_eq!(clip("", 0), "");
    }

    #[test]
    fn ids_keep_numbers_and_strings_apart() {
        assert_eq!(id_text(&serde_json::json!(7)), "7");
        assert_eq!(id_text(&serde_json::json!("7")), "\"7\"");
        assert_eq!(id_text(&Value::Null), "null");
    }

    #[test]
    fn oversized_payloads_are_refused_in_words() {
        let big = "x".repeat(MAX_PAYLOAD + 1);
        for lens in Lens::ALL {
            let d = decode(
                lens,
                &mut LensState::default(),
                Direction::ToServer,
                Payload::Text(&big),
            );
            assert_eq!(d.findings.len(), 1, "{lens:?}");
            assert!(d.summary.contains("not decoded"));
        }
    }
}
