//! The client side of the Jupyter messaging protocol as a state machine without IO, shared by
//! every transport that reaches a Jupyter kernel (ZeroMQ for local kernels in
//! `crate::kernel::jupyter::link`, Jupyter Server's WebSocket for remote ones in `crate::kernel::gateway`).
//!
//! # API
//! - [`JupyterClient::new`]`(session_id)` — one per kernel connection.
//! - Building requests: [`JupyterClient::execute_request`] (remembers `msg_id` → cell so the
//!   replies and outputs can be tied to the cell), [`JupyterClient::request`] (any channel,
//!   type and content: the composer), [`JupyterClient::input_reply`] (answers the pending
//!   `input_request` on stdin, parented to it; an error when none is pending),
//!   [`JupyterClient::kernel_info_request`], [`JupyterClient::shutdown_request`],
//!   [`JupyterClient::interrupt_request`]. Each returns an [`Outgoing`]: the channel and the
//!   four JSON parts, which the transport serializes (and signs) itself.
//! - Reading: [`JupyterClient::on_message`] turns one message from the kernel into the
//!   [`KernelEvent`]s for the session: always a `Message` (with the cell whose
//!   `execute_request` is its parent, if any), plus `Executed` on an `execute_reply` for a cell.
//!
//! The JSON parts stay `serde_json::Value`s end to end, so fields the typed structs of
//! `jupyter-protocol` do not know are never lost; those structs build the request contents.

use chrono::{DateTime, SecondsFormat};
use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use jupyter_protocol::{
    ExecuteRequest, InputReply, InterruptRequest, KernelInfoRequest, ReplyStatus, ShutdownRequest,
};
use serde_json::{json, Value};
use wirebook_shared::{Channel, KernelMessage};

use crate::kernel::{Execute, KernelEvent};

/// The messaging protocol version wirebook speaks.
pub const PROTOCOL_VERSION: &str = "5.4";

/// The `username` in the headers wirebook sends.
pub const USERNAME: &str = "wirebook";

/// One message to send: the channel (socket) and the four JSON parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub channel: Channel,
    pub header: Value,
    pub parent_header: Value,
    pub metadata: Value,
    pub content: Value,
}

impl Outgoing {
    pub fn msg_id(&self) -> &str {
        self.header["msg_id"].as_str().unwrap_or_default()
    }

    pub fn msg_type(&self) -> &str {
        self.header["msg_type"].as_str().unwrap_or_default()
    }
}

/// The protocol state of one kernel connection: which requests belong to which cell, and the
/// kernel's pending `input_request`.
#[derive(Debug)]
pub struct JupyterClient {
    session: String,
    /// `execute_request` msg_id → the cell it runs, until both its `execute_reply` (shell) and
    /// its iopub `status: idle` arrived: the two sockets are not ordered against each other, so
    /// outputs may still come after the reply (JupyterLab waits for both too).
    cells: HashMap<String, String>,
    /// Requests of `cells` for which one of the two ends arrived.
    half_done: HashSet<String>,
    /// The header of the `input_request` waiting for an answer.
    pending_input: Option<Value>,
}

impl JupyterClient {
    pub fn new(session: impl Into<String>) -> Self {
        JupyterClient {
            session: session.into(),
            cells: HashMap::new(),
            half_done: HashSet::new(),
            pending_input: None,
        }
    }

    /// A fresh random session id (hex, like a UUID without dashes).
    pub fn random_session() -> String {
        random_id()
    }

    pub fn session(&self) -> &str {
        &self.session
    }

    /// Runs a cell's code, with the defaults of a notebook front end (history kept, stdin
    /// allowed, the queue stopped on error).
    pub fn execute_request(&mut self, execute: &Execute) -> Outgoing {
        let content = ExecuteRequest {
            code: execute.code.clone(),
            silent: false,
            store_history: true,
            user_expressions: None,
            allow_stdin: true,
            stop_on_error: true,
        };
        let outgoing = self.build(Channel::Shell, "execute_request", to_value(&content));
        self.cells
            .insert(outgoing.msg_id().to_string(), execute.cell_id.clone());
        outgoing
    }

    /// Any message, as the composer builds it.
    pub fn request(&mut self, channel: Channel, msg_type: &str, content: Value) -> Outgoing {
        self.build(channel, msg_type, content)
    }

    /// The answer to the pending `input_request`, on stdin with that request as its parent.
    pub fn input_reply(&mut self, value: String) -> Result<Outgoing, String> {
        let parent = self
            .pending_input
            .take()
            .ok_or("the kernel is not waiting for input")?;
        let content = InputReply {
            value,
            status: ReplyStatus::Ok,
            error: None,
        };
        let mut outgoing = self.build(Channel::Stdin, "input_reply", to_value(&content));
        outgoing.parent_header = parent;
        Ok(outgoing)
    }

    /// Whether the kernel waits for an `input_reply`.
    pub fn input_pending(&self) -> bool {
        self.pending_input.is_some()
    }

    pub fn kernel_info_request(&mut self) -> Outgoing {
        self.build(
            Channel::Shell,
            "kernel_info_request",
            to_value(&KernelInfoRequest {}),
        )
    }

    pub fn shutdown_request(&mut self, restart: bool) -> Outgoing {
        self.build(
            Channel::Control,
            "shutdown_request",
            to_value(&ShutdownRequest { restart }),
        )
    }

    pub fn interrupt_request(&mut self) -> Outgoing {
        self.build(
            Channel::Control,
            "interrupt_request",
            to_value(&InterruptRequest {}),
        )
    }

    /// The events one message from the kernel gives the session. `seq` is its capture record.
    pub fn on_message(
        &mut self,
        channel: Channel,
        header: &Value,
        parent_header: &Value,
        metadata: &Value,
        content: &Value,
        seq: Option<u64>,
    ) -> Vec<KernelEvent> {
        let msg_type = text(header, "msg_type");
        let parent_msg_id = parent_header["msg_id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_string);
        let cell_id = parent_msg_id
            .as_ref()
            .and_then(|parent| self.cells.get(parent))
            .cloned();
        let mut events = vec![KernelEvent::Message {
            message: KernelMessage {
                cell_id: cell_id.clone(),
                channel,
                msg_type: msg_type.clone(),
                msg_id: text(header, "msg_id"),
                parent_msg_id: parent_msg_id.clone(),
                content: content.clone(),
                metadata: metadata.clone(),
                date: header["date"].as_str().map(str::to_string),
            },
            seq,
        }];
        match msg_type.as_str() {
            "input_request" => self.pending_input = Some(header.clone()),
            "status" if content["execution_state"] == "idle" => {
                if let Some(parent) = &parent_msg_id {
                    self.one_end_arrived(parent);
                }
            }
            "execute_reply" => {
                if let Some(parent) = &parent_msg_id {
                    self.one_end_arrived(parent);
                }
                // A kernel asks for input only while an execution runs (one at a time on
                // shell); that execution has ended (e.g. interrupted), so nothing can answer
                // its request any more.
                self.pending_input = None;
                if let Some(cell_id) = cell_id {
                    let execution_count = content["execution_count"]
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0);
                    events.push(KernelEvent::Executed {
                        cell_id,
                        execution_count,
                    });
                }
            }
            _ => {}
        }
        events
    }

    /// The events of a message from the kernel that is recorded but not relayed (`why`: its
    /// signature does not match, or it is not a whole Jupyter message). Only an
    /// `execute_reply` to a cell's request matters here: the cell would wait for it forever,
    /// so its run ends, saying why.
    pub fn on_refused(
        &mut self,
        header: &Value,
        parent_header: &Value,
        why: &str,
    ) -> Vec<KernelEvent> {
        if header["msg_type"] != "execute_reply" {
            return Vec::new();
        }
        let Some(parent) = parent_header["msg_id"].as_str() else {
            return Vec::new();
        };
        let Some(cell_id) = self.cells.get(parent).cloned() else {
            return Vec::new();
        };
        self.one_end_arrived(parent);
        self.pending_input = None;
        vec![KernelEvent::RunFailed {
            cell_id,
            message: format!("the kernel's execute_reply was not accepted: {why}"),
        }]
    }

    /// The reply or the idle status of a request arrived; after both, its cell is forgotten.
    fn one_end_arrived(&mut self, parent: &str) {
        if !self.cells.contains_key(parent) {
            return;
        }
        if !self.half_done.remove(parent) {
            self.half_done.insert(parent.to_string());
        } else {
            self.cells.remove(parent);
        }
    }

    fn build(&self, channel: Channel, msg_type: &str, content: Value) -> Outgoing {
        Outgoing {
            channel,
            header: json!({
                "msg_id": random_id(),
                "session": self.session,
                "username": USERNAME,
                "date": rfc3339_now(),
                "msg_type": msg_type,
                "version": PROTOCOL_VERSION,
            }),
            parent_header: json!({}),
            metadata: json!({}),
            content,
        }
    }
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_string()
}

fn to_value<T: serde::Serialize>(content: &T) -> Value {
    // The request structs are plain data: serializing them cannot fail.
    serde_json::to_value(content).unwrap_or_else(|_| json!({}))
}

/// 128 random bits as 32 hex digits.
fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Now as RFC 3339 in UTC with microseconds, as Jupyter's own clients write `date`.
pub fn rfc3339_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(now.as_secs(), now.subsec_micros())
}

/// `secs` after the Unix epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn rfc3339(secs: u64, micros: u32) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, micros.min(999_999) * 1000))
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execute(cell: &str, code: &str) -> Execute {
        Execute {
            cell_id: cell.into(),
            code: code.into(),
            format: Default::default(),
            caused_by: Some(7),
        }
    }

    fn header(msg_type: &str, msg_id: &str) -> Value {
        json!({"msg_type": msg_type, "msg_id": msg_id, "session": "k", "username": "kernel",
               "date": "2026-01-01T00:00:00Z", "version": "5.3"})
    }

    #[test]
    fn execute_request_has_a_full_header_and_notebook_defaults() {
        let mut client = JupyterClient::new("s1");
        let out = client.execute_request(&execute("c1", "1+1"));
        assert_eq!(out.channel, Channel::Shell);
        assert_eq!(out.msg_type(), "execute_request");
        assert_eq!(out.header["session"], "s1");
        assert_eq!(out.header["username"], "wirebook");
        assert_eq!(out.header["version"], "5.4");
        assert_eq!(out.msg_id().len(), 32);
        assert!(out.header["date"].as_str().unwrap().ends_with('Z'));
        assert_eq!(out.parent_header, json!({}));
        assert_eq!(out.content["code"], "1+1");
        assert_eq!(out.content["silent"], false);
        assert_eq!(out.content["store_history"], true);
        assert_eq!(out.content["allow_stdin"], true);
        assert_eq!(out.content["stop_on_error"], true);
        assert_eq!(out.content["user_expressions"], json!({}));
        let again = client.execute_request(&execute("c2", "2"));
        assert_ne!(out.msg_id(), again.msg_id());
    }

    #[test]
    fn replies_and_outputs_are_tied_to_their_cell() {
        let mut client = JupyterClient::new("s");
        let out = client.execute_request(&execute("cell-a", "print(1)"));
        let parent = out.header.clone();
        let stream = client.on_message(
            Channel::Iopub,
            &header("stream", "m1"),
            &parent,
            &json!({}),
            &json!({"name": "stdout", "text": "1\n"}),
            Some(3),
        );
        assert_eq!(
            stream,
            vec![KernelEvent::Message {
                message: KernelMessage {
                    cell_id: Some("cell-a".into()),
                    channel: Channel::Iopub,
                    msg_type: "stream".into(),
                    msg_id: "m1".into(),
                    parent_msg_id: Some(out.msg_id().to_string()),
                    content: json!({"name": "stdout", "text": "1\n"}),
                    metadata: json!({}),
                    date: Some("2026-01-01T00:00:00Z".into()),
                },
                seq: Some(3),
            }]
        );
        let reply = client.on_message(
            Channel::Shell,
            &header("execute_reply", "m2"),
            &parent,
            &json!({}),
            &json!({"status": "ok", "execution_count": 4}),
            Some(4),
        );
        assert_eq!(reply.len(), 2);
        assert_eq!(
            reply[1],
            KernelEvent::Executed {
                cell_id: "cell-a".into(),
                execution_count: 4
            }
        );
        // iopub is not ordered against shell: outputs after the reply are still the cell's,
        // up to and including the idle status.
        for (msg_type, content) in [
            ("display_data", json!({"data": {}, "metadata": {}})),
            ("status", json!({"execution_state": "idle"})),
        ] {
            let after = client.on_message(
                Channel::Iopub,
                &header(msg_type, "m3"),
                &parent,
                &json!({}),
                &content,
                None,
            );
            assert!(
                matches!(&after[0], KernelEvent::Message { message: KernelMessage { cell_id: Some(c), .. }, .. } if c == "cell-a"),
                "{msg_type}"
            );
        }
        // After both the reply and the idle status, the cell is forgotten.
        let late = client.on_message(
            Channel::Iopub,
            &header("stream", "m4"),
            &parent,
            &json!({}),
            &json!({"name": "stdout", "text": "x"}),
            None,
        );
        assert!(matches!(
            &late[0],
            KernelEvent::Message {
                message: KernelMessage { cell_id: None, .. },
                ..
            }
        ));
        assert!(client.cells.is_empty() && client.half_done.is_empty());
    }

    #[test]
    fn messages_without_a_known_parent_have_no_cell() {
        let mut client = JupyterClient::new("s");
        let events = client.on_message(
            Channel::Iopub,
            &header("status", "m"),
            &json!({}),
            &json!({}),
            &json!({"execution_state": "starting"}),
            None,
        );
        assert!(matches!(
            &events[..],
            [KernelEvent::Message {
                message: KernelMessage {
                    cell_id: None,
                    parent_msg_id: None,
                    ..
                },
                ..
            }]
        ));
        // An execute_reply to a composer request is a message only.
        let composed = client.request(Channel::Shell, "execute_request", json!({"code": ""}));
        let events = client.on_message(
            Channel::Shell,
            &header("execute_reply", "r"),
            &composed.header,
            &json!({}),
            &json!({"execution_count": 1}),
            None,
        );
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn input_reply_answers_the_pending_request_once() {
        let mut client = JupyterClient::new("s");
        assert!(client.input_reply("x".into()).is_err());
        let request = header("input_request", "ask-1");
        client.on_message(
            Channel::Stdin,
            &request,
            &json!({}),
            &json!({}),
            &json!({"prompt": "name? ", "password": false}),
            None,
        );
        assert!(client.input_pending());
        let reply = client.input_reply("Ada".into()).unwrap();
        assert_eq!(reply.channel, Channel::Stdin);
        assert_eq!(reply.msg_type(), "input_reply");
        assert_eq!(reply.parent_header, request);
        assert_eq!(reply.content["value"], "Ada");
        assert_eq!(reply.content["status"], "ok");
        assert!(client.input_reply("again".into()).is_err());
    }

    #[test]
    fn an_execute_reply_ends_a_pending_input_request() {
        let mut client = JupyterClient::new("s");
        let out = client.execute_request(&execute("c", "input()"));
        client.on_message(
            Channel::Stdin,
            &header("input_request", "ask"),
            &out.header,
            &json!({}),
            &json!({"prompt": ""}),
            None,
        );
        client.on_message(
            Channel::Shell,
            &header("execute_reply", "r"),
            &out.header,
            &json!({}),
            &json!({"status": "error", "execution_count": 1}),
            None,
        );
        assert!(!client.input_pending());
    }

    #[test]
    fn a_refused_execute_reply_ends_its_cells_run_and_nothing_else_does() {
        let mut client = JupyterClient::new("s");
        let out = client.execute_request(&execute("c", "1"));
        let other = json!({"msg_id": "not ours"});
        assert!(client
            .on_refused(&header("execute_reply", "r"), &other, "bad")
            .is_empty());
        assert!(client
            .on_refused(&header("stream", "o"), &out.header, "bad")
            .is_empty());
        assert!(client
            .on_refused(&Value::Null, &Value::Null, "bad")
            .is_empty());
        let events = client.on_refused(
            &header("execute_reply", "r"),
            &out.header,
            "the signature does not match the connection key",
        );
        assert!(matches!(
            &events[..],
            [KernelEvent::RunFailed { cell_id, message }]
                if cell_id == "c"
                    && message == "the kernel's execute_reply was not accepted: the signature does not match the connection key"
        ));
    }

    #[test]
    fn control_requests() {
        let mut client = JupyterClient::new("s");
        let shutdown = client.shutdown_request(true);
        assert_eq!(shutdown.channel, Channel::Control);
        assert_eq!(shutdown.content, json!({"restart": true}));
        let interrupt = client.interrupt_request();
        assert_eq!(interrupt.channel, Channel::Control);
        assert_eq!(interrupt.msg_type(), "interrupt_request");
        let info = client.kernel_info_request();
        assert_eq!(info.channel, Channel::Shell);
        assert_eq!(info.content, json!({}));
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.000005Z");
        assert_eq!(
            rfc3339(1_795_000_000, 123_456),
            "2026-11-18T11:06:40.123456Z"
        );
    }
}
