//! STOMP 1.2 frames over WebSocket (stomp.github.io/stomp-specification-1.2.html): a command
//! line, `name:value` header lines, a blank line, the body and a NUL; a lone EOL is a
//! heart-beat. Hand-written because the frame is a few lines of text and wirebook must keep
//! going past a malformed one; no STOMP crate builds lean for wasm.
//!
//! Pairing: a client frame with a `receipt` header is answered by the RECEIPT (or ERROR) whose
//! `receipt-id` is that value; CONNECT/STOMP by CONNECTED.

use serde_json::{json, Map, Value};

use super::{clip, name, Decoded, Lens, PairKey, Payload, MAX_PARTS};

const CLIENT_COMMANDS: [&str; 11] = [
    "CONNECT",
    "STOMP",
    "SEND",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "ACK",
    "NACK",
    "BEGIN",
    "COMMIT",
    "ABORT",
    "DISCONNECT",
];
const SERVER_COMMANDS: [&str; 4] = ["CONNECTED", "MESSAGE", "RECEIPT", "ERROR"];

/// The most headers read from one frame.
const MAX_HEADERS: usize = 128;

/// Whether `line` is a STOMP command (what detection looks for at a message's start).
pub fn is_command(line: &str) -> bool {
    CLIENT_COMMANDS.contains(&line) || SERVER_COMMANDS.contains(&line)
}

pub fn decode(payload: Payload<'_>) -> Decoded {
    let mut d = Decoded::new(Lens::Stomp);
    let mut bytes = match payload {
        Payload::Text(t) => t.as_bytes(),
        Payload::Binary(b) => b,
    };
    let mut frames = Vec::new();
    let mut summaries = Vec::new();
    loop {
        // EOLs between frames are heart-beats (or padding after a NUL).
        let start = bytes
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .unwrap_or(bytes.len());
        if start == bytes.len() {
            if frames.is_empty() {
                d.text_field("stomp.command", "heart-beat");
                summaries.push("heart-beat".to_string());
            }
            break;
        }
        bytes = &bytes[start..];
        if frames.len() == MAX_PARTS {
            d.findings.push(format!(
                "more than {MAX_PARTS} frames in one message; the rest are not decoded"
            ));
            break;
        }
        let (tree, summary, rest) = frame(&mut d, bytes);
        frames.push(tree);
        summaries.push(summary);
        match rest {
            Some(rest) => bytes = rest,
            None => break,
        }
    }
    d.summarise(summaries.join("; "));
    d.tree = match frames.len() {
        0 => json!({ "heart-beat": true }),
        1 => frames.remove(0),
        _ => Value::Array(frames),
    };
    d
}

/// One line up to LF (a CR before it dropped) and the bytes after it.
fn line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = bytes.iter().position(|&b| b == b'\n')?;
    let line = &bytes[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, &bytes[end + 1..]))
}

/// STOMP 1.2 header unescaping: `\r`, `\n`, `\c` (colon) and `\\`; anything else is a finding.
fn unescape(raw: &str, findings: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('c') => out.push(':'),
            Some('\\') => out.push('\\'),
            other => {
                findings.push(format!(
                    "undefined escape \\{} in a header",
                    other.map(String::from).unwrap_or_default()
                ));
                out.push('\\');
                out.extend(other);
            }
        }
    }
    out
}

/// Reads one frame: its tree, its summary and what follows its NUL (`None` at the end).
fn frame<'a>(d: &mut Decoded, bytes: &'a [u8]) -> (Value, String, Option<&'a [u8]>) {
    let Some((command, mut rest)) = line(bytes) else {
        d.findings
            .push("a frame with no end of line after its command".to_string());
        return (
            json!({ "text": String::from_utf8_lossy(bytes) }),
            "?".into(),
            None,
        );
    };
    let command = String::from_utf8_lossy(command).into_owned();
    if !is_command(&command) {
        d.findings.push(format!(
            "{:?} is not a STOMP 1.2 command",
            clip(&command, 20)
        ));
    }
    d.text_field("stomp.command", command.as_str());
    // CONNECT and CONNECTED keep their headers unescaped, for 1.0 peers.
    let escaped = !matches!(command.as_str(), "CONNECT" | "CONNECTED");
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let Some((header, after)) = line(rest) else {
            d.findings.push(format!(
                "{command}: the headers do not end with a blank line"
            ));
            rest = &[];
            break;
        };
        rest = after;
        if header.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            d.findings.push(format!(
                "{command}: more than {MAX_HEADERS} headers; the rest are skipped"
            ));
            continue;
        }
        let header = String::from_utf8_lossy(header);
        match header.split_once(':') {
            Some((k, v)) if escaped => {
                let k = unescape(k, &mut d.findings);
                let v = unescape(v, &mut d.findings);
                headers.push((k, v));
            }
            Some((k, v)) => headers.push((k.to_string(), v.to_string())),
            None => d
                .findings
                .push(format!("{command}: a header line without a colon")),
        }
    }
    // The first of repeated headers is the one that counts (§ Repeated Header Entries).
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let (body, after) = match header("content-length").map(str::parse::<usize>) {
        Some(Ok(len)) if len <= rest.len() => {
            let after = &rest[len..];
            match after.split_first() {
                Some((0, after)) => (&rest[..len], Some(after)),
                _ => {
                    d.findings.push(format!(
                        "{command}: no NUL after the {len} bytes of content-length"
                    ));
                    (&rest[..len], None)
                }
            }
        }
        Some(Ok(len)) => {
            d.findings.push(format!(
                "{command}: content-length {len} but {} bytes follow",
                rest.len()
            ));
            (rest, None)
        }
        Some(Err(_)) => {
            d.findings
                .push(format!("{command}: content-length is not a number"));
            until_nul(d, &command, rest)
        }
        None => until_nul(d, &command, rest),
    };
    for (n, field) in [
        ("destination", "stomp.destination"),
        ("receipt", "stomp.receipt"),
        ("receipt-id", "stomp.receipt"),
        ("subscription", "stomp.subscription"),
        ("id", "stomp.id"),
    ] {
        if let Some(v) = header(n) {
            d.text_field(field, v);
        }
    }
    let mut summary = command.clone();
    if let Some(dest) = header("destination") {
        summary.push_str(&format!(" {}", name(dest)));
    }
    match command.as_str() {
        "SUBSCRIBE" | "UNSUBSCRIBE" | "ACK" | "NACK" => {
            if let Some(id) = header("id") {
                summary.push_str(&format!(" id {}", name(id)));
            }
        }
        "MESSAGE" => {
            if let Some(sub) = header("subscription") {
                summary.push_str(&format!(" sub {}", name(sub)));
            }
        }
        "ERROR" => {
            if let Some(message) = header("message") {
                summary.push_str(&format!(": {}", name(message)));
            }
        }
        _ => {}
    }
    if !body.is_empty() {
        summary.push_str(&format!(" ({} bytes)", body.len()));
    }
    match command.as_str() {
        "CONNECT" | "STOMP" => d.keys.push(PairKey::request("stomp.connect", "")),
        "CONNECTED" => d.keys.push(PairKey::response("stomp.connect", "", true)),
        _ => {}
    }
    if let Some(receipt) = header("receipt") {
        d.keys.push(PairKey::request("stomp.receipt", receipt));
        summary.push_str(&format!(" receipt {}", name(receipt)));
    }
    if matches!(command.as_str(), "RECEIPT" | "ERROR") {
        if let Some(id) = header("receipt-id") {
            d.keys.push(PairKey::response("stomp.receipt", id, true));
            summary.push_str(&format!(" receipt-id {}", name(id)));
        } else if command == "RECEIPT" {
            d.findings.push("RECEIPT without a receipt-id".to_string());
        }
    }
    let mut header_tree = Map::new();
    for (k, v) in &headers {
        let mut key = k.clone();
        let mut n = 2;
        while header_tree.contains_key(&key) {
            key = format!("{k} ({n})");
            n += 1;
        }
        header_tree.insert(key, json!(v));
    }
    let body_tree = match std::str::from_utf8(body) {
        Ok(text) => json!(text),
        Err(_) => json!(format!("{} binary bytes", body.len())),
    };
    let tree = json!({ "command": command, "headers": header_tree, "body": body_tree });
    (tree, summary, after)
}

/// The body up to the frame's NUL, and what follows.
fn until_nul<'a>(d: &mut Decoded, command: &str, rest: &'a [u8]) -> (&'a [u8], Option<&'a [u8]>) {
    match rest.iter().position(|&b| b == 0) {
        Some(nul) => (&rest[..nul], Some(&rest[nul + 1..])),
        None => {
            d.findings
                .push(format!("{command}: the frame does not end with a NUL"));
            (rest, None)
        }
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
    fn the_specifications_frames() {
        // STOMP 1.2 § "SEND", "SUBSCRIBE", "RECEIPT", "ERROR" examples.
        let d = vector(
            "SEND\ndestination:/queue/a\ncontent-type:text/plain\nreceipt:77\n\nhello queue a\0",
        );
        assert_eq!(d.summary, "SEND /queue/a (13 bytes) receipt 77");
        assert_eq!(d.keys, [PairKey::request("stomp.receipt", "77")]);
        assert_eq!(
            d.field("stomp.destination"),
            Some(&FieldValue::Text("/queue/a".into()))
        );
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        let d = vector("RECEIPT\nreceipt-id:77\n\n\0");
        assert_eq!(d.keys, [PairKey::response("stomp.receipt", "77", true)]);
        let d = vector("SUBSCRIBE\r\nid:0\r\ndestination:/queue/foo\r\nack:client\r\n\r\n\0");
        assert_eq!(d.summary, "SUBSCRIBE /queue/foo id 0");
        let d = vector(
            "ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:170\nmessage:malformed frame received\n\nThe message:\n-----\nMESSAGE\ndestined:/queue/a\nreceipt:message-12345\n\nHello queue a!\n-----\nDid not contain a destination header, which is REQUIRED\nfor message propagation.\n\0",
        );
        assert_eq!(
            d.keys,
            [PairKey::response("stomp.receipt", "message-12345", true)]
        );
        assert!(d.summary.starts_with("ERROR: malformed frame received"));
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        let d = vector("CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\0");
        assert_eq!(d.keys, [PairKey::request("stomp.connect", "")]);
        let d = vector("\n");
        assert_eq!(d.summary, "heart-beat");
    }

    #[test]
    fn escapes_content_length_and_several_frames() {
        let d = vector("MESSAGE\nsubscription:0\nfoo:a\\cb\\\\\\n\nfoo:second\ncontent-length:3\n\na\0b\0\nRECEIPT\nreceipt-id:1\n\n\0");
        assert_eq!(d.tree[0]["headers"]["foo"], "a:b\\\n");
        assert_eq!(d.tree[0]["headers"]["foo (2)"], "second");
        assert_eq!(d.tree[0]["body"], "a\0b");
        assert_eq!(d.summary, "MESSAGE sub 0 (3 bytes); RECEIPT receipt-id 1");
        assert!(d.findings.is_empty(), "{:?}", d.findings);
    }

    #[test]
    fn malformed_frames_are_findings() {
        for bad in [
            "SEND",
            "SEND\ndestination:/a\n",
            "SEND\ndestination:/a\n\nno nul",
            "FOO\n\n\0",
            "SEND\ncontent-length:99\n\nab\0",
            "SEND\ncontent-length:x\n\nab\0",
            "SEND\nbad\\x:1\n\n\0",
            "SEND\nnocolon\n\n\0",
            "SEND\ncontent-length:1\n\nab",
        ] {
            let d = vector(bad);
            assert!(!d.findings.is_empty(), "{bad:?}");
        }
        let many = "RECEIPT\nreceipt-id:1\n\n\0".repeat(MAX_PARTS + 5);
        let d = vector(&many);
        assert_eq!(d.keys.len(), MAX_PARTS);
        assert_eq!(d.findings.len(), 1);
    }
}
