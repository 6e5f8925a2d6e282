//! `/session`: one browser's WebSocket, speaking the session protocol of `wirebook_shared`.
//!
//! Two tasks per browser: the *writer* owns the socket's sending half and sends, in order,
//! `Hello`, the capture backlog, then whatever the session queues plus live capture batches;
//! the *reader* (this module's [`run`]) reads the browser, drives the session's kernel link and
//! decides when to close. The byte tap records everything on the socket on the browser hop
//! except the capture batches themselves (recording the inspector's own feed would record
//! itself forever): the writer tags each data message it sends ([`Tag`]), so the tap skips
//! capture batches and links each `Output` to the kernel record it relays.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::{
    ClientMsg, Hop, KernelChoice, KernelInfo, KernelOffer, ServerMsg, PROTOCOL_VERSION,
};

use crate::auth;
use crate::capture::recorder::Recorder;
use crate::capture::ring::{Capture, Feed};
use crate::capture::tap::TapConnectInfo;
use crate::capture::trace::{Links, Tag};
use crate::kernel::catalog::KernelCatalog;
use crate::kernel::{Execute, KernelEvent, KernelLink, LinkCommand, NotQueued};
use crate::shutdown::Shutdown;
use crate::state::App;
use crate::websocket::close::{
    drain, protocol_failure, shutting_down, sleep_until, too_big, CLOSE_GRACE,
};
use crate::websocket::upgrade::{self, Capturing};

/// Capture records per `ServerMsg::Capture` message: a large backlog goes out in pieces.
pub const CAPTURE_BATCH: usize = 256;

/// What a session needs from the server.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub capture: Arc<Capture>,
    pub kernels: Arc<KernelCatalog>,
    /// Random per server process (see `ServerMsg::Hello`).
    pub instance: String,
    /// The capture memory a new session's backlog may take (see [`crate::config::BACKLOG_BYTES`]).
    pub backlog_bytes: usize,
    pub shutdown: Shutdown,
}

/// What the reader asks the writer to send.
#[derive(Debug)]
enum Outgoing {
    Msg {
        /// Boxed: a message is much larger than a close frame.
        msg: Box<ServerMsg>,
        caused_by: Option<u64>,
    },
    /// Our own close frame; the writer sends nothing after it.
    Close(CloseFrame),
}

type Sink<S> = SplitSink<WebSocketStream<S>, Message>;
type Source<S> = SplitStream<WebSocketStream<S>>;

/// Runs one browser session until the socket closes. `recorder` is the socket's capture (the
/// session says how it ended there); `links` connect the session to the socket's byte tap.
pub async fn run<S>(
    socket: WebSocketStream<S>,
    recorder: Recorder,
    links: Arc<Links>,
    ctx: SessionContext,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    links.track_received();
    tracing::info!(conn = recorder.conn(), "session opened");
    let hello = ServerMsg::Hello {
        protocol: PROTOCOL_VERSION,
        server_version: env!("CARGO_PKG_VERSION").to_string(),
        instance: ctx.instance.clone(),
        session_conn: recorder.conn(),
        kernel: ctx.kernels.startup.info.clone(),
    };
    let info = ctx.kernels.startup.info.clone();
    let (sink, mut source) = socket.split();
    let (out, out_queue) = mpsc::channel(64);
    let backlog = ctx.capture.subscribe_recent(ctx.backlog_bytes);
    let mut writer = tokio::spawn(write(
        sink,
        out_queue,
        Arc::clone(&links),
        backlog,
        ctx.capture.watch_paused(),
        hello,
    ));
    let (events_tx, events) = mpsc::channel(64);
    let mut session = Session {
        ctx,
        links,
        out,
        events_tx,
        events,
        kernel: None,
        info,
        offers: Vec::new(),
        next_link: 1,
        executions: 0,
        current_cell: None,
        closing: None,
    };
    session.list_kernels().await;
    session.start_kernel();
    let end = session.read(&mut source).await;
    // Dropping the link closes the kernel connection; dropping `out` lets the writer finish.
    drop(session);
    let sink = match tokio::time::timeout(CLOSE_GRACE, &mut writer).await {
        Ok(Ok(sink)) => Some(sink),
        Ok(Err(error)) => {
            tracing::error!(%error, "session writer failed");
            None
        }
        Err(_) => {
            tracing::warn!("session writer did not finish; dropping the socket");
            writer.abort();
            None
        }
    };
    if end.drain {
        if let Some(mut socket) = sink.and_then(|sink| source.reunite(sink).ok()) {
            drain(socket.get_mut()).await;
        }
    }
    tracing::info!(conn = recorder.conn(), reason = %end.reason, "session closed");
    recorder.finish(end.reason);
}

/// How the reader ended.
struct End {
    reason: String,
    /// The browser sent a message over the limit or broke the protocol: the codec stopped
    /// mid-frame, our close frame is out, and the socket is drained before it is dropped.
    drain: bool,
}

impl End {
    fn new(reason: impl Into<String>) -> Self {
        End {
            reason: reason.into(),
            drain: false,
        }
    }
}

struct Session {
    ctx: SessionContext,
    /// The browser socket's tap: which record each received data message is.
    links: Arc<Links>,
    out: mpsc::Sender<Outgoing>,
    /// Kept so each new kernel link can report on the same channel.
    events_tx: mpsc::Sender<KernelEvent>,
    events: mpsc::Receiver<KernelEvent>,
    kernel: Option<KernelLink>,
    /// The kernel this session uses (and restarts).
    info: KernelInfo,
    /// The picker's entries as last listed.
    offers: Vec<KernelOffer>,
    next_link: u64,
    executions: u32,
    /// The cell that ran last: kernel messages are its output.
    current_cell: Option<String>,
    /// Set once a close frame went out or came in: then we only wait for the end.
    closing: Option<Instant>,
}

impl Session {
    async fn read<S>(&mut self, source: &mut Source<S>) -> End
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut closed_by = "the browser hung up";
        loop {
            let deadline = self.closing;
            let shutdown = self.ctx.shutdown.clone();
            tokio::select! {
                () = shutdown.triggered(), if deadline.is_none() => {
                    closed_by = "server shutting down";
                    self.close(shutting_down()).await;
                }
                () = sleep_until(deadline), if deadline.is_some() => {
                    return End::new(format!("{closed_by}; the browser did not finish the close handshake"));
                }
                Some(event) = self.events.recv() => self.on_kernel(event).await,
                next = source.next() => {
                    let message = match next {
                        None => return End::new(closed_by),
                        Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                            tracing::warn!(size, max_size, "browser message over the limit");
                            self.close(too_big(size, max_size)).await;
                            return End {
                                reason: format!("the browser sent a {size}-byte message; the limit is {max_size}"),
                                drain: true,
                            };
                        }
                        Some(Err(error)) => {
                            if let Some(frame) = protocol_failure(&error) {
                                tracing::warn!(%error, "the browser broke the protocol");
                                let code = u16::from(frame.code);
                                self.close(frame).await;
                                return End {
                                    reason: format!("the browser broke the protocol: {error}; closed with {code}"),
                                    drain: true,
                                };
                            }
                            tracing::info!(%error, "session socket failed");
                            return End::new(format!("connection failed: {error}"));
                        }
                        Some(Ok(message)) => message,
                    };
                    // Every data message has a record (or `None`): take it, in order.
                    let seq = match message {
                        Message::Text(_) | Message::Binary(_) => self.links.received_seq(),
                        _ => None,
                    };
                    match message {
                        Message::Text(text) if self.closing.is_none() => match ClientMsg::parse(&text) {
                            Ok(ClientMsg::Execute { cell_id, code, format }) => self.execute(cell_id, code, format, seq).await,
                            Ok(ClientMsg::SetCapturePaused { paused }) => {
                                // Every session's writer announces a change; an unchanged state
                                // is confirmed to this session only.
                                if !self.ctx.capture.set_paused(paused) {
                                    self.send(ServerMsg::CapturePaused { paused }, None).await;
                                }
                            }
                            Ok(ClientMsg::RestartKernel) => self.restart_kernel(),
                            Ok(ClientMsg::SetKernel { kernel }) => self.set_kernel(kernel).await,
                            Ok(ClientMsg::InterruptKernel) => self.command(LinkCommand::Interrupt).await,
                            Ok(ClientMsg::SetGateway { url, token }) => self.set_gateway(url, token).await,
                            Ok(ClientMsg::InputReply { value }) => {
                                self.command(LinkCommand::InputReply { value }).await;
                            }
                            Ok(ClientMsg::SendKernelMessage { channel, msg_type, content }) => {
                                let caused_by = seq;
                                self.command(LinkCommand::Send { channel, msg_type, content, caused_by }).await;
                            }
                            Err(message) => self.error(message, None).await,
                        },
                        Message::Binary(bytes) if self.closing.is_none() => {
                            let message = format!(
                                "the session protocol is JSON text; a {}-byte binary message was ignored",
                                bytes.len()
                            );
                            self.error(message, None).await;
                        }
                        // tungstenite queued the pong itself and the next read flushes it; a
                        // second pong from the writer task would go out as well.
                        // The answer to our own close needs no reply.
                        Message::Close(_) if self.closing.is_none() => {
                            closed_by = "closed by the browser";
                            self.closing = Some(Instant::now() + CLOSE_GRACE);
                            // tungstenite queued the reply; the next read flushes it.
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    async fn close(&mut self, frame: CloseFrame) {
        self.closing = Some(Instant::now() + CLOSE_GRACE);
        // Never wait here: a writer stuck on a browser that does not read would hold the
        // session open past its deadline. Without room, the deadline ends the connection.
        if self.out.try_send(Outgoing::Close(frame)).is_err() {
            tracing::warn!("session writer is congested; closing without a close frame");
        }
    }

    async fn queue(&self, outgoing: Outgoing) {
        // Waiting for room is the backpressure on a slow browser, but not past shutdown. A
        // send fails only when the writer is gone, and then the reader is about to end too.
        tokio::select! {
            _ = self.out.send(outgoing) => {}
            () = self.ctx.shutdown.triggered() => {}
        }
    }

    async fn send(&self, msg: ServerMsg, caused_by: Option<u64>) {
        self.queue(Outgoing::Msg {
            msg: Box::new(msg),
            caused_by,
        })
        .await;
    }

    async fn error(&self, message: String, cell_id: Option<String>) {
        self.send(ServerMsg::Error { message, cell_id }, None).await;
    }

    fn start_kernel(&mut self) -> &KernelLink {
        let id = self.next_link;
        self.next_link += 1;
        let link = self.ctx.kernels.start(
            id,
            &self.info,
            Arc::clone(&self.ctx.capture),
            self.events_tx.clone(),
            &self.ctx.shutdown,
        );
        self.kernel.insert(link)
    }

    /// Lists the kernels for the picker; what could not be listed is reported as an error.
    async fn list_kernels(&mut self) {
        let offers = self.ctx.kernels.offers().await;
        self.offers = offers.kernels.clone();
        let gateway = self.ctx.kernels.gateway().map(|g| g.url.clone());
        self.send(
            ServerMsg::Kernels {
                kernels: offers.kernels,
                gateway,
            },
            None,
        )
        .await;
        for problem in offers.problems {
            self.error(problem, None).await;
        }
    }

    /// Offers another Jupyter Server's kernels (or none), then lists the kernels again.
    async fn set_gateway(&mut self, url: Option<String>, token: Option<String>) {
        match self.ctx.kernels.set_gateway(url.as_deref(), token) {
            Ok(()) => self.list_kernels().await,
            Err(message) => {
                self.error(format!("cannot use that gateway: {message}"), None)
                    .await;
            }
        }
    }

    /// Switches kernels: the old link is dropped (its kernel shut down), the new one starts.
    async fn set_kernel(&mut self, choice: KernelChoice) {
        self.list_kernels().await;
        match self.ctx.kernels.info(&choice, &self.offers) {
            Ok(info) => {
                self.info = info.clone();
                let kernel = without_secret_values(info);
                self.send(ServerMsg::KernelSelected { kernel }, None).await;
                self.restart_kernel();
            }
            Err(message) => {
                self.error(format!("cannot use that kernel: {message}"), None)
                    .await;
            }
        }
    }

    /// Hands a command other than Execute to the kernel link.
    async fn command(&mut self, command: LinkCommand) {
        let Some(link) = &self.kernel else {
            self.error(
                "no kernel is running: run a cell or restart to start one".into(),
                None,
            )
            .await;
            return;
        };
        if link.command(command).is_err() {
            self.error(
                "the kernel is not taking commands now (ended or too busy)".into(),
                None,
            )
            .await;
        }
    }

    /// Replaces the kernel connection, as Jupyter's restart does: the old link is dropped
    /// (which closes it; its late state reports carry its id and are ignored) and a new one
    /// reports Connecting → Open. Counts start again at 1, and nothing the old connection
    /// still sends is attributed to a cell.
    fn restart_kernel(&mut self) {
        self.kernel = None;
        self.current_cell = None;
        self.executions = 0;
        self.start_kernel();
    }

    /// Sends a cell's code to the kernel, (re)connecting first if the link has ended. `seq` is
    /// the record of the browser's message.
    async fn execute(
        &mut self,
        cell_id: String,
        code: String,
        format: CellFormat,
        seq: Option<u64>,
    ) {
        let mut execute = Execute {
            cell_id,
            code,
            format,
            caused_by: seq,
        };
        // A link that ended under us is replaced once; a new link always has room.
        for _ in 0..2 {
            let link = match self.kernel.take() {
                Some(link) => self.kernel.insert(link),
                None => self.start_kernel(),
            };
            match link.execute(execute) {
                Ok(()) => return,
                Err(NotQueued::Busy(rejected)) => {
                    let message =
                        "the kernel is not keeping up: too many cells are waiting to be sent";
                    self.error(message.into(), Some(rejected.cell_id)).await;
                    return;
                }
                Err(NotQueued::Ended(rejected)) => {
                    self.kernel = None;
                    execute = rejected;
                }
            }
        }
        self.error("could not reach the kernel".into(), Some(execute.cell_id))
            .await;
    }

    async fn on_kernel(&mut self, event: KernelEvent) {
        match event {
            KernelEvent::State { link, ref state } => {
                // States of a link this session already replaced would confuse the browser.
                if self.kernel.as_ref().map(KernelLink::id) != Some(link) {
                    return;
                }
                if event.is_terminal() {
                    self.kernel = None;
                }
                self.send(
                    ServerMsg::Kernel {
                        state: state.clone(),
                    },
                    None,
                )
                .await;
            }
            KernelEvent::Sent { cell_id } => {
                self.executions += 1;
                self.current_cell = Some(cell_id.clone());
                self.send(
                    ServerMsg::Executed {
                        cell_id,
                        execution_count: self.executions,
                    },
                    None,
                )
                .await;
            }
            KernelEvent::RunFailed { cell_id, message } => {
                self.error(message, Some(cell_id)).await;
            }
            KernelEvent::Executed {
                cell_id,
                execution_count,
            } => {
                self.send(
                    ServerMsg::Executed {
                        cell_id,
                        execution_count,
                    },
                    None,
                )
                .await;
            }
            KernelEvent::Message { message, seq } => {
                self.send(ServerMsg::KernelMessage(message), seq).await;
            }
            KernelEvent::MessageSent {
                channel,
                msg_type,
                msg_id,
            } => {
                let msg = ServerMsg::KernelMessageSent {
                    channel,
                    msg_type,
                    msg_id,
                };
                self.send(msg, None).await;
            }
            KernelEvent::Refused { cell_id, message } => self.error(message, cell_id).await,
            KernelEvent::Received { data, seq } => match &self.current_cell {
                Some(cell_id) => {
                    let msg = ServerMsg::Output {
                        cell_id: cell_id.clone(),
                        data,
                    };
                    self.send(msg, seq).await;
                }
                // Nothing ran yet: the message is in the capture, but belongs to no cell.
                None => tracing::debug!(?seq, "kernel message before any execute"),
            },
        }
    }
}

/// What the browser is told it uses: the values of secret headers stay with the browser that
/// sent them (they would otherwise cross the wire again and land in the capture).
fn without_secret_values(mut info: KernelInfo) -> KernelInfo {
    if let KernelChoice::WebSocket { settings, .. } = &mut info.choice {
        for header in settings.headers.iter_mut().filter(|h| h.secret) {
            header.value.clear();
        }
    }
    info
}

/// The writer task: `Hello`, whether the capture is paused, the capture backlog, then queued
/// messages, live capture and pause changes. Returns the sending half so the reader can
/// reunite the socket if it must drain it.
async fn write<S>(
    mut sink: Sink<S>,
    mut queue: mpsc::Receiver<Outgoing>,
    links: Arc<Links>,
    (mut feed, older): (Feed, u64),
    mut paused: watch::Receiver<bool>,
    hello: ServerMsg,
) -> Sink<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let result: Result<(), WsError> = async {
        send(&mut sink, &links, hello, None).await?;
        let now = *paused.borrow_and_update();
        send(&mut sink, &links, ServerMsg::CapturePaused { paused: now }, None).await?;
        // The first batch says how many older records were left out of the backlog.
        let first = feed.try_batch(CAPTURE_BATCH).unwrap_or(crate::capture::ring::Batch {
            records: Vec::new(),
            evicted: 0,
        });
        if !first.records.is_empty() || first.evicted > 0 || older > 0 {
            send_capture(&mut sink, &links, first, older).await?;
        }
        // The rest of the backlog goes out a batch at a time between the session's own
        // messages, which come first: a kernel's state does not wait behind 32 MiB of records.
        loop {
            tokio::select! {
                biased;
                outgoing = queue.recv() => match outgoing {
                    None => return Ok(()),
                    Some(Outgoing::Msg { msg, caused_by }) => {
                        send(&mut sink, &links, *msg, caused_by).await?;
                    }
                    Some(Outgoing::Close(frame)) => {
                        sink.send(Message::Close(Some(frame))).await?;
                        return Ok(());
                    }
                },
                Ok(()) = paused.changed() => {
                    let now = *paused.borrow_and_update();
                    send(&mut sink, &links, ServerMsg::CapturePaused { paused: now }, None).await?;
                }
                batch = feed.next_batch(CAPTURE_BATCH) => send_capture(&mut sink, &links, batch, 0).await?,
            }
        }
    }
    .await;
    if let Err(error) = result {
        // After the browser's close frame tungstenite refuses sends: that is the normal end.
        tracing::debug!(%error, "session writer stopped");
    }
    sink
}

/// Sends a session message; the tap records it, relaying `caused_by` if given.
async fn send<S>(
    sink: &mut Sink<S>,
    links: &Links,
    msg: ServerMsg,
    caused_by: Option<u64>,
) -> Result<(), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    links.tag_next(caused_by.map_or(Tag::Plain, Tag::CausedBy));
    sink.send(Message::text(msg.to_json())).await
}

/// Capture batches are the one thing on the socket that is not recorded.
async fn send_capture<S>(
    sink: &mut Sink<S>,
    links: &Links,
    batch: crate::capture::ring::Batch,
    older: u64,
) -> Result<(), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let msg = ServerMsg::Capture {
        records: batch.records,
        evicted: batch.evicted,
        older,
    };
    links.tag_next(Tag::Skip);
    sink.send(Message::text(msg.to_json())).await
}
/// `GET /session`: checks the token and the Origin, then upgrades and runs the session.
pub async fn socket(
    State(app): State<App>,
    ConnectInfo(connection): ConnectInfo<TapConnectInfo>,
    request: Request,
) -> Response {
    let config = &app.config;
    if auth::check_token(&config.token, request.uri().query(), request.headers()).is_none() {
        return (
            StatusCode::FORBIDDEN,
            "missing or wrong token: open the URL that wirebook printed\n",
        )
            .into_response();
    }
    if !auth::origin_allowed(request.headers(), &config.admission.allow_origins) {
        tracing::warn!(origin = ?request.headers().get("origin"), "refused /session from a foreign origin");
        return (
            StatusCode::FORBIDDEN,
            "this page's origin may not open wirebook's session (see --allow-origin)\n",
        )
            .into_response();
    }
    let ctx = SessionContext {
        capture: Arc::clone(&app.capture),
        kernels: Arc::clone(&app.kernels),
        instance: app.instance.clone(),
        backlog_bytes: config.capture.session_backlog,
        shutdown: app.shutdown.child(),
    };
    let capturing = Capturing {
        capture: &app.capture,
        hop: Hop::Browser,
        connection: &connection,
    };
    upgrade::accept(
        request,
        config.websocket.codec(),
        &app.shutdown,
        capturing,
        move |accepted| run(accepted.socket, accepted.recorder, accepted.links, ctx),
    )
}
