//! A WebSocket kernel: the task behind its [`KernelLink`] is a WebSocket *client*.
//!
//! One task per link owns the socket. The session sends it code to run; the task reports back,
//! in order, through [`KernelEvent`]s: state changes, `Sent` once a cell's code is on the wire,
//! and every data message the kernel sends. Both directions are recorded on the kernel hop by
//! the byte tap; the record of code sent upstream points (`caused_by`) at the browser's execute
//! message, and each received message's record goes to the session for its `Output`.
//!
//! The TCP connection is made here and wrapped in a [`Tap`] before `client_async_with_config`,
//! so the capture shows the handshake as sent and every frame.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::handshake::client::Request as ClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wirebook_shared::backoff::Backoff;
use wirebook_shared::cell_format::{self, CellMessage};
use wirebook_shared::raw_frame;
use wirebook_shared::{Hop, KernelInfo, KernelState, WireData};

use crate::capture::links::{Links, Tag};
use crate::capture::recorder::Recorder;
use crate::capture::ring::Capture;
use crate::capture::tap::Tap;
use crate::kernel::{fail_queued, KernelEvent, KernelLink, LinkCommand, StateReport, RECONNECT};
use crate::shutdown::Shutdown;
use crate::upstream::url::UpstreamUrl;
use crate::upstream::{connect as connect_upstream, TlsSettings, UpstreamIo};
use crate::websocket::close::{
    drain, protocol_failure, shutting_down, sleep_until, too_big, CLOSE_GRACE,
};
use crate::websocket::read_ahead::ReadAhead;

/// Where sessions connect and how.
#[derive(Debug, Clone)]
pub struct KernelTarget {
    pub info: KernelInfo,
    pub config: WebSocketConfig,
    /// Extra request headers for the opening handshake (`--kernel-header`).
    pub headers: Vec<(String, String)>,
    /// Headers sent the same way whose values the capture redacts (`--kernel-secret-header`).
    pub secret_headers: Vec<(String, String)>,
    /// Subprotocols offered, in order of preference (`--kernel-subprotocol`).
    pub subprotocols: Vec<String>,
    /// How long connecting (TCP and the handshake) may take.
    pub connect_timeout: Duration,
    /// Ping the kernel and fail the link when it stops answering (`--kernel-ping-interval`).
    pub keepalive: Option<Keepalive>,
    /// How `wss://` kernels are verified (`--tls-ca`, `--tls-insecure`).
    pub tls: Arc<TlsSettings>,
    /// Reconnect by itself, with backoff, when the connection is lost.
    pub reconnect: bool,
}

/// Pings sent to the kernel while the link is open, and how long a pong may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    pub interval: Duration,
    pub pong_timeout: Duration,
}

/// Starts connecting to a WebSocket kernel; progress arrives on `events` tagged with this
/// link's `id`.
pub fn start(
    id: u64,
    target: Arc<KernelTarget>,
    capture: Arc<Capture>,
    events: mpsc::Sender<KernelEvent>,
    shutdown: &Shutdown,
) -> KernelLink {
    KernelLink::spawn(id, shutdown, |queue, watcher| {
        run(id, target, capture, events, queue, watcher)
    })
}

type Socket = WebSocketStream<ReadAhead<Tap<UpstreamIo>>>;

async fn run(
    id: u64,
    target: Arc<KernelTarget>,
    capture: Arc<Capture>,
    events: mpsc::Sender<KernelEvent>,
    mut queue: mpsc::Receiver<LinkCommand>,
    shutdown: Shutdown,
) {
    let report = StateReport::new(id, events.clone());
    // Checked once, before anything is looked up or dialled; a bad URL is never retried.
    let url = match UpstreamUrl::websocket(&target.info.url) {
        Ok(url) => url,
        Err(error) => {
            fail_queued(&mut queue, &events).await;
            report
                .send(KernelState::Failed {
                    message: error.to_string(),
                })
                .await;
            return;
        }
    };
    let mut backoff = Backoff::new(RECONNECT);
    // How the last open connection was lost, for the retries' reports.
    let mut lost = String::new();
    let end = loop {
        report.send(KernelState::Connecting).await;
        let end = connect_and_relay(
            &target, &url, &capture, &events, &mut queue, &shutdown, &report,
        )
        .await;
        let opened = matches!(end, Ended::Lost { opened: true, .. });
        let (state, reconnectable) = match end {
            Ended::Lost { state, .. } => (state, true),
            Ended::ByUs(state) => (state, false),
        };
        // The session or the server ended it, or nobody asked for reconnects: that is the end.
        if !(reconnectable && target.reconnect) || queue.is_closed() || shutdown.is_triggered() {
            break state;
        }
        if opened {
            backoff.reset();
        }
        let Some(delay) = backoff.next_delay(rand::random::<f64>()) else {
            break state;
        };
        let reason = match &state {
            KernelState::Closed {
                code: Some(code),
                reason,
            } => format!("closed with {code} {reason}"),
            KernelState::Closed { reason, .. } => reason.clone(),
            KernelState::Failed { message } => message.clone(),
            other => format!("{other:?}"),
        };
        if opened || lost.is_empty() {
            lost.clone_from(&reason);
        }
        report
            .send(KernelState::Reconnecting {
                attempt: backoff.attempts(),
                delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                reason,
                lost: lost.clone(),
            })
            .await;
        if !wait_to_reconnect(delay, &mut queue, &events, &shutdown).await {
            break state;
        }
    };
    fail_queued(&mut queue, &events).await;
    report.send(end).await;
}

/// How one connection ended.
enum Ended {
    /// The session or the server ended it (or a close cell did): no reconnect.
    ByUs(KernelState),
    /// The kernel closed, dropped or failed it, or it could not be made.
    Lost { state: KernelState, opened: bool },
}

/// One connection: connect, report `Open` with what was negotiated, relay until it ends.
async fn connect_and_relay(
    target: &KernelTarget,
    url: &UpstreamUrl,
    capture: &Arc<Capture>,
    events: &mpsc::Sender<KernelEvent>,
    queue: &mut mpsc::Receiver<LinkCommand>,
    shutdown: &Shutdown,
    report: &StateReport,
) -> Ended {
    let connected = tokio::select! {
        connected = tokio::time::timeout(target.connect_timeout, connect(target, url, capture)) => connected
            .unwrap_or_else(|_| Err(format!("no connection within {:?} (timeout)", target.connect_timeout))),
        () = shutdown.triggered() => return Ended::ByUs(KernelState::Closed {
            code: None,
            reason: "server shutting down".to_string(),
        }),
    };
    match connected {
        Ok(Connected {
            socket,
            recorder,
            links,
            protocol,
            extensions,
        }) => {
            report
                .send(KernelState::Open {
                    protocol,
                    extensions,
                })
                .await;
            let mut by_us = false;
            let end = relay(
                socket,
                &links,
                events,
                queue,
                target.keepalive,
                shutdown,
                &mut by_us,
            )
            .await;
            let reason = match &end {
                KernelState::Closed { reason, .. } => reason.clone(),
                KernelState::Failed { message } => message.clone(),
                other => format!("{other:?}"),
            };
            recorder.finish(reason);
            if by_us {
                Ended::ByUs(end)
            } else {
                Ended::Lost {
                    state: end,
                    opened: true,
                }
            }
        }
        Err(message) => {
            tracing::warn!(url = %crate::upstream::url::for_logs(&target.info.url), %message, "cannot connect to the kernel");
            Ended::Lost {
                state: KernelState::Failed {
                    message: format!("cannot connect to {}: {message}", target.info.url),
                },
                opened: false,
            }
        }
    }
}

/// Waits `delay` before reconnecting. Cells run meanwhile are refused, not kept to be sent
/// later: a reconnect never sends anything by itself. `false`: the session or the server ended
/// the link meanwhile.
async fn wait_to_reconnect(
    delay: Duration,
    queue: &mut mpsc::Receiver<LinkCommand>,
    events: &mpsc::Sender<KernelEvent>,
    shutdown: &Shutdown,
) -> bool {
    let until = Instant::now() + delay;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(until) => return true,
            () = shutdown.triggered() => return false,
            command = queue.recv() => match command {
                None => return false,
                Some(LinkCommand::Execute(execute)) => {
                    let left = until.saturating_duration_since(Instant::now());
                    let _ = events.send(KernelEvent::RunFailed {
                        cell_id: execute.cell_id,
                        message: format!(
                            "not sent: the kernel connection was lost and reconnects in {:.1} s",
                            left.as_secs_f64()
                        ),
                    }).await;
                }
                Some(other) => {
                    let _ = events.send(KernelEvent::Refused { cell_id: None, message: refusal(&other) }).await;
                }
            },
        }
    }
}

/// An open WebSocket to the kernel and what its handshake negotiated.
struct Connected {
    socket: Socket,
    recorder: Recorder,
    links: Arc<Links>,
    protocol: Option<String>,
    extensions: Vec<String>,
}

/// Connects and opens the WebSocket, recording from the first byte. Errors say which step
/// failed: the name lookup, the TCP connection, or the handshake (with the status and the start
/// of the body when the kernel answered something else than 101).
async fn connect(
    target: &KernelTarget,
    url: &UpstreamUrl,
    capture: &Arc<Capture>,
) -> Result<Connected, String> {
    let request = handshake_request(target, url)?;
    let endpoint = url.endpoint(&target.tls);
    let (tap, recorder) =
        connect_upstream(endpoint, capture, Hop::Kernel, url.text.clone()).await?;
    let tap = target.secret_headers.iter().fold(tap, |tap, (_, value)| {
        tap.redacting(Some(Arc::from(value.as_str())))
    });
    let links = tap.handle().links();
    links.track_received();
    match tokio_tungstenite::client_async_with_config(
        request,
        ReadAhead::new(tap),
        Some(target.config),
    )
    .await
    {
        Ok((socket, response)) => {
            let header = |name: &str| {
                response
                    .headers()
                    .get_all(name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>()
            };
            Ok(Connected {
                socket,
                recorder,
                links,
                protocol: header("Sec-WebSocket-Protocol").into_iter().next(),
                extensions: header("Sec-WebSocket-Extensions"),
            })
        }
        Err(error) => {
            let message = handshake_failure(&error);
            recorder.finish(format!("the WebSocket handshake failed: {message}"));
            Err(message)
        }
    }
}

/// The opening handshake's request: the URL (checked by [`UpstreamUrl`]), the extra headers
/// and the subprotocols offered. An `Err` says what is wrong, before anything is dialled.
pub fn client_request(target: &KernelTarget) -> Result<ClientRequest, String> {
    let url = UpstreamUrl::websocket(&target.info.url).map_err(|e| e.to_string())?;
    handshake_request(target, &url)
}

/// [`client_request`] for a URL already parsed.
fn handshake_request(target: &KernelTarget, url: &UpstreamUrl) -> Result<ClientRequest, String> {
    let mut request = url.handshake_request()?;
    let headers = request.headers_mut();
    for (name, value) in target.headers.iter().chain(&target.secret_headers) {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a header name"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of the {name} header is not a valid header value"))?;
        headers.append(name, value);
    }
    if !target.subprotocols.is_empty() {
        let offered = target.subprotocols.join(", ");
        let value = HeaderValue::from_str(&offered)
            .map_err(|_| format!("{offered:?} is not a valid list of subprotocols"))?;
        headers.insert("Sec-WebSocket-Protocol", value);
    }
    Ok(request)
}

/// Words for a failed client handshake; a refusal shows the status and the start of its body.
pub fn handshake_failure(error: &WsError) -> String {
    match error {
        WsError::Http(response) => {
            let status = response.status();
            let mut message = format!(
                "the kernel answered {} {} instead of 101 Switching Protocols",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            if let Some(body) = response.body().as_deref().filter(|b| !b.is_empty()) {
                let shown = &body[..body.len().min(512)];
                message.push_str(": ");
                message.push_str(String::from_utf8_lossy(shown).trim());
                if body.len() > shown.len() {
                    message.push('…');
                }
            }
            message
        }
        other => format!("the WebSocket handshake failed: {other}"),
    }
}

/// Moves messages until the connection ends; returns how it ended.
async fn relay(
    mut socket: Socket,
    links: &Links,
    events: &mpsc::Sender<KernelEvent>,
    queue: &mut mpsc::Receiver<LinkCommand>,
    keepalive: Option<Keepalive>,
    shutdown: &Shutdown,
    by_us: &mut bool,
) -> KernelState {
    // Set once a close frame went out or came in: then we only wait for the end.
    let mut closing: Option<Instant> = None;
    // The close frame the kernel sent, if any (a close may carry no code).
    let mut close_seen: Option<Option<CloseFrame>> = None;
    let mut next_ping = keepalive.map(|k| Instant::now() + k.interval);
    // Set while a ping waits for its pong.
    let mut pong_due: Option<Instant> = None;
    let mut pings: u64 = 0;
    loop {
        let deadline = closing;
        let (ping_at, pong_at) = (next_ping, pong_due);
        tokio::select! {
            () = sleep_until(ping_at), if ping_at.is_some() && closing.is_none() => {
                let Some(keepalive) = keepalive else { continue };
                pings += 1;
                let payload = pings.to_be_bytes().to_vec();
                if let Err(end) = send(&mut socket, links, Message::Ping(payload.into()), None).await {
                    return end;
                }
                next_ping = Some(Instant::now() + keepalive.interval);
                pong_due.get_or_insert(Instant::now() + keepalive.pong_timeout);
            }
            () = sleep_until(pong_at), if pong_at.is_some() && closing.is_none() => {
                let timeout = keepalive.map_or(Duration::ZERO, |k| k.pong_timeout);
                let message = format!("the kernel did not answer a ping within {timeout:?}; closed with 1011");
                let frame = CloseFrame { code: CloseCode::Error, reason: "no pong".into() };
                let _ = send(&mut socket, links, Message::Close(Some(frame)), None).await;
                return KernelState::Failed { message };
            }
            () = shutdown.triggered(), if closing.is_none() => {
                *by_us = true;
                closing = Some(Instant::now() + CLOSE_GRACE);
                if let Err(end) = send(&mut socket, links, Message::Close(Some(shutting_down())), None).await {
                    return end;
                }
            }
            command = queue.recv(), if closing.is_none() => {
                let execute = match command {
                    Some(LinkCommand::Execute(execute)) => execute,
                    Some(other) => {
                        let _ = events.send(KernelEvent::Refused {
                            cell_id: None,
                            message: refusal(&other),
                        }).await;
                        continue;
                    }
                    None => {
                        // The session ended.
                        *by_us = true;
                        closing = Some(Instant::now() + CLOSE_GRACE);
                        let frame = CloseFrame { code: CloseCode::Normal, reason: "session ended".into() };
                        if let Err(end) = send(&mut socket, links, Message::Close(Some(frame)), None).await {
                            return end;
                        }
                        continue;
                    }
                };
                let message = match cell_format::encode(execute.format, &execute.code) {
                    Ok(CellMessage::Frames(frames)) => {
                        // Under the codec, as written: the tap records what the bytes are.
                        let bytes = raw_frame::bytes(&frames, &mut rand::random::<[u8; 4]>);
                        if let Err(end) = send_raw(&mut socket, &bytes).await {
                            let _ = events.send(KernelEvent::RunFailed {
                                cell_id: execute.cell_id,
                                message: "the kernel connection failed while sending the frames".into(),
                            }).await;
                            return end;
                        }
                        let _ = events.send(KernelEvent::Sent { cell_id: execute.cell_id }).await;
                        continue;
                    }
                    Ok(CellMessage::Text(text)) => Message::text(text),
                    Ok(CellMessage::Binary(bytes)) => Message::binary(bytes),
                    Ok(CellMessage::Ping(payload)) => Message::Ping(payload.into()),
                    Ok(CellMessage::Close(close)) => {
                        // The user closes the connection: no reconnect after it.
                        *by_us = true;
                        closing = Some(Instant::now() + CLOSE_GRACE);
                        Message::Close(close.map(|(code, reason)| CloseFrame {
                            code: CloseCode::from(code),
                            reason: reason.into(),
                        }))
                    }
                    Err(error) => {
                        let _ = events.send(KernelEvent::RunFailed {
                            cell_id: execute.cell_id,
                            message: format!("not sent: {error}"),
                        }).await;
                        continue;
                    }
                };
                if let Err(end) = send(&mut socket, links, message, execute.caused_by).await {
                    let _ = events.send(KernelEvent::RunFailed {
                        cell_id: execute.cell_id,
                        message: "the kernel connection failed while sending the code".into(),
                    }).await;
                    return end;
                }
                let _ = events.send(KernelEvent::Sent { cell_id: execute.cell_id }).await;
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                return ended(close_seen, "the kernel did not finish the close handshake");
            }
            next = socket.next() => {
                let message = match next {
                    None => return ended(close_seen, "1006 Abnormal Closure: the kernel dropped the connection"),
                    Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                        let message = format!("the kernel sent a {size}-byte message; the limit is {max_size} bytes");
                        let frame = too_big(size, max_size);
                        let _ = send(&mut socket, links, Message::Close(Some(frame)), None).await;
                        return KernelState::Failed { message };
                    }
                    Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
                        // 1006 is what a browser's WebSocket would report: said first, as a
                        // close code would be.
                        return ended(close_seen, "1006 Abnormal Closure: the kernel dropped the connection without a close frame");
                    }
                    Some(Err(error)) => {
                        let Some(frame) = protocol_failure(&error) else {
                            return KernelState::Failed { message: error.to_string() };
                        };
                        let message = format!(
                            "the kernel broke the protocol: {error}; closed with {}",
                            u16::from(frame.code)
                        );
                        let _ = send(&mut socket, links, Message::Close(Some(frame)), None).await;
                        drain(socket.get_mut()).await;
                        return KernelState::Failed { message };
                    }
                    Some(Ok(message)) => message,
                };
                // Every data message has a record (or `None`): take it, in order.
                let seq = match message {
                    Message::Text(_) | Message::Binary(_) => links.received_seq(),
                    _ => None,
                };
                match message {
                    Message::Text(text) => {
                        let data = WireData::Text { text: text.as_str().to_string() };
                        let _ = events.send(KernelEvent::Received { data, seq }).await;
                    }
                    Message::Binary(bytes) => {
                        let data = WireData::binary(&bytes);
                        let _ = events.send(KernelEvent::Received { data, seq }).await;
                    }
                    Message::Ping(payload) if closing.is_none() => {
                        if let Err(end) = send(&mut socket, links, Message::Pong(payload), None).await {
                            return end;
                        }
                    }
                    Message::Pong(_) => pong_due = None,
                    Message::Close(frame) => {
                        if closing.is_none() {
                            closing = Some(Instant::now() + CLOSE_GRACE);
                            // tungstenite queued the reply itself; flush it.
                            let _ = socket.flush().await;
                        }
                        close_seen.get_or_insert(frame);
                        // A client waits for the server to drop the connection.
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Why a WebSocket kernel does not do what a Jupyter kernel would.
fn refusal(command: &LinkCommand) -> String {
    match command {
        LinkCommand::Execute(_) => "the kernel cannot run this".into(),
        LinkCommand::Interrupt => {
            "a WebSocket kernel cannot be interrupted: there is nothing running to stop (restart closes and reopens the connection)".into()
        }
        LinkCommand::InputReply { .. } => "a WebSocket kernel never asks for input".into(),
        LinkCommand::Send { .. } => {
            "Jupyter messages go to Jupyter kernels only; a WebSocket kernel takes cells".into()
        }
    }
}

/// Sends one message (a data message relaying the record `caused_by`, if given); a failure
/// ends the link.
async fn send(
    socket: &mut Socket,
    links: &Links,
    message: Message,
    caused_by: Option<u64>,
) -> Result<(), KernelState> {
    if message.is_text() || message.is_binary() {
        links.tag_next(caused_by.map_or(Tag::Plain, Tag::CausedBy));
    }
    match socket.send(message).await {
        Ok(()) | Err(WsError::ConnectionClosed) => Ok(()),
        Err(error) => Err(KernelState::Failed {
            message: error.to_string(),
        }),
    }
}

/// Writes `bytes` onto the socket under the codec, after what the codec has buffered: a
/// `frame` cell's frames, which the codec would refuse to write (or would write correctly).
async fn send_raw(socket: &mut Socket, bytes: &[u8]) -> Result<(), KernelState> {
    use tokio::io::AsyncWriteExt;
    let failed = |error: String| KernelState::Failed { message: error };
    socket.flush().await.map_err(|e| failed(e.to_string()))?;
    let io = socket.get_mut();
    io.write_all(bytes)
        .await
        .map_err(|e| failed(e.to_string()))?;
    io.flush().await.map_err(|e| failed(e.to_string()))
}

fn ended(close: Option<Option<CloseFrame>>, otherwise: &str) -> KernelState {
    match close {
        Some(Some(frame)) => KernelState::Closed {
            code: Some(u16::from(frame.code)),
            reason: frame.reason.as_str().to_string(),
        },
        Some(None) => KernelState::Closed {
            code: None,
            reason: "the kernel closed without a code".to_string(),
        },
        None => KernelState::Closed {
            code: None,
            reason: otherwise.to_string(),
        },
    }
}
