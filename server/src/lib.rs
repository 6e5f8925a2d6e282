//! wirebook's server: serves the UI, the browser's `/session` socket and the `/echo` kernel, and
//! relays between browsers and kernels while capturing everything that crosses either hop.
//!
//! Capture happens in one place: a byte tap (`tap`) under every WebSocket the server owns —
//! accepted ones (`/session`, `/echo`) through the listener given to `axum::serve`, upstream
//! ones (kernels) around the `TcpStream` — that decodes handshakes and frames (`trace`) into the
//! capture ring (`capture`), which sessions stream to browsers and `export` downloads.
//!
//! The binary (`main.rs`) only parses arguments, binds, prints the URL and waits for a signal;
//! [`serve`] is the whole server, so integration tests run it in-process on port 0.

pub mod admission;
pub mod api_request;
pub mod auth;
pub mod capture;
pub mod catalog;
pub mod cli;
pub mod close;
pub mod demo;
pub mod echo;
pub mod export;
pub mod gateway;
pub mod jupyter;
pub mod kernel;
pub mod notebook_dir;
pub mod notebooks;
pub mod proxy;
pub mod redaction;
pub mod relay;
pub mod route_table;
pub mod routes;
pub mod session;
pub mod shutdown;
pub mod tap;
pub mod trace;
pub mod ui;
pub mod upgrade;
pub mod upstream;
pub mod upstream_url;

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use wirebook_shared::{Hop, KernelChoice, KernelInfo};

use crate::capture::Capture;
use crate::catalog::KernelCatalog;
use crate::kernel::KernelTarget;
use crate::session::SessionContext;
use crate::shutdown::Shutdown;
use crate::tap::TapConnectInfo;
use crate::upgrade::Capturing;

/// Everything the server can be told.
#[derive(Debug, Clone)]
pub struct Config {
    /// Required by the UI and `/session`.
    pub token: String,
    /// The built UI.
    pub dist: PathBuf,
    /// Origins besides the server's own whose pages may open wirebook's WebSockets and send
    /// it anything but GET/HEAD (`--allow-origin`).
    pub allow_origins: Vec<String>,
    /// Host names served besides loopback ones when bound to loopback (`--allow-host`).
    pub allow_hosts: Vec<String>,
    /// Connection caps and the request head deadline.
    pub limits: admission::Limits,
    /// Largest WebSocket message (and frame) read from a peer, in bytes.
    pub max_message_size: usize,
    /// Record what crosses the sockets (`--no-capture` turns the byte taps off).
    pub capture: bool,
    /// Capture records kept.
    pub capture_limit: usize,
    /// Bytes of memory the capture's records may take (`--capture-memory`).
    pub capture_memory: usize,
    /// The capture memory a new session's backlog may take (the newest records).
    pub session_backlog: usize,
    /// Payload bytes kept per capture record.
    pub preview_bytes: usize,
    /// How long [`serve`] waits for connections to close after the shutdown signal.
    pub shutdown_grace: Duration,
    /// The kernel sessions connect to (`--kernel`); `None` is the built-in `/echo` of this
    /// server.
    pub kernel_url: Option<String>,
    /// Extra request headers for the kernel's opening handshake (`--kernel-header`).
    pub kernel_headers: Vec<(String, String)>,
    /// Headers sent like `kernel_headers` whose values are redacted from the capture
    /// (`--kernel-secret-header`).
    pub kernel_secret_headers: Vec<(String, String)>,
    /// Subprotocols offered to the kernel (`--kernel-subprotocol`).
    pub kernel_subprotocols: Vec<String>,
    /// How long connecting to the kernel may take (`--kernel-connect-timeout`).
    pub kernel_connect_timeout: Duration,
    /// Pings to the kernel and the pong timeout (`--kernel-ping-interval`).
    pub kernel_keepalive: Option<kernel::Keepalive>,
    /// Reconnect to the kernel by itself when the connection is lost (`--kernel-reconnect`).
    pub kernel_reconnect: bool,
    /// Where the notebooks API reads and writes `.ipynb` files.
    pub notebook_dir: PathBuf,
    /// Largest request body the notebooks API accepts, in bytes.
    pub max_notebook_size: usize,
    /// The transparent proxy's routes: `/tap/NAME` relays to the route's URL.
    pub routes: Vec<routes::Route>,
    /// How `wss://` upstreams (kernels, routes) are verified.
    pub tls: upstream::TlsSettings,
    /// Where local kernelspecs are found and connection files written.
    pub jupyter: jupyter::JupyterConfig,
    /// A Jupyter Server whose kernels sessions may use (`--gateway-url`).
    pub gateway: Option<gateway::GatewayConfig>,
}

impl Config {
    /// The defaults of the command line, with the given token.
    pub fn new(token: impl Into<String>) -> Self {
        Config {
            token: token.into(),
            dist: PathBuf::from("dist"),
            allow_origins: Vec::new(),
            allow_hosts: Vec::new(),
            limits: admission::Limits::default(),
            max_message_size: 8 * 1024 * 1024,
            capture: true,
            capture_limit: 100_000,
            capture_memory: capture::DEFAULT_MEMORY_BUDGET,
            session_backlog: session::BACKLOG_BYTES,
            preview_bytes: 1024,
            shutdown_grace: Duration::from_secs(5),
            kernel_url: None,
            kernel_headers: Vec::new(),
            kernel_secret_headers: Vec::new(),
            kernel_subprotocols: Vec::new(),
            kernel_connect_timeout: kernel::CONNECT_TIMEOUT,
            kernel_keepalive: None,
            kernel_reconnect: false,
            notebook_dir: PathBuf::from("."),
            max_notebook_size: 64 * 1024 * 1024,
            routes: Vec::new(),
            tls: upstream::TlsSettings::default(),
            jupyter: jupyter::JupyterConfig {
                extra_paths: Vec::new(),
                runtime_dir: None,
                startup_timeout: Duration::from_secs(60),
            },
            gateway: None,
        }
    }

    /// The startup kernel (`--kernel` and its options) as a link target named by `info`.
    pub fn kernel_target(&self, info: KernelInfo) -> KernelTarget {
        KernelTarget {
            info,
            config: self.websocket(),
            headers: self.kernel_headers.clone(),
            secret_headers: self.kernel_secret_headers.clone(),
            subprotocols: self.kernel_subprotocols.clone(),
            connect_timeout: self.kernel_connect_timeout,
            keepalive: self.kernel_keepalive,
            tls: Arc::new(self.tls.clone()),
            reconnect: self.kernel_reconnect,
        }
    }

    /// The codec settings of a WebSocket wirebook serves without the token (`/echo`,
    /// `/demo/*`) when `trusted` is false: messages of at most [`ANONYMOUS_MESSAGE_SIZE`],
    /// so that the anonymous connections together hold at most their cap times that.
    pub fn websocket_for(&self, trusted: bool) -> WebSocketConfig {
        let limit = if trusted {
            self.max_message_size
        } else {
            self.max_message_size.min(ANONYMOUS_MESSAGE_SIZE)
        };
        self.websocket()
            .max_message_size(Some(limit))
            .max_frame_size(Some(limit))
    }

    /// The codec settings for every WebSocket, both hops.
    pub fn websocket(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            // tungstenite zeroes this much buffer before every read attempt (its default is
            // 128 KiB): with many small messages that memset was most of the server's CPU time
            // (docs/benchmarks.md). Bigger messages still arrive, a read at a time.
            .read_buffer_size(READ_BUFFER)
            .max_message_size(Some(self.max_message_size))
            // The frame limit makes an oversize frame fail at its header, before it is read.
            .max_frame_size(Some(self.max_message_size))
    }
}

/// The largest message `/echo` and `/demo/*` take from a connection without the token (with
/// it, `--max-message-size`): 512 anonymous connections hold at most 128 MiB of messages.
pub const ANONYMOUS_MESSAGE_SIZE: usize = 256 * 1024;

/// Bytes read from a WebSocket at a time.
pub const READ_BUFFER: usize = 16 * 1024;

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) config: Arc<Config>,
    capture: Arc<Capture>,
    kernels: Arc<KernelCatalog>,
    /// The tap proxy's routes: the command line's and the UI's.
    routes: Arc<route_table::RouteTable>,
    instance: String,
    shutdown: Shutdown,
    /// What every request is checked against (see `admission`).
    policy: Arc<admission::Policy>,
}

/// Where a listener bound to `addr` can be reached: an unspecified address (`0.0.0.0`, `::`)
/// is reached on loopback.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

/// The URL a user opens: the UI with the token.
pub fn ui_url(addr: SocketAddr, token: &str) -> String {
    format!("http://{}/?token={token}", reachable(addr))
}

/// The one line `wirebook` prints on stdout when it is ready.
pub fn startup_line(addr: SocketAddr, token: &str) -> String {
    format!("wirebook is running at {}", ui_url(addr, token))
}

/// Runs the server on `listener` until `shutdown` resolves; then every socket gets a 1001
/// close, kernel connections are closed, and this returns once they are done or
/// `config.shutdown_grace` has passed.
pub async fn serve<F>(listener: TcpListener, config: Config, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr()?;
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist.display(), "no index.html: the UI is not built (run `trunk build`)");
    }
    let grace = config.shutdown_grace;
    let capture = if config.capture {
        Capture::new(config.capture_limit, config.preview_bytes)
            .memory_budget(config.capture_memory)
            .redacting(&config.token)
    } else {
        Capture::disabled()
    };
    let app = App {
        capture: Arc::new(capture),
        routes: Arc::new(route_table::RouteTable::new(&config.routes)),
        kernels: Arc::new(KernelCatalog {
            startup: Arc::new(config.kernel_target(match &config.kernel_url {
                None => KernelInfo {
                    name: "echo".into(),
                    url: format!("ws://{}/echo", reachable(addr)),
                    choice: KernelChoice::Startup,
                    language: None,
                },
                Some(url) => KernelInfo {
                    name: "websocket".into(),
                    url: url.clone(),
                    choice: KernelChoice::Startup,
                    language: None,
                },
            })),
            jupyter: Arc::new(config.jupyter.clone()),
            gateway: config.gateway.clone().map(Arc::new),
        }),
        policy: Arc::new(admission::Policy {
            loopback: addr.ip().is_loopback(),
            csp: admission::content_security_policy(
                std::fs::read_to_string(config.dist.join("index.html"))
                    .ok()
                    .as_deref(),
            ),
        }),
        config: Arc::new(config),
        instance: format!("{:016x}", rand::random::<u64>()),
        shutdown: Shutdown::new(),
    };
    let lifecycle = app.shutdown.clone();
    let trigger = lifecycle.clone();
    let (capture, limits) = (app.config.capture, app.config.limits);
    let shutting_down =
        admission::serve(listener, capture, router(app), limits, grace, async move {
            shutdown.await;
            trigger.trigger();
        })
        .await;
    let unfinished = lifecycle
        .wait(grace.saturating_sub(shutting_down.elapsed()))
        .await;
    if unfinished > 0 {
        tracing::warn!(
            unfinished,
            "connections still open after the shutdown grace period"
        );
    }
    Ok(())
}

fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/echo", get(echo_socket))
        .route("/session", get(session_socket))
        .route("/tap/{name}", get(proxy::socket))
        .route("/demo/push", get(demo::push))
        .route("/demo/close", get(demo::close))
        .route("/demo/fragmented", get(demo::fragmented))
        .route("/api/capture.har", get(export::har))
        .route("/api/capture.jsonl", get(export::jsonl))
        .route("/api/capture/stats", get(export::stats))
        .merge(notebooks::routes(&app.config))
        .merge(route_table::api())
        .fallback(ui::serve)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            admission::admit,
        ))
        .with_state(app)
}

async fn echo_socket(
    State(app): State<App>,
    ConnectInfo(connection): ConnectInfo<TapConnectInfo>,
    request: Request,
) -> Response {
    let shutdown = app.shutdown.child();
    let capturing = Capturing {
        capture: &app.capture,
        hop: Hop::Endpoint,
        connection: &connection,
    };
    let codec = app.config.websocket_for(admission::is_trusted(&request));
    upgrade::accept(
        request,
        codec,
        &app.shutdown,
        capturing,
        |accepted| async move {
            let (mut sink, mut stream) = accepted.socket.split();
            let reason = match echo::run(&mut sink, &mut stream, &accepted.links, shutdown).await {
                Ok(echo::End::Closed) => "closed".to_string(),
                Ok(end @ (echo::End::TooBig | echo::End::Failed(_))) => {
                    if let Ok(mut socket) = stream.reunite(sink) {
                        close::drain(socket.get_mut()).await;
                    }
                    match end {
                        echo::End::Failed(reason) => {
                            format!("the peer broke the protocol: {reason}")
                        }
                        _ => "the peer sent a message over the limit; closed with 1009".to_string(),
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "echo connection ended");
                    format!("connection failed: {error}")
                }
            };
            accepted.recorder.finish(reason);
        },
    )
}

async fn session_socket(
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
    if !auth::origin_allowed(request.headers(), &config.allow_origins) {
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
        backlog_bytes: config.session_backlog,
        shutdown: app.shutdown.child(),
    };
    let capturing = Capturing {
        capture: &app.capture,
        hop: Hop::Browser,
        connection: &connection,
    };
    upgrade::accept(
        request,
        config.websocket(),
        &app.shutdown,
        capturing,
        move |accepted| session::run(accepted.socket, accepted.recorder, accepted.links, ctx),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_use_a_reachable_address() {
        let any: SocketAddr = "0.0.0.0:8977".parse().unwrap();
        assert_eq!(
            startup_line(any, "T"),
            "wirebook is running at http://127.0.0.1:8977/?token=T"
        );
        let v6: SocketAddr = "[::]:1".parse().unwrap();
        assert_eq!(ui_url(v6, "T"), "http://[::1]:1/?token=T");
        let local: SocketAddr = "127.0.0.2:5".parse().unwrap();
        assert_eq!(reachable(local), local);
    }
}
