//! How a cell's source becomes one WebSocket message for a WebSocket kernel: as text, as JSON
//! (validated, sent compact or as typed), as binary written in hex or base64, or as a control
//! frame (a ping with its payload, a close with code and reason), or as raw frames written bit
//! by bit (`crate::raw_frame`), sent as written.
//!
//! The browser encodes to show an error under the cell before anything is sent; the server
//! encodes again from the same source and format (it trusts nothing the browser checked), so
//! both ends agree on what a cell means. A notebook keeps each cell's format in the cell's
//! metadata (`metadata.wirebook.format`), so it travels with the `.ipynb`.

use base64::Engine;
use serde::{Deserialize, Serialize};

/// What a cell's source is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CellFormat {
    /// Sent as a text message, exactly as typed.
    #[default]
    Text,
    /// Must parse as JSON; sent as a text message, compact or as typed.
    Json {
        #[serde(default)]
        compact: bool,
    },
    /// Hex digits (whitespace between bytes allowed); sent as a binary message.
    Hex,
    /// Base64 (standard alphabet, whitespace allowed); sent as a binary message.
    Base64,
    /// A ping whose payload is the source's UTF-8 bytes (at most 125).
    Ping,
    /// A close frame: `CODE reason…`, or empty for a close without a code.
    Close,
    /// Frames written bit by bit, as JSON (see [`crate::raw_frame`]): sent onto the socket as
    /// written, broken ones included.
    Frame,
}

impl CellFormat {
    pub fn is_text(&self) -> bool {
        *self == CellFormat::Text
    }

    /// Whether the cell's source goes out as the text of a text message (text and JSON).
    pub fn sends_source_as_text(&self) -> bool {
        matches!(self, CellFormat::Text | CellFormat::Json { .. })
    }

    pub const ALL: [CellFormat; 8] = [
        CellFormat::Text,
        CellFormat::Json { compact: false },
        CellFormat::Json { compact: true },
        CellFormat::Hex,
        CellFormat::Base64,
        CellFormat::Ping,
        CellFormat::Close,
        CellFormat::Frame,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CellFormat::Text => "text",
            CellFormat::Json { compact: false } => "JSON",
            CellFormat::Json { compact: true } => "JSON (compact)",
            CellFormat::Hex => "binary (hex)",
            CellFormat::Base64 => "binary (base64)",
            CellFormat::Ping => "ping",
            CellFormat::Close => "close",
            CellFormat::Frame => "raw frames",
        }
    }
}

/// The message a cell sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellMessage {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    /// `None`: a close frame without a payload.
    Close(Option<(u16, String)>),
    /// Frames to write onto the socket as they are.
    Frames(Vec<crate::raw_frame::RawFrame>),
}

/// Why a cell's source (or the inspector composer's content) does not fit its format; `line`
/// and `column` (1-based) point into the source when the problem has a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellFormatError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl CellFormatError {
    pub fn new(message: impl Into<String>) -> Self {
        CellFormatError {
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// serde_json's error at its place; the message without the "at line …" it ends with,
    /// since `line` and `column` say that.
    pub fn json(error: &serde_json::Error) -> Self {
        let mut message = error.to_string();
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        CellFormatError {
            message,
            line: Some(error.line()),
            column: Some(error.column()),
        }
    }
}

impl std::fmt::Display for CellFormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

/// Largest payload of a control frame (RFC 6455 §5.5).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// Turns a cell's source into the message it sends.
pub fn encode(format: CellFormat, source: &str) -> Result<CellMessage, CellFormatError> {
    match format {
        CellFormat::Text => Ok(CellMessage::Text(source.to_string())),
        CellFormat::Json { compact } => {
            let value: serde_json::Value = serde_json::from_str(source).map_err(|e| {
                let error = CellFormatError::json(&e);
                CellFormatError {
                    message: format!("not JSON: {}", error.message),
                    ..error
                }
            })?;
            Ok(CellMessage::Text(if compact {
                value.to_string()
            } else {
                source.to_string()
            }))
        }
        CellFormat::Hex => crate::hex::unhex(source)
            .map(CellMessage::Binary)
            .map_err(|e| CellFormatError::new(format!("not hex: {e}"))),
        CellFormat::Base64 => {
            let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map(CellMessage::Binary)
                .map_err(|e| CellFormatError::new(format!("not base64: {e}")))
        }
        CellFormat::Ping => {
            if source.len() > MAX_CONTROL_PAYLOAD {
                return Err(CellFormatError::new(format!(
                    "a ping carries at most {MAX_CONTROL_PAYLOAD} bytes; this is {}",
                    source.len()
                )));
            }
            Ok(CellMessage::Ping(source.as_bytes().to_vec()))
        }
        CellFormat::Close => close(source),
        CellFormat::Frame => crate::raw_frame::parse(source)
            .map(CellMessage::Frames)
            .map_err(|e| CellFormatError {
                message: e.message,
                line: e.line,
                column: e.column,
            }),
    }
}

/// serde_json's message without its own " at line L column C" (we report the place apart).
/// `CODE reason…` → a close payload a client may send.
fn close(source: &str) -> Result<CellMessage, CellFormatError> {
    let source = source.trim();
    if source.is_empty() {
        return Ok(CellMessage::Close(None));
    }
    let (code, reason) = match source.split_once(char::is_whitespace) {
        Some((code, reason)) => (code, reason.trim()),
        None => (source, ""),
    };
    let code: u16 = code.parse().map_err(|_| {
        CellFormatError::new(format!(
            "a close cell is `CODE reason`, e.g. `1000 done`; {code:?} is not a code"
        ))
    })?;
    let sendable = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
    if !sendable {
        let why = match code {
            1005 | 1006 | 1015 => "is reserved for reporting and never sent in a close frame",
            0..=999 => "is not a close code (they start at 1000)",
            _ => "is not a code an endpoint may send (1000–1003, 1007–1014, 3000–4999)",
        };
        return Err(CellFormatError::new(format!("close code {code} {why}")));
    }
    if reason.len() > MAX_CONTROL_PAYLOAD - 2 {
        return Err(CellFormatError::new(format!(
            "a close reason holds at most {} bytes; this is {}",
            MAX_CONTROL_PAYLOAD - 2,
            reason.len()
        )));
    }
    Ok(CellMessage::Close(Some((code, reason.to_string()))))
}

/// The format that fits a message best, for cells made from captured frames: JSON text as
/// JSON, other text as text, binary as hex, pings as pings, closes as closes.
pub fn detect(message: &CellMessage) -> (CellFormat, String) {
    match message {
        CellMessage::Text(text) => {
            let trimmed = text.trim_start();
            let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
            if looks_json && serde_json::from_str::<serde_json::Value>(text).is_ok() {
                (CellFormat::Json { compact: false }, text.clone())
            } else {
                (CellFormat::Text, text.clone())
            }
        }
        CellMessage::Binary(bytes) => (CellFormat::Hex, crate::hex::hex(bytes)),
        CellMessage::Ping(bytes) => (
            CellFormat::Ping,
            String::from_utf8_lossy(bytes).into_owned(),
        ),
        CellMessage::Close(None) => (CellFormat::Close, String::new()),
        CellMessage::Close(Some((code, reason))) => (
            CellFormat::Close,
            format!("{code} {reason}").trim_end().to_string(),
        ),
        CellMessage::Frames(frames) => (CellFormat::Frame, crate::raw_frame::to_source(frames)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_sent_as_typed() {
        assert_eq!(
            encode(CellFormat::Text, " hai\n").unwrap(),
            CellMessage::Text(" hai\n".into())
        );
    }

    #[test]
    fn json_is_validated_and_sent_compact_or_as_typed() {
        let typed = "{\n  \"a\": [1, 2]\n}";
        assert_eq!(
            encode(CellFormat::Json { compact: false }, typed).unwrap(),
            CellMessage::Text(typed.into())
        );
        assert_eq!(
            encode(CellFormat::Json { compact: true }, typed).unwrap(),
            CellMessage::Text(r#"{"a":[1,2]}"#.into())
        );
        let error = encode(
            CellFormat::Json { compact: false },
            "{\n  \"a\": [1,, 2]\n}",
        )
        .unwrap_err();
        assert_eq!((error.line, error.column), (Some(2), Some(11)));
        assert!(error.message.starts_with("not JSON: "), "{}", error.message);
        assert!(!error.message.contains("at line"), "{}", error.message);
        assert_eq!(
            error.to_string(),
            format!("line 2, column 11: {}", error.message)
        );
    }

    #[test]
    fn binary_from_hex_or_base64() {
        assert_eq!(
            encode(CellFormat::Hex, "de ad\nbe ef").unwrap(),
            CellMessage::Binary(vec![0xde, 0xad, 0xbe, 0xef])
        );
        assert!(encode(CellFormat::Hex, "abc")
            .unwrap_err()
            .message
            .contains("odd"));
        assert_eq!(
            encode(CellFormat::Base64, "3q2+\n7w==").unwrap(),
            CellMessage::Binary(vec![0xde, 0xad, 0xbe, 0xef])
        );
        assert!(encode(CellFormat::Base64, "!!")
            .unwrap_err()
            .message
            .starts_with("not base64"));
    }

    #[test]
    fn pings_fit_a_control_frame() {
        assert_eq!(
            encode(CellFormat::Ping, "are you there").unwrap(),
            CellMessage::Ping(b"are you there".to_vec())
        );
        assert!(encode(CellFormat::Ping, &"x".repeat(126))
            .unwrap_err()
            .message
            .contains("at most 125"));
    }

    #[test]
    fn closes_take_a_sendable_code_and_a_short_reason() {
        assert_eq!(
            encode(CellFormat::Close, "  ").unwrap(),
            CellMessage::Close(None)
        );
        assert_eq!(
            encode(CellFormat::Close, "4001 bye now").unwrap(),
            CellMessage::Close(Some((4001, "bye now".into())))
        );
        assert_eq!(
            encode(CellFormat::Close, "1000").unwrap(),
            CellMessage::Close(Some((1000, String::new())))
        );
        for (source, why) in [
            ("bye", "is not a code"),
            ("1006 dropped", "reserved for reporting"),
            ("999", "start at 1000"),
            ("2000", "may send"),
        ] {
            let error = encode(CellFormat::Close, source).unwrap_err();
            assert!(error.message.contains(why), "{source}: {}", error.message);
        }
        let long = format!("1000 {}", "r".repeat(124));
        assert!(encode(CellFormat::Close, &long)
            .unwrap_err()
            .message
            .contains("at most 123"));
    }

    #[test]
    fn detection_round_trips_through_encode() {
        for message in [
            CellMessage::Text(r#"{"op": "sub"}"#.into()),
            CellMessage::Text("plain [words".into()),
            CellMessage::Binary(vec![0, 1, 0xff]),
            CellMessage::Ping(b"p".to_vec()),
            CellMessage::Close(None),
            CellMessage::Close(Some((4000, "done".into()))),
        ] {
            let (format, source) = detect(&message);
            assert_eq!(encode(format, &source).unwrap(), message, "{format:?}");
        }
        assert_eq!(
            detect(&CellMessage::Text("[1, 2]".into())).0,
            CellFormat::Json { compact: false }
        );
    }

    #[test]
    fn formats_are_pinned() {
        for (format, json) in [
            (CellFormat::Text, r#"{"kind":"text"}"#),
            (
                CellFormat::Json { compact: true },
                r#"{"kind":"json","compact":true}"#,
            ),
            (CellFormat::Hex, r#"{"kind":"hex"}"#),
            (CellFormat::Base64, r#"{"kind":"base64"}"#),
            (CellFormat::Ping, r#"{"kind":"ping"}"#),
            (CellFormat::Close, r#"{"kind":"close"}"#),
        ] {
            assert_eq!(serde_json::to_string(&format).unwrap(), json);
            assert_eq!(serde_json::from_str::<CellFormat>(json).unwrap(), format);
        }
        assert_eq!(
            serde_json::from_str::<CellFormat>(r#"{"kind":"json"}"#).unwrap(),
            CellFormat::Json { compact: false }
        );
    }
}
