//! The inspector's filter as data ([`FilterSpec`], serde: a page query carries it) and as a
//! compiled matcher ([`Filter`]), so that the server filters a page of its capture ring with
//! the same code the browser filters live rows with.
//!
//! A search is a case-insensitive substring, or a regular expression compiled by `regex-lite`
//! (small, and its matching time is linear in the text whatever the pattern, so a pattern from
//! a peer cannot stall the server; it ignores case for ASCII letters only). Specs from a peer
//! are bounded ([`MAX_SEARCH_LEN`], [`MAX_PATTERN_SIZE`]); [`FilterSpec::compile`] says what is
//! wrong in words for the filter box.
//!
//! Kernel traffic: the channel and msg_type filters narrow to kernel messages (heartbeats have
//! the `hb` channel), so a frame never passes a msg_type filter. The `status/hb` chip hides
//! iopub `status` messages and heartbeats in one click. How rows look (heartbeat folding, the
//! columns) is the frontend's.

use serde::{Deserialize, Serialize};

use crate::capture::{CaptureBody, CaptureRecord, ConnId, Direction, Hop, Opcode};
use crate::jupyter::Channel;

/// The longest search text or msg_type list a spec may carry, in bytes.
pub const MAX_SEARCH_LEN: usize = 4096;

/// The most memory a compiled pattern may take (regex-lite's size limit), in bytes.
pub const MAX_PATTERN_SIZE: usize = 1 << 20;

/// Which rows of which connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    All,
    Hop(Hop),
    Conn(ConnId),
}

impl Scope {
    /// The scope's value in the scope menu: `all`, `hop:LABEL` or `conn:ID`.
    pub fn value(self) -> String {
        match self {
            Scope::All => "all".to_string(),
            Scope::Hop(hop) => format!("hop:{}", hop.label()),
            Scope::Conn(conn) => format!("conn:{conn}"),
        }
    }

    /// The scope a menu value names, one of `hops` for a hop; anything else is everything.
    pub fn from_value(value: &str, hops: &[Hop]) -> Scope {
        if let Some(label) = value.strip_prefix("hop:") {
            hops.iter()
                .find(|h| h.label() == label)
                .map_or(Scope::All, |h| Scope::Hop(*h))
        } else if let Some(conn) = value.strip_prefix("conn:") {
            conn.parse().map_or(Scope::All, Scope::Conn)
        } else {
            Scope::All
        }
    }
}

/// The kinds of row the opcode chips switch on and off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    Text,
    Binary,
    Continuation,
    Close,
    /// Ping and pong go together: one click hides the keep-alive chatter.
    PingPong,
    /// Handshakes and connection open/closed rows.
    Handshake,
    /// Jupyter messages on shell, iopub, stdin and control (other than `status`).
    Kernel,
    /// iopub `status` messages (busy/idle) and heartbeats: the kernel's liveness chatter.
    StatusBeat,
}

impl RowKind {
    pub const ALL: [RowKind; 8] = [
        RowKind::Text,
        RowKind::Binary,
        RowKind::Continuation,
        RowKind::Close,
        RowKind::PingPong,
        RowKind::Handshake,
        RowKind::Kernel,
        RowKind::StatusBeat,
    ];

    fn bit(self) -> u8 {
        1 << self as u8
    }

    pub fn label(self) -> &'static str {
        match self {
            RowKind::Text => "text",
            RowKind::Binary => "binary",
            RowKind::Continuation => "cont",
            RowKind::Close => "close",
            RowKind::PingPong => "ping/pong",
            RowKind::Handshake => "handshake",
            RowKind::Kernel => "kernel",
            RowKind::StatusBeat => "status/hb",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            RowKind::Text => "text frames",
            RowKind::Binary => "binary frames",
            RowKind::Continuation => "continuation frames",
            RowKind::Close => "close frames",
            RowKind::PingPong => "ping and pong frames",
            RowKind::Handshake => "handshakes and connection opened/closed rows",
            RowKind::Kernel => "Jupyter messages (other than status)",
            RowKind::StatusBeat => "kernel status messages (busy/idle) and heartbeats",
        }
    }

    /// The kind of a row; `None` for frames with reserved opcodes, which are always shown
    /// (they are protocol errors, the rows a user is looking for).
    pub fn of(body: &CaptureBody) -> Option<RowKind> {
        match body {
            CaptureBody::Frame(frame) => match frame.opcode {
                Opcode::Text => Some(RowKind::Text),
                Opcode::Binary => Some(RowKind::Binary),
                Opcode::Continuation => Some(RowKind::Continuation),
                Opcode::Close => Some(RowKind::Close),
                Opcode::Ping | Opcode::Pong => Some(RowKind::PingPong),
                Opcode::Reserved(_) => None,
            },
            CaptureBody::KernelMessage(m) if m.msg_type == "status" => Some(RowKind::StatusBeat),
            CaptureBody::KernelMessage(_) => Some(RowKind::Kernel),
            CaptureBody::Heartbeat { .. } => Some(RowKind::StatusBeat),
            CaptureBody::Open { .. } | CaptureBody::Closed { .. } | CaptureBody::Handshake(_) => {
                Some(RowKind::Handshake)
            }
        }
    }
}

/// A set of [`RowKind`]s.
/// On the wire, the set's bits (bit `n` is the `n`th of [`RowKind::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Kinds(u8);

impl Kinds {
    pub fn contains(self, kind: RowKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn toggled(self, kind: RowKind) -> Self {
        Kinds(self.0 ^ kind.bit())
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The toolbar's state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterSpec {
    pub scope: Scope,
    /// Frames in this direction only (rows without a direction still show).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Kinds of row hidden.
    #[serde(skip_serializing_if = "no_kinds")]
    pub hidden: Kinds,
    /// Text (or a pattern) that the payload must contain.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub search: String,
    /// `search` is a regular expression.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub regex: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub findings_only: bool,
    /// Kernel records on this channel only (frames and handshakes are hidden).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Kernel messages whose msg_type contains one of these words (separated by spaces or
    /// commas, ignoring case), e.g. `execute, status`. Empty: any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub msg_type: String,
}

impl FilterSpec {
    pub fn is_active(&self) -> bool {
        self.scope != Scope::All
            || self.channel.is_some()
            || !self.msg_type.trim().is_empty()
            || self.direction.is_some()
            || !self.hidden.is_empty()
            || !self.search.trim().is_empty()
            || self.findings_only
    }

    /// The spec ready to match, or what is wrong with it (a pattern that does not compile, a
    /// search over the size limits), in words for the filter box.
    pub fn compile(&self) -> Result<Filter, String> {
        if self.search.len() > MAX_SEARCH_LEN {
            return Err(format!(
                "the search is {} bytes long; at most {MAX_SEARCH_LEN} are allowed",
                self.search.len()
            ));
        }
        if self.msg_type.len() > MAX_SEARCH_LEN {
            return Err(format!(
                "the msg_type filter is {} bytes long; at most {MAX_SEARCH_LEN} are allowed",
                self.msg_type.len()
            ));
        }
        let needle = self.search.trim();
        let search = if needle.is_empty() {
            Search::Everything
        } else if self.regex {
            let pattern = regex_lite::RegexBuilder::new(needle)
                .case_insensitive(true)
                .size_limit(MAX_PATTERN_SIZE)
                .build()
                .map_err(|e| format!("invalid regular expression: {e}"))?;
            Search::Pattern(pattern)
        } else {
            Search::Text(needle.to_lowercase())
        };
        Ok(Filter {
            msg_types: msg_type_terms(&self.msg_type),
            spec: FilterSpec {
                search: String::new(),
                msg_type: String::new(),
                ..self.clone()
            },
            search,
        })
    }
}

#[derive(Debug, Clone, Default)]
enum Search {
    #[default]
    Everything,
    /// Lowercased: the match ignores case.
    Text(String),
    Pattern(regex_lite::Regex),
}

/// A [`FilterSpec`] ready to match records.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The spec without its search text and msg_types (those live compiled beside it).
    spec: FilterSpec,
    /// The words of the msg_type filter, lowercased.
    msg_types: Vec<String>,
    search: Search,
}

fn no_kinds(kinds: &Kinds) -> bool {
    kinds.is_empty()
}

/// The words of a msg_type filter, lowercased.
fn msg_type_terms(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
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

impl Filter {
    /// Whether every record passes.
    pub fn is_everything(&self) -> bool {
        matches!(self.search, Search::Everything)
            && self.msg_types.is_empty()
            && !self.spec.is_active()
    }

    pub fn matches(&self, record: &CaptureRecord) -> bool {
        let spec = &self.spec;
        if let Some(want) = spec.channel {
            if channel_of(&record.body) != Some(want) {
                return false;
            }
        }
        if !self.msg_types.is_empty() {
            let CaptureBody::KernelMessage(m) = &record.body else {
                return false;
            };
            let msg_type = m.msg_type.to_lowercase();
            if !self.msg_types.iter().any(|t| msg_type.contains(t.as_str())) {
                return false;
            }
        }
        let in_scope = match spec.scope {
            Scope::All => true,
            Scope::Hop(hop) => record.hop == hop,
            Scope::Conn(conn) => record.conn == conn,
        };
        if !in_scope {
            return false;
        }
        if let (Some(want), Some(got)) = (spec.direction, direction_of(&record.body)) {
            if want != got {
                return false;
            }
        }
        if RowKind::of(&record.body).is_some_and(|kind| spec.hidden.contains(kind)) {
            return false;
        }
        if spec.findings_only && !has_findings(&record.body) {
            return false;
        }
        match &self.search {
            Search::Everything => true,
            Search::Text(needle) => searchable_text(&record.body)
                .iter()
                .any(|text| text.to_lowercase().contains(needle.as_str())),
            Search::Pattern(pattern) => searchable_text(&record.body)
                .iter()
                .any(|text| pattern.is_match(text)),
        }
    }
}

/// What a search looks through: the payload (the whole message's preview on the frame that
/// completes it, the frame's own bytes as text otherwise), a close reason, the handshake's
/// lines.
pub fn searchable_text(body: &CaptureBody) -> Vec<String> {
    match body {
        CaptureBody::Frame(frame) => {
            let mut texts = Vec::with_capacity(2);
            match &frame.message {
                Some(message) => {
                    texts.push(message.preview.clone());
                    if let Some(close) = &message.close {
                        texts.push(close.reason.clone());
                    }
                }
                None => {
                    if let Ok(bytes) = crate::hex::unhex(&frame.payload_hex) {
                        texts.push(String::from_utf8_lossy(&bytes).into_owned());
                    }
                    texts.push(frame.payload_hex.clone());
                }
            }
            texts
        }
        CaptureBody::Handshake(h) => {
            let mut texts = vec![h.request.start_line.clone()];
            texts.extend(h.request.headers.iter().map(|(k, v)| format!("{k}: {v}")));
            if let Some(response) = &h.response {
                texts.push(response.start_line.clone());
                texts.extend(response.headers.iter().map(|(k, v)| format!("{k}: {v}")));
            }
            texts
        }
        CaptureBody::Open {
            client,
            server,
            target,
        } => vec![client.clone(), server.clone(), target.clone()],
        CaptureBody::Closed { code, reason } => {
            let mut texts = vec![reason.clone()];
            texts.extend(code.map(|c| c.to_string()));
            texts
        }
        CaptureBody::KernelMessage(m) => {
            let mut texts = vec![
                m.msg_type.clone(),
                m.msg_id.clone(),
                m.parts.header.clone(),
                m.parts.parent_header.clone(),
                m.parts.metadata.clone(),
                m.parts.content.clone(),
            ];
            texts.extend(m.findings.iter().cloned());
            texts
        }
        CaptureBody::Heartbeat { ok, rtt_us } => {
            vec!["heartbeat".to_string(), heartbeat_line(*ok, *rtt_us)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(seq: u64, ok: bool) -> CaptureRecord {
        CaptureRecord {
            seq,
            conn: 3,
            hop: Hop::Kernel,
            time_us: 0,
            body: CaptureBody::Heartbeat {
                ok,
                rtt_us: ok.then_some(1_250),
            },
        }
    }

    fn closed(seq: u64, reason: &str) -> CaptureRecord {
        CaptureRecord {
            seq,
            conn: 4,
            hop: Hop::Browser,
            time_us: 0,
            body: CaptureBody::Closed {
                code: Some(1000),
                reason: reason.into(),
            },
        }
    }

    #[test]
    fn a_spec_travels_as_json_and_leaves_defaults_out() {
        let spec = FilterSpec {
            scope: Scope::Conn(7),
            hidden: Kinds::default().toggled(RowKind::PingPong),
            search: "^err".into(),
            regex: true,
            channel: Some(Channel::Iopub),
            ..FilterSpec::default()
        };
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"scope":{"conn":7},"hidden":16,"search":"^err","regex":true,"channel":"iopub"}"#
        );
        assert_eq!(serde_json::from_str::<FilterSpec>(&json).unwrap(), spec);
        assert_eq!(
            serde_json::from_str::<FilterSpec>("{}").unwrap(),
            FilterSpec::default()
        );
        assert_eq!(
            serde_json::to_string(&FilterSpec::default()).unwrap(),
            r#"{"scope":"all"}"#
        );
        let hop: FilterSpec = serde_json::from_str(r#"{"scope":{"hop":"kernel"}}"#).unwrap();
        assert_eq!(hop.scope, Scope::Hop(Hop::Kernel));
    }

    #[test]
    fn patterns_ignore_case_and_bad_ones_say_why() {
        let spec = |search: &str| FilterSpec {
            search: search.into(),
            regex: true,
            ..FilterSpec::default()
        };
        let filter = spec("^NORMAL|gone$").compile().unwrap();
        assert!(filter.matches(&closed(1, "normal closure")));
        assert!(filter.matches(&closed(2, "the peer is gone")));
        assert!(!filter.matches(&closed(3, "abnormal")));
        let err = spec("(").compile().unwrap_err();
        assert!(err.starts_with("invalid regular expression: "), "{err}");
        // A pattern whose program is too large is refused, not built.
        let err = spec("(a{1000}){1000}").compile().unwrap_err();
        assert!(err.starts_with("invalid regular expression: "), "{err}");
        // An empty pattern matches everything.
        assert!(spec("  ").compile().unwrap().is_everything());
    }

    #[test]
    fn oversized_specs_are_refused_in_words() {
        let long = FilterSpec {
            search: "x".repeat(MAX_SEARCH_LEN + 1),
            ..FilterSpec::default()
        };
        assert_eq!(
            long.compile().unwrap_err(),
            format!("the search is 4097 bytes long; at most {MAX_SEARCH_LEN} are allowed")
        );
        let types = FilterSpec {
            msg_type: ",".repeat(MAX_SEARCH_LEN + 1),
            ..FilterSpec::default()
        };
        assert!(types
            .compile()
            .unwrap_err()
            .starts_with("the msg_type filter is"));
    }

    #[test]
    fn heartbeats_are_searched_by_their_line_and_misses_are_findings() {
        let line = FilterSpec {
            search: "0.01 MS".into(),
            ..FilterSpec::default()
        }
        .compile()
        .unwrap();
        let mut slow = beat(1, true);
        slow.body = CaptureBody::Heartbeat {
            ok: true,
            rtt_us: Some(10),
        };
        assert!(line.matches(&slow));
        assert!(!line.matches(&beat(2, true)));
        let findings = FilterSpec {
            findings_only: true,
            ..FilterSpec::default()
        }
        .compile()
        .unwrap();
        assert!(findings.matches(&beat(3, false)));
        assert!(!findings.matches(&beat(4, true)));
        assert_eq!(heartbeat_line(true, Some(1_250)), "♥ ok · 1.25 ms");
        assert_eq!(channel_of(&beat(5, true).body), Some(Channel::Heartbeat));
        assert_eq!(direction_of(&beat(5, true).body), None);
    }
}
