//! The capture records the page keeps (the inspector shows them), what it knows about each
//! connection, and what a record's body is whatever its kind (its frame, its kernel message,
//! what it relays).
//!
//! Records arrive from the server in batches (the newest page right after connecting, then
//! live batches, and older pages the inspector asks for: [`Pages`] says which part is held). After a reconnect to the same server the backlog repeats records the page already
//! has, so rows are kept sorted and de-duplicated by `seq`; a different server `instance` means
//! sequence numbers started over, so the rows are cleared. The page keeps at most `limit` rows
//! (the oldest go first) so a long session cannot exhaust the tab, and says how many it let go.
//!
//! Filtered views (`crate::inspector::row_filter`) follow the rows incrementally: appending at
//! the end and dropping the oldest keep [`Records::generation`]; anything else (a late record
//! slotted in, a clear, a new server) bumps it so that views start over.

use std::collections::{BTreeMap, HashMap, VecDeque};

use wirebook_shared::capture::{CaptureBody, CaptureRecord, ConnId, FrameRecord, Hop};
use wirebook_shared::capture_page::CapturePage;
use wirebook_shared::jupyter::KernelMessageRecord;
use wirebook_shared::sorting::sort_by;

use crate::session::capture_pages::Pages;

/// Rows the page keeps by default: twice the server's default capture ring, so a page that
/// stays open keeps what scrolled out of the server's ring.
pub const DEFAULT_ROW_LIMIT: usize = 200_000;

/// The server numbers its records from 1 (`capture/ring`): record 1 starts the capture.
pub const FIRST_SEQ: u64 = 1;

/// What the page knows about one captured connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    pub hop: Hop,
    /// Time of its earliest record seen: row times are relative to it.
    pub start_us: u64,
    /// The request target (`/session`, `/echo`, a URL), once an open or handshake record says.
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records {
    rows: VecDeque<CaptureRecord>,
    instance: Option<String>,
    limit: usize,
    /// Records the server's bounded capture dropped before this page saw them.
    evicted: u64,
    /// Rows this page dropped to stay within `limit`.
    trimmed: u64,
    /// Which part of the server's capture is held, for the inspector's filter.
    pages: Pages,
    /// Records up to this `seq` were cleared by the user and stay hidden if replayed.
    cleared_through: Option<u64>,
    /// New rows ever added, so a view can tell how many arrived since it last looked.
    received: u64,
    /// Bumped when rows change other than by appending or dropping the oldest.
    generation: u64,
    /// Kept across clears and trims (a few bytes per connection), so that times stay relative
    /// to the real start of the connection.
    conns: BTreeMap<ConnId, ConnInfo>,
    /// `caused_by` turned around: the records that relay a record.
    relayed_by: HashMap<u64, Vec<u64>>,
    /// Kernel messages by `msg_id` (the first record with it).
    by_msg_id: HashMap<String, u64>,
    /// Kernel messages by `parent_header.msg_id`, oldest first.
    children: HashMap<String, Vec<u64>>,
    /// Each connection's rows by `seq`, oldest first: the inspector's "Δ since the previous
    /// row of the connection" looks back in it instead of scanning every row.
    conn_rows: HashMap<ConnId, VecDeque<u64>>,
    /// Time of the server's first record (`seq` 1) once any batch or page carried it: the
    /// start of the capture, kept across clears and trims.
    capture_start_us: Option<u64>,
}

impl Default for Records {
    fn default() -> Self {
        Records::new(DEFAULT_ROW_LIMIT)
    }
}

impl Records {
    pub fn new(limit: usize) -> Self {
        Records {
            rows: VecDeque::new(),
            instance: None,
            limit: limit.max(1),
            evicted: 0,
            trimmed: 0,
            pages: Pages::default(),
            cleared_through: None,
            received: 0,
            generation: 0,
            conns: BTreeMap::new(),
            relayed_by: HashMap::new(),
            by_msg_id: HashMap::new(),
            children: HashMap::new(),
            conn_rows: HashMap::new(),
            capture_start_us: None,
        }
    }

    /// A session started on server `instance`. Returns true when that is a different server
    /// process than before and the rows were cleared.
    pub fn hello(&mut self, instance: &str) -> bool {
        if self.instance.as_deref() == Some(instance) {
            self.pages.hello();
            return false;
        }
        let had_instance = self.instance.is_some();
        *self = Records {
            instance: Some(instance.to_string()),
            received: self.received,
            generation: self.generation + 1,
            pages: self.pages.restarted(),
            ..Records::new(self.limit)
        };
        self.pages.hello();
        had_instance
    }

    /// A `ServerMsg::Capture` batch: its records, and what it says about the ones it does not
    /// carry. Returns how many rows were new.
    pub fn capture(
        &mut self,
        records: Vec<CaptureRecord>,
        evicted: u64,
        older: u64,
        skipped: u64,
    ) -> usize {
        let first = records.first().map(|r| r.seq);
        let held_newest = self.rows.back().map(|r| r.seq);
        self.pages.batch(first, held_newest, older, skipped);
        self.add(records, evicted)
    }

    /// The answer to page query `id` (`POST /api/capture/page`), or why it failed: its records
    /// are kept if it is the one awaited and comes from this server instance (sequence
    /// numbers of another instance name other records; its own session's `hello` follows).
    pub fn page(&mut self, id: u64, answer: Result<CapturePage, String>) {
        let (records, scanned_from, older, error) = match answer {
            Ok(page) if self.instance.as_deref() == Some(page.instance.as_str()) => {
                (page.records, page.scanned_from, page.older, None)
            }
            Ok(_) => return,
            Err(message) => (Vec::new(), 0, 0, Some(message)),
        };
        if self.pages.answer(id, scanned_from, older, error) {
            // Older rows are not news: the "N new" count follows live rows only.
            let received = self.received;
            self.add(records, 0);
            self.received = received;
            // The floor moved: filtered views start over.
            self.generation += 1;
        }
    }

    /// Which part of the server's capture is held (see [`Pages`]).
    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    pub fn pages_mut(&mut self) -> &mut Pages {
        &mut self.pages
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
            let at = match self.rows.back() {
                Some(last) if last.seq >= record.seq => {
                    match self.rows.binary_search_by_key(&record.seq, |r| r.seq) {
                        Ok(_) => continue,
                        Err(at) => {
                            self.generation += 1;
                            at
                        }
                    }
                }
                _ => self.rows.len(),
            };
            self.note_conn(&record);
            if record.seq == FIRST_SEQ {
                self.capture_start_us = Some(record.time_us);
            }
            let in_conn = self.conn_rows.entry(record.conn).or_default();
            let slot = in_conn.partition_point(|&s| s < record.seq);
            in_conn.insert(slot, record.seq);
            if let Some(cause) = caused_by(&record.body) {
                self.relayed_by.entry(cause).or_default().push(record.seq);
            }
            if let Some(m) = kernel_message(&record.body) {
                if !m.msg_id.is_empty() {
                    let first = self.by_msg_id.entry(m.msg_id.clone()).or_insert(record.seq);
                    *first = (*first).min(record.seq);
                }
                if let Some(parent) = &m.parent_msg_id {
                    let siblings = self.children.entry(parent.clone()).or_default();
                    let at = siblings.partition_point(|&s| s < record.seq);
                    siblings.insert(at, record.seq);
                }
            }
            self.rows.insert(at, record);
            added += 1;
        }
        while self.rows.len() > self.limit {
            if let Some(old) = self.rows.pop_front() {
                self.forget_relations(&old);
            }
            self.trimmed += 1;
        }
        self.received += added as u64;
        added
    }

    fn note_conn(&mut self, record: &CaptureRecord) {
        let target = match &record.body {
            CaptureBody::Open { target, .. } => Some(target.clone()),
            CaptureBody::Handshake(h) => request_target(&h.request.start_line),
            _ => None,
        };
        let info = self.conns.entry(record.conn).or_insert(ConnInfo {
            hop: record.hop,
            start_us: record.time_us,
            target: None,
        });
        info.start_us = info.start_us.min(record.time_us);
        if info.target.is_none() {
            info.target = target;
        }
    }

    fn forget_relations(&mut self, old: &CaptureRecord) {
        self.relayed_by.remove(&old.seq);
        if let Some(in_conn) = self.conn_rows.get_mut(&old.conn) {
            // The oldest row overall is the oldest of its connection.
            if in_conn.front() == Some(&old.seq) {
                in_conn.pop_front();
            } else {
                in_conn.retain(|&s| s != old.seq);
            }
            if in_conn.is_empty() {
                self.conn_rows.remove(&old.conn);
            }
        }
        if let Some(m) = kernel_message(&old.body) {
            if self.by_msg_id.get(&m.msg_id) == Some(&old.seq) {
                self.by_msg_id.remove(&m.msg_id);
            }
            if let Some(parent) = &m.parent_msg_id {
                if let Some(siblings) = self.children.get_mut(parent) {
                    siblings.retain(|&s| s != old.seq);
                    if siblings.is_empty() {
                        self.children.remove(parent);
                    }
                }
            }
        }
        if let Some(cause) = caused_by(&old.body) {
            if let Some(relays) = self.relayed_by.get_mut(&cause) {
                relays.retain(|&s| s != old.seq);
                if relays.is_empty() {
                    self.relayed_by.remove(&cause);
                }
            }
        }
    }

    /// Hides every row seen so far, as DevTools' "clear" does. The server keeps its capture;
    /// only this view forgets, and replays of the cleared records stay hidden.
    pub fn clear(&mut self) {
        if let Some(last) = self.rows.back() {
            self.cleared_through = Some(self.cleared_through.map_or(last.seq, |f| f.max(last.seq)));
        }
        self.rows.clear();
        self.relayed_by.clear();
        self.by_msg_id.clear();
        self.children.clear();
        self.conn_rows.clear();
        self.trimmed = 0;
        self.generation += 1;
        self.pages.cleared();
    }

    pub fn rows(&self) -> impl DoubleEndedIterator<Item = &CaptureRecord> + ExactSizeIterator + '_ {
        self.rows.iter()
    }

    /// Rows with a `seq` greater than `seq`, oldest first.
    pub fn rows_after(&self, seq: Option<u64>) -> impl Iterator<Item = &CaptureRecord> + '_ {
        let start = seq.map_or(0, |s| self.rows.partition_point(|r| r.seq <= s));
        self.rows.range(start..)
    }

    pub fn get(&self, seq: u64) -> Option<&CaptureRecord> {
        self.rows
            .binary_search_by_key(&seq, |r| r.seq)
            .ok()
            .map(|i| &self.rows[i])
    }

    /// The oldest row's `seq`.
    pub fn first_seq(&self) -> Option<u64> {
        self.rows.front().map(|r| r.seq)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn limit(&self) -> usize {
        self.limit
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

    /// Changes whenever a filtered view of the rows has to start over.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn conn(&self, conn: ConnId) -> Option<&ConnInfo> {
        self.conns.get(&conn)
    }

    /// Every connection seen, by id.
    pub fn conns(&self) -> impl Iterator<Item = (ConnId, &ConnInfo)> + '_ {
        self.conns.iter().map(|(id, info)| (*id, info))
    }

    /// The hops seen, in order of first appearance of their first connection.
    pub fn hops(&self) -> Vec<Hop> {
        let mut hops = Vec::new();
        for info in self.conns.values() {
            if !hops.contains(&info.hop) {
                hops.push(info.hop);
            }
        }
        hops
    }

    /// The server process the rows came from (a new one reuses `seq`s).
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// The `seq`s of a connection's rows held, oldest first.
    pub fn conn_seqs(&self, conn: ConnId) -> impl Iterator<Item = u64> + '_ {
        self.conn_rows.get(&conn).into_iter().flatten().copied()
    }

    /// The row of `seq`'s connection before it, among the rows held.
    pub fn previous_in_conn(&self, seq: u64) -> Option<&CaptureRecord> {
        let conn = self.get(seq)?.conn;
        let in_conn = self.conn_rows.get(&conn)?;
        let at = in_conn.partition_point(|&s| s < seq);
        self.get(*in_conn.get(at.checked_sub(1)?)?)
    }

    /// When the server's capture started (its first record's time), if a batch or page ever
    /// carried that record.
    pub fn capture_start_us(&self) -> Option<u64> {
        self.capture_start_us
    }

    /// The kernel message with this `msg_id`, if the page has it.
    pub fn kernel_by_msg_id(&self, msg_id: &str) -> Option<u64> {
        self.by_msg_id.get(msg_id).copied()
    }

    /// The kernel messages whose parent is `msg_id` (replies, iopub traffic), oldest first.
    pub fn kernel_children(&self, msg_id: &str) -> &[u64] {
        self.children.get(msg_id).map_or(&[], Vec::as_slice)
    }

    /// The records on the other hop that `seq` relays or that relay it, oldest first.
    pub fn counterparts(&self, seq: u64) -> Vec<u64> {
        let Some(record) = self.get(seq) else {
            return Vec::new();
        };
        let mut out: Vec<u64> = caused_by(&record.body)
            .filter(|cause| self.get(*cause).is_some())
            .into_iter()
            .collect();
        if let Some(relays) = self.relayed_by.get(&seq) {
            out.extend(relays.iter().copied());
        }
        sort_by(&mut out, Ord::cmp);
        out.dedup();
        out
    }
}

/// The path of a request line such as `GET /echo HTTP/1.1`.
fn request_target(start_line: &str) -> Option<String> {
    start_line.split_whitespace().nth(1).map(str::to_string)
}

pub fn frame(body: &CaptureBody) -> Option<&FrameRecord> {
    match body {
        CaptureBody::Frame(frame) => Some(frame),
        _ => None,
    }
}

pub fn kernel_message(body: &CaptureBody) -> Option<&KernelMessageRecord> {
    match body {
        CaptureBody::KernelMessage(message) => Some(message),
        _ => None,
    }
}

pub fn caused_by(body: &CaptureBody) -> Option<u64> {
    match body {
        CaptureBody::Frame(f) => f.caused_by,
        CaptureBody::KernelMessage(m) => m.caused_by,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::capture_pages::TopRow;
    use crate::session::test_records::*;

    fn seqs(i: &Records) -> Vec<u64> {
        i.rows().map(|r| r.seq).collect()
    }

    #[test]
    fn replayed_backlog_is_deduplicated_and_order_kept() {
        let mut i = Records::default();
        assert!(!i.hello("a"), "the first hello clears nothing");
        assert_eq!(
            i.add(vec![msg(1, Hop::Browser, "x"), msg(2, Hop::Kernel, "y")], 0),
            2
        );
        let generation = i.generation();
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
        assert_eq!(
            i.generation(),
            generation,
            "duplicates and appends keep views valid"
        );
        // A late record slots in by seq, and filtered views must start over.
        i.add(vec![msg(5, Hop::Browser, "")], 0);
        i.add(vec![msg(4, Hop::Browser, ""), msg(5, Hop::Browser, "")], 0);
        assert_eq!(seqs(&i), vec![1, 2, 3, 4, 5]);
        assert_ne!(i.generation(), generation);
        assert_eq!(i.received(), 5);
        assert_eq!(i.get(4).map(|r| r.seq), Some(4));
        assert!(i.get(9).is_none());
        assert_eq!(
            i.rows_after(Some(3)).map(|r| r.seq).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert_eq!(i.rows_after(None).count(), 5);
    }

    #[test]
    fn a_new_server_instance_starts_over() {
        let mut i = Records::default();
        i.hello("a");
        i.add(vec![msg(7, Hop::Browser, "old")], 3);
        assert_eq!(i.evicted(), 3);
        let generation = i.generation();
        assert!(i.hello("b"));
        assert!(i.is_empty());
        assert_eq!(i.evicted(), 0);
        assert!(i.conn(1).is_none());
        assert_ne!(i.generation(), generation);
        assert!(!i.hello("b"), "same instance again");
        // Low sequence numbers of the new server are not mistaken for duplicates.
        i.add(vec![msg(1, Hop::Browser, "new")], 0);
        assert_eq!(seqs(&i), vec![1]);
    }

    #[test]
    fn a_page_is_kept_only_from_this_server_and_is_not_news() {
        let mut i = Records::default();
        i.hello("a");
        i.capture(vec![msg(50, Hop::Browser, "newest")], 0, 49, 0);
        let received = i.received();
        let (id, before) = i.pages_mut().request().unwrap();
        assert_eq!(before, 50);
        let page = |instance: &str| CapturePage {
            records: vec![msg(48, Hop::Browser, "old"), msg(49, Hop::Browser, "old")],
            scanned_from: 40,
            older: 39,
            instance: instance.into(),
        };
        // Another server process answered: its seqs name other records.
        i.page(id, Ok(page("b")));
        assert_eq!(seqs(&i), vec![50]);
        assert_eq!(i.pages().top_row(), TopRow::Loading(49));
        i.page(id, Ok(page("a")));
        assert_eq!(seqs(&i), vec![48, 49, 50]);
        assert_eq!(i.received(), received, "older rows are not new ones");
        assert_eq!((i.pages().shown_from(), i.pages().older()), (40, 39));
        // A failed query says why, and a new session may try again.
        let (id, _) = i.pages_mut().request().unwrap();
        i.page(id, Err("the server cannot be reached".into()));
        assert_eq!(
            i.pages().top_row(),
            TopRow::Failed("the server cannot be reached".into())
        );
        assert!(!i.hello("a"));
        assert!(i.pages().can_request());
    }

    #[test]
    fn rows_are_bounded_oldest_first() {
        let mut i = Records::new(3);
        i.add((1..=5).map(|s| msg(s, Hop::Browser, "")).collect(), 0);
        assert_eq!(seqs(&i), vec![3, 4, 5]);
        assert_eq!(i.trimmed(), 2);
        assert_eq!(i.len(), 3);
        assert_eq!(i.first_seq(), Some(3));
        assert_eq!(i.generation(), 0, "dropping the oldest keeps views valid");
        assert_eq!(DEFAULT_ROW_LIMIT, Records::default().limit());
    }

    #[test]
    fn evicted_counts_add_up_across_batches() {
        let mut i = Records::default();
        i.add(vec![], 2);
        i.add(vec![msg(1, Hop::Kernel, "")], 5);
        assert_eq!(i.evicted(), 7);
    }

    #[test]
    fn cleared_rows_stay_hidden_when_replayed() {
        let mut i = Records::default();
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
        // The connection's start is remembered across the clear.
        assert_eq!(i.conn(1).unwrap().start_us, 1_700_000_000_000_001);
    }

    #[test]
    fn connections_know_their_hop_start_and_target() {
        let mut i = Records::default();
        let mut late = msg(5, Hop::Kernel, "x");
        late.conn = 2;
        late.time_us = 1_700_000_000_000_500;
        i.add(vec![late, handshake_record(4, 2, Hop::Kernel)], 0);
        i.add(vec![msg(6, Hop::Browser, "x")], 0);
        let info = i.conn(2).unwrap();
        assert_eq!(info.hop, Hop::Kernel);
        assert_eq!(
            info.start_us, 1_700_000_000_000_000,
            "the earliest record counts"
        );
        assert_eq!(info.target.as_deref(), Some("/echo"));
        assert_eq!(i.hops(), vec![Hop::Browser, Hop::Kernel]);
        assert_eq!(i.conns().map(|(id, _)| id).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn counterparts_go_both_ways_and_forget_trimmed_rows() {
        let mut i = Records::new(4);
        let request = msg(1, Hop::Browser, "hai");
        let relayed = with_frame(msg(2, Hop::Kernel, "hai"), |f| f.caused_by = Some(1));
        let reply = msg(3, Hop::Kernel, "hai");
        let output = with_frame(msg(4, Hop::Browser, "out"), |f| f.caused_by = Some(3));
        let output2 = with_frame(msg(5, Hop::Browser, "out2"), |f| f.caused_by = Some(3));
        i.add(vec![request, relayed, reply, output], 0);
        assert_eq!(i.counterparts(1), vec![2]);
        assert_eq!(i.counterparts(2), vec![1]);
        assert_eq!(i.counterparts(3), vec![4]);
        assert_eq!(i.counterparts(4), vec![3]);
        assert!(i.counterparts(99).is_empty());
        // Row 1 is trimmed: row 2's cause is gone and is not offered.
        i.add(vec![output2], 0);
        assert_eq!(i.counterparts(2), Vec::<u64>::new());
        assert_eq!(i.counterparts(3), vec![4, 5]);
        i.clear();
        assert!(i.counterparts(3).is_empty());
    }

    #[test]
    fn kernel_messages_are_indexed_by_id_and_parent() {
        let [request, busy, reply] = execute_thread();
        let mut i = Records::new(3);
        i.add(vec![reply, request, busy], 0);
        assert_eq!(i.kernel_by_msg_id("0123456789abcdef"), Some(1));
        assert_eq!(i.kernel_children("0123456789abcdef"), &[2, 3]);
        assert!(i.kernel_children("nobody").is_empty());
        // Trimming the request forgets it; its children stay until they go too.
        i.add(vec![msg(4, Hop::Browser, "x")], 0);
        assert_eq!(i.kernel_by_msg_id("0123456789abcdef"), None);
        assert_eq!(i.kernel_children("0123456789abcdef"), &[2, 3]);
        i.clear();
        assert!(i.kernel_children("0123456789abcdef").is_empty());
    }

    #[test]
    fn each_row_knows_the_previous_row_of_its_connection() {
        let on = |seq, conn| CaptureRecord {
            conn,
            ..msg(seq, Hop::Browser, "x")
        };
        let mut i = Records::new(4);
        // Out of order, interleaved: 2 and 5 on connection 7, the rest on 1.
        i.add(vec![on(3, 1), on(5, 7), on(2, 7), on(4, 1)], 0);
        let previous = |i: &Records, seq| i.previous_in_conn(seq).map(|r| r.seq);
        assert_eq!(previous(&i, 2), None);
        assert_eq!(previous(&i, 5), Some(2));
        assert_eq!(previous(&i, 4), Some(3));
        assert_eq!(previous(&i, 99), None);
        // Row 2 is trimmed: 5 has no earlier row held.
        i.add(vec![on(6, 1)], 0);
        assert_eq!(previous(&i, 5), None);
        assert_eq!(previous(&i, 6), Some(4));
        i.clear();
        i.add(vec![on(8, 1), on(9, 1)], 0);
        assert_eq!(previous(&i, 9), Some(8));
        assert_eq!(previous(&i, 8), None, "cleared rows are not looked back at");
    }

    #[test]
    fn the_capture_start_is_known_once_record_one_came() {
        let mut i = Records::new(2);
        i.add(vec![msg(5, Hop::Browser, "x")], 0);
        assert_eq!(i.capture_start_us(), None);
        i.add(vec![msg(1, Hop::Browser, "x")], 0);
        assert_eq!(i.capture_start_us(), Some(1_700_000_000_000_001));
        // Trimmed and cleared, the start is still the start; a new server forgets it.
        i.add(
            vec![msg(6, Hop::Browser, "x"), msg(7, Hop::Browser, "x")],
            0,
        );
        i.clear();
        assert_eq!(i.capture_start_us(), Some(1_700_000_000_000_001));
        i.hello("a");
        i.hello("b");
        assert_eq!(i.capture_start_us(), None);
    }
}
