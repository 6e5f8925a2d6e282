//! Accepting a WebSocket: validate the upgrade request, answer `101 Switching Protocols`, and
//! run the socket in a tracked task.
//!
//! This does by hand what axum's `WebSocketUpgrade` would do, so that the server owns the raw
//! upgraded IO: `hyper::upgrade::on`, then the accepted socket itself taken back out of hyper
//! ([`Upgraded::downcast`]), then tungstenite's codec via [`WebSocketStream::from_raw_socket`].
//! Reading and writing the socket directly spares every frame hyper's boxed IO and two
//! adapters between tokio's and hyper's IO traits, on the relay's path and the sessions'.
//!
//! The byte tap sits below hyper (see `crate::capture::tap`): [`accept`] opens the
//! connection's capture and switches its tap to WebSocket mode before the `101` is written.
//! `/echo` and `/session` go through [`accept`]; the transparent proxy (`/tap/NAME`) through
//! [`accept_raw`], which hands over the upgraded bytes without a codec.

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use wirebook_shared::Hop;

use crate::admission;
use crate::capture::links::Links;
use crate::capture::recorder::Recorder;
use crate::capture::ring::Capture;
use crate::capture::tap::{rebuild_head, Tap, TapConnectInfo};
use crate::shutdown::Shutdown;
use crate::websocket::read_ahead::ReadAhead;

/// A server-side WebSocket on an upgraded HTTP connection.
pub type ServerSocket = WebSocketStream<ReadAhead<Tap<TcpStream>>>;

/// Why a request is not a WebSocket upgrade we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotUpgrade {
    Method,
    MissingUpgradeHeaders,
    Version,
    MissingKey,
}

impl IntoResponse for NotUpgrade {
    fn into_response(self) -> Response {
        match self {
            NotUpgrade::Method => {
                (StatusCode::METHOD_NOT_ALLOWED, "a WebSocket upgrade must be a GET\n").into_response()
            }
            NotUpgrade::MissingUpgradeHeaders => (
                StatusCode::BAD_REQUEST,
                "this is a WebSocket endpoint: expected `Connection: upgrade` and `Upgrade: websocket`\n",
            )
                .into_response(),
            NotUpgrade::Version => (
                StatusCode::UPGRADE_REQUIRED,
                [(SEC_WEBSOCKET_VERSION, "13")],
                "only WebSocket version 13 is supported\n",
            )
                .into_response(),
            NotUpgrade::MissingKey => {
                (StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key\n").into_response()
            }
        }
    }
}

/// Checks an upgrade request (RFC 6455 §4.2.1) and returns its `Sec-WebSocket-Key`.
pub fn check_upgrade<'a>(
    method: &Method,
    headers: &'a HeaderMap,
) -> Result<&'a HeaderValue, NotUpgrade> {
    if method != Method::GET {
        return Err(NotUpgrade::Method);
    }
    let has_token = |name, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value.to_str().is_ok_and(|value| {
                value
                    .split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    if !has_token(CONNECTION, "upgrade") || !has_token(UPGRADE, "websocket") {
        return Err(NotUpgrade::MissingUpgradeHeaders);
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(NotUpgrade::Version);
    }
    headers.get(SEC_WEBSOCKET_KEY).ok_or(NotUpgrade::MissingKey)
}

/// An accepted WebSocket with its capture: the task says how it ended through `recorder`,
/// and tags what it sends / learns what it received through `links`.
pub struct Accepted {
    pub socket: ServerSocket,
    pub recorder: Recorder,
    pub links: Arc<Links>,
}

/// How an accepted socket is captured.
pub struct Capturing<'a> {
    pub capture: &'a Arc<Capture>,
    pub hop: Hop,
    pub connection: &'a TapConnectInfo,
}

/// Answers an upgrade request with 101 and hands the socket to `on_socket` in a task tracked by
/// `shutdown`. A request that is not a valid upgrade gets a 4xx instead.
pub fn accept<F, Fut>(
    request: Request,
    config: WebSocketConfig,
    shutdown: &Shutdown,
    capturing: Capturing<'_>,
    on_socket: F,
) -> Response
where
    F: FnOnce(Accepted) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    accept_raw(
        request,
        HeaderMap::new(),
        shutdown,
        capturing,
        move |raw| async move {
            let socket = WebSocketStream::from_raw_socket(
                ReadAhead::with_early(raw.io, raw.early),
                Role::Server,
                Some(config),
            )
            .await;
            on_socket(Accepted {
                socket,
                recorder: raw.recorder,
                links: raw.links,
            })
            .await;
        },
    )
}

/// An accepted upgrade before any WebSocket codec: the accepted socket with its tap.
pub struct AcceptedRaw {
    pub io: Tap<TcpStream>,
    /// Bytes the client sent after its upgrade request that hyper had read already (a client
    /// must wait for the `101`, so normally none): they come before anything read from `io`.
    pub early: Vec<u8>,
    pub recorder: Recorder,
    pub links: Arc<Links>,
}

/// The accepted socket under an upgraded connection, and what hyper had read past the upgrade
/// request. Every connection is served on a [`Tap`] by `crate::admission`, so this finds one;
/// `None` would mean a connection served some other way.
fn socket_of(upgraded: Upgraded) -> Option<(Tap<TcpStream>, Vec<u8>)> {
    let parts = upgraded.downcast::<TokioIo<Tap<TcpStream>>>().ok()?;
    Some((parts.io.into_inner(), parts.read_buf.to_vec()))
}

/// Like [`accept`], but hands over the raw upgraded IO, and adds `headers` to the `101` (the
/// transparent proxy answers with upstream's subprotocol and extensions).
pub fn accept_raw<F, Fut>(
    mut request: Request,
    headers: HeaderMap,
    shutdown: &Shutdown,
    capturing: Capturing<'_>,
    on_upgraded: F,
) -> Response
where
    F: FnOnce(AcceptedRaw) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let accept_key = match check_upgrade(request.method(), request.headers()) {
        Ok(key) => derive_accept_key(key.as_bytes()),
        Err(not_upgrade) => return not_upgrade.into_response(),
    };
    let path = request.uri().path().to_string();
    let recorder = Recorder::open(
        capturing.capture,
        capturing.hop,
        capturing.connection.peer.to_string(),
        "wirebook".into(),
        path.clone(),
    );
    let tap = &capturing.connection.tap;
    tap.switch_to_websocket(recorder.clone(), rebuild_head(&request));
    let links = tap.links();
    let on_upgrade = hyper::upgrade::on(&mut request);
    // The connection keeps its place in the accept loop's caps for as long as the socket
    // lives: hyper lets go of the connection once it is upgraded.
    let pass = admission::Pass::of(&request);
    shutdown.spawn(async move {
        let _pass = pass;
        match on_upgrade.await {
            Ok(upgraded) => match socket_of(upgraded) {
                Some((io, early)) => {
                    on_upgraded(AcceptedRaw {
                        io,
                        early,
                        recorder,
                        links,
                    })
                    .await;
                }
                None => {
                    tracing::error!(%path, "an upgraded connection was not an accepted socket");
                    recorder.finish("the upgraded connection was not an accepted socket");
                }
            },
            Err(error) => {
                tracing::warn!(%error, %path, "WebSocket upgrade failed");
                recorder.finish(format!("the upgrade failed: {error}"));
            }
        }
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let out = response.headers_mut();
    out.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    out.insert(UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(value) = HeaderValue::from_str(&accept_key) {
        out.insert(SEC_WEBSOCKET_ACCEPT, value);
    }
    for (name, value) in &headers {
        out.append(name, value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::headers;

    const GOOD: &[(&str, &str)] = &[
        ("connection", "keep-alive, Upgrade"),
        ("upgrade", "WebSocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    #[test]
    fn accepts_a_valid_upgrade() {
        let map = headers(GOOD);
        let key = check_upgrade(&Method::GET, &map).unwrap();
        // The RFC 6455 example.
        assert_eq!(
            derive_accept_key(key.as_bytes()),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn rejects_what_is_not_an_upgrade() {
        assert_eq!(
            check_upgrade(&Method::POST, &headers(GOOD)),
            Err(NotUpgrade::Method)
        );
        assert_eq!(
            check_upgrade(&Method::GET, &headers(&GOOD[1..])),
            Err(NotUpgrade::MissingUpgradeHeaders)
        );
        let mut old = headers(GOOD);
        old.insert("sec-websocket-version", HeaderValue::from_static("8"));
        assert_eq!(check_upgrade(&Method::GET, &old), Err(NotUpgrade::Version));
        assert_eq!(
            check_upgrade(&Method::GET, &headers(&GOOD[..3])),
            Err(NotUpgrade::MissingKey)
        );
        assert_eq!(
            NotUpgrade::Version.into_response().status(),
            StatusCode::UPGRADE_REQUIRED
        );
    }
}
