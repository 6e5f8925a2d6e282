//! MQTT 3.1.1 and 5 control packets over WebSocket (subprotocol `mqtt`; binary messages that
//! may hold several packets). Reads the fixed header, the packet type and flags, packet ids,
//! topics, QoS and return/reason codes. MQTT 5 properties are skipped by their length (the
//! tree says how many bytes), not decoded.
//!
//! Hand-written rather than `mqttbytes` (last released 2021) or `rumqttc`'s parser: those take
//! a packet whole or reject it, where wirebook shows what it could read of a malformed or
//! partial packet with a finding; the layout is a varint and length-prefixed strings. A packet
//! split across WebSocket messages (which MQTT allows) is not reassembled: its first part says
//! so in a finding.

use serde_json::{json, Map, Value};

use super::{clip, name, Decoded, Lens, LensState, PairKey, Payload, MAX_PARTS};
use crate::hex::hex;

const TYPES: [&str; 16] = [
    "reserved",
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
];

/// The most topic filters read from one SUBSCRIBE or UNSUBSCRIBE.
const MAX_FILTERS: usize = 64;

/// A cursor over a packet's bytes; every read is checked.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    /// A variable byte integer (at most 4 bytes).
    fn varint(&mut self) -> Option<usize> {
        let mut value = 0usize;
        for i in 0..4 {
            let b = self.u8()?;
            value |= usize::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// A UTF-8 string with a two-byte length (lossy: a bad byte is shown, not fatal).
    fn string(&mut self) -> Option<String> {
        let len = usize::from(self.u16()?);
        Some(String::from_utf8_lossy(self.take(len)?).into_owned())
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        self.pos = self.bytes.len();
        rest
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

pub fn decode(state: &mut LensState, payload: Payload<'_>) -> Decoded {
    let mut d = Decoded::new(Lens::Mqtt);
    let bytes = match payload {
        Payload::Binary(b) => b,
        Payload::Text(t) => {
            d.findings
                .push("MQTT over WebSocket must use binary messages, not text".to_string());
            t.as_bytes()
        }
    };
    let mut reader = Reader { bytes, pos: 0 };
    let mut trees = Vec::new();
    let mut summaries = Vec::new();
    while !reader.at_end() {
        if trees.len() == MAX_PARTS {
            d.findings.push(format!(
                "more than {MAX_PARTS} packets in one message; the rest are not decoded"
            ));
            break;
        }
        let start = reader.pos;
        let Some(first) = reader.u8() else { break };
        let Some(remaining) = reader.varint() else {
            d.findings
                .push("the remaining length is cut off or longer than 4 bytes".to_string());
            summaries.push(format!("{} (cut)", TYPES[usize::from(first >> 4)]));
            break;
        };
        let available = bytes.len() - reader.pos;
        let body = reader.take(remaining.min(available)).unwrap_or(&[]);
        let (tree, summary) = packet(&mut d, state, first, body);
        if remaining > available {
            d.findings.push(format!(
                "{}: the packet announces {remaining} bytes, {available} are in this message \
                 (the rest may follow in the next; not reassembled)",
                TYPES[usize::from(first >> 4)]
            ));
        }
        let mut tree = tree;
        if let Value::Object(map) = &mut tree {
            map.insert("offset".into(), json!(start));
            map.insert("remaining length".into(), json!(remaining));
        }
        trees.push(tree);
        summaries.push(summary);
    }
    if bytes.is_empty() {
        d.findings.push("an empty message".to_string());
    }
    d.summarise(summaries.join("; "));
    d.tree = if trees.len() == 1 {
        trees.remove(0)
    } else {
        Value::Array(trees)
    };
    d
}

fn reason(code: u8) -> &'static str {
    // MQTT 5 §2.4 reason codes most seen on acks (3.1.1's CONNACK codes 0–5 differ; see
    // `connack_311`).
    match code {
        0x00 => "success",
        0x01 => "granted QoS 1",
        0x02 => "granted QoS 2",
        0x04 => "disconnect with will",
        0x10 => "no matching subscribers",
        0x11 => "no subscription existed",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x8f => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x92 => "packet identifier not found",
        0x97 => "quota exceeded",
        _ => "",
    }
}

fn connack_311(code: u8) -> &'static str {
    match code {
        0 => "accepted",
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "",
    }
}

/// Reads one packet's variable header and payload; returns its tree and summary.
fn packet(d: &mut Decoded, state: &mut LensState, first: u8, body: &[u8]) -> (Value, String) {
    let kind = first >> 4;
    let flags = first & 0x0f;
    let type_name = TYPES[usize::from(kind)];
    d.text_field("mqtt.type", type_name);
    let v5 = state.mqtt_level == Some(5);
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    let mut tree = Map::new();
    tree.insert("type".into(), json!(type_name));
    tree.insert("flags".into(), json!(format!("{flags:04b}")));
    let mut cut = false;
    let mut summary = type_name.to_string();

    // MQTT 5 properties: a varint length, then that many bytes, skipped.
    let properties = |r: &mut Reader, tree: &mut Map<String, Value>, cut: &mut bool| {
        if !v5 {
            return;
        }
        match r.varint().and_then(|len| r.take(len).map(|p| (len, p))) {
            Some((len, p)) => {
                tree.insert(
                    "properties".into(),
                    json!(format!("{len} bytes, not decoded: {}", hex(p))),
                );
            }
            None => *cut = true,
        }
    };
    let packet_id = |r: &mut Reader, d: &mut Decoded, tree: &mut Map<String, Value>| {
        let id = r.u16();
        if let Some(id) = id {
            tree.insert("packet id".into(), json!(id));
            d.number_field("mqtt.packet_id", i64::from(id));
        }
        id
    };
    let expected_flags = match kind {
        6 | 8 | 10 => Some(0b0010),
        3 => None,
        _ => Some(0),
    };
    if let Some(expected) = expected_flags {
        if flags != expected && kind != 0 {
            d.findings.push(format!(
                "{type_name}: reserved flags {flags:04b}, must be {expected:04b}"
            ));
        }
    }

    match kind {
        1 => {
            let protocol = r.string();
            let level = r.u8();
            let connect_flags = r.u8();
            let keepalive = r.u16();
            if let Some(level) = level {
                state.mqtt_level = Some(level);
            }
            let v5 = level == Some(5);
            if v5 {
                match r.varint().and_then(|len| r.take(len).map(|p| (len, p))) {
                    Some((len, p)) => {
                        tree.insert(
                            "properties".into(),
                            json!(format!("{len} bytes, not decoded: {}", hex(p))),
                        );
                    }
                    None => cut = true,
                }
            }
            let client = r.string();
            if client.is_none() {
                cut = true;
            }
            let version = match level {
                Some(3) => "3.1",
                Some(4) => "3.1.1",
                Some(5) => "5",
                _ => "?",
            };
            if protocol.as_deref() != Some("MQTT") && protocol.as_deref() != Some("MQIsdp") {
                d.findings.push(format!(
                    "CONNECT names protocol {:?}, not MQTT",
                    clip(protocol.as_deref().unwrap_or(""), 12)
                ));
            }
            tree.insert("protocol".into(), json!(protocol));
            tree.insert("level".into(), json!(level));
            tree.insert(
                "connect flags".into(),
                json!(connect_flags.map(|f| format!("{f:08b}"))),
            );
            tree.insert("keep alive".into(), json!(keepalive));
            tree.insert("client id".into(), json!(client));
            if let Some(client) = &client {
                d.text_field("mqtt.client_id", client.as_str());
            }
            d.keys.push(PairKey::request("mqtt.connect", ""));
            summary = format!(
                "CONNECT {} v{version}",
                name(client.as_deref().unwrap_or("?"))
            );
        }
        2 => {
            let ack_flags = r.u8();
            let code = r.u8();
            properties(&mut r, &mut tree, &mut cut);
            tree.insert(
                "session present".into(),
                json!(ack_flags.map(|f| f & 1 == 1)),
            );
            tree.insert("return code".into(), json!(code));
            d.keys.push(PairKey::response("mqtt.connect", "", true));
            match code {
                Some(code) => {
                    let meaning = if v5 { reason(code) } else { connack_311(code) };
                    summary = format!("CONNACK {code} {meaning}").trim_end().to_string();
                    if (v5 && code >= 0x80) || (!v5 && code != 0) {
                        d.number_field("mqtt.reason", i64::from(code));
                    }
                }
                None => cut = true,
            }
        }
        3 => {
            let qos = (flags >> 1) & 3;
            let topic = r.string();
            if qos == 3 {
                d.findings
                    .push("PUBLISH with QoS 3, which is reserved".to_string());
            }
            let id = if qos > 0 {
                packet_id(&mut r, d, &mut tree)
            } else {
                None
            };
            properties(&mut r, &mut tree, &mut cut);
            let body = r.rest();
            if topic.is_none() || (qos > 0 && id.is_none()) {
                cut = true;
            }
            tree.insert("topic".into(), json!(topic));
            tree.insert("qos".into(), json!(qos));
            tree.insert("dup".into(), json!(flags & 8 != 0));
            tree.insert("retain".into(), json!(flags & 1 != 0));
            tree.insert(
                "payload".into(),
                match std::str::from_utf8(body) {
                    Ok(text) => json!(text),
                    Err(_) => json!(format!("hex {}", hex(body))),
                },
            );
            d.number_field("mqtt.qos", i64::from(qos));
            if let Some(topic) = &topic {
                d.text_field("mqtt.topic", topic.as_str());
            }
            summary = format!(
                "PUBLISH {} qos {qos}",
                name(topic.as_deref().unwrap_or("?"))
            );
            if let Some(id) = id {
                summary.push_str(&format!(" id {id}"));
                match qos {
                    1 => d.keys.push(PairKey::request("mqtt.puback", id.to_string())),
                    2 => d.keys.push(PairKey::request("mqtt.pubrec", id.to_string())),
                    _ => {}
                }
            }
            summary.push_str(&format!(" ({} bytes)", body.len()));
        }
        4..=7 => {
            let id = packet_id(&mut r, d, &mut tree);
            if v5 && !r.at_end() {
                let code = r.u8();
                tree.insert("reason code".into(), json!(code));
                if !r.at_end() {
                    properties(&mut r, &mut tree, &mut cut);
                }
                if let Some(code) = code.filter(|c| *c >= 0x80) {
                    d.number_field("mqtt.reason", i64::from(code));
                }
            }
            match id {
                Some(id) => {
                    summary.push_str(&format!(" id {id}"));
                    let id = id.to_string();
                    d.keys.push(match kind {
                        4 => PairKey::response("mqtt.puback", id, true),
                        5 => PairKey::response("mqtt.pubrec", id, true),
                        6 => PairKey::request("mqtt.pubrel", id),
                        _ => PairKey::response("mqtt.pubrel", id, true),
                    });
                }
                None => cut = true,
            }
        }
        8 | 10 => {
            let id = packet_id(&mut r, d, &mut tree);
            properties(&mut r, &mut tree, &mut cut);
            let mut filters = Vec::new();
            while !r.at_end() {
                if filters.len() == MAX_FILTERS {
                    d.findings.push(format!(
                        "more than {MAX_FILTERS} topic filters; the rest skipped"
                    ));
                    break;
                }
                let Some(filter) = r.string() else {
                    cut = true;
                    break;
                };
                d.text_field("mqtt.topic", filter.as_str());
                if kind == 8 {
                    let Some(options) = r.u8() else {
                        cut = true;
                        break;
                    };
                    filters.push(json!({ "filter": filter, "qos": options & 3 }));
                } else {
                    filters.push(json!({ "filter": filter }));
                }
            }
            if filters.is_empty() {
                d.findings
                    .push(format!("{type_name} must name at least one topic filter"));
            }
            let first = filters
                .first()
                .and_then(|f| f["filter"].as_str())
                .map(name)
                .unwrap_or_default();
            let more = match filters.len() {
                0 | 1 => String::new(),
                n => format!(" +{}", n - 1),
            };
            tree.insert("filters".into(), Value::Array(filters));
            match id {
                Some(id) => {
                    let k = if kind == 8 {
                        "mqtt.subscribe"
                    } else {
                        "mqtt.unsubscribe"
                    };
                    d.keys.push(PairKey::request(k, id.to_string()));
                    summary = format!("{type_name} #{id} {first}{more}");
                }
                None => cut = true,
            }
        }
        9 | 11 => {
            let id = packet_id(&mut r, d, &mut tree);
            properties(&mut r, &mut tree, &mut cut);
            let codes = r.rest();
            tree.insert("return codes".into(), json!(codes));
            if let Some(bad) = codes.iter().find(|c| **c >= 0x80) {
                d.number_field("mqtt.reason", i64::from(*bad));
            }
            match id {
                Some(id) => {
                    let k = if kind == 9 {
                        "mqtt.subscribe"
                    } else {
                        "mqtt.unsubscribe"
                    };
                    d.keys.push(PairKey::response(k, id.to_string(), true));
                    summary = format!("{type_name} #{id}");
                    if !codes.is_empty() {
                        summary.push_str(&format!(" {codes:?}"));
                    }
                }
                None => cut = true,
            }
        }
        12 => d.keys.push(PairKey::request("mqtt.ping", "")),
        13 => d.keys.push(PairKey::response("mqtt.ping", "", true)),
        14 | 15 => {
            if v5 && !r.at_end() {
                let code = r.u8();
                tree.insert("reason code".into(), json!(code));
                if let Some(code) = code {
                    let meaning = reason(code);
                    if !meaning.is_empty() {
                        summary.push_str(&format!(" {meaning}"));
                    }
                }
                if !r.at_end() {
                    properties(&mut r, &mut tree, &mut cut);
                }
            }
            if kind == 15 && !v5 {
                d.findings.push("AUTH exists only in MQTT 5".to_string());
            }
        }
        _ => d.findings.push("packet type 0 is reserved".to_string()),
    }
    if cut {
        d.findings
            .push(format!("{type_name}: the packet ends before its fields do"));
    } else if !r.at_end() && kind != 3 {
        d.findings.push(format!(
            "{type_name}: {} bytes after the fields",
            body.len() - r.pos
        ));
    }
    (Value::Object(tree), summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::unhex;
    use crate::lens::FieldValue;

    fn vector(state: &mut LensState, hex_text: &str) -> Decoded {
        decode(state, Payload::Binary(&unhex(hex_text).unwrap()))
    }

    #[test]
    fn the_311_packets() {
        // MQTT 3.1.1 §3 layouts, built by hand.
        let mut s = LensState::default();
        let d = vector(&mut s, "101000044d5154540402003c000461626364");
        assert_eq!(d.summary, "CONNECT abcd v3.1.1");
        assert_eq!(s.mqtt_level, Some(4));
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        let d = vector(&mut s, "20020000");
        assert_eq!(d.summary, "CONNACK 0 accepted");
        let d = vector(&mut s, "32090003612f62000a6869");
        assert_eq!(d.summary, "PUBLISH a/b qos 1 id 10 (2 bytes)");
        assert_eq!(d.keys, [PairKey::request("mqtt.puback", "10")]);
        assert_eq!(d.field("mqtt.topic"), Some(&FieldValue::Text("a/b".into())));
        let d = vector(&mut s, "4002000a");
        assert_eq!(d.keys, [PairKey::response("mqtt.puback", "10", true)]);
        // Two packets in one message.
        let d = vector(&mut s, "c000d000");
        assert_eq!(d.summary, "PINGREQ; PINGRESP");
        assert_eq!(d.keys.len(), 2);
    }

    #[test]
    fn v5_properties_are_skipped_by_length() {
        let mut s = LensState::default();
        vector(&mut s, "101100044d515454050200000000046162636400");
        assert_eq!(s.mqtt_level, Some(5));
        // PUBLISH qos 1 id 2 with 3 bytes of properties (0x01 payload format 1, 0x23 alias 1).
        let d = vector(&mut s, "320d00036162630002030101230001");
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        assert_eq!(d.tree["properties"], "3 bytes, not decoded: 010123");
        let d = vector(&mut s, "40030002 10".replace(' ', "").as_str());
        assert_eq!(d.tree["reason code"], 0x10);
    }

    #[test]
    fn malformed_packets_are_findings() {
        let mut s = LensState::default();
        for bad in [
            "",
            "30",
            "30ffffffff7f",
            "3005",
            "320300016100",
            "0000",
            "8203000100",
            "62020001ff",
            "1002000400",
            "3606000161000101",
        ] {
            let d = vector(&mut s, bad);
            assert!(!d.findings.is_empty(), "{bad:?}");
        }
        let d = decode(&mut s, Payload::Text("hello"));
        assert!(!d.findings.is_empty());
    }
}
