//! The live capture as every browser session receives it, serialised once for all of them.
//!
//! One publisher task reads new records from the ring a tick at a time ([`TICK`]) and turns
//! them into ready-to-send `ServerMsg::Capture` text ([`Published`]: at most
//! [`BATCH_RECORDS`] records and about [`BATCH_BYTES`] bytes each). Every session's
//! [`Viewer`] sends those same bytes (a reference-counted buffer: no copy, no serialising per
//! session), so the capture's cost grows with the records plus the bytes each socket writes,
//! not with sessions × records serialised.
//!
//! Each viewer sends at most its share of the bytes a second all viewers may send together
//! ([`VIEWER_RATE`], [`TOTAL_RATE`]): the bytes written grow with the records, not with
//! sessions × records, and a burst of records never floods every socket at once. The
//! publisher keeps only a short window of batches ([`WINDOW_BATCHES`], [`WINDOW_BYTES`]). A
//! viewer that falls out of it, or has more waiting than it may send in [`BEHIND`], skips to
//! the newest batch and is told how many records it skipped (`skipped`; the ring may still
//! have them): it holds no memory of its own and slows neither the publisher, nor the other
//! viewers, nor any kernel.
//!
//! A new session's backlog is the session's own ([`Feed`]): its viewer reads the ring itself
//! until it has the records it subscribed to, and then the few between them and the next
//! published batch, and only then takes the shared batches.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use wirebook_shared::CaptureRecord;

use crate::capture::ring::{Batch, Capture, Feed};
use crate::shutdown::Shutdown;

/// How long the publisher lets records gather after the first new one: one batch for what a
/// cell's round trip records, not one per record.
pub const TICK: Duration = Duration::from_millis(25);

/// Records per published batch, and per batch a viewer reads from the ring itself.
pub const BATCH_RECORDS: usize = 256;

/// A batch is cut after the record that takes it past this many bytes of JSON (about 30
/// frame records): a session's own messages never wait long behind a capture batch on its
/// socket, and a viewer with a small share of [`TOTAL_RATE`] still gets batches often.
pub const BATCH_BYTES: usize = 16 * 1024;

/// What one viewer may send of the shared batches, in bytes a second (about 5000 frame
/// records)...
pub const VIEWER_RATE: f64 = 2.5 * 1024.0 * 1024.0;

/// ...and what all viewers together may send: with many, each gets its share. The capture
/// feed's cost is then bounded whatever the number of sessions (see docs/benchmarks.md).
pub const TOTAL_RATE: f64 = 32.0 * 1024.0 * 1024.0;

/// A viewer saves up its allowance for this long at most: together, the viewers send at most
/// this long's worth of [`TOTAL_RATE`] at once.
pub const BURST: Duration = Duration::from_millis(50);

/// A viewer with more waiting after the batch it would send next than it may send in this
/// long has fallen behind: it skips to the newest batch.
pub const BEHIND: Duration = Duration::from_secs(1);

/// Batches the window keeps, at most...
pub const WINDOW_BATCHES: usize = 1024;

/// ...and the bytes of their text, at most (the newest batch is always kept).
pub const WINDOW_BYTES: usize = 4 * 1024 * 1024;

/// A batch of records as every session sends it.
#[derive(Debug)]
pub struct Published {
    /// The `seq` a viewer must have reached for this batch to follow on.
    pub after: u64,
    /// The last `seq` this batch accounts for (its newest record, or evicted ones).
    pub through: u64,
    /// Records in it.
    pub records: usize,
    /// The `ServerMsg::Capture` message.
    pub text: Utf8Bytes,
}

/// The published batches still kept, oldest first, each following on from the one before.
#[derive(Debug, Default)]
struct Window {
    batches: VecDeque<Arc<Published>>,
    bytes: usize,
}

/// Where a viewer at some `seq` stands against the window.
#[derive(Debug, Clone)]
enum Place {
    /// Nothing published after it yet.
    Waiting,
    /// The batch that follows on from it.
    Next(Arc<Published>),
    /// Inside a batch (the viewer read the ring itself past the batch's start): the records
    /// up to `through` are the viewer's to read.
    Within { through: u64 },
    /// Behind: older than the window, or with more than it may have waiting after the batch
    /// that follows on. The newest batch.
    Behind(Arc<Published>),
}

impl Window {
    fn push(&mut self, batch: Published) {
        self.bytes += batch.text.len();
        self.batches.push_back(Arc::new(batch));
        while self.batches.len() > WINDOW_BATCHES
            || (self.bytes > WINDOW_BYTES && self.batches.len() > 1)
        {
            if let Some(oldest) = self.batches.pop_front() {
                self.bytes -= oldest.text.len();
            }
        }
    }

    /// Where a viewer that has everything up to `seq` stands, if it may have at most `most`
    /// bytes waiting after the batch it sends next.
    fn place(&self, seq: u64, most: usize) -> Place {
        let (Some(oldest), Some(newest)) = (self.batches.front(), self.batches.back()) else {
            return Place::Waiting;
        };
        if seq >= newest.through {
            return Place::Waiting;
        }
        if seq < oldest.after {
            return Place::Behind(Arc::clone(newest));
        }
        // The batches are contiguous: the one that holds `seq + 1`.
        let at = self.batches.partition_point(|b| b.through <= seq);
        match self.batches.get(at) {
            Some(batch) if batch.after == seq => {
                let waiting: usize = self.batches.range(at + 1..).map(|b| b.text.len()).sum();
                if waiting > most {
                    Place::Behind(Arc::clone(newest))
                } else {
                    Place::Next(Arc::clone(batch))
                }
            }
            Some(batch) => Place::Within {
                through: batch.through,
            },
            None => Place::Waiting,
        }
    }
}

/// The publisher and its window, shared by every session of the server.
#[derive(Debug)]
pub struct Fanout {
    capture: Arc<Capture>,
    window: Mutex<Window>,
    /// The `through` of the newest batch; viewers wait on it.
    published: watch::Sender<u64>,
    started: OnceLock<()>,
    shutdown: Shutdown,
    /// Viewers alive: they share [`TOTAL_RATE`].
    viewers: AtomicUsize,
}

impl Fanout {
    /// The fanout of `capture`; its publisher starts with the first viewer and ends on
    /// `shutdown`.
    pub fn new(capture: Arc<Capture>, shutdown: Shutdown) -> Self {
        Fanout {
            capture,
            window: Mutex::default(),
            published: watch::Sender::new(0),
            started: OnceLock::new(),
            shutdown,
            viewers: AtomicUsize::new(0),
        }
    }

    /// A viewer that first reads `feed`'s backlog from the ring (the records up to the newest
    /// when it is made), then the shared batches. Must run inside the tokio runtime.
    pub fn viewer(self: &Arc<Self>, feed: Feed) -> Viewer {
        self.start();
        self.viewers.fetch_add(1, Ordering::Relaxed);
        let rate = self.viewer_rate();
        Viewer {
            fanout: Arc::clone(self),
            backlog_through: self.capture.stats().latest_seq,
            feed,
            published: self.published.subscribe(),
            allowance: rate * BURST.as_secs_f64(),
            earned_at: Instant::now(),
        }
    }

    fn start(self: &Arc<Self>) {
        if !self.capture.enabled() {
            return;
        }
        self.started.get_or_init(|| {
            // The publisher starts at the newest record: what came before is each session's
            // backlog.
            let (feed, _) = self.capture.subscribe_recent(0, 0);
            let shutdown = self.shutdown.clone();
            tokio::spawn(publish(Arc::downgrade(self), feed, shutdown));
        });
    }

    /// A viewer's allowance in bytes a second, now.
    fn viewer_rate(&self) -> f64 {
        let viewers = self.viewers.load(Ordering::Relaxed).max(1);
        VIEWER_RATE.min(TOTAL_RATE / viewers as f64)
    }

    fn window(&self) -> MutexGuard<'_, Window> {
        // Each operation leaves the window consistent, so a poisoned lock is still usable.
        self.window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Serialises a batch read from the ring, in pieces of at most [`BATCH_BYTES`] (or one
    /// record), and publishes each. `after` is the `seq` the batch follows on from.
    fn publish_batch(&self, after: u64, batch: Batch) {
        for piece in pieces(after, batch) {
            let through = piece.through;
            self.window().push(piece);
            self.published.send_replace(through);
        }
    }
}

/// The publisher: waits for a new record, lets a tick's records gather, publishes them.
async fn publish(fanout: Weak<Fanout>, mut feed: Feed, shutdown: Shutdown) {
    loop {
        tokio::select! {
            () = feed.wait_new() => {}
            () = shutdown.triggered() => return,
        }
        tokio::time::sleep(TICK).await;
        let Some(fanout) = fanout.upgrade() else {
            return;
        };
        loop {
            let after = feed.position();
            let Some(batch) = feed.try_batch(BATCH_RECORDS) else {
                break;
            };
            fanout.publish_batch(after, batch);
        }
    }
}

/// A batch read from the ring, cut where its JSON passes [`BATCH_BYTES`] and serialised.
fn pieces(after: u64, batch: Batch) -> Vec<Published> {
    let mut pieces = Vec::new();
    let mut evicted = batch.evicted;
    let mut after = after;
    let mut records = batch.records.into_iter().peekable();
    loop {
        let mut text = String::from(r#"{"type":"capture","records":["#);
        let mut count = 0;
        let mut through = after.saturating_add(evicted);
        while let Some(record) = records.next_if(|_| count == 0 || text.len() < BATCH_BYTES) {
            if count > 0 {
                text.push(',');
            }
            append_json(&mut text, &record);
            through = record.seq;
            count += 1;
        }
        // `ServerMsg::Capture` with `older` and `skipped` zero, as serde writes it (a test
        // holds the two together).
        let _ = write!(text, r#"],"evicted":{evicted}}}"#);
        pieces.push(Published {
            after,
            through,
            records: count,
            text: Utf8Bytes::from(text),
        });
        after = through;
        evicted = 0;
        if records.peek().is_none() {
            return pieces;
        }
    }
}

fn append_json(text: &mut String, record: &CaptureRecord) {
    // A record is plain data (no maps with non-string keys, no fallible serializers).
    let json = serde_json::to_string(record).expect("a capture record serialises");
    text.push_str(&json);
}

/// One session's place in the live capture.
#[derive(Debug)]
pub struct Viewer {
    fanout: Arc<Fanout>,
    /// The session's own reader of the ring: its backlog, and where it stands.
    feed: Feed,
    /// Up to this `seq` the session reads the ring itself rather than skip.
    backlog_through: u64,
    published: watch::Receiver<u64>,
    /// Bytes of shared batches the viewer may send now (below zero: it waits), earned at
    /// the viewer's rate (see [`Fanout::viewer_rate`]) for at most [`BURST`].
    allowance: f64,
    earned_at: Instant,
}

/// What a viewer sends next.
#[derive(Debug)]
pub enum Delivery {
    /// A batch every session sends as it is.
    Shared(Arc<Published>),
    /// Records the session read from the ring itself (its backlog).
    Own(Batch),
    /// The viewer fell behind: `skipped` records the ring may still have and `evicted` ones
    /// it no longer has were left out, then comes the newest batch.
    Skipped {
        skipped: u64,
        evicted: u64,
        then: Arc<Published>,
    },
}

impl Viewer {
    /// Waits for what the session sends next. Cancel-safe: the viewer moves on only when it
    /// returns.
    pub async fn next(&mut self) -> Delivery {
        loop {
            self.published.borrow_and_update();
            let seq = self.feed.position();
            let behind = self.fanout.viewer_rate() * BEHIND.as_secs_f64();
            let place = self.fanout.window().place(seq, behind as usize);
            match place {
                Place::Within { through } => {
                    let max = usize::try_from(through - seq)
                        .map_or(BATCH_RECORDS, |n| n.min(BATCH_RECORDS));
                    if let Some(batch) = self.feed.try_batch(max) {
                        return Delivery::Own(batch);
                    }
                }
                Place::Behind(_) if seq < self.backlog_through => {
                    if let Some(batch) = self.feed.try_batch(BATCH_RECORDS) {
                        return Delivery::Own(batch);
                    }
                }
                Place::Next(batch) => {
                    if let Some(wait) = self.spend(batch.text.len()) {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    self.feed.skip_to(batch.through);
                    return Delivery::Shared(batch);
                }
                Place::Behind(newest) => {
                    if let Some(wait) = self.spend(newest.text.len()) {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let gap = newest.after.saturating_sub(seq);
                    // Of the records left out, those older than the ring's oldest are gone.
                    let oldest = self.fanout.capture.stats().oldest_seq;
                    let evicted = oldest.saturating_sub(seq + 1).min(gap);
                    self.feed.skip_to(newest.through);
                    return Delivery::Skipped {
                        skipped: gap - evicted,
                        evicted,
                        then: newest,
                    };
                }
                Place::Waiting => {}
            }
            if self.published.changed().await.is_err() {
                // The sender lives in the fanout, which this viewer keeps alive.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Takes `bytes` from the allowance; or, while it is below zero, how long until it is not
    /// (nothing taken).
    fn spend(&mut self, bytes: usize) -> Option<Duration> {
        let now = Instant::now();
        let per_second = self.fanout.viewer_rate();
        let earned = now.duration_since(self.earned_at).as_secs_f64() * per_second;
        self.allowance = (self.allowance + earned).min(per_second * BURST.as_secs_f64());
        self.earned_at = now;
        if self.allowance < 0.0 {
            return Some(Duration::from_secs_f64(-self.allowance / per_second));
        }
        self.allowance -= bytes as f64;
        None
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.fanout.viewers.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::{CaptureBody, Hop, ServerMsg};

    fn closed(reason: &str) -> CaptureBody {
        CaptureBody::Closed {
            code: None,
            reason: reason.into(),
        }
    }

    fn published(after: u64, through: u64) -> Published {
        Published {
            after,
            through,
            records: (through - after) as usize,
            text: Utf8Bytes::from(format!("{after}..{through}")),
        }
    }

    #[test]
    fn published_text_is_what_serde_writes_for_the_message() {
        let capture = Capture::new(1000, 16);
        for i in 0..3 {
            capture.record(1, Hop::Kernel, closed(&format!("r{i} \"quoted\"")));
        }
        let batch = capture.since(0, 100);
        let pieces = pieces(
            0,
            Batch {
                evicted: 4,
                ..batch.clone()
            },
        );
        assert_eq!(pieces.len(), 1);
        let expected = ServerMsg::Capture {
            records: batch.records,
            evicted: 4,
            older: 0,
            skipped: 0,
        };
        assert_eq!(pieces[0].text.as_str(), expected.to_json());
        assert_eq!(
            (pieces[0].after, pieces[0].through, pieces[0].records),
            (0, 3, 3)
        );
        // An empty batch that only says what was evicted.
        let empty = pieces_of_nothing(7, 5);
        assert_eq!(
            empty.text.as_str(),
            r#"{"type":"capture","records":[],"evicted":5}"#
        );
        assert_eq!((empty.after, empty.through), (7, 12));
    }

    fn pieces_of_nothing(after: u64, evicted: u64) -> Published {
        let mut all = pieces(
            after,
            Batch {
                records: Vec::new(),
                evicted,
            },
        );
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    #[test]
    fn a_large_batch_is_cut_into_pieces_that_follow_on() {
        let capture = Capture::new(1000, 16);
        let big = "x".repeat(BATCH_BYTES / 3);
        for _ in 0..7 {
            capture.record(1, Hop::Kernel, closed(&big));
        }
        let pieces = pieces(
            0,
            Batch {
                evicted: 2,
                ..capture.since(0, 100)
            },
        );
        assert!(pieces.len() >= 2, "{} pieces", pieces.len());
        assert_eq!(pieces.iter().map(|p| p.records).sum::<usize>(), 7);
        assert_eq!(pieces[0].after, 0);
        for pair in pieces.windows(2) {
            assert_eq!(pair[0].through, pair[1].after);
        }
        assert_eq!(pieces.last().unwrap().through, 7);
        for piece in &pieces {
            let msg: ServerMsg = serde_json::from_str(piece.text.as_str()).unwrap();
            let ServerMsg::Capture { records, .. } = msg else {
                panic!("not a capture message")
            };
            assert_eq!(records.len(), piece.records);
            assert!(piece.text.len() < BATCH_BYTES + big.len() + 200);
        }
    }

    fn fanout_of(capture: &Arc<Capture>) -> Arc<Fanout> {
        Arc::new(Fanout::new(Arc::clone(capture), Shutdown::new()))
    }

    fn viewer_of(fanout: &Arc<Fanout>, capture: &Arc<Capture>) -> Viewer {
        fanout.viewer(capture.subscribe_recent(0, 0).0)
    }

    async fn next_within(viewer: &mut Viewer) -> Delivery {
        tokio::time::timeout(Duration::from_secs(5), viewer.next())
            .await
            .expect("a delivery")
    }

    #[tokio::test]
    async fn every_viewer_sends_the_same_published_bytes() {
        let capture = Arc::new(Capture::new(1000, 16));
        let fanout = fanout_of(&capture);
        let mut first = viewer_of(&fanout, &capture);
        let mut second = viewer_of(&fanout, &capture);
        for i in 0..3 {
            capture.record(1, Hop::Kernel, closed(&i.to_string()));
        }
        let (Delivery::Shared(a), Delivery::Shared(b)) = (
            next_within(&mut first).await,
            next_within(&mut second).await,
        ) else {
            panic!("both viewers get the shared batch");
        };
        assert!(Arc::ptr_eq(&a, &b), "one batch, serialised once");
        assert_eq!((a.after, a.through, a.records), (0, 3, 3));
        let ServerMsg::Capture { records, .. } = serde_json::from_str(a.text.as_str()).unwrap()
        else {
            panic!("a capture message");
        };
        assert_eq!(records.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
        // Nothing new: both wait; each gets the next batch once.
        capture.record(1, Hop::Kernel, closed("3"));
        for viewer in [&mut first, &mut second] {
            let Delivery::Shared(next) = next_within(viewer).await else {
                panic!("the next shared batch");
            };
            assert_eq!((next.after, next.through), (3, 4));
            let waited = tokio::time::timeout(TICK * 4, viewer.next()).await;
            assert!(waited.is_err(), "nothing more to send");
        }
    }

    #[tokio::test]
    async fn a_viewer_that_falls_behind_skips_to_the_newest_and_memory_stays_bounded() {
        let capture = Arc::new(Capture::new(1_000_000, 16));
        let fanout = fanout_of(&capture);
        let mut reading = viewer_of(&fanout, &capture);
        let mut stalled = viewer_of(&fanout, &capture);
        let reason = "r".repeat(200);
        // Far more than the window keeps (each record's JSON is longer than its reason), a
        // tick's worth at a time.
        let mut published = 0;
        while published < 3 * WINDOW_BYTES {
            for _ in 0..4000 {
                capture.record(1, Hop::Kernel, closed(&reason));
            }
            tokio::time::sleep(TICK * 2).await;
            let window = fanout.window();
            assert!(window.bytes <= WINDOW_BYTES && window.batches.len() <= WINDOW_BATCHES);
            published = window.batches.back().map_or(0, |b| b.through as usize) * reason.len();
        }
        let latest = capture.stats().latest_seq;
        // However slow the machine, the publisher gets there.
        tokio::time::timeout(Duration::from_secs(10), async {
            while fanout.window().batches.back().map(|b| b.through) != Some(latest) {
                tokio::time::sleep(TICK).await;
            }
        })
        .await
        .expect("the publisher publishes everything");
        // The viewer that did not read gets what it missed, then the newest batch.
        let Delivery::Skipped {
            skipped,
            evicted,
            then,
        } = next_within(&mut stalled).await
        else {
            panic!("a viewer this far behind skips");
        };
        assert_eq!(then.through, latest);
        assert_eq!(evicted, 0, "the ring still has them");
        assert_eq!(skipped, then.after);
        // A viewer that reads at its own pace gets shared batches, in order, never repeated:
        // while it keeps up, batches that follow on; once too far behind, the newest.
        let mut seen = 0;
        let mut skips = 0;
        while seen < latest {
            match next_within(&mut reading).await {
                Delivery::Shared(batch) => {
                    assert_eq!(batch.after, seen);
                    seen = batch.through;
                }
                Delivery::Skipped { skipped, then, .. } => {
                    assert_eq!(seen + skipped, then.after);
                    seen = then.through;
                    skips += 1;
                }
                Delivery::Own(_) => panic!("no backlog here"),
            }
        }
        assert!(skips >= 1);
        assert_eq!(seen, latest);
    }

    #[test]
    fn the_window_places_a_viewer_and_stays_bounded() {
        let mut window = Window::default();
        assert!(matches!(window.place(0, usize::MAX), Place::Waiting));
        window.push(published(10, 20));
        window.push(published(20, 25));
        assert!(matches!(window.place(10, usize::MAX), Place::Next(b) if b.through == 20));
        assert!(matches!(window.place(20, usize::MAX), Place::Next(b) if b.through == 25));
        assert!(matches!(
            window.place(15, usize::MAX),
            Place::Within { through: 20 }
        ));
        assert!(matches!(window.place(25, usize::MAX), Place::Waiting));
        assert!(matches!(window.place(30, usize::MAX), Place::Waiting));
        assert!(matches!(window.place(3, usize::MAX), Place::Behind(b) if b.through == 25));
        // With more than it may have waiting after the next batch, the viewer is behind.
        let after = window.batches[1].text.len();
        assert!(matches!(window.place(10, after), Place::Next(_)));
        assert!(matches!(window.place(10, after - 1), Place::Behind(b) if b.through == 25));
        for i in 0..(WINDOW_BATCHES as u64 * 2) {
            window.push(published(25 + i, 26 + i));
        }
        assert_eq!(window.batches.len(), WINDOW_BATCHES);
        assert!(matches!(window.place(20, usize::MAX), Place::Behind(_)));
        // Bounded in bytes too, but never empty.
        let mut window = Window::default();
        let huge = |after: u64| Published {
            text: Utf8Bytes::from("x".repeat(WINDOW_BYTES)),
            ..published(after, after + 1)
        };
        window.push(huge(0));
        window.push(huge(1));
        assert_eq!(window.batches.len(), 1);
        assert!(matches!(window.place(1, usize::MAX), Place::Next(_)));
    }
}
