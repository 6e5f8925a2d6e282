//! Graceful shutdown: one signal that every connection task watches, and a tracker of those
//! tasks so that `serve` can wait (boundedly) for them to say goodbye.
//!
//! axum's own graceful shutdown only covers HTTP connections; a WebSocket leaves hyper at the
//! upgrade, so its task is spawned through [`Shutdown::spawn`] to be tracked here.
//!
//! Connection tasks check the signal often (a loop iteration, a wake-up), so each takes a
//! [`Shutdown::child`] (a lock of its own, not the one all connections share), and the tap
//! relay, which polls it on every wake-up, a [`StopSignal`] (no lock at all).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The shared shutdown signal and the set of connection tasks.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns a connection task that shutdown will wait for.
    pub fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// The same signal and tracker for one connection's task. Its waits and checks take a lock
    /// of its own rather than the process-wide one every other connection polls (a relay polls
    /// it on every wake-up, from both runtime threads).
    pub fn child(&self) -> Shutdown {
        Shutdown {
            token: self.token.child_token(),
            tracker: self.tracker.clone(),
        }
    }

    /// Tells every task to finish.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once shutdown was triggered.
    pub async fn triggered(&self) {
        self.token.cancelled().await;
    }

    /// The signal for one task that polls it on every wake-up (see [`StopSignal`]).
    pub fn stop_signal(&self) -> StopSignal {
        let inner = Arc::new(StopInner::default());
        let weak = Arc::downgrade(&inner);
        let token = self.token.clone();
        let watcher = tokio::spawn(async move {
            token.cancelled().await;
            if let Some(inner) = weak.upgrade() {
                inner.stopped.store(true, Ordering::Release);
                inner.waker.wake();
            }
        });
        if self.is_triggered() {
            inner.stopped.store(true, Ordering::Release);
        }
        StopSignal { inner, watcher }
    }

    /// Waits up to `grace` for all tracked tasks; returns how many were still running.
    pub async fn wait(&self, grace: Duration) -> usize {
        self.tracker.close();
        match tokio::time::timeout(grace, self.tracker.wait()).await {
            Ok(()) => 0,
            Err(_) => self.tracker.len(),
        }
    }
}

/// The shutdown signal as one task sees it, cheap to check and to wait on: an atomic flag and
/// a waker, set by a small watcher task that waits on the shared signal once. Waiting on the
/// shared [`CancellationToken`] directly takes its mutex on every poll, and a relay polls its
/// wait on every wake-up, for every message, from both runtime threads.
///
/// One task only: the waker slot holds the last waker that polled [`StopSignal::wait`].
#[derive(Debug)]
pub struct StopSignal {
    inner: Arc<StopInner>,
    watcher: JoinHandle<()>,
}

#[derive(Debug, Default)]
struct StopInner {
    stopped: AtomicBool,
    waker: AtomicWaker,
}

impl StopSignal {
    pub fn is_set(&self) -> bool {
        self.inner.stopped.load(Ordering::Acquire)
    }

    /// Resolves once shutdown was triggered.
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| self.poll_wait(cx))
    }

    /// [`StopSignal::wait`] as a poll: ready once shutdown was triggered, else the task's waker
    /// is kept for the watcher (and for [`TaskWake`]s).
    pub fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_set() {
            return Poll::Ready(());
        }
        self.inner.waker.register(cx.waker());
        // Set between the check and the registration: the watcher's wake may have missed us.
        if self.is_set() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// A handle that wakes the task waiting on this signal without stopping it: for whoever
    /// hands that task work it looks at when it wakes (the intercept's injections), so that the
    /// task keeps one waker registration per wait.
    pub fn task_wake(&self) -> TaskWake {
        TaskWake(Arc::clone(&self.inner))
    }
}

/// Wakes the task that waits on a [`StopSignal`] (see [`StopSignal::task_wake`]).
#[derive(Debug, Clone)]
pub struct TaskWake(Arc<StopInner>);

impl TaskWake {
    pub fn wake(&self) {
        self.0.waker.wake();
    }
}

impl Drop for StopSignal {
    fn drop(&mut self) {
        // The watcher holds a waiter on the shared signal until it fires: not past our end.
        self.watcher.abort();
    }
}

/// Resolves on Ctrl+C or (on Unix) SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl+C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl+C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_tasks_that_watch_the_signal() {
        let shutdown = Shutdown::new();
        let watcher = shutdown.clone();
        shutdown.spawn(async move { watcher.triggered().await });
        assert!(!shutdown.is_triggered());
        shutdown.trigger();
        assert_eq!(shutdown.wait(Duration::from_secs(5)).await, 0);
    }

    #[tokio::test]
    async fn a_child_sees_the_trigger_and_its_tasks_are_waited_for() {
        let shutdown = Shutdown::new();
        let child = shutdown.child();
        let watcher = child.clone();
        child.spawn(async move { watcher.triggered().await });
        assert!(!child.is_triggered());
        shutdown.trigger();
        assert!(child.is_triggered());
        assert_eq!(shutdown.wait(Duration::from_secs(5)).await, 0);
    }

    #[tokio::test]
    async fn a_stop_signal_wakes_its_waiter_and_is_set_when_made_after_the_trigger() {
        let shutdown = Shutdown::new();
        let stop = shutdown.stop_signal();
        assert!(!stop.is_set());
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            trigger.trigger();
        });
        tokio::time::timeout(Duration::from_secs(5), stop.wait())
            .await
            .expect("the waiter is woken");
        assert!(stop.is_set());
        let late = shutdown.stop_signal();
        assert!(late.is_set());
        tokio::time::timeout(Duration::from_secs(5), late.wait())
            .await
            .expect("already set");
    }

    #[tokio::test]
    async fn gives_up_on_tasks_that_do_not_finish() {
        let shutdown = Shutdown::new();
        shutdown.spawn(std::future::pending::<()>());
        shutdown.trigger();
        assert_eq!(shutdown.wait(Duration::from_millis(20)).await, 1);
    }
}
