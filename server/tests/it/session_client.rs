//! The session-test harness: a browser-like client of `/session` that checks the
//! `Hello`, `Kernels`, `Connecting`, `Open` preamble, runs cells, reads the kernel's states and
//! collects the capture batches on the side.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::{
    CaptureRecord, ClientMsg, Direction, Hop, KernelChoice, KernelState, ServerMsg, WireData,
};

use crate::capture_records::find_text;
use crate::support::{connect, within, Client, TestServer, PATIENCE, TOKEN};

/// Whether a message says the kernel is open.
pub fn is_kernel_open(msg: &ServerMsg) -> bool {
    matches!(
        msg,
        ServerMsg::Kernel {
            state: KernelState::Open { .. }
        }
    )
}

/// A browser-like client of `/session` that collects capture records on the side.
pub struct SessionClient {
    pub socket: Client,
    pub records: Vec<CaptureRecord>,
    pub evicted: u64,
    /// Records the server left out of the session's backlog (see `ServerMsg::Capture`).
    pub older: u64,
    /// Records the server skipped because this session fell behind.
    pub skipped: u64,
    /// The latest `CapturePaused` the server sent.
    pub paused: Option<bool>,
    /// How long the server may stay silent before a read fails the test: [`PATIENCE`], or
    /// longer where a Jupyter kernel starts (the server says nothing while ipykernel imports,
    /// which takes over 10 s on a loaded 2-CPU machine).
    pub patience: Duration,
}

impl SessionClient {
    pub async fn open(server: &TestServer) -> (Self, ServerMsg) {
        Self::open_at(server, "").await
    }

    /// A session whose query adds `extra` (`&notebook=PATH`, `&tab=ID`: the kernel's key).
    pub async fn open_at(server: &TestServer, extra: &str) -> (Self, ServerMsg) {
        let socket = connect(server.request(&format!("/session?token={TOKEN}{extra}"), &[])).await;
        Self::on(socket).await
    }

    /// A session at `extra` (as [`SessionClient::open_at`]) once its kernel is open: the
    /// `Hello`, `Kernels`, `Connecting`, `Open` preamble every session test starts with, checked.
    pub async fn open_settled(server: &TestServer, extra: &str) -> Self {
        let (mut client, hello) = Self::open_at(server, extra).await;
        assert!(matches!(hello, ServerMsg::Hello { .. }), "{hello:?}");
        let state = client.kernel_settled().await;
        assert!(
            matches!(state, KernelState::Open { .. }),
            "the startup kernel did not open: {state:?}"
        );
        client
    }

    /// A session on a socket already open (at another path: under a base URL).
    pub async fn on(socket: Client) -> (Self, ServerMsg) {
        let mut client = SessionClient {
            socket,
            records: Vec::new(),
            evicted: 0,
            older: 0,
            skipped: 0,
            paused: None,
            patience: PATIENCE,
        };
        let hello = client.next_raw().await;
        (client, hello)
    }

    /// A session whose startup kernel is open (see [`SessionClient::open_settled`]).
    pub async fn ready(server: &TestServer) -> Self {
        Self::open_settled(server, "").await
    }

    async fn next_raw(&mut self) -> ServerMsg {
        let next = tokio::time::timeout(self.patience, self.socket.next())
            .await
            .unwrap_or_else(|_| panic!("the server said nothing for {:?}", self.patience))
            .expect("the connection ended")
            .expect("the connection failed");
        match next {
            Message::Text(text) => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("not a ServerMsg ({e}): {text}")),
            other => panic!("expected a text message, got {other:?}"),
        }
    }

    /// Keeps what a capture batch or a pause state says; any other message is handed back.
    fn collect(&mut self, msg: ServerMsg) -> Option<ServerMsg> {
        match msg {
            ServerMsg::Capture {
                records,
                evicted,
                older,
                skipped,
            } => {
                self.records.extend(records);
                self.evicted += evicted;
                self.older += older;
                self.skipped += skipped;
                None
            }
            ServerMsg::CapturePaused { paused } => {
                self.paused = Some(paused);
                None
            }
            other => Some(other),
        }
    }

    /// The next message that is not a capture batch or a pause state (those are collected).
    pub async fn next(&mut self) -> ServerMsg {
        loop {
            let msg = self.next_raw().await;
            if let Some(other) = self.collect(msg) {
                return other;
            }
        }
    }

    /// Pauses or resumes the capture, and reads until the server says it did.
    pub async fn set_capture_paused(&mut self, paused: bool) {
        self.send(&ClientMsg::SetCapturePaused { paused }).await;
        self.wait_paused(paused).await;
    }

    /// Reads until the server says the capture is (not) paused.
    pub async fn wait_paused(&mut self, paused: bool) {
        within(async {
            while self.paused != Some(paused) {
                let msg = self.next_raw().await;
                self.collect(msg);
            }
        })
        .await;
    }

    /// Reads until `wanted` matches a message that is not a capture batch.
    pub async fn wait_for(&mut self, wanted: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            let msg = self.next().await;
            if wanted(&msg) {
                return msg;
            }
        }
    }

    /// Reads capture batches until `done` holds for the records collected so far.
    pub async fn capture_until(&mut self, done: impl Fn(&[CaptureRecord]) -> bool) {
        within(async {
            while !done(&self.records) {
                let msg = self.next_raw().await;
                self.collect(msg);
            }
        })
        .await;
    }

    /// Reads capture batches until the browser's `output` message is on record.
    pub async fn capture_until_output(&mut self) {
        self.capture_until(|records| {
            find_text(
                records,
                Hop::Browser,
                Direction::ToClient,
                r#""type":"output""#,
            )
            .is_some()
        })
        .await;
    }

    /// Picks `kernel`, as the kernel picker does.
    pub async fn choose(&mut self, kernel: KernelChoice) {
        self.send(&ClientMsg::SetKernel { kernel }).await;
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        let json = serde_json::to_string(msg).unwrap();
        self.send_raw(Message::text(json)).await;
    }

    pub async fn send_raw(&mut self, message: Message) {
        within(self.socket.send(message)).await.unwrap();
    }

    /// Reads until the kernel reports a state that `wanted` matches, and returns it.
    pub async fn wait_kernel(&mut self, wanted: impl Fn(&KernelState) -> bool) -> KernelState {
        let msg = self
            .wait_for(|m| matches!(m, ServerMsg::Kernel { state } if wanted(state)))
            .await;
        let ServerMsg::Kernel { state } = msg else {
            unreachable!()
        };
        state
    }

    /// Reads until the server reports an error, and returns its message and the cell it is
    /// about, if any.
    pub async fn error(&mut self) -> (String, Option<String>) {
        match self
            .wait_for(|m| matches!(m, ServerMsg::Error { .. }))
            .await
        {
            ServerMsg::Error { message, cell_id } => (message, cell_id),
            _ => unreachable!(),
        }
    }

    /// Reads until the kernel is closed, and returns the close's code and reason.
    pub async fn kernel_closed(&mut self) -> (Option<u16>, String) {
        match self
            .wait_kernel(|s| matches!(s, KernelState::Closed { .. }))
            .await
        {
            KernelState::Closed { code, reason } => (code, reason),
            _ => unreachable!(),
        }
    }

    /// Reads until the kernel has failed, and returns why.
    pub async fn kernel_failed(&mut self) -> String {
        match self
            .wait_kernel(|s| matches!(s, KernelState::Failed { .. }))
            .await
        {
            KernelState::Failed { message } => message,
            _ => unreachable!(),
        }
    }

    /// Reads until the kernel is open or has failed, and returns that state.
    pub async fn kernel_settled(&mut self) -> KernelState {
        self.wait_kernel(|s| matches!(s, KernelState::Open { .. } | KernelState::Failed { .. }))
            .await
    }

    /// Runs `code` in `cell_id` on the echo kernel and checks what comes back (see
    /// [`SessionClient::expect_echo`]).
    pub async fn echo(&mut self, cell_id: &str, code: &str, execution_count: u32) {
        self.execute(cell_id, code).await;
        self.expect_echo(cell_id, code, execution_count).await;
    }

    /// Checks the next two messages: `Executed` with the session's count, then `code` echoed
    /// as the cell's output (what the echo kernel answers a run, in every session attached).
    pub async fn expect_echo(&mut self, cell_id: &str, code: &str, execution_count: u32) {
        assert_eq!(
            self.next().await,
            ServerMsg::Executed {
                cell_id: cell_id.into(),
                execution_count
            }
        );
        assert_eq!(
            self.next().await,
            ServerMsg::Output {
                cell_id: cell_id.into(),
                data: WireData::Text { text: code.into() }
            }
        );
    }

    /// Checks the next two messages: the kernel `Connecting`, then `Open`.
    pub async fn expect_kernel_opening(&mut self) {
        assert_eq!(
            self.next().await,
            ServerMsg::Kernel {
                state: KernelState::Connecting
            }
        );
        let open = self.next().await;
        assert!(is_kernel_open(&open), "{open:?}");
    }

    pub async fn execute(&mut self, cell_id: &str, code: &str) {
        self.execute_as(cell_id, code, CellFormat::default()).await;
    }

    /// Runs `code` in `cell_id`, sent as `format` says (JSON, hex, a ping, a close…).
    pub async fn execute_as(&mut self, cell_id: &str, code: &str, format: CellFormat) {
        self.send(&ClientMsg::Execute {
            cell_id: cell_id.into(),
            code: code.into(),
            format,
        })
        .await;
    }

    /// Reads until the next cell output, and returns it.
    pub async fn output(&mut self) -> ServerMsg {
        self.wait_for(|m| matches!(m, ServerMsg::Output { .. }))
            .await
    }

    /// Runs `code` in `cell_id` and reads until its output, and returns it.
    pub async fn run_to_output(&mut self, cell_id: &str, code: &str) -> ServerMsg {
        self.execute(cell_id, code).await;
        self.output().await
    }

    /// Runs `code` in `cell_id` on an echoing kernel and checks that the next output, whatever
    /// came before it, is the code as text.
    pub async fn assert_echoed(&mut self, cell_id: &str, code: &str) {
        assert_eq!(
            self.run_to_output(cell_id, code).await,
            ServerMsg::Output {
                cell_id: cell_id.into(),
                data: WireData::Text { text: code.into() }
            }
        );
    }
}
