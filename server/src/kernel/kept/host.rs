//! One kernel and the browser sessions attached to it: a task that owns the kernel link (what a
//! session owned before kernels outlived pages), fans what the kernel says out to every
//! attached session, and logs it for the next one while none is attached.
//!
//! Sessions talk to the task through an [`Attachment`]: commands in (execute, restart, select,
//! the link's own commands), [`Relay`]s out. What a command gets wrong (no kernel, too busy) is
//! told to the session that sent it; what the kernel says goes to all. Kernel states are not
//! logged for replay: a session that attaches is told the current state instead. A lone slow
//! session holds its kernel's relay back (backpressure, as before kernels were shared); among
//! several, one that stays full for [`SLOW_SESSION`] is let go so the others go on (its page
//! reconnects and attaches again).
//!
//! A private host (a session that named no key) ends when its session leaves. A kept one
//! lives on without sessions until nothing happened on it for its cull time and it is not
//! busy (Jupyter's `cull_idle_timeout` with `cull_busy` off); then it asks the registry to
//! forget it ([`Retire`]) and ends, which shuts its kernel down.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use wirebook_shared::{Channel, KernelChoice, KernelInfo, KernelState, ServerMsg};

use crate::kernel::kept::replay::{Relay, ReplayLog};
use crate::kernel::{Execute, KernelEvent, KernelLink, LinkCommand, NotQueued};
use crate::shutdown::Shutdown;

/// Starts a kernel link: `(link id, what to start, where it reports)`.
pub type Starter =
    Arc<dyn Fn(u64, &KernelInfo, mpsc::Sender<KernelEvent>) -> KernelLink + Send + Sync>;

/// Asks the registry to forget this host; `false` while a session is on its way in (then the
/// host stays).
pub type Retire = Box<dyn Fn() -> bool + Send>;

/// Commands a host may have queued; a session waits for room beyond that.
const COMMANDS: usize = 64;
/// Relays waiting for one session's reader: a slow browser holds the kernel's relay back, as it
/// did when each session owned its kernel.
const RELAYS: usize = 64;
/// How long a session sharing its kernel may hold the others back with a full queue; then it
/// is detached (its page reconnects and attaches again) and the others go on.
pub const SLOW_SESSION: Duration = Duration::from_secs(10);

/// What the "Running kernels" list shows of a host, kept current by the host.
#[derive(Debug, Clone)]
pub struct Status {
    pub kernel: String,
    pub state: Option<KernelState>,
    pub attached: u32,
    pub last_activity: Instant,
}

/// A host's commands.
#[derive(Debug)]
pub enum HostCommand {
    Attach {
        relays: mpsc::Sender<Relay>,
        reply: oneshot::Sender<Attached>,
    },
    Execute {
        from: u64,
        execute: Execute,
    },
    Command {
        from: u64,
        command: LinkCommand,
    },
    Restart,
    /// Use another kernel: the old one is shut down.
    Select {
        info: KernelInfo,
    },
    /// End the kernel (the "Running kernels" list); attached sessions see it closed.
    ShutDown {
        reason: String,
    },
}

/// What a session learns when it attaches.
#[derive(Debug)]
pub struct Attached {
    session: u64,
    /// The kernel in use, without secret header values.
    pub info: KernelInfo,
    /// Its connection's state, if it reported one yet.
    pub state: Option<KernelState>,
    /// A Jupyter kernel's last iopub `status` message, as it came: a page that joins learns
    /// whether the kernel is busy or idle (the kernel says so only when that changes).
    pub status: Option<Relay>,
    /// What it said while no session was attached, oldest first.
    pub replay: Vec<Relay>,
    /// Messages the replay log had to drop.
    pub dropped: u64,
}

/// The registry's handle on a host.
#[derive(Debug, Clone)]
pub struct HostHandle {
    pub commands: mpsc::Sender<HostCommand>,
    detaches: mpsc::UnboundedSender<u64>,
    pub status: Arc<Mutex<Status>>,
}

impl HostHandle {
    /// Whether commands wait in the queue (an attach among them, perhaps).
    pub fn has_queued(&self) -> bool {
        self.commands.capacity() < self.commands.max_capacity()
    }

    pub fn status(&self) -> Status {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// An attach request to queue, and what completes it into an [`Attachment`].
    pub fn attach_request(&self) -> (HostCommand, PendingAttach) {
        let (relays_tx, relays) = mpsc::channel(RELAYS);
        let (reply, answer) = oneshot::channel();
        let command = HostCommand::Attach {
            relays: relays_tx,
            reply,
        };
        let pending = PendingAttach {
            answer,
            relays,
            commands: self.commands.clone(),
            detaches: self.detaches.clone(),
        };
        (command, pending)
    }
}

/// An attach request on its way to the host.
#[derive(Debug)]
pub struct PendingAttach {
    answer: oneshot::Receiver<Attached>,
    relays: mpsc::Receiver<Relay>,
    commands: mpsc::Sender<HostCommand>,
    detaches: mpsc::UnboundedSender<u64>,
}

impl PendingAttach {
    /// The attachment, or `None` when the host ended before it took the request.
    pub async fn finish(self) -> Option<(Attachment, Attached)> {
        let attached = self.answer.await.ok()?;
        let attachment = Attachment {
            session: attached.session,
            commands: self.commands,
            detaches: self.detaches,
            relays: self.relays,
        };
        Some((attachment, attached))
    }
}

/// A session's hold on a host; dropping it detaches the session.
#[derive(Debug)]
pub struct Attachment {
    session: u64,
    commands: mpsc::Sender<HostCommand>,
    detaches: mpsc::UnboundedSender<u64>,
    /// What the host sends this session.
    pub relays: mpsc::Receiver<Relay>,
}

impl Attachment {
    /// Queues a command; `false` when the host has ended.
    async fn send(&self, command: HostCommand) -> bool {
        self.commands.send(command).await.is_ok()
    }

    pub async fn execute(&self, execute: Execute) -> bool {
        let from = self.session;
        self.send(HostCommand::Execute { from, execute }).await
    }

    pub async fn command(&self, command: LinkCommand) -> bool {
        let from = self.session;
        self.send(HostCommand::Command { from, command }).await
    }

    pub async fn restart(&self) -> bool {
        self.send(HostCommand::Restart).await
    }

    pub async fn select(&self, info: KernelInfo) -> bool {
        self.send(HostCommand::Select { info }).await
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        // Fails only when the host has ended, which is what detaching is for anyway.
        let _ = self.detaches.send(self.session);
    }
}

/// How a host lives.
pub struct HostSetup {
    /// The kernel it starts.
    pub info: KernelInfo,
    /// `None`: private, it ends with its last session. `Some(t)`: kept, culled after `t` idle
    /// without sessions.
    pub keep_for: Option<Duration>,
    pub starter: Starter,
    pub replay: ReplayLog,
    pub retire: Retire,
    pub shutdown: Shutdown,
}

/// Starts a host and its kernel.
pub fn spawn(setup: HostSetup) -> HostHandle {
    let (commands_tx, commands) = mpsc::channel(COMMANDS);
    let (detaches_tx, detaches) = mpsc::unbounded_channel();
    let (events_tx, events) = mpsc::channel(64);
    let status = Arc::new(Mutex::new(Status {
        kernel: setup.info.name.clone(),
        state: None,
        attached: 0,
        last_activity: Instant::now(),
    }));
    let mut host = Host {
        info: setup.info,
        starter: setup.starter,
        link: None,
        next_link: 1,
        events_tx,
        executions: 0,
        current_cell: None,
        state: None,
        busy: false,
        last_status: None,
        sessions: Vec::new(),
        next_session: 1,
        replay: setup.replay,
        status: Arc::clone(&status),
        last_activity: Instant::now(),
        keep_for: setup.keep_for,
    };
    host.start_kernel();
    let shutdown = setup.shutdown.clone();
    setup
        .shutdown
        .spawn(host.run(commands, detaches, events, setup.retire, shutdown));
    HostHandle {
        commands: commands_tx,
        detaches: detaches_tx,
        status,
    }
}

struct Host {
    info: KernelInfo,
    starter: Starter,
    link: Option<KernelLink>,
    next_link: u64,
    /// Kept so each new link reports on the same channel.
    events_tx: mpsc::Sender<KernelEvent>,
    /// Runs sent to a WebSocket kernel (Jupyter kernels count their own).
    executions: u32,
    /// The cell that ran last: a WebSocket kernel's messages are its output.
    current_cell: Option<String>,
    state: Option<KernelState>,
    /// A Jupyter kernel's last iopub status was `busy`.
    busy: bool,
    /// That status message.
    last_status: Option<Relay>,
    sessions: Vec<(u64, mpsc::Sender<Relay>)>,
    next_session: u64,
    replay: ReplayLog,
    status: Arc<Mutex<Status>>,
    last_activity: Instant,
    keep_for: Option<Duration>,
}

impl Host {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<HostCommand>,
        mut detaches: mpsc::UnboundedReceiver<u64>,
        mut events: mpsc::Receiver<KernelEvent>,
        retire: Retire,
        shutdown: Shutdown,
    ) {
        loop {
            // A private kernel ends with its last session, once the commands that session
            // left in the queue are handled (the registry refuses to retire a host with some).
            if self.keep_for.is_none()
                && self.sessions.is_empty()
                && self.next_session > 1
                && retire()
            {
                break;
            }
            let cull_at = match self.keep_for {
                Some(keep) if self.sessions.is_empty() && !self.busy => {
                    Some(self.last_activity + keep)
                }
                _ => None,
            };
            tokio::select! {
                () = shutdown.triggered() => break,
                command = commands.recv() => match command {
                    Some(command) => self.on_command(command).await,
                    // The registry forgot it and no session holds it.
                    None => break,
                },
                Some(session) = detaches.recv() => {
                    self.sessions.retain(|(id, _)| *id != session);
                    self.touch();
                }
                Some(event) = events.recv() => self.on_kernel(event).await,
                () = crate::websocket::close::sleep_until(cull_at), if cull_at.is_some() => {
                    if retire() {
                        tracing::info!(kernel = %self.info.name, "culled an idle kept kernel");
                        break;
                    }
                    // A session is on its way in: it gets the kernel.
                    self.touch();
                }
            }
        }
        // Dropping the link shuts the kernel down.
        self.link = None;
    }

    /// Something happened: the idle clock starts again.
    fn touch(&mut self) {
        self.last_activity = Instant::now();
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        status.kernel.clone_from(&self.info.name);
        status.state.clone_from(&self.state);
        status.attached = u32::try_from(self.sessions.len()).unwrap_or(u32::MAX);
        status.last_activity = self.last_activity;
    }

    fn start_kernel(&mut self) -> &KernelLink {
        let id = self.next_link;
        self.next_link += 1;
        let link = (self.starter)(id, &self.info, self.events_tx.clone());
        self.link.insert(link)
    }

    /// Replaces the kernel connection, as Jupyter's restart does: the old link is dropped
    /// (which closes it; its late state reports carry its id and are ignored) and a new one
    /// reports Connecting → Open. Counts start again at 1, and nothing the old connection
    /// still sends is attributed to a cell.
    fn restart_kernel(&mut self) {
        self.link = None;
        self.current_cell = None;
        self.executions = 0;
        self.busy = false;
        self.last_status = None;
        self.start_kernel();
    }

    async fn on_command(&mut self, command: HostCommand) {
        self.touch();
        match command {
            HostCommand::Attach { relays, reply } => {
                let session = self.next_session;
                self.next_session += 1;
                let (replay, dropped) = self.replay.take();
                let attached = Attached {
                    session,
                    info: without_secret_values(self.info.clone()),
                    state: self.state.clone(),
                    status: self.last_status.clone(),
                    replay,
                    dropped,
                };
                // A session that gave up waiting is not attached.
                if reply.send(attached).is_ok() {
                    self.sessions.push((session, relays));
                }
            }
            HostCommand::Execute { from, execute } => self.execute(from, execute).await,
            HostCommand::Command { from, command } => {
                let refused = match &self.link {
                    None => Some("no kernel is running: run a cell or restart to start one"),
                    Some(link) => link
                        .command(command)
                        .is_err()
                        .then_some("the kernel is not taking commands now (ended or too busy)"),
                };
                if let Some(message) = refused {
                    self.error_to(from, message.into(), None).await;
                }
            }
            HostCommand::Restart => self.restart_kernel(),
            HostCommand::Select { info } => {
                self.info = info;
                let kernel = without_secret_values(self.info.clone());
                self.broadcast(Relay::new(ServerMsg::KernelSelected { kernel }))
                    .await;
                self.restart_kernel();
            }
            HostCommand::ShutDown { reason } => {
                self.link = None;
                self.current_cell = None;
                self.busy = false;
                self.last_status = None;
                let state = KernelState::Closed { code: None, reason };
                self.state = Some(state.clone());
                self.broadcast(Relay::new(ServerMsg::Kernel { state }))
                    .await;
            }
        }
        self.touch();
    }

    /// Sends a cell's code to the kernel, (re)connecting first if the link has ended.
    async fn execute(&mut self, from: u64, mut execute: Execute) {
        // A link that ended under us is replaced once; a new link always has room.
        for _ in 0..2 {
            let link = match self.link.take() {
                Some(link) => self.link.insert(link),
                None => self.start_kernel(),
            };
            match link.execute(execute) {
                Ok(()) => return,
                Err(NotQueued::Busy(rejected)) => {
                    let message =
                        "the kernel is not keeping up: too many cells are waiting to be sent";
                    self.error_to(from, message.into(), Some(rejected.cell_id))
                        .await;
                    return;
                }
                Err(NotQueued::Ended(rejected)) => {
                    self.link = None;
                    execute = rejected;
                }
            }
        }
        let message = "could not reach the kernel".into();
        self.error_to(from, message, Some(execute.cell_id)).await;
    }

    async fn on_kernel(&mut self, event: KernelEvent) {
        self.touch();
        let relay = match event {
            KernelEvent::State { link, ref state } => {
                // States of a link already replaced would confuse the browsers.
                if self.link.as_ref().map(KernelLink::id) != Some(link) {
                    return;
                }
                if event.is_terminal() {
                    self.link = None;
                    self.busy = false;
                    self.last_status = None;
                }
                self.state = Some(state.clone());
                self.touch();
                Relay::new(ServerMsg::Kernel {
                    state: state.clone(),
                })
            }
            KernelEvent::Sent { cell_id } => {
                self.executions += 1;
                self.current_cell = Some(cell_id.clone());
                Relay::new(ServerMsg::Executed {
                    cell_id,
                    execution_count: self.executions,
                })
            }
            KernelEvent::RunFailed { cell_id, message } => Relay::new(ServerMsg::Error {
                message,
                cell_id: Some(cell_id),
            }),
            KernelEvent::Executed {
                cell_id,
                execution_count,
            } => Relay::new(ServerMsg::Executed {
                cell_id,
                execution_count,
            }),
            KernelEvent::Message { message, seq } => {
                let status = message.channel == Channel::Iopub && message.msg_type == "status";
                if status {
                    if let Some(state) = message.content["execution_state"].as_str() {
                        self.busy = state == "busy";
                    }
                }
                let relay = Relay {
                    msg: ServerMsg::KernelMessage(message),
                    caused_by: seq,
                };
                if status {
                    self.last_status = Some(relay.clone());
                }
                relay
            }
            KernelEvent::MessageSent {
                channel,
                msg_type,
                msg_id,
            } => Relay::new(ServerMsg::KernelMessageSent {
                channel,
                msg_type,
                msg_id,
            }),
            KernelEvent::Refused { cell_id, message } => {
                Relay::new(ServerMsg::Error { message, cell_id })
            }
            KernelEvent::Received { data, seq } => match &self.current_cell {
                Some(cell_id) => Relay {
                    msg: ServerMsg::Output {
                        cell_id: cell_id.clone(),
                        data,
                    },
                    caused_by: seq,
                },
                // Nothing ran yet: the message is in the capture, but belongs to no cell.
                None => {
                    tracing::debug!(?seq, "kernel message before any execute");
                    return;
                }
            },
        };
        self.broadcast(relay).await;
    }

    /// Sends `relay` to every attached session, or logs it for the next one while none is.
    async fn broadcast(&mut self, relay: Relay) {
        if self.sessions.is_empty() {
            if !matches!(relay.msg, ServerMsg::Kernel { .. }) {
                self.replay.push(relay);
            }
            return;
        }
        let mut gone = Vec::new();
        let shared = self.sessions.len() > 1;
        for (id, relays) in &self.sessions {
            let sent = match relays.try_send(relay.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Closed(_)) => false,
                Err(mpsc::error::TrySendError::Full(relay)) if shared => {
                    relays.send_timeout(relay, SLOW_SESSION).await.is_ok()
                }
                Err(mpsc::error::TrySendError::Full(relay)) => relays.send(relay).await.is_ok(),
            };
            if !sent {
                gone.push(*id);
            }
        }
        if !gone.is_empty() {
            self.sessions.retain(|(id, _)| !gone.contains(id));
            self.touch();
        }
    }

    /// Tells one session what went wrong with its command.
    async fn error_to(&mut self, session: u64, message: String, cell_id: Option<String>) {
        let relay = Relay::new(ServerMsg::Error { message, cell_id });
        if let Some((_, relays)) = self.sessions.iter().find(|(id, _)| *id == session) {
            let _ = relays.send(relay).await;
        }
    }
}

/// What browsers are told a session uses: the values of secret headers stay with the browser
/// that sent them (they would otherwise cross the wire again and land in the capture).
pub fn without_secret_values(mut info: KernelInfo) -> KernelInfo {
    if let KernelChoice::WebSocket { settings, .. } = &mut info.choice {
        for header in settings.headers.iter_mut().filter(|h| h.secret) {
            header.value.clear();
        }
    }
    info
}
