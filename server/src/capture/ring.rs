//! The capture: what crossed every WebSocket the server owns, kept in a bounded ring that
//! browsers subscribe to and that `/api/capture.*` exports, both as [`CaptureRecord`]s.
//!
//! The ring holds [`Entry`]s, compact forms of the records (see [`crate::capture::entry`]),
//! and makes the [`CaptureRecord`]s only when a batch goes to a browser or an export is
//! written; it is bounded in entries and in the memory they take.
//!
//! Records get a process-wide sequence number (`seq`, starting at 1) under the ring's lock, so
//! the ring is always ordered and contiguous. Subscribers do not get their own queue: a
//! [`Feed`] remembers the last `seq` it delivered and pulls newer records from the ring when a
//! `watch` channel says there are some. A slow subscriber therefore never holds memory of its
//! own; if the ring overtakes it, it learns how many records it missed (`evicted`).
//!
//! The capture can be paused (nothing is recorded meanwhile; every session is told through a
//! `watch` channel) or switched off for the whole process (`--no-capture`).
//!
//! Connections write through their [`Recorder`](crate::capture::recorder::Recorder); what
//! they record comes from the byte tap (`crate::capture::tap`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use wirebook_shared::lens::dissector::LensFacts;
use wirebook_shared::{CaptureBody, CaptureRecord, ConnId, HandshakeRecord, Hop};

use crate::capture::clock;
use crate::capture::entry::{Entry, FrameEntry, Stored};
use crate::capture::lens_index::{self, LensIndex};
use crate::capture::prefetch;
use crate::capture::redaction::{Secrets, Sensitive};

/// The process-wide capture ring.
#[derive(Debug)]
pub struct Capture {
    ring: Mutex<Ring>,
    /// The newest `seq` recorded; subscribers wait on it.
    latest: watch::Sender<u64>,
    next_conn: AtomicU64,
    preview_bytes: usize,
    /// `--no-capture`: taps are not installed and nothing is recorded.
    enabled: bool,
    paused: watch::Sender<bool>,
    /// The same flag, read by every record: an atomic load rather than the watch's lock.
    paused_now: AtomicBool,
    /// Records not made since the capture was last paused.
    skipped_while_paused: AtomicU64,
    /// Redacted from every handshake recorded (wirebook's own token).
    secrets: Secrets,
    /// What the lenses read of each record, for filters that name a lens's fields.
    pub(super) lenses: LensIndex,
}

/// The memory budget of a capture when none is given (`--capture-memory`).
pub const DEFAULT_MEMORY_BUDGET: usize = 256 * 1024 * 1024;

/// At most `limit` entries taking at most `budget` bytes (as [`Entry::cost`] counts them);
/// each new entry evicts the oldest ones until both hold again.
#[derive(Debug)]
struct Ring {
    records: VecDeque<Entry>,
    limit: usize,
    /// Bytes of memory the entries may take, their slots included.
    budget: usize,
    /// What the entries take now.
    bytes: usize,
    next_seq: u64,
}

/// Entries evicted by a push, for the caller to drop after unlocking: their free touches cold
/// memory, and every other recording thread would wait for it.
#[derive(Debug, Default)]
struct Evicted {
    oldest: Option<Entry>,
    /// A big entry can evict several small ones.
    more: Vec<Entry>,
}

impl Ring {
    #[inline]
    fn push(&mut self, entry: Entry) -> Evicted {
        let mut evicted = Evicted::default();
        if self.limit == 0 {
            return evicted;
        }
        let cost = entry.cost();
        // A ring full to its limit (its buffer too): the new entry takes the oldest's slot in
        // place and the ring turns by one, which moves no entry, when the budget needs no
        // more evicted than that one. The rest of the time, pops and a push.
        if self.records.len() == self.limit && self.records.len() == self.records.capacity() {
            if let Some(oldest) = self.records.front_mut() {
                let freed = oldest.cost();
                if self.bytes - freed + cost <= self.budget {
                    self.bytes = self.bytes - freed + cost;
                    let old = std::mem::replace(oldest, entry);
                    // Full, so the slot just written becomes the back.
                    self.records.rotate_left(1);
                    self.prefetch_next_slot();
                    return Evicted {
                        oldest: Some(old),
                        more: Vec::new(),
                    };
                }
            }
        }
        while !self.records.is_empty()
            && (self.records.len() >= self.limit || self.bytes + cost > self.budget)
        {
            let Some(oldest) = self.records.pop_front() else {
                break;
            };
            self.bytes -= oldest.cost();
            match evicted.oldest {
                None => evicted.oldest = Some(oldest),
                Some(_) => evicted.more.push(oldest),
            }
        }
        self.bytes += cost;
        if self.records.len() == self.records.capacity() && self.records.capacity() < self.limit {
            // Grown by doubling, up to the limit exactly: in a ring full to its limit, the new
            // entry then takes the slot its eviction just freed (one cold place in memory per
            // record rather than two: see docs/benchmarks.md).
            let target = (self.records.capacity() * 2).clamp(16, self.limit);
            self.records.reserve_exact(target - self.records.len());
        }
        self.records.push_back(entry);
        self.prefetch_next_slot();
        evicted
    }

    /// The next push moves the oldest entry out and writes into its slot: in a full ring of
    /// 100 000 entries both of its cache lines are cold, and the push would wait for them
    /// under the lock. Prefetched now, microseconds ahead, they are in the cache by then
    /// (docs/benchmarks.md).
    #[inline]
    fn prefetch_next_slot(&self) {
        if self.records.len() == self.limit {
            if let Some(next) = self.records.front() {
                prefetch::for_write(next);
                prefetch::for_write(next.second_line());
            }
        }
    }

    /// The `seq` of the oldest entry (the ring's seqs are contiguous, so an entry's `seq` is
    /// its place after the oldest: entries do not store it).
    fn oldest_seq(&self) -> u64 {
        self.next_seq - self.records.len() as u64
    }

    /// The entry recorded as `seq`, if the ring still has it.
    fn get(&self, seq: u64) -> Option<&Entry> {
        let index = usize::try_from(seq.checked_sub(self.oldest_seq())?).ok()?;
        self.records.get(index)
    }

    /// Oldest first, with their seqs, from `seq` on.
    fn iter_from(&self, seq: u64) -> impl Iterator<Item = (u64, &Entry)> {
        let start = seq.max(self.oldest_seq());
        // The ring holds contiguous seqs from the oldest, so the start is an index.
        let skip = usize::try_from(start - self.oldest_seq()).unwrap_or(usize::MAX);
        (start..).zip(self.records.range(skip.min(self.records.len())..))
    }
}

/// Records newer than a subscriber's cursor, and how many it can no longer get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub records: Vec<CaptureRecord>,
    pub evicted: u64,
}

impl Capture {
    /// A capture keeping at most `limit` records, with previews of at most `preview_bytes`.
    /// The ring takes at most [`DEFAULT_MEMORY_BUDGET`] until [`Capture::memory_budget`]
    /// says otherwise.
    pub fn new(limit: usize, preview_bytes: usize) -> Self {
        Capture {
            ring: Mutex::new(Ring {
                records: VecDeque::with_capacity(limit.min(4096)),
                limit,
                budget: DEFAULT_MEMORY_BUDGET,
                bytes: 0,
                next_seq: 1,
            }),
            latest: watch::Sender::new(0),
            next_conn: AtomicU64::new(1),
            preview_bytes,
            enabled: true,
            paused: watch::Sender::new(false),
            paused_now: AtomicBool::new(false),
            skipped_while_paused: AtomicU64::new(0),
            secrets: Secrets::new(),
            lenses: LensIndex::default(),
        }
    }

    /// At most `bytes` of memory for the records kept (their ring slots and what they point
    /// to): older records are evicted first, whatever `limit` allows.
    pub fn memory_budget(self, bytes: usize) -> Self {
        self.ring().budget = bytes;
        self
    }

    /// Redacts `secret` (wirebook's token) from every handshake recorded.
    pub fn redacting(mut self, secret: &str) -> Self {
        self.secrets.add(secret);
        self
    }

    /// What the ring holds now.
    pub fn stats(&self) -> Stats {
        let ring = self.ring();
        Stats {
            records: ring.records.len(),
            oldest_seq: ring.oldest_seq(),
            latest_seq: ring.next_seq - 1,
            memory_bytes: ring.bytes,
            memory_budget: ring.budget,
        }
    }

    /// A capture that records nothing (`--no-capture`); connection ids are still handed out.
    pub fn disabled() -> Self {
        Capture {
            enabled: false,
            ..Capture::new(0, 0)
        }
    }

    pub fn preview_bytes(&self) -> usize {
        self.preview_bytes
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn is_paused(&self) -> bool {
        self.paused_now.load(Ordering::Relaxed)
    }

    /// Pauses or resumes recording. Returns whether that changed anything; on resuming, the
    /// number of records not made while paused is logged.
    pub fn set_paused(&self, paused: bool) -> bool {
        let changed = self.paused.send_if_modified(|current| {
            let changed = *current != paused;
            *current = paused;
            changed
        });
        self.paused_now.store(paused, Ordering::Relaxed);
        if changed && !paused {
            let skipped = self.skipped_while_paused.swap(0, Ordering::Relaxed);
            tracing::info!(skipped, "capture resumed");
        } else if changed {
            tracing::info!("capture paused");
        }
        changed
    }

    /// Tells the receiver whenever the capture is paused or resumed.
    pub fn watch_paused(&self) -> watch::Receiver<bool> {
        self.paused.subscribe()
    }

    /// Calls `read` with what the lenses read of record `seq` (see
    /// [`crate::capture::lens_index`]).
    pub fn lens_facts<R>(&self, seq: u64, read: impl FnOnce(Option<&LensFacts>) -> R) -> R {
        self.lenses.with_facts(self, seq, read)
    }

    /// A fresh connection id.
    pub fn new_conn(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        // A panic while holding the lock cannot leave the ring inconsistent (each operation is
        // a push/pop), so a poisoned lock is still usable.
        self.ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records one event and returns its `seq`; `None` when the capture is paused or off.
    pub fn record(&self, conn: ConnId, hop: Hop, mut body: CaptureBody) -> Option<u64> {
        match &mut body {
            CaptureBody::Handshake(handshake) => self.secrets.handshake(handshake),
            CaptureBody::Open { target, .. } => self.secrets.text(target),
            CaptureBody::Closed { reason, .. } => self.secrets.text(reason),
            _ => {}
        }
        self.push(conn, hop, Stored::Other(Box::new(body)))
    }

    /// Records a connection's handshake with its own secrets redacted besides the capture's
    /// (see [`Secrets::handshake`]); `None` when the capture is paused or off.
    pub fn record_handshake(
        &self,
        conn: ConnId,
        hop: Hop,
        mut handshake: HandshakeRecord,
        secrets: &Secrets,
    ) -> Option<u64> {
        let mut all = self.secrets.clone();
        all.extend(secrets);
        all.handshake(&mut handshake);
        let body = CaptureBody::Handshake(Box::new(handshake));
        self.push(conn, hop, Stored::Other(Box::new(body)))
    }

    /// Records one frame (see [`FrameEntry`]); `None` when the capture is paused or off.
    #[inline]
    pub fn record_frame(&self, conn: ConnId, hop: Hop, frame: FrameEntry) -> Option<u64> {
        self.push(conn, hop, Stored::Frame(frame))
    }

    #[inline]
    fn push(&self, conn: ConnId, hop: Hop, body: Stored) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        if self.paused_now.load(Ordering::Relaxed) {
            self.skipped_while_paused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let time_us = clock::now_us();
        let (seq, evicted) = {
            let mut ring = self.ring();
            let seq = ring.next_seq;
            ring.next_seq += 1;
            let evicted = ring.push(Entry {
                conn,
                hop,
                time_us,
                body,
            });
            (seq, evicted)
        };
        drop(evicted);
        // Waking subscribers costs a lock per record; without any there is nobody to wake (a
        // new feed reads the ring before it waits).
        if self.latest.receiver_count() > 0 {
            self.latest.send_replace(seq);
        }
        Some(seq)
    }

    /// Up to `max` records with `seq > after`, oldest first, and how many records after `after`
    /// were already evicted; as an inspector sees them ([`Sensitive::Included`]).
    pub fn since(&self, after: u64, max: usize) -> Batch {
        self.read(after, max, Sensitive::Included)
    }

    /// Like [`Capture::since`], for an export: credentials as `sensitive` says.
    pub fn read(&self, after: u64, max: usize, sensitive: Sensitive) -> Batch {
        let ring = self.ring();
        let first_wanted = after.saturating_add(1);
        let evicted = ring.oldest_seq().saturating_sub(first_wanted);
        let entries: Vec<(u64, Entry)> = ring
            .iter_from(first_wanted)
            .take(max)
            .map(|(seq, entry)| (seq, entry.clone()))
            .collect();
        // The strings are built outside the lock: recording does not wait for them.
        drop(ring);
        let records = entries
            .iter()
            .map(|(seq, entry)| entry.to_record(*seq, sensitive, &self.secrets))
            .collect();
        Batch { records, evicted }
    }

    /// The records of these seqs that the ring still has, in the order given.
    pub fn records(&self, seqs: &[u64], sensitive: Sensitive) -> Vec<CaptureRecord> {
        let entries: Vec<(u64, Entry)> = {
            let ring = self.ring();
            seqs.iter()
                .filter_map(|&seq| Some((seq, ring.get(seq)?.clone())))
                .collect()
        };
        entries
            .iter()
            .map(|(seq, entry)| entry.to_record(*seq, sensitive, &self.secrets))
            .collect()
    }

    /// Each connection in the ring (or `only` that one), in the order of its first record,
    /// with the seqs of its records and what kinds of record it has: what an export that
    /// groups records by connection reads the ring by, a connection at a time.
    pub fn connections(&self, only: Option<ConnId>) -> Vec<ConnectionIndex> {
        /// What the index needs of a record.
        #[derive(Clone, Copy)]
        enum Kind {
            Plain,
            Handshake,
            KernelMessage,
        }
        // Copied under the lock (24 bytes a record) and grouped after it: recording waits for
        // the copy, not for the hashing.
        let entries: Vec<(u64, ConnId, Kind)> = self
            .ring()
            .iter_from(0)
            .filter(|(_, entry)| only.is_none_or(|c| c == entry.conn))
            .map(|(seq, entry)| {
                let kind = match &entry.body {
                    Stored::Other(body) => match **body {
                        CaptureBody::Handshake(_) => Kind::Handshake,
                        CaptureBody::KernelMessage(_) => Kind::KernelMessage,
                        _ => Kind::Plain,
                    },
                    Stored::Frame(_) => Kind::Plain,
                };
                (seq, entry.conn, kind)
            })
            .collect();
        let mut index: Vec<ConnectionIndex> = Vec::new();
        let mut position: std::collections::HashMap<ConnId, usize> = Default::default();
        for (seq, conn, kind) in entries {
            let at = *position.entry(conn).or_insert_with(|| {
                index.push(ConnectionIndex {
                    conn,
                    seqs: Vec::new(),
                    handshake: None,
                    kernel_messages: false,
                });
                index.len() - 1
            });
            let connection = &mut index[at];
            connection.seqs.push(seq);
            match kind {
                Kind::Handshake if connection.handshake.is_none() => {
                    connection.handshake = Some(seq);
                }
                Kind::KernelMessage => connection.kernel_messages = true,
                _ => {}
            }
        }
        index
    }

    /// Everything still in the ring, oldest first.
    pub fn snapshot(&self) -> Vec<CaptureRecord> {
        self.read(0, usize::MAX, Sensitive::Included).records
    }

    /// A feed that starts with the newest records in the ring, at most `records` of them
    /// taking at most `backlog` bytes (as the memory budget counts them), and how many older
    /// ones the ring still has that it will not get (a page query fetches them).
    pub fn subscribe_recent(self: &Arc<Self>, backlog: usize, records: usize) -> (Feed, u64) {
        let latest = self.latest.subscribe();
        let ring = self.ring();
        let mut bytes = 0;
        let kept = ring
            .records
            .iter()
            .rev()
            .take(records)
            .take_while(|entry| {
                bytes += entry.cost();
                bytes <= backlog
            })
            .count();
        let older = (ring.records.len() - kept) as u64;
        let cursor = ring.next_seq - 1 - kept as u64;
        drop(ring);
        let feed = Feed {
            capture: Arc::clone(self),
            cursor,
            latest,
        };
        (feed, older)
    }
}

impl Capture {
    /// A page of the ring for an inspector scrolling back (see `crate::capture_page`): up
    /// to `limit` records with `seq < before` (`None`: the newest) that `keep` lets through,
    /// oldest first, looking at no more than `scan` records. Entries are copied out under the
    /// lock a chunk at a time and turned into records and filtered outside it, as
    /// [`Capture::read`] does, so recording never waits for a filter.
    pub fn page(
        &self,
        before: Option<u64>,
        limit: usize,
        scan: usize,
        keep: impl Fn(&CaptureRecord) -> bool,
    ) -> Page {
        /// Entries copied per lock: a few hundred KiB, short enough that recording barely
        /// notices.
        const CHUNK: usize = 1024;
        let mut found = Vec::new();
        let mut scanned = 0;
        let mut next = before.unwrap_or(u64::MAX);
        loop {
            let (chunk, oldest) = {
                let ring = self.ring();
                let oldest = ring.oldest_seq();
                let end = next.min(ring.next_seq);
                let start = end
                    .saturating_sub(CHUNK.min(scan - scanned) as u64)
                    .max(oldest);
                let chunk: Vec<(u64, Entry)> = if start < end {
                    ring.iter_from(start)
                        .take_while(|(seq, _)| *seq < end)
                        .map(|(seq, entry)| (seq, entry.clone()))
                        .collect()
                } else {
                    Vec::new()
                };
                (chunk, oldest)
            };
            if chunk.is_empty() {
                // Nothing left below `next` (or it was evicted meanwhile).
                next = next.min(oldest);
                break;
            }
            for (seq, entry) in chunk.iter().rev() {
                scanned += 1;
                next = *seq;
                let record = entry.to_record(*seq, Sensitive::Included, &self.secrets);
                if keep(&record) {
                    found.push(record);
                    if found.len() >= limit {
                        break;
                    }
                }
            }
            if found.len() >= limit || scanned >= scan {
                break;
            }
        }
        found.reverse();
        let older = next.saturating_sub(self.ring().oldest_seq());
        Page {
            records: found,
            scanned_from: next,
            older,
        }
    }
}

impl lens_index::Source for Capture {
    fn records_after(&self, after: u64, max: usize) -> (Vec<CaptureRecord>, u64) {
        let batch = self.read(after, max, Sensitive::Included);
        (batch.records, batch.evicted)
    }

    fn held(&self) -> (u64, u64) {
        let ring = self.ring();
        (ring.oldest_seq(), ring.next_seq - 1)
    }
}

/// A page of the ring (see [`Capture::page`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Oldest first.
    pub records: Vec<CaptureRecord>,
    /// Every record from here up to the query's `before` was looked at (or is gone).
    pub scanned_from: u64,
    /// Records still in the ring older than `scanned_from`.
    pub older: u64,
}

/// What the ring holds (see [`Capture::stats`]); `/api/capture/stats` is its JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub records: usize,
    pub oldest_seq: u64,
    pub latest_seq: u64,
    /// As the budget counts it (see [`Capture::memory_budget`]).
    pub memory_bytes: usize,
    pub memory_budget: usize,
}

/// One connection's records in the ring (see [`Capture::connections`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionIndex {
    pub conn: ConnId,
    /// Oldest first.
    pub seqs: Vec<u64>,
    /// The seq of its (first) handshake record.
    pub handshake: Option<u64>,
    pub kernel_messages: bool,
}

/// One subscriber's position in the capture.
#[derive(Debug)]
pub struct Feed {
    capture: Arc<Capture>,
    cursor: u64,
    latest: watch::Receiver<u64>,
}

impl Feed {
    /// What is new since the last batch, without waiting.
    pub fn try_batch(&mut self, max: usize) -> Option<Batch> {
        // Mark the current value seen *before* reading the ring, so a record that lands after
        // the read wakes `next_batch`.
        self.latest.borrow_and_update();
        let batch = self.capture.since(self.cursor, max);
        if let Some(last) = batch.records.last() {
            self.cursor = last.seq;
        } else if batch.evicted > 0 {
            self.cursor += batch.evicted;
        } else {
            return None;
        }
        Some(batch)
    }

    /// The last `seq` this feed delivered (or skipped).
    pub fn position(&self) -> u64 {
        self.cursor
    }

    /// Moves on to after `seq` without reading what lies between (the records another reader
    /// delivered in this feed's stead). Never moves back.
    pub fn skip_to(&mut self, seq: u64) {
        self.cursor = self.cursor.max(seq);
    }

    /// Waits until the capture has a record after this feed's position, without reading it.
    /// Cancel-safe.
    pub async fn wait_new(&mut self) {
        loop {
            if *self.latest.borrow_and_update() > self.cursor {
                return;
            }
            if self.latest.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Waits until there is something new and returns it (at most `max` records per batch).
    /// Cancel-safe: the cursor only moves when a batch is returned.
    pub async fn next_batch(&mut self, max: usize) -> Batch {
        loop {
            if let Some(batch) = self.try_batch(max) {
                return batch;
            }
            if self.latest.changed().await.is_err() {
                // The sender lives inside `Capture`, which this feed keeps alive.
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::recorder::Recorder;
    use wirebook_shared::HttpHeadRecord;

    fn open(capture: &Arc<Capture>) -> Recorder {
        Recorder::open(
            capture,
            Hop::Browser,
            "127.0.0.1:1".into(),
            "wirebook".into(),
            "/session".into(),
        )
    }

    fn closed(reason: &str) -> CaptureBody {
        CaptureBody::Closed {
            code: None,
            reason: reason.into(),
        }
    }

    #[test]
    fn records_are_numbered_and_the_ring_is_bounded() {
        let capture = Capture::new(3, 16);
        for i in 0..5 {
            let seq = capture.record(1, Hop::Kernel, closed(&i.to_string()));
            assert_eq!(seq, Some(i + 1));
        }
        let batch = capture.since(0, 100);
        assert_eq!(batch.evicted, 2);
        let seqs: Vec<u64> = batch.records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
        // From inside the ring nothing is missing; `max` caps the batch.
        let batch = capture.since(3, 1);
        assert_eq!(batch.evicted, 0);
        assert_eq!(batch.records.len(), 1);
        assert_eq!(batch.records[0].seq, 4);
        assert!(capture.since(5, 10).records.is_empty());
        assert_eq!(capture.snapshot().len(), 3);
    }

    #[test]
    fn a_full_ring_reuses_the_slot_it_evicts() {
        // Doubling alone would leave 100 000 entries in 131 072 slots, the evicted oldest and
        // the newest far apart in memory.
        for limit in [1, 3, 100, 1000] {
            let capture = Capture::new(limit, 16);
            for i in 0..(2 * limit + 5) {
                capture.record(1, Hop::Kernel, closed(&i.to_string()));
            }
            let ring = capture.ring();
            assert_eq!(ring.records.len(), limit);
            assert_eq!(ring.records.capacity(), limit);
        }
    }

    #[test]
    fn a_full_ring_turning_in_place_keeps_the_newest_in_order_and_counts_their_bytes() {
        // Small and large records mixed: a full ring takes some in the oldest's slot and
        // evicts several for others (the budget), and both ways must leave the same ring.
        let capture = Capture::new(8, 16).memory_budget(8 * size_of::<Entry>() + 3_000);
        let reason = |i: usize| {
            if i % 7 == 3 {
                "x".repeat(1_000)
            } else {
                i.to_string()
            }
        };
        for i in 0..200 {
            capture.record(1, Hop::Kernel, closed(&reason(i)));
            let ring = capture.ring();
            assert!(ring.records.len() <= 8 && ring.bytes <= ring.budget);
            assert_eq!(
                ring.bytes,
                ring.records.iter().map(Entry::cost).sum::<usize>()
            );
            let held: Vec<String> = ring
                .iter_from(0)
                .map(|(_, entry)| match &entry.body {
                    Stored::Other(body) => match &**body {
                        CaptureBody::Closed { reason, .. } => reason.clone(),
                        other => panic!("{other:?}"),
                    },
                    Stored::Frame(_) => panic!("a frame"),
                })
                .collect();
            let newest: Vec<String> = (i + 1 - held.len()..=i).map(reason).collect();
            assert_eq!(held, newest, "after record {i}");
        }
    }

    #[test]
    fn the_ring_is_bounded_in_bytes_as_well_as_records() {
        let capture = Capture::new(1000, 16).memory_budget(20_000);
        for _ in 0..200 {
            capture.record(1, Hop::Kernel, closed(&"x".repeat(100)));
        }
        let stats = capture.stats();
        assert!(stats.memory_bytes <= 20_000, "{stats:?}");
        assert!(stats.records > 10 && stats.records < 200, "{stats:?}");
        assert_eq!(stats.latest_seq, 200);
        assert_eq!(stats.oldest_seq, 201 - stats.records as u64);
        // A big record evicts as many small ones as it takes.
        capture.record(1, Hop::Kernel, closed(&"y".repeat(10_000)));
        let after = capture.stats();
        assert!(after.memory_bytes <= 20_000, "{after:?}");
        assert!(stats.records - after.records >= 30, "{after:?}");
        let batch = capture.since(0, usize::MAX);
        assert_eq!(batch.evicted, after.oldest_seq - 1);
        assert_eq!(batch.records.len(), after.records);
        // One bigger than the budget is still kept, alone.
        capture.record(1, Hop::Kernel, closed(&"z".repeat(30_000)));
        assert_eq!(capture.stats().records, 1);
        capture.record(1, Hop::Kernel, closed(""));
        assert_eq!(capture.stats().records, 1, "the big one made room");
    }

    #[test]
    fn a_recent_feed_starts_within_its_backlog_and_counts_the_rest() {
        let capture = Arc::new(Capture::new(1000, 16));
        for _ in 0..50 {
            capture.record(1, Hop::Kernel, closed(&"x".repeat(100)));
        }
        let one = capture.stats().memory_bytes / 50;
        let (mut feed, older) = capture.subscribe_recent(one * 10, usize::MAX);
        assert_eq!(older, 40);
        let batch = feed.try_batch(100).unwrap();
        assert_eq!(batch.evicted, 0);
        assert_eq!(batch.records.first().unwrap().seq, 41);
        assert_eq!(batch.records.len(), 10);
        let (mut all, older) = capture.subscribe_recent(usize::MAX, usize::MAX);
        assert_eq!(older, 0);
        assert_eq!(all.try_batch(100).unwrap().records.len(), 50);
        // A page of the newest records: the first thing a page that opens gets.
        let (mut page, older) = capture.subscribe_recent(usize::MAX, 8);
        assert_eq!(older, 42);
        assert_eq!(page.try_batch(100).unwrap().records[0].seq, 43);
        let (mut none, older) = Arc::new(Capture::new(10, 16)).subscribe_recent(0, usize::MAX);
        assert_eq!(older, 0);
        assert!(none.try_batch(10).is_none());
    }

    fn seqs(records: &[CaptureRecord]) -> Vec<u64> {
        records.iter().map(|r| r.seq).collect()
    }

    #[test]
    fn pages_go_back_from_before_oldest_first_and_say_where_they_stopped() {
        let capture = Arc::new(Capture::new(100, 16));
        for i in 0..150 {
            capture.record(1, Hop::Kernel, closed(&format!("r{i}")));
        }
        // The ring keeps 51..=150.
        let newest = capture.page(None, 10, usize::MAX, |_| true);
        assert_eq!(seqs(&newest.records), (141..=150).collect::<Vec<_>>());
        assert_eq!((newest.scanned_from, newest.older), (141, 90));
        let next = capture.page(Some(newest.scanned_from), 10, usize::MAX, |_| true);
        assert_eq!(seqs(&next.records), (131..=140).collect::<Vec<_>>());
        // A filter: only seqs divisible by 7, and the scan runs on until the limit.
        let sevens = capture.page(Some(141), 3, usize::MAX, |r| r.seq % 7 == 0);
        assert_eq!(seqs(&sevens.records), vec![126, 133, 140]);
        assert_eq!((sevens.scanned_from, sevens.older), (126, 75));
        // The scan is bounded: 30 records looked at, none passed, and the reply says where
        // to go on from.
        let rare = capture.page(Some(141), 3, 30, |r| r.seq == 52);
        assert!(rare.records.is_empty());
        assert_eq!((rare.scanned_from, rare.older), (111, 60));
        let found = capture.page(Some(rare.scanned_from), 3, 100, |r| r.seq == 52);
        assert_eq!(seqs(&found.records), vec![52]);
        assert_eq!(
            (found.scanned_from, found.older),
            (51, 0),
            "the start of the capture"
        );
        // Before the oldest (evicted) or at the start: nothing, and nothing older.
        let gone = capture.page(Some(20), 10, usize::MAX, |_| true);
        assert_eq!((gone.records.len(), gone.older), (0, 0));
        let start = capture.page(Some(0), 10, usize::MAX, |_| true);
        assert_eq!(
            (start.records.len(), start.scanned_from, start.older),
            (0, 0, 0)
        );
        // More than a chunk at a time.
        let all = capture.page(Some(u64::MAX), 5000, usize::MAX, |_| true);
        assert_eq!(seqs(&all.records), (51..=150).collect::<Vec<_>>());
        let empty = Arc::new(Capture::new(10, 16)).page(None, 10, 10, |_| true);
        assert_eq!(
            (empty.records.len(), empty.scanned_from, empty.older),
            (0, 1, 0)
        );
    }

    #[test]
    fn a_page_scans_past_a_chunk_and_keeps_the_scan_bound() {
        let capture = Arc::new(Capture::new(5000, 16));
        for _ in 0..4000 {
            capture.record(1, Hop::Kernel, closed("x"));
        }
        let far = capture.page(None, 10, 2500, |r| r.seq < 100);
        assert!(far.records.is_empty());
        assert_eq!((far.scanned_from, far.older), (1501, 1500));
        let rest = capture.page(Some(far.scanned_from), 10, 2500, |r| r.seq < 100);
        assert_eq!(seqs(&rest.records), (90..100).collect::<Vec<_>>());
    }

    #[test]
    fn handshakes_lose_the_capture_secrets_and_the_connection_s() {
        let capture = Arc::new(Capture::new(10, 16).redacting("tok3n"));
        let recorder = open(&capture);
        let head = |line: &str| HttpHeadRecord {
            start_line: line.into(),
            headers: vec![("Authorization".into(), "Bearer s3cret".into())],
        };
        let mut own = Secrets::new();
        own.add("s3cret");
        recorder.record_handshake(
            HandshakeRecord {
                request: head("GET /echo?token=tok3n HTTP/1.1"),
                response: None,
                accept_ok: None,
                protocol: None,
                extensions: vec![],
                findings: vec![],
            },
            &own,
        );
        // A kernel URL that names the token, in the connection's open and closed records.
        let kernel = Recorder::open(
            &capture,
            Hop::Kernel,
            "wirebook".into(),
            "127.0.0.1:1".into(),
            "ws://127.0.0.1:1/tap/x?token=tok3n".into(),
        );
        kernel.finish("cannot connect to ws://127.0.0.1:1/tap/x?token=tok3n");
        drop(kernel);
        let text = serde_json::to_string(&capture.snapshot()).unwrap();
        assert!(
            !text.contains("tok3n") && !text.contains("s3cret"),
            "{text}"
        );
        assert_eq!(text.matches("token=<redacted>").count(), 3, "{text}");
    }

    #[test]
    fn a_zero_limit_keeps_nothing_but_counts() {
        let capture = Capture::new(0, 16);
        capture.record(1, Hop::Kernel, closed(""));
        let batch = capture.since(0, 10);
        assert!(batch.records.is_empty());
        assert_eq!(batch.evicted, 1);
    }

    #[test]
    fn a_paused_capture_records_nothing_until_resumed() {
        let capture = Capture::new(10, 16);
        let mut paused = capture.watch_paused();
        assert!(capture.set_paused(true));
        assert!(!capture.set_paused(true), "no change, no news");
        assert!(paused.has_changed().unwrap());
        assert!(*paused.borrow_and_update());
        assert_eq!(capture.record(1, Hop::Kernel, closed("a")), None);
        assert!(capture.set_paused(false));
        assert_eq!(capture.record(1, Hop::Kernel, closed("b")), Some(1));
        assert_eq!(capture.snapshot().len(), 1);
    }

    #[test]
    fn a_disabled_capture_records_nothing() {
        let capture = Arc::new(Capture::disabled());
        assert!(!capture.enabled());
        let recorder = open(&capture);
        assert_eq!(recorder.record(closed("x")), None);
        drop(recorder);
        assert!(capture.snapshot().is_empty());
    }

    #[tokio::test]
    async fn a_feed_gets_the_backlog_then_live_records_and_learns_what_it_missed() {
        let capture = Arc::new(Capture::new(2, 16));
        let (mut feed, _) = capture.subscribe_recent(usize::MAX, usize::MAX);
        capture.record(1, Hop::Browser, closed(""));
        let batch = feed.next_batch(10).await;
        assert_eq!(batch.records.len(), 1);
        assert_eq!(batch.evicted, 0);
        for _ in 0..4 {
            capture.record(1, Hop::Browser, closed(""));
        }
        // seqs 2..=5 were recorded; the ring keeps 4 and 5.
        let batch = feed.next_batch(10).await;
        assert_eq!(batch.evicted, 2);
        assert_eq!(
            batch.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![4, 5]
        );
        // Nothing new: the feed waits.
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), feed.next_batch(10)).await;
        assert!(waited.is_err());
        capture.record(1, Hop::Browser, closed(""));
        assert_eq!(feed.next_batch(10).await.records[0].seq, 6);
    }

    #[test]
    fn closed_is_recorded_once_when_the_last_handle_goes() {
        let capture = Arc::new(Capture::new(100, 16));
        let recorder = open(&capture);
        let tap_side = recorder.clone();
        tap_side.saw_close_code(4000);
        recorder.saw_close_code(1001);
        recorder.finish("closed by the browser");
        recorder.finish("again");
        tap_side.note("3 frames not recorded");
        drop(recorder);
        assert_eq!(capture.snapshot().len(), 1, "a handle is still alive");
        drop(tap_side);
        let records = capture.snapshot();
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[1].body,
            CaptureBody::Closed {
                code: Some(4000),
                reason: "closed by the browser; 3 frames not recorded".into()
            }
        );
        assert_eq!(records[0].conn, records[1].conn);
    }

    #[test]
    fn a_dropped_recorder_says_its_task_ended() {
        let capture = Arc::new(Capture::new(100, 16));
        drop(open(&capture));
        let records = capture.snapshot();
        assert!(matches!(
            &records[1].body,
            CaptureBody::Closed { code: None, reason } if reason == "connection task ended"
        ));
    }

    #[test]
    fn a_connection_opened_while_paused_records_no_lone_closed() {
        let capture = Arc::new(Capture::new(100, 16));
        capture.set_paused(true);
        let recorder = open(&capture);
        capture.set_paused(false);
        drop(recorder);
        assert!(capture.snapshot().is_empty());
    }
}
