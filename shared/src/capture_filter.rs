//! The inspector's filter as data ([`FilterSpec`], serde: a page query carries it) and as a
//! compiled matcher ([`Filter`]), so that the server filters a page of its capture ring with
//! the same code the browser filters live rows with.
//!
//! The filter box holds a display-filter expression (`expr`, see [`crate::display_filter`]).
//! Text that does not parse and has no operator in it (`error`, `hello world`) is a search, as
//! the box was before it took expressions: a case-insensitive substring of what a search looks
//! through. With the regex toggle the box holds `search` instead, a regular expression
//! ([`crate::display_filter::Pattern`]: linear in the text whatever the pattern, so a pattern
//! from a peer cannot stall the server; it ignores case for ASCII letters only).
//! Specs from a peer are bounded ([`MAX_SEARCH_LEN`], [`MAX_PATTERN_SIZE`], and the
//! expression's own limits); [`FilterSpec::compile`] says what is wrong in words for the box.
//!
//! Kernel traffic: the channel and msg_type filters narrow to kernel messages (heartbeats have
//! the `hb` channel), so a frame never passes a msg_type filter. Each kind of row has the
//! clause that hides it ([`RowKind::hide_clause`]), which its chip writes in the expression.
//! How rows look (heartbeat folding, the columns) is the frontend's.

use serde::{Deserialize, Serialize};

use crate::capture::{CaptureBody, CaptureRecord, ConnId, Direction, Hop, Opcode};
pub use crate::display_filter::{
    channel_of, direction_of, has_findings, heartbeat_line, intercept_line, MAX_PATTERN_SIZE,
};
use crate::display_filter::{
    contains_ignoring_case, each_text, pattern, plain_words, DisplayFilter, Pattern,
};
use crate::jupyter::Channel;
use crate::lens::dissector::LensFacts;

/// The longest search text, msg_type list or expression a spec may carry, in bytes.
pub const MAX_SEARCH_LEN: usize = crate::display_filter::MAX_EXPR_LEN;

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

    /// The clause that hides this kind of row, which its chip writes in the filter box.
    pub fn hide_clause(self) -> &'static str {
        match self {
            RowKind::Text => "!(opcode == text)",
            RowKind::Binary => "!(opcode == binary)",
            RowKind::Continuation => "!(opcode == continuation)",
            RowKind::Close => "!(opcode == close)",
            RowKind::PingPong => "!(opcode == ping || opcode == pong)",
            RowKind::Handshake => "!(event == open || event == closed || event == handshake)",
            RowKind::Kernel => "!(event == kernel_message && msg_type != status)",
            RowKind::StatusBeat => "!(msg_type == status || event == heartbeat)",
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
            // What the user's breakpoints did: always shown, like reserved opcodes.
            CaptureBody::Intercept(_) => None,
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

/// A filter as a page query carries it. The browser sends only the box (`expr`, or `search`
/// with `regex`): its chips and menus write clauses in the expression. The other fields are
/// the toolbar's older state, still accepted from older pages.
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
    /// A display-filter expression (or plain words to search for), AND'ed with the rest.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub expr: String,
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
            || !self.expr.trim().is_empty()
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
        if self.expr.len() > MAX_SEARCH_LEN {
            return Err(format!(
                "the expression is {} bytes long; at most {MAX_SEARCH_LEN} are allowed",
                self.expr.len()
            ));
        }
        let needle = self.search.trim();
        let search = if needle.is_empty() {
            Search::Everything
        } else if self.regex {
            Search::Pattern(pattern(needle)?)
        } else {
            Search::Text(needle.to_lowercase())
        };
        let expr = self.expr.trim();
        let expression = if expr.is_empty() {
            Expression::None
        } else {
            match DisplayFilter::parse(expr) {
                Ok(filter) => Expression::Filter(filter),
                Err(_) if plain_words(expr) => Expression::Words(expr.to_lowercase()),
                Err(error) => return Err(error.to_string()),
            }
        };
        Ok(Filter {
            msg_types: msg_type_terms(&self.msg_type),
            spec: FilterSpec {
                search: String::new(),
                msg_type: String::new(),
                expr: String::new(),
                ..self.clone()
            },
            search,
            expression,
        })
    }
}

#[derive(Debug, Clone, Default)]
enum Search {
    #[default]
    Everything,
    /// Lowercased: the match ignores case.
    Text(String),
    Pattern(Pattern),
}

#[derive(Debug, Clone, Default)]
enum Expression {
    #[default]
    None,
    Filter(DisplayFilter),
    /// Plain words that are not an expression, lowercased: a search.
    Words(String),
}

/// A [`FilterSpec`] ready to match records.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The spec without its search text, msg_types and expression (those live compiled beside
    /// it).
    spec: FilterSpec,
    /// The words of the msg_type filter, lowercased.
    msg_types: Vec<String>,
    search: Search,
    expression: Expression,
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

impl Filter {
    /// Whether every record passes.
    pub fn is_everything(&self) -> bool {
        matches!(self.search, Search::Everything)
            && matches!(self.expression, Expression::None)
            && self.msg_types.is_empty()
            && !self.spec.is_active()
    }

    /// Whether the expression names a lens's field: matching then needs each record's
    /// [`LensFacts`] ([`Filter::matches_with`]).
    pub fn reads_lenses(&self) -> bool {
        matches!(&self.expression, Expression::Filter(f) if f.reads_lenses())
    }

    /// Whether `record` passes, as one no lens read.
    pub fn matches(&self, record: &CaptureRecord) -> bool {
        self.matches_with(record, None)
    }

    /// Whether `record` passes, `lens` being what its connection's lens read of it.
    pub fn matches_with(&self, record: &CaptureRecord, lens: Option<&LensFacts>) -> bool {
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
        let found = match &self.search {
            Search::Everything => true,
            Search::Text(needle) => each_text(&record.body, &mut |text| {
                contains_ignoring_case(text, needle)
            }),
            Search::Pattern(pattern) => each_text(&record.body, &mut |text| pattern.is_match(text)),
        };
        found
            && match &self.expression {
                Expression::None => true,
                Expression::Filter(filter) => filter.matches_with(record, lens),
                Expression::Words(needle) => each_text(&record.body, &mut |text| {
                    contains_ignoring_case(text, needle)
                }),
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

    #[test]
    fn an_expression_narrows_and_plain_words_still_search() {
        let spec = |expr: &str| FilterSpec {
            expr: expr.into(),
            ..FilterSpec::default()
        };
        let hb = spec("channel == hb && !finding").compile().unwrap();
        assert!(hb.matches(&beat(1, true)));
        assert!(!hb.matches(&beat(2, false)));
        assert!(!hb.matches(&closed(3, "x")));
        assert!(spec("finding").is_active());
        assert!(!spec("  ").is_active());
        assert!(spec(" ").compile().unwrap().is_everything());
        // Words that are not an expression search, ignoring case, as the box did before.
        let words = spec("Normal closure").compile().unwrap();
        assert!(words.matches(&closed(4, "a NORMAL CLOSURE")));
        assert!(!words.matches(&closed(5, "abnormal")));
        assert!(spec("gone").compile().unwrap().matches(&closed(6, "gone")));
        // Text with an operator in it is an expression, and its error says where.
        assert_eq!(
            spec("conn == 4 &&").compile().unwrap_err(),
            "column 13: the expression ends where a test was expected"
        );
        assert!(spec("hop == kernal")
            .compile()
            .unwrap_err()
            .contains("did you mean 'kernel'?"));
        // The expression is AND'ed with the chips and the search.
        let both = FilterSpec {
            scope: Scope::Hop(Hop::Kernel),
            ..spec("close.code == 1000")
        };
        assert!(!both.compile().unwrap().matches(&closed(7, "x")));
        let json = serde_json::to_string(&spec("len > 3")).unwrap();
        assert_eq!(json, r#"{"scope":"all","expr":"len > 3"}"#);
        assert_eq!(
            serde_json::from_str::<FilterSpec>(&json).unwrap(),
            spec("len > 3")
        );
        let long = spec(&"x".repeat(MAX_SEARCH_LEN + 1)).compile().unwrap_err();
        assert!(long.contains("at most 4096"), "{long}");
    }

    #[test]
    fn each_kind_chip_hides_its_rows_with_an_expression() {
        use crate::display_filter::tests::{frame, sample};
        let mut records = sample();
        for (seq, opcode) in [
            (20, Opcode::Ping),
            (21, Opcode::Pong),
            (22, Opcode::Continuation),
            (23, Opcode::Text),
            (24, Opcode::Reserved(3)),
        ] {
            records.push(frame(seq, Hop::Browser, Direction::ToServer, opcode, "p"));
        }
        for kind in RowKind::ALL {
            let clause = DisplayFilter::parse(kind.hide_clause()).unwrap();
            let hidden = FilterSpec {
                hidden: Kinds::default().toggled(kind),
                ..FilterSpec::default()
            }
            .compile()
            .unwrap();
            let mut hid = 0;
            for record in &records {
                assert_eq!(
                    clause.matches(record),
                    hidden.matches(record),
                    "{kind:?} on record {}",
                    record.seq
                );
                hid += usize::from(!clause.matches(record));
            }
            assert!(hid > 0, "{kind:?} hides something in the sample");
        }
    }
}
