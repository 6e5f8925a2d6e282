//! The `frame` cell format: WebSocket frames written bit by bit, sent onto the kernel
//! connection's socket as written, including frames RFC 6455 forbids, to see what a server
//! does with them (Autobahn's fuzzing, one precise frame at a time).
//!
//! The source is JSON: one frame, or a list of frames sent back to back. A frame:
//!
//! ```json
//! {"fin": true, "rsv1": false, "rsv2": false, "rsv3": false, "opcode": 1,
//!  "mask": true, "length": 64, "text": "hello",
//!  "fragments": 3, "between": [{"opcode": 9, "text": "ping"}]}
//! ```
//!
//! - `opcode`: 0–15, or a name (`text`, `binary`, `close`, `ping`, `pong`, `continuation`);
//! - `fin` (default true) and `rsv1`–`rsv3` (default false): the header's bits;
//! - `mask`: `true` (the default: a key the server draws), `false`, or the key as 8 hex digits;
//! - `length`: the length field's size, 7, 16 or 64 bits, even when a shorter one would do
//!   (default: the shortest);
//! - the payload: `text` (UTF-8) or `hex` (any bytes); `close` as `{"code": 1000, "reason":
//!   "bye"}` writes a close payload, codes RFC 6455 forbids included;
//! - `fragments`: the payload split into this many frames (the first with the opcode, the rest
//!   continuations, FIN on the last only), and `between`: frames sent between each two
//!   fragments (control frames, usually).
//!
//! [`TEMPLATES`] are the classic cases and the close code a server must answer them with.

use serde::Deserialize;
use serde_json::Value;

use crate::wire::{FrameHeader, LengthForm, Opcode};

/// What is wrong with a frame cell's source; `line` and `column` (from 1) when the JSON itself
/// is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl SourceError {
    fn new(message: impl Into<String>) -> Self {
        SourceError {
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The most frames one cell may send (fragments included).
pub const MAX_FRAMES: usize = 1024;

/// The largest payload one frame of a cell may carry, in bytes.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// How a frame is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    None,
    /// A key the sender draws (as a client must: unpredictable).
    Drawn,
    Key([u8; 4]),
}

/// One frame as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    pub fin: bool,
    pub rsv: [bool; 3],
    /// 0–15.
    pub opcode: u8,
    pub mask: Mask,
    pub length_form: LengthForm,
    pub payload: Vec<u8>,
}

impl RawFrame {
    /// The frame's bytes on the wire, `draw` giving the key of a [`Mask::Drawn`] frame.
    pub fn bytes(&self, draw: &mut dyn FnMut() -> [u8; 4]) -> Vec<u8> {
        let key = match self.mask {
            Mask::None => None,
            Mask::Drawn => Some(draw()),
            Mask::Key(key) => Some(key),
        };
        let mut header = FrameHeader::new(Opcode::from_u8(self.opcode))
            .fin(self.fin)
            .rsv1(self.rsv[0])
            .length_form(self.length_form);
        header.rsv2 = self.rsv[1];
        header.rsv3 = self.rsv[2];
        header.payload_len = self.payload.len() as u64;
        header.mask_key = key;
        let mut out = Vec::with_capacity(14 + self.payload.len());
        header.write(&mut out);
        let start = out.len();
        out.extend_from_slice(&self.payload);
        if let Some(key) = key {
            for (i, byte) in out[start..].iter_mut().enumerate() {
                *byte ^= key[i % 4];
            }
        }
        out
    }
}

/// The frames as a cell's source, every field written out (`parse` reads them back).
pub fn to_source(frames: &[RawFrame]) -> String {
    let items: Vec<Value> = frames
        .iter()
        .map(|f| {
            let mask = match f.mask {
                Mask::None => Value::Bool(false),
                Mask::Drawn => Value::Bool(true),
                Mask::Key(key) => Value::String(crate::hex::hex(&key)),
            };
            let bits = match f.length_form {
                LengthForm::Short => 7,
                LengthForm::Medium => 16,
                LengthForm::Long => 64,
            };
            serde_json::json!({
                "fin": f.fin, "rsv1": f.rsv[0], "rsv2": f.rsv[1], "rsv3": f.rsv[2],
                "opcode": f.opcode, "mask": mask, "length": bits,
                "hex": crate::hex::hex(&f.payload),
            })
        })
        .collect();
    let value = match items.len() {
        1 => items.into_iter().next().unwrap_or(Value::Null),
        _ => Value::Array(items),
    };
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Every frame's bytes, back to back.
pub fn bytes(frames: &[RawFrame], draw: &mut dyn FnMut() -> [u8; 4]) -> Vec<u8> {
    frames.iter().flat_map(|f| f.bytes(draw)).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    fin: Option<bool>,
    rsv1: Option<bool>,
    rsv2: Option<bool>,
    rsv3: Option<bool>,
    opcode: Value,
    mask: Option<Value>,
    length: Option<u8>,
    text: Option<String>,
    hex: Option<String>,
    close: Option<CloseSource>,
    fragments: Option<usize>,
    between: Option<Vec<Source>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseSource {
    code: Option<u16>,
    #[serde(default)]
    reason: String,
}

/// The frames a cell's source writes, or what is wrong with it.
pub fn parse(source: &str) -> Result<Vec<RawFrame>, SourceError> {
    let value: Value = serde_json::from_str(source).map_err(|e| {
        let mut message = e.to_string();
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        SourceError {
            message: format!("a frame cell is JSON: {message}"),
            line: Some(e.line()),
            column: Some(e.column()),
        }
    })?;
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    if items.is_empty() {
        return Err(SourceError::new("the list of frames is empty"));
    }
    let mut frames = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let at = |e: String| SourceError::new(format!("frame {}: {e}", i + 1));
        let source: Source = serde_json::from_value(item).map_err(|e| at(e.to_string()))?;
        frames.extend(expand(source).map_err(at)?);
        if frames.len() > MAX_FRAMES {
            return Err(SourceError::new(format!(
                "a cell sends at most {MAX_FRAMES} frames"
            )));
        }
    }
    Ok(frames)
}

fn opcode(value: &Value) -> Result<u8, String> {
    let names = [
        ("continuation", 0),
        ("text", 1),
        ("binary", 2),
        ("close", 8),
        ("ping", 9),
        ("pong", 10),
    ];
    match value {
        Value::Number(n) => n
            .as_u64()
            .filter(|n| *n < 16)
            .map(|n| n as u8)
            .ok_or_else(|| format!("opcode {n} is not 0–15")),
        Value::String(name) => names
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, code)| *code)
            .ok_or_else(|| format!("opcode {name:?} is not text, binary, close, ping, pong or continuation (or 0–15)")),
        _ => Err("opcode is 0–15 or a name".into()),
    }
}

fn mask(value: Option<&Value>) -> Result<Mask, String> {
    match value {
        None | Some(Value::Bool(true)) => Ok(Mask::Drawn),
        Some(Value::Bool(false)) => Ok(Mask::None),
        Some(Value::String(hex)) => {
            let bytes = crate::hex::unhex(hex).map_err(|e| format!("mask: {e}"))?;
            <[u8; 4]>::try_from(bytes.as_slice())
                .map(Mask::Key)
                .map_err(|_| "mask is true, false, or a key of 8 hex digits".into())
        }
        Some(_) => Err("mask is true, false, or a key of 8 hex digits".into()),
    }
}

fn payload(source: &Source) -> Result<Vec<u8>, String> {
    let payload = match (&source.text, &source.hex, &source.close) {
        (None, None, None) => Vec::new(),
        (Some(text), None, None) => text.as_bytes().to_vec(),
        (None, Some(hex), None) => crate::hex::unhex(hex).map_err(|e| format!("hex: {e}"))?,
        (None, None, Some(close)) => {
            let mut bytes = Vec::new();
            if let Some(code) = close.code {
                bytes.extend_from_slice(&code.to_be_bytes());
            }
            bytes.extend_from_slice(close.reason.as_bytes());
            bytes
        }
        _ => return Err("a frame's payload is one of text, hex or close".into()),
    };
    if payload.len() > MAX_PAYLOAD {
        return Err(format!(
            "a frame carries at most {MAX_PAYLOAD} bytes here; this is {}",
            payload.len()
        ));
    }
    Ok(payload)
}

fn expand(source: Source) -> Result<Vec<RawFrame>, String> {
    let length_form = match source.length {
        None | Some(7) => LengthForm::Short,
        Some(16) => LengthForm::Medium,
        Some(64) => LengthForm::Long,
        Some(other) => return Err(format!("length is 7, 16 or 64 (bits), not {other}")),
    };
    let frame = RawFrame {
        fin: source.fin.unwrap_or(true),
        rsv: [
            source.rsv1.unwrap_or(false),
            source.rsv2.unwrap_or(false),
            source.rsv3.unwrap_or(false),
        ],
        opcode: opcode(&source.opcode)?,
        mask: mask(source.mask.as_ref())?,
        // The shortest form that holds the payload, or a longer one as asked.
        length_form,
        payload: payload(&source)?,
    };
    let fits = LengthForm::minimal_for(frame.payload.len() as u64);
    let frame = RawFrame {
        length_form: frame.length_form.max(fits),
        ..frame
    };
    if source
        .length
        .is_some_and(|bits| frame.length_form != form_of(bits))
    {
        return Err(format!(
            "a {}-byte payload does not fit a {}-bit length",
            frame.payload.len(),
            source.length.unwrap_or(7)
        ));
    }
    let fragments = source.fragments.unwrap_or(1);
    if fragments == 0 || fragments > MAX_FRAMES {
        return Err(format!("fragments is 1 to {MAX_FRAMES}"));
    }
    let between = source
        .between
        .unwrap_or_default()
        .into_iter()
        .map(expand)
        .collect::<Result<Vec<Vec<RawFrame>>, String>>()?
        .concat();
    if fragments == 1 {
        return Ok(vec![frame]);
    }
    let size = frame.payload.len().div_ceil(fragments).max(1);
    let pieces: Vec<&[u8]> = if frame.payload.is_empty() {
        vec![&[][..]; fragments]
    } else {
        frame.payload.chunks(size).collect()
    };
    let last = pieces.len() - 1;
    let mut out = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        out.push(RawFrame {
            fin: i == last && frame.fin,
            opcode: if i == 0 { frame.opcode } else { 0 },
            length_form: frame
                .length_form
                .min(LengthForm::Long)
                .max(LengthForm::minimal_for(piece.len() as u64)),
            payload: piece.to_vec(),
            ..frame.clone()
        });
        if i < last {
            out.extend(between.iter().cloned());
        }
    }
    Ok(out)
}

fn form_of(bits: u8) -> LengthForm {
    match bits {
        16 => LengthForm::Medium,
        64 => LengthForm::Long,
        _ => LengthForm::Short,
    }
}

/// A classic broken (or odd) frame: its name, the cell's source, and the close code RFC 6455
/// asks a server to answer it with.
pub struct Template {
    pub name: &'static str,
    pub source: &'static str,
    pub expected_close: u16,
}

/// Autobahn's groups, one frame each.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "RSV1 set without an extension",
        source: r#"{"opcode": "text", "rsv1": true, "text": "hello"}"#,
        expected_close: 1002,
    },
    Template {
        name: "reserved data opcode 3",
        source: r#"{"opcode": 3, "text": "hello"}"#,
        expected_close: 1002,
    },
    Template {
        name: "reserved control opcode 11",
        source: r#"{"opcode": 11}"#,
        expected_close: 1002,
    },
    Template {
        name: "ping of 126 bytes (control frames carry at most 125)",
        source: r#"{"opcode": "ping", "length": 16, "hex": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d"}"#,
        expected_close: 1002,
    },
    Template {
        name: "fragmented ping",
        source: r#"{"opcode": "ping", "text": "frag", "fragments": 2}"#,
        expected_close: 1002,
    },
    Template {
        name: "continuation without a message to continue",
        source: r#"{"opcode": "continuation", "text": "orphan"}"#,
        expected_close: 1002,
    },
    Template {
        name: "text that is not UTF-8",
        source: r#"{"opcode": "text", "hex": "cebae1bdb9cf83cebcceb5eda080656469746564"}"#,
        expected_close: 1007,
    },
    Template {
        name: "close with code 999",
        source: r#"{"opcode": "close", "close": {"code": 999}}"#,
        expected_close: 1002,
    },
    Template {
        name: "close with reserved code 1005",
        source: r#"{"opcode": "close", "close": {"code": 1005}}"#,
        expected_close: 1002,
    },
    Template {
        name: "unmasked frame from the client",
        source: r#"{"opcode": "text", "mask": false, "text": "bare"}"#,
        expected_close: 1002,
    },
    Template {
        name: "a message in 3 fragments with a ping between (valid)",
        source: r#"{"opcode": "text", "text": "fragmented", "fragments": 3, "between": [{"opcode": "ping", "text": "mid"}]}"#,
        expected_close: 0,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::FrameDecoder;
    use crate::Direction;

    fn key() -> [u8; 4] {
        [1, 2, 3, 4]
    }

    #[test]
    fn a_frame_is_written_bit_by_bit() {
        let frames =
            parse(r#"{"opcode": 1, "rsv2": true, "mask": "0a0b0c0d", "length": 64, "text": "hi"}"#)
                .unwrap();
        let bytes = bytes(&frames, &mut key);
        assert_eq!(bytes[0], 0b1010_0001, "FIN, RSV2, text");
        assert_eq!(bytes[1], 0x80 | 127, "masked, 64-bit length");
        assert_eq!(&bytes[2..10], &2u64.to_be_bytes());
        assert_eq!(&bytes[10..14], &[0x0a, 0x0b, 0x0c, 0x0d]);
        assert_eq!(&bytes[14..], &[b'h' ^ 0x0a, b'i' ^ 0x0b]);
        // Drawn keys come from the sender; no mask means none.
        let drawn = bytes_of(r#"{"opcode": "binary", "hex": "ff"}"#);
        assert_eq!(&drawn[..], &[0x82, 0x81, 1, 2, 3, 4, 0xff ^ 1]);
        assert_eq!(
            bytes_of(r#"{"opcode": 15, "mask": false, "fin": false}"#),
            [0x0f, 0x00]
        );
        assert_eq!(
            bytes_of(
                r#"{"opcode": "close", "mask": false, "close": {"code": 999, "reason": "x"}}"#
            ),
            [0x88, 0x03, 0x03, 0xe7, b'x']
        );
    }

    fn bytes_of(source: &str) -> Vec<u8> {
        bytes(&parse(source).unwrap(), &mut key)
    }

    #[test]
    fn fragments_split_the_payload_with_frames_between() {
        let frames = parse(
            r#"[{"opcode": "text", "text": "abcdefg", "fragments": 3, "mask": false,
            "between": [{"opcode": "ping", "mask": false}]}]"#,
        )
        .unwrap();
        let shape: Vec<(bool, u8, &[u8])> = frames
            .iter()
            .map(|f| (f.fin, f.opcode, f.payload.as_slice()))
            .collect();
        assert_eq!(
            shape,
            [
                (false, 1, &b"abc"[..]),
                (true, 9, &b""[..]),
                (false, 0, &b"def"[..]),
                (true, 9, &b""[..]),
                (true, 0, &b"g"[..]),
            ]
        );
        // Decoded by the inspector's own decoder: five frames, the message whole.
        let mut decoder = FrameDecoder::new(Direction::ToClient);
        let wire = bytes(&frames, &mut key);
        let decoded: Vec<_> = decoder.push(&wire).collect();
        assert_eq!(decoded.len(), 5);
    }

    #[test]
    fn mistakes_in_the_source_are_named() {
        for (source, says) in [
            ("{", "a frame cell is JSON"),
            ("[]", "empty"),
            (r#"{"opcode": 16}"#, "frame 1: opcode 16 is not 0–15"),
            (r#"{"opcode": "txt"}"#, "is not text, binary"),
            (r#"{"opcode": 1, "lenght": 7}"#, "unknown field `lenght`"),
            (
                r#"{"opcode": 1, "length": 7, "hex": "00", "text": "a"}"#,
                "one of text, hex or close",
            ),
            (r#"{"opcode": 1, "length": 32}"#, "length is 7, 16 or 64"),
            (r#"{"opcode": 1, "mask": "0102"}"#, "8 hex digits"),
            (
                r#"[{"opcode": 1}, {"opcode": 2, "fragments": 0}]"#,
                "frame 2: fragments is 1 to",
            ),
        ] {
            let error = parse(source).unwrap_err().to_string();
            assert!(error.contains(says), "{source}: {error}");
        }
        let big = format!(
            r#"{{"opcode": 1, "length": 7, "text": "{}"}}"#,
            "x".repeat(200)
        );
        assert!(parse(&big)
            .unwrap_err()
            .to_string()
            .contains("does not fit a 7-bit length"));
    }

    #[test]
    fn a_source_written_out_reads_back() {
        for template in TEMPLATES {
            let frames = parse(template.source).unwrap();
            assert_eq!(
                parse(&to_source(&frames)).unwrap(),
                frames,
                "{}",
                template.name
            );
        }
    }

    #[test]
    fn every_template_parses() {
        for template in TEMPLATES {
            let frames =
                parse(template.source).unwrap_or_else(|e| panic!("{}: {e}", template.name));
            assert!(!frames.is_empty());
        }
        let ping = parse(TEMPLATES[3].source).unwrap();
        assert_eq!(ping[0].payload.len(), 126);
    }
}
