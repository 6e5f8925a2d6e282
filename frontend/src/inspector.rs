//! The inspector's model: the capture rows the browser keeps, and how they are shown.
//!
//! Records arrive from the server in batches (the backlog right after connecting, then live
//! batches). After a reconnect to the same server the backlog repeats records the page already
//! has, so rows are kept sorted and de-duplicated by `seq`; a different server `instance`
//! means sequence numbers started over, so the rows are cleared. The page keeps at most
//! `limit` rows (the oldest go first) so a long session cannot exhaust the tab.

use std::collections::VecDeque;

use wirebook_shared::capture::{CaptureBody, CaptureRecord, Hop};

/// Rows the page keeps by default.
pub const DEFAULT_ROW_LIMIT: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector {
    rows: VecDeque<CaptureRecord>,
    instance: Option<String>,
    limit: usize,
    /// Records the server's bounded capture dropped before this page saw them.
    evicted: u64,
    /// Rows this page dropped to stay within `limit`.
    trimmed: u64,
    /// Records up to this `seq` were cleared by the user and stay hidden if replayed.
    cleared_through: Option<u64>,
    /// New rows ever added, so a view can tell how many arrived since it last looked.
    received: u64,
}

impl Default for Inspector {
    fn default() -> Self {
        Inspector::new(DEFAULT_ROW_LIMIT)
    }
}

impl Inspector {
    pub fn new(limit: usize) -> Self {
        Inspector {
            rows: VecDeque::new(),
            instance: None,
            limit: limit.max(1),
            evicted: 0,
            trimmed: 0,
            cleared_through: None,
            received: 0,
        }
    }

    /// A session started on server `instance`. Returns true when that is a different server
    /// process than before and the rows were cleared.
    pub fn hello(&mut self, instance: &str) -> bool {
        if self.instance.as_deref() == Some(instance) {
            return false;
        }
        let had_instance = self.instance.is_some();
        *self = Inspector {
            instance: Some(instance.to_string()),
            received: self.received,
            ..Inspector::new(self.limit)
        };
        had_instance
    }

    /// Adds a batch of records; returns how many rows were new.
    pub fn add(&mut self, records: Vec<CaptureRecord>, evicted: u64) -> usize {
        // Each batch reports the records dropped before *it* could be sent, so they add up.
        self.evicted = self.evicted.saturating_add(evicted);
        let mut added = 0;
        for record in records {
            if self
                .cleared_through
                .is_some_and(|floor| record.seq <= floor)
            {
                continue;
            }
            match self.rows.back() {
                Some(last) if last.seq >= record.seq => {
                    if let Err(at) = self.rows.binary_search_by_key(&record.seq, |r| r.seq) {
                        self.rows.insert(at, record);
                        added += 1;
                    }
                }
                _ => {
                    self.rows.push_back(record);
                    added += 1;
                }
            }
        }
        while self.rows.len() > self.limit {
            self.rows.pop_front();
            self.trimmed += 1;
        }
        self.received += added as u64;
        added
    }

    /// Hides every row seen so far, as DevTools' "clear" does.
    pub fn clear(&mut self) {
        if let Some(last) = self.rows.back() {
            self.cleared_through = Some(self.cleared_through.map_or(last.seq, |f| f.max(last.seq)));
        }
        self.rows.clear();
        self.trimmed = 0;
    }

    pub fn rows(&self) -> impl DoubleEndedIterator<Item = &CaptureRecord> + '_ {
        self.rows.iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Rows ever added (never decreases, not even on a new instance).
    pub fn received(&self) -> u64 {
        self.received
    }

    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn trimmed(&self) -> u64 {
        self.trimmed
    }

    /// The rows `filter` lets through, oldest first.
    pub fn visible(&self, filter: &Filter) -> Vec<CaptureRecord> {
        self.rows
            .iter()
            .filter(|r| filter.matches(r))
            .cloned()
            .collect()
    }
}

/// What the user narrowed the rows down to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Only this hop, or both.
    pub hop: Option<Hop>,
    /// Case-insensitive text that must occur in the row (preview, opcode, target, reason).
    pub text: String,
}

impl Filter {
    pub fn is_active(&self) -> bool {
        self.hop.is_some() || !self.text.trim().is_empty()
    }

    pub fn matches(&self, record: &CaptureRecord) -> bool {
        if self.hop.is_some_and(|hop| hop != record.hop) {
            return false;
        }
        let needle = self.text.trim().to_lowercase();
        if needle.is_empty() {
            return true;
        }
        let haystack = match &record.body {
            CaptureBody::Open {
                client,
                server,
                target,
            } => format!("open {client} {server} {target}"),
            CaptureBody::Message {
                opcode, preview, ..
            } => format!("{} {preview}", opcode.name()),
            CaptureBody::Closed { code, reason } => {
                format!(
                    "closed {} {reason}",
                    code.map(|c| c.to_string()).unwrap_or_default()
                )
            }
            CaptureBody::Handshake(_) | CaptureBody::Frame(_) => summary(&record.body),
        };
        haystack.to_lowercase().contains(&needle)
    }
}

/// `data-event` of a row: `open`, `message` or `closed`.
pub fn event_name(body: &CaptureBody) -> &'static str {
    match body {
        CaptureBody::Open { .. } => "open",
        CaptureBody::Message { .. } => "message",
        CaptureBody::Closed { .. } => "closed",
        CaptureBody::Handshake(_) => "handshake",
        CaptureBody::Frame(_) => "frame",
    }
}

/// The row's text column.
pub fn summary(body: &CaptureBody) -> String {
    match body {
        CaptureBody::Open {
            client,
            server,
            target,
        } => format!("{client} ⇄ {server} {target}"),
        CaptureBody::Message {
            preview, truncated, ..
        } => {
            let shown = visible_controls(preview);
            if *truncated {
                format!("{shown}…")
            } else {
                shown
            }
        }
        CaptureBody::Closed { code, reason } => match code {
            Some(code) => format!("{code} {reason}"),
            None => reason.clone(),
        },
        CaptureBody::Handshake(handshake) => handshake.request.start_line.clone(),
        CaptureBody::Frame(frame) => match &frame.message {
            Some(message) => visible_controls(&message.preview),
            None => frame.payload_hex.clone(),
        },
    }
}

/// A one-line rendering of a payload: line breaks, tabs and other control characters become
/// visible symbols instead of collapsing into spaces, since on the wire they are bytes like
/// any other.
pub fn visible_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => '↵',
            '\r' => '␍',
            '\t' => '⇥',
            // U+2400.. are the "symbol for NUL..US" pictures.
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('�'),
            '\u{7f}' => '␡',
            c => c,
        })
        .collect()
}

/// Wall-clock time of day `HH:MM:SS.mmm`; `utc_offset_minutes` is the local zone's offset
/// east of UTC (JavaScript's `-getTimezoneOffset()`).
pub fn clock(time_us: u64, utc_offset_minutes: i32) -> String {
    let ms = (time_us / 1000) as i64 + i64::from(utc_offset_minutes) * 60_000;
    let day_ms = ms.rem_euclid(86_400_000);
    let (h, m, s, milli) = (
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

/// Time since `origin_us` as `+S.mmm` (seconds), for comparing rows.
pub fn relative(time_us: u64, origin_us: u64) -> String {
    let (sign, delta) = if time_us >= origin_us {
        ("+", time_us - origin_us)
    } else {
        ("-", origin_us - time_us)
    };
    let ms = delta / 1000;
    format!("{sign}{}.{:03}", ms / 1000, ms % 1000)
}

/// Whether a scroll container shows its bottom, give or take `slack` pixels (zoom rounding).
pub fn at_bottom(scroll_top: f64, scroll_height: f64, client_height: f64) -> bool {
    const SLACK_PX: f64 = 8.0;
    scroll_height - (scroll_top + client_height) <= SLACK_PX
}

/// Whether the table keeps scrolling to the newest row, and how many rows arrived while the
/// user was reading further up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Follow {
    following: bool,
    unseen: usize,
    /// `scrollTop` at the last scroll event: only a move *up* is the user leaving the bottom.
    /// Rows can arrive between an automatic scroll and its scroll event, so "not at the
    /// bottom" alone does not mean the user scrolled away.
    last_top: f64,
}

impl Default for Follow {
    fn default() -> Self {
        Follow {
            following: true,
            unseen: 0,
            last_top: 0.0,
        }
    }
}

impl Follow {
    pub fn following(&self) -> bool {
        self.following
    }

    /// Rows that arrived while not following.
    pub fn unseen(&self) -> usize {
        self.unseen
    }

    /// The table scrolled (by the user or by us): stop following when it moved up, resume
    /// once it is back at the bottom.
    pub fn scrolled(&mut self, scroll_top: f64, scroll_height: f64, client_height: f64) {
        let moved_up = scroll_top + 1.0 < self.last_top;
        self.last_top = scroll_top;
        if at_bottom(scroll_top, scroll_height, client_height) {
            self.following = true;
            self.unseen = 0;
        } else if moved_up {
            self.following = false;
        }
    }

    /// New rows arrived; returns whether the view should scroll to them.
    pub fn rows_added(&mut self, count: usize) -> bool {
        if !self.following {
            self.unseen += count;
        }
        self.following
    }

    /// "Jump to latest".
    pub fn jump(&mut self) {
        self.following = true;
        self.unseen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::capture::{Direction, Opcode};

    fn msg(seq: u64, hop: Hop, preview: &str) -> CaptureRecord {
        CaptureRecord {
            seq,
            conn: 1,
            hop,
            time_us: 1_700_000_000_000_000 + seq,
            body: CaptureBody::Message {
                direction: Direction::ToServer,
                opcode: Opcode::Text,
                len: preview.len() as u64,
                preview: preview.into(),
                truncated: false,
                caused_by: None,
            },
        }
    }

    fn seqs(i: &Inspector) -> Vec<u64> {
        i.rows().map(|r| r.seq).collect()
    }

    #[test]
    fn replayed_backlog_is_deduplicated_and_order_kept() {
        let mut i = Inspector::default();
        assert!(!i.hello("a"), "the first hello clears nothing");
        assert_eq!(
            i.add(vec![msg(1, Hop::Browser, "x"), msg(2, Hop::Kernel, "y")], 0),
            2
        );
        // Reconnect to the same server: the backlog repeats 1 and 2 and brings 3.
        assert!(!i.hello("a"));
        let added = i.add(
            vec![
                msg(1, Hop::Browser, "x"),
                msg(2, Hop::Kernel, "y"),
                msg(3, Hop::Kernel, "z"),
            ],
            0,
        );
        assert_eq!(added, 1);
        assert_eq!(seqs(&i), vec![1, 2, 3]);
        // A late record slots in by seq.
        i.add(vec![msg(5, Hop::Browser, "")], 0);
        i.add(vec![msg(4, Hop::Browser, ""), msg(5, Hop::Browser, "")], 0);
        assert_eq!(seqs(&i), vec![1, 2, 3, 4, 5]);
        assert_eq!(i.received(), 5);
    }

    #[test]
    fn a_new_server_instance_starts_over() {
        let mut i = Inspector::default();
        i.hello("a");
        i.add(vec![msg(7, Hop::Browser, "old")], 3);
        assert_eq!(i.evicted(), 3);
        assert!(i.hello("b"));
        assert!(i.is_empty());
        assert_eq!(i.evicted(), 0);
        assert!(!i.hello("b"), "same instance again");
        // Low sequence numbers of the new server are not mistaken for duplicates.
        i.add(vec![msg(1, Hop::Browser, "new")], 0);
        assert_eq!(seqs(&i), vec![1]);
    }

    #[test]
    fn rows_are_bounded_oldest_first() {
        let mut i = Inspector::new(3);
        i.add((1..=5).map(|s| msg(s, Hop::Browser, "")).collect(), 0);
        assert_eq!(seqs(&i), vec![3, 4, 5]);
        assert_eq!(i.trimmed(), 2);
        assert_eq!(i.len(), 3);
    }

    #[test]
    fn evicted_counts_add_up_across_batches() {
        let mut i = Inspector::default();
        i.add(vec![], 2);
        i.add(vec![msg(1, Hop::Kernel, "")], 5);
        assert_eq!(i.evicted(), 7);
    }

    #[test]
    fn cleared_rows_stay_hidden_when_replayed() {
        let mut i = Inspector::default();
        i.hello("a");
        i.add(vec![msg(1, Hop::Browser, ""), msg(2, Hop::Browser, "")], 0);
        i.clear();
        assert!(i.is_empty());
        i.hello("a");
        i.add(
            vec![
                msg(1, Hop::Browser, ""),
                msg(2, Hop::Browser, ""),
                msg(3, Hop::Browser, ""),
            ],
            0,
        );
        assert_eq!(seqs(&i), vec![3]);
    }

    #[test]
    fn filter_by_hop_and_text() {
        let rows = vec![
            msg(1, Hop::Browser, "Hello there"),
            msg(2, Hop::Kernel, "hello kernel"),
            CaptureRecord {
                seq: 3,
                conn: 2,
                hop: Hop::Kernel,
                time_us: 0,
                body: CaptureBody::Closed {
                    code: Some(1001),
                    reason: "going away".into(),
                },
            },
        ];
        let mut i = Inspector::default();
        i.add(rows, 0);
        let pick = |f: Filter| i.visible(&f).iter().map(|r| r.seq).collect::<Vec<_>>();
        assert_eq!(pick(Filter::default()), vec![1, 2, 3]);
        assert!(!Filter::default().is_active());
        let kernel = Filter {
            hop: Some(Hop::Kernel),
            ..Filter::default()
        };
        assert!(kernel.is_active());
        assert_eq!(pick(kernel), vec![2, 3]);
        let hello = Filter {
            text: " HELLO ".into(),
            ..Filter::default()
        };
        assert_eq!(pick(hello), vec![1, 2]);
        let code = Filter {
            text: "1001".into(),
            ..Filter::default()
        };
        assert_eq!(pick(code), vec![3]);
        let opcode = Filter {
            hop: Some(Hop::Browser),
            text: "text".into(),
        };
        assert_eq!(pick(opcode), vec![1]);
    }

    #[test]
    fn row_text() {
        let open = CaptureBody::Open {
            client: "127.0.0.1:5000".into(),
            server: "wirebook".into(),
            target: "/session".into(),
        };
        assert_eq!(event_name(&open), "open");
        assert_eq!(summary(&open), "127.0.0.1:5000 ⇄ wirebook /session");
        let cut = CaptureBody::Message {
            direction: Direction::ToClient,
            opcode: Opcode::Binary,
            len: 100,
            preview: "00ff".into(),
            truncated: true,
            caused_by: None,
        };
        assert_eq!(event_name(&cut), "message");
        assert_eq!(summary(&cut), "00ff…");
        let closed = CaptureBody::Closed {
            code: None,
            reason: "reset".into(),
        };
        let lines = CaptureBody::Message {
            direction: Direction::ToServer,
            opcode: Opcode::Text,
            len: 9,
            preview: "a\r\nb\tc\u{0}\u{7f}".into(),
            truncated: false,
            caused_by: None,
        };
        assert_eq!(summary(&lines), "a␍↵b⇥c␀␡");
        assert_eq!(event_name(&closed), "closed");
        assert_eq!(summary(&closed), "reset");
    }

    #[test]
    fn clock_and_relative_times() {
        // 2023-11-14T22:13:20.123456Z
        let t = 1_700_000_000_123_456;
        assert_eq!(clock(t, 0), "22:13:20.123");
        assert_eq!(clock(t, 120), "00:13:20.123");
        assert_eq!(clock(t, -23 * 60), "23:13:20.123");
        assert_eq!(relative(t, t - 1_500_000), "+1.500");
        assert_eq!(relative(t, t), "+0.000");
        assert_eq!(relative(t - 2_000, t), "-0.002");
    }

    #[test]
    fn follows_until_the_user_scrolls_up() {
        assert!(at_bottom(600.0, 1000.0, 400.0));
        assert!(at_bottom(595.0, 1000.0, 400.0));
        assert!(!at_bottom(500.0, 1000.0, 400.0));
        let mut f = Follow::default();
        assert!(f.rows_added(3));
        assert_eq!(f.unseen(), 0);
        // Our own scroll to the bottom.
        f.scrolled(600.0, 1000.0, 400.0);
        assert!(f.following());
        // Rows grew the table before the scroll event of an automatic scroll arrived: the
        // position did not move up, so this is not the user leaving.
        f.scrolled(600.0, 1200.0, 400.0);
        assert!(f.following());
        // The user scrolls up.
        f.scrolled(300.0, 1200.0, 400.0);
        assert!(!f.following());
        assert!(!f.rows_added(2));
        assert!(!f.rows_added(1));
        assert_eq!(f.unseen(), 3);
        // Scrolling down, but not to the bottom, keeps reading mode.
        f.scrolled(500.0, 1200.0, 400.0);
        assert!(!f.following());
        f.jump();
        assert!(f.following());
        assert_eq!(f.unseen(), 0);
        f.scrolled(100.0, 1200.0, 400.0);
        f.rows_added(1);
        // Back at the bottom by hand.
        f.scrolled(800.0, 1200.0, 400.0);
        assert_eq!(f.unseen(), 0);
        assert!(f.following());
    }
}
