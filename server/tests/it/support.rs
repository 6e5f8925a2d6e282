//! Running the server in-process on port 0, and small clients for it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::handshake::server::{
    Request as ServerRequest, Response as ServerResponse,
};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wirebook_server::config::Config;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::{
    CaptureBody, CaptureRecord, ClientMsg, Direction, FrameRecord, HandshakeRecord, Hop,
    HttpHeadRecord, KernelChoice, KernelState, MessageSummary, Opcode, ServerMsg, WireData,
};

pub const TOKEN: &str = "test-token-0123";

/// How long any single expected event may take before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub handle: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start(config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(wirebook_server::serve(listener, config, async move {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            stop: Some(stop),
            handle,
        }
    }

    pub async fn with_defaults() -> Self {
        Self::start(Config::new(TOKEN)).await
    }

    pub fn ws(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// A request for `path` with extra headers.
    pub fn request(&self, path: &str, headers: &[(&'static str, &str)]) -> Request {
        let mut request = self.ws(path).into_client_request().unwrap();
        for (name, value) in headers {
            request
                .headers_mut()
                .insert(*name, HeaderValue::from_str(value).unwrap());
        }
        request
    }

    /// Triggers the shutdown signal.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn connect(request: Request) -> Client {
    let (client, response) = within(tokio_tungstenite::connect_async(request))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    client
}

/// The HTTP status a WebSocket upgrade attempt got when it was refused.
pub async fn refused_status(request: Request) -> u16 {
    match within(tokio_tungstenite::connect_async(request)).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, but the upgrade was accepted"),
    }
}

pub async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .expect("timed out")
}

/// The next message from the server, skipping nothing.
pub async fn next_message(client: &mut Client) -> Message {
    within(client.next())
        .await
        .expect("the connection ended")
        .expect("the connection failed")
}

/// Whether a message says the kernel is open.
pub fn is_kernel_open(msg: &ServerMsg) -> bool {
    matches!(
        msg,
        ServerMsg::Kernel {
            state: KernelState::Open { .. }
        }
    )
}

/// A port nothing listens on: a listener's, bound and dropped.
pub async fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A peer that answers every request with `status` (`404 Not Found`) and `body` instead of
/// upgrading: how a kernel or an upstream refuses a WebSocket.
pub async fn refusing_peer(status: &'static str, body: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = vec![0u8; 4096];
            let _ = socket.read(&mut head).await;
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    addr
}

/// The request headers a test kernel was dialled with.
pub struct SeenHeaders(Vec<(String, String)>);

impl SeenHeaders {
    /// The first value of header `name`, any case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A WebSocket kernel for one connection on a port of its own: it answers with the
/// subprotocol `v2`, echoes text, and hands over the headers it was dialled with.
pub async fn header_echo_kernel() -> (SocketAddr, oneshot::Receiver<SeenHeaders>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (saw, seen) = oneshot::channel();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        // The callback's signature is tungstenite's (its error is a whole HTTP response).
        #[allow(clippy::result_large_err)]
        let callback = move |request: &ServerRequest, mut response: ServerResponse| {
            let headers = request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let _ = saw.send(SeenHeaders(headers));
            response
                .headers_mut()
                .insert("sec-websocket-protocol", HeaderValue::from_static("v2"));
            Ok(response)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(stream, callback)
            .await
            .unwrap();
        while let Some(Ok(message)) = ws.next().await {
            if message.is_text() {
                ws.send(message).await.unwrap();
            }
        }
    });
    (addr, seen)
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

/// The frame records that complete a message: hop, direction, the record, its summary.
pub fn messages(
    records: &[CaptureRecord],
) -> impl Iterator<Item = (&CaptureRecord, &FrameRecord, &MessageSummary)> {
    records.iter().filter_map(|record| match &record.body {
        CaptureBody::Frame(frame) => frame.message.as_ref().map(|m| (record, &**frame, m)),
        _ => None,
    })
}

/// The first text message record on `hop` going `direction` whose preview contains `text`,
/// with its `caused_by`.
pub fn find_text<'a>(
    records: &'a [CaptureRecord],
    hop: Hop,
    direction: Direction,
    text: &str,
) -> Option<(&'a CaptureRecord, Option<u64>)> {
    messages(records).find_map(|(record, frame, message)| {
        (record.hop == hop
            && frame.direction == direction
            && message.opcode == Opcode::Text
            && message.preview.contains(text))
        .then_some((record, frame.caused_by))
    })
}

/// The first handshake recorded on `hop`.
pub fn handshake_on(records: &[CaptureRecord], hop: Hop) -> Option<&HandshakeRecord> {
    records.iter().find_map(|r| match &r.body {
        CaptureBody::Handshake(h) if r.hop == hop => Some(&**h),
        _ => None,
    })
}

/// The first value of header `name`, any case, in a recorded request or response head.
pub fn head_header<'a>(head: &'a HttpHeadRecord, name: &str) -> Option<&'a str> {
    head.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The four records of one echoed cell: the browser's `execute`, the code sent to the kernel,
/// the kernel's reply and the browser's `output`.
pub struct EchoLegs<'a> {
    pub execute: &'a CaptureRecord,
    pub upstream: &'a CaptureRecord,
    pub reply: &'a CaptureRecord,
    pub output: &'a CaptureRecord,
}

/// Finds the four legs of the cell that ran `code`, checking that the code sent upstream
/// points at the `execute` and the `output` at the kernel's reply.
pub fn echo_legs<'a>(records: &'a [CaptureRecord], code: &str) -> EchoLegs<'a> {
    let leg = |hop, direction, text: &str| {
        find_text(records, hop, direction, text)
            .unwrap_or_else(|| panic!("no {hop:?} {direction:?} message with {text}"))
    };
    let (execute, _) = leg(Hop::Browser, Direction::ToServer, r#""type":"execute""#);
    let (upstream, caused_by) = leg(Hop::Kernel, Direction::ToServer, code);
    assert_eq!(caused_by, Some(execute.seq));
    let (reply, _) = leg(Hop::Kernel, Direction::ToClient, code);
    let (output, caused_by) = leg(Hop::Browser, Direction::ToClient, r#""type":"output""#);
    assert_eq!(caused_by, Some(reply.seq));
    EchoLegs {
        execute,
        upstream,
        reply,
        output,
    }
}

/// Whether the inspector's own feed (`capture` batches) got into the capture: it must not.
pub fn feed_recorded(records: &[CaptureRecord]) -> bool {
    find_text(
        records,
        Hop::Browser,
        Direction::ToClient,
        r#""type":"capture""#,
    )
    .is_some()
}

/// A plain HTTP/1.1 response.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy).
    pub body: String,
    /// The body as it came (dechunked), for compressed answers.
    pub bytes: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The body as JSON, read into `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.json()).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The `error` of a JSON error body (what the REST API answers a refusal with).
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {}", self.body))
            .to_string()
    }
}

/// `GET path` with extra header lines, over a fresh connection.
pub async fn http_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    http_request(addr, "GET", path, headers, "").await
}

/// Any request with extra header lines and a body, over a fresh connection, read to the end.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    let raw = within(try_http_request(addr, method, path, headers, body))
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut body = raw[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("\r\ntransfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    let bytes = body;
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let status = status_of(&raw).expect("a status line");
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    HttpResponse {
        status,
        headers,
        body,
        bytes,
    }
}

/// A request as [`http_request`] sends it, for a server that may be gone: the raw response,
/// or the error that ended it. The body goes with its length unless it is an empty `GET`'s.
pub async fn try_http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    Ok(raw)
}

/// The status code of a raw response's status line, if it has one.
pub fn status_of(raw: &[u8]) -> Option<u16> {
    let line = raw.split(|&b| b == b'\n').next()?;
    std::str::from_utf8(line)
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// The body of a chunked response (RFC 9112 §7.1), without extensions or trailers.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size = std::str::from_utf8(&raw[..line_end]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        raw = &raw[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("wirebook-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
