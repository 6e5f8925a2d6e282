//! One connection's handle on the capture: its id and hop, the close code seen on it, and the
//! `Closed` record, written exactly once when the last handle goes (the byte tap holds one, so
//! `Closed` comes after everything the tap saw), with the reason the connection's task gave.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use wirebook_shared::{CaptureBody, ConnId, HandshakeRecord, Hop};

use crate::capture::entry::FrameEntry;
use crate::capture::redaction::Secrets;
use crate::capture::ring::Capture;

/// One connection's handle on the capture. Clones share the connection; the `Closed` record is
/// written when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Recorder {
    inner: Arc<RecorderInner>,
}

#[derive(Debug)]
struct RecorderInner {
    capture: Arc<Capture>,
    conn: ConnId,
    hop: Hop,
    /// The first close code sent or received, for the `Closed` record.
    close_code: AtomicU32,
    /// Set when the `Open` record was made (not while paused): `Closed` then follows.
    opened: AtomicBool,
    ending: Mutex<Ending>,
}

/// What the `Closed` record will say.
#[derive(Debug, Default)]
struct Ending {
    reason: Option<String>,
    notes: Vec<String>,
}

const NO_CODE: u32 = u32::MAX;

impl Recorder {
    /// Allocates a connection id and records that the connection is open.
    pub fn open(
        capture: &Arc<Capture>,
        hop: Hop,
        client: String,
        server: String,
        target: String,
    ) -> Self {
        let conn = capture.new_conn();
        let opened = capture
            .record(
                conn,
                hop,
                CaptureBody::Open {
                    client,
                    server,
                    target,
                },
            )
            .is_some();
        Recorder {
            inner: Arc::new(RecorderInner {
                capture: Arc::clone(capture),
                conn,
                hop,
                close_code: AtomicU32::new(NO_CODE),
                opened: AtomicBool::new(opened),
                ending: Mutex::new(Ending::default()),
            }),
        }
    }

    pub fn conn(&self) -> ConnId {
        self.inner.conn
    }

    pub fn hop(&self) -> Hop {
        self.inner.hop
    }

    pub fn capture(&self) -> &Arc<Capture> {
        &self.inner.capture
    }

    /// Records an event of this connection; `None` while the capture is paused.
    pub fn record(&self, body: CaptureBody) -> Option<u64> {
        self.recorded(
            self.inner
                .capture
                .record(self.inner.conn, self.inner.hop, body),
        )
    }

    /// Records this connection's handshake, redacting `secrets` besides the capture's own.
    pub fn record_handshake(&self, handshake: HandshakeRecord, secrets: &Secrets) -> Option<u64> {
        self.recorded(self.inner.capture.record_handshake(
            self.inner.conn,
            self.inner.hop,
            handshake,
            secrets,
        ))
    }

    /// Records a frame of this connection; `None` while the capture is paused.
    #[inline]
    pub fn record_frame(&self, frame: FrameEntry) -> Option<u64> {
        self.recorded(
            self.inner
                .capture
                .record_frame(self.inner.conn, self.inner.hop, frame),
        )
    }

    /// Prefetches what recording a frame reads of this connection (see
    /// [`crate::capture::prefetch`]).
    #[inline]
    pub(crate) fn prefetch(&self) {
        crate::capture::prefetch::for_read(&*self.inner);
    }

    fn recorded(&self, seq: Option<u64>) -> Option<u64> {
        // Loaded first: a store on every record would bounce the cache line between threads.
        if seq.is_some() && !self.inner.opened.load(Ordering::Relaxed) {
            self.inner.opened.store(true, Ordering::Relaxed);
        }
        seq
    }

    /// Notes a close code seen on the connection (the first one counts).
    pub fn saw_close_code(&self, code: u16) {
        let _ = self.inner.close_code.compare_exchange(
            NO_CODE,
            u32::from(code),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Says how the connection ended, in plain words (the first reason given counts). The
    /// `Closed` record is written once every handle is gone.
    pub fn finish(&self, reason: impl Into<String>) {
        let mut ending = self.inner.ending();
        if ending.reason.is_none() {
            ending.reason = Some(reason.into());
        }
    }

    /// Adds a remark to the `Closed` record (e.g. frames that were not recorded).
    pub fn note(&self, note: impl Into<String>) {
        self.inner.ending().notes.push(note.into());
    }
}

impl RecorderInner {
    fn ending(&self) -> MutexGuard<'_, Ending> {
        self.ending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for RecorderInner {
    fn drop(&mut self) {
        if !self.opened.load(Ordering::Relaxed) {
            // Nothing of this connection is on record: a lone `Closed` would explain nothing.
            return;
        }
        let ending = std::mem::take(&mut *self.ending());
        let mut reason = ending
            .reason
            .unwrap_or_else(|| "connection task ended".to_string());
        for note in ending.notes {
            reason.push_str("; ");
            reason.push_str(&note);
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
