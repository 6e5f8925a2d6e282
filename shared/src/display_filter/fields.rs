//! The fields a display filter reads from a capture record: their names, kinds and one-line
//! descriptions (the filter box's completion lists them), how each is read from a record
//! without allocating, and the record facts the inspector shows elsewhere too (channel,
//! direction, findings, the heartbeat's line, the text a search looks through).

use crate::capture::{CaptureBody, CaptureRecord, Direction, Opcode};
use crate::jupyter::Channel;
use crate::lens;

use super::syntax::is_word_char;

/// The prefix of a dotted path into a JSON payload: `json.type`, `json.params.0.id`.
pub const JSON_PREFIX: &str = "json.";

/// What kind of value a field holds, which decides the comparisons it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    Bool,
    Text,
    /// One of a few names (compared with `==` and `!=` only).
    Symbol(&'static [&'static str]),
    /// A frame's opcode: a name or its number.
    Opcode,
    /// A lens's field: text or a number, as the protocol has it.
    Lens,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Seq,
    Conn,
    Hop,
    Event,
    Time,
    Dir,
    Opcode,
    Fin,
    Rsv1,
    Rsv2,
    Rsv3,
    Masked,
    Len,
    Truncated,
    Compressed,
    Frames,
    CloseCode,
    CloseReason,
    Text,
    Finding,
    Channel,
    MsgType,
    MsgId,
    Parent,
    CausedBy,
    Protocol,
    Target,
    Rtt,
}

pub const HOPS: &[&str] = &["browser", "kernel", "endpoint", "tap", "upstream"];
pub const EVENTS: &[&str] = &[
    "open",
    "closed",
    "handshake",
    "frame",
    "kernel_message",
    "heartbeat",
];
pub const DIRECTIONS: &[&str] = &["to_server", "to_client"];
pub const CHANNELS: &[&str] = &["shell", "iopub", "stdin", "control", "hb"];
pub const OPCODES: &[&str] = &["continuation", "text", "binary", "close", "ping", "pong"];

/// Every field: name, field, kind, description (completion order).
pub const FIELDS: &[(&str, Field, Kind, &str)] = &[
    (
        "hop",
        Field::Hop,
        Kind::Symbol(HOPS),
        "the leg: browser, kernel, endpoint, tap or upstream",
    ),
    ("conn", Field::Conn, Kind::Number, "the connection's number"),
    (
        "dir",
        Field::Dir,
        Kind::Symbol(DIRECTIONS),
        "a frame's or kernel message's direction: to_server or to_client",
    ),
    (
        "event",
        Field::Event,
        Kind::Symbol(EVENTS),
        "the record: open, closed, handshake, frame, kernel_message, heartbeat",
    ),
    (
        "opcode",
        Field::Opcode,
        Kind::Opcode,
        "a frame's opcode: text, binary, close, ping, pong, continuation or 0–15",
    ),
    (
        "len",
        Field::Len,
        Kind::Number,
        "a frame's payload length as announced; a kernel message's size",
    ),
    (
        "text",
        Field::Text,
        Kind::Text,
        "the payload as text, a close reason, handshake lines, a kernel message's parts",
    ),
    (
        "finding",
        Field::Finding,
        Kind::Bool,
        "the record has protocol violations or oddities",
    ),
    (
        "msg_type",
        Field::MsgType,
        Kind::Text,
        "a Jupyter message's type, e.g. execute_reply",
    ),
    (
        "channel",
        Field::Channel,
        Kind::Symbol(CHANNELS),
        "a kernel record's channel: shell, iopub, stdin, control, hb",
    ),
    ("msg_id", Field::MsgId, Kind::Text, "a Jupyter message's id"),
    (
        "parent",
        Field::Parent,
        Kind::Text,
        "the msg_id of the request a Jupyter message answers",
    ),
    (
        "seq",
        Field::Seq,
        Kind::Number,
        "the record's number in the capture",
    ),
    (
        "time",
        Field::Time,
        Kind::Number,
        "when it was seen, microseconds since the UNIX epoch",
    ),
    ("fin", Field::Fin, Kind::Bool, "a frame's FIN bit"),
    ("rsv1", Field::Rsv1, Kind::Bool, "a frame's RSV1 bit"),
    ("rsv2", Field::Rsv2, Kind::Bool, "a frame's RSV2 bit"),
    ("rsv3", Field::Rsv3, Kind::Bool, "a frame's RSV3 bit"),
    ("masked", Field::Masked, Kind::Bool, "a frame's MASK bit"),
    (
        "truncated",
        Field::Truncated,
        Kind::Bool,
        "only a preview of the frame's payload was kept",
    ),
    (
        "compressed",
        Field::Compressed,
        Kind::Bool,
        "the message was compressed (permessage-deflate)",
    ),
    (
        "frames",
        Field::Frames,
        Kind::Number,
        "how many frames the message took (on its last frame)",
    ),
    (
        "close.code",
        Field::CloseCode,
        Kind::Number,
        "a close frame's code, or the code a closed connection saw",
    ),
    (
        "close.reason",
        Field::CloseReason,
        Kind::Text,
        "a close frame's reason, or how a connection ended",
    ),
    (
        "caused_by",
        Field::CausedBy,
        Kind::Number,
        "the record on the other hop that this one relays",
    ),
    (
        "protocol",
        Field::Protocol,
        Kind::Text,
        "a handshake's negotiated subprotocol",
    ),
    (
        "target",
        Field::Target,
        Kind::Text,
        "the path or URL a connection opened",
    ),
    (
        "rtt",
        Field::Rtt,
        Kind::Number,
        "a heartbeat's round trip, microseconds",
    ),
];

/// What a lens tells of a record, by name: the protocol (`mqtt`), the latency, or a field the
/// lens names (`mqtt.topic`). A record no lens read has none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LensName {
    Protocol(&'static str),
    Latency,
    Field(&'static str),
}

const LATENCY_DESCRIPTION: &str =
    "a response's time since the request it answers (lenses pair them), microseconds";

/// A lens's name and its kind.
pub fn lookup_lens(name: &str) -> Option<(LensName, Kind)> {
    if name == "latency" {
        return Some((LensName::Latency, Kind::Number));
    }
    if let Some((protocol, _)) = lens::PROTOCOL_FIELDS.iter().find(|(n, _)| *n == name) {
        return Some((LensName::Protocol(protocol), Kind::Bool));
    }
    lens::FIELDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(field, _)| (LensName::Field(field), Kind::Lens))
}

/// Every name the filter takes with its description, record fields first (the completion's
/// order, and where a typo's nearest name is looked for).
pub fn every_name() -> impl Iterator<Item = (&'static str, &'static str)> + Clone {
    FIELDS
        .iter()
        .map(|(name, _, _, description)| (*name, *description))
        .chain(lens::PROTOCOL_FIELDS.iter().copied())
        .chain([("latency", LATENCY_DESCRIPTION)])
        .chain(lens::FIELDS.iter().copied())
}

const JSON_DESCRIPTION: &str =
    "a dotted path into a JSON text payload or a kernel message's content";

/// A field by name.
pub fn lookup(name: &str) -> Option<(Field, Kind)> {
    FIELDS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, field, kind, _)| (*field, *kind))
}

/// The name closest to `word` among `names`, when it is close enough to be a typo (or `word`
/// starts it).
pub fn closest<'n>(word: &str, names: impl IntoIterator<Item = &'n str>) -> Option<&'n str> {
    let word = word.to_ascii_lowercase();
    names
        .into_iter()
        .map(|name| {
            let distance = if name.starts_with(&word) && !word.is_empty() {
                0
            } else {
                edit_distance(&word, name)
            };
            (distance, name)
        })
        .filter(|(distance, name)| *distance <= 2.min(name.len() / 2).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A field's value on one record, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'r> {
    Number(u64),
    Bool(bool),
    Text(&'r str),
    Symbol(&'static str),
}

fn frame_of(body: &CaptureBody) -> Option<&crate::capture::FrameRecord> {
    match body {
        CaptureBody::Frame(f) => Some(f),
        _ => None,
    }
}

/// The value of `field` on `record`; `None` where the record has no such field (a frame has
/// no msg_type). [`Field::Text`] has many values: see [`each_text`].
pub fn value(field: Field, record: &CaptureRecord) -> Option<Value<'_>> {
    let body = &record.body;
    let frame = frame_of(body);
    let kernel = match body {
        CaptureBody::KernelMessage(m) => Some(m),
        _ => None,
    };
    let close = frame
        .and_then(|f| f.message.as_ref())
        .and_then(|m| m.close.as_ref());
    Some(match field {
        Field::Seq => Value::Number(record.seq),
        Field::Conn => Value::Number(record.conn),
        Field::Time => Value::Number(record.time_us),
        Field::Hop => Value::Symbol(record.hop.label()),
        Field::Event => Value::Symbol(body.event_name()),
        Field::Dir => Value::Symbol(direction_name(direction_of(body)?)),
        Field::Opcode => Value::Number(u64::from(frame?.opcode.as_u8())),
        Field::Fin => Value::Bool(frame?.fin),
        Field::Rsv1 => Value::Bool(frame?.rsv1),
        Field::Rsv2 => Value::Bool(frame?.rsv2),
        Field::Rsv3 => Value::Bool(frame?.rsv3),
        Field::Masked => Value::Bool(frame?.mask_key.is_some()),
        Field::Len => Value::Number(match (frame, kernel) {
            (Some(f), _) => f.len,
            (_, Some(m)) => m.size,
            _ => return None,
        }),
        Field::Truncated => Value::Bool(frame?.truncated),
        Field::Compressed => Value::Bool(frame?.message.as_ref()?.compressed),
        Field::Frames => Value::Number(u64::from(frame?.message.as_ref()?.frames)),
        Field::CloseCode => Value::Number(u64::from(match body {
            CaptureBody::Closed { code, .. } => (*code)?,
            _ => close?.code?,
        })),
        Field::CloseReason => Value::Text(match body {
            CaptureBody::Closed { reason, .. } => reason,
            _ => &close?.reason,
        }),
        // Text is many strings; a caller asking for one value gets "present".
        Field::Text => Value::Bool(true),
        Field::Finding => Value::Bool(has_findings(body)),
        Field::Channel => Value::Symbol(channel_of(body)?.name()),
        Field::MsgType => Value::Text(&kernel?.msg_type),
        Field::MsgId => Value::Text(&kernel?.msg_id),
        Field::Parent => Value::Text(kernel?.parent_msg_id.as_deref()?),
        Field::CausedBy => Value::Number(match (frame, kernel) {
            (Some(f), _) => f.caused_by?,
            (_, Some(m)) => m.caused_by?,
            _ => return None,
        }),
        Field::Protocol => match body {
            CaptureBody::Handshake(h) => Value::Text(h.protocol.as_deref()?),
            _ => return None,
        },
        Field::Target => match body {
            CaptureBody::Open { target, .. } => Value::Text(target),
            _ => return None,
        },
        Field::Rtt => match body {
            CaptureBody::Heartbeat { rtt_us, .. } => Value::Number((*rtt_us)?),
            _ => return None,
        },
    })
}

/// `to_server` or `to_client`, as the filter and the page query name them.
pub fn direction_name(direction: Direction) -> &'static str {
    direction.name()
}

/// The number of an opcode name (`close` → 8).
pub fn opcode_number(name: &str) -> Option<u8> {
    let opcode = match name {
        "continuation" => Opcode::Continuation,
        "text" => Opcode::Text,
        "binary" => Opcode::Binary,
        "close" => Opcode::Close,
        "ping" => Opcode::Ping,
        "pong" => Opcode::Pong,
        _ => return None,
    };
    Some(opcode.as_u8())
}

/// The JSON a `json.` path reads: a text message's payload, or a kernel message's content.
pub fn json_source(body: &CaptureBody) -> Option<&str> {
    match body {
        CaptureBody::Frame(f) => {
            let message = f.message.as_ref()?;
            (message.opcode == Opcode::Text && !message.truncated).then_some(&message.preview)
        }
        CaptureBody::KernelMessage(m) => (!m.parts.content_truncated).then_some(&m.parts.content),
        _ => None,
    }
}

/// The channel of a kernel record (`None` for frames and connection rows).
pub fn channel_of(body: &CaptureBody) -> Option<Channel> {
    match body {
        CaptureBody::KernelMessage(m) => Some(m.channel),
        CaptureBody::Heartbeat { .. } => Some(Channel::Heartbeat),
        _ => None,
    }
}

/// A frame's or kernel message's direction (`None` for connection rows and heartbeats).
pub fn direction_of(body: &CaptureBody) -> Option<Direction> {
    match body {
        CaptureBody::Frame(f) => Some(f.direction),
        CaptureBody::KernelMessage(m) => Some(m.direction),
        _ => None,
    }
}

/// Whether a record has violations or oddities (a missed heartbeat is one).
pub fn has_findings(body: &CaptureBody) -> bool {
    match body {
        CaptureBody::Frame(f) => {
            !f.findings.is_empty() || f.message.as_ref().is_some_and(|m| !m.findings.is_empty())
        }
        CaptureBody::Handshake(h) => !h.findings.is_empty(),
        CaptureBody::KernelMessage(m) => !m.findings.is_empty(),
        CaptureBody::Heartbeat { ok, .. } => !ok,
        _ => false,
    }
}

/// A heartbeat's one line: `ok · 0.42 ms` or the miss (the inspector's row, and what a search
/// looks through).
pub fn heartbeat_line(ok: bool, rtt_us: Option<u64>) -> String {
    match (ok, rtt_us) {
        (true, Some(us)) => format!("♥ ok · {}.{:02} ms", us / 1000, us % 1000 / 10),
        (true, None) => "♥ ok".to_string(),
        (false, _) => "♥ missed: no answer".to_string(),
    }
}

/// Calls `test` on each text a search looks through until it says yes: the payload (the
/// whole message's preview on the frame that completes it, the frame's own bytes as text and
/// as hex otherwise), a close reason, the handshake's lines, a kernel message's parts. Most
/// records are read in place; fragments, handshake lines and heartbeats are built first.
pub fn each_text(body: &CaptureBody, test: &mut dyn FnMut(&str) -> bool) -> bool {
    match body {
        CaptureBody::Frame(frame) => match &frame.message {
            Some(message) => {
                test(&message.preview) || message.close.as_ref().is_some_and(|c| test(&c.reason))
            }
            None => {
                crate::hex::unhex(&frame.payload_hex)
                    .is_ok_and(|bytes| test(&String::from_utf8_lossy(&bytes)))
                    || test(&frame.payload_hex)
            }
        },
        CaptureBody::Handshake(h) => {
            let head = |head: &crate::capture::HttpHeadRecord,
                        test: &mut dyn FnMut(&str) -> bool| {
                test(&head.start_line)
                    || head.headers.iter().any(|(k, v)| test(&format!("{k}: {v}")))
            };
            head(&h.request, test) || h.response.as_ref().is_some_and(|r| head(r, test))
        }
        CaptureBody::Open {
            client,
            server,
            target,
        } => test(client) || test(server) || test(target),
        CaptureBody::Closed { code, reason } => {
            test(reason) || code.is_some_and(|c| test(&c.to_string()))
        }
        CaptureBody::KernelMessage(m) => {
            test(&m.msg_type)
                || test(&m.msg_id)
                || test(&m.parts.header)
                || test(&m.parts.parent_header)
                || test(&m.parts.metadata)
                || test(&m.parts.content)
                || m.findings.iter().any(|f| test(f))
        }
        CaptureBody::Heartbeat { ok, rtt_us } => {
            test("heartbeat") || test(&heartbeat_line(*ok, *rtt_us))
        }
        CaptureBody::Intercept(record) => test(&intercept_line(record)),
    }
}

/// An intercept record's one line: `held #12 (client → upstream): text contains "buy"`.
pub fn intercept_line(record: &crate::intercept_api::InterceptRecord) -> String {
    let of = record.of.map(|seq| format!(" #{seq}")).unwrap_or_default();
    let mut line = format!("{}{of} ({})", record.action.name(), record.way.label());
    if !record.detail.is_empty() {
        line.push_str(": ");
        line.push_str(&record.detail);
    }
    line
}

/// One completion: the text to put in place of the word at the cursor and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub text: &'static str,
    pub description: &'static str,
}

/// What completes the word at a cursor: `expr[start..end]` is replaced by a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    pub start: usize,
    pub end: usize,
    pub suggestions: Vec<Suggestion>,
}

/// The field names (or, after `field ==`, the names a symbol field takes) that start with the
/// word the cursor (a byte offset) is in or after. Nothing inside a string, and nothing when
/// the word is already the one candidate.
pub fn complete(expr: &str, cursor: usize) -> Completion {
    let mut cursor = cursor.min(expr.len());
    while !expr.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &expr[..cursor];
    if before.matches('"').count() % 2 == 1 {
        return Completion::default();
    }
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(cursor, |(i, _)| i);
    let end = cursor
        + expr[cursor..]
            .find(|c: char| !is_word_char(c))
            .unwrap_or(expr.len() - cursor);
    let word = &expr[start..cursor];
    if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return Completion::default();
    }
    if word.is_empty()
        && !field_position(&expr[..start])
        && value_position(&expr[..start]).is_none()
    {
        // After a field or a value the next thing is an operator, not a name.
        return Completion::default();
    }
    let suggestions = match value_position(&expr[..start]) {
        Some(field) => match lookup(field) {
            Some((_, Kind::Symbol(names))) => suggest(word, names.iter().map(|n| (*n, ""))),
            Some((_, Kind::Opcode)) => suggest(word, OPCODES.iter().map(|n| (*n, ""))),
            Some((_, Kind::Bool)) => suggest(word, [("true", ""), ("false", "")].into_iter()),
            _ => Vec::new(),
        },
        None if word.starts_with(JSON_PREFIX) => Vec::new(),
        // A lens's own fields come once its protocol's name is typed (`mqtt` → `mqtt.topic`):
        // with the record's fields they would make a list of seventy.
        None if word.is_empty() => suggest(
            word,
            every_name()
                .filter(|(name, _)| !lens::FIELDS.iter().any(|(n, _)| n == name))
                .chain([("json.", JSON_DESCRIPTION)]),
        ),
        None => suggest(word, every_name().chain([("json.", JSON_DESCRIPTION)])),
    };
    Completion {
        start,
        end,
        suggestions,
    }
}

fn suggest(
    word: &str,
    candidates: impl Iterator<Item = (&'static str, &'static str)>,
) -> Vec<Suggestion> {
    let found: Vec<Suggestion> = candidates
        .filter(|(name, _)| name.starts_with(word))
        .map(|(text, description)| Suggestion { text, description })
        .collect();
    if found.len() == 1 && found[0].text == word {
        return Vec::new();
    }
    found
}

/// Whether a field name may start after `before`: at the start, or after `&&`, `||`, `!`, `(`,
/// `and`, `or`, `not`.
fn field_position(before: &str) -> bool {
    let trimmed = before.trim_end();
    trimmed.is_empty()
        || trimmed.ends_with(['&', '|', '!', '('])
        || [" and", " or", " not", "(and", "(or", "(not"]
            .iter()
            .any(|w| trimmed.ends_with(w))
        || trimmed == "not"
}

/// The field before a comparison operator that ends `before` (`hop == ` → `hop`).
fn value_position(before: &str) -> Option<&str> {
    let trimmed = before.trim_end();
    let rest = ["==", "!=", "<=", ">=", "<", ">", " eq", " ne"]
        .iter()
        .find_map(|op| trimmed.strip_suffix(op))?
        .trim_end();
    let field_start = rest
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map(|(i, _)| i)?;
    Some(&rest[field_start..])
}
