//! The list's "Protocol" and "Latency" columns as data: every held record read once through
//! its connection's lens (`wirebook_shared::lens::dissector`) and kept by `seq`, so that a
//! render only looks cells up (a dissection costs a few µs; 100k rows on every render would
//! not do).
//!
//! Records are fed per connection in capture order as they arrive. Older pages, fetched later,
//! bring rows older than those already read: the pairing needs each connection's requests
//! before their responses, so a connection that gains a row older than its last one read is
//! dissected again from its oldest row held (that connection only, once per page). What it
//! cannot know: a response whose request went out before the oldest row held (trimmed, cleared
//! or never loaded) shows no latency once its connection is read again, as on the server.
//! Bounded like the rows: cells go with the rows the session lets go.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use wirebook_shared::capture::{CaptureRecord, ConnId};
use wirebook_shared::lens::dissector::{Dissector, LensFacts, MAX_CONNECTIONS};
use wirebook_shared::lens::pairing::Pairing;
use wirebook_shared::lens::Role;

use crate::inspector::protocol_lens::latency_text;
use crate::session::records::Records;

/// What the two columns show for one record a lens read, and what the filter reads of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolCell {
    /// `Dissection::summary`, e.g. `JSON-RPC call add id 7`.
    pub summary: String,
    /// The lens, its fields (`jsonrpc.method`) and, for a response, the µs since the first
    /// request it answers.
    pub facts: LensFacts,
    /// For a request: nothing has closed it yet (no last response, not abandoned).
    pub waiting: bool,
}

impl ProtocolCell {
    pub fn latency_us(&self) -> Option<u64> {
        self.facts.latency_us
    }

    /// The Latency column: the time since the request for a response, `…` for a request
    /// still waiting, blank otherwise.
    pub fn latency(&self) -> String {
        match self.latency_us() {
            Some(us) => latency_text(us),
            None if self.waiting => "…".into(),
            None => String::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ConnState {
    dissector: Dissector,
    last_fed: u64,
}

/// The cells of every held record, kept up to date with [`ProtocolColumn::refresh`].
#[derive(Debug, Clone, Default)]
pub struct ProtocolColumn {
    instance: Option<String>,
    generation: Option<u64>,
    /// The newest `seq` read.
    last_seq: Option<u64>,
    conns: HashMap<ConnId, ConnState>,
    /// Every record read (lens or not), so that a row slotted in later is noticed.
    fed: BTreeSet<u64>,
    cells: BTreeMap<u64, ProtocolCell>,
}

impl ProtocolColumn {
    /// Whether any record held was read through a protocol's lens: without one, the list
    /// leaves the Protocol and Latency columns' room to the Data column.
    pub fn any(&self) -> bool {
        !self.cells.is_empty()
    }

    pub fn cell(&self, seq: u64) -> Option<&ProtocolCell> {
        self.cells.get(&seq)
    }

    /// What the lens read of record `seq`, for a filter that names a lens's field.
    pub fn facts(&self, seq: u64) -> Option<&LensFacts> {
        self.cells.get(&seq).map(|cell| &cell.facts)
    }

    /// Reads the records that arrived since the last call. Returns whether any cell changed.
    pub fn refresh(&mut self, records: &Records) -> bool {
        let mut changed = false;
        if self.instance.as_deref() != records.instance() {
            // A new server process numbers its records from 1 again.
            changed = !self.cells.is_empty();
            *self = ProtocolColumn {
                instance: records.instance().map(str::to_string),
                ..ProtocolColumn::default()
            };
        }
        // The oldest rows went (trimmed to the limit): their cells go with them.
        if let Some(first) = records.first_seq() {
            if self.fed.first().is_some_and(|&s| s < first) {
                self.fed = self.fed.split_off(&first);
                self.cells = self.cells.split_off(&first);
                changed = true;
            }
        }
        if self.generation != Some(records.generation()) {
            // Rows were slotted in (an older page, a late record) or cleared.
            self.generation = Some(records.generation());
            changed |= self.catch_up(records);
        } else {
            for record in records.rows_after(self.last_seq) {
                changed |= self.feed(record);
            }
        }
        self.last_seq = records.rows().next_back().map(|r| r.seq).max(self.last_seq);
        self.bound(records);
        changed
    }

    /// Brings every connection up to the rows held, after rows came in out of order.
    fn catch_up(&mut self, records: &Records) -> bool {
        let before = self.cells.len();
        self.fed.retain(|&seq| records.get(seq).is_some());
        self.cells.retain(|seq, _| records.get(*seq).is_some());
        let mut changed = self.cells.len() != before;
        let conns: Vec<ConnId> = records.conns().map(|(conn, _)| conn).collect();
        for conn in conns {
            let missing: Vec<u64> = records
                .conn_seqs(conn)
                .filter(|seq| !self.fed.contains(seq))
                .collect();
            let Some(&oldest) = missing.first() else {
                continue;
            };
            let seqs: Vec<u64> = match self.conns.get(&conn) {
                // Only newer rows: read them after the others, as if live.
                Some(state) if oldest > state.last_fed => missing,
                _ => {
                    // An older row: this connection is read again from its oldest row.
                    self.conns.remove(&conn);
                    let all: Vec<u64> = records.conn_seqs(conn).collect();
                    for seq in &all {
                        self.fed.remove(seq);
                        self.cells.remove(seq);
                    }
                    all
                }
            };
            for seq in seqs {
                if let Some(record) = records.get(seq) {
                    changed |= self.feed(record);
                }
            }
        }
        changed
    }

    fn feed(&mut self, record: &CaptureRecord) -> bool {
        self.fed.insert(record.seq);
        let state = self.conns.entry(record.conn).or_default();
        state.last_fed = state.last_fed.max(record.seq);
        let Some(dissection) = state.dissector.feed(record) else {
            return false;
        };
        for pairing in &dissection.pairings {
            match pairing {
                Pairing::Answers {
                    request_seq, last, ..
                } => {
                    if *last {
                        self.close(*request_seq);
                    }
                }
                Pairing::Reused { earlier_seq, .. } => self.close(*earlier_seq),
                Pairing::Unmatched { .. } | Pairing::Cancels { .. } => {}
            }
        }
        let waiting = dissection
            .decoded
            .keys
            .iter()
            .any(|k| k.role == Role::Request);
        self.cells.insert(
            record.seq,
            ProtocolCell {
                summary: dissection.summary(),
                facts: dissection.facts(),
                waiting,
            },
        );
        true
    }

    fn close(&mut self, request_seq: u64) {
        if let Some(cell) = self.cells.get_mut(&request_seq) {
            cell.waiting = false;
        }
    }

    /// At most as many connections' lens states as the dissector keeps: those without held
    /// rows go first.
    fn bound(&mut self, records: &Records) {
        if self.conns.len() <= MAX_CONNECTIONS {
            return;
        }
        self.conns
            .retain(|conn, _| records.conn_seqs(*conn).next().is_some());
        while self.conns.len() > MAX_CONNECTIONS {
            let Some(&oldest) = self.conns.keys().min() else {
                break;
            };
            self.conns.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::test_records::text_frame;
    use wirebook_shared::capture::{Direction, Hop};

    fn on(conn: ConnId, mut record: CaptureRecord) -> CaptureRecord {
        record.conn = conn;
        record
    }

    fn call(seq: u64, conn: ConnId, id: u32) -> CaptureRecord {
        let text = format!(r#"{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{id}}}"#);
        on(
            conn,
            text_frame(seq, Hop::Upstream, Direction::ToServer, &text),
        )
    }

    fn result(seq: u64, conn: ConnId, id: u32) -> CaptureRecord {
        let text = format!(r#"{{"jsonrpc":"2.0","result":3,"id":{id}}}"#);
        on(
            conn,
            text_frame(seq, Hop::Upstream, Direction::ToClient, &text),
        )
    }

    /// Two JSON-RPC connections interleaved, a plain one, and requests left open.
    fn capture() -> Vec<CaptureRecord> {
        vec![
            call(1, 1, 7),
            call(2, 2, 1),
            on(
                3,
                text_frame(3, Hop::Upstream, Direction::ToServer, "hello"),
            ),
            result(4, 2, 1),
            call(5, 1, 8),
            result(6, 1, 7),
            call(7, 2, 2),
            result(10, 1, 8),
            call(12, 1, 9),
        ]
    }

    fn records_of(batches: &[Vec<CaptureRecord>], limit: usize) -> (Records, ProtocolColumn) {
        let mut records = Records::new(limit);
        records.hello("a");
        let mut column = ProtocolColumn::default();
        for batch in batches {
            records.add(batch.clone(), 0);
            column.refresh(&records);
        }
        (records, column)
    }

    fn cells(column: &ProtocolColumn) -> Vec<(u64, ProtocolCell)> {
        column.cells.iter().map(|(s, c)| (*s, c.clone())).collect()
    }

    #[test]
    fn cells_say_the_summary_and_the_latency() {
        let (_, column) = records_of(&[capture()], 100);
        let request = column.cell(1).unwrap();
        assert_eq!(request.summary, "JSON-RPC call add id 7");
        assert_eq!(request.latency(), "");
        assert_eq!(column.cell(6).unwrap().summary, "JSON-RPC result id 7: 3");
        assert_eq!(column.cell(6).unwrap().latency(), "5 µs");
        assert_eq!(column.cell(4).unwrap().latency(), "2 µs");
        // Unanswered requests wait; a plain connection has no cells.
        assert_eq!(column.cell(7).unwrap().latency(), "…");
        assert_eq!(column.cell(12).unwrap().latency(), "…");
        assert!(column.cell(3).is_none());
        assert!(column.any());
        // Only plain connections held: the list leaves the two columns out.
        let plain: Vec<CaptureRecord> = capture().into_iter().filter(|r| r.seq == 3).collect();
        assert!(!records_of(&[plain], 100).1.any());
        assert!(!ProtocolColumn::default().any());
    }

    #[test]
    fn live_batches_read_as_one_batch() {
        let whole = records_of(&[capture()], 100).1;
        let all = capture();
        for cut in 0..=all.len() {
            let (head, tail) = all.split_at(cut);
            let live = records_of(&[head.to_vec(), tail.to_vec()], 100).1;
            assert_eq!(cells(&live), cells(&whole), "cut at {cut}");
        }
        let one_by_one: Vec<Vec<CaptureRecord>> = all.iter().map(|r| vec![r.clone()]).collect();
        assert_eq!(cells(&records_of(&one_by_one, 100).1), cells(&whole));
    }

    #[test]
    fn older_pages_after_newer_rows_pair_as_in_order() {
        let whole = records_of(&[capture()], 100).1;
        let all = capture();
        for cut in 1..all.len() {
            // The newest rows first (the page after connecting), then the older page.
            let (older, newer) = all.split_at(cut);
            let paged = records_of(&[newer.to_vec(), older.to_vec()], 100).1;
            assert_eq!(cells(&paged), cells(&whole), "older page below {cut}");
        }
        // A late record in the middle, then newer ones live.
        let mut late = all.clone();
        let slotted = late.remove(4);
        let (head, tail) = late.split_at(6);
        let column = records_of(&[head.to_vec(), vec![slotted], tail.to_vec()], 100).1;
        assert_eq!(cells(&column), cells(&whole));
    }

    #[test]
    fn cells_go_with_the_rows_let_go() {
        let live: Vec<Vec<CaptureRecord>> = capture().into_iter().map(|r| vec![r]).collect();
        let (records, column) = records_of(&live, 4);
        assert_eq!(records.len(), 4);
        let kept: Vec<u64> = column.cells.keys().copied().collect();
        assert_eq!(kept, vec![6, 7, 10, 12]);
        // Read live, a response still knows its request after the request row went.
        assert!(records.get(1).is_none());
        assert_eq!(column.cell(6).unwrap().latency(), "5 µs");
        // All at once, the request was let go before it was read: no latency, as it says.
        let (_, column) = records_of(&[capture()], 4);
        assert_eq!(column.cell(6).unwrap().latency(), "");
    }

    #[test]
    fn the_row_filter_reads_lens_fields_from_the_cells() {
        use crate::inspector::row_filter::{FilterSpec, FilteredRows};
        let filter = FilterSpec {
            expr: "jsonrpc.id == 7 || (latency > 1 && conn == 2) || jsonrpc.id == 9".into(),
            ..FilterSpec::default()
        }
        .compile()
        .unwrap();
        // As the view does: the cells, then the rows, after every batch.
        let shown = |batches: &[Vec<CaptureRecord>]| {
            let mut records = Records::new(100);
            records.hello("a");
            let (mut column, mut rows) = (ProtocolColumn::default(), FilteredRows::default());
            for batch in batches {
                records.add(batch.clone(), 0);
                column.refresh(&records);
                rows.refresh(&records, &filter, 1, &column);
            }
            rows.range(0..usize::MAX).collect::<Vec<u64>>()
        };
        let all = capture();
        assert_eq!(shown(std::slice::from_ref(&all)), [1, 4, 6, 12]);
        let live: Vec<Vec<CaptureRecord>> = all.iter().map(|r| vec![r.clone()]).collect();
        assert_eq!(shown(&live), [1, 4, 6, 12]);
        for cut in 1..all.len() {
            let (older, newer) = all.split_at(cut);
            let paged = shown(&[newer.to_vec(), older.to_vec()]);
            assert_eq!(paged, [1, 4, 6, 12], "older page below {cut}");
        }
        // No cells, no lens fields.
        let (records, _) = records_of(&[all], 100);
        let mut rows = FilteredRows::default();
        rows.refresh(&records, &filter, 1, &ProtocolColumn::default());
        assert_eq!(rows.len(), 0);
    }

    #[test]
    fn a_new_server_starts_the_cells_over() {
        let (mut records, mut column) = records_of(&[capture()], 100);
        records.hello("b");
        records.add(vec![result(1, 1, 7)], 0);
        assert!(column.refresh(&records));
        assert_eq!(cells(&column).len(), 1);
        assert_eq!(column.cell(1).unwrap().summary, "JSON-RPC result id 7: 3");
        assert_eq!(column.cell(1).unwrap().latency(), "");
    }
}
