//! What the inspector's detail pane says about one record, as plain values: the content a
//! frame carries (the whole message on the frame that completes it), close codes explained,
//! a handshake printed as `wsdump -vv` prints it, a kernel message's wire parts in order, and
//! the copy formats.

use base64::Engine as _;
use wirebook_shared::capture::{CaptureBody, FrameRecord, HandshakeRecord, Opcode};
use wirebook_shared::hex::unhex;
use wirebook_shared::jupyter::{KernelMessageRecord, WireFormat};
use wirebook_shared::wire::describe_close_code;

/// One part of a kernel message as it crossed the wire, in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WirePart {
    /// `identity 0`, `<IDS|MSG>`, `signature`, `header`, ..., `buffer 1`, `offsets`.
    pub name: String,
    /// The part as text: hex for identities, signatures and buffers, the JSON as sent.
    pub text: String,
    /// The text is one of the four JSON dicts (shown as a tree when it parses).
    pub json: bool,
    /// Said after the name, e.g. `3 bytes` or `first 120 of 4096 bytes`.
    pub note: String,
}

/// The parts of a kernel message in the order its format puts them on the wire: ZeroMQ's
/// identities, `<IDS|MSG>`, signature, header, parent_header, metadata, content, buffers; v1
/// WebSocket frames' offset table first; the JSON protocol's dicts only.
pub fn kernel_wire_parts(m: &KernelMessageRecord) -> Vec<WirePart> {
    let p = &m.parts;
    let mut parts = Vec::new();
    let part = |name: &str, text: String, json: bool, note: String| WirePart {
        name: name.to_string(),
        text,
        json,
        note,
    };
    if p.format == WireFormat::WebSocketV1 {
        let offsets = p
            .offsets
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        parts.push(part(
            "offsets",
            offsets,
            false,
            format!("{} offsets", p.offsets.len()),
        ));
    }
    if p.format == WireFormat::Zmq {
        for (i, identity) in p.identities.iter().enumerate() {
            parts.push(part(
                &format!("identity {i}"),
                identity.clone(),
                false,
                byte_count(identity.len() as u64 / 2),
            ));
        }
        parts.push(part(
            "<IDS|MSG>",
            "<IDS|MSG>".into(),
            false,
            "delimiter".into(),
        ));
        parts.push(part(
            "signature",
            if p.signature.is_empty() {
                "(empty)".into()
            } else {
                p.signature.clone()
            },
            false,
            p.signature_check.label().to_string(),
        ));
    }
    for (name, text) in [
        ("header", &p.header),
        ("parent_header", &p.parent_header),
        ("metadata", &p.metadata),
    ] {
        parts.push(part(
            name,
            text.clone(),
            true,
            byte_count(text.len() as u64),
        ));
    }
    let content_note = if p.content_truncated {
        format!(
            "first {} of {}",
            byte_count(p.content.len() as u64),
            byte_count(p.content_len)
        )
    } else {
        byte_count(p.content_len)
    };
    parts.push(part("content", p.content.clone(), true, content_note));
    for (i, buffer) in p.buffers.iter().enumerate() {
        let shown = buffer.preview_hex.len() as u64 / 2;
        let note = if shown < buffer.len {
            format!("first {} of {}", byte_count(shown), byte_count(buffer.len))
        } else {
            byte_count(buffer.len)
        };
        parts.push(part(
            &format!("buffer {i}"),
            buffer.preview_hex.clone(),
            false,
            note,
        ));
    }
    parts
}

/// The whole message as one text, part by part (what "Copy message" copies).
pub fn kernel_transcript(m: &KernelMessageRecord) -> String {
    let mut out = format!(
        "{} {} {} ({})\n",
        m.channel.name(),
        m.direction.arrow(),
        m.msg_type,
        m.parts.format.label()
    );
    for part in kernel_wire_parts(m) {
        out.push_str(&format!(
            "--- {} ({}) ---\n{}\n",
            part.name, part.note, part.text
        ));
    }
    out
}

/// The bytes the text view, the JSON tree and the copy buttons work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// What these bytes are, e.g. `message · 3 frames` or `frame payload`.
    pub label: String,
    pub bytes: Vec<u8>,
    /// Text (a text message), so the text view shows it as such.
    pub text: bool,
    /// The true length; more than `bytes.len()` when the capture kept a preview.
    pub len: u64,
}

impl Content {
    pub fn truncated(&self) -> bool {
        (self.bytes.len() as u64) < self.len
    }

    /// The bytes as text; bytes that are not UTF-8 become U+FFFD.
    pub fn as_text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// `Some` when the bytes are UTF-8 text.
    pub fn utf8(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }
}

/// The content of a frame: on the frame that completes a message, the message (inflated, over
/// all its frames, as far as the preview goes); on any other frame, its own payload.
pub fn content(frame: &FrameRecord) -> Result<Content, String> {
    match &frame.message {
        Some(message) => {
            let text = message.opcode == Opcode::Text;
            let bytes = if text {
                message.preview.as_bytes().to_vec()
            } else {
                unhex(&message.preview).map_err(|e| format!("message preview: {e}"))?
            };
            let mut label = format!("{} message", message.opcode.name());
            if message.frames > 1 {
                label.push_str(&format!(" · {} frames", message.frames));
            }
            if message.compressed {
                label.push_str(&format!(" · inflated from {} bytes", message.wire_len));
            }
            Ok(Content {
                label,
                bytes,
                text,
                len: message.len,
            })
        }
        None => Ok(Content {
            label: "frame payload (the message continues in later frames)".into(),
            bytes: unhex(&frame.payload_hex).map_err(|e| format!("payload bytes: {e}"))?,
            text: false,
            len: frame.len,
        }),
    }
}

/// A close code with its registered name and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseExplained {
    /// `None`: the close frame had no code (reported as 1005).
    pub code: Option<u16>,
    pub name: String,
    pub meaning: String,
    pub reason: String,
}

/// The close explained, for close frames and connection-closed rows.
pub fn close_explained(body: &CaptureBody) -> Option<CloseExplained> {
    match body {
        CaptureBody::Frame(frame) => {
            frame
                .message
                .as_ref()?
                .close
                .as_ref()
                .map(|close| CloseExplained {
                    code: close.code,
                    name: close.name.clone(),
                    meaning: close.meaning.clone(),
                    reason: close.reason.clone(),
                })
        }
        CaptureBody::Closed {
            code: Some(code),
            reason,
        } => {
            let info = describe_close_code(*code);
            Some(CloseExplained {
                code: Some(*code),
                name: info.name.into(),
                meaning: info.meaning.into(),
                reason: reason.clone(),
            })
        }
        _ => None,
    }
}

/// The handshake as `wsdump -vv` (websocket-client's trace) prints it.
pub fn handshake_transcript(h: &HandshakeRecord) -> String {
    let mut out = String::from("--- request header ---\n");
    out.push_str(&h.request.start_line);
    out.push('\n');
    for (name, value) in &h.request.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push_str("-----------------------\n");
    match &h.response {
        Some(response) => {
            out.push_str("--- response header ---\n");
            out.push_str(&response.start_line);
            out.push('\n');
            for (name, value) in &response.headers {
                out.push_str(&format!("{name}: {value}\n"));
            }
            out.push_str("-----------------------\n");
        }
        None => out.push_str("(no response)\n"),
    }
    out
}

/// What the handshake negotiated, as label/value pairs.
pub fn handshake_facts(h: &HandshakeRecord) -> Vec<(&'static str, String)> {
    let mut facts = vec![(
        "Sec-WebSocket-Accept",
        match h.accept_ok {
            Some(true) => "matches the key".to_string(),
            Some(false) => "does NOT match the key".to_string(),
            None => "nothing to check".to_string(),
        },
    )];
    facts.push((
        "subprotocol",
        h.protocol.clone().unwrap_or_else(|| "none".into()),
    ));
    facts.push((
        "extensions",
        if h.extensions.is_empty() {
            "none".into()
        } else {
            h.extensions.join(", ")
        },
    ));
    facts
}

/// The copy formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyAs {
    Text,
    Hex,
    Base64,
}

impl CopyAs {
    pub const ALL: [CopyAs; 3] = [CopyAs::Text, CopyAs::Hex, CopyAs::Base64];

    pub fn label(self) -> &'static str {
        match self {
            CopyAs::Text => "text",
            CopyAs::Hex => "hex",
            CopyAs::Base64 => "base64",
        }
    }

    pub fn render(self, bytes: &[u8]) -> String {
        match self {
            CopyAs::Text => String::from_utf8_lossy(bytes).into_owned(),
            CopyAs::Hex => wirebook_shared::hex::hex(bytes),
            CopyAs::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

/// `1 byte`, `12 bytes`, `1.5 KiB`.
pub fn byte_count(n: u64) -> String {
    match n {
        1 => "1 byte".into(),
        n if n < 10 * 1024 => format!("{n} bytes"),
        n if n < 10 * 1024 * 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::test_records::{frame_of, handshake_record, msg, with_frame};
    use wirebook_shared::capture::{CloseSummary, Hop};

    #[test]
    fn content_is_the_message_on_its_last_frame_and_the_payload_before() {
        let last = with_frame(msg(1, Hop::Browser, "héllo"), |f| {
            let m = f.message.as_mut().unwrap();
            m.frames = 3;
            m.len = 40;
            m.truncated = true;
        });
        let c = content(frame_of(&last)).unwrap();
        assert_eq!(c.label, "text message · 3 frames");
        assert!(c.text);
        assert_eq!(c.utf8(), Some("héllo"));
        assert!(c.truncated());

        let binary = with_frame(msg(2, Hop::Browser, ""), |f| {
            let m = f.message.as_mut().unwrap();
            m.opcode = Opcode::Binary;
            m.preview = "00ff".into();
            m.len = 2;
            m.compressed = true;
            m.wire_len = 9;
        });
        let c = content(frame_of(&binary)).unwrap();
        assert_eq!(c.bytes, vec![0, 0xff]);
        assert!(!c.text);
        assert!(!c.truncated());
        assert_eq!(c.label, "binary message · inflated from 9 bytes");
        assert_eq!(c.as_text(), "\u{0}\u{fffd}");
        assert_eq!(c.utf8(), None);

        let middle = with_frame(msg(3, Hop::Browser, "ab"), |f| {
            f.fin = false;
            f.message = None;
        });
        let c = content(frame_of(&middle)).unwrap();
        assert_eq!(c.bytes, b"ab");
        assert!(c.label.starts_with("frame payload"));

        let broken = with_frame(msg(4, Hop::Browser, ""), |f| {
            let m = f.message.as_mut().unwrap();
            m.opcode = Opcode::Ping;
            m.preview = "zz".into();
        });
        assert!(content(frame_of(&broken))
            .unwrap_err()
            .contains("message preview"));
    }

    #[test]
    fn closes_are_explained_from_the_frame_or_the_code() {
        let close = with_frame(msg(1, Hop::Kernel, ""), |f| {
            f.message.as_mut().unwrap().close = Some(CloseSummary {
                code: Some(1001),
                reason: "bye".into(),
                name: "Going Away".into(),
                meaning: "the endpoint is going away".into(),
            })
        });
        let c = close_explained(&close.body).unwrap();
        assert_eq!((c.code, c.name.as_str()), (Some(1001), "Going Away"));
        assert!(close_explained(&msg(2, Hop::Kernel, "x").body).is_none());
        let closed = CaptureBody::Closed {
            code: Some(1009),
            reason: "too big".into(),
        };
        let c = close_explained(&closed).unwrap();
        assert_eq!(c.name, "Message Too Big");
        assert!(c.meaning.contains("too big"));
        assert_eq!(c.reason, "too big");
        let dropped = CaptureBody::Closed {
            code: None,
            reason: "reset".into(),
        };
        assert!(close_explained(&dropped).is_none());
    }

    #[test]
    fn handshakes_print_like_wsdump() {
        let record = handshake_record(1, 1, Hop::Kernel);
        let CaptureBody::Handshake(h) = &record.body else {
            unreachable!()
        };
        assert_eq!(
            handshake_transcript(h),
            "--- request header ---\n\
             GET /echo HTTP/1.1\n\
             Host: 127.0.0.1:8977\n\
             Upgrade: websocket\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n\
             -----------------------\n\
             --- response header ---\n\
             HTTP/1.1 101 Switching Protocols\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\
             -----------------------\n"
        );
        let facts = handshake_facts(h);
        assert_eq!(facts[0], ("Sec-WebSocket-Accept", "matches the key".into()));
        assert_eq!(facts[2], ("extensions", "none".into()));
        let mut no_response = (**h).clone();
        no_response.response = None;
        assert!(handshake_transcript(&no_response).ends_with("(no response)\n"));
    }

    #[test]
    fn kernel_parts_come_in_wire_order() {
        use crate::session::test_records::kernel_record;
        use wirebook_shared::capture::Direction;
        use wirebook_shared::jupyter::{BufferRecord, Channel};
        let mut record = kernel_record(
            1,
            Channel::Shell,
            Direction::ToServer,
            "comm_msg",
            "m1",
            Some("p1"),
            r#"{"data":{}}"#,
        );
        let CaptureBody::KernelMessage(m) = &mut record.body else {
            unreachable!()
        };
        m.parts.buffers.push(BufferRecord {
            len: 4,
            preview_hex: "0102".into(),
        });
        let names: Vec<String> = kernel_wire_parts(m).into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "identity 0",
                "<IDS|MSG>",
                "signature",
                "header",
                "parent_header",
                "metadata",
                "content",
                "buffer 0"
            ]
        );
        let parts = kernel_wire_parts(m);
        assert_eq!(parts[2].note, "verified");
        assert_eq!(parts[7].note, "first 2 bytes of 4 bytes");
        assert!(parts[3].json && !parts[0].json);
        // The WebSocket v1 format has offsets first and no ZeroMQ envelope.
        m.parts.format = WireFormat::WebSocketV1;
        m.parts.offsets = vec![7, 40];
        let parts = kernel_wire_parts(m);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].text.as_str()),
            ("offsets", "7, 40")
        );
        assert_eq!(parts[1].name, "header");
        let transcript = kernel_transcript(m);
        assert!(transcript.starts_with("shell → comm_msg (WebSocket v1"));
        assert!(transcript.contains("--- content (11 bytes) ---\n{\"data\":{}}\n"));
    }

    #[test]
    fn copy_formats() {
        let bytes = b"Hi\xff";
        assert_eq!(CopyAs::Text.render(bytes), "Hi\u{fffd}");
        assert_eq!(CopyAs::Hex.render(bytes), "4869ff");
        assert_eq!(CopyAs::Base64.render(bytes), "SGn/");
        assert_eq!(byte_count(1), "1 byte");
        assert_eq!(byte_count(300), "300 bytes");
        assert_eq!(byte_count(20 * 1024), "20.0 KiB");
        assert_eq!(byte_count(30 * 1024 * 1024), "30.0 MiB");
    }
}
