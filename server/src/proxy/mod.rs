//! `/tap/NAME`: the transparent proxy's handler. A WebSocket client's upgrade is relayed to the
//! route's URL, and both hops are captured: the client's socket on hop `tap` (through the
//! listener's tap, like `/echo`), the upstream socket on hop `upstream` (a [`Tap`] around the
//! `TcpStream`, like a kernel link).
//!
//! Upstream is dialled first, and the client's upgrade is answered with upstream's outcome: a
//! `101` carrying the subprotocol and extensions upstream chose, upstream's own 4xx/5xx status
//! (with its body) when it refused, or `502` when it could not be reached or answered something
//! that is not a valid WebSocket handshake. The opening handshake with upstream is written here
//! by hand (not by tungstenite) so that the bytes upstream sent right after its `101` stay in
//! hand and are relayed first, and because after the handshakes the relay (`crate::proxy::relay`)
//! moves frames as bytes — which is also why permessage-deflate can be offered upstream: its
//! compressed frames pass through unchanged, and both peers negotiated it with each other.
//!
//! The wing: [`routes`] (what a route is, parsed from `--route`), [`route_table`] (the routes
//! while the server runs), [`api`] (`/api/routes`), [`relay`] (frames as bytes, both ways).

pub mod api;
pub mod intercept;
pub mod relay;
pub mod route_table;
pub mod routes;

use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::header::{SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_PROTOCOL};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wirebook_shared::wire::{check_upgrade, parse_request, HeadReader, Parsed};
use wirebook_shared::Hop;

use self::relay::{DirectionEnd, Peer, RelayEnd};
use crate::auth::{self, TokenSource};
use crate::capture::links::Links;
use crate::capture::recorder::Recorder;
use crate::capture::ring::Capture;
use crate::capture::tap::{Tap, TapConnectInfo};
use crate::proxy::intercept::Intercept;
use crate::proxy::route_table::RouteTable;
use crate::proxy::routes::Route;
use crate::shutdown::Shutdown;
use crate::upstream::{connect as connect_upstream, TlsSettings, UpstreamIo, CONNECT_TIMEOUT};
use crate::websocket::upgrade::{self, Capturing};

/// Body bytes of a refusing upstream answer passed on to the client.
const MAX_REFUSAL_BODY: usize = 4096;

/// What the proxy's handlers read of the server's state. The server's state implements it, so
/// the proxy stays below the state that holds its route table.
pub trait Proxying: Clone + Send + Sync + 'static {
    fn routes(&self) -> &RouteTable;
    fn capture(&self) -> &Arc<Capture>;
    fn shutdown(&self) -> &Shutdown;
    /// The token (`--token`), needed by private routes and kept from upstream.
    fn token(&self) -> &str;
    /// `--allow-origin`: pages that may use the token cookie.
    fn allow_origins(&self) -> &[String];
    /// How `wss://` upstreams are verified.
    fn tls(&self) -> &TlsSettings;
    /// Breakpoints and held messages.
    fn intercept(&self) -> &Arc<Intercept>;
}

/// Handles `GET /tap/NAME`.
pub async fn socket<S: Proxying>(
    State(app): State<S>,
    Path(name): Path<String>,
    ConnectInfo(connection): ConnectInfo<TapConnectInfo>,
    request: Request,
) -> Response {
    let Some(route) = app.routes().get(&name) else {
        return (
            StatusCode::NOT_FOUND,
            format!("no route named {name:?} (routes are given with --route NAME=URL or added in the UI)\n"),
        )
            .into_response();
    };
    if !route.public {
        let source = auth::check_token(app.token(), request.uri().query(), request.headers());
        match source {
            None => {
                return (
                    StatusCode::FORBIDDEN,
                    "missing or wrong token: pass ?token=, the wirebook_token cookie or \
                     `Authorization: token T` (or create the route with ,public)\n",
                )
                    .into_response()
            }
            // A cookie comes along by itself from any page in the browser: only the
            // server's own pages (and --allow-origin) may use it.
            Some(TokenSource::Cookie)
                if !auth::origin_allowed(request.headers(), app.allow_origins()) =>
            {
                return (
                    StatusCode::FORBIDDEN,
                    "this page's origin may not use wirebook's cookie (see --allow-origin)\n",
                )
                    .into_response()
            }
            Some(_) => {}
        }
    }
    if let Err(not_upgrade) = upgrade::check_upgrade(request.method(), request.headers()) {
        return not_upgrade.into_response();
    }
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    // Under a breakpoint, permessage-deflate is not offered upstream: with context takeover
    // every compressed message depends on the ones before, so dropping or editing one would
    // corrupt the rest (and an edit would have to be compressed again).
    let mut headers = request.headers().clone();
    if app.intercept().armed_on(&route.name) {
        headers.remove(SEC_WEBSOCKET_EXTENSIONS);
    }
    let head = crate::proxy::routes::upstream_request(
        &route.url,
        request.uri().query(),
        &headers,
        app.token(),
        &key,
    );
    let dial = tokio::time::timeout(
        CONNECT_TIMEOUT,
        dial(&route, head, app.capture(), app.tls()),
    );
    let upstream = tokio::select! {
        dialled = dial => dialled.unwrap_or_else(|_| Err(Refusal::Failed(format!(
            "no answer within {}s", CONNECT_TIMEOUT.as_secs()
        )))),
        () = app.shutdown().triggered() => {
            return (StatusCode::SERVICE_UNAVAILABLE, "wirebook is shutting down\n").into_response();
        }
    };
    let upstream = match upstream {
        Ok(upstream) => upstream,
        Err(refusal) => {
            tracing::warn!(route = %route.name, url = %crate::upstream::url::for_logs(&route.url.text), ?refusal, "upstream refused the relay");
            return refusal.into_response(&route);
        }
    };
    let capturing = Capturing {
        capture: app.capture(),
        hop: Hop::Tap,
        connection: &connection,
    };
    let shutdown = app.shutdown().child();
    let answer = upstream.answer.clone();
    let compressed = answer.contains_key(SEC_WEBSOCKET_EXTENSIONS);
    let intercept = Arc::clone(app.intercept());
    upgrade::accept_raw(
        request,
        answer,
        app.shutdown(),
        capturing,
        move |accepted| async move {
            let (_registered, [up_hook, down_hook]) = intercept.open_relay(
                accepted.recorder.conn(),
                &route.name,
                compressed,
                [accepted.recorder.clone(), upstream.recorder.clone()],
            );
            let end = relay::run(
                Peer {
                    io: accepted.io,
                    early: accepted.early,
                    links: &accepted.links,
                    hook: Some(up_hook),
                },
                Peer {
                    io: upstream.io,
                    early: upstream.early,
                    links: &upstream.links,
                    hook: Some(down_hook),
                },
                &shutdown,
            )
            .await;
            let reason = describe(&end);
            accepted.recorder.finish(reason.clone());
            upstream.recorder.finish(reason);
        },
    )
}

/// Upstream after its `101`.
struct Upstream {
    io: Tap<UpstreamIo>,
    recorder: Recorder,
    links: Arc<Links>,
    /// Bytes upstream sent after its `101` head, before the relay started.
    early: Vec<u8>,
    /// What the client's `101` passes on: upstream's subprotocol and extensions.
    answer: HeaderMap,
}

/// Why the client's upgrade is not answered with `101`.
#[derive(Debug)]
enum Refusal {
    /// Upstream could not be reached, or its answer is not a WebSocket handshake: `502`.
    Failed(String),
    /// Upstream answered with this status (not 101), reason phrase and body start.
    Answered {
        status: u16,
        reason: String,
        body: Vec<u8>,
    },
}

impl Refusal {
    fn into_response(self, route: &Route) -> Response {
        match self {
            Refusal::Failed(why) => (
                StatusCode::BAD_GATEWAY,
                format!(
                    "wirebook: cannot relay to {} (route {:?}): {why}\n",
                    route.url.text, route.name
                ),
            )
                .into_response(),
            Refusal::Answered {
                status,
                reason,
                body,
            } => {
                // Upstream's own refusal (401, 404, 503…) reaches the client as it is; a
                // status that would mean something else from a proxy becomes 502.
                let code = StatusCode::from_u16(status)
                    .ok()
                    .filter(|s| s.is_client_error() || s.is_server_error())
                    .unwrap_or(StatusCode::BAD_GATEWAY);
                let mut text = format!(
                    "wirebook: upstream {} (route {:?}) answered {status} {reason} instead of 101\n",
                    route.url.text, route.name
                );
                if !body.is_empty() {
                    text.push('\n');
                    text.push_str(&String::from_utf8_lossy(&body));
                }
                (code, text).into_response()
            }
        }
    }
}

/// Connects to upstream through a tap and does the opening handshake.
async fn dial(
    route: &Route,
    head: Vec<u8>,
    capture: &Arc<Capture>,
    tls: &TlsSettings,
) -> Result<Upstream, Refusal> {
    let url = &route.url;
    let (mut io, recorder) =
        connect_upstream(url.endpoint(tls), capture, Hop::Upstream, url.text.clone())
            .await
            .map_err(Refusal::Failed)?;
    let fail = |recorder: &Recorder, why: String| {
        recorder.finish(why.clone());
        Refusal::Failed(why)
    };
    let links = io.handle().links();
    if let Err(error) = io.write_all(&head).await {
        return Err(fail(
            &recorder,
            format!("sending the handshake failed: {error}"),
        ));
    }
    let mut reader = HeadReader::<wirebook_shared::wire::Response>::new();
    let mut buf = vec![0u8; 16 * 1024];
    let (response, early) = loop {
        let n = match io.read(&mut buf).await {
            Ok(0) => {
                return Err(fail(
                    &recorder,
                    "upstream closed the connection without answering the handshake".into(),
                ))
            }
            Ok(n) => n,
            Err(error) => {
                return Err(fail(
                    &recorder,
                    format!("reading the answer failed: {error}"),
                ))
            }
        };
        match reader.push(&buf[..n]) {
            Ok(Parsed::Incomplete) => {}
            Ok(Parsed::Complete { head, consumed }) => break (head, buf[consumed..n].to_vec()),
            Err(error) => {
                return Err(fail(
                    &recorder,
                    format!("upstream's answer is not HTTP: {error}"),
                ))
            }
        }
    };
    if response.status != 101 {
        let body = refusal_body(&mut io, &response, early).await;
        recorder.finish(format!(
            "upstream answered {} {} instead of 101",
            response.status, response.reason
        ));
        return Err(Refusal::Answered {
            status: response.status,
            reason: response.reason,
            body,
        });
    }
    let Ok(Parsed::Complete { head: request, .. }) = parse_request(&head) else {
        return Err(fail(
            &recorder,
            "internal: the upstream request does not parse".into(),
        ));
    };
    let upgrade = check_upgrade(&request, &response);
    if !upgrade.accepted() {
        let findings: Vec<String> = upgrade.findings.iter().map(ToString::to_string).collect();
        return Err(fail(
            &recorder,
            format!(
                "upstream's 101 is not a valid WebSocket handshake: {}",
                findings.join("; ")
            ),
        ));
    }
    let mut answer = HeaderMap::new();
    for header in &response.headers.0 {
        let name = if header.name.eq_ignore_ascii_case("sec-websocket-protocol") {
            SEC_WEBSOCKET_PROTOCOL
        } else if header.name.eq_ignore_ascii_case("sec-websocket-extensions") {
            SEC_WEBSOCKET_EXTENSIONS
        } else {
            continue;
        };
        match HeaderValue::from_str(&header.value) {
            Ok(value) => {
                answer.append(name, value);
            }
            Err(_) => {
                return Err(fail(
                    &recorder,
                    format!("upstream's {} header is not a valid value", header.name),
                ))
            }
        }
    }
    Ok(Upstream {
        io,
        recorder,
        links,
        early,
        answer,
    })
}

/// The start of a refusing answer's body: what came with the head, and up to its
/// `Content-Length` (at most [`MAX_REFUSAL_BODY`]) read within a second.
async fn refusal_body(
    io: &mut Tap<UpstreamIo>,
    response: &wirebook_shared::wire::Response,
    mut body: Vec<u8>,
) -> Vec<u8> {
    let want = response
        .headers
        .get("Content-Length")
        .and_then(|l| l.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_REFUSAL_BODY);
    let mut buf = vec![0u8; MAX_REFUSAL_BODY];
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        while body.len() < want {
            match io.read(&mut buf[..want - body.len()]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    body.truncate(MAX_REFUSAL_BODY);
    body
}

/// The `Closed` reason of both hops' records.
fn describe(end: &RelayEnd) -> String {
    let side = |end: &DirectionEnd| match end {
        DirectionEnd::HungUp => "hung up".to_string(),
        DirectionEnd::ShutDown => "got 1001 (server shutting down)".to_string(),
        DirectionEnd::Failed(why) => why.clone(),
    };
    if end.timed_out {
        return format!("relay stopped: {}", side(&end.upstream));
    }
    format!(
        "relay ended: client {}, upstream {}",
        side(&end.upstream),
        side(&end.downstream)
    )
}
