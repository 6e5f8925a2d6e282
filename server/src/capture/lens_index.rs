//! Each record's lens facts (its protocol, the fields its lens names, its latency), for the
//! page queries and exports whose filter names them (`socketio.event == "chat"`, `mqtt`,
//! `latency > 100000`).
//!
//! A lens reads a connection in order (its subprotocol from the handshake, its requests before
//! their responses), so a record alone cannot say its facts: the index feeds the ring's records
//! to a [`Dissector`] oldest first and keeps what it read per `seq`. It is built only when a
//! filter first asks, and brought up to the newest record whenever one asks about a record it
//! has not read; recording never waits for it (it copies records out of the ring a chunk at a
//! time, as a page query does).
//!
//! Bounded as the ring is: facts are kept for records still in the ring and dropped as it
//! evicts them, each a handful of names and values read from the record's own preview. A
//! record evicted before the index read it is never read; a response whose request went that
//! way has no latency, as in the browser.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use wirebook_shared::lens::dissector::{Dissector, LensFacts};
use wirebook_shared::CaptureRecord;

/// Records read from the ring per lock.
const CHUNK: usize = 1024;

/// What the index reads: the capture ring, which holds one.
pub trait Source {
    /// Up to `max` records after seq `after`, oldest first, and how many records past
    /// `after` the source has already let go.
    fn records_after(&self, after: u64, max: usize) -> (Vec<CaptureRecord>, u64);
    /// The oldest and the newest seq held.
    fn held(&self) -> (u64, u64);
}

/// The lens facts of the ring's records (see the module doc).
#[derive(Debug, Default)]
pub struct LensIndex {
    inner: Mutex<Indexed>,
}

#[derive(Debug, Default)]
struct Indexed {
    dissector: Dissector,
    /// The seq of `facts[0]`.
    first_seq: u64,
    /// One slot per record read, from `first_seq` on: `None` where no lens read it.
    facts: VecDeque<Option<LensFacts>>,
}

impl Indexed {
    /// The first seq not read yet.
    fn next_seq(&self) -> u64 {
        self.first_seq + self.facts.len() as u64
    }

    fn get(&self, seq: u64) -> Option<&LensFacts> {
        let index = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.facts.get(index)?.as_ref()
    }

    /// Reads every record the ring holds past the last one read, and lets go of the facts of
    /// records it no longer holds.
    fn catch_up(&mut self, source: &impl Source) {
        // Up to the newest record now: a busy capture does not keep the reader going.
        let (_, newest) = source.held();
        while self.next_seq() <= newest {
            let (records, evicted) = source.records_after(self.next_seq().saturating_sub(1), CHUNK);
            if evicted > 0 || self.facts.is_empty() {
                // The ring let records go unread (or nothing was read yet): from its oldest.
                self.facts.clear();
                self.first_seq = records.first().map_or(self.next_seq() + evicted, |r| r.seq);
            }
            if records.is_empty() {
                break;
            }
            for record in &records {
                let facts = self.dissector.feed(record).map(|d| d.facts());
                self.facts.push_back(facts);
            }
        }
        let (oldest, _) = source.held();
        while self.first_seq < oldest && self.facts.pop_front().is_some() {
            self.first_seq += 1;
        }
    }
}

impl LensIndex {
    fn lock(&self) -> MutexGuard<'_, Indexed> {
        // Each step leaves the index whole (a push or a pop), so a poisoned lock is usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Calls `read` with the lens facts of record `seq` (`None`: no lens read it, or the ring
    /// no longer holds it), reading the ring up to its newest record first when `seq` is past
    /// the last one read.
    pub fn with_facts<R>(
        &self,
        source: &impl Source,
        seq: u64,
        read: impl FnOnce(Option<&LensFacts>) -> R,
    ) -> R {
        let mut indexed = self.lock();
        if seq >= indexed.next_seq() {
            indexed.catch_up(source);
        }
        read(indexed.get(seq))
    }

    /// How many records' slots the index holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().facts.len()
    }
}

#[cfg(test)]
mod tests {
    use wirebook_shared::lens::{FieldValue, Lens};
    use wirebook_shared::{CaptureBody, Direction, FrameRecord, Hop};

    use crate::capture::ring::Capture;

    fn message(capture: &Capture, conn: u64, direction: Direction, text: &str) -> u64 {
        let frame = FrameRecord::text_message(direction, text);
        capture
            .record(conn, Hop::Endpoint, CaptureBody::Frame(Box::new(frame)))
            .unwrap()
    }

    fn call(id: u64) -> String {
        format!(r#"{{"jsonrpc":"2.0","method":"add","params":[1,{id}],"id":{id}}}"#)
    }

    fn result(id: u64) -> String {
        format!(r#"{{"jsonrpc":"2.0","result":{},"id":{id}}}"#, id + 1)
    }

    #[test]
    fn facts_are_read_in_order_when_first_asked_and_follow_the_ring() {
        let capture = Capture::new(10, 256);
        let request = message(&capture, 1, Direction::ToServer, &call(1));
        let plain = message(&capture, 2, Direction::ToServer, "hello");
        let response = message(&capture, 1, Direction::ToClient, &result(1));
        assert_eq!(
            capture.lenses.len(),
            0,
            "nothing is read before a filter asks"
        );
        let method = capture.lens_facts(request, |f| f.unwrap().fields[1].value.clone());
        assert_eq!(method, FieldValue::Text("add".into()));
        assert_eq!(capture.lenses.len(), 3);
        assert!(capture.lens_facts(plain, |f| f.is_none()));
        let (lens, latency) = capture.lens_facts(response, |f| {
            let f = f.unwrap();
            (f.lens, f.latency_us)
        });
        assert_eq!(lens, Lens::JsonRpc);
        assert!(latency.is_some());
        // Newer records are read when asked about; the ring's bound is the index's.
        let mut last = 0;
        for id in 2..30 {
            message(&capture, 1, Direction::ToServer, &call(id));
            last = message(&capture, 1, Direction::ToClient, &result(id));
            if id % 7 == 0 {
                assert!(capture.lens_facts(last, |f| f.unwrap().latency_us.is_some()));
            }
        }
        assert!(capture.lens_facts(last, |f| f.is_some()));
        assert_eq!(capture.lenses.len(), 10);
        assert!(capture.lens_facts(request, |f| f.is_none()), "evicted");
    }

    #[test]
    fn records_evicted_unread_are_skipped() {
        let capture = Capture::new(4, 256);
        let first = message(&capture, 1, Direction::ToServer, &call(1));
        assert!(capture.lens_facts(first, |f| f.is_some()));
        for id in 2..20 {
            message(&capture, 1, Direction::ToServer, &call(id));
        }
        let newest = capture.stats().latest_seq;
        assert!(capture.lens_facts(newest, |f| f.is_some()));
        assert_eq!(capture.lenses.len(), 4);
        // A response whose request was evicted unread has no latency.
        let answer = message(&capture, 1, Direction::ToClient, &result(2));
        assert!(capture.lens_facts(answer, |f| f.unwrap().latency_us.is_none()));
        let answer = message(&capture, 1, Direction::ToClient, &result(19));
        assert!(capture.lens_facts(answer, |f| f.unwrap().latency_us.is_some()));
    }
}
