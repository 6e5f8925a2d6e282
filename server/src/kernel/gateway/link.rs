//! The task behind a gateway kernel's [`crate::kernel::KernelLink`].
//!
//! `POST /api/kernels` starts the kernel; its channels WebSocket opens and a `kernel_info`
//! handshake makes the link `Open`. Commands become messages built by [`JupyterClient`] (the
//! interrupt is a REST call); every message from the kernel is recorded and turned into
//! [`KernelEvent`]s by the same client.
//!
//! When the WebSocket drops while the kernel still exists, the link says why (`Refused`, shown
//! as an error), says `Connecting` again and reopens it after a [`RECONNECT`] delay (giving up
//! after its attempts), with the same `session_id`: Jupyter Server keeps
//! what the kernel sent meanwhile for that session and replays it. Nothing is sent twice:
//! a message whose send failed is reported (`RunFailed`), and commands that arrive while the
//! link reconnects wait and go out once it is open again.
//!
//! Jupyter Server does not close the WebSocket when the kernel is deleted or culled there, so
//! an open link asks `GET /api/kernels/{id}` now and then (and soon after the kernel announces
//! its end) and fails when the kernel is gone.
//!
//! When the session drops the link or the server shuts down, the socket is closed and the
//! kernel deleted (`DELETE /api/kernels/{id}`, briefly).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use wirebook_shared::backoff::Backoff;
use wirebook_shared::KernelState;

use crate::capture::ring::Capture;
use crate::kernel::jupyter::client::{JupyterClient, Outgoing};
use crate::kernel::jupyter::dispatch::{Dispatch, Relayed, Transport};
use crate::kernel::{fail_queued, KernelEvent, LinkCommand, StateReport, RECONNECT};
use crate::shutdown::Shutdown;
use crate::websocket::close::shutting_down;

use super::rest::{self, Call, Endpoint};
use super::socket::{self, Channels, Read, Received};
use super::GatewayConfig;

/// How long `POST /api/kernels` may take: the gateway answers once the kernel has started.
const KERNEL_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the kernel may take to answer `kernel_info` on a fresh WebSocket.
const KERNEL_INFO_TIMEOUT: Duration = Duration::from_secs(30);
/// How long deleting the kernel may take when the link ends.
const DELETE_TIMEOUT: Duration = Duration::from_secs(5);
/// Commands kept while the link reconnects.
const MAX_PENDING: usize = 64;
/// How often an open link asks the gateway whether its kernel still exists.
const EXISTS_EVERY: Duration = Duration::from_secs(30);
/// After the kernel announced its end: how soon, and how many times, to ask.
const QUICK_CHECK: Duration = Duration::from_millis(500);
const QUICK_CHECKS: u32 = 20;

/// What a gateway link is started with.
#[derive(Debug)]
pub struct Start {
    pub link: u64,
    /// The kernelspec.
    pub name: String,
    pub config: Arc<GatewayConfig>,
    pub capture: Arc<Capture>,
    pub shutdown: Shutdown,
}

/// The link's state while it runs.
struct Link {
    id: u64,
    endpoint: Endpoint,
    config: Arc<GatewayConfig>,
    capture: Arc<Capture>,
    shutdown: Shutdown,
    queue: mpsc::Receiver<LinkCommand>,
    /// Commands received while no socket was open, oldest first.
    pending: VecDeque<LinkCommand>,
    kernel_id: String,
    /// The protocol state and the session's events.
    dispatch: Dispatch,
}

/// How one WebSocket connection ended.
enum Life {
    /// The link is over (session gone, shutdown, kernel gone): its last state.
    Over(KernelState),
    /// The connection dropped; the kernel may still be there.
    Lost(String),
}

/// Runs the link until its terminal state, then reports it.
pub async fn run(
    start: Start,
    events: mpsc::Sender<KernelEvent>,
    mut queue: mpsc::Receiver<LinkCommand>,
) {
    let id = start.link;
    let report = StateReport::new(id, events.clone());
    report.send(KernelState::Connecting).await;
    let started = match start.config.endpoint() {
        Ok(endpoint) => create_kernel(&start, &endpoint)
            .await
            .map(|kernel_id| (endpoint, kernel_id)),
        Err(error) => Err(error),
    };
    let (endpoint, kernel_id) = match started {
        Ok(started) => started,
        Err(error) => {
            fail_queued(&mut queue, &events).await;
            let message = format!("cannot start the gateway kernel {}: {error}", start.name);
            tracing::warn!(%message);
            report.send(KernelState::Failed { message }).await;
            return;
        }
    };
    tracing::info!(kernel = %kernel_id, name = %start.name, "gateway kernel started");
    let mut link = Link {
        id,
        endpoint,
        config: start.config,
        capture: start.capture,
        shutdown: start.shutdown,
        queue,
        pending: VecDeque::new(),
        kernel_id,
        dispatch: Dispatch::new(
            JupyterClient::new(JupyterClient::random_session()),
            events.clone(),
        ),
    };
    let end = link.connected().await;
    link.delete_kernel().await;
    // Commands that never went out are answered rather than lost.
    let pending: Vec<LinkCommand> = link.pending.drain(..).collect();
    for command in pending {
        link.not_sent(command).await;
    }
    fail_queued(&mut link.queue, &events).await;
    report.send(end).await;
}

/// `POST /api/kernels`, the new kernel's id. A shutdown meanwhile still lets the start finish
/// briefly, so that its kernel can be deleted rather than left running on the gateway.
async fn create_kernel(start: &Start, endpoint: &Endpoint) -> Result<String, String> {
    let body = json!({ "name": start.name });
    let call = Call {
        method: "POST",
        path: "/api/kernels",
        body: Some(&body),
    };
    let token = start.config.token.as_deref();
    let post = rest::send(endpoint, token, call, KERNEL_START_TIMEOUT);
    tokio::pin!(post);
    let answer = tokio::select! {
        answer = &mut post => answer?,
        () = start.shutdown.triggered() => {
            if let Ok(Ok(answer)) = tokio::time::timeout(DELETE_TIMEOUT, post).await {
                if let Ok(id) = kernel_id(&call, &answer) {
                    delete(endpoint, token, &id).await;
                }
            }
            return Err("the server is shutting down".into());
        }
    };
    kernel_id(&call, &answer)
}

fn kernel_id(call: &Call<'_>, answer: &rest::Answer) -> Result<String, String> {
    if !(200..300).contains(&answer.status) {
        return Err(rest::unexpected(call, answer));
    }
    let body = answer.json(call)?;
    body.get("id")
        .and_then(|id| id.as_str())
        .filter(|id| !id.is_empty() && !id.contains(['/', '?', '#']))
        .map(str::to_string)
        .ok_or_else(|| {
            format!(
                "the gateway's answer to POST /api/kernels has no usable kernel id: {}",
                rest::body_start(&answer.body)
            )
        })
}

async fn delete(endpoint: &Endpoint, token: Option<&str>, kernel_id: &str) {
    let path = format!("/api/kernels/{kernel_id}");
    let call = Call {
        method: "DELETE",
        path: &path,
        body: None,
    };
    match rest::send(endpoint, token, call, DELETE_TIMEOUT).await {
        Ok(answer) if (200..300).contains(&answer.status) || answer.status == 404 => {
            tracing::info!(kernel = %kernel_id, "gateway kernel deleted");
        }
        Ok(answer) => {
            tracing::warn!(kernel = %kernel_id, problem = %rest::unexpected(&call, &answer), "cannot delete the gateway kernel")
        }
        Err(problem) => {
            tracing::warn!(kernel = %kernel_id, %problem, "cannot delete the gateway kernel")
        }
    }
}

impl Link {
    fn token(&self) -> Option<&str> {
        self.config.token.as_deref()
    }

    async fn emit(&self, event: KernelEvent) {
        self.dispatch.emit(event).await;
    }

    /// Opens the WebSocket, and reopens it while the kernel exists; returns the final state.
    async fn connected(&mut self) -> KernelState {
        let mut backoff = Backoff::new(RECONNECT);
        // The first connection must work (a kernel that cannot be reached at all fails at
        // once); later ones are retried.
        let mut first = true;
        loop {
            let opening = socket::open(
                &self.endpoint,
                self.config.token.as_deref(),
                &self.kernel_id,
                self.dispatch.client.session(),
                &self.capture,
                self.config.websocket,
            );
            let timeout = self.config.connect_timeout;
            let opened = tokio::select! {
                opened = tokio::time::timeout(timeout, opening) => opened.unwrap_or_else(|_| {
                    Err(format!("the kernel's WebSocket did not open within {timeout:?} (timeout)"))
                }),
                () = self.shutdown.triggered() => return shutdown_state(),
                () = buffer_until_closed(&mut self.queue, &mut self.pending, &self.dispatch.events) => return session_gone(),
            };
            let lost = match opened {
                Ok(channels) => {
                    let mut opened = false;
                    match self.live(channels, &mut opened).await {
                        Life::Over(state) => return state,
                        Life::Lost(why) => {
                            // A connection that got as far as `Open` starts the delays afresh.
                            if opened {
                                backoff.reset();
                            }
                            why
                        }
                    }
                }
                Err(error) if first => {
                    return KernelState::Failed {
                        message: format!("cannot open the gateway kernel's WebSocket: {error}"),
                    };
                }
                Err(error) => error,
            };
            first = false;
            match self.kernel_exists().await {
                Ok(false) => {
                    return KernelState::Failed {
                        message: format!(
                            "the kernel {} no longer exists on the gateway ({lost})",
                            self.kernel_id
                        ),
                    }
                }
                Ok(true) => {}
                // The gateway may be restarting: keep trying within the backoff's limit.
                Err(problem) => tracing::debug!(%problem, "cannot ask whether the kernel exists"),
            }
            let Some(delay) = backoff.next_delay(rand::random::<f64>()) else {
                return KernelState::Failed {
                    message: format!(
                        "the kernel's WebSocket dropped and {} attempts to reopen it failed: {lost}",
                        backoff.attempts()
                    ),
                };
            };
            tracing::info!(kernel = %self.kernel_id, %lost, ?delay, "reconnecting to the gateway kernel");
            // The state alone would not say why: the browser shows this as an error.
            self.emit(KernelEvent::Refused {
                cell_id: None,
                message: format!("the gateway kernel's connection dropped ({lost}); reconnecting"),
            })
            .await;
            self.emit(KernelEvent::State {
                link: self.id,
                state: KernelState::Connecting,
            })
            .await;
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.shutdown.triggered() => return shutdown_state(),
                () = buffer_until_closed(&mut self.queue, &mut self.pending, &self.dispatch.events) => return session_gone(),
            }
        }
    }

    /// One WebSocket connection: the `kernel_info` handshake, then the relay.
    async fn live(&mut self, mut channels: Channels, opened: &mut bool) -> Life {
        let info = self.dispatch.client.kernel_info_request();
        if let Err(why) = channels.send(&info, None).await {
            channels.lost(why.clone());
            return Life::Lost(why);
        }
        let deadline = tokio::time::sleep(KERNEL_INFO_TIMEOUT);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                read = channels.read() => match read {
                    Read::Message(received) => {
                        let answered = received.fields.msg_type == "kernel_info_reply"
                            && received.fields.parent_msg_id.as_deref() == Some(info.msg_id());
                        deliver(&mut self.dispatch, *received).await;
                        if answered {
                            break;
                        }
                    }
                    Read::Nothing => {}
                    Read::Ended(why) => {
                        channels.lost(why.clone());
                        return Life::Lost(why);
                    }
                },
                () = &mut deadline => {
                    let why = format!("the kernel did not answer kernel_info within {KERNEL_INFO_TIMEOUT:?}");
                    channels.close(close_frame(CloseCode::Away, "no kernel_info_reply"), why.clone()).await;
                    return Life::Lost(why);
                }
                () = self.shutdown.triggered() => return self.end(channels, shutting_down(), shutdown_state()).await,
                () = buffer_until_closed(&mut self.queue, &mut self.pending, &self.dispatch.events) => {
                    return self.end(channels, session_closed_frame(), session_gone()).await;
                }
            }
        }
        *opened = true;
        self.emit(KernelEvent::State {
            link: self.id,
            state: KernelState::open(),
        })
        .await;
        let mut wire = GatewayWire {
            channels: &mut channels,
            rest: Rest {
                endpoint: &self.endpoint,
                config: &self.config,
                kernel_id: &self.kernel_id,
                shutdown: &self.shutdown,
                events: self.dispatch.events.clone(),
            },
            // Jupyter Server keeps the WebSocket open when the kernel is deleted or culled:
            // the link asks now and then whether it still exists, and soon after the kernel
            // says it is shutting down or dead.
            check_at: Instant::now() + EXISTS_EVERY,
            quick_checks: 0,
        };
        let mut relayed = None;
        while let Some(command) = self.pending.pop_front() {
            if let Err(why) = self.dispatch.command(&mut wire, command).await {
                relayed = Some(Relayed::Transport(Gone::Lost(why)));
                break;
            }
        }
        let relayed = match relayed {
            Some(relayed) => relayed,
            None => {
                self.dispatch
                    .relay(&mut wire, &mut self.queue, &self.shutdown)
                    .await
            }
        };
        match relayed {
            Relayed::Transport(Gone::Lost(why)) => {
                channels.lost(why.clone());
                Life::Lost(why)
            }
            Relayed::Transport(Gone::Kernel) => {
                let state = KernelState::Failed {
                    message: format!(
                        "the kernel {} no longer exists on the gateway (it was shut down there, or culled)",
                        self.kernel_id
                    ),
                };
                self.end(channels, close_frame(CloseCode::Away, "kernel gone"), state)
                    .await
            }
            Relayed::SessionEnded => {
                self.end(channels, session_closed_frame(), session_gone())
                    .await
            }
            Relayed::ServerShutdown => self.end(channels, shutting_down(), shutdown_state()).await,
        }
    }

    async fn end(&self, channels: Channels, frame: CloseFrame, state: KernelState) -> Life {
        let why = match &state {
            KernelState::Closed { reason, .. } => reason.clone(),
            KernelState::Failed { message } => message.clone(),
            other => format!("{other:?}"),
        };
        channels.close(frame, why).await;
        Life::Over(state)
    }

    /// A command that will never be sent, answered.
    async fn not_sent(&self, command: LinkCommand) {
        if let LinkCommand::Execute(execute) = command {
            self.emit(KernelEvent::RunFailed {
                cell_id: execute.cell_id,
                message: "the kernel connection ended before the code was sent".into(),
            })
            .await;
        }
    }

    /// `GET /api/kernels/{id}`: whether the gateway still has the kernel.
    async fn kernel_exists(&self) -> Result<bool, String> {
        kernel_exists(&self.endpoint, &self.config, &self.kernel_id).await
    }

    async fn delete_kernel(&self) {
        delete(&self.endpoint, self.token(), &self.kernel_id).await;
    }
}

/// Hands one message from the kernel to the session.
async fn deliver(dispatch: &mut Dispatch, received: Received) {
    let Received {
        decoded,
        fields,
        seq,
    } = received;
    // A message without a channel is in the capture with its findings; the notebook cannot
    // place it.
    let Some(channel) = decoded.channel else {
        tracing::debug!(?seq, "a gateway message without a channel");
        return;
    };
    let events = dispatch.client.on_message(
        channel,
        &fields.header,
        &fields.parent_header,
        &fields.metadata,
        &fields.content,
        seq,
    );
    dispatch.emit_all(events).await;
}

/// `GET /api/kernels/{id}`: whether the gateway still has the kernel.
async fn kernel_exists(
    endpoint: &Endpoint,
    config: &GatewayConfig,
    kernel_id: &str,
) -> Result<bool, String> {
    let path = format!("/api/kernels/{kernel_id}");
    let call = Call {
        method: "GET",
        path: &path,
        body: None,
    };
    let answer = rest::send(
        endpoint,
        config.token.as_deref(),
        call,
        config.connect_timeout,
    )
    .await?;
    match answer.status {
        200 => Ok(true),
        404 => Ok(false),
        _ => Err(rest::unexpected(&call, &answer)),
    }
}

/// An open channels WebSocket, the REST API for what it does not carry (the interrupt,
/// whether the kernel still exists), and when to ask next.
struct GatewayWire<'a> {
    channels: &'a mut Channels,
    rest: Rest<'a>,
    check_at: Instant,
    /// Checks left at the quick pace, after the kernel announced its end.
    quick_checks: u32,
}

/// What the channels WebSocket saw.
enum Seen {
    Message(Box<Received>),
    /// A frame that is not a message (recorded; nothing for the session).
    Nothing,
    /// Time to ask whether the kernel still exists.
    Check,
}

/// Why an open gateway link's relay ended.
enum Gone {
    /// The WebSocket dropped or failed; the kernel may still be there.
    Lost(String),
    /// The gateway no longer has the kernel.
    Kernel,
}

/// What a REST call about the link's kernel needs.
struct Rest<'a> {
    endpoint: &'a Endpoint,
    config: &'a GatewayConfig,
    kernel_id: &'a str,
    shutdown: &'a Shutdown,
    events: mpsc::Sender<KernelEvent>,
}

impl Transport for GatewayWire<'_> {
    type Seen = Seen;
    type End = Gone;

    async fn next(&mut self) -> Result<Seen, Gone> {
        tokio::select! {
            read = self.channels.read() => match read {
                Read::Message(received) => Ok(Seen::Message(received)),
                Read::Nothing => Ok(Seen::Nothing),
                Read::Ended(why) => Err(Gone::Lost(why)),
            },
            () = tokio::time::sleep_until(self.check_at) => Ok(Seen::Check),
        }
    }

    async fn handle(&mut self, seen: Seen, dispatch: &mut Dispatch) -> Result<(), Gone> {
        match seen {
            Seen::Message(received) => {
                if ends_kernel(&received) {
                    self.quick_checks = QUICK_CHECKS;
                    self.check_at = Instant::now() + QUICK_CHECK;
                }
                deliver(dispatch, *received).await;
            }
            Seen::Nothing => {}
            Seen::Check => {
                let rest = &self.rest;
                if let Ok(false) = kernel_exists(rest.endpoint, rest.config, rest.kernel_id).await {
                    return Err(Gone::Kernel);
                }
                self.check_at = Instant::now()
                    + if self.quick_checks > 0 {
                        self.quick_checks -= 1;
                        QUICK_CHECK
                    } else {
                        EXISTS_EVERY
                    };
            }
        }
        Ok(())
    }

    fn send_failed(&mut self, why: String) -> Option<Gone> {
        Some(Gone::Lost(why))
    }

    async fn send(&mut self, outgoing: &Outgoing, caused_by: Option<u64>) -> Result<(), String> {
        self.channels.send(outgoing, caused_by).await.map(drop)
    }

    fn interrupts_by_message(&self) -> bool {
        false
    }

    /// `POST /api/kernels/{id}/interrupt`, on its own task so the relay keeps reading (the
    /// kernel's answer to the interrupt arrives on the socket meanwhile); a failure is told
    /// to the session from there.
    async fn interrupt(&mut self) -> Result<(), String> {
        let Rest {
            endpoint,
            config,
            kernel_id,
            shutdown,
            events,
        } = &self.rest;
        let endpoint = (*endpoint).clone();
        let token = config.token.clone();
        let timeout = config.connect_timeout;
        let path = format!("/api/kernels/{kernel_id}/interrupt");
        let events = events.clone();
        shutdown.spawn(async move {
            let call = Call {
                method: "POST",
                path: &path,
                body: None,
            };
            let problem = match rest::send(&endpoint, token.as_deref(), call, timeout).await {
                Ok(answer) if (200..300).contains(&answer.status) => return,
                Ok(answer) => rest::unexpected(&call, &answer),
                Err(problem) => problem,
            };
            let message = format!("the gateway did not interrupt the kernel: {problem}");
            let _ = events
                .send(KernelEvent::Refused {
                    cell_id: None,
                    message,
                })
                .await;
        });
        Ok(())
    }
}

/// Whether a message announces the kernel's end: a `shutdown_reply` that is not a restart
/// (ipykernel also sends it on iopub, whoever asked), or the status `dead`.
fn ends_kernel(received: &Received) -> bool {
    let fields = &received.fields;
    match fields.msg_type.as_str() {
        "shutdown_reply" => fields.content["restart"] != true,
        "status" => fields.content["execution_state"] == "dead",
        _ => false,
    }
}

/// Receives commands into `pending` while no socket can take them; resolves when the session
/// dropped the link. Cancel-safe: a received command is kept before the next await.
async fn buffer_until_closed(
    queue: &mut mpsc::Receiver<LinkCommand>,
    pending: &mut VecDeque<LinkCommand>,
    events: &mpsc::Sender<KernelEvent>,
) {
    while let Some(command) = queue.recv().await {
        if pending.len() < MAX_PENDING {
            pending.push_back(command);
            continue;
        }
        let message = "the kernel is reconnecting and too many commands are waiting".to_string();
        let event = match command {
            LinkCommand::Execute(execute) => KernelEvent::RunFailed {
                cell_id: execute.cell_id,
                message,
            },
            _ => KernelEvent::Refused {
                cell_id: None,
                message,
            },
        };
        let _ = events.send(event).await;
    }
}

fn shutdown_state() -> KernelState {
    KernelState::Closed {
        code: None,
        reason: "the server is shutting down".into(),
    }
}

fn session_gone() -> KernelState {
    KernelState::Closed {
        code: None,
        reason: "the session let the kernel go".into(),
    }
}

fn session_closed_frame() -> CloseFrame {
    close_frame(CloseCode::Normal, "wirebook session ended")
}

fn close_frame(code: CloseCode, reason: &str) -> CloseFrame {
    CloseFrame {
        code,
        reason: reason.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::jupyter::websocket::decode_json_text;

    fn received(msg_type: &str, content: &str) -> Received {
        let mut decoded = decode_json_text(&format!(
            r#"{{"header":{{"msg_id":"m","msg_type":"{msg_type}"}},"parent_header":{{}},"metadata":{{}},"content":{content},"channel":"iopub"}}"#
        ));
        let fields = decoded.fields();
        Received {
            decoded,
            fields,
            seq: None,
        }
    }

    #[test]
    fn the_kernels_end_is_a_shutdown_without_restart_or_the_dead_status() {
        assert!(ends_kernel(&received(
            "shutdown_reply",
            r#"{"restart": false}"#
        )));
        assert!(ends_kernel(&received("shutdown_reply", "{}")));
        assert!(!ends_kernel(&received(
            "shutdown_reply",
            r#"{"restart": true}"#
        )));
        assert!(ends_kernel(&received(
            "status",
            r#"{"execution_state": "dead"}"#
        )));
        assert!(!ends_kernel(&received(
            "status",
            r#"{"execution_state": "idle"}"#
        )));
        assert!(!ends_kernel(&received("stream", r#"{"text": "dead"}"#)));
    }

    #[test]
    fn kernel_ids_must_be_usable_in_a_path() {
        let call = Call {
            method: "POST",
            path: "/api/kernels",
            body: None,
        };
        let answer = |status, body: &str| rest::Answer {
            status,
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            kernel_id(&call, &answer(201, r#"{"id": "k-1", "name": "python3"}"#)).unwrap(),
            "k-1"
        );
        for (status, body, why) in [
            (201, r#"{"id": "../x"}"#, "no usable kernel id"),
            (201, r#"{"name": "python3"}"#, "no usable kernel id"),
            (201, "<html>", "not JSON"),
            (500, r#"{"message": "no such kernel"}"#, "answered 500"),
        ] {
            let error = kernel_id(&call, &answer(status, body)).unwrap_err();
            assert!(error.contains(why), "{body}: {error}");
        }
    }
}
