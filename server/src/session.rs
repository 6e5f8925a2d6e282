//! `/session`: one browser's WebSocket, speaking the session protocol of `wirebook_shared`.
//!
//! Two tasks per browser: the *writer* owns the socket's sending half and sends, in order,
//! `Hello`, the newest page of the capture, then whatever the session queues plus live capture batches;
//! the *reader* (this module's [`run`]) reads the browser, hands kernel commands to the
//! session's kernel host (`kernel::kept`: the kernel of the key the browser named, kept after
//! the page goes, or a private one), relays what the host says, and decides when to close. The byte tap records everything on the socket on the browser hop
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
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::kept_kernels::KernelKey;
use wirebook_shared::{ClientMsg, Hop, KernelOffer, ServerMsg, PROTOCOL_VERSION};

use crate::auth;
use crate::capture::fanout::{Delivery, Fanout};
use crate::capture::links::{Links, Tag};
use crate::capture::recorder::Recorder;
use crate::capture::ring::{Capture, Feed};
use crate::capture::tap::TapConnectInfo;
use crate::kernel::catalog::KernelCatalog;
use crate::kernel::kept::host::Attachment;
use crate::kernel::kept::{Joined, KeptKernels};
use crate::kernel::{Execute, LinkCommand};
use crate::shutdown::Shutdown;
use crate::state::App;
use crate::websocket::close::{
    drain, protocol_failure, shutting_down, sleep_until, too_big, CLOSE_GRACE,
};
use crate::websocket::upgrade::{self, Capturing};

/// Capture records per `ServerMsg::Capture` message: a large backlog goes out in pieces.
pub const CAPTURE_BATCH: usize = 256;

/// The capture a new session gets unasked: the newest records, some two screens of the
/// inspector's list at 1920×1080. The page is editable at once on any capture; older pages come
/// when the inspector scrolls up, or while its list does not fill its height
/// (`POST /api/capture/page`, `crate::capture_page`). Every record of this page is decoded
/// and fed to the inspector's columns before its newest rows show: 256 of them (a batch) took
/// those rows 6–12 % longer on a 100k capture than 96 (e2e/bench/open.mjs).
pub const FIRST_PAGE: usize = 96;

/// What a session needs from the server.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub capture: Arc<Capture>,
    /// The live capture, serialised once for every session.
    pub fanout: Arc<Fanout>,
    /// What the picker offers and what a choice means.
    pub kernels: Arc<KernelCatalog>,
    /// Every kernel host; the session attaches to the one of `key`.
    pub kept: Arc<KeptKernels>,
    /// The kernel the browser named (`None`: a private kernel that ends with the session).
    pub key: Option<KernelKey>,
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
    tracing::info!(conn = recorder.conn(), key = ?ctx.key, "session opened");
    let joined = ctx.kept.attach(ctx.key.clone()).await;
    let kernel = match &joined {
        Ok(joined) => joined.attached.info.clone(),
        Err(_) => ctx.kernels.startup.info.clone(),
    };
    let hello = ServerMsg::Hello {
        protocol: PROTOCOL_VERSION,
        server_version: env!("CARGO_PKG_VERSION").to_string(),
        instance: ctx.instance.clone(),
        session_conn: recorder.conn(),
        kernel,
    };
    let (sink, mut source) = socket.split();
    let (out, out_queue) = mpsc::channel(64);
    let backlog = ctx.capture.subscribe_recent(ctx.backlog_bytes, FIRST_PAGE);
    let mut writer = tokio::spawn(write(
        sink,
        out_queue,
        Arc::clone(&links),
        backlog,
        Arc::clone(&ctx.fanout),
        ctx.capture.watch_paused(),
        hello,
    ));
    let end = match joined {
        Ok(joined) => {
            let mut session = Session {
                ctx,
                links,
                out,
                attachment: None,
                kernel_id: 0,
                offers: Vec::new(),
                closing: None,
            };
            session.list_kernels().await;
            session.join(joined).await;
            let end = session.read(&mut source).await;
            // Dropping the attachment detaches from the kernel (a private one ends); dropping
            // `out` lets the writer finish.
            drop(session);
            end
        }
        Err(message) => {
            tracing::error!(%message, "session without a kernel");
            let frame = CloseFrame {
                code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Error,
                reason: "no kernel for this session".into(),
            };
            let error = ServerMsg::Error {
                message,
                cell_id: None,
            };
            let _ = out
                .send(Outgoing::Msg {
                    msg: Box::new(error),
                    caused_by: None,
                })
                .await;
            let _ = out.send(Outgoing::Close(frame)).await;
            drop(out);
            End::new("the session could not attach to a kernel")
        }
    };
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
    /// The session's hold on its kernel host (set by [`Session::join`]).
    attachment: Option<Attachment>,
    /// That kernel's id in the registry.
    kernel_id: u64,
    /// The picker's entries as last listed.
    offers: Vec<KernelOffer>,
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
                relay = relays(&mut self.attachment) => match relay {
                    Some(relay) => self.send(relay.msg, relay.caused_by).await,
                    // The host let go of this session: it fell behind while sharing its kernel
                    // (or the server is ending). The page reconnects and attaches again.
                    None => {
                        self.attachment = None;
                        if deadline.is_none() {
                            closed_by = "the session fell behind its kernel's output";
                            self.close(fell_behind()).await;
                        }
                    }
                },
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
                            Ok(ClientMsg::RestartKernel) => {
                                let restarted = match &self.attachment {
                                    Some(attachment) => attachment.restart().await,
                                    None => false,
                                };
                                if !restarted {
                                    self.kernel_gone(None).await;
                                }
                            }
                            Ok(ClientMsg::SetKernel { kernel }) => self.set_kernel(kernel).await,
                            Ok(ClientMsg::InterruptKernel) => self.command(LinkCommand::Interrupt).await,
                            Ok(ClientMsg::SetGateway { url, token }) => self.set_gateway(url, token).await,
                            Ok(ClientMsg::MoveKernel { notebook }) => self.move_kernel(&notebook).await,
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

    /// Takes the attachment and tells the browser what it joined: a notice, the kernel's
    /// state (a kernel kept from before is open already), then what it said meanwhile.
    async fn join(&mut self, joined: Joined) {
        let Joined {
            id,
            attachment,
            attached,
            notice,
        } = joined;
        self.attachment = Some(attachment);
        self.kernel_id = id;
        if let Some(notice) = notice {
            self.error(notice, None).await;
        }
        if let Some(state) = attached.state {
            self.send(ServerMsg::Kernel { state }, None).await;
        }
        if let Some(status) = attached.status {
            self.send(status.msg, status.caused_by).await;
        }
        if attached.dropped > 0 {
            let message = format!(
                "{} older kernel messages from while no page was open were dropped (the \
                 replay log is bounded); the capture may still have them",
                attached.dropped
            );
            self.error(message, None).await;
        }
        for relay in attached.replay {
            self.send(relay.msg, relay.caused_by).await;
        }
    }

    /// Lists the kernels for the picker, with the gateway in use; what could not be listed is
    /// reported as an error.
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

    /// Switches kernels: the host shuts the old one down, tells every session of it
    /// (`KernelSelected`) and starts the new one.
    async fn set_kernel(&mut self, choice: wirebook_shared::KernelChoice) {
        self.list_kernels().await;
        match self.ctx.kernels.info(&choice, &self.offers) {
            Ok(info) => {
                let selected = match &self.attachment {
                    Some(attachment) => attachment.select(info).await,
                    None => false,
                };
                if !selected {
                    self.kernel_gone(None).await;
                }
            }
            Err(message) => {
                self.error(format!("cannot use that kernel: {message}"), None)
                    .await;
            }
        }
    }

    /// Hands a command other than Execute to the kernel.
    async fn command(&mut self, command: LinkCommand) {
        let taken = match &self.attachment {
            Some(attachment) => attachment.command(command).await,
            None => false,
        };
        if !taken {
            self.kernel_gone(None).await;
        }
    }

    /// Sends a cell's code to the kernel. `seq` is the record of the browser's message.
    async fn execute(
        &mut self,
        cell_id: String,
        code: String,
        format: CellFormat,
        seq: Option<u64>,
    ) {
        let execute = Execute {
            cell_id: cell_id.clone(),
            code,
            format,
            caused_by: seq,
        };
        let taken = match &self.attachment {
            Some(attachment) => attachment.execute(execute).await,
            None => false,
        };
        if !taken {
            self.kernel_gone(Some(cell_id)).await;
        }
    }

    /// The scratch notebook was saved as `notebook`: its kernel is kept as that notebook's.
    async fn move_kernel(&mut self, notebook: &str) {
        let moved = KernelKey::notebook(notebook).and_then(|key| {
            self.ctx.kept.move_kernel(self.kernel_id, key.clone())?;
            Ok(key)
        });
        match moved {
            Ok(key) => self.ctx.key = Some(key),
            Err(message) => {
                let message = format!("the kernel is not kept as {notebook}'s: {message}");
                self.error(message, None).await;
            }
        }
    }

    /// The kernel's host ended under the session (the server is shutting down).
    async fn kernel_gone(&self, cell_id: Option<String>) {
        let message = "this session's kernel has ended: reload the page for a new one";
        self.error(message.into(), cell_id).await;
    }
}

/// The close frame for a session its kernel let go of (1013 Try Again Later: reconnecting
/// attaches again).
fn fell_behind() -> CloseFrame {
    CloseFrame {
        code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Again,
        reason: "fell behind the kernel's output; reconnect".into(),
    }
}

/// What the session's kernel host sends; pending forever without a host.
async fn relays(attachment: &mut Option<Attachment>) -> Option<crate::kernel::kept::replay::Relay> {
    match attachment {
        Some(attachment) => attachment.relays.recv().await,
        None => std::future::pending().await,
    }
}

/// The writer task: `Hello`, whether the capture is paused, the capture backlog, then queued
/// messages, live capture and pause changes. Returns the sending half so the reader can
/// reunite the socket if it must drain it.
async fn write<S>(
    mut sink: Sink<S>,
    mut queue: mpsc::Receiver<Outgoing>,
    links: Arc<Links>,
    (mut feed, older): (Feed, u64),
    fanout: Arc<Fanout>,
    mut paused: watch::Receiver<bool>,
    hello: ServerMsg,
) -> Sink<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let result: Result<(), WsError> = async {
        send(&mut sink, &links, hello, None).await?;
        let now = *paused.borrow_and_update();
        send(
            &mut sink,
            &links,
            ServerMsg::CapturePaused { paused: now },
            None,
        )
        .await?;
        // The first batch says how many older records were left out of the backlog.
        let first = feed
            .try_batch(CAPTURE_BATCH)
            .unwrap_or(crate::capture::ring::Batch {
                records: Vec::new(),
                evicted: 0,
            });
        if !first.records.is_empty() || first.evicted > 0 || older > 0 {
            send_capture(&mut sink, &links, first, older).await?;
        }
        // Then the live capture (what is left of the backlog first, then the batches every
        // session sends), after the session's own messages: a kernel's state never waits
        // behind capture batches.
        let mut viewer = fanout.viewer(feed);
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
                delivery = viewer.next() => send_delivery(&mut sink, &links, delivery).await?,
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
async fn send_unrecorded<S>(
    sink: &mut Sink<S>,
    links: &Links,
    text: Utf8Bytes,
) -> Result<(), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    links.tag_next(Tag::Skip);
    sink.send(Message::Text(text)).await
}

/// A batch the session read from the ring itself.
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
        skipped: 0,
    };
    send_unrecorded(sink, links, msg.to_json().into()).await
}

/// Sends what the session's viewer of the live capture has next; a shared batch goes out as
/// the very bytes every session sends.
async fn send_delivery<S>(
    sink: &mut Sink<S>,
    links: &Links,
    delivery: Delivery,
) -> Result<(), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let shared = match delivery {
        Delivery::Own(batch) => return send_capture(sink, links, batch, 0).await,
        Delivery::Shared(batch) => batch,
        Delivery::Skipped {
            skipped,
            evicted,
            then,
        } => {
            // What was left out, then the newest batch as every session has it.
            let gap = ServerMsg::Capture {
                records: Vec::new(),
                evicted,
                older: 0,
                skipped,
            };
            send_unrecorded(sink, links, gap.to_json().into()).await?;
            then
        }
    };
    send_unrecorded(sink, links, shared.text.clone()).await
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
    let pairs = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes());
    let pairs: Vec<_> = pairs.collect();
    let key = match KernelKey::from_query(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))) {
        Ok(key) => key,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response();
        }
    };
    let ctx = SessionContext {
        capture: Arc::clone(&app.capture),
        fanout: Arc::clone(&app.fanout),
        kernels: Arc::clone(&app.kernels),
        kept: Arc::clone(&app.kept),
        key,
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
