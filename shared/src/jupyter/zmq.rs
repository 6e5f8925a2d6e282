//! A ZeroMQ multipart Jupyter message split into its wire parts, without crypto.
//!
//! The spec's layout is `[identities…, b"<IDS|MSG>", signature, header, parent_header, metadata,
//! content, buffers…]`. [`split`] finds the delimiter, keeps every part as sent (the JSON parts
//! as text, the content up to a preview length), parses the four JSON parts for the record, and
//! returns the bytes the signature covers so that the caller, who holds the key, can check it.
//! Malformed input (no delimiter, too few parts, JSON that is not UTF-8 or does not parse)
//! becomes findings in plain words; nothing here panics on any input.

use serde_json::Value;

use super::{BufferRecord, SignatureCheck, WireFormat, WireParts};
use crate::hex::hex;

/// The part that separates routing identities from the message.
pub const DELIMITER: &[u8] = b"<IDS|MSG>";

/// What [`split`] makes of one multipart message.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitMessage {
    /// The parts for the record; `signature_check` is [`SignatureCheck::Unsigned`] until the
    /// caller checks it.
    pub parts: WireParts,
    /// The four JSON parts parsed (`Value::Null` for a part that is missing or does not parse).
    pub header: Value,
    pub parent_header: Value,
    pub metadata: Value,
    pub content: Value,
    /// What was wrong with the message.
    pub findings: Vec<String>,
    /// Sum of the lengths of all parts.
    pub size: u64,
}

impl SplitMessage {
    /// Whether the header, parent header, metadata and content all parsed as JSON objects, so
    /// the message can be handed to a client as a Jupyter message.
    pub fn is_complete(&self) -> bool {
        [
            &self.header,
            &self.parent_header,
            &self.metadata,
            &self.content,
        ]
        .iter()
        .all(|part| part.is_object())
    }
}

/// The parts of a multipart message that the HMAC covers (header, parent header, metadata,
/// content, in that order), empty when the message has no delimiter.
pub fn signed_parts<'a>(frames: &'a [&'a [u8]]) -> Vec<&'a [u8]> {
    match frames.iter().position(|part| *part == DELIMITER) {
        Some(at) => frames.iter().skip(at + 2).take(4).copied().collect(),
        None => Vec::new(),
    }
}

/// Splits `frames` (the parts of one multipart message, in order); the content is kept up to
/// `preview` bytes (cut at a character boundary), buffers as length and a hex preview.
pub fn split(frames: &[&[u8]], preview: usize) -> SplitMessage {
    let mut findings = Vec::new();
    let size = frames.iter().map(|part| part.len() as u64).sum();
    let delimiter = frames.iter().position(|part| *part == DELIMITER);
    let (identities, rest): (&[&[u8]], &[&[u8]]) = match delimiter {
        Some(at) => (&frames[..at], &frames[at + 1..]),
        None => {
            findings.push(format!(
                "no <IDS|MSG> delimiter among the {} parts: not a Jupyter message",
                frames.len()
            ));
            (&[], &[])
        }
    };
    if delimiter.is_some() && rest.len() < 5 {
        findings.push(format!(
            "{} parts after <IDS|MSG>; a Jupyter message has at least 5 (signature, header, parent_header, metadata, content)",
            rest.len()
        ));
    }
    let signature = match rest.first() {
        Some(part) => match std::str::from_utf8(part) {
            Ok(text) => text.to_string(),
            Err(_) => {
                findings.push("the signature part is not text; shown as hex".into());
                hex(part)
            }
        },
        None => String::new(),
    };
    let names = ["header", "parent_header", "metadata", "content"];
    let mut texts: [String; 4] = Default::default();
    let mut values: [Value; 4] = Default::default();
    for (index, name) in names.iter().enumerate() {
        let Some(part) = rest.get(index + 1) else {
            continue;
        };
        match std::str::from_utf8(part) {
            Ok(text) => {
                match serde_json::from_str::<Value>(text) {
                    Ok(value) if value.is_object() => values[index] = value,
                    Ok(_) => findings.push(format!("the {name} is JSON but not an object")),
                    Err(error) => findings.push(format!("the {name} is not JSON: {error}")),
                }
                texts[index] = text.to_string();
            }
            Err(_) => {
                findings.push(format!("the {name} is not UTF-8 text; shown as hex"));
                texts[index] = hex(part);
            }
        }
    }
    let [header, parent_header, metadata, content_text] = texts;
    let content_len = rest.get(4).map_or(0, |part| part.len() as u64);
    let (content, content_truncated) = cut(content_text, preview);
    let buffers = rest
        .iter()
        .skip(5)
        .map(|buffer| BufferRecord {
            len: buffer.len() as u64,
            preview_hex: hex(&buffer[..buffer.len().min(preview)]),
        })
        .collect();
    let [header_value, parent_value, metadata_value, content_value] = values;
    SplitMessage {
        parts: WireParts {
            format: WireFormat::Zmq,
            identities: identities.iter().map(|id| hex(id)).collect(),
            signature,
            signature_check: SignatureCheck::Unsigned,
            offsets: Vec::new(),
            header,
            parent_header,
            metadata,
            content,
            content_len,
            content_truncated,
            buffers,
        },
        header: header_value,
        parent_header: parent_value,
        metadata: metadata_value,
        content: content_value,
        findings,
        size,
    }
}

/// `text` cut to at most `limit` bytes at a character boundary, and whether it was cut.
fn cut(mut text: String, limit: usize) -> (String, bool) {
    if text.len() <= limit {
        return (text, false);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    (text, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message<'a>(extra: &[&'a [u8]]) -> Vec<&'a [u8]> {
        let mut parts: Vec<&[u8]> = vec![
            b"\x00\x6b\x8b\x45\x67",
            DELIMITER,
            b"abc123",
            br#"{"msg_id":"m1","msg_type":"stream"}"#,
            br#"{"msg_id":"p1"}"#,
            b"{}",
            br#"{"name":"stdout","text":"hi\n"}"#,
        ];
        parts.extend_from_slice(extra);
        parts
    }

    #[test]
    fn splits_a_well_formed_message() {
        let frames = message(&[b"\x01\x02\x03"]);
        let split = split(&frames, 1024);
        assert!(split.findings.is_empty(), "{:?}", split.findings);
        assert!(split.is_complete());
        assert_eq!(split.parts.format, WireFormat::Zmq);
        assert_eq!(split.parts.identities, vec!["006b8b4567".to_string()]);
        assert_eq!(split.parts.signature, "abc123");
        assert_eq!(split.parts.header, r#"{"msg_id":"m1","msg_type":"stream"}"#);
        assert_eq!(split.header["msg_type"], "stream");
        assert_eq!(split.parent_header["msg_id"], "p1");
        assert_eq!(split.content["text"], "hi\n");
        assert_eq!(split.parts.content_len, 31);
        assert!(!split.parts.content_truncated);
        assert_eq!(
            split.parts.buffers,
            vec![BufferRecord {
                len: 3,
                preview_hex: "010203".into()
            }]
        );
        let total: usize = frames.iter().map(|p| p.len()).sum();
        assert_eq!(split.size, total as u64);
        assert_eq!(signed_parts(&frames), frames[3..7].to_vec());
    }

    #[test]
    fn content_is_previewed_at_a_char_boundary() {
        let frames: Vec<&[u8]> = vec![
            DELIMITER,
            b"",
            b"{}",
            b"{}",
            b"{}",
            "{\"t\":\"ééé\"}".as_bytes(),
        ];
        let split = split(&frames, 8);
        assert_eq!(split.parts.content, "{\"t\":\"é");
        assert!(split.parts.content_truncated);
        assert_eq!(split.parts.content_len, 14);
        // The parsed content is whole.
        assert_eq!(split.content["t"], "ééé");
    }

    #[test]
    fn no_delimiter_is_a_finding() {
        let frames: Vec<&[u8]> = vec![b"{}", b"{}"];
        let split = split(&frames, 100);
        assert!(split.findings[0].contains("no <IDS|MSG> delimiter"));
        assert!(!split.is_complete());
        assert!(signed_parts(&frames).is_empty());
        assert_eq!(split.size, 4);
    }

    #[test]
    fn too_few_parts_is_a_finding() {
        let frames: Vec<&[u8]> = vec![DELIMITER, b"sig", b"{}"];
        let split = split(&frames, 100);
        assert!(split.findings[0].contains("2 parts after <IDS|MSG>"));
        assert!(!split.is_complete());
        assert_eq!(split.parts.header, "{}");
        assert_eq!(split.parts.content, "");
    }

    #[test]
    fn bad_json_parts_are_findings() {
        let frames: Vec<&[u8]> = vec![DELIMITER, b"\xff", b"\xfe\xff", b"[1]", b"{", b"{}"];
        let split = split(&frames, 100);
        assert_eq!(split.parts.signature, "ff");
        assert_eq!(split.parts.header, "feff");
        let all = split.findings.join("\n");
        assert!(all.contains("the signature part is not text"), "{all}");
        assert!(all.contains("the header is not UTF-8"), "{all}");
        assert!(
            all.contains("the parent_header is JSON but not an object"),
            "{all}"
        );
        assert!(all.contains("the metadata is not JSON"), "{all}");
        assert!(!split.is_complete());
    }

    proptest! {
        #[test]
        fn any_parts_split_without_panic(
            parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..10),
            delimiter_at in proptest::option::of(0usize..10),
            preview in 0usize..64,
        ) {
            let mut frames: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            if let Some(at) = delimiter_at {
                frames.insert(at.min(frames.len()), DELIMITER);
            }
            let split = split(&frames, preview);
            let total: usize = frames.iter().map(|p| p.len()).sum();
            prop_assert_eq!(split.size, total as u64);
            prop_assert!(split.parts.content.len() <= preview);
            let _ = signed_parts(&frames);
        }
    }
}
