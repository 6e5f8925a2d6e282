//! The SignalR JSON hub protocol (aspnetcore's HubProtocol.md): JSON records, each ended by
//! the record separator 0x1E, several per WebSocket message. The first record each way is the
//! handshake (`{"protocol":"json","version":1}`, answered `{}` or `{"error":…}`); the rest carry
//! a numeric `type` 1–7 (8 and 9 are the stateful-reconnect additions).
//!
//! Pairing: an Invocation or StreamInvocation with an `invocationId` is answered by
//! StreamItems and closed by its Completion; CancelInvocation cancels it.

use serde_json::Value;

use super::{clip, name, need_text, parse_json, Decoded, Lens, PairKey, Payload, MAX_PARTS};

/// The record separator that ends every record.
pub const RECORD_SEPARATOR: char = '\u{1e}';

const INVOCATION: &str = "signalr.invocation";
const HANDSHAKE: &str = "signalr.handshake";

fn type_name(kind: i64) -> Option<&'static str> {
    Some(match kind {
        1 => "Invocation",
        2 => "StreamItem",
        3 => "Completion",
        4 => "StreamInvocation",
        5 => "CancelInvocation",
        6 => "Ping",
        7 => "Close",
        8 => "Ack",
        9 => "Sequence",
        _ => return None,
    })
}

pub fn decode(payload: Payload<'_>) -> Decoded {
    let mut d = Decoded::new(Lens::SignalR);
    let Some(text) = need_text(payload, &mut d) else {
        return d;
    };
    let mut records: Vec<&str> = text.split(RECORD_SEPARATOR).collect();
    match records.pop() {
        Some("") => {}
        _ => d
            .findings
            .push("the message does not end with the record separator 0x1E".to_string()),
    }
    if records.len() > MAX_PARTS {
        d.findings.push(format!(
            "{} records in one message; the first {MAX_PARTS} are decoded",
            records.len()
        ));
        records.truncate(MAX_PARTS);
    }
    let mut trees = Vec::new();
    let mut summaries = Vec::new();
    for record in records {
        match parse_json(record, "a record", &mut d.findings) {
            Some(value) => {
                summaries.push(one(&mut d, &value));
                trees.push(value);
            }
            None => summaries.push("?".to_string()),
        }
    }
    d.summarise(summaries.join("; "));
    d.tree = if trees.len() == 1 {
        trees.remove(0)
    } else {
        Value::Array(trees)
    };
    d
}

fn one(d: &mut Decoded, record: &Value) -> String {
    let Some(object) = record.as_object() else {
        d.findings.push("a record is a JSON object".to_string());
        return "?".to_string();
    };
    let Some(kind) = object.get("type") else {
        // Only the handshake has no type.
        d.text_field("signalr.type", "handshake");
        if let Some(protocol) = object.get("protocol").and_then(Value::as_str) {
            d.keys.push(PairKey::request(HANDSHAKE, ""));
            let version = object
                .get("version")
                .map(Value::to_string)
                .unwrap_or_default();
            return format!("handshake {} v{version}", name(protocol));
        }
        d.keys.push(PairKey::response(HANDSHAKE, "", true));
        return match object.get("error").and_then(Value::as_str) {
            Some(error) => format!("handshake error: {}", name(error)),
            None => "handshake ok".to_string(),
        };
    };
    let Some(kind_name) = kind.as_i64().and_then(type_name) else {
        d.findings.push(format!(
            "{} is not a hub message type",
            clip(&kind.to_string(), 12)
        ));
        return "?".to_string();
    };
    d.text_field("signalr.type", kind_name);
    let id = object.get("invocationId").and_then(Value::as_str);
    if let Some(id) = id {
        d.text_field("signalr.invocation_id", id);
    }
    let id_suffix = id.map(|i| format!(" id {}", name(i))).unwrap_or_default();
    let target = object.get("target").and_then(Value::as_str);
    if let Some(target) = target {
        d.text_field("signalr.target", target);
    }
    let need_id = |d: &mut Decoded| {
        if id.is_none() {
            d.findings
                .push(format!("a {kind_name} needs an invocationId"));
        }
    };
    match kind_name {
        "Invocation" | "StreamInvocation" => {
            if target.is_none() {
                d.findings.push(format!("a {kind_name} needs a target"));
            }
            if kind_name == "StreamInvocation" {
                need_id(d);
            }
            if let Some(id) = id {
                d.keys.push(PairKey::request(INVOCATION, id));
            }
            let verb = if kind_name == "Invocation" {
                "invoke"
            } else {
                "stream"
            };
            format!("{verb} {}{id_suffix}", name(target.unwrap_or("?")))
        }
        "StreamItem" => {
            need_id(d);
            if let Some(id) = id {
                d.keys.push(PairKey::response(INVOCATION, id, false));
            }
            let item = object.get("item").map(Value::to_string).unwrap_or_default();
            format!("item{id_suffix}: {}", clip(&item, 40))
        }
        "Completion" => {
            need_id(d);
            if let Some(id) = id {
                d.keys.push(PairKey::response(INVOCATION, id, true));
            }
            match (object.get("error"), object.get("result")) {
                (Some(error), _) => format!(
                    "completion{id_suffix} error: {}",
                    name(error.as_str().unwrap_or(""))
                ),
                (None, Some(result)) => {
                    format!("completion{id_suffix}: {}", clip(&result.to_string(), 40))
                }
                (None, None) => format!("completion{id_suffix}"),
            }
        }
        "CancelInvocation" => {
            need_id(d);
            if let Some(id) = id {
                d.keys.push(PairKey::cancel(INVOCATION, id));
            }
            format!("cancel{id_suffix}")
        }
        "Close" => match object.get("error").and_then(Value::as_str) {
            Some(error) => format!("close: {}", name(error)),
            None => "close".to_string(),
        },
        other => other.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lens::Role;

    fn vector(text: &str) -> Decoded {
        decode(Payload::Text(text))
    }

    #[test]
    fn hub_protocol_examples() {
        // aspnetcore HubProtocol.md, "JSON Encoding" examples.
        let d = vector("{\"protocol\":\"json\",\"version\":1}\u{1e}");
        assert_eq!(d.summary, "handshake json v1");
        assert_eq!(
            vector("{}\u{1e}").keys,
            [PairKey::response(HANDSHAKE, "", true)]
        );
        let d = vector(
            "{\"type\":1,\"invocationId\":\"123\",\"target\":\"Send\",\"arguments\":[42,\"Test Message\"]}\u{1e}",
        );
        assert_eq!(d.summary, "invoke Send id 123");
        assert_eq!(d.keys, [PairKey::request(INVOCATION, "123")]);
        let d = vector("{\"type\":1,\"target\":\"Send\",\"arguments\":[42]}\u{1e}");
        assert!(
            d.keys.is_empty(),
            "a non-blocking invocation expects no answer"
        );
        let d = vector("{\"type\":2,\"invocationId\":\"123\",\"item\":42}\u{1e}{\"type\":3,\"invocationId\":\"123\",\"result\":42}\u{1e}");
        assert_eq!(d.summary, "item id 123: 42; completion id 123: 42");
        assert_eq!(d.keys[0].role, Role::Response { last: false });
        assert_eq!(d.keys[1].role, Role::Response { last: true });
        let d = vector("{\"type\":3,\"invocationId\":\"123\",\"error\":\"It didn't work!\"}\u{1e}");
        assert_eq!(d.summary, "completion id 123 error: It didn't work!");
        let d = vector("{\"type\":5,\"invocationId\":\"123\"}\u{1e}");
        assert_eq!(d.keys, [PairKey::cancel(INVOCATION, "123")]);
        assert_eq!(vector("{\"type\":6}\u{1e}").summary, "ping");
        assert_eq!(
            vector("{\"type\":7,\"error\":\"Connection closed because of an error!\"}\u{1e}")
                .summary,
            "close: Connection closed because of an error!"
        );
    }

    #[test]
    fn malformed_records_are_findings() {
        for bad in [
            "{\"type\":6}",
            "{\u{1e}",
            "[]\u{1e}",
            "{\"type\":99}\u{1e}",
            "{\"type\":\"1\"}\u{1e}",
            "{\"type\":3}\u{1e}",
            "{\"type\":1,\"arguments\":[]}\u{1e}",
        ] {
            assert!(!vector(bad).findings.is_empty(), "{bad:?}");
        }
    }
}
