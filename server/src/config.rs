//! Everything the server can be told ([`Config`]: the command line's figures, or a test's),
//! and the codec settings every WebSocket derives from it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use wirebook_shared::KernelInfo;

use crate::admission::Limits;
use crate::capture::ring::DEFAULT_MEMORY_BUDGET;
use crate::kernel::gateway::GatewayConfig;
use crate::kernel::jupyter::JupyterConfig;
use crate::kernel::websocket::{Keepalive, KernelTarget, CONNECT_TIMEOUT};
use crate::proxy::routes::Route;
use crate::upstream::TlsSettings;

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
    pub limits: Limits,
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
    /// How long [`crate::serve`] waits for connections to close after the shutdown signal.
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
    pub kernel_keepalive: Option<Keepalive>,
    /// Reconnect to the kernel by itself when the connection is lost (`--kernel-reconnect`).
    pub kernel_reconnect: bool,
    /// Where the notebooks API reads and writes `.ipynb` files.
    pub notebook_dir: PathBuf,
    /// Largest request body the notebooks API accepts, in bytes.
    pub max_notebook_size: usize,
    /// The transparent proxy's routes: `/tap/NAME` relays to the route's URL.
    pub routes: Vec<Route>,
    /// How `wss://` upstreams (kernels, routes) are verified.
    pub tls: TlsSettings,
    /// Where local kernelspecs are found and connection files written.
    pub jupyter: JupyterConfig,
    /// A Jupyter Server whose kernels sessions may use (`--gateway-url`).
    pub gateway: Option<GatewayConfig>,
}

impl Config {
    /// The defaults of the command line, with the given token.
    pub fn new(token: impl Into<String>) -> Self {
        Config {
            token: token.into(),
            dist: PathBuf::from("dist"),
            allow_origins: Vec::new(),
            allow_hosts: Vec::new(),
            limits: Limits::default(),
            max_message_size: 8 * 1024 * 1024,
            capture: true,
            capture_limit: 100_000,
            capture_memory: DEFAULT_MEMORY_BUDGET,
            session_backlog: BACKLOG_BYTES,
            preview_bytes: 1024,
            shutdown_grace: Duration::from_secs(5),
            kernel_url: None,
            kernel_headers: Vec::new(),
            kernel_secret_headers: Vec::new(),
            kernel_subprotocols: Vec::new(),
            kernel_connect_timeout: CONNECT_TIMEOUT,
            kernel_keepalive: None,
            kernel_reconnect: false,
            notebook_dir: PathBuf::from("."),
            max_notebook_size: 64 * 1024 * 1024,
            routes: Vec::new(),
            tls: TlsSettings::default(),
            jupyter: JupyterConfig {
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

/// The backlog a new session gets by default: the newest records that take at most this much
/// of the capture's memory (all of a default capture of small frames; a capture filled with
/// big records is not sent whole to every page that opens). The exports have the rest.
pub const BACKLOG_BYTES: usize = 32 * 1024 * 1024;

/// The largest message `/echo` and `/demo/*` take from a connection without the token (with
/// it, `--max-message-size`): 512 anonymous connections hold at most 128 MiB of messages.
pub const ANONYMOUS_MESSAGE_SIZE: usize = 256 * 1024;

/// Bytes read from a WebSocket at a time.
pub const READ_BUFFER: usize = 16 * 1024;
