//! The browser's session connection: one WebSocket to `/session`, reopened with backoff when
//! it drops, turning [`ServerMsg`]s into model updates and sending queued [`ClientMsg`]s.
//!
//! Requests wait in a channel while no session is open and go out after the next `hello`, so
//! a cell run during a reconnect is delayed, not lost.
//!
//! The URL names the kernel's key (`wirebook_shared::kept_kernels`): the notebook's path, or
//! for the scratch notebook this tab's id (kept in `sessionStorage`, so a reload keeps it and
//! another tab gets its own). The server keeps that kernel after the page goes, so a reload
//! reattaches to it. The socket opens once the notebook file is loaded: what the kernel said
//! meanwhile is replayed right after `hello`, and applies to the loaded notebook's cells.

use std::collections::VecDeque;
use std::time::Duration;

use futures_channel::mpsc::UnboundedReceiver;
use futures_util::future::{select, Either};
use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use wirebook_shared::backoff::{Backoff, Schedule};
use wirebook_shared::base_url::BaseUrl;
use wirebook_shared::jupyter::Channel;
use wirebook_shared::kept_kernels::KernelKey;
use wirebook_shared::session::{
    ClientMsg, KernelMessage, KernelState, ServerMsg, WireData, PROTOCOL_VERSION,
};

use crate::api::page_token;
use crate::session::connection::{close_reason, Connection};
use crate::session::file_sync::Loading;
use crate::session::server_msg;
use crate::session::Session;

/// The `/session` URL for a page at `protocol//host` with query `search` (`?token=…` or
/// empty): same host, `ws:` or `wss:` to match the page, the page's token if it has one
/// (otherwise the cookie carries it), and the key of the kernel to use.
pub fn session_url(
    protocol: &str,
    host: &str,
    base: &BaseUrl,
    search: &str,
    key: &KernelKey,
) -> String {
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    let key = key.to_query();
    let path = base.join("/session");
    match page_token(search) {
        Some(token) => format!("{scheme}://{host}{path}?token={token}&{key}"),
        None => format!("{scheme}://{host}{path}?{key}"),
    }
}

/// The key of this page's kernel now: its notebook's path, or this tab's id for the scratch
/// notebook (the notebook may have been saved under a path since the page opened).
pub fn page_kernel_key(session: Session) -> KernelKey {
    match session
        .files
        .file
        .with_untracked(|f| f.path().map(str::to_string))
    {
        Some(path) => KernelKey::Notebook { path },
        None => KernelKey::Tab { id: tab_id() },
    }
}

/// This page's `/session` URL now.
fn page_session_url(session: Session) -> String {
    let location = window().location();
    let key = page_kernel_key(session);
    session_url(
        &location.protocol().unwrap_or_default(),
        &location.host().unwrap_or_default(),
        &crate::page_base::base(),
        &location.search().unwrap_or_default(),
        &key,
    )
}

/// Where this tab keeps its id: `sessionStorage` survives a reload of the tab, not to others.
const TAB_ID_ITEM: &str = "wirebook-tab-id";

/// This tab's id, made once per tab (a fresh one each time if storage is refused: then a
/// reload starts a new scratch kernel, as before kernels were kept).
fn tab_id() -> String {
    let storage = window().session_storage().ok().flatten();
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item(TAB_ID_ITEM).ok().flatten())
        .filter(|id| KernelKey::tab(id).is_ok())
    {
        return id;
    }
    let id = new_tab_id(js_sys::Math::random(), js_sys::Math::random());
    if let Some(storage) = storage {
        let _ = storage.set_item(TAB_ID_ITEM, &id);
    }
    id
}

/// 26 hex digits from two random numbers in [0, 1).
pub fn new_tab_id(a: f64, b: f64) -> String {
    let bits = |x: f64| (x * (1u64 << 52) as f64) as u64;
    format!("{:013x}{:013x}", bits(a), bits(b))
}

/// Resolves once the page's notebook is loaded (or failed to load): polled, since it happens
/// once per page and within moments.
async fn notebook_loaded(session: Session) {
    while session
        .files
        .loading
        .with_untracked(|l| matches!(l, Loading::Opening(_)))
    {
        TimeoutFuture::new(20).await;
    }
}

/// When to open the session socket again after it dropped: 500 ms doubling to 8 s, each delay
/// between half and all of its step ("equal jitter", so that the tabs of a restarted server do
/// not come back in lockstep), for as long as the page is open.
const RETRY: Schedule = Schedule {
    first: Duration::from_millis(500),
    cap: Duration::from_secs(8),
    least: 0.5,
    most: 1.0,
    max_attempts: None,
};

/// Runs for the life of the page: connect, serve the session until it drops, wait, repeat.
pub async fn run(session: Session, mut requests: UnboundedReceiver<ClientMsg>) {
    notebook_loaded(session).await;
    let mut backoff = Backoff::new(RETRY);
    // Requests taken from the channel whose send failed; they go first next time.
    let mut unsent = VecDeque::new();
    loop {
        session.connection.set(Connection::Connecting {
            attempt: backoff.attempts(),
        });
        let url = page_session_url(session);
        let ended = match WebSocket::open(&url) {
            Ok(ws) => serve(session, ws, &mut requests, &mut unsent, &mut backoff).await,
            Err(e) => Ended::Lost(format!("cannot open {url}: {e}")),
        };
        let reason = match ended {
            Ended::Lost(reason) => reason,
            Ended::PageClosing => return,
        };
        session.notebook.update(|n| n.connection_lost());
        session.kernel.set(KernelState::Closed {
            code: None,
            reason: "no session with the server".into(),
        });
        let delay = backoff
            .next_delay(js_sys::Math::random())
            .unwrap_or(RETRY.cap)
            .as_millis()
            .try_into()
            .unwrap_or(u32::MAX);
        countdown(session, reason, delay).await;
    }
}

enum Ended {
    /// The socket closed or failed; the text says how.
    Lost(String),
    /// Nobody can send requests any more: the app is gone.
    PageClosing,
}

/// Serves one socket until it ends.
async fn serve(
    session: Session,
    ws: WebSocket,
    requests: &mut UnboundedReceiver<ClientMsg>,
    unsent: &mut VecDeque<ClientMsg>,
    backoff: &mut Backoff,
) -> Ended {
    let (mut write, mut read) = ws.split();
    let mut reason = "connection lost".to_string();
    // Requests flow only once the server said hello, and stop after a failed send.
    let mut sending = false;
    loop {
        let next = if sending {
            if let Some(request) = unsent.pop_front() {
                Either::Right(Some(request))
            } else {
                match select(read.next(), requests.next()).await {
                    Either::Left((incoming, _)) => Either::Left(incoming),
                    Either::Right((request, _)) => Either::Right(request),
                }
            }
        } else {
            Either::Left(read.next().await)
        };
        match next {
            Either::Left(Some(Ok(Message::Text(text)))) => match server_msg::parse(&text) {
                Ok(msg) => {
                    if matches!(msg, ServerMsg::Hello { .. }) {
                        sending = true;
                        backoff.reset();
                        session.connection.set(Connection::Open);
                    }
                    receive(session, msg);
                }
                Err(e) => session
                    .notices
                    .update(|n| n.push(format!("could not read a message from the server: {e}"))),
            },
            Either::Left(Some(Ok(Message::Bytes(bytes)))) => session.notices.update(|n| {
                n.push(format!(
                    "the server sent a {}-byte binary message; the session protocol is JSON text",
                    bytes.len()
                ))
            }),
            Either::Left(Some(Err(WebSocketError::ConnectionClose(close)))) => {
                reason = close_reason(Some(close.code), &close.reason);
            }
            // An error event is followed by the close event, which ends the stream.
            Either::Left(Some(Err(_))) => {}
            Either::Left(None) => return Ended::Lost(reason),
            Either::Right(Some(request)) => {
                let json = serde_json::to_string(&request).expect("ClientMsg serializes");
                match write.send(Message::Text(json)).await {
                    Ok(()) => match &request {
                        ClientMsg::Execute { cell_id, .. } => {
                            let now = crate::clock::now_rfc3339();
                            session.notebook.maybe_update(|n| {
                                let sent = n.sent(cell_id);
                                n.timing_sent(cell_id, &now) || sent
                            })
                        }
                        // The server answers with `CapturePaused`, which the view shows.
                        ClientMsg::SetCapturePaused { .. } => {}
                        // The server answers with the new kernel's states.
                        ClientMsg::RestartKernel
                        | ClientMsg::SetKernel { .. }
                        | ClientMsg::InterruptKernel => {}
                        // The prompt shows the answer as soon as it was written.
                        ClientMsg::InputReply { .. } => {}
                        // The server says only when it cannot.
                        ClientMsg::MoveKernel { .. } => {}
                        // The server answers with `KernelMessageSent` and the replies.
                        ClientMsg::SendKernelMessage { .. } => {}
                        // The server answers with the kernels listed again.
                        ClientMsg::SetGateway { .. } => {}
                    },
                    Err(_) => {
                        unsent.push_back(request);
                        sending = false;
                    }
                }
            }
            Either::Right(None) => return Ended::PageClosing,
        }
    }
}

/// Applies one server message to the page's state.
fn receive(session: Session, msg: ServerMsg) {
    match msg {
        ServerMsg::Hello {
            protocol,
            server_version,
            instance,
            kernel,
            ..
        } => {
            if protocol != PROTOCOL_VERSION {
                session.notices.update(|n| {
                    n.push(format!(
                        "the server speaks session protocol {protocol}, this page speaks \
                         {PROTOCOL_VERSION}: reload the page to get the server's UI"
                    ))
                });
            }
            session.records.update(|i| {
                i.hello(&instance);
            });
            session.kernel_info.set(Some(kernel));
            session.server_version.set(Some(server_version));
            session.kernel.set(KernelState::Connecting);
        }
        ServerMsg::Kernel { state } => {
            match &state {
                KernelState::Connecting | KernelState::Reconnecting { .. } => {
                    session.execution_state.set(None)
                }
                KernelState::Open { .. } => session.restarting.set(false),
                KernelState::Closed { .. } | KernelState::Failed { .. } => {
                    // A kernel that is gone has no execution state, and its runs are over.
                    session.execution_state.set(None);
                    let why =
                        crate::session::connection::kernel_problem(&state).unwrap_or_default();
                    let why = crate::session::connection::first_clause(&why);
                    session.notebook.update(|n| n.kernel_stopped(&why));
                    session.kernel_gone_for_paced_run();
                    if matches!(state, KernelState::Failed { .. }) {
                        session.restarting.set(false);
                    }
                }
            }
            session.kernel.set(state)
        }
        ServerMsg::Kernels { kernels, gateway } => {
            session.kernels.set(kernels);
            session.gateway.set(gateway);
        }
        ServerMsg::KernelSelected { kernel } => {
            session.execution_state.set(None);
            session
                .notebook
                .update(|n| n.kernel_stopped("another kernel was chosen"));
            session.kernel_info.set(Some(kernel));
        }
        ServerMsg::KernelMessage(KernelMessage {
            cell_id,
            channel,
            msg_type,
            content,
            metadata,
            date,
            parent_msg_id,
            ..
        }) => {
            if channel == Channel::Shell {
                session.assist_reply(parent_msg_id.as_deref(), &msg_type, &content);
            }
            if channel == Channel::Iopub && msg_type == "status" {
                if let Some(state) = content.get("execution_state").and_then(|s| s.as_str()) {
                    session.execution_state.set(Some(state.to_string()));
                }
            }
            if let Some(cell_id) = cell_id {
                session.notebook.maybe_update(|n| {
                    let timed =
                        n.timing_message(&cell_id, &msg_type, &content, &metadata, date.as_deref());
                    n.kernel_message(&cell_id, &msg_type, &content) || timed
                });
            }
        }
        // The editor's completion and inspection requests need no notice.
        ServerMsg::KernelMessageSent {
            msg_type, msg_id, ..
        } if session.assist_sent(&msg_type, &msg_id) => {}
        ServerMsg::KernelMessageSent {
            channel,
            msg_type,
            msg_id,
        } => session.notices.update(|n| {
            n.push(format!(
                "sent {msg_type} on {} as {msg_id}; its replies are in the inspector",
                channel.name()
            ))
        }),
        ServerMsg::Executed {
            cell_id,
            execution_count,
        } => {
            session
                .notebook
                .maybe_update(|n| n.executed(&cell_id, execution_count));
            session.cell_sent(&cell_id, false);
        }
        ServerMsg::Output { cell_id, data } => {
            let now = crate::clock::now_rfc3339();
            // A paced Run All waiting for this cell's answer reads the reply's text.
            let awaited = session.paced.with_value(|p| p.waits_for(&cell_id));
            let text = match &data {
                WireData::Text { text } if awaited => Some(text.clone()),
                _ => None,
            };
            session.notebook.maybe_update(|n| {
                let timed = n.timing_reply(&cell_id, &now);
                n.output(&cell_id, data) || timed
            });
            if awaited {
                session.cell_replied(&cell_id, text.as_deref());
            }
        }
        ServerMsg::Capture {
            records,
            evicted,
            older,
            skipped,
        } => {
            session.records.update(|i| {
                i.capture(records, evicted, older, skipped);
            });
        }
        ServerMsg::CapturePaused { paused } => session.capture_paused.set(Some(paused)),
        ServerMsg::Error {
            message,
            cell_id: Some(cell_id),
        } => {
            let on_cell = session
                .notebook
                .try_update(|n| n.error(&cell_id, message.clone()))
                .unwrap_or(false);
            session.cell_sent(&cell_id, true);
            if !on_cell {
                session.notices.update(|n| n.push(message));
            }
        }
        ServerMsg::Error {
            message,
            cell_id: None,
        } => session.notices.update(|n| n.push(message)),
    }
}

/// Waits `delay_ms`, showing the seconds left, or less if the user asks to retry now.
async fn countdown(session: Session, reason: String, delay_ms: u32) {
    const TICK_MS: u32 = 250;
    session.retry_now.set(false);
    let mut remaining = delay_ms;
    while remaining > 0 && !session.retry_now.get_untracked() {
        let shown = Connection::Closed {
            reason: reason.clone(),
            retry_in_s: remaining.div_ceil(1000),
        };
        if session.connection.with_untracked(|c| *c != shown) {
            session.connection.set(shown);
        }
        let step = remaining.min(TICK_MS);
        TimeoutFuture::new(step).await;
        remaining -= step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_url_follows_the_page() {
        let root = BaseUrl::root();
        let prefixed = BaseUrl::parse("/user/a/wirebook/").unwrap();
        let tab = KernelKey::Tab { id: "t1".into() };
        assert_eq!(
            session_url("http:", "127.0.0.1:8977", &root, "?token=abc", &tab),
            "ws://127.0.0.1:8977/session?token=abc&tab=t1"
        );
        assert_eq!(
            session_url("https:", "example.com", &root, "?x=1&token=t%2B1&y=2", &tab),
            "wss://example.com/session?token=t%2B1&tab=t1"
        );
        assert_eq!(
            session_url("https:", "hub.example", &prefixed, "?token=abc", &tab),
            "wss://hub.example/user/a/wirebook/session?token=abc&tab=t1"
        );
        // No token, an empty one, or a parameter that only ends in "token": none is passed on.
        for search in ["", "?token=", "?notoken=x"] {
            assert_eq!(
                session_url("http:", "h:1", &root, search, &tab),
                "ws://h:1/session?tab=t1",
                "{search}"
            );
        }
        let notebook = KernelKey::Notebook {
            path: "dir/a&b.ipynb".into(),
        };
        assert_eq!(
            session_url("http:", "h:1", &root, "?token=t", &notebook),
            "ws://h:1/session?token=t&notebook=dir/a%26b.ipynb"
        );
    }

    #[test]
    fn tab_ids_are_valid_keys_and_differ() {
        let one = new_tab_id(0.0, 0.999_999);
        let other = new_tab_id(0.5, 0.25);
        assert!(KernelKey::tab(&one).is_ok(), "{one}");
        assert_eq!(one.len(), 26);
        assert_ne!(one, other);
    }
}
