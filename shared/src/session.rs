//! The browser ⇄ server session protocol: JSON text messages on the `/session` WebSocket.
//!
//! Both directions are internally tagged enums (`{"type": "execute", ...}`) so that a message is
//! readable in the inspector and in browser devtools. The first message the server sends on a new
//! session is always [`ServerMsg::Hello`], carrying [`PROTOCOL_VERSION`]; a client that sees a
//! version it does not know should say so instead of guessing.

use serde::{Deserialize, Serialize};

use crate::capture::{CaptureRecord, ConnId};

/// Version of this protocol. Bump it on any incompatible change to [`ClientMsg`] or [`ServerMsg`].
pub const PROTOCOL_VERSION: u32 = 1;

/// What the browser sends to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Run a cell: its source goes to the session's kernel. Everything the kernel sends back is
    /// attributed to this cell until the next `execute`.
    Execute { cell_id: String, code: String },
    /// Pause or resume the capture (for every session: there is one capture per server).
    /// While paused nothing is recorded; the server answers every session with
    /// [`ServerMsg::CapturePaused`].
    SetCapturePaused { paused: bool },
    /// Restart the session's kernel: close its connection and open a new one, reporting the
    /// states with [`ServerMsg::Kernel`]. Outputs of runs before it stop being attributed.
    RestartKernel,
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
    /// bounded capture dropped before this client could see them.
    Capture {
        records: Vec<CaptureRecord>,
        evicted: u64,
    },
    /// Whether the capture is paused: sent after `Hello` and to every session whenever it
    /// changes.
    CapturePaused { paused: bool },
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

/// Which kernel a session talks to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelInfo {
    /// Short name shown in the UI, e.g. `echo`.
    pub name: String,
    /// Where the server connects, e.g. `ws://127.0.0.1:8977/echo`.
    pub url: String,
}

/// Lifecycle of the connection from the server to the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KernelState {
    Connecting,
    Open,
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
            hex: crate::capture::hex(bytes),
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
            },
            r#"{"type":"execute","cell_id":"c1","code":"hai"}"#,
        );
        round_trip(
            ClientMsg::SetCapturePaused { paused: true },
            r#"{"type":"set_capture_paused","paused":true}"#,
        );
        round_trip(ClientMsg::RestartKernel, r#"{"type":"restart_kernel"}"#);
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
                },
            },
            r#"{"type":"hello","protocol":1,"server_version":"0.1.0","instance":"abc","session_conn":1,"kernel":{"name":"echo","url":"ws://127.0.0.1:1/echo"}}"#,
        );
        round_trip(
            ServerMsg::Kernel {
                state: KernelState::Connecting,
            },
            r#"{"type":"kernel","state":{"state":"connecting"}}"#,
        );
        round_trip(
            ServerMsg::Kernel {
                state: KernelState::Open,
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
            },
            r#"{"type":"capture","records":[{"seq":7,"conn":2,"hop":"kernel","time_us":1700000000000000,"body":{"event":"closed","code":1000,"reason":"bye"}}],"evicted":0}"#,
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
