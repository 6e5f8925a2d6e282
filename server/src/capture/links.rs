//! What a connection's task and its trace share ([`Links`]): the task tags the data messages it
//! is about to send ([`Tag`]: not recorded, or relaying a record of the other hop) and learns
//! the record of each data message it receives, so that relayed messages point at their
//! source. The trace (`crate::capture::trace`) takes the tags and gives the records.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use wirebook_shared::intercept_api::InterceptAction;

/// What to do with the next data message the connection's task sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// Record it.
    Plain,
    /// Do not record it: the inspector's own capture feed.
    Skip,
    /// Record it as relaying this record of the other hop.
    CausedBy(u64),
    /// Record it as sent by the tap's intercept in place of a held message (`caused_by`, the
    /// record it was held as) or injected.
    Marked {
        caused_by: Option<u64>,
        mark: InterceptAction,
    },
}

/// What a connection's task and its trace share.
#[derive(Debug, Default)]
pub struct Links {
    /// Tags of data messages queued to be sent, in order; untagged messages are `Plain`.
    /// Shared: the relay has the other connection's trace queue tags here directly.
    outgoing: Arc<TagQueue>,
    /// Records of the data messages received (the frame that completes each).
    received: SeqQueue,
    /// Set by the relay: where the tag of every data message received goes, the record of its
    /// first frame (the relay forwards a message's first frame before its last one arrives).
    relayed_to: OnceLock<Arc<TagQueue>>,
}

/// Tags of data messages about to be sent, in order.
#[derive(Debug, Default)]
struct TagQueue(Mutex<VecDeque<Tag>>);

impl TagQueue {
    fn push(&self, tag: Tag) {
        let mut tags = lock(&self.0);
        // An empty queue means `Plain`; a `Plain` behind other tags must hold its place.
        if tag != Tag::Plain || !tags.is_empty() {
            tags.push_back(tag);
        }
    }

    fn pop(&self) -> Tag {
        lock(&self.0).pop_front().unwrap_or(Tag::Plain)
    }

    /// Pushes `tag` even when it is `Plain` on an empty queue: the relay's queue keeps one tag
    /// per message, so that the intercept can find a held message's tag at the front.
    fn push_in_place(&self, tag: Tag) {
        lock(&self.0).push_back(tag);
    }
}

/// Records of received data messages, in order (`None`: not recorded), queued only once the
/// task said it takes them.
#[derive(Debug, Default)]
struct SeqQueue {
    tracked: AtomicBool,
    seqs: Mutex<VecDeque<Option<u64>>>,
}

impl SeqQueue {
    fn track(&self) {
        self.tracked.store(true, Ordering::Relaxed);
    }

    fn push(&self, seq: Option<u64>) {
        if self.tracked.load(Ordering::Relaxed) {
            lock(&self.seqs).push_back(seq);
        }
    }

    fn pop(&self) -> Option<u64> {
        lock(&self.seqs).pop_front().flatten()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The queues stay consistent across a panic (each operation is one push or pop).
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Links {
    /// Tags the next data message this side sends. Call right before sending it.
    pub fn tag_next(&self, tag: Tag) {
        self.outgoing.push(tag);
    }

    /// From now on, [`Links::received_seq`] is called once per data message received.
    pub fn track_received(&self) {
        self.received.track();
    }

    /// The record of the next data message received (call once per text or binary message
    /// the codec yields, in order): `None` when it was not recorded.
    pub fn received_seq(&self) -> Option<u64> {
        self.received.pop()
    }

    /// For the relay, which sends every frame this side receives on to `to`'s peer as it is:
    /// each data message received tags the copy `to` sends, as caused by the record of the
    /// message's first frame. Tagging in the trace rather than in the relay takes one queue
    /// instead of two (see docs/benchmarks.md). The first call wins.
    pub fn relay_to(&self, to: &Links) {
        let _ = self.relayed_to.set(Arc::clone(&to.outgoing));
    }

    /// For the trace: prefetches the queues it takes tags from and gives records to (see
    /// [`crate::capture::prefetch`]).
    #[inline]
    pub(super) fn prefetch(&self) {
        use crate::capture::prefetch::for_read;
        for_read(&*self.outgoing);
        for_read(&self.received);
        if let Some(relayed) = self.relayed_to.get() {
            for_read(&**relayed);
        }
    }

    /// For the trace: the tag of the next data message this side sends.
    pub(super) fn next_tag(&self) -> Tag {
        self.outgoing.pop()
    }

    /// For the trace: the record of a received data message's first frame, which tags the
    /// copy the relay sends on (see [`Links::relay_to`]).
    pub(super) fn tag_relayed_copy(&self, seq: Option<u64>) {
        if let Some(relayed) = self.relayed_to.get() {
            relayed.push_in_place(seq.map_or(Tag::Plain, Tag::CausedBy));
        }
    }

    /// For the trace: the record of a received data message's last frame, for
    /// [`Links::received_seq`].
    pub(super) fn record_received(&self, seq: Option<u64>) {
        self.received.push(seq);
    }

    /// For the relay's intercept, on the side that sends held messages on: the record of the
    /// next message to send (the held one: everything before it was sent), and what the tap
    /// did with it. `None` drops the tag with the message.
    pub fn mark_next(&self, mark: Option<InterceptAction>) -> Option<u64> {
        let mut tags = lock(&self.outgoing.0);
        let caused_by = match tags.front() {
            Some(Tag::CausedBy(seq)) => Some(*seq),
            _ => None,
        };
        match mark {
            Some(mark) => match tags.front_mut() {
                Some(front) => *front = Tag::Marked { caused_by, mark },
                None => tags.push_back(Tag::Marked { caused_by, mark }),
            },
            None => {
                tags.pop_front();
            }
        }
        caused_by
    }

    /// The record of the next message to send (see [`Links::mark_next`]), left as it is.
    pub fn next_cause(&self) -> Option<u64> {
        match lock(&self.outgoing.0).front() {
            Some(Tag::CausedBy(seq)) => Some(*seq),
            _ => None,
        }
    }

    /// For the relay's intercept: the next message this side sends is one the user injected.
    pub fn inject_next(&self) {
        lock(&self.outgoing.0).push_front(Tag::Marked {
            caused_by: None,
            mark: InterceptAction::Injected,
        });
    }
}
