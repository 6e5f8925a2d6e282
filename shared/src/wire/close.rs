//! Close frames (RFC 6455 §5.5.1, §7.4): the status code with its registered name and a
//! plain-words meaning, the reason text, and what is wrong with them.

use super::finding::Finding;

/// Which part of the code space a close code is in (§7.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseRange {
    /// 0–999: not used.
    Unused,
    /// 1000–2999: defined by RFC 6455, its extensions and the IANA registry.
    Protocol,
    /// 3000–3999: registered with IANA by libraries, frameworks and applications.
    Registered,
    /// 4000–4999: private use, agreed between the application's endpoints.
    Private,
    /// 5000 and up: outside the code space.
    OutOfRange,
}

impl CloseRange {
    pub fn of(code: u16) -> Self {
        match code {
            0..=999 => CloseRange::Unused,
            1000..=2999 => CloseRange::Protocol,
            3000..=3999 => CloseRange::Registered,
            4000..=4999 => CloseRange::Private,
            _ => CloseRange::OutOfRange,
        }
    }
}

/// What a close code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseCodeInfo {
    pub code: u16,
    /// The IANA registry name, or a description of the range.
    pub name: &'static str,
    /// What it tells the reader, in plain words.
    pub meaning: &'static str,
    pub range: CloseRange,
    /// An endpoint may put this code in a close frame.
    pub sendable: bool,
}

/// Describes a close code.
pub fn describe_close_code(code: u16) -> CloseCodeInfo {
    let (name, meaning, sendable) = match code {
        1000 => ("Normal Closure", "the purpose of the connection was fulfilled", true),
        1001 => ("Going Away", "the endpoint is going away: a server shutting down or a browser leaving the page", true),
        1002 => ("Protocol Error", "the endpoint saw a WebSocket protocol error", true),
        1003 => ("Unsupported Data", "the endpoint received a kind of data it cannot accept (e.g. binary when it only takes text)", true),
        1004 => ("Reserved", "reserved; no meaning defined, must not be sent", false),
        1005 => ("No Status Rcvd", "no status code: the close frame carried none (reported locally, never sent)", false),
        1006 => ("Abnormal Closure", "no close frame: the connection dropped (reported locally, never sent)", false),
        1007 => ("Invalid Frame Payload Data", "a message's data did not match its type, e.g. text that is not UTF-8", true),
        1008 => ("Policy Violation", "a message violated the endpoint's policy", true),
        1009 => ("Message Too Big", "a message was too big for the endpoint to process", true),
        1010 => ("Mandatory Extension", "the client expected the server to negotiate an extension it did not", true),
        1011 => ("Internal Error", "the server hit an unexpected condition while handling the request", true),
        1012 => ("Service Restart", "the service is restarting; reconnect later", true),
        1013 => ("Try Again Later", "the server is overloaded or temporarily unavailable; reconnect later", true),
        1014 => ("Bad Gateway", "a gateway or proxy got an invalid response from the upstream server", true),
        1015 => ("TLS Handshake", "the TLS handshake failed (reported locally, never sent)", false),
        0..=999 => ("Unused", "codes below 1000 are not used", false),
        1016..=2999 => ("Unassigned", "reserved for future RFC 6455 extensions; must not be sent yet", false),
        3000..=3999 => ("Library/framework code", "registered with IANA by a library, framework or application", true),
        4000..=4999 => ("Private code", "private use: its meaning is agreed between the application's endpoints", true),
        _ => ("Out of range", "close codes end at 4999", false),
    };
    CloseCodeInfo {
        code,
        name,
        meaning,
        range: CloseRange::of(code),
        sendable,
    }
}

/// A decoded close payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosePayload {
    /// `None` when the payload is empty (which reports as 1005) or one byte.
    pub code: Option<CloseCodeInfo>,
    /// The reason, with invalid UTF-8 replaced (and a finding).
    pub reason: String,
    pub findings: Vec<Finding>,
}

impl ClosePayload {
    /// Decodes the (unmasked) payload of a close frame.
    pub fn parse(payload: &[u8]) -> Self {
        let mut findings = Vec::new();
        if payload.len() < 2 {
            if payload.len() == 1 {
                findings.push(Finding::ClosePayloadOneByte);
            }
            return ClosePayload {
                code: None,
                reason: String::new(),
                findings,
            };
        }
        let code = u16::from_be_bytes([payload[0], payload[1]]);
        let info = describe_close_code(code);
        if matches!(code, 1005 | 1006 | 1015) {
            findings.push(Finding::CloseCodeNotForTheWire { code });
        } else if !info.sendable {
            findings.push(Finding::InvalidCloseCode { code });
        }
        let reason = match std::str::from_utf8(&payload[2..]) {
            Ok(text) => text.to_string(),
            Err(_) => {
                findings.push(Finding::CloseReasonInvalidUtf8);
                String::from_utf8_lossy(&payload[2..]).into_owned()
            }
        };
        ClosePayload {
            code: Some(info),
            reason,
            findings,
        }
    }
}

/// The payload of a close frame with `code` and `reason`.
pub fn encode_close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + reason.len());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(reason.as_bytes());
    out
}
