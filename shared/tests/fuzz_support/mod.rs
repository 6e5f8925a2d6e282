//! The fuzz targets' runner and their input mutations (bytes, chunkings, JSON), shared by
//! shared/tests/fuzz_parsers.rs and the notebook crate's HAR target (which includes this file
//! by path, as the two crates' tests cannot share a module otherwise).

// Each test crate uses a part of what is here.
#![allow(dead_code)]

use std::cell::Cell;
use std::time::Instant;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use wirebook_shared::ipynb::IpynbNotebook;

// ---- the runner ----

/// Cases per target: `WIREBOOK_FUZZ_CASES`, else few enough for `make test`.
pub fn cases() -> u32 {
    std::env::var("WIREBOOK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// What a target did, for the report: parser calls, and inputs the parser accepted (so that
/// they reached the deeper checks: a message decoded, a document parsed, a head read).
#[derive(Default)]
pub struct Calls {
    calls: Cell<u64>,
    accepted: Cell<u64>,
}

impl Calls {
    pub fn add(&self, n: u64) {
        self.calls.set(self.calls.get() + n);
    }

    pub fn accept(&self) {
        self.accepted.set(self.accepted.get() + 1);
    }
}

/// Runs `test` on `cases()` inputs from `strategy` and prints what it did.
pub fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value, &Calls) -> Result<(), TestCaseError>,
) {
    let cases = cases();
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let calls = Calls::default();
    let started = Instant::now();
    let result = runner.run(&strategy, |value| test(value, &calls));
    eprintln!(
        "fuzz target {name}: {cases} cases, {} parser calls, {} accepted, {:.1} s",
        calls.calls.get(),
        calls.accepted.get(),
        started.elapsed().as_secs_f64()
    );
    if let Err(error) = result {
        panic!("fuzz target {name}: {error}");
    }
}

// ---- byte mutations and chunkings ----

#[derive(Debug, Clone)]
pub enum ByteEdit {
    Flip {
        at: usize,
        bit: u8,
    },
    Set {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    Truncate {
        at: usize,
    },
    /// Copies a piece elsewhere: repeats a header, a frame, a JSON member.
    Repeat {
        from: usize,
        len: usize,
        to: usize,
    },
    /// Writes a boundary number over whatever is there (length fields, offset tables).
    Number {
        at: usize,
        value: u64,
        width: usize,
        big_endian: bool,
        aligned: bool,
    },
}

/// Boundary numbers: the length forms' limits, powers of two, all ones.
#[rustfmt::skip]
pub const NUMBERS: [u64; 24] = [
    0, 1, 2, 3, 4, 5, 7, 8, 16, 125, 126, 127, 128, 255, 256, 0x7fff, 0xffff, 0x1_0000,
    0x7fff_ffff, 0xffff_ffff, 0x1_0000_0000, 1 << 62, 1 << 63, u64::MAX,
];

pub fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    let number = prop_oneof![3 => select(&NUMBERS[..]), 1 => any::<u64>()];
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| ByteEdit::Flip { at, bit }),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ByteEdit::Set { at, byte }),
        2 => (any::<usize>(), vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| ByteEdit::Insert { at, bytes }),
        2 => (any::<usize>(), 1usize..32).prop_map(|(at, len)| ByteEdit::Delete { at, len }),
        1 => any::<usize>().prop_map(|at| ByteEdit::Truncate { at }),
        1 => (any::<usize>(), 1usize..64, any::<usize>())
            .prop_map(|(from, len, to)| ByteEdit::Repeat { from, len, to }),
        2 => (any::<usize>(), number, select(&[1usize, 2, 4, 8][..]), any::<bool>(), any::<bool>())
            .prop_map(|(at, value, width, big_endian, aligned)| ByteEdit::Number {
                at, value, width, big_endian, aligned,
            }),
    ]
}

/// Some edits, or (a quarter of the time) none, so that valid samples are checked too.
pub fn byte_edits() -> impl Strategy<Value = Vec<ByteEdit>> {
    prop_oneof![1 => Just(Vec::new()), 3 => vec(byte_edit(), 1..6)]
}

pub fn apply_bytes(bytes: &mut Vec<u8>, edits: &[ByteEdit]) {
    for edit in edits {
        let len = bytes.len();
        match edit {
            ByteEdit::Flip { at, bit } if len > 0 => bytes[at % len] ^= 1 << bit,
            ByteEdit::Set { at, byte } if len > 0 => bytes[at % len] = *byte,
            ByteEdit::Insert { at, bytes: new } => {
                let at = at % (len + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            ByteEdit::Delete { at, len: n } if len > 0 => {
                let at = at % len;
                bytes.drain(at..(at + n).min(len));
            }
            ByteEdit::Truncate { at } => bytes.truncate(at % (len + 1)),
            ByteEdit::Repeat { from, len: n, to } if len > 0 => {
                let from = from % len;
                let piece = bytes[from..(from + n).min(len)].to_vec();
                let to = to % (len + 1);
                bytes.splice(to..to, piece);
            }
            ByteEdit::Number {
                at,
                value,
                width,
                big_endian,
                aligned,
            } if len > 0 => {
                let mut at = at % len;
                if *aligned {
                    at -= at % width;
                }
                let (be, le) = (value.to_be_bytes(), value.to_le_bytes());
                let word = if *big_endian {
                    &be[8 - width..]
                } else {
                    &le[..*width]
                };
                for (i, b) in word.iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Byte edits on text, which then is read as lossy UTF-8.
pub fn edit_text(text: String, edits: &[ByteEdit]) -> String {
    if edits.is_empty() {
        return text;
    }
    let mut bytes = text.into_bytes();
    apply_bytes(&mut bytes, edits);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// How an incremental parser gets its input.
#[derive(Debug, Clone)]
pub enum Chunking {
    Whole,
    /// Cut at these positions (modulo the length; repeats make empty pushes).
    Cuts(Vec<usize>),
    /// Pieces of this many bytes (1: byte by byte).
    Every(usize),
}

pub fn chunking() -> impl Strategy<Value = Chunking> {
    prop_oneof![
        1 => Just(Chunking::Whole),
        4 => vec(any::<usize>(), 1..12).prop_map(Chunking::Cuts),
        2 => (1usize..=16).prop_map(Chunking::Every),
    ]
}

pub fn pieces<'a>(bytes: &'a [u8], chunking: &Chunking) -> Vec<&'a [u8]> {
    match chunking {
        Chunking::Whole => vec![bytes],
        Chunking::Every(n) => bytes.chunks(*n).collect(),
        Chunking::Cuts(cuts) => {
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
            points.push(0);
            points.push(bytes.len());
            points.sort_unstable();
            points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
        }
    }
}

// ---- JSON mutations ----

/// Keys the parsers look for, so that spliced objects reach past the first check.
pub const KEYS: &[&str] = &[
    "type",
    "kind",
    "cell_id",
    "code",
    "format",
    "compact",
    "kernel",
    "url",
    "settings",
    "headers",
    "name",
    "value",
    "secret",
    "channel",
    "msg_type",
    "msg_id",
    "content",
    "metadata",
    "header",
    "parent_header",
    "buffers",
    "state",
    "records",
    "body",
    "event",
    "cells",
    "cell_type",
    "source",
    "outputs",
    "output_type",
    "data",
    "text",
    "id",
    "execution_count",
    "attachments",
    "nbformat",
    "nbformat_minor",
    "kernelspec",
    "wirebook",
    "display_name",
    "ename",
    "evalue",
    "traceback",
    "log",
    "entries",
    "_resourceType",
    "_webSocketMessages",
    "request",
    "opcode",
    "time",
    "text/plain",
    "application/json",
    "image/png",
    "application/octet-stream",
];

/// Values with a meaning somewhere.
pub const WORDS: &[&str] = &[
    "",
    "execute",
    "set_kernel",
    "send_kernel_message",
    "hello",
    "output",
    "capture",
    "kernel_message",
    "text",
    "binary",
    "web_socket",
    "jupyter",
    "gateway",
    "startup",
    "json",
    "hex",
    "base64",
    "ping",
    "close",
    "shell",
    "iopub",
    "stdin",
    "control",
    "hb",
    "heartbeat",
    "open",
    "closed",
    "frame",
    "handshake",
    "code",
    "markdown",
    "raw",
    "stream",
    "display_data",
    "execute_result",
    "error",
    "send",
    "receive",
    "websocket",
    "echo",
    "text/plain",
    "application/json",
    "application/vnd.x+json",
    "deadbeef",
    "AAEC/v8=",
    "<IDS|MSG>",
    "ws://u:p@h/",
    "wss://h/?token=1",
    "a\r\nb\rc\u{2028}d\u{85}",
    "é€😀",
    "\u{0}",
];

pub fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        select(&NUMBERS[..]).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (-1e3..1e3f64).prop_map(Value::from),
        select(WORDS).prop_map(Value::from),
        "(?s).{0,12}".prop_map(Value::from),
    ]
}

pub fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![3 => select(KEYS).prop_map(String::from), 1 => "[a-z_]{0,6}"]
}

pub fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((json_key(), inner), 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An edit of a parsed JSON document; nodes are numbered in document order (modulo their
/// count), the root being 0.
#[derive(Debug, Clone)]
pub enum JsonEdit {
    Replace { node: usize, with: Value },
    Remove { node: usize },
    Rename { node: usize, to: String },
    Swap { a: usize, b: usize },
    Copy { from: usize, to: usize },
    Wrap { node: usize, in_list: bool },
}

pub fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => (any::<usize>(), json_value()).prop_map(|(node, with)| JsonEdit::Replace { node, with }),
        3 => any::<usize>().prop_map(|node| JsonEdit::Remove { node }),
        1 => (any::<usize>(), json_key()).prop_map(|(node, to)| JsonEdit::Rename { node, to }),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| JsonEdit::Swap { a, b }),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(from, to)| JsonEdit::Copy { from, to }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(node, in_list)| JsonEdit::Wrap { node, in_list }),
    ]
}

pub fn json_edits() -> impl Strategy<Value = Vec<JsonEdit>> {
    prop_oneof![1 => Just(Vec::new()), 3 => vec(json_edit(), 1..5)]
}

#[derive(Debug, Clone)]
pub enum Step {
    Key(String),
    Index(usize),
}

pub fn node_paths(value: &Value) -> Vec<Vec<Step>> {
    fn walk(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(path.clone());
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(Step::Key(key.clone()));
                    walk(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

pub fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get_mut(key.as_str()),
        Step::Index(i) => node.get_mut(*i),
    })
}

pub fn apply_json(value: &mut Value, edits: &[JsonEdit]) {
    for edit in edits {
        let paths = node_paths(value);
        let pick = |n: usize| paths[n % paths.len()].clone();
        match edit {
            JsonEdit::Replace { node, with } => {
                if let Some(slot) = node_mut(value, &pick(*node)) {
                    *slot = with.clone();
                }
            }
            JsonEdit::Remove { node } | JsonEdit::Rename { node, .. } => {
                let path = pick(*node);
                let Some((last, parent)) = path.split_last() else {
                    continue;
                };
                match (node_mut(value, parent), last, edit) {
                    (Some(Value::Object(map)), Step::Key(key), JsonEdit::Rename { to, .. }) => {
                        if let Some(moved) = map.remove(key) {
                            map.insert(to.clone(), moved);
                        }
                    }
                    (Some(Value::Object(map)), Step::Key(key), _) => {
                        map.remove(key);
                    }
                    (Some(Value::Array(items)), Step::Index(i), JsonEdit::Remove { .. }) => {
                        items.remove(*i);
                    }
                    _ => {}
                }
            }
            JsonEdit::Swap { a, b } => {
                let (a, b) = (pick(*a), pick(*b));
                let va = node_mut(value, &a).map(|v| v.clone());
                let vb = node_mut(value, &b).map(|v| v.clone());
                if let (Some(va), Some(vb)) = (va, vb) {
                    if let Some(slot) = node_mut(value, &a) {
                        *slot = vb;
                    }
                    if let Some(slot) = node_mut(value, &b) {
                        *slot = va;
                    }
                }
            }
            JsonEdit::Copy { from, to } => {
                let copied = node_mut(value, &pick(*from)).map(|v| v.clone());
                if let (Some(copied), Some(slot)) = (copied, node_mut(value, &pick(*to))) {
                    *slot = copied;
                }
            }
            JsonEdit::Wrap { node, in_list } => {
                if let Some(slot) = node_mut(value, &pick(*node)) {
                    let inner = slot.take();
                    *slot = if *in_list {
                        Value::Array(vec![inner])
                    } else {
                        json!({ "value": inner })
                    };
                }
            }
        }
    }
}

/// Text for a JSON parser: arbitrary text now and then, mostly one of `samples` with JSON
/// edits, written compact or pretty, sometimes with byte edits on top.
pub fn json_text(samples: Vec<Value>) -> BoxedStrategy<String> {
    let mutated = (
        select(samples),
        json_edits(),
        any::<bool>(),
        prop_oneof![3 => Just(Vec::new()), 1 => vec(byte_edit(), 1..4)],
    )
        .prop_map(|(mut value, edits, pretty, bytes)| {
            apply_json(&mut value, &edits);
            let text = if pretty {
                serde_json::to_string_pretty(&value)
            } else {
                serde_json::to_string(&value)
            }
            .expect("a JSON value serialises");
            edit_text(text, &bytes)
        });
    prop_oneof![
        1 => "(?s).{0,100}",
        1 => vec(any::<u8>(), 0..200).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        8 => mutated,
    ]
    .boxed()
}

pub fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

// ---- the ipynb round trip, checked by the ipynb and HAR targets ----

/// A notebook writes, reads back to the same value (the version it was upgraded from aside),
/// and writes the same bytes again. Returns what was read back.
pub fn check_notebook_round_trip(
    notebook: &IpynbNotebook,
    calls: &Calls,
) -> Result<IpynbNotebook, TestCaseError> {
    let _ = notebook.problems();
    let text = notebook.to_json();
    let again = IpynbNotebook::parse(&text).map_err(|e| {
        fail(format!(
            "the written notebook does not read back: {e}\n{text}"
        ))
    })?;
    calls.add(1);
    let mut expected = notebook.clone();
    expected.upgraded_from = None;
    prop_assert_eq!(&again, &expected, "written as {}", text);
    prop_assert_eq!(again.to_json(), text);
    Ok(again)
}
