//! Jupyter Server's two WebSocket formats for kernel messages (`/api/kernels/{id}/channels`),
//! both ways between a message's parts and a WebSocket message's payload.
//!
//! - [`V1_SUBPROTOCOL`] (`v1.kernel.websocket.jupyter.org`): one binary frame per message. An
//!   offset table (u64 little-endian: the number of offsets, then the offsets from the start of
//!   the frame), then the channel name, header, parent_header, metadata, content and buffers
//!   back to back. The first offset points at the channel, the last one at the end of the frame
//!   (jupyter_server's `serialize_msg_to_ws_v1` / `deserialize_msg_from_ws_v1`).
//! - The default ("legacy") protocol: one JSON text frame
//!   `{header, parent_header, metadata, content, channel, buffers?}`; a message with buffers
//!   comes as a binary frame instead (u32 big-endian count and offsets, the JSON, the buffers:
//!   `serialize_binary_message`).
//!
//! Decoding never panics: anything malformed becomes a finding on the [`DecodedMessage`], which
//! keeps what could be read. Neither format carries a signature (the server signs on the ZeroMQ
//! side), so the parts say [`SignatureCheck::NotCarried`].

use serde_json::Value;

use super::{BufferRecord, Channel, KernelMessageRecord, SignatureCheck, WireFormat, WireParts};
use crate::direction::Direction;
use crate::hex::hex;

/// The subprotocol of Jupyter Server's binary format.
pub const V1_SUBPROTOCOL: &str = "v1.kernel.websocket.jupyter.org";

/// The JSON parts every Jupyter message has, in wire order.
const PART_NAMES: [&str; 4] = ["header", "parent_header", "metadata", "content"];

/// A message to encode: the four JSON parts as text (each must be valid JSON) and buffers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub channel: Channel,
    pub header: String,
    pub parent_header: String,
    pub metadata: String,
    pub content: String,
    pub buffers: Vec<Vec<u8>>,
}

/// A WebSocket message payload decoded into a Jupyter message's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedMessage {
    pub format: WireFormat,
    /// `None` when the channel is missing or not one of Jupyter's (see `findings`).
    pub channel: Option<Channel>,
    /// The channel as sent (lossy UTF-8).
    pub channel_name: String,
    /// The JSON parts as sent, whole (empty when missing).
    pub header: String,
    pub parent_header: String,
    pub metadata: String,
    pub content: String,
    pub buffers: Vec<Vec<u8>>,
    /// The offset table as sent (v1, and the legacy binary form), else empty.
    pub offsets: Vec<u64>,
    /// Bytes of the WebSocket message's payload.
    pub size: u64,
    pub findings: Vec<String>,
}

/// The fields of the header and parent header a viewer needs, parsed from a decoded message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageFields {
    pub msg_type: String,
    pub msg_id: String,
    pub parent_msg_id: Option<String>,
    pub header: Value,
    pub parent_header: Value,
    pub metadata: Value,
    pub content: Value,
}

/// Encodes `message` as a `v1.kernel.websocket.jupyter.org` binary frame, exactly as
/// jupyter_server's `serialize_msg_to_ws_v1` does.
pub fn encode_v1(message: &OutgoingMessage) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = vec![
        message.channel.name().as_bytes(),
        message.header.as_bytes(),
        message.parent_header.as_bytes(),
        message.metadata.as_bytes(),
        message.content.as_bytes(),
    ];
    parts.extend(message.buffers.iter().map(Vec::as_slice));
    // One offset per part's start, plus the end of the frame.
    let count = parts.len() as u64 + 1;
    let table = 8 * (count + 1);
    let total = table + parts.iter().map(|p| p.len() as u64).sum::<u64>();
    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    out.extend_from_slice(&count.to_le_bytes());
    let mut offset = table;
    out.extend_from_slice(&offset.to_le_bytes());
    for part in &parts {
        offset += part.len() as u64;
        out.extend_from_slice(&offset.to_le_bytes());
    }
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// Encodes `message` for the default protocol: one JSON text frame with a `channel` key. That
/// frame cannot carry buffers; a message with buffers is refused (use the v1 format).
pub fn encode_json(message: &OutgoingMessage) -> Result<String, String> {
    if !message.buffers.is_empty() {
        return Err("the JSON protocol's text frames carry no buffers".into());
    }
    // The parts are spliced in as given, so the kernel gets exactly the JSON that was built.
    Ok(format!(
        "{{\"header\":{},\"parent_header\":{},\"metadata\":{},\"content\":{},\"channel\":\"{}\"}}",
        message.header,
        message.parent_header,
        message.metadata,
        message.content,
        message.channel.name()
    ))
}

/// Decodes a `v1.kernel.websocket.jupyter.org` binary frame.
pub fn decode_v1(payload: &[u8]) -> DecodedMessage {
    let mut decoded = DecodedMessage::empty(WireFormat::WebSocketV1, payload.len());
    let Some(count) = read_u64(payload, 0) else {
        decoded.findings.push(format!(
            "the frame has {} bytes: too short for the 8-byte count of offsets",
            payload.len()
        ));
        return decoded;
    };
    // Each offset takes 8 bytes of the frame: a count beyond that cannot be true.
    let room = (payload.len() as u64 - 8) / 8;
    if count > room {
        decoded.findings.push(format!(
            "the frame says it has {count} offsets but its {} bytes hold at most {room}",
            payload.len()
        ));
        return decoded;
    }
    let offsets: Vec<u64> = (0..count as usize)
        .filter_map(|i| read_u64(payload, 8 * (i + 1)))
        .collect();
    decoded.offsets = offsets.clone();
    if count < 2 {
        decoded
            .findings
            .push(format!("the frame has {count} offsets: not even a channel"));
        return decoded;
    }
    let table = 8 * (count + 1);
    if offsets[0] != table {
        decoded.findings.push(format!(
            "the first offset is {} but the offset table ends at byte {table}",
            offsets[0]
        ));
    }
    let len = payload.len() as u64;
    let mut slices: Vec<&[u8]> = Vec::with_capacity(offsets.len() - 1);
    // Parts are back to back. One that starts before the end of the last part taken would
    // copy those bytes again: a table alternating 0 and the frame's end would copy the whole
    // frame for every other offset, quadratic in the frame's size.
    let mut taken = 0;
    for (i, pair) in offsets.windows(2).enumerate() {
        let (start, end) = (pair[0], pair[1]);
        if start > end || end > len || start < taken {
            decoded.findings.push(format!(
                "offsets {i} and {} ({start}..{end}) do not lie within the frame's {len} bytes in order",
                i + 1
            ));
            slices.push(&[]);
            continue;
        }
        taken = end;
        slices.push(&payload[start as usize..end as usize]);
    }
    let last = offsets[offsets.len() - 1];
    if last < len {
        decoded.findings.push(format!(
            "{} bytes after the last offset ({last}) belong to no part",
            len - last
        ));
    }
    let (channel, parts) = slices.split_first().expect("count >= 2");
    decoded.set_channel(&String::from_utf8_lossy(channel));
    if parts.len() < PART_NAMES.len() {
        decoded.findings.push(format!(
            "the frame has {} parts after the channel; a message has at least 4 (header, parent_header, metadata, content)",
            parts.len()
        ));
    }
    for (i, part) in parts.iter().enumerate() {
        match i {
            0..=3 => {
                let text = match std::str::from_utf8(part) {
                    Ok(text) => text.to_string(),
                    Err(_) => {
                        decoded
                            .findings
                            .push(format!("the {} is not UTF-8", PART_NAMES[i]));
                        String::from_utf8_lossy(part).into_owned()
                    }
                };
                *decoded.part_mut(i) = text;
            }
            _ => decoded.buffers.push(part.to_vec()),
        }
    }
    decoded
}

/// Decodes a text frame of the default protocol.
pub fn decode_json_text(text: &str) -> DecodedMessage {
    let mut decoded = DecodedMessage::empty(WireFormat::WebSocketJson, text.len());
    decoded.read_json(text);
    decoded
}

/// Decodes a binary frame of the default protocol (a message with buffers): u32 big-endian
/// count and offsets, the message's JSON, then the buffers.
pub fn decode_json_binary(payload: &[u8]) -> DecodedMessage {
    let mut decoded = DecodedMessage::empty(WireFormat::WebSocketJson, payload.len());
    let read_u32 = |at: usize| {
        payload
            .get(at..at + 4)
            .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
    };
    let Some(count) = read_u32(0) else {
        decoded.findings.push(format!(
            "the binary frame has {} bytes: too short for the 4-byte count of buffers",
            payload.len()
        ));
        return decoded;
    };
    let room = (payload.len() as u64 - 4) / 4;
    if count == 0 || count > room {
        decoded.findings.push(format!(
            "the binary frame says it has {count} buffers; its {} bytes hold offsets for at most {room} (and at least 1 is needed)",
            payload.len()
        ));
        return decoded;
    }
    let mut offsets: Vec<u64> = (0..count as usize)
        .filter_map(|i| read_u32(4 * (i + 1)))
        .collect();
    decoded.offsets = offsets.clone();
    let len = payload.len() as u64;
    offsets.push(len);
    let mut parts: Vec<&[u8]> = Vec::new();
    // As in v1: a part may not start before the end of the last one taken (no byte is copied
    // twice, so a frame decodes to at most its own size).
    let mut taken = 0;
    for (i, pair) in offsets.windows(2).enumerate() {
        let (start, end) = (pair[0], pair[1]);
        if start > end || end > len || start < taken {
            decoded.findings.push(format!(
                "buffer {i} ({start}..{end}) does not lie within the frame's {len} bytes in order"
            ));
            parts.push(&[]);
        } else {
            taken = end;
            parts.push(&payload[start as usize..end as usize]);
        }
    }
    match std::str::from_utf8(parts[0]) {
        Ok(text) => decoded.read_json(text),
        Err(_) => decoded
            .findings
            .push("the message's JSON is not UTF-8".to_string()),
    }
    decoded.buffers = parts[1..].iter().map(|b| b.to_vec()).collect();
    decoded
}

impl DecodedMessage {
    fn empty(format: WireFormat, size: usize) -> Self {
        DecodedMessage {
            format,
            channel: None,
            channel_name: String::new(),
            header: String::new(),
            parent_header: String::new(),
            metadata: String::new(),
            content: String::new(),
            buffers: Vec::new(),
            offsets: Vec::new(),
            size: size as u64,
            findings: Vec::new(),
        }
    }

    fn part_mut(&mut self, index: usize) -> &mut String {
        match index {
            0 => &mut self.header,
            1 => &mut self.parent_header,
            2 => &mut self.metadata,
            _ => &mut self.content,
        }
    }

    fn set_channel(&mut self, name: &str) {
        self.channel_name = name.to_string();
        self.channel = Channel::from_name(name).filter(|c| *c != Channel::Heartbeat);
        if self.channel.is_none() {
            self.findings
                .push(format!("{name:?} is not a channel of Jupyter's"));
        }
    }

    /// Reads the legacy protocol's message object, keeping each part's text as sent.
    fn read_json(&mut self, text: &str) {
        let members = match object_members(text) {
            Ok(members) => members,
            Err(problem) => {
                self.findings
                    .push(format!("the message is not a JSON object: {problem}"));
                return;
            }
        };
        let mut channel = None;
        for (key, value) in members {
            match key.as_str() {
                "header" => self.header = value.to_string(),
                "parent_header" => self.parent_header = value.to_string(),
                "metadata" => self.metadata = value.to_string(),
                "content" => self.content = value.to_string(),
                "channel" => channel = Some(value),
                // Jupyter Server adds `buffers: []` and sometimes `msg_id`/`msg_type` copies.
                _ => {}
            }
        }
        for (i, name) in PART_NAMES.iter().enumerate() {
            if self.part_mut(i).is_empty() {
                self.findings.push(format!("the message has no {name}"));
            }
        }
        match channel.map(serde_json::from_str::<String>) {
            Some(Ok(name)) => self.set_channel(&name),
            Some(Err(_)) => self
                .findings
                .push("the message's channel is not a string".to_string()),
            None => self.findings.push("the message has no channel".to_string()),
        }
    }

    /// The header's and parent header's fields, with the parts parsed. Problems become
    /// findings here (a part that is not a JSON object is `Value::Null` or what it was).
    pub fn fields(&mut self) -> MessageFields {
        let mut parse = |name: &str, text: &str| -> Value {
            if text.is_empty() {
                return Value::Null;
            }
            match serde_json::from_str::<Value>(text) {
                Ok(value) if value.is_object() => value,
                Ok(value) => {
                    self.findings
                        .push(format!("the {name} is JSON but not an object"));
                    value
                }
                Err(error) => {
                    self.findings
                        .push(format!("the {name} is not JSON: {error}"));
                    Value::Null
                }
            }
        };
        let header = parse("header", &self.header.clone());
        let parent_header = parse("parent_header", &self.parent_header.clone());
        let metadata = parse("metadata", &self.metadata.clone());
        let content = parse("content", &self.content.clone());
        let text =
            |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(String::from);
        let msg_type = text(&header, "msg_type").unwrap_or_default();
        let msg_id = text(&header, "msg_id").unwrap_or_default();
        if header.is_object() && msg_type.is_empty() {
            self.findings.push("the header has no msg_type".to_string());
        }
        if header.is_object() && msg_id.is_empty() {
            self.findings.push("the header has no msg_id".to_string());
        }
        let parent_msg_id = text(&parent_header, "msg_id").filter(|id| !id.is_empty());
        MessageFields {
            msg_type,
            msg_id,
            parent_msg_id,
            header,
            parent_header,
            metadata,
            content,
        }
    }

    /// The parts as the capture keeps them: content cut to `preview` bytes (at a character
    /// boundary), buffers as their length and a hex preview.
    pub fn wire_parts(&self, preview: usize) -> WireParts {
        let mut cut = self.content.len().min(preview);
        while !self.content.is_char_boundary(cut) {
            cut -= 1;
        }
        WireParts {
            format: self.format,
            identities: Vec::new(),
            signature: String::new(),
            signature_check: SignatureCheck::NotCarried,
            offsets: self.offsets.clone(),
            header: self.header.clone(),
            parent_header: self.parent_header.clone(),
            metadata: self.metadata.clone(),
            content: self.content[..cut].to_string(),
            content_len: self.content.len() as u64,
            content_truncated: cut < self.content.len(),
            buffers: self
                .buffers
                .iter()
                .map(|b| BufferRecord {
                    len: b.len() as u64,
                    preview_hex: hex(&b[..b.len().min(preview)]),
                })
                .collect(),
        }
    }

    /// The capture record of this message (`fields` from [`DecodedMessage::fields`], so its
    /// findings are in).
    pub fn record(
        &self,
        fields: &MessageFields,
        direction: Direction,
        caused_by: Option<u64>,
        preview: usize,
    ) -> KernelMessageRecord {
        KernelMessageRecord {
            // A message with no readable channel is shown on shell; the finding says why.
            channel: self.channel.unwrap_or(Channel::Shell),
            direction,
            msg_type: fields.msg_type.clone(),
            msg_id: fields.msg_id.clone(),
            parent_msg_id: fields.parent_msg_id.clone(),
            size: self.size,
            parts: self.wire_parts(preview),
            findings: self.findings.clone(),
            caused_by,
        }
    }
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes([
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
    ]))
}

/// The members of a JSON object, each value as the text sent (spacing and key order kept).
fn object_members(text: &str) -> Result<Vec<(String, &str)>, String> {
    // Validate first: the scan below then only has to find where each value ends.
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| e.to_string())?;
    let bytes = text.as_bytes();
    let skip_ws = |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        at
    };
    // The end of the JSON value starting at `at`.
    let value_end = |at: usize| -> Result<usize, String> {
        let mut values =
            serde_json::Deserializer::from_str(&text[at..]).into_iter::<serde::de::IgnoredAny>();
        match values.next() {
            Some(Ok(_)) => Ok(at + values.byte_offset()),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("a value is missing".into()),
        }
    };
    let mut at = skip_ws(0);
    if bytes.get(at) != Some(&b'{') {
        return Err("it does not start with '{'".into());
    }
    at = skip_ws(at + 1);
    let mut members = Vec::new();
    if bytes.get(at) == Some(&b'}') {
        return Ok(members);
    }
    loop {
        let key_end = value_end(at)?;
        let key: String = serde_json::from_str(&text[at..key_end]).map_err(|e| e.to_string())?;
        at = skip_ws(key_end);
        if bytes.get(at) != Some(&b':') {
            return Err("a ':' is missing".into());
        }
        at = skip_ws(at + 1);
        let end = value_end(at)?;
        members.push((key, &text[at..end]));
        at = skip_ws(end);
        match bytes.get(at) {
            Some(b',') => at = skip_ws(at + 1),
            Some(b'}') => return Ok(members),
            _ => return Err("a ',' or '}' is missing".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message(buffers: Vec<Vec<u8>>) -> OutgoingMessage {
        OutgoingMessage {
            channel: Channel::Shell,
            header: r#"{"msg_id": "a1", "msg_type": "execute_request"}"#.into(),
            parent_header: "{}".into(),
            metadata: "{}".into(),
            content: r#"{"code": "1+1"}"#.into(),
            buffers,
        }
    }

    #[test]
    fn v1_round_trip() {
        let sent = message(vec![b"\x00\x01\x02".to_vec(), Vec::new()]);
        let frame = encode_v1(&sent);
        let mut got = decode_v1(&frame);
        assert!(got.findings.is_empty(), "{:?}", got.findings);
        assert_eq!(got.channel, Some(Channel::Shell));
        assert_eq!(got.header, sent.header);
        assert_eq!(got.parent_header, "{}");
        assert_eq!(got.content, sent.content);
        assert_eq!(got.buffers, sent.buffers);
        assert_eq!(got.size, frame.len() as u64);
        let fields = got.fields();
        assert_eq!(fields.msg_type, "execute_request");
        assert_eq!(fields.msg_id, "a1");
        assert_eq!(fields.parent_msg_id, None);
        assert!(got.findings.is_empty());
    }

    /// The bytes jupyter_server 2.21's `serialize_msg_to_ws_v1([b'{"a":1}', b'{}', b'{}',
    /// b'{}'], "iopub")` returns: count 6, offsets from 56 (7 words) to the end.
    #[test]
    fn v1_offsets_are_jupyter_servers() {
        let sent = OutgoingMessage {
            channel: Channel::Iopub,
            header: r#"{"a":1}"#.into(),
            parent_header: "{}".into(),
            metadata: "{}".into(),
            content: "{}".into(),
            buffers: Vec::new(),
        };
        let frame = encode_v1(&sent);
        let words: Vec<u64> = frame[..56]
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(words, [6, 56, 61, 68, 70, 72, 74]);
        assert_eq!(&frame[56..], br#"iopub{"a":1}{}{}{}"#);
        assert_eq!(decode_v1(&frame).offsets, [56, 61, 68, 70, 72, 74]);
    }

    #[test]
    fn malformed_v1_frames_are_findings() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![1, 2, 3], "too short"),
            (u64::MAX.to_le_bytes().to_vec(), "hold at most"),
            (
                [1u64.to_le_bytes(), 16u64.to_le_bytes()].concat(),
                "not even a channel",
            ),
        ];
        for (frame, why) in cases {
            let got = decode_v1(&frame);
            assert!(
                got.findings.iter().any(|f| f.contains(why)),
                "{why}: {:?}",
                got.findings
            );
        }
        let mut frame = encode_v1(&message(Vec::new()));
        // The end offset past the frame.
        let last = 8 * 6;
        frame[last..last + 8].copy_from_slice(&9999u64.to_le_bytes());
        let got = decode_v1(&frame);
        assert!(
            got.findings.iter().any(|f| f.contains("do not lie within")),
            "{:?}",
            got.findings
        );
        // An unknown channel and a header that is not JSON.
        let mut odd = message(Vec::new());
        odd.header = "{nope".into();
        let mut frame = encode_v1(&odd);
        frame[56..61].copy_from_slice(b"shelx");
        let mut got = decode_v1(&frame);
        got.fields();
        assert_eq!(got.channel, None);
        assert!(got
            .findings
            .iter()
            .any(|f| f.contains("\"shelx\" is not a channel")));
        assert!(got
            .findings
            .iter()
            .any(|f| f.contains("the header is not JSON")));
        // Trailing bytes after the last part.
        let mut frame = encode_v1(&message(Vec::new()));
        frame.extend_from_slice(b"xx");
        assert!(decode_v1(&frame).findings[0].contains("2 bytes after the last offset"));
    }

    #[test]
    fn json_round_trip_keeps_the_parts_as_sent() {
        let sent = message(Vec::new());
        let text = encode_json(&sent).unwrap();
        let mut got = decode_json_text(&text);
        assert!(got.findings.is_empty(), "{:?}", got.findings);
        assert_eq!(got.header, sent.header);
        assert_eq!(got.content, sent.content);
        assert_eq!(got.channel, Some(Channel::Shell));
        assert_eq!(got.fields().msg_type, "execute_request");
        assert!(encode_json(&message(vec![vec![1]])).is_err());
        let spaced = r#" { "channel" : "iopub", "header":{"msg_id":"x","msg_type":"status"} ,
            "parent_header": {"msg_id": "p"}, "metadata": {}, "content": {"execution_state": "idle"}, "buffers": [] } "#;
        let mut got = decode_json_text(spaced);
        assert!(got.findings.is_empty(), "{:?}", got.findings);
        assert_eq!(got.header, r#"{"msg_id":"x","msg_type":"status"}"#);
        assert_eq!(got.parent_header, r#"{"msg_id": "p"}"#);
        assert_eq!(got.fields().parent_msg_id.as_deref(), Some("p"));
    }

    #[test]
    fn malformed_json_frames_are_findings() {
        for (text, why) in [
            ("[]", "not a JSON object"),
            ("{", "not a JSON object"),
            (r#"{"header": {}}"#, "no content"),
            (
                r#"{"header":{},"parent_header":{},"metadata":{},"content":{}}"#,
                "no channel",
            ),
            (
                r#"{"header":{},"parent_header":{},"metadata":{},"content":{},"channel":1}"#,
                "not a string",
            ),
        ] {
            let got = decode_json_text(text);
            assert!(
                got.findings.iter().any(|f| f.contains(why)),
                "{text}: {:?}",
                got.findings
            );
        }
    }

    /// `serialize_binary_message`: the legacy protocol's frame for a message with buffers.
    #[test]
    fn legacy_binary_frames_decode() {
        let json = br#"{"header":{"msg_id":"m","msg_type":"comm_msg"},"parent_header":{},"metadata":{},"content":{},"channel":"iopub"}"#;
        let buffer = b"\xff\x00";
        let mut frame = Vec::new();
        frame.extend_from_slice(&2u32.to_be_bytes());
        frame.extend_from_slice(&12u32.to_be_bytes());
        frame.extend_from_slice(&(12 + json.len() as u32).to_be_bytes());
        frame.extend_from_slice(json);
        frame.extend_from_slice(buffer);
        let got = decode_json_binary(&frame);
        assert!(got.findings.is_empty(), "{:?}", got.findings);
        assert_eq!(got.channel, Some(Channel::Iopub));
        assert_eq!(got.buffers, [buffer.to_vec()]);
        assert_eq!(got.offsets, [12, 12 + json.len() as u64]);
        assert!(!decode_json_binary(&[0, 0]).findings.is_empty());
        assert!(!decode_json_binary(&[0, 0, 0, 0]).findings.is_empty());
    }

    /// Found by fuzzing (tests/fuzz_parsers.rs): after an offset out of order, a later pair
    /// pointed back over bytes already taken, so this 451-byte frame decoded to 467 bytes.
    #[test]
    fn parts_never_overlap() {
        // A valid frame: the message's JSON at 16..418, two buffers of zeros.
        let json = concat!(
            r#"{"header":{"date":"2026-12-02T10:00:00.000000Z","msg_id":"m6","#,
            r#""msg_type":"comm_msg","session":"5f1c","username":"u","version":"5.3"},"#,
            r#""parent_header":{"date":"2026-12-02T10:00:00.000000Z","msg_id":"p1","#,
            r#""msg_type":"execute_request","session":"5f1c","username":"u","version":"5.3"},"#,
            r#""metadata":{},"content":{"comm_id":"c","data":{"buffer_paths":[["value"]],"#,
            r#""method":"update","state":{}}},"channel":"shell"}"#
        );
        let mut frame = vec![0, 0, 0, 3, 0, 0, 0, 16, 0, 0, 1, 162, 0, 0, 1, 178];
        frame.extend_from_slice(json.as_bytes());
        frame.resize(451, 0);
        assert!(decode_json_binary(&frame).findings.is_empty());
        // The fuzzer's edits: the count 3 becomes 7, so four offsets are read from the JSON,
        // and eight bytes of it are zeroed; the last two offsets are then 0.
        frame[3] ^= 4;
        frame[24..32].fill(0);
        let got = decode_json_binary(&frame);
        assert_eq!(got.offsets, [16, 418, 434, 2065852517, 1633969522, 0, 0]);
        let decoded: usize = got.buffers.iter().map(Vec::len).sum();
        assert!(decoded <= frame.len(), "{decoded} bytes from 451");
        assert!(
            got.findings
                .iter()
                .any(|f| f.starts_with("buffer 6 (0..451) does not lie within")),
            "{:?}",
            got.findings
        );
    }

    /// A table alternating 0 and the frame's end made every other pair a copy of the whole
    /// frame: 64 KiB decoded to 256 MiB (v1) or 512 MiB (JSON binary) before parts had to
    /// follow each other.
    #[test]
    fn a_table_pointing_back_does_not_multiply_the_frame() {
        let n: usize = 16 * 1024;
        let back_and_forth = |i: usize| if i % 2 == 0 { 0 } else { n as u64 };
        let mut v1 = ((n as u64 - 8) / 8).to_le_bytes().to_vec();
        for i in 0..(n - 8) / 8 {
            v1.extend_from_slice(&back_and_forth(i).to_le_bytes());
        }
        let mut legacy = (((n - 4) / 4) as u32).to_be_bytes().to_vec();
        for i in 0..(n - 4) / 4 {
            legacy.extend_from_slice(&(back_and_forth(i) as u32).to_be_bytes());
        }
        for got in [decode_v1(&v1), decode_json_binary(&legacy)] {
            let parts = [&got.header, &got.parent_header, &got.metadata, &got.content];
            let decoded: usize = got.buffers.iter().map(Vec::len).sum::<usize>()
                + parts.iter().map(|p| p.len()).sum::<usize>();
            assert!(decoded <= n, "{decoded} bytes from {n}");
            assert!(got.findings.iter().any(|f| f.contains("in order")));
        }
    }

    #[test]
    fn wire_parts_cut_the_content_at_a_character() {
        let mut sent = message(vec![vec![7; 10]]);
        sent.content = r#"{"t": "ééé"}"#.into();
        let got = decode_v1(&encode_v1(&sent));
        let parts = got.wire_parts(9);
        assert_eq!(parts.content, r#"{"t": "é"#);
        assert!(parts.content_truncated);
        assert_eq!(parts.content_len, sent.content.len() as u64);
        assert_eq!(parts.signature_check, SignatureCheck::NotCarried);
        assert_eq!(parts.buffers[0].len, 10);
        assert_eq!(parts.buffers[0].preview_hex.len(), 18);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut v1 = decode_v1(&bytes);
            v1.fields();
            v1.wire_parts(7);
            decode_json_binary(&bytes).fields();
            decode_json_text(&String::from_utf8_lossy(&bytes)).fields();
        }

        #[test]
        fn small_offset_tables_never_panic(
            offsets in proptest::collection::vec(0u64..120, 0..8),
            tail in proptest::collection::vec(any::<u8>(), 0..60),
        ) {
            let mut frame = (offsets.len() as u64).to_le_bytes().to_vec();
            for offset in &offsets {
                frame.extend_from_slice(&offset.to_le_bytes());
            }
            frame.extend_from_slice(&tail);
            decode_v1(&frame).fields();
        }

        #[test]
        fn v1_round_trips(
            header in "\\PC{0,20}", content in "\\PC{0,40}",
            buffers in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..9), 0..3),
        ) {
            let sent = OutgoingMessage {
                channel: Channel::Control,
                header: header.clone(),
                parent_header: "{}".into(),
                metadata: String::new(),
                content: content.clone(),
                buffers: buffers.clone(),
            };
            let got = decode_v1(&encode_v1(&sent));
            prop_assert!(got.findings.is_empty());
            prop_assert_eq!(got.header, header);
            prop_assert_eq!(got.content, content);
            prop_assert_eq!(got.buffers, buffers);
        }
    }
}
