//! The browser ⇄ server session protocol: JSON text messages on the `/session` WebSocket.
//!
//! Both directions are internally tagged enums (`{"type": "execute", ...}`) so that a message is
//! readable in the inspector and in browser devtools. The first message the server sends on a new
//! session is always [`ServerMsg::Hello`], carrying [`PROTOCOL_VERSION`]; a client that sees a
//! version it does not know should say so instead of guessing.
//!
//! A session may name its kernel's key in the `/session` query (`&notebook=PATH` or `&tab=ID`,
//! see [`crate::kept_kernels`]): then it shares that key's kernel with the other sessions that
//! name it, and the kernel outlives the session. Everything the kernel says goes to all of
//! them. A session that joins a running kernel gets, after `Hello` and `Kernels`, the kernel's
//! current state as a [`ServerMsg::Kernel`] (and a Jupyter kernel's last iopub `status`
//! message again, so the page knows whether it is busy), then, unchanged, the messages the
//! kernel sent while no session was attached (a bounded log; an [`ServerMsg::Error`] says how many older
//! ones were dropped). Without a key a session has a kernel of its own that ends with it.

use serde::{Deserialize, Serialize};

use crate::capture::{CaptureRecord, ConnId};
use crate::cell_format::CellFormat;
use crate::jupyter::Channel;

/// Version of this protocol. Bump it on any incompatible change to [`ClientMsg`] or [`ServerMsg`].
fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub const PROTOCOL_VERSION: u32 = 1;

/// What the browser sends to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Run a cell: its source goes to the session's kernel. Everything the kernel sends back is
    /// attributed to this cell until the next `execute`.
    ///
    /// For a WebSocket kernel `format` says how the source becomes a message
    /// ([`CellFormat`]: text by default, JSON, hex, base64, ping, close); Jupyter kernels
    /// run the source as code.
    Execute {
        cell_id: String,
        code: String,
        #[serde(default, skip_serializing_if = "CellFormat::is_text")]
        format: CellFormat,
    },
    /// Pause or resume the capture (for every session: there is one capture per server).
    /// While paused nothing is recorded; the server answers every session with
    /// [`ServerMsg::CapturePaused`].
    SetCapturePaused { paused: bool },
    /// Restart the session's kernel (for every session sharing it): close its connection and
    /// open a new one, reporting the states with [`ServerMsg::Kernel`]. Outputs of runs before
    /// it stop being attributed.
    RestartKernel,
    /// Use another kernel for this session: the current one is shut down (a local Jupyter
    /// kernel's process ends) and the new one reported with [`ServerMsg::KernelSelected`] and
    /// then its states.
    SetKernel { kernel: KernelChoice },
    /// Interrupt the running cell: a Jupyter kernel gets SIGINT or an `interrupt_request`, as
    /// its kernelspec's `interrupt_mode` says. Kernels that cannot be interrupted answer with
    /// [`ServerMsg::Error`].
    InterruptKernel,
    /// Offer the kernels of the Jupyter Server at `url` (with its `token`, sent as
    /// `Authorization: token …`) from now on, for every session; `url` `None` offers none.
    /// The server answers with [`ServerMsg::Kernels`], or an error that says why the URL
    /// cannot be used. The token is masked in the inspector and the exports.
    SetGateway {
        url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// The answer to the kernel's pending `input_request` (Python's `input()`).
    InputReply { value: String },
    /// The scratch notebook was saved as `notebook`: its kept kernel is that notebook's from
    /// now on (a renamed notebook's moves by itself). Refused with [`ServerMsg::Error`] when
    /// that notebook has a kernel already or this session's kernel is not a kept one.
    MoveKernel { notebook: String },
    /// The composer: send any message to a Jupyter kernel. The server fills in the header
    /// (msg_id, session, username, date, version) and signs it; replies arrive as
    /// [`ServerMsg::KernelMessage`] with `parent_msg_id` = the returned `msg_id` of
    /// [`ServerMsg::KernelMessageSent`].
    SendKernelMessage {
        channel: Channel,
        msg_type: String,
        content: serde_json::Value,
    },
}

impl ClientMsg {
    /// Parses a text message from the browser, with an error that says what was wrong in words a
    /// user of the raw socket (wsdump, devtools) can act on.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("invalid session message: {e}"))
    }
}

/// What the server sends to the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First message of every session.
    Hello {
        protocol: u32,
        /// The server's version (`CARGO_PKG_VERSION`).
        server_version: String,
        /// Random per server process: a client that reconnects and sees a new instance knows
        /// that capture sequence numbers started over.
        instance: String,
        /// The capture connection id of this `/session` socket.
        session_conn: ConnId,
        /// The kernel the session uses: a kept kernel's own (the one it was switched to), else
        /// the startup kernel.
        kernel: KernelInfo,
    },
    /// The session's kernel changed state.
    Kernel { state: KernelState },
    /// The kernel accepted the cell's code; `execution_count` counts runs in this session.
    Executed {
        cell_id: String,
        execution_count: u32,
    },
    /// A message from the kernel, attributed to the cell that ran last.
    Output { cell_id: String, data: WireData },
    /// Capture records for the inspector, oldest first. `evicted` counts records that the
    /// bounded capture dropped before this client could see them; `older` (in the first batch
    /// of a session) the records the server still has that are older than the backlog it
    /// sends a new session (the exports have them).
    Capture {
        records: Vec<CaptureRecord>,
        evicted: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        older: u64,
        /// Records newer than this session's previous batch that it was not sent because it
        /// fell behind; the server may still have them (`POST /api/capture/page` fetches them,
        /// see [`crate::capture_page`]).
        #[serde(default, skip_serializing_if = "is_zero")]
        skipped: u64,
    },
    /// Whether the capture is paused: sent after `Hello` and to every session whenever it
    /// changes.
    CapturePaused { paused: bool },
    /// The kernels this server can run, sent after `Hello` (and again when asked by
    /// `SetKernel`, since the installed kernelspecs may have changed).
    Kernels {
        kernels: Vec<KernelOffer>,
        /// The Jupyter Server whose kernels are among them, if any (`--gateway-url`, or set
        /// with [`ClientMsg::SetGateway`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gateway: Option<String>,
    },
    /// The session now uses this kernel (after `SetKernel`); its states follow.
    KernelSelected { kernel: KernelInfo },
    /// A Jupyter message from the kernel (iopub, shell or stdin replies), decoded: see
    /// [`KernelMessage`]. The browser's output area applies iopub messages as JupyterLab does
    /// (stream, display_data, update_display_data, execute_result, error, clear_output, status,
    /// execute_input), and shows an `input_request` as a prompt.
    KernelMessage(KernelMessage),
    /// The composer's message went out with this header `msg_id`.
    KernelMessageSent {
        channel: Channel,
        msg_type: String,
        msg_id: String,
    },
    /// Something the client sent or asked for could not be done; the session stays open.
    Error {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cell_id: Option<String>,
    },
}

impl ServerMsg {
    pub fn to_json(&self) -> String {
        // Serializing these plain data types cannot fail: no maps with non-string keys, no
        // custom serializers that error.
        serde_json::to_string(self).expect("ServerMsg serializes")
    }
}

/// A decoded Jupyter message, as the server relays it to the browser: the kernel link reports
/// it (with its capture record) and the session sends it on unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelMessage {
    /// The cell whose `execute_request` it answers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_id: Option<String>,
    pub channel: Channel,
    pub msg_type: String,
    pub msg_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_msg_id: Option<String>,
    pub content: serde_json::Value,
    /// The message's `metadata` part (display metadata lives in `content`).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub metadata: serde_json::Value,
    /// The header's `date` (ISO 8601, the kernel's clock): what a cell's execution timing
    /// records, as JupyterLab does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// Which kernel a session talks to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelInfo {
    /// Short name shown in the UI, e.g. `echo` or a kernelspec's display name.
    pub name: String,
    /// Where the server connects, e.g. `ws://127.0.0.1:8977/echo`, or what it launched.
    pub url: String,
    /// What was chosen; `Startup` for the kernel given on the command line.
    #[serde(default)]
    pub choice: KernelChoice,
    /// The kernel's language (`python`), when a kernelspec says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl KernelChoice {
    /// Whether the kernel is a WebSocket endpoint (the startup kernel or a URL), whose cells
    /// are messages with a format rather than code.
    pub fn takes_formats(&self) -> bool {
        matches!(self, KernelChoice::Startup | KernelChoice::WebSocket { .. })
    }
}

/// A kernel a session can use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KernelChoice {
    /// The kernel the server was started with (`--kernel URL`; the built-in echo by default).
    #[default]
    Startup,
    /// Any ws:// or wss:// URL with its connection settings (the server's defaults for what
    /// is not set).
    WebSocket {
        url: String,
        #[serde(default, skip_serializing_if = "WebSocketSettings::is_default")]
        settings: WebSocketSettings,
    },
    /// A kernelspec installed on the server's machine, launched and reached over ZeroMQ.
    Jupyter { name: String },
    /// A kernelspec of the Jupyter Server at `--gateway-url`, reached over its WebSocket.
    Gateway { name: String },
}

/// How wirebook connects to a WebSocket kernel chosen in the UI. These travel with the
/// notebook (`metadata.wirebook.kernel`), except the values of secret headers: the browser
/// never writes those to disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WebSocketSettings {
    /// Extra request headers for the opening handshake (`Authorization`, `Cookie`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderSetting>,
    /// The `Origin` header to send, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Subprotocols to offer, in order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subprotocols: Vec<String>,
    /// A CA certificate (PEM) trusted besides the server's, for a self-signed `wss://` server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
    /// Accept any certificate (flagged in the inspector on the connection).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_verification: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<u64>,
    /// Ping the kernel this often; with `pong_timeout_ms`, fail the link when it stops answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pong_timeout_ms: Option<u64>,
    /// The largest message accepted from the kernel, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message_size: Option<u64>,
    /// Reconnect by itself (capped exponential backoff with jitter) when the connection is
    /// lost. Messages are never resent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconnect: bool,
}

impl WebSocketSettings {
    pub fn is_default(&self) -> bool {
        *self == WebSocketSettings::default()
    }
}

/// One extra request header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HeaderSetting {
    pub name: String,
    pub value: String,
    /// Never written to disk, and redacted in the capture and exports.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

/// One entry of the kernel picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelOffer {
    pub choice: KernelChoice,
    /// `Python 3 (ipykernel)`, `echo`, ...
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Where it comes from: a kernelspec directory, the gateway URL, or the startup URL.
    pub source: String,
}

/// Lifecycle of the connection from the server to the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KernelState {
    Connecting,
    /// Connected. A WebSocket kernel says what its handshake negotiated: the subprotocol it
    /// chose and the extensions it accepted (e.g. `permessage-deflate`).
    Open {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        extensions: Vec<String>,
    },
    /// The connection was lost and the server reconnects by itself (a WebSocket kernel with
    /// reconnect on): attempt `attempt` starts in `delay_ms`. `reason` says how the last
    /// connection or attempt ended; `lost`, how the open connection was lost (the same as
    /// `reason` before the first retry), so that stays in view while retries fail.
    /// Nothing sent before is sent again.
    Reconnecting {
        attempt: u32,
        delay_ms: u64,
        reason: String,
        #[serde(default)]
        lost: String,
    },
    /// The kernel closed the connection (or it dropped: then `code` is `None`).
    Closed {
        code: Option<u16>,
        reason: String,
    },
    /// Could not connect, or the connection failed; `message` says why.
    Failed {
        message: String,
    },
}

impl KernelState {
    /// `Open` with nothing negotiated (Jupyter kernels; WebSocket kernels without a
    /// subprotocol or extension).
    pub fn open() -> Self {
        KernelState::Open {
            protocol: None,
            extensions: Vec::new(),
        }
    }
}

/// A WebSocket message payload as carried inside the session protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireData {
    Text {
        text: String,
    },
    /// Binary payload as lowercase hex, two digits per byte.
    Binary {
        hex: String,
    },
}

impl WireData {
    pub fn binary(bytes: &[u8]) -> Self {
        WireData::Binary {
            hex: crate::hex::hex(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureBody, CaptureRecord, Hop};

    /// Every message's JSON is pinned: the browser and the server are built separately, and a
    /// silent change of the wire format would break them against each other.
    fn round_trip<T>(value: T, json: &str)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        assert_eq!(serde_json::to_string(&value).unwrap(), json);
        assert_eq!(serde_json::from_str::<T>(json).unwrap(), value);
    }

    #[test]
    fn client_messages() {
        round_trip(
            ClientMsg::Execute {
                cell_id: "c1".into(),
                code: "hai".into(),
                format: CellFormat::Text,
            },
            r#"{"type":"execute","cell_id":"c1","code":"hai"}"#,
        );
        round_trip(
            ClientMsg::SetCapturePaused { paused: true },
            r#"{"type":"set_capture_paused","paused":true}"#,
        );
        round_trip(ClientMsg::RestartKernel, r#"{"type":"restart_kernel"}"#);
        round_trip(
            ClientMsg::SetGateway {
                url: Some("http://h:8888".into()),
                token: Some("t".into()),
            },
            r#"{"type":"set_gateway","url":"http://h:8888","token":"t"}"#,
        );
        round_trip(
            ClientMsg::SetGateway {
                url: None,
                token: None,
            },
            r#"{"type":"set_gateway","url":null}"#,
        );
        round_trip(
            ClientMsg::SetKernel {
                kernel: KernelChoice::WebSocket {
                    url: "ws://127.0.0.1:9/x".into(),
                    settings: WebSocketSettings::default(),
                },
            },
            r#"{"type":"set_kernel","kernel":{"kind":"web_socket","url":"ws://127.0.0.1:9/x"}}"#,
        );
        round_trip(
            ClientMsg::SetKernel {
                kernel: KernelChoice::WebSocket {
                    url: "wss://h/x".into(),
                    settings: WebSocketSettings {
                        headers: vec![HeaderSetting {
                            name: "Authorization".into(),
                            value: "Bearer t".into(),
                            secret: true,
                        }],
                        subprotocols: vec!["v2".into()],
                        skip_verification: true,
                        reconnect: true,
                        ..WebSocketSettings::default()
                    },
                },
            },
            r#"{"type":"set_kernel","kernel":{"kind":"web_socket","url":"wss://h/x","settings":{"headers":[{"name":"Authorization","value":"Bearer t","secret":true}],"subprotocols":["v2"],"skip_verification":true,"reconnect":true}}}"#,
        );
        round_trip(
            ClientMsg::Execute {
                cell_id: "c2".into(),
                code: "{}".into(),
                format: CellFormat::Json { compact: true },
            },
            r#"{"type":"execute","cell_id":"c2","code":"{}","format":{"kind":"json","compact":true}}"#,
        );
        round_trip(
            ServerMsg::Kernel {
                state: KernelState::Open {
                    protocol: Some("v2".into()),
                    extensions: vec!["permessage-deflate".into()],
                },
            },
            r#"{"type":"kernel","state":{"state":"open","protocol":"v2","extensions":["permessage-deflate"]}}"#,
        );
        round_trip(
            ServerMsg::Kernel {
                state: KernelState::Reconnecting {
                    attempt: 2,
                    delay_ms: 500,
                    reason: "refused".into(),
                    lost: "dropped".into(),
                },
            },
            r#"{"type":"kernel","state":{"state":"reconnecting","attempt":2,"delay_ms":500,"reason":"refused","lost":"dropped"}}"#,
        );
        round_trip(
            ClientMsg::SetKernel {
                kernel: KernelChoice::Gateway {
                    name: "python3".into(),
                },
            },
            r#"{"type":"set_kernel","kernel":{"kind":"gateway","name":"python3"}}"#,
        );
        round_trip(ClientMsg::InterruptKernel, r#"{"type":"interrupt_kernel"}"#);
        round_trip(
            ClientMsg::InputReply { value: "42".into() },
            r#"{"type":"input_reply","value":"42"}"#,
        );
        round_trip(
            ClientMsg::MoveKernel {
                notebook: "Untitled.ipynb".into(),
            },
            r#"{"type":"move_kernel","notebook":"Untitled.ipynb"}"#,
        );
        round_trip(
            ClientMsg::SendKernelMessage {
                channel: Channel::Shell,
                msg_type: "kernel_info_request".into(),
                content: serde_json::json!({}),
            },
            r#"{"type":"send_kernel_message","channel":"shell","msg_type":"kernel_info_request","content":{}}"#,
        );
        // A Hello from before kernel choices still reads.
        let old: ServerMsg = serde_json::from_str(
            r#"{"type":"hello","protocol":1,"server_version":"0","instance":"a","session_conn":1,"kernel":{"name":"echo","url":"ws://x"}}"#,
        )
        .unwrap();
        assert!(
            matches!(old, ServerMsg::Hello { kernel, .. } if kernel.choice == KernelChoice::Startup)
        );
    }

    #[test]
    fn server_messages() {
        round_trip(
            ServerMsg::Hello {
                protocol: PROTOCOL_VERSION,
                server_version: "0.1.0".into(),
                instance: "abc".into(),
                session_conn: 1,
                kernel: KernelInfo {
                    name: "echo".into(),
                    url: "ws://127.0.0.1:1/echo".into(),
                    choice: KernelChoice::Startup,
                    language: None,
                },
            },
            r#"{"type":"hello","protocol":1,"server_version":"0.1.0","instance":"abc","session_conn":1,"kernel":{"name":"echo","url":"ws://127.0.0.1:1/echo","choice":{"kind":"startup"}}}"#,
        );
        round_trip(
            ServerMsg::Kernels {
                kernels: vec![KernelOffer {
                    choice: KernelChoice::Jupyter {
                        name: "python3".into(),
                    },
                    display_name: "Python 3 (ipykernel)".into(),
                    language: Some("python".into()),
                    source: "/usr/share/jupyter/kernels/python3".into(),
                }],
                gateway: None,
            },
            r#"{"type":"kernels","kernels":[{"choice":{"kind":"jupyter","name":"python3"},"display_name":"Python 3 (ipykernel)","language":"python","source":"/usr/share/jupyter/kernels/python3"}]}"#,
        );
        round_trip(
            ServerMsg::Kernels {
                kernels: Vec::new(),
                gateway: Some("http://127.0.0.1:8888".into()),
            },
            r#"{"type":"kernels","kernels":[],"gateway":"http://127.0.0.1:8888"}"#,
        );
        round_trip(
            ServerMsg::KernelMessage(KernelMessage {
                cell_id: Some("c1".into()),
                channel: Channel::Iopub,
                msg_type: "stream".into(),
                msg_id: "m2".into(),
                parent_msg_id: Some("m1".into()),
                content: serde_json::json!({"name": "stdout", "text": "hi\n"}),
                metadata: serde_json::Value::Null,
                date: Some("2026-12-03T07:45:12.123456Z".into()),
            }),
            r#"{"type":"kernel_message","cell_id":"c1","channel":"iopub","msg_type":"stream","msg_id":"m2","parent_msg_id":"m1","content":{"name":"stdout","text":"hi\n"},"date":"2026-12-03T07:45:12.123456Z"}"#,
        );
        round_trip(
            ServerMsg::KernelMessageSent {
                channel: Channel::Control,
                msg_type: "kernel_info_request".into(),
                msg_id: "m3".into(),
            },
            r#"{"type":"kernel_message_sent","channel":"control","msg_type":"kernel_info_request","msg_id":"m3"}"#,
        );
        round_trip(
            ServerMsg::Kernel {
                state: KernelState::Connecting,
            },
            r#"{"type":"kernel","state":{"state":"connecting"}}"#,
        );
        round_trip(
            ServerMsg::Kernel {
                state: KernelState::open(),
            },
            r#"{"type":"kernel","state":{"state":"open"}}"#,
        );
        round_trip(
            ServerMsg::Kernel {
                state: KernelState::Closed {
                    code: Some(1000),
                    reason: "bye".into(),
                },
            },
            r#"{"type":"kernel","state":{"state":"closed","code":1000,"reason":"bye"}}"#,
        );
        round_trip(
            ServerMsg::Kernel {
                state: KernelState::Failed {
                    message: "refused".into(),
                },
            },
            r#"{"type":"kernel","state":{"state":"failed","message":"refused"}}"#,
        );
        round_trip(
            ServerMsg::Executed {
                cell_id: "c1".into(),
                execution_count: 3,
            },
            r#"{"type":"executed","cell_id":"c1","execution_count":3}"#,
        );
        round_trip(
            ServerMsg::Output {
                cell_id: "c1".into(),
                data: WireData::Text { text: "hai".into() },
            },
            r#"{"type":"output","cell_id":"c1","data":{"kind":"text","text":"hai"}}"#,
        );
        round_trip(
            ServerMsg::Output {
                cell_id: "c1".into(),
                data: WireData::binary(&[0xde, 0xad]),
            },
            r#"{"type":"output","cell_id":"c1","data":{"kind":"binary","hex":"dead"}}"#,
        );
        round_trip(
            ServerMsg::Capture {
                records: vec![CaptureRecord {
                    seq: 7,
                    conn: 2,
                    hop: Hop::Kernel,
                    time_us: 1_700_000_000_000_000,
                    body: CaptureBody::Closed {
                        code: Some(1000),
                        reason: "bye".into(),
                    },
                }],
                evicted: 0,
                older: 0,
                skipped: 0,
            },
            r#"{"type":"capture","records":[{"seq":7,"conn":2,"hop":"kernel","time_us":1700000000000000,"body":{"event":"closed","code":1000,"reason":"bye"}}],"evicted":0}"#,
        );
        round_trip(
            ServerMsg::Capture {
                records: vec![],
                evicted: 2,
                older: 40,
                skipped: 0,
            },
            r#"{"type":"capture","records":[],"evicted":2,"older":40}"#,
        );
        round_trip(
            ServerMsg::Capture {
                records: vec![],
                evicted: 0,
                older: 0,
                skipped: 9,
            },
            r#"{"type":"capture","records":[],"evicted":0,"skipped":9}"#,
        );
        round_trip(
            ServerMsg::CapturePaused { paused: false },
            r#"{"type":"capture_paused","paused":false}"#,
        );
        round_trip(
            ServerMsg::Error {
                message: "nope".into(),
                cell_id: None,
            },
            r#"{"type":"error","message":"nope"}"#,
        );
        round_trip(
            ServerMsg::Error {
                message: "nope".into(),
                cell_id: Some("c2".into()),
            },
            r#"{"type":"error","message":"nope","cell_id":"c2"}"#,
        );
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        let err = ClientMsg::parse(r#"{"type":"explode"}"#).unwrap_err();
        assert!(err.contains("unknown variant `explode`"), "{err}");
        let err = ClientMsg::parse("not json").unwrap_err();
        assert!(err.starts_with("invalid session message"), "{err}");
        let err = ClientMsg::parse(r#"{"type":"execute","cell_id":"c1"}"#).unwrap_err();
        assert!(err.contains("missing field `code`"), "{err}");
    }
}
