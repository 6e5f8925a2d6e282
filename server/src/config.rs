//! Everything the server can be told ([`Config`]: the command line's figures, or a test's),
//! and the codec settings every WebSocket derives from it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use wirebook_shared::base_url::BaseUrl;
use wirebook_shared::KernelInfo;

use crate::admission::Limits;
use crate::capture::ring::DEFAULT_MEMORY_BUDGET;
use crate::kernel::gateway::{GatewayConfig, GatewayDefaults};
use crate::kernel::jupyter::JupyterConfig;
use crate::kernel::websocket::{Keepalive, KernelTarget};
use crate::proxy::routes::Route;
use crate::upstream::{TlsSettings, CONNECT_TIMEOUT};

/// Everything the server can be told, by concern. [`Config::new`] and the command line's
/// defaults are the same figures: each is written once, as a constant of its section.
#[derive(Debug, Clone)]
pub struct Config {
    /// Required by the UI, `/session` and the APIs.
    pub token: String,
    /// The built UI.
    pub dist: PathBuf,
    /// The path prefix every route is served under (`--base-url`; `/` by default).
    pub base_url: BaseUrl,
    /// Who gets in besides the token's holders, and the connection caps.
    pub admission: AdmissionConfig,
    /// The limits of every WebSocket, both hops.
    pub websocket: WebSocketLimits,
    /// What is recorded and kept.
    pub capture: CaptureConfig,
    /// How long [`crate::serve`] waits for connections to close after the shutdown signal.
    pub shutdown_grace: Duration,
    /// The startup kernel (`--kernel` and its options).
    pub kernel: KernelConfig,
    /// The notebook files API.
    pub notebooks: NotebooksConfig,
    /// The transparent proxy's routes: `/tap/NAME` relays to the route's URL.
    pub routes: Vec<Route>,
    /// How `wss://` upstreams (kernels, routes) are verified.
    pub tls: TlsSettings,
    /// Where local kernelspecs are found and connection files written.
    pub jupyter: JupyterConfig,
    /// A Jupyter Server whose kernels sessions may use (`--gateway-url`).
    pub gateway: Option<GatewayConfig>,
    /// Kernels kept after their pages close.
    pub kept: KeptConfig,
}

/// Kernels kept after their pages close (see `crate::kernel::kept`).
#[derive(Debug, Clone, Copy)]
pub struct KeptConfig {
    /// How long a kept kernel without sessions lives after its last activity
    /// (`--cull-idle-timeout`).
    pub cull_idle_timeout: Duration,
    /// Kept kernels at most; past it, a page's kernel ends with the page.
    pub max_kept: usize,
}

impl KeptConfig {
    pub const CULL_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
    pub const MAX_KEPT: usize = 64;
    /// The capture memory's share that replay logs take: an eighth (32 MiB of the default
    /// 256); the ring gets the rest, so both stay within `--capture-memory`.
    pub const REPLAY_SHARE_DIVISOR: usize = 8;

    /// The replay logs' share of a capture budget of `capture_memory` bytes.
    pub fn replay_share(capture_memory: usize) -> usize {
        capture_memory / Self::REPLAY_SHARE_DIVISOR
    }
}

impl Default for KeptConfig {
    fn default() -> Self {
        KeptConfig {
            cull_idle_timeout: Self::CULL_IDLE_TIMEOUT,
            max_kept: Self::MAX_KEPT,
        }
    }
}

/// Who gets in: see `crate::admission`.
#[derive(Debug, Clone, Default)]
pub struct AdmissionConfig {
    /// Origins besides the server's own whose pages may open wirebook's WebSockets and send
    /// it anything but GET/HEAD (`--allow-origin`).
    pub allow_origins: Vec<String>,
    /// Host names served besides loopback ones when bound to loopback (`--allow-host`).
    pub allow_hosts: Vec<String>,
    /// Connection caps and the request head deadline.
    pub limits: Limits,
}

/// The limits of every WebSocket the server reads from.
#[derive(Debug, Clone, Copy)]
pub struct WebSocketLimits {
    /// Largest message (and frame) read from a peer, in bytes (`--max-message-size`).
    pub max_message_size: usize,
}

impl WebSocketLimits {
    pub const MAX_MESSAGE_SIZE: usize = 8 * 1024 * 1024;

    /// The codec settings for every WebSocket, both hops.
    pub fn codec(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            // tungstenite zeroes this much buffer before every read attempt (its default is
            // 128 KiB): with many small messages that memset was most of the server's CPU time
            // (docs/benchmarks.md). Bigger messages are read ahead beneath it.
            .read_buffer_size(READ_BUFFER)
            .max_message_size(Some(self.max_message_size))
            // The frame limit makes an oversize frame fail at its header, before it is read.
            .max_frame_size(Some(self.max_message_size))
    }

    /// The codec settings of a WebSocket wirebook serves without the token (`/echo`,
    /// `/demo/*`) when `trusted` is false: messages of at most [`ANONYMOUS_MESSAGE_SIZE`],
    /// so that the anonymous connections together hold at most their cap times that.
    pub fn codec_for(&self, trusted: bool) -> WebSocketConfig {
        let limit = if trusted {
            self.max_message_size
        } else {
            self.max_message_size.min(ANONYMOUS_MESSAGE_SIZE)
        };
        self.codec()
            .max_message_size(Some(limit))
            .max_frame_size(Some(limit))
    }
}

impl Default for WebSocketLimits {
    fn default() -> Self {
        WebSocketLimits {
            max_message_size: Self::MAX_MESSAGE_SIZE,
        }
    }
}

/// What the capture records and keeps.
#[derive(Debug, Clone, Copy)]
pub struct CaptureConfig {
    /// Record what crosses the sockets (`--no-capture` turns the byte taps off).
    pub enabled: bool,
    /// Capture records kept (`--capture-limit`).
    pub limit: usize,
    /// Bytes of memory the capture's records may take (`--capture-memory`).
    pub memory: usize,
    /// Payload bytes kept per capture record (`--preview-bytes`).
    pub preview_bytes: usize,
    /// The capture memory a new session's backlog may take (the newest records).
    pub session_backlog: usize,
}

impl CaptureConfig {
    pub const LIMIT: usize = 100_000;
    pub const PREVIEW_BYTES: usize = 1024;
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            enabled: true,
            limit: Self::LIMIT,
            memory: DEFAULT_MEMORY_BUDGET,
            preview_bytes: Self::PREVIEW_BYTES,
            session_backlog: BACKLOG_BYTES,
        }
    }
}

/// The startup kernel: the built-in `/echo`, or `--kernel URL` with its options.
#[derive(Debug, Clone)]
pub struct KernelConfig {
    /// The kernel sessions connect to (`--kernel`); `None` is the built-in `/echo` of this
    /// server.
    pub url: Option<String>,
    /// Extra request headers for the kernel's opening handshake (`--kernel-header`).
    pub headers: Vec<(String, String)>,
    /// Headers sent like `headers` whose values are redacted from the capture
    /// (`--kernel-secret-header`).
    pub secret_headers: Vec<(String, String)>,
    /// Subprotocols offered to the kernel (`--kernel-subprotocol`).
    pub subprotocols: Vec<String>,
    /// How long connecting to the kernel may take (`--kernel-connect-timeout`).
    pub connect_timeout: Duration,
    /// Pings to the kernel and the pong timeout (`--kernel-ping-interval`).
    pub keepalive: Option<Keepalive>,
    /// Reconnect to the kernel by itself when the connection is lost (`--kernel-reconnect`).
    pub reconnect: bool,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig {
            url: None,
            headers: Vec::new(),
            secret_headers: Vec::new(),
            subprotocols: Vec::new(),
            connect_timeout: CONNECT_TIMEOUT,
            keepalive: None,
            reconnect: false,
        }
    }
}

/// The notebook files API.
#[derive(Debug, Clone)]
pub struct NotebooksConfig {
    /// Where the notebooks API reads and writes `.ipynb` files (`--notebook-dir`).
    pub dir: PathBuf,
    /// Largest request body the notebooks API accepts, in bytes (`--max-notebook-size`).
    pub max_size: usize,
}

impl NotebooksConfig {
    pub const DIR: &str = ".";
    pub const MAX_SIZE: usize = 64 * 1024 * 1024;
}

impl Default for NotebooksConfig {
    fn default() -> Self {
        NotebooksConfig {
            dir: PathBuf::from(Self::DIR),
            max_size: Self::MAX_SIZE,
        }
    }
}

impl Config {
    /// Where the built UI is looked for by default (`--dist`).
    pub const DIST: &str = "dist";

    /// The defaults of the command line, with the given token.
    pub fn new(token: impl Into<String>) -> Self {
        Config {
            token: token.into(),
            dist: PathBuf::from(Self::DIST),
            base_url: BaseUrl::root(),
            admission: AdmissionConfig::default(),
            websocket: WebSocketLimits::default(),
            capture: CaptureConfig::default(),
            shutdown_grace: Duration::from_secs(5),
            kernel: KernelConfig::default(),
            notebooks: NotebooksConfig::default(),
            routes: Vec::new(),
            tls: TlsSettings::default(),
            jupyter: JupyterConfig::default(),
            gateway: None,
            kept: KeptConfig::default(),
        }
    }

    /// The startup kernel (`--kernel` and its options) as a link target named by `info`.
    pub fn kernel_target(&self, info: KernelInfo) -> KernelTarget {
        let kernel = &self.kernel;
        KernelTarget {
            info,
            config: self.websocket.codec(),
            headers: kernel.headers.clone(),
            secret_headers: kernel.secret_headers.clone(),
            subprotocols: kernel.subprotocols.clone(),
            connect_timeout: kernel.connect_timeout,
            keepalive: kernel.keepalive,
            tls: Arc::new(self.tls.clone()),
            reconnect: kernel.reconnect,
        }
    }

    /// What a gateway gets besides its URL and token, from the command line or the picker.
    pub fn gateway_defaults(&self) -> GatewayDefaults {
        GatewayDefaults {
            connect_timeout: self.kernel.connect_timeout,
            websocket: self.websocket.codec(),
            tls: Arc::new(self.tls.clone()),
        }
    }
}

/// The backlog a new session gets by default: the newest records that take at most this much
/// of the capture's memory (all of a default capture of small frames; a capture filled with
/// big records is not sent whole to every page that opens). The exports have the rest.
pub const BACKLOG_BYTES: usize = 32 * 1024 * 1024;

/// The largest message `/echo` and `/demo/*` take from a connection without the token (with
/// it, `--max-message-size`): 512 anonymous connections hold at most 128 MiB of messages.
pub const ANONYMOUS_MESSAGE_SIZE: usize = 256 * 1024;

/// What the WebSocket codec reads at a time, and zeroes before each read: small, since most
/// messages are (larger ones are read ahead beneath the codec: `websocket::read_ahead`).
pub const READ_BUFFER: usize = 4 * 1024;
