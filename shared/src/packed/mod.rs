//! Binary payloads read as MessagePack or CBOR, into a [`Tree`] the inspector shows like JSON.
//!
//! Hand-written rather than `rmpv` / `ciborium`: the inspector must show what JSON cannot hold
//! (map keys that are not strings, duplicate keys, in order; CBOR tags, `undefined` and simple
//! values; NaN and infinities), and a peer's payload must never make it allocate by a declared
//! length or recurse without bound. Both crates decode into their own value types with
//! capacities taken from the declared counts and their own recursion rules, so the checks
//! would have to be re-done around them; the two decoders here are small and do them once:
//!
//! - every declared length or count is checked against the bytes left before anything is
//!   read or reserved (an array item takes at least one byte, a map entry two), so a lie is a
//!   [`DecodeError`], never an allocation;
//! - nesting is at most [`MAX_DEPTH`] and a document at most [`MAX_ITEMS`] values and
//!   [`MAX_INPUT`] bytes;
//! - a payload "looks like" a format only if it decodes completely, with no bytes left over.
//!
//! How what JSON lacks is shown: a byte string as `"(N bytes) hex…"` (hex of the first
//! [`HEX_SHOWN`] bytes), a CBOR tag as `{"tag": N, "value": …}`, a MessagePack extension as
//! `{"ext": N, "data": "(N bytes) hex"}` (the timestamp extension, −1, as seconds and
//! nanoseconds), a key that is not a string as its compact text (`1`, `[1,2]`), NaN and ±∞ as
//! the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, CBOR's `undefined` and simple values as
//! `"undefined"` and `"simple(N)"`, an integer beyond JSON's 64 bits as its decimal string.

pub mod cbor;
pub mod msgpack;

use std::fmt;

/// Nesting deeper than this is refused (the decoders recurse; this keeps the wasm stack safe).
pub const MAX_DEPTH: usize = 64;
/// Values in one document at most (scalars, containers and map keys each count one).
pub const MAX_ITEMS: usize = 100_000;
/// Payloads longer than this are not decoded.
pub const MAX_INPUT: usize = 16 << 20;
/// Items reserved for a container at most before they are read: a declared count may be as
/// large as the bytes left, and a tree node is ~30 times a byte.
pub(crate) const RESERVE: usize = 1024;
/// Bytes of a byte string shown as hex; the length says how many there are.
pub const HEX_SHOWN: usize = 64;

/// A decoded document: JSON's shapes, with map entries in order (duplicates kept).
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

/// The binary formats the inspector can read a payload as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    MessagePack,
    Cbor,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::MessagePack, Format::Cbor];

    pub fn name(self) -> &'static str {
        match self {
            Format::MessagePack => "MessagePack",
            Format::Cbor => "CBOR",
        }
    }

    /// The payload as this format: the whole of it, or why not.
    pub fn decode(self, bytes: &[u8]) -> Result<Tree, DecodeError> {
        match self {
            Format::MessagePack => msgpack::decode(bytes),
            Format::Cbor => cbor::decode(bytes),
        }
    }
}

/// The formats a payload decodes as completely (empty for text, which is never offered).
pub fn looks_like(bytes: &[u8]) -> Vec<Format> {
    Format::ALL
        .into_iter()
        .filter(|f| f.decode(bytes).is_ok())
        .collect()
}

/// Why a payload does not decode, and at which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub offset: usize,
    pub what: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for DecodeError {}

/// The bytes being read, with the budgets every document shares.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    items: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        if bytes.is_empty() {
            return Err(DecodeError {
                offset: 0,
                what: "the payload is empty".into(),
            });
        }
        if bytes.len() > MAX_INPUT {
            return Err(DecodeError {
                offset: 0,
                what: format!("the payload is over {MAX_INPUT} bytes, too long to decode"),
            });
        }
        Ok(Reader {
            bytes,
            pos: 0,
            items: 0,
        })
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(crate) fn error(&self, at: usize, what: impl Into<String>) -> DecodeError {
        DecodeError {
            offset: at,
            what: what.into(),
        }
    }

    /// Counts one value against [`MAX_ITEMS`] and checks the depth.
    pub(crate) fn enter(&mut self, depth: usize) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.error(self.pos, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(self.error(self.pos, format!("more than {MAX_ITEMS} values")));
        }
        Ok(())
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.left() {
            return Err(self.error(
                self.pos,
                format!(
                    "{n} bytes declared but only {} left (cut short?)",
                    self.left()
                ),
            ));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// A big-endian unsigned integer of `n` (1, 2, 4 or 8) bytes.
    pub(crate) fn uint(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// A declared length as `usize`, refused if `per_item` bytes for each would exceed the bytes left.
    pub(crate) fn length(
        &self,
        declared: u64,
        per_item: usize,
        noun: &str,
        at: usize,
    ) -> Result<usize, DecodeError> {
        let need = u128::from(declared) * per_item as u128;
        if need > self.left() as u128 {
            return Err(self.error(
                at,
                format!(
                    "declares {declared} {noun} but only {} bytes are left",
                    self.left()
                ),
            ));
        }
        Ok(declared as usize)
    }

    /// Errors unless every byte was read.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.left() {
            0 => Ok(()),
            n => Err(self.error(
                self.pos,
                format!("{n} bytes left over after the first value"),
            )),
        }
    }
}

/// A byte string as shown: its length and the hex of its first [`HEX_SHOWN`] bytes.
pub fn bytes_text(bytes: &[u8]) -> String {
    let (hex, cut) = crate::hex::binary_preview(bytes, HEX_SHOWN);
    let noun = if bytes.len() == 1 { "byte" } else { "bytes" };
    format!(
        "({} {noun}) {hex}{}",
        bytes.len(),
        if cut { "…" } else { "" }
    )
}

/// A string that was declared text but is not UTF-8, shown as its bytes with that said.
pub(crate) fn text_or_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => format!("not UTF-8: {}", bytes_text(bytes)),
    }
}

/// A float: a JSON number when finite, otherwise its name.
pub(crate) fn float(v: f64) -> Tree {
    match serde_json::Number::from_f64(v) {
        Some(n) => Tree::Number(n),
        None if v.is_nan() => Tree::String("NaN".into()),
        None if v > 0.0 => Tree::String("Infinity".into()),
        None => Tree::String("-Infinity".into()),
    }
}

/// A 32-bit float as the shortest decimal that reads back as it (1.1, not 1.100000023841858).
pub(crate) fn float32(v: f32) -> Tree {
    if !v.is_finite() {
        return float(f64::from(v));
    }
    float(v.to_string().parse::<f64>().unwrap_or(f64::from(v)))
}

/// A map key: a string as it is, anything else as its compact text.
pub(crate) fn key_text(key: Tree) -> String {
    match key {
        Tree::String(s) => s,
        other => {
            let mut out = String::new();
            compact(&other, &mut out);
            out
        }
    }
}

/// Compact JSON-like text of a tree (keys are at most [`MAX_DEPTH`] deep, as is all of it).
fn compact(tree: &Tree, out: &mut String) {
    match tree {
        Tree::Null => out.push_str("null"),
        Tree::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Tree::Number(n) => out.push_str(&n.to_string()),
        Tree::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        Tree::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                compact(item, out);
            }
            out.push(']');
        }
        Tree::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                compact(v, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_needs_a_complete_decode() {
        // 0x93 01 02 03: MessagePack [1,2,3]; in CBOR 0x93 is an array of 19 items, cut short.
        assert_eq!(looks_like(&[0x93, 1, 2, 3]), vec![Format::MessagePack]);
        // 0x83 01 02 03: CBOR [1,2,3]; in MessagePack a map of 3 entries, cut short.
        assert_eq!(looks_like(&[0x83, 1, 2, 3]), vec![Format::Cbor]);
        // A trailing byte spoils both.
        assert!(looks_like(&[0x01, 0x02]).is_empty());
        assert!(looks_like(&[]).is_empty());
        // The e2e test's payload (packed.spec.ts): {"compact":true,"schema":0,"tags":[1,-1]}.
        let e2e = crate::hex::unhex(
            "83 a7 63 6f 6d 70 61 63 74 c3 a6 73 63 68 65 6d 61 00 a4 74 61 67 73 92 01 ff",
        )
        .unwrap();
        assert_eq!(looks_like(&e2e), vec![Format::MessagePack]);
        let cbor_error = Format::Cbor.decode(&e2e).unwrap_err().to_string();
        assert!(cbor_error.starts_with("at byte "), "{cbor_error}");
    }

    #[test]
    fn byte_strings_say_their_length_and_cut_long_hex() {
        assert_eq!(bytes_text(&[0xde, 0xad]), "(2 bytes) dead");
        assert_eq!(bytes_text(&[1]), "(1 byte) 01");
        let long = bytes_text(&[0xab; 100]);
        assert!(long.starts_with("(100 bytes) abab"));
        assert!(long.ends_with('…'));
        assert_eq!(long.chars().filter(|c| *c == 'a').count(), HEX_SHOWN);
    }

    #[test]
    fn keys_that_are_not_strings_are_their_text() {
        assert_eq!(key_text(Tree::Number(1.into())), "1");
        assert_eq!(
            key_text(Tree::Array(vec![Tree::Null, Tree::String("a\"".into())])),
            r#"[null,"a\""]"#
        );
        assert_eq!(key_text(Tree::String("k".into())), "k");
    }

    #[test]
    fn floats_that_json_lacks_are_named() {
        assert_eq!(float(f64::NAN), Tree::String("NaN".into()));
        assert_eq!(float(f64::INFINITY), Tree::String("Infinity".into()));
        assert_eq!(float(f64::NEG_INFINITY), Tree::String("-Infinity".into()));
        assert_eq!(float32(1.1), float(1.1));
    }
}
