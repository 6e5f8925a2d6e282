//! The filtered list of the inspector's rows, kept up to date as records stream in, and the
//! scope menu's entries.
//!
//! What a filter is and which records pass it is `wirebook_shared::capture_filter`, the code
//! the server runs on a page query too. [`FilteredRows`] holds the `seq`s that pass, and on
//! each change of the model looks only at the rows that arrived since, unless the model or the
//! filter changed under it. Consecutive answered heartbeats of one kernel fold into one row
//! (the newest, with a count), so a kernel beating every few seconds does not push the
//! messages out of view; a missed beat always has its own row.

use std::collections::{BTreeMap, VecDeque};

use wirebook_shared::capture::{CaptureBody, CaptureRecord, ConnId};
pub use wirebook_shared::capture_filter::{Filter, FilterSpec, RowKind, Scope};

use crate::inspector::protocol_column::ProtocolColumn;
use crate::session::records::Records;

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

/// The `seq`s of the rows a filter lets through, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilteredRows {
    seqs: VecDeque<u64>,
    /// The model generation, filter revision and floor (the rows shown start at
    /// `Pages::shown_from`) these rows were computed for.
    generation: u64,
    filter_rev: u64,
    floor: u64,
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
    /// `filter_rev`: a new number means a new filter). A filter that names a lens's field
    /// reads each record's facts from `lenses`, refreshed first from the same records (it
    /// reads a connection again only when rows are slotted in, which starts these rows over
    /// too). Returns whether the rows changed.
    pub fn refresh(
        &mut self,
        inspector: &Records,
        filter: &Filter,
        filter_rev: u64,
        lenses: &ProtocolColumn,
    ) -> bool {
        let passes = |record: &CaptureRecord| {
            if filter.reads_lenses() {
                filter.matches_with(record, lenses.facts(record.seq))
            } else {
                filter.matches(record)
            }
        };
        let floor = inspector.pages().shown_from();
        let start_over = !self.primed
            || self.generation != inspector.generation()
            || self.filter_rev != filter_rev
            || self.floor != floor;
        if start_over {
            let mut fresh = FilteredRows {
                generation: inspector.generation(),
                filter_rev,
                floor,
                scanned_through: inspector.rows().next_back().map(|r| r.seq),
                primed: true,
                ..FilteredRows::default()
            };
            let shown = inspector.rows_after(floor.checked_sub(1));
            for record in shown.filter(|r| passes(r)) {
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
            if passes(record) {
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
    use wirebook_shared::capture::{Direction, Hop, Opcode};
    use wirebook_shared::capture_filter::Kinds;
    use wirebook_shared::capture_page::CapturePage;
    use wirebook_shared::jupyter::Channel;

    fn compile(spec: &FilterSpec) -> Filter {
        spec.compile().unwrap()
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
        rows.refresh(i, &compile(&spec), 1, &ProtocolColumn::default());
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
    fn patterns_ignore_case_and_bad_ones_are_errors() {
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
        let err = broken.compile().err().unwrap();
        assert!(err.starts_with("invalid regular expression"), "{err}");
        let any_case = FilterSpec {
            search: "^hello.*(KERNEL|there)$".into(),
            regex: true,
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, any_case), vec![2, 5]);
        // An empty pattern matches everything.
        let empty = FilterSpec {
            regex: true,
            ..FilterSpec::default()
        };
        assert_eq!(pick(&i, empty).len(), 8);
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
            rows.refresh(&i, &filter, 1, &ProtocolColumn::default()),
            "the first refresh counts as a change"
        );
        assert!(rows.is_empty());
        i.add(
            vec![msg(1, Hop::Browser, "keep"), msg(2, Hop::Browser, "drop")],
            0,
        );
        assert!(rows.refresh(&i, &filter, 1, &ProtocolColumn::default()));
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![1]);
        i.add(vec![msg(3, Hop::Browser, "drop")], 0);
        assert!(
            !rows.refresh(&i, &filter, 1, &ProtocolColumn::default()),
            "nothing new passed"
        );
        // 4 and 5 arrive; the model keeps 4 rows, so 1 goes.
        i.add(
            vec![msg(4, Hop::Browser, "keep"), msg(5, Hop::Browser, "keep")],
            0,
        );
        assert!(rows.refresh(&i, &filter, 1, &ProtocolColumn::default()));
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(rows.index_of(5), Some(1));
        assert_eq!(rows.get(0), Some(4));
        assert_eq!(rows.len(), 2);
        // A new filter revision recomputes.
        let everything = compile(&FilterSpec::default());
        assert!(rows.refresh(&i, &everything, 2, &ProtocolColumn::default()));
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
        assert_eq!(rows.range(1..3).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(rows.range(7..9).count(), 0);
        // A clear bumps the model's generation.
        i.clear();
        assert!(rows.refresh(&i, &everything, 2, &ProtocolColumn::default()));
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
            live.refresh(&i, &filter, 1, &ProtocolColumn::default());
            let mut fresh = FilteredRows::default();
            fresh.refresh(&i, &filter, 1, &ProtocolColumn::default());
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
            live.refresh(&i, &filter, 1, &ProtocolColumn::default());
            let mut fresh = FilteredRows::default();
            fresh.refresh(&i, &filter, 1, &ProtocolColumn::default());
            assert_eq!(
                live.range(0..usize::MAX).collect::<Vec<_>>(),
                fresh.range(0..usize::MAX).collect::<Vec<_>>(),
                "batch {batch}"
            );
        }
    }

    #[test]
    fn rows_below_the_pages_floor_wait_until_paging_reaches_them() {
        let mut i = Records::default();
        i.hello("a");
        // The newest page starts at 5; rows 1..=4 are on the server.
        i.capture(
            (5..=8).map(|s| msg(s, Hop::Browser, "x")).collect(),
            0,
            4,
            0,
        );
        let filter = compile(&FilterSpec::default());
        let mut rows = FilteredRows::default();
        rows.refresh(&i, &filter, 1, &ProtocolColumn::default());
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![5, 6, 7, 8]);
        let (id, before) = i.pages_mut().request().unwrap();
        assert_eq!(before, 5);
        let received = i.received();
        i.page(
            id,
            Ok(CapturePage {
                records: vec![msg(3, Hop::Browser, "x"), msg(4, Hop::Browser, "x")],
                scanned_from: 3,
                older: 2,
                instance: "a".into(),
            }),
        );
        assert_eq!(i.received(), received, "older rows are not news");
        assert!(rows.refresh(&i, &filter, 1, &ProtocolColumn::default()));
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![3, 4, 5, 6, 7, 8]);
        // A filter's page leaves rows it did not look at for that filter hidden.
        i.pages_mut().set_filter(2, true);
        let search = compile(&FilterSpec {
            search: "x".into(),
            ..FilterSpec::default()
        });
        rows.refresh(&i, &search, 2, &ProtocolColumn::default());
        assert_eq!(rows.range(0..9).collect::<Vec<_>>(), vec![3, 4, 5, 6, 7, 8]);
        // A page answer that is not awaited changes nothing.
        let stray = CapturePage {
            records: vec![msg(1, Hop::Browser, "x")],
            scanned_from: 1,
            older: 0,
            instance: "a".into(),
        };
        i.page(99, Ok(stray));
        assert!(i.get(1).is_none());
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
