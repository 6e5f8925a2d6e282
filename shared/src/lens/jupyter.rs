//! Jupyter's own messages through a lens: a kernel-channel record ([`KernelMessageRecord`],
//! already split by `crate::jupyter`) or a Jupyter Server WebSocket frame (decoded with
//! `crate::jupyter::websocket`). The summary is the channel, msg_type and its gist; a message
//! pairs with the request its `parent_header.msg_id` names (a `*_reply` on shell, control or
//! stdin closes it; iopub messages report on it).

use serde_json::{json, Value};

use super::{clip, name, Decoded, Lens, PairKey, Payload};
use crate::jupyter::websocket::{decode_json_binary, decode_json_text, decode_v1};
use crate::jupyter::{Channel, KernelMessageRecord};

const KIND: &str = "jupyter";

/// A Jupyter Server WebSocket message: `v1` for `v1.kernel.websocket.jupyter.org` frames,
/// else the default JSON protocol (binary when it carries buffers).
pub fn decode(payload: Payload<'_>, v1: bool) -> Decoded {
    let mut message = match payload {
        Payload::Text(t) => decode_json_text(t),
        Payload::Binary(b) if v1 => decode_v1(b),
        Payload::Binary(b) => decode_json_binary(b),
    };
    let fields = message.fields();
    let mut d = Decoded::new(Lens::Jupyter);
    d.findings.append(&mut message.findings);
    describe(
        &mut d,
        &message.channel_name,
        &fields.msg_type,
        &fields.msg_id,
        fields.parent_msg_id.as_deref(),
        &fields.content,
    );
    d.tree = json!({
        "channel": message.channel_name,
        "header": fields.header,
        "parent_header": fields.parent_header,
        "metadata": fields.metadata,
        "content": fields.content,
    });
    d
}

/// A kernel message the server already split into its parts.
pub fn decode_record(record: &KernelMessageRecord) -> Decoded {
    let mut d = Decoded::new(Lens::Jupyter);
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let content = if record.parts.content_truncated {
        d.findings.push(format!(
            "the capture kept {} of the content's {} bytes",
            record.parts.content.len(),
            record.parts.content_len
        ));
        Value::Null
    } else {
        parse(&record.parts.content)
    };
    describe(
        &mut d,
        record.channel.name(),
        &record.msg_type,
        &record.msg_id,
        record.parent_msg_id.as_deref(),
        &content,
    );
    d.tree = json!({
        "channel": record.channel.name(),
        "header": parse(&record.parts.header),
        "parent_header": parse(&record.parts.parent_header),
        "metadata": parse(&record.parts.metadata),
        "content": content,
    });
    d
}

fn describe(
    d: &mut Decoded,
    channel: &str,
    msg_type: &str,
    msg_id: &str,
    parent: Option<&str>,
    content: &Value,
) {
    d.text_field("jupyter.channel", channel);
    d.text_field("jupyter.msg_type", msg_type);
    if !msg_id.is_empty() {
        d.text_field("jupyter.msg_id", msg_id);
    }
    if let Some(parent) = parent {
        d.text_field("jupyter.parent", parent);
    }
    let text = |key: &str| content.get(key).and_then(Value::as_str).unwrap_or("");
    let gist = match msg_type {
        "execute_request" => clip(text("code").lines().next().unwrap_or(""), 40),
        "status" => text("execution_state").to_string(),
        "stream" => text("name").to_string(),
        "execute_reply" | "kernel_info_reply" | "complete_reply" | "inspect_reply" => {
            text("status").to_string()
        }
        "error" => name(text("ename")),
        "execute_input" => content
            .get("execution_count")
            .map(Value::to_string)
            .unwrap_or_default(),
        _ => String::new(),
    };
    let short_parent = parent
        .map(|p| format!(" ← {}", clip(p, 8)))
        .unwrap_or_default();
    d.summarise(
        format!("{channel} {msg_type} {gist}")
            .trim_end()
            .to_string()
            + &short_parent,
    );
    let iopub = Channel::from_name(channel) == Some(Channel::Iopub);
    if msg_type.ends_with("_request") && !msg_id.is_empty() {
        d.keys.push(PairKey::request(KIND, msg_id));
    }
    if let Some(parent) = parent {
        let last = msg_type.ends_with("_reply") && !iopub;
        d.keys.push(PairKey::response(KIND, parent, last));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lens::Role;

    #[test]
    fn an_execute_round_as_jupyter_server_sends_it() {
        let request = r#"{"header":{"msg_id":"a1","msg_type":"execute_request","username":"","session":"s","date":"2024-01-01T00:00:00Z","version":"5.3"},"parent_header":{},"metadata":{},"content":{"code":"1 + 1\nprint(2)","silent":false},"channel":"shell"}"#;
        let d = decode(Payload::Text(request), false);
        assert_eq!(d.summary, "shell execute_request 1 + 1");
        assert_eq!(d.keys, [PairKey::request(KIND, "a1")]);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        let busy = r#"{"header":{"msg_id":"b","msg_type":"status"},"parent_header":{"msg_id":"a1","msg_type":"execute_request"},"metadata":{},"content":{"execution_state":"busy"},"channel":"iopub"}"#;
        let d = decode(Payload::Text(busy), false);
        assert_eq!(d.summary, "iopub status busy ← a1");
        assert_eq!(d.keys[0].role, Role::Response { last: false });
        let reply = r#"{"header":{"msg_id":"c","msg_type":"execute_reply"},"parent_header":{"msg_id":"a1"},"metadata":{},"content":{"status":"ok"},"channel":"shell"}"#;
        let d = decode(Payload::Text(reply), false);
        assert_eq!(d.keys, [PairKey::response(KIND, "a1", true)]);
    }

    #[test]
    fn malformed_messages_are_findings() {
        for bad in ["", "{", "[]", r#"{"header":{}}"#] {
            assert!(
                !decode(Payload::Text(bad), false).findings.is_empty(),
                "{bad:?}"
            );
        }
        assert!(!decode(Payload::Binary(&[1, 2, 3]), true)
            .findings
            .is_empty());
        assert!(!decode(Payload::Binary(&[1, 2, 3]), false)
            .findings
            .is_empty());
    }
}
