//! The contract between a session and its kernel, whatever the kernel's kind: a [`KernelLink`]
//! handle that takes [`LinkCommand`]s (execute, interrupt, input reply, composer message) and a
//! task behind it that reports [`KernelEvent`]s (states, `Sent`/`Executed`, messages) in order.
//!
//! - [`websocket`]: a WebSocket kernel (`/echo`, `--kernel URL`, a URL picked in the browser).
//! - [`jupyter`]: a local Jupyter kernel over ZeroMQ; [`gateway`]: a remote one through a
//!   Jupyter Server's REST API and channels WebSocket.
//! - [`catalog`]: what the picker offers and which link a choice starts.
//! - [`kept`]: the hosts that own the links, shared by a notebook's sessions and kept after
//!   the page goes.

pub mod catalog;
pub mod gateway;
pub mod jupyter;
pub mod kept;
pub mod websocket;

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;
use wirebook_shared::backoff::Schedule;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::{Channel, KernelMessage, KernelState, WireData};

use crate::shutdown::Shutdown;

/// Cells that may wait for the kernel connection before the session says it is busy.
const QUEUE: usize = 32;

/// How a link that lost its connection tries again (a WebSocket kernel with reconnect on, a
/// gateway kernel's channels): 250 ms doubling to 15 s, plus up to a quarter of jitter, and
/// after 10 attempts (about a minute and a half) it gives up.
pub const RECONNECT: Schedule = Schedule {
    first: Duration::from_millis(250),
    cap: Duration::from_secs(15),
    least: 1.0,
    most: 1.25,
    max_attempts: Some(10),
};

/// What a link reports to its session, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelEvent {
    State {
        link: u64,
        state: KernelState,
    },
    /// The cell's code went to the kernel.
    Sent {
        cell_id: String,
    },
    /// The cell's run ended without its result: its code could not be sent, or the kernel's
    /// reply to it was refused (a Jupyter message with a bad signature).
    RunFailed {
        cell_id: String,
        message: String,
    },
    /// A data message from the kernel; `seq` is its capture record (`None`: not recorded).
    Received {
        data: WireData,
        seq: Option<u64>,
    },
    /// A Jupyter kernel finished running a cell (its `execute_reply`), with the kernel's own
    /// execution count. WebSocket kernels report `Sent` instead and the session counts.
    Executed {
        cell_id: String,
        execution_count: u32,
    },
    /// A decoded Jupyter message for the browser; `seq` is its capture record.
    Message {
        message: KernelMessage,
        seq: Option<u64>,
    },
    /// A composer message is on the wire with this `msg_id`.
    MessageSent {
        channel: Channel,
        msg_type: String,
        msg_id: String,
    },
    /// A command this kernel cannot carry out, or that failed; the browser shows `message`.
    Refused {
        cell_id: Option<String>,
        message: String,
    },
}

impl KernelEvent {
    /// Whether this is the last state a link reports.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            KernelEvent::State {
                state: KernelState::Closed { .. } | KernelState::Failed { .. },
                ..
            }
        )
    }
}

/// Code for the kernel, queued until the connection is up.
#[derive(Debug)]
pub struct Execute {
    pub cell_id: String,
    pub code: String,
    /// How a WebSocket kernel sends `code` (text, JSON, binary, ping, close); Jupyter kernels
    /// run code and ignore it.
    pub format: CellFormat,
    /// The capture record of the browser message that asked for it.
    pub caused_by: Option<u64>,
}

/// What a session asks of its kernel link.
#[derive(Debug)]
pub enum LinkCommand {
    Execute(Execute),
    Interrupt,
    /// The answer to the kernel's pending `input_request`.
    InputReply {
        value: String,
    },
    /// The composer: a message built from channel, type and content (Jupyter kernels only).
    Send {
        channel: Channel,
        msg_type: String,
        content: serde_json::Value,
        caused_by: Option<u64>,
    },
}

/// How a link's task tells its session its states: [`KernelEvent::State`] with the link's id.
#[derive(Debug, Clone)]
pub struct StateReport {
    link: u64,
    events: mpsc::Sender<KernelEvent>,
}

impl StateReport {
    pub fn new(link: u64, events: mpsc::Sender<KernelEvent>) -> Self {
        StateReport { link, events }
    }

    pub async fn send(&self, state: KernelState) {
        // The session may be gone already; the link still ends properly.
        let _ = self
            .events
            .send(KernelEvent::State {
                link: self.link,
                state,
            })
            .await;
    }
}

/// Why [`KernelLink::execute`] did not queue the code.
#[derive(Debug)]
pub enum NotQueued {
    /// The link has ended; the caller may start a new one and try again.
    Ended(Execute),
    /// Too many cells are waiting for the kernel.
    Busy(Execute),
}

/// The session's handle on one kernel, whatever its kind: the task behind it (a WebSocket
/// client in [`websocket`], a Jupyter kernel in [`jupyter`] or [`gateway`]) reads the commands.
/// Dropping the handle ends the task: it closes its connection or shuts its kernel down.
#[derive(Debug)]
pub struct KernelLink {
    id: u64,
    commands: mpsc::Sender<LinkCommand>,
}

impl KernelLink {
    /// A handle and the queue its task reads.
    pub fn new(id: u64) -> (Self, mpsc::Receiver<LinkCommand>) {
        let (commands, queue) = mpsc::channel(QUEUE);
        (KernelLink { id, commands }, queue)
    }

    /// A handle whose task, `task(queue, shutdown)`, runs under the server's `shutdown`,
    /// reading the commands from `queue` and watching a clone of `shutdown`.
    pub fn spawn<F, Fut>(id: u64, shutdown: &Shutdown, task: F) -> Self
    where
        F: FnOnce(mpsc::Receiver<LinkCommand>, Shutdown) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (link, queue) = KernelLink::new(id);
        shutdown.spawn(task(queue, shutdown.clone()));
        link
    }

    /// A link that reports `Failed` with `message` at once (a kernel that cannot be started).
    pub fn failed(
        id: u64,
        message: String,
        events: mpsc::Sender<KernelEvent>,
        shutdown: &Shutdown,
    ) -> Self {
        let report = StateReport::new(id, events);
        KernelLink::spawn(id, shutdown, |_queue, _shutdown| async move {
            report.send(KernelState::Failed { message }).await;
        })
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// Queues code to send to the kernel.
    pub fn execute(&self, execute: Execute) -> Result<(), NotQueued> {
        self.commands
            .try_send(LinkCommand::Execute(execute))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(LinkCommand::Execute(execute)) => {
                    NotQueued::Busy(execute)
                }
                mpsc::error::TrySendError::Closed(LinkCommand::Execute(execute)) => {
                    NotQueued::Ended(execute)
                }
                _ => unreachable!("the command sent was an Execute"),
            })
    }

    /// Queues any other command; gives it back when the link is gone or congested.
    pub fn command(&self, command: LinkCommand) -> Result<(), LinkCommand> {
        self.commands
            .try_send(command)
            .map_err(|error| error.into_inner())
    }
}
/// Cells queued while a link was ending were never sent: every link says so rather than lose
/// them. Closes the queue first, so nothing more arrives.
pub async fn fail_queued(
    queue: &mut mpsc::Receiver<LinkCommand>,
    events: &mpsc::Sender<KernelEvent>,
) {
    queue.close();
    while let Ok(command) = queue.try_recv() {
        if let LinkCommand::Execute(execute) = command {
            let _ = events
                .send(KernelEvent::RunFailed {
                    cell_id: execute.cell_id,
                    message: "the kernel ended before the code was sent".into(),
                })
                .await;
        }
    }
}
