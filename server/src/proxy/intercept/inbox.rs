//! The messages the user injects into one direction of a relay, waiting to be sent. The relay
//! looks at its inbox every time its socket has nothing to read, injected or not, so looking
//! must cost next to nothing: an atomic flag, rather than a channel (a tokio `mpsc` receiver
//! here cost 4 % of the tap's instructions per relayed message with nothing ever injected;
//! callgrind, docs/benchmarks.md). Nor does it register a waker of its own: a push wakes the
//! relay direction through its stop signal's waker ([`Injections::wake_through`]), which the
//! relay registers on every wait anyway, and the relay looks with [`Injections::try_take`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::shutdown::TaskWake;

/// Shared by the intercept's API, which fills it, and the relay, which empties it.
#[derive(Debug)]
pub struct Inbox {
    queue: Mutex<VecDeque<Vec<u8>>>,
    /// The queue is not empty: read before taking the lock.
    pending: AtomicBool,
    /// The relay direction has ended: nothing will be sent.
    closed: AtomicBool,
    /// The relay direction's stop-signal waker (see the module doc).
    task: OnceLock<TaskWake>,
    capacity: usize,
}

/// Why an injection was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotQueued {
    /// `capacity` messages are waiting already.
    Full,
    /// The relay direction has ended.
    Closed,
}

impl Inbox {
    /// An inbox holding at most `capacity` waiting messages, and the relay's end of it.
    pub fn new(capacity: usize) -> (Arc<Inbox>, Injections) {
        let inbox = Arc::new(Inbox {
            queue: Mutex::new(VecDeque::new()),
            pending: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            task: OnceLock::new(),
            capacity,
        });
        (Arc::clone(&inbox), Injections(inbox))
    }

    /// Queues `frame` and wakes the relay.
    pub fn push(&self, frame: Vec<u8>) -> Result<(), NotQueued> {
        if self.closed.load(Ordering::Acquire) {
            return Err(NotQueued::Closed);
        }
        {
            let mut queue = self.lock();
            if queue.len() >= self.capacity {
                return Err(NotQueued::Full);
            }
            queue.push_back(frame);
            self.pending.store(true, Ordering::Release);
        }
        if let Some(task) = self.task.get() {
            task.wake();
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Vec<u8>>> {
        // A panic while holding it leaves a queue of whole frames: still usable.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[inline]
    fn pop(&self) -> Option<Vec<u8>> {
        if !self.pending.load(Ordering::Acquire) {
            return None;
        }
        self.take()
    }

    #[cold]
    fn take(&self) -> Option<Vec<u8>> {
        let mut queue = self.lock();
        let frame = queue.pop_front();
        self.pending.store(!queue.is_empty(), Ordering::Release);
        frame
    }
}

/// The relay direction's end of its [`Inbox`]; dropping it closes the inbox.
#[derive(Debug)]
pub struct Injections(Arc<Inbox>);

impl Injections {
    /// Wake the relay direction through `task` when a message is queued: it looks with
    /// [`Injections::try_take`] whenever it waits on the stop signal `task` came from.
    pub fn wake_through(&self, task: TaskWake) {
        let _ = self.0.task.set(task);
    }

    /// The next injected frame, if one is waiting (one atomic load when none is).
    #[inline]
    pub fn try_take(&self) -> Option<Vec<u8>> {
        self.0.pop()
    }
}

impl Drop for Injections {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::task::Poll;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn frames_come_in_order_wake_the_relay_and_stop_at_capacity_or_its_end() {
        let shutdown = crate::shutdown::Shutdown::new();
        let stop = shutdown.stop_signal();
        let (inbox, injections) = Inbox::new(2);
        injections.wake_through(stop.task_wake());
        // As the relay waits: on its stop signal, looking at the inbox.
        let waiting = tokio::spawn(async move {
            let mut frames = Vec::new();
            while frames.len() < 2 {
                let frame = std::future::poll_fn(|cx| {
                    let _ = stop.poll_wait(cx);
                    injections.try_take().map_or(Poll::Pending, Poll::Ready)
                })
                .await;
                frames.push(frame);
            }
            (frames, injections)
        });
        tokio::task::yield_now().await;
        inbox.push(b"a".to_vec()).unwrap();
        tokio::task::yield_now().await;
        inbox.push(b"b".to_vec()).unwrap();
        // Not woken, the task would wait forever: the timeout fails the test instead.
        let (frames, injections) = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("each push wakes the waiting relay")
            .unwrap();
        assert_eq!(frames, [b"a".to_vec(), b"b".to_vec()]);
        inbox.push(b"c".to_vec()).unwrap();
        inbox.push(b"d".to_vec()).unwrap();
        assert_eq!(inbox.push(b"e".to_vec()), Err(NotQueued::Full));
        assert_eq!(injections.try_take(), Some(b"c".to_vec()));
        drop(injections);
        assert_eq!(inbox.push(b"f".to_vec()), Err(NotQueued::Closed));
    }
}
