//! A real ipykernel through wirebook against the same kernel through Jupyter Server's own
//! WebSocket, in one run and with one client implementation for both.
//!
//! - Round trip: `ROUNDS` `execute_request`s of `pass`, one after the other; the time from
//!   sending to the answer (wirebook: the session's `executed`; Jupyter Server: the
//!   `execute_reply` on its channels socket). p50, p99 and the mean, and wirebook/jupyter_server.
//! - Flood: `for i in range(N): print(i)`; the time until the kernel's idle status for that
//!   request arrived, and how many of the N lines were delivered (Jupyter Server drops iopub
//!   output past its `iopub_data_rate_limit`; wirebook relays all of it).
//!
//! `cargo bench -p wirebook-server --bench kernel_load` — knobs via the environment:
//! `KERNEL_LOAD_ROUNDS` (1000), `KERNEL_LOAD_LINES` (200000), `WIREBOOK_PYTHON` (the venv's
//! python, with ipykernel and jupyter_server: `make test` makes `.venv`).

mod measure;

use measure::{knob, start_wirebook};

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const TOKEN: &str = "benchbenchbenchbench";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> PathBuf {
    std::env::var_os("WIREBOOK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"))
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once, briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick {
        20
    } else {
        knob("KERNEL_LOAD_ROUNDS", 1000)
    } as usize;
    let lines = if quick {
        2000
    } else {
        knob("KERNEL_LOAD_LINES", 200_000)
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench(rounds, lines));
}

/// A kernel behind one of the two servers, driven the same way.
trait Kernel {
    /// Runs `code` and returns when the kernel answered the request (the reply), with the
    /// number of stdout lines seen up to the request's idle status if `wait_idle`.
    async fn run(&mut self, code: &str, wait_idle: bool) -> u64;
}

async fn bench(rounds: usize, lines: u64) {
    println!(
        "kernel_load: python3 (ipykernel) from {}",
        python().display()
    );
    let (_wirebook, mut wirebook) = Wirebook::start().await;
    let (_jupyter, mut jupyter) = JupyterServer::start().await;
    // Warm both kernels (imports, first compile).
    for _ in 0..5 {
        wirebook.run("pass", true).await;
        jupyter.run("pass", true).await;
    }
    println!("kernel_load: {rounds} execute_requests of `pass`, one at a time");
    let (mut via_wirebook, mut via_jupyter) = (Vec::new(), Vec::new());
    // Alternating in blocks keeps drift from favouring either.
    for _ in 0..rounds / 10 {
        for _ in 0..10 {
            let start = Instant::now();
            wirebook.run("pass", false).await;
            via_wirebook.push(start.elapsed());
        }
        for _ in 0..10 {
            let start = Instant::now();
            jupyter.run("pass", false).await;
            via_jupyter.push(start.elapsed());
        }
    }
    let w = Latency::of(via_wirebook);
    let j = Latency::of(via_jupyter);
    println!("  wirebook (ZeroMQ)            {w}");
    println!("  jupyter_server (WebSocket)   {j}");
    println!(
        "  wirebook / jupyter_server: p50 {:.2}x, mean {:.2}x (target <= 0.7x)",
        w.p50 / j.p50,
        w.mean / j.mean
    );
    let code = format!("for i in range({lines}): print(i)");
    println!("kernel_load: flood `{code}`");
    for (name, kernel) in [
        ("wirebook", &mut wirebook as &mut dyn FloodKernel),
        ("jupyter_server", &mut jupyter as &mut dyn FloodKernel),
    ] {
        let start = Instant::now();
        let seen = kernel.flood(&code).await;
        println!(
            "  {name:<15} {:>7.2} s to idle, {seen} of {lines} lines delivered ({:.1} %)",
            start.elapsed().as_secs_f64(),
            seen as f64 * 100.0 / lines as f64
        );
    }
}

/// `Kernel::run` with waiting for idle, object-safe for the flood loop.
trait FloodKernel {
    fn flood<'a>(
        &'a mut self,
        code: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = u64> + 'a>>;
}

impl<K: Kernel> FloodKernel for K {
    fn flood<'a>(
        &'a mut self,
        code: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = u64> + 'a>> {
        Box::pin(self.run(code, true))
    }
}

struct Latency {
    p50: f64,
    p99: f64,
    mean: f64,
}

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let at = |q: f64| us(samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)]);
        Latency {
            p50: at(0.5),
            p99: at(0.99),
            mean: samples.iter().map(|d| us(*d)).sum::<f64>() / samples.len() as f64,
        }
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:>7.0} µs  p99 {:>7.0} µs  mean {:>7.0} µs",
            self.p50, self.p99, self.mean
        )
    }
}

fn lines_in(content: &Value) -> u64 {
    if content["name"] == "stdout" {
        content["text"]
            .as_str()
            .map_or(0, |t| t.matches('\n').count() as u64)
    } else {
        0
    }
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

/// The `wirebook` binary, a session on its `/session` socket, and a python3 kernel chosen
/// through the session protocol, as the browser does.
struct Wirebook {
    socket: Socket,
    cells: u64,
}

impl Wirebook {
    async fn start() -> (Child, Self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wirebook"));
        command
            .args(["--bind", "127.0.0.1:0", "--token", TOKEN])
            .args(["--dist", "/nonexistent-wirebook-bench-ui"])
            .arg("--jupyter-path")
            .arg(repo().join(".venv/share/jupyter"))
            .env("PATH", path_with_venv());
        let (child, addr) = start_wirebook(command).await;
        let (mut socket, _) = tokio_tungstenite::connect_async_with_config(
            format!("ws://{addr}/session?token={TOKEN}"),
            None,
            true,
        )
        .await
        .expect("the session socket");
        let set = json!({"type": "set_kernel", "kernel": {"kind": "jupyter", "name": "python3"}});
        socket.send(Message::text(set.to_string())).await.unwrap();
        let mut selected = false;
        loop {
            let msg = next_json(&mut socket).await;
            match msg["type"].as_str() {
                Some("kernel_selected") => selected = true,
                Some("kernel") if selected => match msg["state"]["state"].as_str() {
                    Some("open") => break,
                    Some("failed" | "closed") => panic!("the python3 kernel did not start: {msg}"),
                    _ => {}
                },
                Some("error") => panic!("wirebook refused: {msg}"),
                _ => {}
            }
        }
        (child, Wirebook { socket, cells: 0 })
    }
}

impl Kernel for Wirebook {
    async fn run(&mut self, code: &str, wait_idle: bool) -> u64 {
        self.cells += 1;
        let cell = format!("c{}", self.cells);
        let execute = json!({"type": "execute", "cell_id": cell, "code": code});
        self.socket
            .send(Message::text(execute.to_string()))
            .await
            .unwrap();
        let (mut replied, mut idle, mut lines) = (false, !wait_idle, 0);
        while !(replied && idle) {
            let msg = next_json(&mut self.socket).await;
            match msg["type"].as_str() {
                Some("executed") if msg["cell_id"] == cell.as_str() => replied = true,
                Some("kernel_message") if msg["cell_id"] == cell.as_str() => {
                    match msg["msg_type"].as_str() {
                        Some("stream") => lines += lines_in(&msg["content"]),
                        Some("status") if msg["content"]["execution_state"] == "idle" => {
                            idle = true
                        }
                        _ => {}
                    }
                }
                Some("error") => panic!("wirebook: {msg}"),
                _ => {}
            }
        }
        lines
    }
}

/// `jupyter server` from the venv with a token, a python3 kernel started over REST and its
/// channels WebSocket (the JSON protocol, as JupyterLab without the v1 subprotocol).
struct JupyterServer {
    socket: Socket,
    session: String,
    requests: u64,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path_with_venv() -> String {
    let venv_bin = python().parent().map(PathBuf::from).unwrap_or_default();
    format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

impl JupyterServer {
    async fn start() -> (Child, Self) {
        let dir = TempDir(
            std::env::temp_dir().join(format!("wirebook-kernel-load-{}", std::process::id())),
        );
        std::fs::create_dir_all(dir.0.join("runtime")).unwrap();
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let child = Command::new(python())
            .args([
                "-m",
                "jupyter_server",
                "--no-browser",
                // Machines that run CI as root: Jupyter Server refuses root without it.
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
            ])
            .arg(format!("--ServerApp.port={port}"))
            .arg("--ServerApp.port_retries=0")
            .arg(format!("--IdentityProvider.token={TOKEN}"))
            .arg(format!("--ServerApp.root_dir={}", dir.0.display()))
            .env("JUPYTER_RUNTIME_DIR", dir.0.join("runtime"))
            .env("PATH", path_with_venv())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python -m jupyter_server");
        let addr = format!("127.0.0.1:{port}");
        let mut started = None;
        for _ in 0..300 {
            if let Ok(body) = http(&addr, "POST", "/api/kernels", r#"{"name":"python3"}"#).await {
                started = Some(body);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let started: Value =
            serde_json::from_str(&started.expect("jupyter server did not start in 30 s")).unwrap();
        let id = started["id"].as_str().expect("a kernel id").to_string();
        let session = format!("bench-{}", std::process::id());
        let mut request = format!("ws://{addr}/api/kernels/{id}/channels?session_id={session}")
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("Authorization", format!("token {TOKEN}").parse().unwrap());
        // Nagle off on both clients, as browsers have it.
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .expect("the kernel's channels socket");
        let mut server = JupyterServer {
            socket,
            session,
            requests: 0,
            _dir: dir,
        };
        // The kernel answers kernel_info once it is up.
        server.request("kernel_info_request", json!({})).await;
        (child, server)
    }

    async fn send(&mut self, msg_type: &str, content: Value) -> String {
        self.requests += 1;
        let msg_id = format!("{}-{}", self.session, self.requests);
        let message = json!({
            "header": {"msg_id": msg_id, "username": "bench", "session": self.session,
                       "msg_type": msg_type, "version": "5.4", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content,
            "channel": "shell", "buffers": [],
        });
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        msg_id
    }

    async fn request(&mut self, msg_type: &str, content: Value) {
        let msg_id = self.send(msg_type, content).await;
        loop {
            let msg = next_json(&mut self.socket).await;
            if msg["channel"] == "shell" && msg["parent_header"]["msg_id"] == msg_id.as_str() {
                return;
            }
        }
    }
}

impl Kernel for JupyterServer {
    async fn run(&mut self, code: &str, wait_idle: bool) -> u64 {
        let content = json!({"code": code, "silent": false, "store_history": true,
                             "user_expressions": {}, "allow_stdin": false, "stop_on_error": true});
        let msg_id = self.send("execute_request", content).await;
        let (mut replied, mut idle, mut lines) = (false, !wait_idle, 0);
        while !(replied && idle) {
            let msg = next_json(&mut self.socket).await;
            if msg["parent_header"]["msg_id"] != msg_id.as_str() {
                continue;
            }
            match msg["header"]["msg_type"].as_str() {
                Some("execute_reply") => replied = true,
                Some("stream") => lines += lines_in(&msg["content"]),
                Some("status") if msg["content"]["execution_state"] == "idle" => idle = true,
                _ => {}
            }
        }
        lines
    }
}

/// One HTTP/1.1 request with the token; the body of a 2xx answer.
async fn http(addr: &str, method: &str, path: &str, body: &str) -> Result<String, String> {
    let mut tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: token {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    tcp.read_to_string(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    let (head, body) = answer.split_once("\r\n\r\n").ok_or("no HTTP head")?;
    let ok = head
        .split_whitespace()
        .nth(1)
        .is_some_and(|status| status.starts_with('2'));
    if !ok {
        return Err(head.lines().next().unwrap_or_default().to_string());
    }
    // Jupyter Server answers small JSON bodies; a chunked one is decoded well enough by
    // taking what lies between the first line and the terminating chunk.
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let inner = body.split_once("\r\n").map_or(body, |(_, rest)| rest);
        return Ok(inner
            .rsplit_once("\r\n0\r\n")
            .map_or(inner, |(b, _)| b)
            .to_string());
    }
    Ok(body.to_string())
}
