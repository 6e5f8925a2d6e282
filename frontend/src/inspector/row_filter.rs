//! What the user narrowed the inspector's rows down to, and the filtered list of rows kept up
//! to date as records stream in.
//!
//! [`FilterSpec`] is plain data (what the toolbar shows). [`Filter`] is a spec ready to match:
//! its search is a case-insensitive substring or a pattern compiled by the caller (the page
//! uses the browser's `RegExp`, so the wasm carries no regex engine; tests pass closures).
//! [`FilteredRows`] holds the `seq`s that pass, and on each change of the model looks only at
//! the rows that arrived since, unless the model or the filter changed under it.
//!
//! Kernel traffic: the channel and msg_type filters narrow to kernel messages (heartbeats have
//! the `hb` channel), so a frame never passes a msg_type filter. Consecutive answered
//! heartbeats of one kernel fold into one row (the newest, with a count), so a kernel beating
//! every few seconds does not push the messages out of view; a missed beat always has its own
//! row. The `status/hb` chip hides iopub `status` messages and heartbeats in one click.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use wirebook_shared::capture::{CaptureBody, CaptureRecord, ConnId, Direction, Hop, Opcode};
use wirebook_shared::jupyter::Channel;

use crate::inspector::row_text::{has_findings, heartbeat_line};
use crate::session::records::Records;

/// Which rows of which connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

/// The scope menu's entries after "All connections", as (value, label): each hop seen, then
/// each connection with its hop and target.
pub fn scope_options(records: &Records) -> Vec<(String, String)> {
    let hops = records
        .hops()
        .into_iter()
        .map(|hop| (Scope::Hop(hop).value(), format!("{} hop", hop.label())));
    let conns = records.conns().map(|(id, info)| {
        (
            Scope::Conn(id).value(),
            format!(
                "#{id} {} {}",
                info.hop.label(),
                info.target.as_deref().unwrap_or("")
            ),
        )
    });
    hops.chain(conns).collect()
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterSpec {
    pub scope: Scope,
    /// Frames in this direction only (rows without a direction still show).
    pub direction: Option<Direction>,
    /// Kinds of row hidden.
    pub hidden: Kinds,
    /// Text (or a pattern) that the payload must contain.
    pub search: String,
    /// `search` is a regular expression.
    pub regex: bool,
    pub findings_only: bool,
    /// Kernel records on this channel only (frames and handshakes are hidden).
    pub channel: Option<Channel>,
    /// Kernel messages whose msg_type contains one of these words (separated by spaces or
    /// commas, ignoring case), e.g. `execute, status`. Empty: any.
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

    /// The spec ready to match. `compile` turns a regular expression into a matcher, or says
    /// what is wrong with it; the error is for the user and nothing else changes.
    pub fn compile<C>(&self, compile: C) -> Result<Filter, String>
    where
        C: FnOnce(&str) -> Result<Matcher, String>,
    {
        let needle = self.search.trim();
        let search = if needle.is_empty() {
            Search::Everything
        } else if self.regex {
            Search::Pattern(compile(needle)?)
        } else {
            Search::Text(needle.to_lowercase())
        };
        Ok(Filter {
            spec: FilterSpec {
                search: String::new(),
                ..self.clone()
            },
            search,
        })
    }
}

/// A compiled pattern: does a payload match.
pub type Matcher = Rc<dyn Fn(&str) -> bool>;

#[derive(Clone, Default)]
enum Search {
    #[default]
    Everything,
    /// Lowercased: the match ignores case.
    Text(String),
    Pattern(Matcher),
}

/// A [`FilterSpec`] ready to match rows.
#[derive(Clone, Default)]
pub struct Filter {
    /// The spec without its search text (that lives in `search`).
    spec: FilterSpec,
    search: Search,
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

impl Filter {
    pub fn matches(&self, record: &CaptureRecord) -> bool {
        let spec = &self.spec;
        if let Some(want) = spec.channel {
            if channel_of(&record.body) != Some(want) {
                return false;
            }
        }
        let terms = msg_type_terms(&spec.msg_type);
        if !terms.is_empty() {
            let Some(m) = crate::session::records::kernel_message(&record.body) else {
                return false;
            };
            let msg_type = m.msg_type.to_lowercase();
            if !terms.iter().any(|t| msg_type.contains(t.as_str())) {
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
        if let (Some(want), Some(got)) = (
            spec.direction,
            crate::session::records::direction(&record.body),
        ) {
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
                .any(|text| pattern(text)),
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
                    if let Ok(bytes) = wirebook_shared::hex::unhex(&frame.payload_hex) {
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

/// The `seq`s of the rows a filter lets through, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilteredRows {
    seqs: VecDeque<u64>,
    /// The model generation and filter revision these rows were computed for.
    generation: u64,
    filter_rev: u64,
    /// The last row looked at.
    scanned_through: Option<u64>,
    /// Whether anything was ever computed (a default value matches nothing yet).
    primed: bool,
    /// The last row is an answered heartbeat of this connection: the next one replaces it.
    last_beat: Option<ConnId>,
    /// Rows standing for more than one answered heartbeat: how many.
    beats: BTreeMap<u64, u64>,
}

impl FilteredRows {
    /// Brings the rows up to date with `inspector` and `filter` (whose revision is
    /// `filter_rev`: a new number means a new filter). Returns whether the rows changed.
    pub fn refresh(&mut self, inspector: &Records, filter: &Filter, filter_rev: u64) -> bool {
        let start_over = !self.primed
            || self.generation != inspector.generation()
            || self.filter_rev != filter_rev;
        if start_over {
            let mut fresh = FilteredRows {
                generation: inspector.generation(),
                filter_rev,
                scanned_through: inspector.rows().next_back().map(|r| r.seq),
                primed: true,
                ..FilteredRows::default()
            };
            for record in inspector.rows().filter(|r| filter.matches(r)) {
                fresh.push(record);
            }
            let changed = !self.primed || fresh.seqs != self.seqs || fresh.beats != self.beats;
            *self = fresh;
            return changed;
        }
        let mut changed = false;
        // The model dropped its oldest rows.
        if let Some(first) = inspector.first_seq() {
            let gone = self.seqs.partition_point(|&s| s < first);
            if gone > 0 {
                for seq in self.seqs.drain(..gone) {
                    self.beats.remove(&seq);
                }
                if self.seqs.is_empty() {
                    self.last_beat = None;
                }
                changed = true;
            }
        }
        for record in inspector.rows_after(self.scanned_through) {
            self.scanned_through = Some(record.seq);
            if filter.matches(record) {
                self.push(record);
                changed = true;
            }
        }
        changed
    }

    /// Appends a row that passed the filter, folding an answered heartbeat into the previous
    /// row when that is an answered heartbeat of the same kernel.
    fn push(&mut self, record: &CaptureRecord) {
        let answered_beat = matches!(record.body, CaptureBody::Heartbeat { ok: true, .. });
        if answered_beat && self.last_beat == Some(record.conn) {
            if let Some(last) = self.seqs.pop_back() {
                let count = self.beats.remove(&last).unwrap_or(1) + 1;
                self.beats.insert(record.seq, count);
            }
        }
        self.seqs.push_back(record.seq);
        self.last_beat = answered_beat.then_some(record.conn);
    }

    /// How many answered heartbeats the row `seq` stands for (1 for any other row).
    pub fn folded(&self, seq: u64) -> u64 {
        self.beats.get(&seq).copied().unwrap_or(1)
    }

    pub fn len(&self) -> usize {
        self.seqs.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<u64> {
        self.seqs.get(index).copied()
    }

    /// The position of `seq` in the list.
    pub fn index_of(&self, seq: u64) -> Option<usize> {
        self.seqs.binary_search(&seq).ok()
    }

    pub fn range(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = u64> + '_ {
        let end = range.end.min(self.seqs.len());
        let start = range.start.min(end);
        self.seqs.range(start..end).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::test_records::{handshake_record, msg, text_frame, with_frame};

    fn compile(spec: &FilterSpec) -> Filter {
        spec.compile(|pattern| {
            // A stand-in for RegExp: `^x` anchors, anything else is a substring.
            let pattern = pattern.to_string();
            if pattern.contains('(') {
                return Err(format!("unbalanced group in {pattern}"));
            }
            Ok(Rc::new(move |text: &str| match pattern.strip_prefix('^') {
                Some(prefix) => text.starts_with(prefix),
                None => text.contains(&pattern),
            }) as Matcher)
        })
        .unwrap()
    }

    fn model() -> Records {
        let mut i = Records::default();
        let ping = with_frame(msg(4, Hop::Kernel, ""), |f| f.opcode = Opcode::Ping);
        let mut other_conn = text_frame(5, Hop::Kernel, Direction::ToClient, "Hello kernel");
        other_conn.conn = 2;
        let bad = with_frame(msg(6, Hop::Browser, "x"), |f| {
            f.findings.push("client frame is not masked".into())
        });
        let fragment = with_frame(msg(7, Hop::Browser, "héllo"), |f| {
            f.fin = false;
            f.opcode = Opcode::Continuation;
            f.message = None;
        });
        let reserved = with_frame(msg(8, Hop::Browser, ""), |f| f.opcode = Opcode::Reserved(3));
        i.add(
            vec![
                handshake_record(1, 1, Hop::Browser),
                msg(2, Hop::Browser, "Hello there"),
                text_frame(3, Hop::Browser, Direction::ToClient, "{\"a\":1}"),
                ping,
                other_conn,
                bad,
                fragment,
                reserved,
            ],
            0,
        );
        i
    }

    fn pick(i: &Records, spec: FilterSpec) -> Vec<u64> {
        let mut rows = FilteredRows::default();
        rows.refresh(i, &compile(&spec), 1);
        rows.range(0..usize::MAX).collect()
    }

    #[test]
    fn each_part_of_the_filter_narrows() {
        let i = model();
        assert_eq!(
            pick(&i, FilterSpec::default()),
            vec![1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert!(!FilterSpec::default().is_active());

        let kernel = FilterSpec {
            scope: Scope::Hop(Hop::Kernel),
            ..FilterSpec::default()
        };
        assert!(kernel.is_active());
        assert_eq!(pick(&i, kernel), vec![4, 5]);
        let conn2 = FilterSpec {
            scope: Scope::Conn(2),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, conn2), vec![5]);

        // Direction narrows frames; the handshake row has no direction and stays.
        let back = FilterSpec {
            direction: Some(Direction::ToClient),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, back), vec![1, 3, 5]);

        // One click hides ping and pong; reserved opcodes always show.
        let quiet = FilterSpec {
            hidden: Kinds::default().toggled(RowKind::PingPong),
            ..FilterSpec::default()
        };
        assert!(quiet.is_active());
        assert_eq!(pick(&i, quiet), vec![1, 2, 3, 5, 6, 7, 8]);
        let frames_only = FilterSpec {
            hidden: Kinds::default()
                .toggled(RowKind::Handshake)
                .toggled(RowKind::Text),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, frames_only), vec![4, 7, 8]);
        assert!(Kinds::default()
            .toggled(RowKind::Close)
            .toggled(RowKind::Close)
            .is_empty());

        let findings = FilterSpec {
            findings_only: true,
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, findings), vec![6]);
    }

    #[test]
    fn search_looks_through_payloads_ignoring_case() {
        let i = model();
        let hello = FilterSpec {
            search: " HELLO ".into(),
            ..FilterSpec::default()
        };
        // The fragment's bytes are searched as text too ("héllo" does not contain "hello").
        assert_eq!(pick(&i, hello), vec![2, 5]);
        let accented = FilterSpec {
            search: "HÉLL".into(),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, accented), vec![7]);
        let header = FilterSpec {
            search: "sec-websocket-accept".into(),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, header), vec![1]);
        let json = FilterSpec {
            search: "\"a\":1".into(),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, json), vec![3]);
    }

    #[test]
    fn patterns_come_from_the_caller_and_bad_ones_are_errors() {
        let i = model();
        let anchored = FilterSpec {
            search: "^Hello".into(),
            regex: true,
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, anchored), vec![2, 5]);
        let broken = FilterSpec {
            search: "(".into(),
            regex: true,
            ..FilterSpec::default()
        };
        let err = broken
            .compile(|p| Err(format!("bad pattern {p}")))
            .err()
            .unwrap();
        assert_eq!(err, "bad pattern (");
        // An empty pattern matches everything without compiling anything.
        let empty = FilterSpec {
            regex: true,
            ..FilterSpec::default()
        };
        assert!(empty.compile(|_| Err("not called".into())).is_ok());
    }

    #[test]
    fn filtered_rows_follow_appends_trims_and_start_over_on_changes() {
        let mut i = Records::new(4);
        let filter = compile(&FilterSpec {
            search: "keep".into(),
            ..FilterSpec::default()
        });
        let mut rows = FilteredRows::default();
        assert!(
            rows.refresh(&i, &filter, 1),
            "the first refresh counts as a change"
        );
        assert!(rows.is_empty());
        i.add(
            vec![msg(1, Hop::Browser, "keep"), msg(2, Hop::Browser, "drop")],
            0,
        );
        assert!(rows.refresh(&i, &filter, 1));
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![1]);
        i.add(vec![msg(3, Hop::Browser, "drop")], 0);
        assert!(!rows.refresh(&i, &filter, 1), "nothing new passed");
        // 4 and 5 arrive; the model keeps 4 rows, so 1 goes.
        i.add(
            vec![msg(4, Hop::Browser, "keep"), msg(5, Hop::Browser, "keep")],
            0,
        );
        assert!(rows.refresh(&i, &filter, 1));
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(rows.index_of(5), Some(1));
        assert_eq!(rows.get(0), Some(4));
        assert_eq!(rows.len(), 2);
        // A new filter revision recomputes.
        let everything = compile(&FilterSpec::default());
        assert!(rows.refresh(&i, &everything, 2));
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
        assert_eq!(rows.range(1..3).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(rows.range(7..9).count(), 0);
        // A clear bumps the model's generation.
        i.clear();
        assert!(rows.refresh(&i, &everything, 2));
        assert!(rows.is_empty());
    }

    fn kernel_model() -> Records {
        use crate::session::test_records::{beat, kernel_record};
        let mut i = Records::default();
        i.add(
            vec![
                msg(1, Hop::Browser, "a frame"),
                kernel_record(
                    2,
                    Channel::Shell,
                    Direction::ToServer,
                    "execute_request",
                    "req",
                    None,
                    r#"{"code":"print('needle')"}"#,
                ),
                kernel_record(
                    3,
                    Channel::Iopub,
                    Direction::ToClient,
                    "status",
                    "st",
                    Some("req"),
                    r#"{"execution_state":"busy"}"#,
                ),
                kernel_record(
                    4,
                    Channel::Iopub,
                    Direction::ToClient,
                    "stream",
                    "out",
                    Some("req"),
                    r#"{"name":"stdout","text":"needle\n"}"#,
                ),
                beat(5, 9, true),
                kernel_record(
                    6,
                    Channel::Shell,
                    Direction::ToClient,
                    "execute_reply",
                    "rep",
                    Some("req"),
                    "{}",
                ),
                beat(7, 9, false),
            ],
            0,
        );
        i
    }

    #[test]
    fn kernel_rows_filter_by_channel_msg_type_and_one_chip() {
        let i = kernel_model();
        let iopub = FilterSpec {
            channel: Some(Channel::Iopub),
            ..FilterSpec::default()
        };
        assert!(iopub.is_active());
        assert_eq!(pick(&i, iopub), vec![3, 4]);
        let hb = FilterSpec {
            channel: Some(Channel::Heartbeat),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, hb), vec![5, 7]);
        // Words, any of them, ignoring case; frames never pass a msg_type filter.
        let types = FilterSpec {
            msg_type: " EXECUTE, stream ".into(),
            ..FilterSpec::default()
        };
        assert!(types.is_active());
        assert_eq!(pick(&i, types), vec![2, 4, 6]);
        // One click hides status messages and heartbeats.
        let quiet = FilterSpec {
            hidden: Kinds::default().toggled(RowKind::StatusBeat),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, quiet), vec![1, 2, 4, 6]);
        let frames_only = FilterSpec {
            hidden: Kinds::default()
                .toggled(RowKind::Kernel)
                .toggled(RowKind::StatusBeat),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, frames_only), vec![1]);
        // Search reaches into content; direction applies to kernel messages too.
        let needle = FilterSpec {
            search: "NEEDLE".into(),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, needle), vec![2, 4]);
        let to_kernel = FilterSpec {
            direction: Some(Direction::ToServer),
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, to_kernel), vec![1, 2, 5, 7]);
        let missed = FilterSpec {
            findings_only: true,
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, missed), vec![7]);
    }

    #[test]
    fn answered_heartbeats_fold_into_the_newest_until_something_else_comes() {
        use crate::session::test_records::beat;
        let mut i = Records::new(100);
        let filter = compile(&FilterSpec::default());
        let mut live = FilteredRows::default();
        let mut other_kernel = beat(4, 8, true);
        other_kernel.conn = 8;
        let batches = vec![
            vec![beat(1, 9, true), beat(2, 9, true)],
            vec![beat(3, 9, true)],
            vec![other_kernel, beat(5, 9, true), beat(6, 9, false)],
            vec![
                beat(7, 9, true),
                msg(8, Hop::Browser, "x"),
                beat(9, 9, true),
            ],
            vec![beat(10, 9, true)],
        ];
        for batch in batches {
            i.add(batch, 0);
            live.refresh(&i, &filter, 1);
            let mut fresh = FilteredRows::default();
            fresh.refresh(&i, &filter, 1);
            assert_eq!(live, fresh);
        }
        assert_eq!(
            live.range(0..usize::MAX).collect::<Vec<_>>(),
            vec![3, 4, 5, 6, 7, 8, 10]
        );
        assert_eq!(live.folded(3), 3);
        assert_eq!(live.folded(4), 1);
        assert_eq!(live.folded(6), 1, "a missed beat stands alone");
        assert_eq!(live.folded(10), 2);
        assert_eq!(live.index_of(10), Some(6));
    }

    #[test]
    fn incremental_refresh_equals_recomputing_from_scratch() {
        let mut i = Records::new(50);
        let spec = FilterSpec {
            hidden: Kinds::default().toggled(RowKind::PingPong),
            search: "7".into(),
            ..FilterSpec::default()
        };
        let filter = compile(&spec);
        let mut live = FilteredRows::default();
        for batch in 0..40u64 {
            let records = (0..7)
                .map(|k| {
                    let seq = batch * 7 + k + 1;
                    let record = msg(seq, Hop::Browser, &seq.to_string());
                    if seq % 3 == 0 {
                        with_frame(record, |f| f.opcode = Opcode::Pong)
                    } else {
                        record
                    }
                })
                .collect();
            i.add(records, 0);
            live.refresh(&i, &filter, 1);
            let mut fresh = FilteredRows::default();
            fresh.refresh(&i, &filter, 1);
            assert_eq!(
                live.range(0..usize::MAX).collect::<Vec<_>>(),
                fresh.range(0..usize::MAX).collect::<Vec<_>>(),
                "batch {batch}"
            );
        }
    }

    #[test]
    fn the_scope_menu_lists_hops_then_connections_and_reads_back() {
        let mut records = Records::default();
        records.add(
            vec![
                handshake_record(1, 3, Hop::Browser),
                handshake_record(2, 4, Hop::Kernel),
            ],
            0,
        );
        assert_eq!(
            scope_options(&records),
            vec![
                ("hop:browser".to_string(), "browser hop".to_string()),
                ("hop:kernel".to_string(), "kernel hop".to_string()),
                ("conn:3".to_string(), "#3 browser /echo".to_string()),
                ("conn:4".to_string(), "#4 kernel /echo".to_string()),
            ]
        );
        let hops = records.hops();
        for scope in [Scope::All, Scope::Hop(Hop::Kernel), Scope::Conn(4)] {
            assert_eq!(Scope::from_value(&scope.value(), &hops), scope);
        }
        assert_eq!(
            Scope::from_value("hop:tap", &hops),
            Scope::All,
            "a hop not seen"
        );
        assert_eq!(Scope::from_value("conn:x", &hops), Scope::All);
    }
}
