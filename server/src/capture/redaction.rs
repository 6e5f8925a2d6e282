//! What of a capture record never leaves wirebook in clear, in one place: every record the
//! capture keeps, sends to an inspector or writes into an export passes through here.
//!
//! Two rules, applied at two moments:
//! - **When a handshake is recorded** ([`Secrets::handshake`], called by the capture for every
//!   handshake on every route), wirebook's own token and the connection's secrets (the values
//!   of `--kernel-secret-header`s, a gateway's token) are replaced by `<redacted>` wherever
//!   they stand as a whole token — in `?token=T`, the `wirebook_token` cookie,
//!   `Authorization: token T` — so no record in memory holds them. The token goes from a
//!   connection's `Open` target and `Closed` reason too (a kernel URL may name it). Big heads are cut here too
//!   ([`MAX_FIELD`], [`MAX_HEAD`]) and the record says so.
//! - **When a record leaves the capture** ([`outgoing`]), a browser's `set_kernel` has its
//!   secret header values masked (and a `set_gateway` its token), and an export that is not asked for sensitive data
//!   ([`Sensitive::Hidden`], the default, as Chrome's "Export HAR (sanitized)") has the values
//!   of `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie` removed from every
//!   handshake.

use wirebook_shared::capture::text_preview;
use wirebook_shared::hex::{hex, unhex};
use wirebook_shared::{CaptureBody, CaptureRecord, FrameRecord, HandshakeRecord, HttpHeadRecord};

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// What replaces a credential header's value in a sanitized export.
pub const REMOVED: &str = "<removed: export with sensitive data to keep>";

/// Bytes kept of a handshake's start line and of each header value.
pub const MAX_FIELD: usize = 2048;

/// Bytes kept of a handshake head in all (start line, names and values); headers past it are
/// left out.
pub const MAX_HEAD: usize = 8 * 1024;

/// Header names whose values a sanitized export removes.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Whether what leaves the capture keeps credentials (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sensitive {
    /// Credential headers' values removed (exports, by default).
    #[default]
    Hidden,
    /// As recorded (the live inspector; an export asked for "with sensitive data").
    Included,
}

/// The strings redacted from every handshake: wirebook's token, and a connection's own.
#[derive(Debug, Clone, Default)]
pub struct Secrets(Vec<Box<str>>);

impl Secrets {
    pub fn new() -> Self {
        Secrets::default()
    }

    /// Adds a secret (empty ones are ignored: they would match everywhere).
    pub fn add(&mut self, secret: &str) {
        if !secret.is_empty() && !self.0.iter().any(|s| &**s == secret) {
            self.0.push(secret.into());
        }
    }

    /// Adds every secret of `other`.
    pub fn extend(&mut self, other: &Secrets) {
        for secret in &other.0 {
            self.add(secret);
        }
    }

    /// Redacts every secret from the handshake's heads and cuts heads over the size limits,
    /// saying so in its findings.
    pub fn handshake(&self, record: &mut HandshakeRecord) {
        self.head(&mut record.request, "request", &mut record.findings);
        if let Some(response) = &mut record.response {
            self.head(response, "response", &mut record.findings);
        }
    }

    fn head(&self, head: &mut HttpHeadRecord, which: &str, findings: &mut Vec<String>) {
        let mut size = head.start_line.len();
        for (name, value) in &head.headers {
            size += name.len() + value.len() + 4;
        }
        let mut cut = false;
        cut |= self.field(&mut head.start_line);
        let mut kept = head.start_line.len();
        let mut dropped = 0;
        head.headers.retain_mut(|(name, value)| {
            cut |= self.field(value);
            if name.len() > MAX_FIELD {
                cut_at(name, MAX_FIELD);
                cut = true;
            }
            kept += name.len() + value.len() + 4;
            if kept > MAX_HEAD {
                dropped += 1;
                false
            } else {
                true
            }
        });
        if cut || dropped > 0 {
            let mut finding = format!(
                "the {which} head is {size} bytes: the capture keeps at most {MAX_FIELD} bytes of its start line and of each header value"
            );
            if dropped > 0 {
                finding.push_str(&format!(
                    ", and {dropped} headers past its first {MAX_HEAD} bytes were left out"
                ));
            }
            findings.push(finding);
        }
    }

    /// Masks every secret in a frame's payload and message preview with `*`s of the same
    /// length (a frame's lengths stay true).
    fn mask_frame(&self, frame: &mut FrameRecord) {
        for secret in &self.0 {
            let stars = "*".repeat(secret.len());
            let hex_secret = hex(secret.as_bytes());
            if let Some(message) = &mut frame.message {
                if message.preview.contains(&**secret) {
                    message.preview = message.preview.replace(&**secret, &stars);
                }
                if message.preview.contains(&hex_secret) {
                    message.preview = replace_hex(&message.preview, &hex_secret, &stars);
                }
            }
            if frame.payload_hex.contains(&hex_secret) {
                frame.payload_hex = replace_hex(&frame.payload_hex, &hex_secret, &stars);
            }
        }
    }

    /// Redacts every secret from a record's text (a connection's target URL, how it ended).
    pub fn text(&self, text: &mut String) {
        for secret in &self.0 {
            if text.contains(&**secret) {
                *text = redact(text, secret);
            }
        }
    }

    /// Redacts and cuts one field; returns whether it was cut.
    fn field(&self, text: &mut String) -> bool {
        self.text(text);
        cut_at(text, MAX_FIELD)
    }
}

/// Cuts `text` to at most `max` bytes at a character boundary, ending it with `…`; returns
/// whether it was cut. The cut text is a new string: the record does not keep the old one's
/// capacity.
fn cut_at(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let (mut kept, _) = text_preview(text, max - '…'.len_utf8());
    kept.push('…');
    kept.shrink_to_fit();
    *text = kept;
    true
}

/// `hex` with each occurrence of `needle` (the hex of a secret) at a byte boundary replaced by
/// the hex of `stars`.
fn replace_hex(hex_text: &str, needle: &str, stars: &str) -> String {
    let masked = hex(stars.as_bytes());
    let mut out = String::with_capacity(hex_text.len());
    let mut at = 0;
    while let Some(found) = hex_text[at..].find(needle) {
        let start = at + found;
        if start % 2 == 0 {
            out.push_str(&hex_text[at..start]);
            out.push_str(&masked);
            at = start + needle.len();
        } else {
            // Straddles two bytes: not the secret; look again from the next digit.
            out.push_str(&hex_text[at..=start]);
            at = start + 1;
        }
    }
    out.push_str(&hex_text[at..]);
    out
}

/// Replaces `secret` with `<redacted>` where it stands as a whole token (in `?token=T`,
/// `wirebook_token=T`, `Authorization: token T`), not inside other words: a short token such
/// as `t` must not turn `Switching` into `Swi<redacted>ching`. Token characters are the ones
/// the CLI allows in a token.
pub fn redact(text: &str, secret: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "-_.~".contains(c);
    if secret.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(secret) {
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let after = rest[at + secret.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_token_char) || after.is_some_and(is_token_char) {
            out.push_str(secret);
        } else {
            out.push_str(REDACTED);
        }
        rest = &rest[at + secret.len()..];
    }
    out.push_str(rest);
    out
}

/// A record on its way out of the capture (to an inspector or an export). `secrets` are the
/// capture's own (wirebook's token): a frame that carries one (a kernel URL typed with it, a
/// cell that sends it) shows it as `*`s of the same length.
pub fn outgoing(record: &mut CaptureRecord, sensitive: Sensitive, secrets: &Secrets) {
    match &mut record.body {
        CaptureBody::Frame(frame) => {
            if record.hop == wirebook_shared::Hop::Browser {
                hide_secret_settings(frame);
            }
            secrets.mask_frame(frame);
        }
        CaptureBody::Handshake(handshake) if sensitive == Sensitive::Hidden => {
            remove_credentials(&mut handshake.request);
            if let Some(response) = &mut handshake.response {
                remove_credentials(response);
            }
        }
        _ => {}
    }
}

fn remove_credentials(head: &mut HttpHeadRecord) {
    for (name, value) in &mut head.headers {
        if CREDENTIAL_HEADERS
            .iter()
            .any(|c| name.eq_ignore_ascii_case(c))
        {
            *value = REMOVED.to_string();
        }
    }
}

/// Browser messages that carry secrets the server needs: a `set_kernel` with secret headers
/// (every header value of it is masked) and a `set_gateway` with a token. Each rule is the
/// markers that all stand in such a message and the JSON key whose string values are masked.
const SECRET_CARRIERS: [(&[&[u8]], &[u8]); 2] = [
    (&[b"\"set_kernel\"", b"\"secret\":true"], b"\"value\":\""),
    (&[b"\"set_gateway\""], b"\"token\":\""),
];

/// In the inspector and the exports the secrets of a browser's message (see
/// [`SECRET_CARRIERS`]) are shown as `*`s of the same length. The ring keeps the bytes; only
/// what leaves it is masked, so there is no moment in which a record with the value could be
/// sent.
fn hide_secret_settings(record: &mut FrameRecord) {
    for (markers, key) in SECRET_CARRIERS {
        let carries = |bytes: &[u8]| {
            markers
                .iter()
                .all(|m| bytes.windows(m.len()).any(|w| w == *m))
        };
        if let Some(message) = &mut record.message {
            if carries(message.preview.as_bytes()) {
                let mut bytes = message.preview.clone().into_bytes();
                mask_values(&mut bytes, key);
                message.preview = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        if let Ok(mut payload) = unhex(&record.payload_hex) {
            if carries(&payload) {
                mask_values(&mut payload, key);
                record.payload_hex = hex(&payload);
            }
        }
    }
}

/// Replaces the contents of every string after `key` (`"value":"`) with `*`s.
fn mask_values(bytes: &mut [u8], key: &[u8]) {
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(key.len()).position(|w| w == key) {
        let mut i = at + found + key.len();
        let mut escaped = false;
        while i < bytes.len() && (escaped || bytes[i] != b'"') {
            escaped = !escaped && bytes[i] == b'\\';
            bytes[i] = b'*';
            i += 1;
        }
        at = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(start_line: &str, headers: &[(&str, &str)]) -> HttpHeadRecord {
        HttpHeadRecord {
            start_line: start_line.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn handshake(request: HttpHeadRecord) -> HandshakeRecord {
        HandshakeRecord {
            request,
            response: Some(head(
                "HTTP/1.1 101 Switching Protocols",
                &[("Set-Cookie", "sid=1")],
            )),
            accept_ok: Some(true),
            protocol: None,
            extensions: vec![],
            findings: vec![],
        }
    }

    #[test]
    fn redacts_the_token_where_it_stands_alone() {
        assert_eq!(
            redact("GET /session?token=t HTTP/1.1", "t"),
            "GET /session?token=<redacted> HTTP/1.1"
        );
        assert_eq!(
            redact("wirebook_token=t; other=x", "t"),
            "wirebook_token=<redacted>; other=x"
        );
        assert_eq!(redact("token 3f0c", "3f0c"), "token <redacted>");
        // Inside a word it is not the token.
        assert_eq!(
            redact("HTTP/1.1 101 Switching Protocols", "t"),
            "HTTP/1.1 101 Switching Protocols"
        );
        assert_eq!(redact("tt", "t"), "tt");
        assert_eq!(redact("anything", ""), "anything");
    }

    #[test]
    fn a_handshake_loses_the_token_in_query_cookie_and_authorization() {
        let mut secrets = Secrets::new();
        secrets.add("3f0c9a");
        secrets.add("");
        let mut record = handshake(head(
            "GET /echo?a=1&token=3f0c9a HTTP/1.1",
            &[
                ("Cookie", "x=1; wirebook_token=3f0c9a"),
                ("Authorization", "token 3f0c9a"),
                ("X-Other", "3f0c9ab"),
            ],
        ));
        secrets.handshake(&mut record);
        let text = format!("{record:?}");
        assert!(!text.contains("3f0c9a\""), "{text}");
        assert_eq!(
            record.request.start_line,
            "GET /echo?a=1&token=<redacted> HTTP/1.1"
        );
        assert_eq!(
            record.request.headers[0].1,
            "x=1; wirebook_token=<redacted>"
        );
        assert_eq!(record.request.headers[1].1, "token <redacted>");
        assert_eq!(record.request.headers[2].1, "3f0c9ab", "another word");
        assert!(record.findings.is_empty(), "nothing was cut");
    }

    #[test]
    fn big_heads_are_cut_and_say_so() {
        let query = "q".repeat(60_000);
        let many: Vec<(String, String)> = (0..500)
            .map(|i| (format!("X-H{i}"), "v".repeat(40)))
            .collect();
        let mut request = head(&format!("GET /echo?{query} HTTP/1.1"), &[]);
        request.headers = many;
        request
            .headers
            .insert(0, ("X-Big".into(), "é".repeat(5000)));
        let mut record = handshake(request);
        Secrets::new().handshake(&mut record);
        let request = &record.request;
        assert!(request.start_line.len() <= MAX_FIELD);
        assert!(request.start_line.ends_with('…'));
        // What is cut is given back, not kept as spare capacity of the record's strings.
        assert!(request.start_line.capacity() <= MAX_FIELD);
        assert!(request.headers[0].1.capacity() <= MAX_FIELD);
        assert!(request.headers[0].1.len() <= MAX_FIELD);
        let kept: usize = request.start_line.len()
            + request
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 4)
                .sum::<usize>();
        assert!(kept <= MAX_HEAD, "{kept}");
        assert!(request.headers.len() < 501);
        assert_eq!(record.findings.len(), 1, "{:?}", record.findings);
        assert!(
            record.findings[0].starts_with("the request head is ")
                && record.findings[0].contains("headers past its first"),
            "{}",
            record.findings[0]
        );
    }

    #[test]
    fn a_sanitized_record_has_no_credential_values() {
        let mut record = CaptureRecord {
            seq: 1,
            conn: 1,
            hop: wirebook_shared::Hop::Tap,
            time_us: 0,
            body: CaptureBody::Handshake(Box::new(handshake(head(
                "GET /x HTTP/1.1",
                &[
                    ("authorization", "Bearer abc"),
                    ("Cookie", "sid=2"),
                    ("Proxy-Authorization", "Basic x"),
                    ("Origin", "http://o"),
                ],
            )))),
        };
        let mut kept = record.clone();
        outgoing(&mut kept, Sensitive::Included, &Secrets::new());
        assert_eq!(kept, record, "with sensitive data: as recorded");
        outgoing(&mut record, Sensitive::Hidden, &Secrets::new());
        let CaptureBody::Handshake(h) = &record.body else {
            unreachable!()
        };
        let values: Vec<&str> = h.request.headers.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, [REMOVED, REMOVED, REMOVED, "http://o"]);
        assert_eq!(h.response.as_ref().unwrap().headers[0].1, REMOVED);
    }

    #[test]
    fn a_frame_that_carries_the_token_shows_stars_of_its_length() {
        let mut secrets = Secrets::new();
        secrets.add("tok3n");
        let text = r#"{"type":"set_kernel","url":"ws://h/tap/x?token=tok3n"}"#;
        let mut frame = FrameRecord {
            direction: wirebook_shared::Direction::ToServer,
            offset: 0,
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode: wirebook_shared::Opcode::Text,
            mask_key: None,
            len: text.len() as u64,
            length_form: "7-bit".into(),
            header_hex: "81".into(),
            // A copy at an odd digit is not the token's bytes and stays.
            payload_hex: format!("{}0{}", hex(text.as_bytes()), hex(b"tok3n")),
            truncated: false,
            findings: vec![],
            message: Some(wirebook_shared::MessageSummary {
                opcode: wirebook_shared::Opcode::Text,
                frames: 1,
                compressed: false,
                wire_len: text.len() as u64,
                len: text.len() as u64,
                preview: text.into(),
                truncated: false,
                close: None,
                findings: vec![],
            }),
            caused_by: None,
            mark: None,
        };
        secrets.mask_frame(&mut frame);
        let preview = &frame.message.as_ref().unwrap().preview;
        assert_eq!(preview, &text.replace("tok3n", "*****"));
        let masked = hex(text.replace("tok3n", "*****").as_bytes());
        assert_eq!(frame.payload_hex, format!("{masked}0{}", hex(b"tok3n")));
    }

    #[test]
    fn secret_header_values_of_a_set_kernel_are_masked() {
        let text = r#"{"type":"set_kernel","kernel":{"kind":"web_socket","url":"ws://h/","settings":{"headers":[{"name":"A","value":"s3\"cr3t","secret":true}]}}}"#;
        let mut bytes = text.as_bytes().to_vec();
        mask_values(&mut bytes, b"\"value\":\"");
        let masked = String::from_utf8(bytes).unwrap();
        assert!(!masked.contains("cr3t"), "{masked}");
        assert!(masked.contains(r#""value":"********""#), "{masked}");
        assert_eq!(masked.len(), text.len());
        let value: serde_json::Value = serde_json::from_str(&masked).unwrap();
        assert_eq!(value["kernel"]["url"], "ws://h/");
    }
}
