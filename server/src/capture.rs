//! The capture: every message the server reads or writes on a `/session` socket or a kernel
//! connection, kept in a bounded ring of [`CaptureRecord`]s that browsers subscribe to.
//!
//! Records get a process-wide sequence number (`seq`, starting at 1) under the ring's lock, so
//! the ring is always ordered and contiguous. Subscribers do not get their own queue: a
//! [`Feed`] remembers the last `seq` it delivered and pulls newer records from the ring when a
//! `watch` channel says there are some. A slow subscriber therefore never holds memory of its
//! own; if the ring overtakes it, it learns how many records it missed (`evicted`).
//!
//! [`Recorder`] is the one way connections record: it knows its connection's id, hop and role,
//! turns tungstenite [`Message`]s into [`CaptureBody::Message`], and records `Closed` exactly
//! once (also when a connection task ends without saying how).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use wirebook_shared::capture::{binary_preview, text_preview};
use wirebook_shared::{CaptureBody, CaptureRecord, ConnId, Direction, Hop, Opcode};

/// The process-wide capture ring.
#[derive(Debug)]
pub struct Capture {
    ring: Mutex<Ring>,
    /// The newest `seq` recorded; subscribers wait on it.
    latest: watch::Sender<u64>,
    next_conn: AtomicU64,
    preview_bytes: usize,
}

#[derive(Debug)]
struct Ring {
    records: VecDeque<CaptureRecord>,
    limit: usize,
    next_seq: u64,
}

/// Records newer than a subscriber's cursor, and how many it can no longer get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub records: Vec<CaptureRecord>,
    pub evicted: u64,
}

impl Capture {
    /// A capture keeping at most `limit` records, with previews of at most `preview_bytes`.
    pub fn new(limit: usize, preview_bytes: usize) -> Self {
        Capture {
            ring: Mutex::new(Ring {
                records: VecDeque::with_capacity(limit.min(4096)),
                limit,
                next_seq: 1,
            }),
            latest: watch::Sender::new(0),
            next_conn: AtomicU64::new(1),
            preview_bytes,
        }
    }

    pub fn preview_bytes(&self) -> usize {
        self.preview_bytes
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

    /// Records one event and returns its `seq`.
    pub fn record(&self, conn: ConnId, hop: Hop, body: CaptureBody) -> u64 {
        let seq = {
            let mut ring = self.ring();
            let seq = ring.next_seq;
            ring.next_seq += 1;
            if ring.limit > 0 {
                if ring.records.len() == ring.limit {
                    ring.records.pop_front();
                }
                ring.records.push_back(CaptureRecord {
                    seq,
                    conn,
                    hop,
                    time_us: now_us(),
                    body,
                });
            }
            seq
        };
        self.latest.send_replace(seq);
        seq
    }

    /// Up to `max` records with `seq > after`, oldest first, and how many records after `after`
    /// were already evicted.
    pub fn since(&self, after: u64, max: usize) -> Batch {
        let ring = self.ring();
        let oldest = ring
            .records
            .front()
            .map_or(ring.next_seq, |record| record.seq);
        let first_wanted = after.saturating_add(1);
        let evicted = oldest.saturating_sub(first_wanted);
        let start = first_wanted.max(oldest);
        // The ring holds contiguous seqs from `oldest`, so the start is an index.
        let skip = usize::try_from(start - oldest).unwrap_or(usize::MAX);
        let records = ring.records.iter().skip(skip).take(max).cloned().collect();
        Batch { records, evicted }
    }

    /// A feed that starts with everything still in the ring.
    pub fn subscribe(self: &Arc<Self>) -> Feed {
        Feed {
            capture: Arc::clone(self),
            cursor: 0,
            latest: self.latest.subscribe(),
        }
    }
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

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Records the traffic of one connection. Clones share the connection.
#[derive(Debug, Clone)]
pub struct Recorder {
    inner: Arc<RecorderInner>,
}

#[derive(Debug)]
struct RecorderInner {
    capture: Arc<Capture>,
    conn: ConnId,
    hop: Hop,
    /// Our role on this connection: it decides which way "received" points.
    role: Role,
    /// The first close code sent or received, for the `Closed` record.
    close_code: AtomicU32,
    closed: AtomicBool,
}

const NO_CODE: u32 = u32::MAX;

impl Recorder {
    /// Allocates a connection id and records that the connection is open.
    pub fn open(
        capture: &Arc<Capture>,
        hop: Hop,
        role: Role,
        client: String,
        server: String,
        target: String,
    ) -> Self {
        let conn = capture.new_conn();
        capture.record(
            conn,
            hop,
            CaptureBody::Open {
                client,
                server,
                target,
            },
        );
        Recorder {
            inner: Arc::new(RecorderInner {
                capture: Arc::clone(capture),
                conn,
                hop,
                role,
                close_code: AtomicU32::new(NO_CODE),
                closed: AtomicBool::new(false),
            }),
        }
    }

    pub fn conn(&self) -> ConnId {
        self.inner.conn
    }

    /// Records a message we read from the peer.
    pub fn received(&self, message: &Message, caused_by: Option<u64>) -> u64 {
        let direction = match self.inner.role {
            Role::Server => Direction::ToServer,
            Role::Client => Direction::ToClient,
        };
        self.message(message, direction, caused_by)
    }

    /// Records a message we are about to write to the peer.
    pub fn sent(&self, message: &Message, caused_by: Option<u64>) -> u64 {
        let direction = match self.inner.role {
            Role::Server => Direction::ToClient,
            Role::Client => Direction::ToServer,
        };
        self.message(message, direction, caused_by)
    }

    fn message(&self, message: &Message, direction: Direction, caused_by: Option<u64>) -> u64 {
        if let Message::Close(Some(frame)) = message {
            let _ = self.inner.close_code.compare_exchange(
                NO_CODE,
                u32::from(u16::from(frame.code)),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        let body = message_body(
            message,
            direction,
            self.inner.capture.preview_bytes(),
            caused_by,
        );
        self.inner
            .capture
            .record(self.inner.conn, self.inner.hop, body)
    }

    /// Records the end of the connection (only the first call records), with the close code
    /// seen on it, if any.
    pub fn finish(&self, reason: impl Into<String>) {
        self.inner.finish(reason.into());
    }
}

impl RecorderInner {
    fn finish(&self, reason: String) {
        if self.closed.swap(true, Ordering::Relaxed) {
            return;
        }
        let code = self.close_code.load(Ordering::Relaxed);
        self.capture.record(
            self.conn,
            self.hop,
            CaptureBody::Closed {
                code: u16::try_from(code).ok(),
                reason,
            },
        );
    }
}

impl Drop for RecorderInner {
    fn drop(&mut self) {
        self.finish("connection task ended".to_string());
    }
}

/// The capture body of one message. Text is previewed as text, binary and ping/pong payloads as
/// hex, close frames as `code reason`.
pub fn message_body(
    message: &Message,
    direction: Direction,
    limit: usize,
    caused_by: Option<u64>,
) -> CaptureBody {
    let (opcode, len, (preview, truncated)) = match message {
        Message::Text(text) => (Opcode::Text, text.len(), text_preview(text, limit)),
        Message::Binary(bytes) => (Opcode::Binary, bytes.len(), binary_preview(bytes, limit)),
        Message::Ping(bytes) => (Opcode::Ping, bytes.len(), binary_preview(bytes, limit)),
        Message::Pong(bytes) => (Opcode::Pong, bytes.len(), binary_preview(bytes, limit)),
        Message::Close(None) => (Opcode::Close, 0, (String::new(), false)),
        Message::Close(Some(frame)) => (
            Opcode::Close,
            2 + frame.reason.len(),
            text_preview(&close_preview(frame), limit),
        ),
        Message::Frame(frame) => (
            Opcode::from_u8(u8::from(frame.header().opcode)),
            frame.payload().len(),
            binary_preview(frame.payload(), limit),
        ),
    };
    CaptureBody::Message {
        direction,
        opcode,
        len: len as u64,
        preview,
        truncated,
        caused_by,
    }
}

/// `1000 bye`, or just `1000` when there is no reason.
pub fn close_preview(frame: &CloseFrame) -> String {
    let code = u16::from(frame.code);
    if frame.reason.is_empty() {
        code.to_string()
    } else {
        format!("{code} {}", frame.reason.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

    fn open(capture: &Arc<Capture>) -> Recorder {
        Recorder::open(
            capture,
            Hop::Browser,
            Role::Server,
            "127.0.0.1:1".into(),
            "wirebook".into(),
            "/session".into(),
        )
    }

    #[test]
    fn records_are_numbered_and_the_ring_is_bounded() {
        let capture = Capture::new(3, 16);
        for i in 0..5 {
            let seq = capture.record(
                1,
                Hop::Kernel,
                CaptureBody::Closed {
                    code: None,
                    reason: i.to_string(),
                },
            );
            assert_eq!(seq, i + 1);
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
    }

    #[test]
    fn a_zero_limit_keeps_nothing_but_counts() {
        let capture = Capture::new(0, 16);
        capture.record(
            1,
            Hop::Kernel,
            CaptureBody::Closed {
                code: None,
                reason: String::new(),
            },
        );
        let batch = capture.since(0, 10);
        assert!(batch.records.is_empty());
        assert_eq!(batch.evicted, 1);
    }

    #[tokio::test]
    async fn a_feed_gets_the_backlog_then_live_records_and_learns_what_it_missed() {
        let capture = Arc::new(Capture::new(2, 16));
        let mut feed = capture.subscribe();
        let closed = || CaptureBody::Closed {
            code: None,
            reason: String::new(),
        };
        capture.record(1, Hop::Browser, closed());
        let batch = feed.next_batch(10).await;
        assert_eq!(batch.records.len(), 1);
        assert_eq!(batch.evicted, 0);
        for _ in 0..4 {
            capture.record(1, Hop::Browser, closed());
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
        capture.record(1, Hop::Browser, closed());
        assert_eq!(feed.next_batch(10).await.records[0].seq, 6);
    }

    #[test]
    fn directions_follow_the_role() {
        let capture = Arc::new(Capture::new(100, 16));
        let server = open(&capture);
        let client = Recorder::open(
            &capture,
            Hop::Kernel,
            Role::Client,
            "wirebook".into(),
            "127.0.0.1:2".into(),
            "ws://127.0.0.1:2/echo".into(),
        );
        assert_ne!(server.conn(), client.conn());
        let msg = Message::text("hai");
        let a = server.received(&msg, None);
        let b = client.sent(&msg, Some(a));
        let c = client.received(&msg, None);
        server.sent(&msg, Some(c));
        let records = capture.since(0, 100).records;
        let directions: Vec<(Hop, Direction, Option<u64>)> = records
            .iter()
            .filter_map(|r| match &r.body {
                CaptureBody::Message {
                    direction,
                    caused_by,
                    ..
                } => Some((r.hop, *direction, *caused_by)),
                _ => None,
            })
            .collect();
        assert_eq!(
            directions,
            vec![
                (Hop::Browser, Direction::ToServer, None),
                (Hop::Kernel, Direction::ToServer, Some(a)),
                (Hop::Kernel, Direction::ToClient, None),
                (Hop::Browser, Direction::ToClient, Some(c)),
            ]
        );
        assert!(b > a && c > b);
    }

    #[test]
    fn closed_is_recorded_once_with_the_first_close_code() {
        let capture = Arc::new(Capture::new(100, 16));
        let recorder = open(&capture);
        recorder.received(
            &Message::Close(Some(CloseFrame {
                code: CloseCode::Library(4000),
                reason: "bye".into(),
            })),
            None,
        );
        recorder.sent(
            &Message::Close(Some(CloseFrame {
                code: CloseCode::Away,
                reason: "".into(),
            })),
            None,
        );
        recorder.finish("closed by the browser");
        recorder.finish("again");
        drop(recorder);
        let closed: Vec<CaptureBody> = capture
            .since(0, 100)
            .records
            .into_iter()
            .map(|r| r.body)
            .filter(|b| matches!(b, CaptureBody::Closed { .. }))
            .collect();
        assert_eq!(
            closed,
            vec![CaptureBody::Closed {
                code: Some(4000),
                reason: "closed by the browser".into()
            }]
        );
    }

    #[test]
    fn a_dropped_recorder_records_closed() {
        let capture = Arc::new(Capture::new(100, 16));
        let recorder = open(&capture);
        let clone = recorder.clone();
        drop(recorder);
        assert_eq!(capture.since(0, 100).records.len(), 1);
        drop(clone);
        let records = capture.since(0, 100).records;
        assert!(matches!(
            &records[1].body,
            CaptureBody::Closed { code: None, reason } if reason == "connection task ended"
        ));
    }

    #[test]
    fn message_bodies() {
        let body = message_body(&Message::text("héllo"), Direction::ToServer, 2, Some(9));
        assert_eq!(
            body,
            CaptureBody::Message {
                direction: Direction::ToServer,
                opcode: Opcode::Text,
                len: 6,
                preview: "h".into(),
                truncated: true,
                caused_by: Some(9),
            }
        );
        let body = message_body(
            &Message::Binary(vec![0xde, 0xad].into()),
            Direction::ToClient,
            16,
            None,
        );
        assert!(
            matches!(body, CaptureBody::Message { opcode: Opcode::Binary, len: 2, ref preview, truncated: false, .. } if preview == "dead")
        );
        let body = message_body(
            &Message::Ping(vec![1].into()),
            Direction::ToClient,
            16,
            None,
        );
        assert!(
            matches!(body, CaptureBody::Message { opcode: Opcode::Ping, ref preview, .. } if preview == "01")
        );
        let close = Message::Close(Some(CloseFrame {
            code: CloseCode::Library(4001),
            reason: "done".into(),
        }));
        let body = message_body(&close, Direction::ToClient, 16, None);
        assert!(
            matches!(body, CaptureBody::Message { opcode: Opcode::Close, len: 6, ref preview, .. } if preview == "4001 done")
        );
        let body = message_body(&Message::Close(None), Direction::ToClient, 16, None);
        assert!(
            matches!(body, CaptureBody::Message { opcode: Opcode::Close, len: 0, ref preview, .. } if preview.is_empty())
        );
    }
}
