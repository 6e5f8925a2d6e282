//! WAMP v2 over WebSocket, JSON serialisation (`wamp.2.json`, the WAMP spec's message
//! codes): every message is a JSON array `[code, ...]`.
//!
//! Pairing: request ids are scoped per request type, so a key is the request's code and id:
//! CALL ↔ RESULT (a progressive result, `progress: true`, does not close it) or ERROR,
//! SUBSCRIBE ↔ SUBSCRIBED, PUBLISH (with `acknowledge`) ↔ PUBLISHED, REGISTER ↔ REGISTERED,
//! UNSUBSCRIBE / UNREGISTER ↔ their acks, INVOCATION ↔ YIELD; HELLO ↔ WELCOME or ABORT.

use serde_json::Value;

use super::{clip, name, need_text, parse_json, Decoded, Lens, PairKey, Payload};

fn message_name(code: u64) -> Option<&'static str> {
    Some(match code {
        1 => "HELLO",
        2 => "WELCOME",
        3 => "ABORT",
        4 => "CHALLENGE",
        5 => "AUTHENTICATE",
        6 => "GOODBYE",
        8 => "ERROR",
        16 => "PUBLISH",
        17 => "PUBLISHED",
        32 => "SUBSCRIBE",
        33 => "SUBSCRIBED",
        34 => "UNSUBSCRIBE",
        35 => "UNSUBSCRIBED",
        36 => "EVENT",
        48 => "CALL",
        49 => "CANCEL",
        50 => "RESULT",
        64 => "REGISTER",
        65 => "REGISTERED",
        66 => "UNREGISTER",
        67 => "UNREGISTERED",
        68 => "INVOCATION",
        69 => "INTERRUPT",
        70 => "YIELD",
        _ => return None,
    })
}

/// The pairing kind of a request code (one per request type).
fn kind(request_code: u64) -> Option<&'static str> {
    Some(match request_code {
        16 => "wamp.publish",
        32 => "wamp.subscribe",
        34 => "wamp.unsubscribe",
        48 => "wamp.call",
        64 => "wamp.register",
        66 => "wamp.unregister",
        68 => "wamp.invocation",
        _ => return None,
    })
}

pub fn decode(payload: Payload<'_>) -> Decoded {
    let mut d = Decoded::new(Lens::Wamp);
    let Some(text) = need_text(payload, &mut d) else {
        return d;
    };
    let Some(value) = parse_json(&text, "the message", &mut d.findings) else {
        d.summarise("not JSON".to_string());
        return d;
    };
    let summary = message(&mut d, &value);
    d.summarise(summary);
    d.tree = value;
    d
}

fn message(d: &mut Decoded, value: &Value) -> String {
    let Some(items) = value.as_array() else {
        d.findings
            .push("a WAMP message is a JSON array".to_string());
        return "?".to_string();
    };
    let Some((code, code_name)) = items
        .first()
        .and_then(Value::as_u64)
        .and_then(|c| Some((c, message_name(c)?)))
    else {
        d.findings
            .push("a WAMP message starts with a known message code".to_string());
        return "?".to_string();
    };
    d.text_field("wamp.type", code_name);
    let at = |i: usize| items.get(i);
    let id = |i: usize| at(i).and_then(Value::as_u64);
    let uri = |i: usize| at(i).and_then(Value::as_str);
    let need = |what: &str, ok: bool, d: &mut Decoded| {
        if !ok {
            d.findings.push(format!("{code_name} needs {what}"));
        }
    };
    let mut summary = code_name.to_string();
    let request_id = |i: usize, d: &mut Decoded, summary: &mut String| {
        let found = id(i);
        need("a request id", found.is_some(), d);
        if let Some(r) = found {
            d.number_field("wamp.request", r.min(i64::MAX as u64) as i64);
            summary.push_str(&format!(" #{r}"));
        }
        found
    };
    match code {
        1 => {
            need("a realm", uri(1).is_some(), d);
            summary.push_str(&format!(" {}", name(uri(1).unwrap_or("?"))));
            d.keys.push(PairKey::request("wamp.session", ""));
        }
        2 => {
            summary.push_str(&format!(" session {}", id(1).unwrap_or(0)));
            d.keys.push(PairKey::response("wamp.session", "", true));
        }
        3 => {
            summary.push_str(&format!(" {}", name(uri(2).unwrap_or(""))));
            d.keys.push(PairKey::response("wamp.session", "", true));
        }
        6 => summary.push_str(&format!(" {}", name(uri(2).unwrap_or("")))),
        8 => {
            let request_code = id(1);
            let r = request_id(2, d, &mut summary);
            let error = uri(4).unwrap_or("?");
            d.text_field("wamp.error", error);
            summary = format!(
                "ERROR for {} #{}: {}",
                request_code.and_then(message_name).unwrap_or("?"),
                r.unwrap_or(0),
                name(error)
            );
            match (request_code.and_then(kind), r) {
                (Some(k), Some(r)) => d.keys.push(PairKey::response(k, r.to_string(), true)),
                _ => need("the request's code", false, d),
            }
        }
        16 | 32 | 48 | 64 => {
            // [code, Request, Options, Topic|Procedure, ...]
            let r = request_id(1, d, &mut summary);
            let target = uri(3);
            need("a topic or procedure URI", target.is_some(), d);
            if let Some(t) = target {
                d.text_field("wamp.uri", t);
                summary = format!("{code_name} {} #{}", name(t), r.unwrap_or(0));
            }
            // A PUBLISH is answered only when it asks for an acknowledgement.
            let acknowledged = code != 16
                || at(2)
                    .and_then(|o| o.get("acknowledge"))
                    .and_then(Value::as_bool)
                    == Some(true);
            if let (Some(r), Some(k), true) = (r, kind(code), acknowledged) {
                d.keys.push(PairKey::request(k, r.to_string()));
            }
        }
        34 | 66 | 68 => {
            let r = request_id(1, d, &mut summary);
            if let (Some(r), Some(k)) = (r, kind(code)) {
                d.keys.push(PairKey::request(k, r.to_string()));
            }
        }
        17 | 33 | 35 | 65 | 67 | 50 | 70 => {
            let r = request_id(1, d, &mut summary);
            let request_code = match code {
                17 => 16,
                33 => 32,
                35 => 34,
                65 => 64,
                67 => 66,
                50 => 48,
                _ => 68,
            };
            // RESULT carries Details and YIELD Options at [2]; progress: more to come.
            let progress = matches!(code, 50 | 70)
                && at(2)
                    .and_then(|o| o.get("progress"))
                    .and_then(Value::as_bool)
                    == Some(true);
            if progress {
                summary.push_str(" (progress)");
            }
            if matches!(code, 50 | 70) {
                if let Some(args) = at(3) {
                    summary.push_str(&format!(": {}", clip(&args.to_string(), 40)));
                }
            }
            if let (Some(r), Some(k)) = (r, kind(request_code)) {
                d.keys.push(PairKey::response(k, r.to_string(), !progress));
            }
        }
        49 => {
            let r = request_id(1, d, &mut summary);
            if let Some(r) = r {
                d.keys.push(PairKey::cancel("wamp.call", r.to_string()));
            }
        }
        69 => {
            let r = request_id(1, d, &mut summary);
            if let Some(r) = r {
                d.keys
                    .push(PairKey::cancel("wamp.invocation", r.to_string()));
            }
        }
        36 => {
            summary.push_str(&format!(" sub {}", id(1).unwrap_or(0)));
            if let Some(args) = at(4) {
                summary.push_str(&format!(": {}", clip(&args.to_string(), 40)));
            }
        }
        _ => {}
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lens::Role;

    fn vector(text: &str) -> Decoded {
        decode(Payload::Text(text))
    }

    #[test]
    fn the_specs_examples() {
        // The WAMP spec's message examples.
        let d = vector(r#"[1, "somerealm", {"roles": {"publisher": {}, "subscriber": {}}}]"#);
        assert_eq!(d.summary, "HELLO somerealm");
        assert_eq!(
            vector(r#"[2, 9129137332, {"roles": {"broker": {}}}]"#).keys[0].role,
            Role::Response { last: true }
        );
        let d = vector(r#"[48, 7814135, {}, "com.myapp.ping"]"#);
        assert_eq!(d.summary, "CALL com.myapp.ping #7814135");
        assert_eq!(d.keys, [PairKey::request("wamp.call", "7814135")]);
        let d = vector(r#"[50, 7814135, {}, [30]]"#);
        assert_eq!(d.keys, [PairKey::response("wamp.call", "7814135", true)]);
        assert_eq!(d.summary, "RESULT #7814135: [30]");
        let d = vector(r#"[50, 7814135, {"progress": true}, [1]]"#);
        assert_eq!(d.keys, [PairKey::response("wamp.call", "7814135", false)]);
        let d = vector(
            r#"[8, 48, 7814135, {}, "com.myapp.error.object_write_protected", ["Object is write protected."]]"#,
        );
        assert_eq!(
            d.summary,
            "ERROR for CALL #7814135: com.myapp.error.object_write_protected"
        );
        assert_eq!(d.keys, [PairKey::response("wamp.call", "7814135", true)]);
        let d = vector(r#"[16, 239714735, {}, "com.myapp.mytopic1", ["Hello, world!"]]"#);
        assert!(d.keys.is_empty(), "no acknowledge asked");
        let d = vector(r#"[16, 239714735, {"acknowledge": true}, "com.myapp.mytopic1"]"#);
        assert_eq!(d.keys, [PairKey::request("wamp.publish", "239714735")]);
        let d = vector(r#"[33, 713845233, 5512315355]"#);
        assert_eq!(
            d.keys,
            [PairKey::response("wamp.subscribe", "713845233", true)]
        );
        let d = vector(r#"[68, 6131533, 9823526, {}, ["Hello, world!"]]"#);
        assert_eq!(d.keys, [PairKey::request("wamp.invocation", "6131533")]);
        let d = vector(r#"[70, 6131533, {}, ["Hello, world!"]]"#);
        assert_eq!(
            d.keys,
            [PairKey::response("wamp.invocation", "6131533", true)]
        );
        let d = vector(r#"[36, 5512315355, 4429313566, {}, ["Hello, world!"]]"#);
        assert_eq!(d.summary, r#"EVENT sub 5512315355: ["Hello, world!"]"#);
    }

    #[test]
    fn malformed_messages_are_findings() {
        for bad in [
            "",
            "{}",
            "[]",
            "[999]",
            "[\"x\"]",
            "[48]",
            "[48, 1, {}]",
            "[8, 99, 1, {}, \"e\"]",
            "[-1]",
        ] {
            assert!(!vector(bad).findings.is_empty(), "{bad:?}");
        }
    }
}
