//! GraphQL over WebSocket: the `graphql-transport-ws` protocol (the graphql-ws library's
//! PROTOCOL.md) and the older `graphql-ws` subprotocol of Apollo's subscriptions-transport-ws.
//! Both are JSON text messages `{"type", "id"?, "payload"?}`; serde_json reads them.
//!
//! Pairing: an operation (`subscribe` / `start`) is answered by results (`next` / `data`) and
//! closed by `complete` or `error` from the server; the client's `complete` / `stop` cancels.

use serde_json::Value;

use super::{clip, name, need_text, parse_json, Decoded, Lens, PairKey, Payload};
use crate::direction::Direction;

/// Which of the two protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    TransportWs,
    SubscriptionsTransportWs,
}

const OPERATION: &str = "graphql.operation";
const CONNECTION: &str = "graphql.connection";
const PING: &str = "graphql.ping";

pub fn decode(flavour: Flavour, direction: Direction, payload: Payload<'_>) -> Decoded {
    let lens = match flavour {
        Flavour::TransportWs => Lens::GraphqlTransportWs,
        Flavour::SubscriptionsTransportWs => Lens::SubscriptionsTransportWs,
    };
    let mut d = Decoded::new(lens);
    let Some(text) = need_text(payload, &mut d) else {
        return d;
    };
    let Some(message) = parse_json(&text, "the message", &mut d.findings) else {
        d.summarise("not JSON".to_string());
        return d;
    };
    let Some(kind) = message.get("type").and_then(Value::as_str) else {
        d.findings
            .push("a GraphQL over WebSocket message needs a string `type`".to_string());
        d.summarise("no type".to_string());
        d.tree = message;
        return d;
    };
    d.text_field("graphql.type", kind);
    let id = message.get("id").map(|id| match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    if let Some(id) = &id {
        d.text_field("graphql.id", id.as_str());
    }
    let payload = message.get("payload");
    let with_id = |word: &str| match &id {
        Some(id) => format!("{word} #{}", name(id)),
        None => word.to_string(),
    };
    let needs_id = matches!(
        (flavour, kind),
        (
            _,
            "next" | "data" | "error" | "complete" | "subscribe" | "start" | "stop"
        )
    );
    if needs_id && id.is_none() {
        d.findings.push(format!("a `{kind}` message needs an `id`"));
    }
    let op = id.clone().unwrap_or_default();
    let summary = match (flavour, kind) {
        (_, "connection_init") => {
            d.keys.push(PairKey::request(CONNECTION, ""));
            kind.to_string()
        }
        (_, "connection_ack") => {
            d.keys.push(PairKey::response(CONNECTION, "", true));
            kind.to_string()
        }
        (Flavour::SubscriptionsTransportWs, "connection_error") => {
            d.keys.push(PairKey::response(CONNECTION, "", true));
            format!(
                "{kind}: {}",
                clip(&payload.map(Value::to_string).unwrap_or_default(), 60)
            )
        }
        (Flavour::TransportWs, "ping") => {
            d.keys.push(PairKey::request(PING, ""));
            kind.to_string()
        }
        (Flavour::TransportWs, "pong") => {
            d.keys.push(PairKey::response(PING, "", true));
            kind.to_string()
        }
        (Flavour::TransportWs, "subscribe") | (Flavour::SubscriptionsTransportWs, "start") => {
            d.keys.push(PairKey::request(OPERATION, op));
            let operation = payload.map(operation_name).unwrap_or_default();
            if !operation.is_empty() {
                d.text_field("graphql.operation", operation.as_str());
            }
            if payload.and_then(|p| p.get("query")).is_none() {
                d.findings
                    .push(format!("a `{kind}` payload needs a `query`"));
            }
            format!("{} ({})", with_id(kind), name(&operation))
        }
        (Flavour::TransportWs, "next") | (Flavour::SubscriptionsTransportWs, "data") => {
            d.keys.push(PairKey::response(OPERATION, op, false));
            let data = payload.map(Value::to_string).unwrap_or_default();
            format!("{} {}", with_id(kind), clip(&data, 60))
        }
        (_, "error") => {
            d.keys.push(PairKey::response(OPERATION, op, true));
            let message = payload
                .and_then(|p| {
                    // transport-ws: an array of errors; subscriptions-transport-ws: one object
                    // (or, from older servers, an array too).
                    let first = p.as_array().and_then(|a| a.first()).unwrap_or(p);
                    first.get("message").and_then(Value::as_str)
                })
                .unwrap_or("");
            format!("{}: {}", with_id(kind), name(message))
        }
        (Flavour::TransportWs, "complete") => {
            // Either side may complete; the client's cancels its own operation.
            d.keys.push(match direction {
                Direction::ToServer => PairKey::cancel(OPERATION, op),
                Direction::ToClient => PairKey::response(OPERATION, op, true),
            });
            with_id(kind)
        }
        (Flavour::SubscriptionsTransportWs, "complete") => {
            d.keys.push(PairKey::response(OPERATION, op, true));
            with_id(kind)
        }
        (Flavour::SubscriptionsTransportWs, "stop") => {
            d.keys.push(PairKey::cancel(OPERATION, op));
            with_id(kind)
        }
        (Flavour::SubscriptionsTransportWs, "ka" | "connection_terminate") => kind.to_string(),
        _ => {
            d.findings.push(format!(
                "`{}` is not a message type of {}",
                name(kind),
                lens.name()
            ));
            name(kind)
        }
    };
    d.summarise(summary);
    d.tree = message;
    d
}

/// The operation's name: `operationName`, else the first named operation in the query, else
/// the query's start (an anonymous operation).
fn operation_name(payload: &Value) -> String {
    if let Some(op) = payload.get("operationName").and_then(Value::as_str) {
        return op.to_string();
    }
    let query = payload.get("query").and_then(Value::as_str).unwrap_or("");
    let trimmed = query.trim_start();
    for keyword in ["query", "mutation", "subscription"] {
        let Some(after) = trimmed.strip_prefix(keyword) else {
            continue;
        };
        let after = after.trim_start();
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if end > 0 && after.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            return after[..end].to_string();
        }
    }
    clip(query.trim(), 40)
}

#[cfg(test)]
fn vector(flavour: Flavour, text: &str) -> Decoded {
    let direction = if text.contains("\"next\"") || text.contains("\"error\"") {
        Direction::ToClient
    } else {
        Direction::ToServer
    };
    decode(flavour, direction, Payload::Text(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lens::Role;
    use serde_json::json;

    #[test]
    fn transport_ws_protocol_examples() {
        // graphql-ws PROTOCOL.md's messages.
        let d = vector(
            Flavour::TransportWs,
            r#"{"id":"1","type":"subscribe","payload":{"query":"subscription onMessage { message }"}}"#,
        );
        assert_eq!(d.summary, "subscribe #1 (onMessage)");
        assert_eq!(d.keys, [PairKey::request(OPERATION, "1")]);
        assert!(d.findings.is_empty());
        let d = vector(
            Flavour::TransportWs,
            r#"{"id":"1","type":"next","payload":{"data":{"message":"hi"}}}"#,
        );
        assert_eq!(d.keys[0].role, Role::Response { last: false });
        let d = vector(
            Flavour::TransportWs,
            r#"{"id":"1","type":"error","payload":[{"message":"Boom"}]}"#,
        );
        assert_eq!(d.summary, "error #1: Boom");
        assert_eq!(d.keys[0].role, Role::Response { last: true });
        let d = vector(Flavour::TransportWs, r#"{"type":"ping","payload":{}}"#);
        assert_eq!(d.keys, [PairKey::request(PING, "")]);
        let d = vector(Flavour::TransportWs, r#"{"type":"start","id":"1"}"#);
        assert_eq!(d.findings.len(), 1, "start is the old protocol's");
    }

    #[test]
    fn subscriptions_transport_ws_examples() {
        let d = vector(
            Flavour::SubscriptionsTransportWs,
            r#"{"id":"2","type":"start","payload":{"query":"query { hello }"}}"#,
        );
        assert_eq!(d.summary, "start #2 (query { hello })");
        let d = vector(
            Flavour::SubscriptionsTransportWs,
            r#"{"id":"2","type":"stop"}"#,
        );
        assert_eq!(d.keys, [PairKey::cancel(OPERATION, "2")]);
        let d = vector(Flavour::SubscriptionsTransportWs, r#"{"type":"ka"}"#);
        assert!(d.keys.is_empty() && d.findings.is_empty());
    }

    #[test]
    fn operation_names() {
        for (payload, expected) in [
            (json!({"operationName": "A", "query": "query B { x }"}), "A"),
            (
                json!({"query": "  mutation   Add($a: Int) { add(a: $a) }"}),
                "Add",
            ),
            (
                json!({"query": "query($a: Int) { x }"}),
                "query($a: Int) { x }",
            ),
            (json!({"query": "{ hello }"}), "{ hello }"),
            (json!({}), ""),
        ] {
            assert_eq!(operation_name(&payload), expected, "{payload}");
        }
    }

    #[test]
    fn malformed_messages_are_findings() {
        for bad in ["", "[]", "{}", r#"{"type":3}"#, r#"{"type":"next"}"#, "{"] {
            let d = vector(Flavour::TransportWs, bad);
            assert!(!d.findings.is_empty(), "{bad:?}");
        }
    }
}
