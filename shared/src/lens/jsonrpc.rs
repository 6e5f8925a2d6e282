//! JSON-RPC 2.0 (jsonrpc.org/specification): requests, notifications, results, errors and
//! batches of them, read with serde_json. A response pairs with the request of the same `id`
//! (ids compared as JSON: `7` and `"7"` differ).

use serde_json::{Map, Value};

use super::{
    clip, id_text, name, need_text, parse_json, Decoded, Lens, PairKey, Payload, MAX_PARTS,
};

const KIND: &str = "jsonrpc";

pub fn decode(payload: Payload<'_>) -> Decoded {
    let mut d = Decoded::new(Lens::JsonRpc);
    let Some(text) = need_text(payload, &mut d) else {
        return d;
    };
    let Some(value) = parse_json(&text, "the message", &mut d.findings) else {
        d.summarise("not JSON".to_string());
        return d;
    };
    let summary = match &value {
        Value::Array(items) => {
            if items.is_empty() {
                d.findings
                    .push("an empty batch (the spec answers it with an error)".to_string());
            }
            if items.len() > MAX_PARTS {
                d.findings.push(format!(
                    "a batch of {}; the first {MAX_PARTS} are decoded",
                    items.len()
                ));
            }
            let parts: Vec<String> = items
                .iter()
                .take(MAX_PARTS)
                .map(|item| one(&mut d, item))
                .collect();
            format!("batch of {}: {}", items.len(), parts.join(", "))
        }
        item => one(&mut d, item),
    };
    d.summarise(summary);
    d.tree = value;
    d
}

/// Reads one request or response, adding its fields, keys and findings; returns its summary.
fn one(d: &mut Decoded, item: &Value) -> String {
    let Some(object) = item.as_object() else {
        d.findings
            .push("a JSON-RPC message is an object (or a batch of objects)".to_string());
        return clip(&item.to_string(), 20);
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        d.findings
            .push("`jsonrpc` must be exactly \"2.0\"".to_string());
    }
    let id = object.get("id");
    if let Some(id) = id {
        if !matches!(id, Value::String(_) | Value::Number(_) | Value::Null) {
            d.findings
                .push("an id is a string, a number or null".to_string());
        }
        d.text_field("jsonrpc.id", id_text(id));
    }
    let id_suffix = id
        .map(|i| format!(" id {}", name(&id_text(i))))
        .unwrap_or_default();
    if let Some(method) = object.get("method") {
        let Some(method) = method.as_str() else {
            d.findings.push("`method` must be a string".to_string());
            return "request".to_string();
        };
        d.text_field("jsonrpc.method", method);
        if let Some(params) = object.get("params") {
            if !params.is_array() && !params.is_object() {
                d.findings
                    .push("`params` is an array or an object".to_string());
            }
        }
        match id {
            Some(id) => {
                d.text_field("jsonrpc.kind", "request");
                d.keys.push(PairKey::request(KIND, id_text(id)));
                format!("call {}{id_suffix}", name(method))
            }
            None => {
                d.text_field("jsonrpc.kind", "notification");
                format!("notify {}", name(method))
            }
        }
    } else {
        response(d, object, id, &id_suffix)
    }
}

fn response(
    d: &mut Decoded,
    object: &Map<String, Value>,
    id: Option<&Value>,
    id_suffix: &str,
) -> String {
    let result = object.get("result");
    let error = object.get("error");
    if result.is_some() == error.is_some() {
        d.findings
            .push("a response has exactly one of `result` and `error`".to_string());
    }
    match id {
        None => d
            .findings
            .push("a response must carry the request's `id`".to_string()),
        // A null id answers a request whose id could not be read: nothing to pair.
        Some(Value::Null) => {}
        Some(id) => d.keys.push(PairKey::response(KIND, id_text(id), true)),
    }
    if let Some(error) = error {
        d.text_field("jsonrpc.kind", "error");
        let code = error.get("code").and_then(Value::as_i64);
        let message = error.get("message").and_then(Value::as_str).unwrap_or("");
        match code {
            Some(code) => d.number_field("jsonrpc.error_code", code),
            None => d
                .findings
                .push("an error object needs an integer `code`".to_string()),
        }
        let code = code.map(|c| format!(" {c}")).unwrap_or_default();
        format!("error{code} {}{id_suffix}", name(message))
    } else {
        d.text_field("jsonrpc.kind", "result");
        let result = result.map(Value::to_string).unwrap_or_default();
        format!("result{id_suffix}: {}", clip(&result, 40))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lens::FieldValue;

    fn vector(text: &str) -> Decoded {
        decode(Payload::Text(text))
    }

    #[test]
    fn the_specifications_examples() {
        // jsonrpc.org/specification §7.
        let d = vector(r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#);
        assert_eq!(d.summary, "call subtract id 1");
        assert_eq!(d.keys, [PairKey::request(KIND, "1")]);
        assert_eq!(
            d.field("jsonrpc.method"),
            Some(&FieldValue::Text("subtract".into()))
        );
        let d = vector(r#"{"jsonrpc": "2.0", "result": 19, "id": 1}"#);
        assert_eq!(d.summary, "result id 1: 19");
        assert_eq!(d.keys, [PairKey::response(KIND, "1", true)]);
        let d = vector(r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#);
        assert_eq!(d.summary, "notify update");
        assert!(d.keys.is_empty());
        let d = vector(
            r#"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#,
        );
        assert_eq!(d.summary, r#"error -32601 Method not found id "1""#);
        assert_eq!(d.keys, [PairKey::response(KIND, "\"1\"", true)]);
        let d = vector(
            r#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#,
        );
        assert!(d.keys.is_empty() && d.findings.is_empty());
        let d = vector(
            r#"[
            {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
            {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
            {"foo": "boo"},
            {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]"#,
        );
        assert!(d
            .summary
            .starts_with(r#"batch of 4: call sum id "1", notify notify_hello"#));
        assert_eq!(d.keys.len(), 2);
        assert!(!d.findings.is_empty(), "the {{\"foo\"}} member is invalid");
        let d = vector("[]");
        assert_eq!(d.findings.len(), 1);
    }

    #[test]
    fn malformed_messages_are_findings() {
        for bad in [
            "",
            "{",
            "1",
            r#"{"jsonrpc":"2.0","method":3,"id":1}"#,
            r#"{"jsonrpc":"1.0","result":1,"id":1}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","result":1}"#,
        ] {
            assert!(!vector(bad).findings.is_empty(), "{bad:?}");
        }
    }
}
