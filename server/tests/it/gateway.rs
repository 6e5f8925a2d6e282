//! Gateway mode against a real `jupyter server` (from the venv), started here with a random
//! token on a free loopback port and its own temporary root, runtime, data and config dirs;
//! the server and its kernels are stopped when the test ends, also on failure.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use wirebook_server::capture::ring::Capture;
use wirebook_server::kernel::gateway::rest::{self, Call, Endpoint};
use wirebook_server::kernel::gateway::{self, GatewayConfig};
use wirebook_server::kernel::{Execute, KernelEvent, KernelLink, LinkCommand};
use wirebook_server::shutdown::Shutdown;
use wirebook_server::upstream::TlsSettings;
use wirebook_shared::jupyter::{SignatureCheck, WireFormat};
use wirebook_shared::{
    CaptureBody, CaptureRecord, Channel, Direction, Hop, KernelMessage, KernelState,
};

use crate::capture_records::{handshake_on, head_header};
use crate::peers::python;
use crate::stand_in_peers::closed_port;
use crate::support::TempDir;

const V1: &str = "v1.kernel.websocket.jupyter.org";

/// How long one kernel event may take (a kernel starting on a busy 2-core machine is slow).
const PATIENCE: Duration = Duration::from_secs(60);

/// A `jupyter server` process group, stopped on drop.
struct JupyterServer {
    child: Child,
    url: String,
    token: String,
    /// How wirebook checks the server's certificate (`https://` servers).
    tls: Arc<TlsSettings>,
    /// The certificate and key files, read again by the server for every connection.
    _pem: Option<TempDir>,
    _dirs: TempDir,
}

impl JupyterServer {
    /// Starts a server; `extra` are more `--Class.trait=value` arguments.
    async fn start(extra: &[&str]) -> Self {
        JupyterServer::start_with(extra, None).await
    }

    /// An `https://` server with a self-signed certificate for `localhost`, trusted by the
    /// returned server's `tls` settings.
    async fn start_https() -> Self {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let pem = TempDir::new("jupyter-tls");
        let (cert, key) = (pem.0.join("cert.pem"), pem.0.join("key.pem"));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
        let tls = TlsSettings {
            extra_roots: TlsSettings::read_ca_file(&cert).unwrap(),
            skip_verification: false,
        };
        let args = [
            format!("--ServerApp.certfile={}", cert.display()),
            format!("--ServerApp.keyfile={}", key.display()),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut server = JupyterServer::start_with(&args, Some(tls)).await;
        server._pem = Some(pem);
        server
    }

    async fn start_with(extra: &[&str], tls: Option<TlsSettings>) -> Self {
        let python = python();
        let dirs = TempDir::new("jupyter-server");
        let sub = |name: &str| {
            let dir = dirs.0.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            dir
        };
        let (root, runtime, data, config, ipython) = (
            sub("root"),
            sub("runtime"),
            sub("data"),
            sub("config"),
            sub("ipython"),
        );
        let token = format!("{:032x}", rand::random::<u128>());
        // Port 0 is not something jupyter server takes: ask the OS for a free port and pass it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(&python);
        command
            // `--allow-root`: CI containers run as root.
            .args(["-m", "jupyter_server", "--no-browser", "--allow-root"])
            .arg(format!("--ServerApp.port={port}"))
            .arg("--ServerApp.port_retries=0")
            .arg("--ServerApp.ip=127.0.0.1")
            .arg(format!("--IdentityProvider.token={token}"))
            .arg(format!("--ServerApp.root_dir={}", root.display()))
            .args(extra)
            .env("JUPYTER_RUNTIME_DIR", &runtime)
            .env("JUPYTER_DATA_DIR", &data)
            .env("JUPYTER_CONFIG_DIR", &config)
            .env("IPYTHONDIR", &ipython)
            .env_remove("JUPYTER_PATH")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dirs.0.join("server.log")).unwrap(),
            ));
        // Its own process group, so that stopping it also stops the kernels it started.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|error| {
            panic!(
                "cannot run python at {} ({error}): run `make test` (it creates .venv with \
                 jupyter_server and ipykernel), or set WIREBOOK_PYTHON",
                python.display()
            )
        });
        let url = match tls {
            Some(_) => format!("https://localhost:{port}"),
            None => format!("http://127.0.0.1:{port}"),
        };
        let mut server = JupyterServer {
            child,
            url,
            token,
            tls: Arc::new(tls.unwrap_or_default()),
            _pem: None,
            _dirs: dirs,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let endpoint = Endpoint::parse(&self.url, &self.tls).unwrap();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("jupyter server exited ({status}):\n{}", self.log());
            }
            let call = Call {
                method: "GET",
                path: "/api/status",
                body: None,
            };
            let answer = rest::send(&endpoint, Some(&self.token), call, Duration::from_secs(2));
            if matches!(answer.await, Ok(answer) if answer.status == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "jupyter server did not start:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dirs.0.join("server.log")).unwrap_or_default()
    }

    fn config(&self, token: Option<&str>) -> Arc<GatewayConfig> {
        Arc::new(GatewayConfig {
            url: self.url.clone(),
            token: token.map(str::to_string),
            connect_timeout: Duration::from_secs(20),
            websocket: Default::default(),
            tls: Arc::clone(&self.tls),
        })
    }

    /// `GET /api/kernels`: the ids of the server's running kernels.
    async fn kernels(&self) -> Vec<String> {
        let call = Call {
            method: "GET",
            path: "/api/kernels",
            body: None,
        };
        let endpoint = Endpoint::parse(&self.url, &self.tls).unwrap();
        let answer = rest::send(&endpoint, Some(&self.token), call, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
        let kernels = answer.json(&call).unwrap();
        kernels
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].as_str().unwrap().to_string())
            .collect()
    }
}

impl Drop for JupyterServer {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        // SIGTERM lets the server shut its kernels down; whatever is left is killed.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

/// A running gateway link and what it reported.
struct Kernel {
    link: Option<KernelLink>,
    events: mpsc::Receiver<KernelEvent>,
    capture: Arc<Capture>,
    shutdown: Shutdown,
}

impl Kernel {
    fn start(server: &JupyterServer) -> Self {
        Kernel::start_at(server.config(Some(&server.token)))
    }

    fn start_at(config: Arc<GatewayConfig>) -> Self {
        let capture = Arc::new(Capture::new(100_000, 4096));
        let (tx, events) = mpsc::channel(1024);
        let shutdown = Shutdown::new();
        let link = gateway::start(
            1,
            "python3".into(),
            config,
            Arc::clone(&capture),
            tx,
            &shutdown,
        );
        Kernel {
            link: Some(link),
            events,
            capture,
            shutdown,
        }
    }

    async fn next(&mut self) -> KernelEvent {
        tokio::time::timeout(PATIENCE, self.events.recv())
            .await
            .expect("timed out waiting for a kernel event")
            .expect("the link ended without a terminal state")
    }

    /// Events until `done` holds for one of them (that one included).
    async fn until(&mut self, done: impl Fn(&KernelEvent) -> bool) -> Vec<KernelEvent> {
        let mut seen = Vec::new();
        loop {
            let event = self.next().await;
            let stop = done(&event);
            assert!(
                stop || !event.is_terminal(),
                "the link ended: {event:?} after {seen:#?}"
            );
            seen.push(event);
            if stop {
                return seen;
            }
        }
    }

    async fn open(&mut self) {
        let first = self.next().await;
        assert_eq!(
            first,
            KernelEvent::State {
                link: 1,
                state: KernelState::Connecting
            }
        );
        self.until_open().await;
    }

    /// The events until the kernel is open (again), that one included.
    async fn until_open(&mut self) -> Vec<KernelEvent> {
        self.until(|e| {
            matches!(
                e,
                KernelEvent::State {
                    state: KernelState::Open { .. },
                    ..
                }
            )
        })
        .await
    }

    fn execute(&self, cell_id: &str, code: &str, caused_by: Option<u64>) {
        self.link
            .as_ref()
            .unwrap()
            .execute(Execute {
                cell_id: cell_id.into(),
                code: code.into(),
                format: Default::default(),
                caused_by,
            })
            .unwrap();
    }

    /// Runs `code` as `cell_id` (relaying the record `caused_by`); see [`Kernel::finish`].
    async fn run(&mut self, cell_id: &str, code: &str, caused_by: Option<u64>) -> Cell {
        self.execute(cell_id, code, caused_by);
        self.finish(cell_id, Vec::new()).await
    }

    /// The events of a cell until both its `Executed` and the kernel's `idle` after it: the
    /// iopub outputs and the shell reply travel on different sockets, so either may come first.
    async fn finish(&mut self, cell_id: &str, mut events: Vec<KernelEvent>) -> Cell {
        let executed =
            |e: &KernelEvent| matches!(e, KernelEvent::Executed { cell_id: c, .. } if c == cell_id);
        if !events.iter().any(executed) {
            events.extend(self.until(executed).await);
        }
        let request = events
            .iter()
            .find_map(|e| match e {
                KernelEvent::Message {
                    message:
                        KernelMessage {
                            cell_id: Some(c),
                            parent_msg_id: Some(parent),
                            ..
                        },
                    ..
                } if c == cell_id => Some(parent.clone()),
                _ => None,
            })
            .expect("a message of the cell");
        let idle = |e: &KernelEvent| {
            matches!(e, KernelEvent::Message { message: KernelMessage { msg_type, parent_msg_id: Some(p), content, .. }, .. }
                if msg_type == "status" && *p == request && content["execution_state"] == "idle")
        };
        if !events.iter().any(idle) {
            events.extend(self.until(idle).await);
        }
        Cell { events, request }
    }

    /// Waits for the terminal state.
    async fn end(&mut self) -> KernelState {
        loop {
            if let KernelEvent::State { state, .. } = self.next().await {
                if matches!(
                    state,
                    KernelState::Closed { .. } | KernelState::Failed { .. }
                ) {
                    return state;
                }
            }
        }
    }
}

/// A cell's run: the events seen, and the msg_id of its `execute_request`.
struct Cell {
    events: Vec<KernelEvent>,
    request: String,
}

impl Cell {
    /// The contents of the messages of `msg_type` that answer the cell's request.
    fn messages(&self, wanted: &str) -> Vec<&serde_json::Value> {
        self.events
            .iter()
            .filter_map(|e| match e {
                KernelEvent::Message {
                    message:
                        KernelMessage {
                            parent_msg_id: Some(parent),
                            msg_type,
                            content,
                            ..
                        },
                    ..
                } if *parent == self.request && msg_type == wanted => Some(content),
                _ => None,
            })
            .collect()
    }

    fn execution_count(&self) -> Option<u32> {
        self.events.iter().find_map(|e| match e {
            KernelEvent::Executed {
                execution_count, ..
            } => Some(*execution_count),
            _ => None,
        })
    }
}

fn kernel_messages(
    records: &[CaptureRecord],
) -> Vec<(&CaptureRecord, &wirebook_shared::KernelMessageRecord)> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            CaptureBody::KernelMessage(m) => Some((r, &**m)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_kernel_runs_through_jupyter_server_over_v1_frames() {
    let server = JupyterServer::start(&[]).await;
    let offers = gateway::kernelspecs(&server.config(Some(&server.token)))
        .await
        .unwrap();
    let python3 = offers
        .iter()
        .find(|o| {
            o.choice
                == wirebook_shared::KernelChoice::Gateway {
                    name: "python3".into(),
                }
        })
        .unwrap_or_else(|| panic!("no python3 kernelspec in {offers:?}"));
    assert_eq!(python3.language.as_deref(), Some("python"));
    assert_eq!(python3.source, server.url);

    let mut kernel = Kernel::start(&server);
    kernel.open().await;
    assert_eq!(server.kernels().await.len(), 1);

    let cell = kernel.run("c1", "1+1", None).await;
    let results = cell.messages("execute_result");
    assert_eq!(results.len(), 1, "{:#?}", cell.events);
    assert_eq!(results[0]["data"]["text/plain"], "2");
    assert_eq!(cell.execution_count(), Some(1));
    // The input the kernel echoes is the cell's (its parent is the cell's request).
    assert!(cell.events.iter().any(|e| matches!(e,
        KernelEvent::Message { message: KernelMessage { cell_id: Some(c), msg_type, .. }, .. } if c == "c1" && msg_type == "execute_input")));

    let cell = kernel.run("c2", "print('hi')", Some(4242)).await;
    let streams = cell.messages("stream");
    assert_eq!(streams.len(), 1, "{:#?}", cell.events);
    assert_eq!(streams[0]["name"], "stdout");
    assert_eq!(streams[0]["text"], "hi\n");
    assert_eq!(cell.execution_count(), Some(2));
    // Every message event points at its capture record.
    assert!(cell
        .events
        .iter()
        .all(|e| !matches!(e, KernelEvent::Message { seq: None, .. })));

    // The composer: any message on any channel; its reply threads under it.
    kernel
        .link
        .as_ref()
        .unwrap()
        .command(LinkCommand::Send {
            channel: Channel::Shell,
            msg_type: "kernel_info_request".into(),
            content: serde_json::json!({}),
            caused_by: None,
        })
        .unwrap();
    let events = kernel
        .until(|e| matches!(e, KernelEvent::MessageSent { .. }))
        .await;
    let Some(KernelEvent::MessageSent { msg_id: sent, .. }) = events.last() else {
        unreachable!()
    };
    let sent = sent.clone();
    kernel
        .until(|e| {
            matches!(e, KernelEvent::Message { message: KernelMessage { msg_type, parent_msg_id: Some(p), content, .. }, .. }
                if msg_type == "kernel_info_reply" && *p == sent && content["status"] == "ok")
        })
        .await;

    // input() asks on stdin; the answer goes back parented to the request.
    kernel.execute("c4", "name = input('name? '); print('hello', name)", None);
    let events = kernel
        .until(|e| {
            matches!(e, KernelEvent::Message { message: KernelMessage { channel: Channel::Stdin, msg_type, content, .. }, .. }
                if msg_type == "input_request" && content["prompt"] == "name? ")
        })
        .await;
    kernel
        .link
        .as_ref()
        .unwrap()
        .command(LinkCommand::InputReply {
            value: "Ada".into(),
        })
        .unwrap();
    let cell = kernel.finish("c4", events).await;
    let streams = cell.messages("stream");
    assert_eq!(streams.len(), 1, "{:#?}", cell.events);
    assert_eq!(streams[0]["text"], "hello Ada\n");

    // An interrupt through REST stops a long sleep well before its 30 seconds.
    let started = Instant::now();
    kernel.execute("c3", "import time; time.sleep(30)", None);
    let events = kernel
        .until(|e| {
            matches!(e, KernelEvent::Message { message: KernelMessage { cell_id: Some(c), msg_type, .. }, .. }
                if c == "c3" && msg_type == "execute_input")
        })
        .await;
    kernel
        .link
        .as_ref()
        .unwrap()
        .command(LinkCommand::Interrupt)
        .unwrap();
    let cell = kernel.finish("c3", events).await;
    assert!(started.elapsed() < Duration::from_secs(25));
    let errors = cell.messages("error");
    assert_eq!(errors.len(), 1, "{:#?}", cell.events);
    assert_eq!(errors[0]["ename"], "KeyboardInterrupt");

    // The capture: the handshake chose v1 (token redacted), frames on the kernel hop, and the
    // decoded messages with their offsets.
    let records = kernel.capture.snapshot();
    let handshake = handshake_on(&records, Hop::Kernel).expect("the channels handshake");
    assert_eq!(
        handshake.protocol.as_deref(),
        Some("v1.kernel.websocket.jupyter.org")
    );
    let authorization = head_header(&handshake.request, "authorization");
    assert_eq!(authorization, Some("token <redacted>"));
    let all = format!("{records:?}");
    assert!(!all.contains(&server.token), "the token is in the capture");
    let frames = records
        .iter()
        .filter(|r| r.hop == Hop::Kernel && matches!(r.body, CaptureBody::Frame(_)))
        .count();
    let decoded = kernel_messages(&records);
    assert!(
        frames >= decoded.len() && decoded.len() > 10,
        "{frames} frames, {} messages",
        decoded.len()
    );
    for (record, message) in &decoded {
        assert_eq!(record.hop, Hop::Kernel);
        assert_eq!(message.parts.format, WireFormat::WebSocketV1);
        assert_eq!(message.parts.signature_check, SignatureCheck::NotCarried);
        assert!(message.findings.is_empty(), "{message:?}");
        assert!(message.parts.offsets.len() >= 6, "{message:?}");
        assert_eq!(
            message.parts.offsets[0],
            8 * (message.parts.offsets.len() as u64 + 1)
        );
        assert_eq!(*message.parts.offsets.last().unwrap(), message.size);
    }
    let sent_print = decoded
        .iter()
        .find(|(_, m)| {
            m.direction == Direction::ToServer
                && m.msg_type == "execute_request"
                && m.parts.content.contains("print('hi')")
        })
        .expect("the execute_request record");
    assert_eq!(sent_print.1.caused_by, Some(4242));
    assert_eq!(sent_print.1.channel, Channel::Shell);
    let reply = decoded
        .iter()
        .find(|(_, m)| {
            m.msg_type == "execute_reply"
                && m.parent_msg_id.as_deref() == Some(&*sent_print.1.msg_id)
        })
        .expect("its execute_reply");
    assert_eq!(reply.1.direction, Direction::ToClient);
    assert_eq!(reply.0.conn, sent_print.0.conn);

    // The session lets the kernel go: the socket closes and the kernel is deleted.
    drop(kernel.link.take());
    let end = kernel.end().await;
    assert!(matches!(end, KernelState::Closed { .. }), "{end:?}");
    assert_eq!(server.kernels().await, Vec::<String>::new());
    kernel.shutdown.trigger();
}

/// A server that only speaks the JSON protocol: the link falls back to it, and a server
/// shutdown closes the link and deletes the kernel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_protocol_is_the_fallback_and_shutdown_deletes_the_kernel() {
    let server =
        JupyterServer::start(&["--ZMQChannelsWebsocketConnection.kernel_ws_protocol="]).await;
    let mut kernel = Kernel::start(&server);
    kernel.open().await;
    let cell = kernel.run("j1", "6*7", None).await;
    assert_eq!(
        cell.messages("execute_result")[0]["data"]["text/plain"],
        "42"
    );
    assert_eq!(cell.execution_count(), Some(1));
    let records = kernel.capture.snapshot();
    // The first handshake offered v1 and got a 101 without it; the second offered nothing.
    let handshakes: Vec<_> = records
        .iter()
        .filter_map(|r| match &r.body {
            CaptureBody::Handshake(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(handshakes.len(), 2, "{handshakes:#?}");
    let offered = |h: &wirebook_shared::HandshakeRecord| {
        h.request
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("sec-websocket-protocol") && v == V1)
    };
    assert!(offered(handshakes[0]));
    assert!(!offered(handshakes[1]));
    assert!(handshakes.iter().all(|h| h.protocol.is_none()));
    let decoded = kernel_messages(&records);
    assert!(!decoded.is_empty());
    for (_, message) in &decoded {
        assert_eq!(message.parts.format, WireFormat::WebSocketJson);
        assert!(message.parts.offsets.is_empty());
        assert!(message.findings.is_empty(), "{message:?}");
    }
    assert_eq!(server.kernels().await.len(), 1);
    kernel.shutdown.trigger();
    let end = kernel.end().await;
    assert!(
        matches!(end, KernelState::Closed { ref reason, .. } if reason.contains("shutting down")),
        "{end:?}"
    );
    assert_eq!(server.kernels().await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_a_clear_error() {
    let server = JupyterServer::start(&[]).await;
    let error = gateway::kernelspecs(&server.config(Some("not-the-token")))
        .await
        .unwrap_err();
    assert!(error.contains("the gateway refused the token"), "{error}");
    let error = gateway::kernelspecs(&server.config(None))
        .await
        .unwrap_err();
    assert!(error.contains("--gateway-token"), "{error}");

    // Starting a kernel with it fails the link with the same words, and starts nothing.
    let capture = Arc::new(Capture::new(1000, 256));
    let (tx, mut events) = mpsc::channel(16);
    let shutdown = Shutdown::new();
    let _link = gateway::start(
        7,
        "python3".into(),
        server.config(Some("not-the-token")),
        capture,
        tx,
        &shutdown,
    );
    let mut states = Vec::new();
    while let Some(KernelEvent::State { state, .. }) =
        tokio::time::timeout(PATIENCE, events.recv()).await.unwrap()
    {
        let terminal = matches!(
            state,
            KernelState::Failed { .. } | KernelState::Closed { .. }
        );
        states.push(state);
        if terminal {
            break;
        }
    }
    assert_eq!(states[0], KernelState::Connecting);
    assert!(
        matches!(&states[1], KernelState::Failed { message } if message.contains("refused the token")),
        "{states:?}"
    );
    assert_eq!(server.kernels().await, Vec::<String>::new());
}

#[tokio::test]
async fn an_unreachable_or_https_gateway_is_a_clear_error() {
    let port = closed_port().await;
    let config = GatewayConfig {
        url: format!("http://127.0.0.1:{port}"),
        token: None,
        connect_timeout: Duration::from_secs(5),
        websocket: Default::default(),
        tls: Default::default(),
    };
    let error = gateway::kernelspecs(&config).await.unwrap_err();
    assert!(error.contains("refused"), "{error}");
    let ftp = GatewayConfig {
        url: "ftp://127.0.0.1:1/".into(),
        ..config
    };
    let error = gateway::kernelspecs(&ftp).await.unwrap_err();
    assert!(
        error.contains("must start with http:// or https://"),
        "{error}"
    );
}

#[tokio::test]
async fn an_https_gateway_runs_a_kernel_with_its_ca_and_is_refused_without() {
    let server = JupyterServer::start_https().await;
    let offers = gateway::kernelspecs(&server.config(Some(&server.token)))
        .await
        .unwrap();
    assert!(
        offers.iter().any(|o| o.display_name.contains("Python")),
        "{offers:?}"
    );
    let mut kernel = Kernel::start(&server);
    kernel.open().await;
    let cell = kernel.run("c1", "6*7", None).await;
    assert_eq!(cell.execution_count(), Some(1));
    // The channels socket is wss://, tapped above TLS: its frames are in the capture.
    let records = kernel.capture.snapshot();
    assert!(records.iter().any(|r| matches!(&r.body,
        CaptureBody::Open { target, server, .. } if target.starts_with("wss://localhost:") && server.ends_with("(TLS)"))));
    assert!(records
        .iter()
        .any(|r| matches!(&r.body, CaptureBody::Frame(_))));
    drop(kernel);
    let untrusted = GatewayConfig {
        tls: Default::default(),
        ..(*server.config(Some(&server.token))).clone()
    };
    let error = gateway::kernelspecs(&untrusted).await.unwrap_err();
    assert!(error.contains("unknown issuer"), "{error}");
}

/// A TCP proxy in front of the server whose connections can all be cut at once.
struct CutProxy {
    addr: std::net::SocketAddr,
    cut: tokio::sync::watch::Sender<u64>,
}

impl CutProxy {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let cuts = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut cut = cuts.subscribe();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        CutProxy { addr, cut }
    }

    /// Drops every connection open now (new ones still go through).
    fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

/// The WebSocket drops while the kernel lives: the link says `Connecting`, reopens it, and the
/// same kernel (with its variables) answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_websocket_reconnects_to_the_same_kernel() {
    let server = JupyterServer::start(&[]).await;
    let target = server.url.trim_start_matches("http://").to_string();
    let proxy = CutProxy::start(target).await;
    let mut kernel = Kernel::start_at(Arc::new(GatewayConfig {
        url: format!("http://{}", proxy.addr),
        token: Some(server.token.clone()),
        connect_timeout: Duration::from_secs(20),
        websocket: WebSocketConfig::default().max_message_size(Some(64 * 1024)),
        tls: Default::default(),
    }));
    kernel.open().await;
    let cell = kernel.run("r1", "x = 5", None).await;
    assert_eq!(cell.execution_count(), Some(1));

    proxy.cut();
    let events = kernel.until_open().await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            KernelEvent::State {
                state: KernelState::Connecting,
                ..
            }
        )),
        "{events:#?}"
    );
    let cell = kernel.run("r2", "x * 2", None).await;
    assert_eq!(
        cell.messages("execute_result")[0]["data"]["text/plain"],
        "10"
    );
    assert_eq!(cell.execution_count(), Some(2));
    assert_eq!(server.kernels().await.len(), 1);
    let records = kernel.capture.snapshot();
    let handshakes = records
        .iter()
        .filter(|r| matches!(r.body, CaptureBody::Handshake(_)))
        .count();
    assert_eq!(handshakes, 2);

    // A message over the size limit cannot be read: the link says so and reconnects.
    kernel.execute("r3", "print('x' * 100_000)", None);
    let events = kernel.until_open().await;
    assert!(
        events.iter().any(|e| matches!(e,
            KernelEvent::Refused { message, .. } if message.contains("over the size limit"))),
        "{events:#?}"
    );
    let cell = kernel.run("r4", "x + 1", None).await;
    assert_eq!(
        cell.messages("execute_result")[0]["data"]["text/plain"],
        "6"
    );

    drop(kernel.link.take());
    let end = kernel.end().await;
    assert!(matches!(end, KernelState::Closed { .. }), "{end:?}");
    assert_eq!(server.kernels().await, Vec::<String>::new());
}

/// The whole path: a browser on `/session` picks the gateway's python3, runs a cell, sees its
/// result and execution count; the kernel's request record points at the browser's message;
/// the browser leaving deletes the kernel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_session_runs_a_cell_on_a_gateway_kernel() {
    use wirebook_shared::{KernelChoice, ServerMsg};

    use crate::session_client::SessionClient;
    use crate::support::{TestServer, TOKEN};

    let jupyter = JupyterServer::start(&[]).await;
    let mut config = wirebook_server::config::Config::new(TOKEN);
    config.gateway = Some((*jupyter.config(Some(&jupyter.token))).clone());
    let server = TestServer::start(config).await;
    let (mut client, _hello) = SessionClient::open(&server).await;
    client.patience = PATIENCE;
    let choice = KernelChoice::Gateway {
        name: "python3".into(),
    };
    let kernels = client
        .wait_for(|m| matches!(m, ServerMsg::Kernels { .. }))
        .await;
    let ServerMsg::Kernels { kernels, .. } = kernels else {
        unreachable!()
    };
    assert!(kernels.iter().any(|k| k.choice == choice), "{kernels:?}");
    client.choose(choice.clone()).await;
    let state = tokio::time::timeout(PATIENCE, client.kernel_settled())
        .await
        .unwrap();
    assert!(matches!(state, KernelState::Open { .. }), "{state:?}");
    client.execute("b1", "40 + 2").await;
    let executed = tokio::time::timeout(
        PATIENCE,
        client.wait_for(|m| matches!(m, ServerMsg::Executed { cell_id, .. } if cell_id == "b1")),
    )
    .await
    .unwrap();
    assert_eq!(
        executed,
        ServerMsg::Executed {
            cell_id: "b1".into(),
            execution_count: 1
        }
    );
    client
        .capture_until(|records| {
            kernel_messages(records)
                .iter()
                .any(|(_, m)| m.msg_type == "execute_result" && m.parts.content.contains("42"))
        })
        .await;
    let records = client.records.clone();
    let request = kernel_messages(&records)
        .into_iter()
        .find(|(_, m)| m.msg_type == "execute_request")
        .expect("the execute_request record")
        .1
        .clone();
    let cause = records
        .iter()
        .find(|r| Some(r.seq) == request.caused_by)
        .expect("the record the request relays");
    assert_eq!(cause.hop, Hop::Browser);

    drop(client);
    let deadline = Instant::now() + PATIENCE;
    while !jupyter.kernels().await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the kernel outlived the browser session"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A kernel deleted behind the link's back is not reconnected to: the link fails and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kernel_deleted_on_the_gateway_fails_the_link() {
    let server = JupyterServer::start(&[]).await;
    let mut kernel = Kernel::start(&server);
    kernel.open().await;
    let ids = server.kernels().await;
    assert_eq!(ids.len(), 1);
    let path = format!("/api/kernels/{}", ids[0]);
    let call = Call {
        method: "DELETE",
        path: &path,
        body: None,
    };
    let endpoint = Endpoint::parse(&server.url, &server.tls).unwrap();
    let answer = rest::send(&endpoint, Some(&server.token), call, PATIENCE)
        .await
        .unwrap();
    assert_eq!(answer.status, 204);
    let end = kernel.end().await;
    assert!(
        matches!(&end, KernelState::Failed { message } if message.contains("no longer exists on the gateway")),
        "{end:?}"
    );
}

/// A gateway named from the kernel picker: a server started without `--gateway-url` offers the
/// Jupyter Server's kernels once a session sets it, refuses a URL it cannot use (keeping the
/// gateway it has), masks the token in what the inspector gets, and offers none after unset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_sets_the_gateway_and_the_token_stays_masked() {
    use wirebook_shared::{CaptureBody, ClientMsg, KernelChoice, ServerMsg};

    use crate::session_client::SessionClient;
    use crate::support::{TestServer, TOKEN};

    let jupyter = JupyterServer::start(&[]).await;
    let server = TestServer::start(wirebook_server::config::Config::new(TOKEN)).await;
    let (mut client, _hello) = SessionClient::open(&server).await;
    client.patience = PATIENCE;
    let python = KernelChoice::Gateway {
        name: "python3".into(),
    };
    let offered = |m: &ServerMsg| matches!(m, ServerMsg::Kernels { .. });
    let ServerMsg::Kernels { kernels, gateway } = client.wait_for(offered).await else {
        unreachable!()
    };
    assert!(gateway.is_none());
    assert!(!kernels.iter().any(|k| k.choice == python), "{kernels:?}");

    client
        .send(&ClientMsg::SetGateway {
            url: Some(jupyter.url.clone()),
            token: Some(jupyter.token.clone()),
        })
        .await;
    let ServerMsg::Kernels { kernels, gateway } = client.wait_for(offered).await else {
        unreachable!()
    };
    assert_eq!(gateway.as_deref(), Some(jupyter.url.as_str()));
    assert!(kernels.iter().any(|k| k.choice == python), "{kernels:?}");

    // A URL that is not http(s) is refused with a reason; the gateway stays.
    client
        .send(&ClientMsg::SetGateway {
            url: Some("ftp://127.0.0.1:1/".into()),
            token: None,
        })
        .await;
    let (message, _) = client.error().await;
    assert!(message.starts_with("cannot use that gateway"), "{message}");

    // The browser's set_gateway records leave the capture with the token masked.
    let is_set_gateway = |r: &wirebook_shared::CaptureRecord| {
        matches!(&r.body, CaptureBody::Frame(f)
            if f.message.as_ref().is_some_and(|m| m.preview.contains("set_gateway")))
    };
    client
        .capture_until(|records| records.iter().filter(|r| is_set_gateway(r)).count() >= 2)
        .await;
    for record in client.records.iter().filter(|r| is_set_gateway(r)) {
        let CaptureBody::Frame(frame) = &record.body else {
            continue;
        };
        let preview = &frame.message.as_ref().unwrap().preview;
        assert!(!preview.contains(&jupyter.token), "{preview}");
        let token_hex = wirebook_shared::hex::hex(jupyter.token.as_bytes());
        assert!(!frame.payload_hex.contains(&token_hex));
    }

    client
        .send(&ClientMsg::SetGateway {
            url: None,
            token: None,
        })
        .await;
    let ServerMsg::Kernels { kernels, gateway } = client.wait_for(offered).await else {
        unreachable!()
    };
    assert!(gateway.is_none());
    assert!(!kernels.iter().any(|k| k.choice == python), "{kernels:?}");
}
