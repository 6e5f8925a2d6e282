//! Which lens a connection speaks: by the subprotocol its handshake negotiated, else by the
//! content of its messages (and the request target, for Socket.IO's `/socket.io/` path).
//! Content sniffing is conservative: it answers only for a message that only that protocol
//! would send, and `None` otherwise (the next message is asked again).

use serde_json::Value;

use super::{stomp, Lens, Payload};
use crate::jupyter::websocket::V1_SUBPROTOCOL;

/// The lens of a negotiated subprotocol (`Sec-WebSocket-Protocol` of the response).
pub fn by_subprotocol(protocol: &str) -> Option<Lens> {
    let protocol = protocol.trim().to_ascii_lowercase();
    Some(match protocol.as_str() {
        "graphql-transport-ws" => Lens::GraphqlTransportWs,
        "graphql-ws" => Lens::SubscriptionsTransportWs,
        "mqtt" | "mqttv3.1" => Lens::Mqtt,
        "stomp" | "v10.stomp" | "v11.stomp" | "v12.stomp" => Lens::Stomp,
        "wamp.2.json" => Lens::Wamp,
        "jsonrpc" | "jsonrpc2" | "jsonrpc-2.0" | "json-rpc" => Lens::JsonRpc,
        p if p == V1_SUBPROTOCOL => Lens::Jupyter,
        _ => return None,
    })
}

/// Whether the request target is Engine.IO's: the `/socket.io/` path, or `EIO=4` in the query.
pub fn is_engine_io_target(target: &str) -> bool {
    target.contains("/socket.io/")
        || target
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|pair| pair == "EIO=4"))
}

/// The lens one message's content (with the connection's request `target`) points to.
pub fn by_content(target: &str, payload: Payload<'_>) -> Option<Lens> {
    let text = match payload {
        Payload::Binary(bytes) => return is_mqtt_connect(bytes).then_some(Lens::Mqtt),
        Payload::Text(text) => text,
    };
    if is_engine_io_target(target) && text.starts_with(|c: char| ('0'..='6').contains(&c)) {
        return Some(Lens::SocketIo);
    }
    if let Some(record) = text.strip_suffix('\u{1e}') {
        let first = record.split('\u{1e}').next().unwrap_or("");
        if serde_json::from_str::<Value>(first).is_ok_and(|v| v.is_object()) {
            return Some(Lens::SignalR);
        }
    }
    let first_line = text.trim_start_matches(['\r', '\n']).lines().next();
    if text.contains('\n') && first_line.is_some_and(stomp::is_command) {
        return Some(Lens::Stomp);
    }
    let trimmed = text.trim_start();
    if !trimmed.starts_with(['{', '[']) {
        return None;
    }
    let value: Value = serde_json::from_str(trimmed).ok()?;
    let is_jsonrpc = |v: &Value| v.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    match &value {
        Value::Object(object) => {
            if is_jsonrpc(&value) {
                return Some(Lens::JsonRpc);
            }
            if object.contains_key("header") && object.contains_key("parent_header") {
                return Some(Lens::Jupyter);
            }
            let has_id = object.contains_key("id");
            match object.get("type").and_then(Value::as_str) {
                Some("subscribe" | "next") if has_id => Some(Lens::GraphqlTransportWs),
                Some("start" | "data") if has_id => Some(Lens::SubscriptionsTransportWs),
                Some("ka") => Some(Lens::SubscriptionsTransportWs),
                _ => None,
            }
        }
        Value::Array(items) => {
            if !items.is_empty() && items.iter().all(is_jsonrpc) {
                return Some(Lens::JsonRpc);
            }
            // WAMP's HELLO [1, realm, details] and WELCOME [2, session, details].
            match (items.first().and_then(Value::as_u64), items.get(2)) {
                (Some(1), Some(Value::Object(_))) if items[1].is_string() => Some(Lens::Wamp),
                (Some(2), Some(Value::Object(_))) if items[1].is_u64() => Some(Lens::Wamp),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An MQTT CONNECT: type 1, a remaining length, then the protocol name `MQTT` (or 3.1's
/// `MQIsdp`).
fn is_mqtt_connect(bytes: &[u8]) -> bool {
    if bytes.first() != Some(&0x10) {
        return false;
    }
    let Some(len_bytes) = bytes
        .iter()
        .skip(1)
        .take(4)
        .position(|b| b & 0x80 == 0)
        .map(|p| p + 1)
    else {
        return false;
    };
    let rest = &bytes[1 + len_bytes..];
    rest.starts_with(b"\x00\x04MQTT") || rest.starts_with(b"\x00\x06MQIsdp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subprotocols() {
        assert_eq!(
            by_subprotocol("graphql-transport-ws"),
            Some(Lens::GraphqlTransportWs)
        );
        assert_eq!(
            by_subprotocol("graphql-ws"),
            Some(Lens::SubscriptionsTransportWs)
        );
        assert_eq!(by_subprotocol("v12.stomp"), Some(Lens::Stomp));
        assert_eq!(by_subprotocol("MQTT"), Some(Lens::Mqtt));
        assert_eq!(by_subprotocol("wamp.2.json"), Some(Lens::Wamp));
        assert_eq!(by_subprotocol(V1_SUBPROTOCOL), Some(Lens::Jupyter));
        assert_eq!(by_subprotocol("wamp.2.msgpack"), None);
        assert_eq!(by_subprotocol("chat"), None);
    }

    #[test]
    fn content() {
        let sio = "/socket.io/?EIO=4&transport=websocket";
        assert_eq!(by_content(sio, Payload::Text("40")), Some(Lens::SocketIo));
        assert_eq!(
            by_content("/ws?EIO=4", Payload::Text("2")),
            Some(Lens::SocketIo)
        );
        assert_eq!(by_content("/ws?EIO=40", Payload::Text("2")), None);
        assert_eq!(by_content("/echo", Payload::Text("40")), None);
        let rpc = r#"{"jsonrpc":"2.0","method":"a","id":1}"#;
        assert_eq!(by_content("/", Payload::Text(rpc)), Some(Lens::JsonRpc));
        assert_eq!(
            by_content("/", Payload::Text(&format!("[{rpc}]"))),
            Some(Lens::JsonRpc)
        );
        assert_eq!(
            by_content(
                "/hub",
                Payload::Text("{\"protocol\":\"json\",\"version\":1}\u{1e}")
            ),
            Some(Lens::SignalR)
        );
        assert_eq!(
            by_content("/", Payload::Text("CONNECT\naccept-version:1.2\n\n\0")),
            Some(Lens::Stomp)
        );
        assert_eq!(by_content("/", Payload::Text("CONNECT me")), None);
        assert_eq!(
            by_content("/", Payload::Text(r#"[1,"realm1",{}]"#)),
            Some(Lens::Wamp)
        );
        assert_eq!(by_content("/", Payload::Text(r#"[1,2,3]"#)), None);
        assert_eq!(
            by_content(
                "/",
                Payload::Text(r#"{"id":"1","type":"subscribe","payload":{}}"#)
            ),
            Some(Lens::GraphqlTransportWs)
        );
        assert_eq!(
            by_content("/", Payload::Text(r#"{"type":"connection_init"}"#)),
            None
        );
        assert_eq!(
            by_content("/", Payload::Text(r#"{"type":"ka"}"#)),
            Some(Lens::SubscriptionsTransportWs)
        );
        assert_eq!(
            by_content(
                "/",
                Payload::Binary(b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04abcd")
            ),
            Some(Lens::Mqtt)
        );
        assert_eq!(
            by_content("/", Payload::Binary(b"\x10\xff\xff\xff\xff")),
            None
        );
        assert_eq!(by_content("/", Payload::Binary(&[])), None);
        assert_eq!(by_content("/", Payload::Text("hello")), None);
        assert_eq!(by_content("/", Payload::Text("")), None);
    }
}
