//! The task behind a local kernel's [`KernelLink`](crate::kernel::KernelLink): launches the
//! kernelspec, connects its ZeroMQ sockets, does the `kernel_info` handshake, then relays
//! commands to the kernel and every message back, recording each with its wire parts. It shuts
//! the kernel down when the session drops the link or the server shuts down.
//!
//! Sockets: one DEALER each for shell, control and stdin, sharing one identity (ipykernel
//! sends `input_request` on stdin to the identity that sent the execute on shell), a SUB for
//! iopub subscribed to everything, and a REQ for the heartbeat (in [`super::heartbeat`]).
//! Each receiving socket has a reader task that forwards its raw multipart messages here.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use wirebook_shared::jupyter::spec::SpecCheck;
use wirebook_shared::{CaptureBody, Channel, Hop, KernelState};
use zeromq::util::PeerIdentity;
use zeromq::{
    DealerSendHalf, DealerSocket, Socket, SocketOptions, SocketRecv, SocketSend, SubSocket,
    ZmqMessage,
};

use super::client::{JupyterClient, Outgoing};
use super::dispatch::{Dispatch, Relayed, Transport};
use super::kernelspec::{self, FoundSpec};
use super::launch::{self, Launched};
use super::wire::{self, Signer};
use super::JupyterConfig;
use crate::capture::recorder::Recorder;
use crate::capture::ring::Capture;
use crate::kernel::{KernelEvent, LinkCommand, StateReport};
use crate::shutdown::Shutdown;

/// How often `kernel_info_request` is repeated while iopub has not delivered anything yet
/// (a SUB socket misses what is published before its subscription reaches the kernel).
const PROBE_INTERVAL: Duration = Duration::from_millis(500);
/// How long a kernel may take to exit after `shutdown_request` before it is killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// How long one send to the kernel may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Launches of one kernel while its ports are taken from under it (see [`launch::lost_a_port`]).
const LAUNCHES: u32 = 3;
/// What the capture says of a launch that lost a port (its connection's `Closed` reason).
pub const RELAUNCHED: &str =
    "another program took one of its ports before it bound them: launched again on new ports";

/// A raw message from one of the kernel's sockets.
type Incoming = (Channel, ZmqMessage);

/// The task: reports `Connecting`, then `Open`, and exactly one terminal state.
pub async fn run(
    id: u64,
    name: String,
    config: Arc<JupyterConfig>,
    capture: Arc<Capture>,
    events: mpsc::Sender<KernelEvent>,
    mut queue: mpsc::Receiver<LinkCommand>,
    shutdown: Shutdown,
) {
    let report = StateReport::new(id, events.clone());
    report.send(KernelState::Connecting).await;
    let end = match start(&name, &config, &capture, &events, &shutdown).await {
        Ok(mut kernel) => {
            let end = kernel
                .run(&mut queue, config.startup_timeout, &report, &shutdown)
                .await;
            kernel.stop().await;
            end
        }
        Err(message) => {
            tracing::warn!(kernel = %name, %message, "cannot start the kernel");
            KernelState::Failed { message }
        }
    };
    crate::kernel::fail_queued(&mut queue, &events).await;
    report.send(end).await;
}

/// One running kernel: its process, sockets, protocol state and capture.
struct Kernel {
    spec: FoundSpec,
    launched: Launched,
    recorder: Recorder,
    /// The protocol state and the session's events.
    dispatch: Dispatch,
    /// The sending sockets.
    wire: ZmqWire,
    incoming: mpsc::Receiver<Incoming>,
    /// Readers and the heartbeat, aborted when the kernel is dropped.
    tasks: Vec<JoinHandle<()>>,
    /// Set once the process has exited (and been reaped).
    exited: Option<std::process::ExitStatus>,
    /// When the handshake must be done (launch + `--kernel-startup-timeout`).
    deadline: Instant,
}

impl Drop for Kernel {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Finds the spec, launches it and connects the sockets.
async fn start(
    name: &str,
    config: &JupyterConfig,
    capture: &Arc<Capture>,
    events: &mpsc::Sender<KernelEvent>,
    shutdown: &Shutdown,
) -> Result<Kernel, String> {
    let dirs = kernelspec::data_dirs(&config.extra_paths);
    let discovery = kernelspec::discover(&dirs);
    let Some(spec) = discovery.specs.into_iter().find(|spec| spec.name == name) else {
        let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        let mut message = format!(
            "no kernelspec named {name} (searched kernels/ in {})",
            searched.join(", ")
        );
        for problem in discovery.problems {
            message.push_str("; ");
            message.push_str(&problem);
        }
        return Err(message);
    };
    let runtime_dir = config
        .runtime_dir
        .clone()
        .unwrap_or_else(launch::default_runtime_dir);
    // One deadline for every launch, the ports and the kernel_info handshake together.
    let deadline = Instant::now() + config.startup_timeout;
    let mut launches = 1;
    let (launched, recorder, session, sockets) = loop {
        let mut launched = launch::launch(&spec, &runtime_dir)?;
        let pid = launched.pid.map_or("?".to_string(), |pid| pid.to_string());
        let recorder = Recorder::open(
            capture,
            Hop::Kernel,
            "wirebook".into(),
            format!("{} (pid {pid})", spec.spec.display_name),
            launched.connection.describe(),
        );
        let session = JupyterClient::random_session();
        let connecting = tokio::time::timeout_at(
            deadline,
            connect(&launched.connection, &session, config.startup_timeout),
        );
        let attempt = tokio::select! {
            sockets = connecting => match sockets {
                Ok(Ok(sockets)) => Attempt::Connected(sockets),
                Ok(Err(problem)) => Attempt::Refused(problem),
                Err(_) => Attempt::Refused(ports_not_open(config.startup_timeout)),
            },
            status = launched.child.wait() => Attempt::Exited(status.map_err(|e| e.to_string())?),
            () = shutdown.triggered() => Attempt::Refused("the server is shutting down".into()),
        };
        // What the user is told, what the capture says of the launch, and whether another
        // program took one of its ports.
        let (message, reason, lost) = match attempt {
            Attempt::Connected(sockets) => break (launched, recorder, session, sockets),
            Attempt::Exited(status) => {
                let message = before_handshake(&spec, &launched, status).await;
                let lost = launch::lost_a_port(&message);
                (message, exit_reason(status), lost)
            }
            Attempt::Refused(problem) => {
                let _ = launched.child.start_kill();
                let _ = launched.child.wait().await;
                let mut message = format!("cannot connect to the kernel {name}: {problem}");
                let output = launched.output.text();
                if !output.is_empty() {
                    message.push_str(". Its last output: ");
                    message.push_str(&output);
                }
                let lost = launch::lost_a_port(&problem);
                (message, format!("the kernel was killed: {problem}"), lost)
            }
        };
        // The free ports were picked by binding and releasing them, and another program can
        // take one before the kernel binds it: then the kernel is launched again on new ones,
        // as Jupyter's restarter does before a kernel is alive.
        if lost && launches < LAUNCHES && Instant::now() < deadline {
            recorder.finish(format!("{reason}; {RELAUNCHED}"));
            launches += 1;
            tracing::info!(kernel = %spec.name, launches, "{RELAUNCHED}");
            continue;
        }
        recorder.finish(reason);
        return Err(message);
    };
    let connection = launched.connection.clone();
    let (incoming_tx, incoming) = mpsc::channel(256);
    let mut tasks = vec![
        read(sockets.shell_recv, Channel::Shell, incoming_tx.clone()),
        read(sockets.control_recv, Channel::Control, incoming_tx.clone()),
        read(sockets.stdin_recv, Channel::Stdin, incoming_tx.clone()),
        read(sockets.iopub, Channel::Iopub, incoming_tx),
    ];
    tasks.push(tokio::spawn(super::heartbeat::beat(
        connection.endpoint(connection.hb),
        recorder.clone(),
    )));
    Ok(Kernel {
        dispatch: Dispatch::new(JupyterClient::new(session), events.clone()),
        wire: ZmqWire {
            shell: sockets.shell,
            control: sockets.control,
            stdin: sockets.stdin,
            signer: Signer::new(&connection.key),
            recorder: recorder.clone(),
            preview: capture.preview_bytes(),
            spec_check: SpecCheck::default(),
            by_message: spec.interrupt_by_message(),
            pid: launched.pid,
        },
        spec,
        launched,
        recorder,
        incoming,
        tasks,
        exited: None,
        deadline,
    })
}

/// How one launch's wait for its sockets ended.
enum Attempt {
    Connected(Sockets),
    /// The sockets could not be connected (or the wait was cut short): why.
    Refused(String),
    /// The kernel exited first.
    Exited(std::process::ExitStatus),
}

struct Sockets {
    shell: DealerSendHalf,
    shell_recv: zeromq::DealerRecvHalf,
    control: DealerSendHalf,
    control_recv: zeromq::DealerRecvHalf,
    stdin: DealerSendHalf,
    stdin_recv: zeromq::DealerRecvHalf,
    iopub: SubSocket,
}

/// Connects the four message sockets (zeromq retries until the kernel has bound its ports).
async fn connect(
    connection: &launch::Connection,
    session: &str,
    timeout: Duration,
) -> Result<Sockets, String> {
    let identity = PeerIdentity::try_from(format!("wirebook-{session}").into_bytes())
        .map_err(|e| format!("bad socket identity: {e}"))?;
    let options = || {
        let mut options = SocketOptions::default();
        options
            .peer_identity(identity.clone())
            .connect_timeout(timeout);
        options
    };
    let dealer = |port: u16| {
        let endpoint = connection.endpoint(port);
        let mut socket = DealerSocket::with_options(options());
        async move {
            socket
                .connect(&endpoint)
                .await
                .map_err(|e| connect_failed(&endpoint, e, timeout))?;
            Ok::<_, String>(socket.split())
        }
    };
    let mut options_sub = SocketOptions::default();
    options_sub.connect_timeout(timeout);
    let mut iopub = SubSocket::with_options(options_sub);
    iopub
        .subscribe("")
        .await
        .map_err(|e| format!("subscribing to iopub failed: {e}"))?;
    let iopub_endpoint = connection.endpoint(connection.iopub);
    let ((shell, shell_recv), (control, control_recv), (stdin, stdin_recv), ()) = tokio::try_join!(
        dealer(connection.shell),
        dealer(connection.control),
        dealer(connection.stdin),
        async {
            iopub
                .connect(&iopub_endpoint)
                .await
                .map_err(|e| connect_failed(&iopub_endpoint, e, timeout))
        },
    )?;
    Ok(Sockets {
        shell,
        shell_recv,
        control,
        control_recv,
        stdin,
        stdin_recv,
        iopub,
    })
}

/// What the user is told when the kernel's ports did not open in time.
fn ports_not_open(timeout: Duration) -> String {
    format!("the kernel did not open its ports within {timeout:?} (--kernel-startup-timeout)")
}

/// A socket's connect that failed. zeromq's own connect timeout is as long as the startup
/// timeout, started a moment after the launch's deadline was set: under load both can fire in
/// one turn, and either way the user is told the same thing.
fn connect_failed(endpoint: &str, error: zeromq::ZmqError, timeout: Duration) -> String {
    match error {
        zeromq::ZmqError::ConnectTimeout(_) => ports_not_open(timeout),
        error => format!("connecting to {endpoint} failed: {error}"),
    }
}

/// Forwards a socket's messages until it fails or the link is gone.
fn read<S>(mut socket: S, channel: Channel, out: mpsc::Sender<Incoming>) -> JoinHandle<()>
where
    S: SocketRecv + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match socket.recv().await {
                Ok(message) => {
                    if out.send((channel, message)).await.is_err() {
                        return;
                    }
                }
                Err(error) => {
                    tracing::debug!(channel = channel.name(), %error, "kernel socket ended");
                    return;
                }
            }
        }
    })
}

/// The error for a process that exited before the handshake, with its last output.
async fn before_handshake(
    spec: &FoundSpec,
    launched: &Launched,
    status: std::process::ExitStatus,
) -> String {
    // The output readers may still be draining the pipes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut message = format!(
        "the kernel {} exited with {} before answering kernel_info",
        spec.name,
        describe_status(status)
    );
    let output = launched.output.text();
    if !output.is_empty() {
        message.push_str(": ");
        message.push_str(&output);
    }
    message
}

fn describe_status(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("status {code}"),
        None => "an unknown status".into(),
    }
}

fn exit_reason(status: std::process::ExitStatus) -> String {
    format!("the kernel process exited with {}", describe_status(status))
}

/// A dead kernel's `Closed` reason, with the requests it left unanswered (the first few).
fn died_with(reason: String, unanswered: &[String]) -> String {
    const SHOWN: usize = 3;
    if unanswered.is_empty() {
        return reason;
    }
    let mut said = format!(
        "{reason}; left unanswered: {}",
        unanswered[..unanswered.len().min(SHOWN)].join("; ")
    );
    if unanswered.len() > SHOWN {
        said.push_str(&format!(" and {} more", unanswered.len() - SHOWN));
    }
    said
}

/// How the running phase ended.
enum Ending {
    /// The process exited by itself.
    Died(std::process::ExitStatus),
    /// The session dropped the link.
    SessionEnded,
    ServerShutdown,
    /// No `kernel_info_reply` in time.
    Timeout(Duration),
    /// The process exited before the handshake; the message says how, with its output.
    NeverStarted(String),
}

impl Kernel {
    /// The handshake, then the relay; returns the terminal state.
    async fn run(
        &mut self,
        queue: &mut mpsc::Receiver<LinkCommand>,
        startup_timeout: Duration,
        report: &StateReport,
        shutdown: &Shutdown,
    ) -> KernelState {
        let ending = self
            .run_phases(queue, startup_timeout, report, shutdown)
            .await;
        match ending {
            Ending::Died(status) => {
                self.exited = Some(status);
                self.recorder.finish(died_with(
                    exit_reason(status),
                    &self.wire.spec_check.unanswered(),
                ));
                tokio::time::sleep(Duration::from_millis(50)).await;
                let mut message = format!(
                    "the kernel died (exit {}); run a cell or restart to start a new one",
                    describe_status(status)
                );
                let output = self.launched.output.text();
                if !output.is_empty() {
                    message.push_str(". Its last output: ");
                    message.push_str(&output);
                }
                KernelState::Failed { message }
            }
            Ending::NeverStarted(message) => KernelState::Failed { message },
            Ending::SessionEnded => KernelState::Closed {
                code: None,
                reason: "the kernel was shut down: the session let it go".into(),
            },
            Ending::ServerShutdown => KernelState::Closed {
                code: None,
                reason: "the kernel was shut down: the server is shutting down".into(),
            },
            Ending::Timeout(timeout) => {
                let mut message = format!(
                    "the kernel {} did not answer kernel_info within {timeout:?}",
                    self.spec.name
                );
                let output = self.launched.output.text();
                if !output.is_empty() {
                    message.push_str(": ");
                    message.push_str(&output);
                }
                self.recorder.finish("no kernel_info_reply in time; killed");
                KernelState::Failed { message }
            }
        }
    }

    async fn run_phases(
        &mut self,
        queue: &mut mpsc::Receiver<LinkCommand>,
        startup_timeout: Duration,
        report: &StateReport,
        shutdown: &Shutdown,
    ) -> Ending {
        // Handshake: kernel_info_request until the reply came and iopub delivered something.
        let deadline = self.deadline;
        let mut probe_at = Instant::now();
        let mut probe_id: Option<String> = None;
        let mut replied = false;
        let mut iopub_seen = false;
        let mut waiting: Vec<LinkCommand> = Vec::new();
        while !(replied && iopub_seen) {
            tokio::select! {
                status = self.launched.child.wait() => {
                    let status = status.unwrap_or_default();
                    self.exited = Some(status);
                    self.recorder.finish(exit_reason(status));
                    let message = before_handshake(&self.spec, &self.launched, status).await;
                    return Ending::NeverStarted(message);
                }
                () = tokio::time::sleep_until(deadline) => return Ending::Timeout(startup_timeout),
                () = tokio::time::sleep_until(probe_at), if !replied || !iopub_seen => {
                    let request = self.dispatch.client.kernel_info_request();
                    probe_id = Some(request.msg_id().to_string());
                    replied = false;
                    let _ = self.wire.send(&request, None).await;
                    probe_at = Instant::now() + PROBE_INTERVAL;
                }
                () = shutdown.triggered() => return Ending::ServerShutdown,
                command = queue.recv() => match command {
                    Some(command) => waiting.push(command),
                    None => return Ending::SessionEnded,
                },
                Some((channel, message)) = self.incoming.recv() => {
                    let parent = self.wire.receive(channel, message, &mut self.dispatch).await;
                    match channel {
                        Channel::Iopub => iopub_seen = true,
                        Channel::Shell if parent.is_some() && parent == probe_id => replied = true,
                        _ => {}
                    }
                }
            }
        }
        report.send(KernelState::open()).await;
        let mut relay = ZmqRelay {
            wire: &mut self.wire,
            child: &mut self.launched.child,
            incoming: &mut self.incoming,
        };
        for command in waiting {
            // A failed send ends only that message (the session was told).
            let _ = self.dispatch.command(&mut relay, command).await;
        }
        match self.dispatch.relay(&mut relay, queue, shutdown).await {
            Relayed::Transport(status) => Ending::Died(status),
            Relayed::SessionEnded => Ending::SessionEnded,
            Relayed::ServerShutdown => Ending::ServerShutdown,
        }
    }

    /// Ends the kernel: `shutdown_request` and a grace period, then kill. The connection file
    /// goes with `Launched`.
    async fn stop(&mut self) {
        if self.exited.is_none() {
            let request = self.dispatch.client.shutdown_request(false);
            let _ = self.wire.send(&request, None).await;
            let waited = tokio::time::timeout(SHUTDOWN_GRACE, self.launched.child.wait()).await;
            let reason = match waited {
                Ok(Ok(status)) => format!("shut down; {}", exit_reason(status)),
                _ => {
                    let _ = self.launched.child.start_kill();
                    let _ = self.launched.child.wait().await;
                    format!("the kernel did not exit within {SHUTDOWN_GRACE:?} of shutdown_request; killed")
                }
            };
            self.recorder.finish(reason);
        }
        if let Some(pid) = self.launched.pid {
            launch::kill_group(pid).await;
        }
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The kernel's sending sockets: shell, control and stdin, one identity. Every message is
/// signed and recorded with its wire parts before it goes.
struct ZmqWire {
    shell: DealerSendHalf,
    control: DealerSendHalf,
    stdin: DealerSendHalf,
    signer: Signer,
    recorder: Recorder,
    preview: usize,
    /// This kernel's messages, both ways, against the messaging spec.
    spec_check: SpecCheck,
    /// The kernelspec's `interrupt_mode` is `message`.
    by_message: bool,
    /// The process group SIGINT goes to otherwise.
    pid: Option<u32>,
}

impl ZmqWire {
    /// Signs, records and sends one message on its channel's socket.
    async fn send(&mut self, outgoing: &Outgoing, caused_by: Option<u64>) -> Result<(), String> {
        let channel = outgoing.channel;
        let frames = wire::frames(outgoing, &self.signer);
        let record = wire::sent(
            channel,
            &frames,
            &self.signer,
            self.preview,
            caused_by,
            &mut self.spec_check,
        );
        self.recorder
            .record(CaptureBody::KernelMessage(Box::new(record)));
        let mut parts = frames.into_iter();
        let mut message = ZmqMessage::from(parts.next().unwrap_or_default());
        for part in parts {
            message.push_back(part.into());
        }
        let socket = match channel {
            Channel::Shell => &mut self.shell,
            Channel::Control => &mut self.control,
            Channel::Stdin => &mut self.stdin,
            Channel::Iopub | Channel::Heartbeat => {
                return Err(format!("cannot send on {}", channel.name()))
            }
        };
        match tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(format!(
                "sending {} on {} failed: {error}",
                outgoing.msg_type(),
                channel.name()
            )),
            Err(_) => Err(format!(
                "sending {} on {} took longer than {SEND_TIMEOUT:?}",
                outgoing.msg_type(),
                channel.name()
            )),
        }
    }

    /// SIGINT to the kernel's process group.
    async fn interrupt(&mut self) -> Result<(), String> {
        match self.pid {
            Some(pid) => launch::interrupt(pid).await,
            None => Err("the kernel process has no pid any more".into()),
        }
    }

    /// Records one message from the kernel and gives `dispatch` its events; returns its
    /// parent's msg_id.
    async fn receive(
        &mut self,
        channel: Channel,
        message: ZmqMessage,
        dispatch: &mut Dispatch,
    ) -> Option<String> {
        let parts = message.into_vec();
        let frames: Vec<&[u8]> = parts.iter().map(|part| &part[..]).collect();
        let received = wire::received(
            channel,
            &frames,
            &self.signer,
            self.preview,
            &mut self.spec_check,
        );
        let parent = received.record.parent_msg_id.clone();
        let seq = self
            .recorder
            .record(CaptureBody::KernelMessage(Box::new(received.record)));
        let split = received.split;
        if let Some(why) = received.refused {
            let events = dispatch
                .client
                .on_refused(&split.header, &split.parent_header, why);
            dispatch.emit_all(events).await;
            return None;
        }
        let events = dispatch.client.on_message(
            channel,
            &split.header,
            &split.parent_header,
            &split.metadata,
            &split.content,
            seq,
        );
        dispatch.emit_all(events).await;
        parent
    }
}

/// An open kernel as the relay sees it: the sockets, the process (its exit ends the relay)
/// and what the reader tasks forward.
struct ZmqRelay<'a> {
    wire: &'a mut ZmqWire,
    child: &'a mut tokio::process::Child,
    incoming: &'a mut mpsc::Receiver<Incoming>,
}

impl Transport for ZmqRelay<'_> {
    type Seen = Incoming;
    /// The process exited.
    type End = std::process::ExitStatus;

    async fn next(&mut self) -> Result<Incoming, std::process::ExitStatus> {
        tokio::select! {
            status = self.child.wait() => Err(status.unwrap_or_default()),
            Some(incoming) = self.incoming.recv() => Ok(incoming),
        }
    }

    async fn handle(
        &mut self,
        (channel, message): Incoming,
        dispatch: &mut Dispatch,
    ) -> Result<(), std::process::ExitStatus> {
        self.wire.receive(channel, message, dispatch).await;
        Ok(())
    }

    fn send_failed(&mut self, _why: String) -> Option<std::process::ExitStatus> {
        // The sockets stay: a kernel that died says so by its exit.
        None
    }

    async fn send(&mut self, outgoing: &Outgoing, caused_by: Option<u64>) -> Result<(), String> {
        self.wire.send(outgoing, caused_by).await
    }

    fn interrupts_by_message(&self) -> bool {
        self.wire.by_message
    }

    async fn interrupt(&mut self) -> Result<(), String> {
        self.wire.interrupt().await
    }
}
