//! Engine.IO v4 packets carrying Socket.IO v5 packets, over the `websocket` transport.
//!
//! A text message is `<engine.io type digit><data>`; a `4` (message) carries a Socket.IO
//! packet: `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`. A binary message is a
//! binary attachment of the last BINARY_EVENT/BINARY_ACK in the same direction (whose JSON
//! holds `{"_placeholder":true,"num":N}` in its place). Hand-written: no crate parses this
//! layout for wasm, and the header is a few digits and a comma.

use serde_json::{json, Map, Value};

use super::{clip, name, need_text, parse_json, Decoded, Lens, LensState, PairKey, Payload};
use crate::direction::Direction;

const ENGINE_TYPES: [&str; 7] = [
    "open", "close", "ping", "pong", "message", "upgrade", "noop",
];
const SOCKET_TYPES: [&str; 7] = [
    "CONNECT",
    "DISCONNECT",
    "EVENT",
    "ACK",
    "CONNECT_ERROR",
    "BINARY_EVENT",
    "BINARY_ACK",
];

/// The longest digit run read as a count or ack id (u64 fits 19 digits).
const MAX_DIGITS: usize = 18;

/// The most binary attachments one packet may announce.
const MAX_ATTACHMENTS: u32 = 1024;

pub fn decode(state: &mut LensState, direction: Direction, payload: Payload<'_>) -> Decoded {
    let mut d = Decoded::new(Lens::SocketIo);
    let slot = match direction {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    };
    if let Payload::Binary(bytes) = payload {
        d.text_field("engineio.type", "binary");
        d.tree = json!({ "engine.io": "binary attachment", "bytes": bytes.len() });
        if state.socketio_attachments[slot] == 0 {
            d.findings
                .push("a binary message that no BINARY_EVENT or BINARY_ACK announced".to_string());
        } else {
            state.socketio_attachments[slot] -= 1;
        }
        d.summarise(format!("attachment ({} bytes)", bytes.len()));
        return d;
    }
    let Some(text) = need_text(payload, &mut d) else {
        return d;
    };
    let mut chars = text.chars();
    let Some(engine) = chars
        .next()
        .and_then(|c| c.to_digit(10))
        .and_then(|n| ENGINE_TYPES.get(n as usize).copied())
    else {
        d.findings.push(format!(
            "an Engine.IO packet starts with a type digit 0–6, not {:?}",
            clip(text.as_ref(), 8)
        ));
        d.summarise("not Engine.IO".to_string());
        return d;
    };
    d.text_field("engineio.type", engine);
    let rest = &text[1..];
    match engine {
        "message" => socket_packet(&mut d, state, slot, rest),
        "open" => {
            let handshake = parse_json(rest, "the open packet", &mut d.findings);
            let sid = handshake
                .as_ref()
                .and_then(|h| h.get("sid"))
                .and_then(Value::as_str)
                .map(name);
            d.summarise(match &sid {
                Some(sid) => format!("open sid {sid}"),
                None => "open".to_string(),
            });
            d.tree = json!({ "engine.io": "open", "handshake": handshake });
        }
        "ping" | "pong" => {
            // `2probe`/`3probe` test a transport upgrade.
            let ping = engine == "ping";
            d.keys.push(if ping {
                PairKey::request("engineio.ping", rest)
            } else {
                PairKey::response("engineio.ping", rest, true)
            });
            d.summarise(if rest.is_empty() {
                engine.to_string()
            } else {
                format!("{engine} {}", name(rest))
            });
            d.tree = json!({ "engine.io": engine, "data": rest });
        }
        _ => {
            d.summarise(engine.to_string());
            d.tree = json!({ "engine.io": engine, "data": rest });
        }
    }
    d
}

/// Reads a run of ASCII digits at the start of `text`: the number and what follows it.
fn digits(text: &str) -> Option<(u64, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if end == 0 || end > MAX_DIGITS {
        return None;
    }
    Some((text[..end].parse().ok()?, &text[end..]))
}

fn socket_packet(d: &mut Decoded, state: &mut LensState, slot: usize, text: &str) {
    let Some(kind) = text
        .chars()
        .next()
        .and_then(|c| c.to_digit(10))
        .and_then(|n| SOCKET_TYPES.get(n as usize).copied())
    else {
        d.findings.push(format!(
            "a Socket.IO packet starts with a type digit 0–6, not {:?}",
            clip(text, 8)
        ));
        d.summarise("message (not Socket.IO)".to_string());
        d.tree = json!({ "engine.io": "message", "data": text });
        return;
    };
    d.text_field("socketio.type", kind);
    let mut rest = &text[1..];
    let mut tree = Map::new();
    tree.insert("engine.io".into(), json!("message"));
    tree.insert("socket.io".into(), json!(kind));

    let binary = kind.starts_with("BINARY");
    let mut attachments = 0;
    if binary {
        match digits(rest).and_then(|(n, r)| Some((n, r.strip_prefix('-')?))) {
            Some((n, r)) => {
                attachments = n.min(u64::from(MAX_ATTACHMENTS)) as u32;
                if n > u64::from(MAX_ATTACHMENTS) {
                    d.findings.push(format!(
                        "{n} attachments announced; counted as {MAX_ATTACHMENTS}"
                    ));
                }
                rest = r;
            }
            None => d
                .findings
                .push(format!("{kind} without its attachment count `N-`")),
        }
        state.socketio_attachments[slot] = attachments;
        tree.insert("attachments".into(), json!(attachments));
    }

    let mut namespace = "/";
    if rest.starts_with('/') {
        match rest.find(',') {
            Some(comma) => {
                namespace = &rest[..comma];
                rest = &rest[comma + 1..];
            }
            None => {
                // A namespace with no payload may end the packet (`1/chat`).
                namespace = rest;
                rest = "";
            }
        }
    }
    tree.insert("namespace".into(), json!(namespace));
    d.text_field("socketio.namespace", namespace);

    let mut ack = None;
    if let Some((id, r)) = digits(rest) {
        ack = Some(id);
        rest = r;
        tree.insert("ack id".into(), json!(id));
        d.number_field("socketio.ack", id.min(i64::MAX as u64) as i64);
    }

    let data = if rest.is_empty() {
        None
    } else {
        parse_json(rest, "the packet's data", &mut d.findings)
    };

    let ns_suffix = if namespace == "/" {
        String::new()
    } else {
        format!(" on {}", name(namespace))
    };
    let ack_key = |id: u64| format!("{namespace}#{id}");
    let plus_attachments = match attachments {
        0 => String::new(),
        1 => " +1 attachment".to_string(),
        n => format!(" +{n} attachments"),
    };
    let summary = match kind {
        "EVENT" | "BINARY_EVENT" => {
            let event = data
                .as_ref()
                .and_then(|v| v.as_array())
                .and_then(|a| a.first())
                .and_then(Value::as_str);
            match event {
                Some(event) => d.text_field("socketio.event", event),
                None => d.findings.push(
                    "an EVENT's data is an array whose first element is the event name".to_string(),
                ),
            }
            let mut s = format!("emit \"{}\"", name(event.unwrap_or("?")));
            if let Some(id) = ack {
                d.keys.push(PairKey::request("socketio.ack", ack_key(id)));
                s.push_str(&format!(" ack {id}"));
            }
            s + &plus_attachments + &ns_suffix
        }
        "ACK" | "BINARY_ACK" => match ack {
            Some(id) => {
                d.keys
                    .push(PairKey::response("socketio.ack", ack_key(id), true));
                let args = data.as_ref().map(|v| v.to_string()).unwrap_or_default();
                format!("ack {id} {}", clip(&args, 60)) + &plus_attachments + &ns_suffix
            }
            None => {
                d.findings.push("an ACK without an ack id".to_string());
                "ack".to_string() + &ns_suffix
            }
        },
        "CONNECT" => {
            // The client asks to join a namespace; the server's CONNECT (with a sid) admits it.
            if slot == 0 {
                d.keys.push(PairKey::request("socketio.connect", namespace));
            } else {
                d.keys
                    .push(PairKey::response("socketio.connect", namespace, true));
            }
            format!("connect {}", name(namespace))
        }
        "CONNECT_ERROR" => {
            d.keys
                .push(PairKey::response("socketio.connect", namespace, true));
            let message = data
                .as_ref()
                .and_then(|v| v.get("message").and_then(Value::as_str).or(v.as_str()))
                .unwrap_or("");
            format!("connect error {}: {}", name(namespace), name(message))
        }
        _ => format!("disconnect {}", name(namespace)),
    };
    d.summarise(summary);
    if let Some(data) = data {
        tree.insert("data".into(), data);
    }
    d.tree = Value::Object(tree);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lens::{FieldValue, Role};

    fn text(state: &mut LensState, dir: Direction, t: &str) -> Decoded {
        decode(state, dir, Payload::Text(t))
    }

    #[test]
    fn the_protocol_readme_examples() {
        // socket.io-protocol v5 README, "Exchange protocol" and "Packet encoding".
        let mut s = LensState::default();
        let d = text(&mut s, Direction::ToServer, r#"42["hello","world"]"#);
        assert_eq!(d.summary, r#"emit "hello""#);
        assert_eq!(
            d.field("socketio.event"),
            Some(&FieldValue::Text("hello".into()))
        );
        assert!(d.keys.is_empty());

        let d = text(
            &mut s,
            Direction::ToServer,
            r#"42/admin,13["project:delete",123]"#,
        );
        assert_eq!(d.summary, r#"emit "project:delete" ack 13 on /admin"#);
        assert_eq!(d.keys, [PairKey::request("socketio.ack", "/admin#13")]);

        let d = text(&mut s, Direction::ToClient, r#"43/admin,13[]"#);
        assert_eq!(
            d.keys,
            [PairKey::response("socketio.ack", "/admin#13", true)]
        );
        assert!(d.summary.starts_with("ack 13"));

        let d = text(
            &mut s,
            Direction::ToServer,
            r#"452-["hello",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        );
        assert_eq!(d.summary, r#"emit "hello" +2 attachments"#);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        for _ in 0..2 {
            let a = decode(&mut s, Direction::ToServer, Payload::Binary(&[1, 2, 3]));
            assert!(a.findings.is_empty());
            assert_eq!(a.summary, "attachment (3 bytes)");
        }
        let a = decode(&mut s, Direction::ToServer, Payload::Binary(&[1]));
        assert_eq!(a.findings.len(), 1, "a third attachment was not announced");

        let d = text(
            &mut s,
            Direction::ToClient,
            r#"44{"message":"Not authorized"}"#,
        );
        assert_eq!(d.summary, "connect error /: Not authorized");
        assert_eq!(d.keys[0].role, Role::Response { last: true });

        let d = text(&mut s, Direction::ToServer, "41/admin,");
        assert_eq!(d.summary, "disconnect /admin");
        let d = text(&mut s, Direction::ToClient, "2probe");
        assert_eq!(d.summary, "ping probe");
        assert_eq!(d.keys, [PairKey::request("engineio.ping", "probe")]);
    }

    #[test]
    fn malformed_packets_are_findings() {
        let mut s = LensState::default();
        for bad in [
            "",
            "9",
            "x",
            "4",
            "49",
            "42[",
            "42{}",
            "45[\"a\"]",
            "43",
            "42/ns",
            "0{",
            "4299999999999999999999999[]",
            "45999999999-[\"x\"]",
            "é",
        ] {
            let d = text(&mut s, Direction::ToServer, bad);
            assert!(!d.findings.is_empty() || !d.summary.is_empty(), "{bad:?}");
        }
        let d = text(&mut s, Direction::ToServer, "42[");
        assert_eq!(d.findings.len(), 2, "{:?}", d.findings);
    }
}
