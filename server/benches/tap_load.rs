//! The transparent proxy under load, against a direct connection and websocat, in one run.
//!
//! Three paths to the same upstream echo server (tokio-tungstenite, in this process on its own
//! thread): (a) direct; (b) through a `wirebook` process's `/tap/bench` with the capture on;
//! (c) through `websocat` 1.x as a WebSocket-to-WebSocket proxy. Each client sends a message,
//! waits for its echo, and repeats; we count messages per second and keep every round-trip
//! time for p50/p99. Paths alternate within a round so drift hits all alike. Then 1000 idle
//! connections are held open through `/tap/bench` and the wirebook process's RSS is read.
//!
//! The clients and the echo server are the load generator, and on two cores it must cost less
//! than the proxy under test, or msgs/s measures the generator: with tungstenite on both ends it
//! kept its CPU busy while wirebook's CPU idled a tenth of the time (docs/benchmarks.md, session
//! 17). So, after tungstenite's handshake, both ends speak the one frame shape the bench sends
//! on the bare socket ([`Generator::Frames`]): a client writes a prepared masked text frame and
//! reads exactly the unmasked frame the echo must send back, and compares the bytes; the echo
//! reads whole frames through a buffer, unmasks, and writes each back. A proxy that fragments,
//! pings or changes a message fails the comparison loudly rather than being timed.
//! `TAP_LOAD_GENERATOR=tungstenite` runs the clients and the echo on tungstenite instead (its
//! 16 KiB read buffer is zeroed before every read), for comparison with earlier figures. Nagle
//! is off on every socket.
//!
//! `cargo bench -p wirebook-server --bench tap_load` — knobs via the environment:
//! `TAP_LOAD_SECS` per run (3), `TAP_LOAD_ROUNDS` (3), `TAP_LOAD_IDLE` (1000),
//! `TAP_LOAD_SHAPES` (`1x20,100x20,10x16384`: connections x bytes), `TAP_LOAD_WIREBOOK` (another
//! `wirebook` binary to run instead of this build's), `TAP_LOAD_ARGS` (more arguments for it),
//! `TAP_LOAD_PIN=0` (do not give the proxies a CPU of their own, see [`pinning`]),
//! `TAP_LOAD_GENERATOR` (`frames`, the default, or `tungstenite`),
//! `WEBSOCAT` (the websocat binary; default `websocat` on PATH, else `~/.cargo/bin/websocat`;
//! `make bootstrap-bench` compiles websocat 1.14.1 from crates.io). Without websocat the (c) rows
//! are skipped and the run says so.

mod measure;

use measure::{echo_peer, knob, rss_kib};

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::config::READ_BUFFER;
use wirebook_shared::wire::mask::apply_mask;
use wirebook_shared::wire::{
    encode_frame, header_len, FrameHeader, FrameSpec, LengthForm, Opcode, MAX_HEADER_LEN,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Direct,
    Wirebook,
    Websocat,
}

impl Path {
    fn label(self) -> &'static str {
        match self {
            Path::Direct => "(a) direct",
            Path::Wirebook => "(b) wirebook /tap, capture on",
            Path::Websocat => "(c) websocat 1.x proxy",
        }
    }
}

/// One run's figures.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    msgs_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    /// The proxy process's CPU time (user + system) per message, when there is one.
    proxy_cpu_us: Option<f64>,
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once, briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 1 } else { knob("TAP_LOAD_ROUNDS", 3) };
    let duration = if quick {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(knob("TAP_LOAD_SECS", 3))
    };
    let idle = if quick {
        50
    } else {
        knob("TAP_LOAD_IDLE", 1000)
    } as usize;
    // Before any thread starts: the echo server's thread inherits the mask.
    let pin = if quick { None } else { pinning() }.filter(|pin| {
        let pid = std::process::id().to_string();
        let pinned = std::process::Command::new("taskset")
            .args(["-p", "-c", &pin.load, &pid])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if pinned {
            println!(
                "tap_load: the proxies run on CPU {}, the clients and the echo server on CPU {} (TAP_LOAD_PIN=0: no pinning)",
                pin.proxy, pin.load
            );
        } else {
            println!("tap_load: taskset could not pin this process; nothing is pinned");
        }
        pinned
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(
        quick,
        rounds,
        duration,
        idle,
        pin,
        Generator::from_env(),
    ));
}

/// How the load generator's clients and echo speak WebSocket once the handshake is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generator {
    /// The bench's one frame shape, prepared, on the bare socket (the default).
    Frames,
    /// tokio-tungstenite, as up to session 17.
    Tungstenite,
}

impl Generator {
    fn from_env() -> Generator {
        match std::env::var("TAP_LOAD_GENERATOR").as_deref() {
            Err(_) | Ok("frames") => Generator::Frames,
            Ok("tungstenite") => Generator::Tungstenite,
            Ok(other) => panic!("TAP_LOAD_GENERATOR is `frames` or `tungstenite`, not `{other}`"),
        }
    }
}

/// Which CPUs the proxies and the load generator get when they are kept apart.
#[derive(Debug, Clone)]
struct Pinning {
    /// The last CPU, for the proxy process under test.
    proxy: String,
    /// The others, for the clients and the echo server.
    load: String,
}

/// With two CPUs or more (and `taskset`), each proxy gets a CPU of its own, away from the load
/// generator. Sharing every CPU, the scheduler's placement of the proxy among 100 busy client
/// tasks moved the proxy's figures by ±30 % from run to run; kept apart, msgs/s measures the
/// proxy. `TAP_LOAD_PIN=0` turns it off.
fn pinning() -> Option<Pinning> {
    if std::env::var("TAP_LOAD_PIN").is_ok_and(|v| v == "0") {
        return None;
    }
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let taskset = std::process::Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (cpus >= 2 && taskset).then(|| Pinning {
        proxy: (cpus - 1).to_string(),
        load: if cpus == 2 {
            "0".to_string()
        } else {
            format!("0-{}", cpus - 2)
        },
    })
}

/// `binary` as a command, run on the proxy's CPU when pinning.
fn proxy_command(binary: &std::ffi::OsStr, pin: Option<&Pinning>) -> Command {
    match pin {
        Some(pin) => {
            // taskset execs the binary: the child's pid is the proxy's.
            let mut command = Command::new("taskset");
            command.args(["-c", &pin.proxy]).arg(binary);
            command
        }
        None => Command::new(binary),
    }
}

async fn bench(
    quick: bool,
    rounds: u64,
    duration: Duration,
    idle: usize,
    pin: Option<Pinning>,
    generator: Generator,
) {
    println!("tap_load: the load generator speaks {generator:?} (TAP_LOAD_GENERATOR)");
    let echo = start_echo(generator);
    let upstream = format!("ws://{echo}/");
    let (mut wirebook, wirebook_addr) = start_wirebook(&upstream, pin.as_ref()).await;
    let websocat = match find_websocat() {
        Some(binary) => Some(start_websocat(&binary, &upstream, pin.as_ref()).await),
        None => {
            println!("tap_load: websocat not found (set WEBSOCAT or `make bootstrap-bench`); (c) skipped");
            None
        }
    };
    let url = |path: Path| match path {
        Path::Direct => Some(upstream.clone()),
        Path::Wirebook => Some(format!("ws://{wirebook_addr}/tap/bench")),
        Path::Websocat => websocat.as_ref().map(|(_, addr)| format!("ws://{addr}/")),
    };
    let shapes: Vec<(usize, usize)> = if quick {
        vec![(10, 20)]
    } else {
        // One connection measures the proxy's own latency; 100 and 10 its throughput (their
        // latencies are mostly queueing: 100 clients in lockstep on a 2-core machine).
        let spec =
            std::env::var("TAP_LOAD_SHAPES").unwrap_or_else(|_| "1x20,100x20,10x16384".to_string());
        spec.split(',')
            .map(|shape| {
                let (conns, bytes) = shape
                    .trim()
                    .split_once('x')
                    .expect("TAP_LOAD_SHAPES: CONNSxBYTES,…");
                (conns.parse().unwrap(), bytes.parse().unwrap())
            })
            .collect()
    };
    let wirebook_pid = wirebook.id();
    let websocat_pid = websocat.as_ref().and_then(|(child, _)| child.id());
    for &(conns, bytes) in &shapes {
        println!(
            "tap_load: {conns} connections x {bytes}-byte text messages, {rounds} rounds of {duration:?} per path"
        );
        let mut results: Vec<(Path, Vec<Figures>)> = Vec::new();
        for round in 1..=rounds {
            for path in [Path::Direct, Path::Wirebook, Path::Websocat] {
                let Some(url) = url(path) else { continue };
                let proxy = match path {
                    Path::Direct => None,
                    Path::Wirebook => wirebook_pid,
                    Path::Websocat => websocat_pid,
                };
                let figures = load(&url, conns, bytes, duration, proxy, generator).await;
                println!(
                    "  round {round}: {:32} {:>8.0} msgs/s  p50 {:>7.1} µs  p99 {:>7.1} µs{}",
                    path.label(),
                    figures.msgs_per_sec,
                    figures.p50_us,
                    figures.p99_us,
                    cpu_words(figures.proxy_cpu_us)
                );
                match results.iter_mut().find(|(p, _)| *p == path) {
                    Some((_, runs)) => runs.push(figures),
                    None => results.push((path, vec![figures])),
                }
            }
        }
        let med = |path: Path, f: fn(&Figures) -> f64| {
            results
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, runs)| median(runs.iter().map(f).collect()))
        };
        for (path, runs) in &results {
            let cpu: Vec<f64> = runs.iter().filter_map(|f| f.proxy_cpu_us).collect();
            println!(
                "  median {:32} {:>8.0} msgs/s  p50 {:>7.1} µs  p99 {:>7.1} µs{}",
                path.label(),
                med(*path, |f| f.msgs_per_sec).unwrap_or_default(),
                med(*path, |f| f.p50_us).unwrap_or_default(),
                med(*path, |f| f.p99_us).unwrap_or_default(),
                cpu_words((!cpu.is_empty()).then(|| median(cpu)))
            );
        }
        if let (Some(b), Some(c)) = (
            med(Path::Wirebook, |f| f.msgs_per_sec),
            med(Path::Websocat, |f| f.msgs_per_sec),
        ) {
            println!("  (b)/(c) msgs/s = {:.2} (target >= 1)", b / c);
        }
        // Within a round the paths run seconds apart: the rounds' own ratios drift less.
        let runs = |path: Path| results.iter().find(|(p, _)| *p == path).map(|(_, r)| r);
        if let (Some(b), Some(c)) = (runs(Path::Wirebook), runs(Path::Websocat)) {
            let ratios = b
                .iter()
                .zip(c)
                .map(|(b, c)| b.msgs_per_sec / c.msgs_per_sec)
                .collect::<Vec<_>>();
            println!(
                "  median of the rounds' (b)/(c) msgs/s = {:.2}",
                median(ratios)
            );
        }
        if let (Some(a), Some(b)) = (
            med(Path::Direct, |f| f.p50_us),
            med(Path::Wirebook, |f| f.p50_us),
        ) {
            println!(
                "  (b) p50 added over (a) = {:.1} µs (target <= 100 µs)",
                b - a
            );
        }
    }
    idle_rss(&wirebook_addr, wirebook.id(), idle).await;
    let _ = wirebook.kill().await;
    if let Some((mut child, _)) = websocat {
        let _ = child.kill().await;
    }
}

fn cpu_words(cpu_us: Option<f64>) -> String {
    cpu_us.map_or_else(String::new, |us| format!("  proxy CPU {us:>5.2} µs/msg"))
}

/// A process's CPU time so far (user + system, all threads), in microseconds.
fn cpu_us(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // /proc counts in USER_HZ ticks: 100 per second on Linux (`getconf CLK_TCK`).
    Some(ticks as f64 * 1e6 / 100.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// The upstream: a plain echo on its own thread and runtime, shared by all paths.
fn start_echo(generator: Generator) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                match generator {
                    Generator::Frames => tokio::spawn(frame_echo_peer(tcp)),
                    Generator::Tungstenite => tokio::spawn(echo_peer(tcp)),
                };
            }
        });
    });
    addr
}

/// The built `wirebook` binary with a public route to `upstream`; its address.
async fn start_wirebook(upstream: &str, pin: Option<&Pinning>) -> (Child, String) {
    // `TAP_LOAD_WIREBOOK` runs another build (e.g. a copy of the previous commit's) for A/B.
    let binary = std::env::var_os("TAP_LOAD_WIREBOOK").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_wirebook")),
        PathBuf::from,
    );
    let mut command = proxy_command(binary.as_os_str(), pin);
    command
        .args(["--bind", "127.0.0.1:0", "--token", "benchbenchbenchbench"])
        .args(["--dist", "/nonexistent-wirebook-bench-ui"])
        .arg("--public-route")
        .arg(format!("bench={upstream}"))
        // The idle case holds TAP_LOAD_IDLE anonymous connections through the public route.
        .args(["--max-anonymous-connections", "100000"])
        .args(["--max-connections", "100000"])
        .args(
            std::env::var("TAP_LOAD_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        );
    measure::start_wirebook(command).await
}

fn find_websocat() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WEBSOCAT") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::process::Command::new("websocat")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return Some(PathBuf::from("websocat"));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    let cargo = home.join(".cargo/bin/websocat");
    cargo.is_file().then_some(cargo)
}

/// websocat as a WebSocket-to-WebSocket proxy in text mode; its address.
async fn start_websocat(
    binary: &std::path::Path,
    upstream: &str,
    pin: Option<&Pinning>,
) -> (Child, String) {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let child = proxy_command(binary.as_os_str(), pin)
        .args(["-t", "--exit-on-eof"])
        .arg(format!("ws-l:127.0.0.1:{port}"))
        .arg(upstream)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("websocat");
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if TcpStream::connect(&addr).await.is_ok() {
            return (child, addr);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("websocat did not listen on {addr}");
}

/// `conns` clients in lockstep send → echo for `duration` after a short warm-up.
async fn load(
    url: &str,
    conns: usize,
    bytes: usize,
    duration: Duration,
    proxy: Option<u32>,
    generator: Generator,
) -> Figures {
    let counting = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::<u32>::new()));
    let payload = "x".repeat(bytes);
    let mut clients = Vec::new();
    for _ in 0..conns {
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        let lap = Lap {
            counting: counting.clone(),
            done: done.clone(),
            samples: samples.clone(),
        };
        clients.push(match generator {
            Generator::Frames => {
                tokio::spawn(frame_client(ws, payload.clone(), url.to_string(), lap))
            }
            Generator::Tungstenite => tokio::spawn(tungstenite_client(ws, payload.clone(), lap)),
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    counting.store(true, Ordering::Relaxed);
    let start = Instant::now();
    let cpu_before = proxy.and_then(cpu_us);
    tokio::time::sleep(duration).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed();
    let cpu_after = proxy.and_then(cpu_us);
    done.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let mut samples = std::mem::take(&mut *samples.lock().unwrap());
    samples.sort_unstable();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default() as f64
    };
    let proxy_cpu_us = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) if !samples.is_empty() => {
            Some((after - before) / samples.len() as f64)
        }
        _ => None,
    };
    Figures {
        msgs_per_sec: samples.len() as f64 / elapsed.as_secs_f64(),
        p50_us: at(0.50),
        p99_us: at(0.99),
        proxy_cpu_us,
    }
}

/// What a client shares with the run: whether round trips count yet, whether to stop, and where
/// its round-trip times go when it stops.
struct Lap {
    counting: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<u32>>>,
}

impl Lap {
    fn going(&self) -> bool {
        !self.done.load(Ordering::Relaxed)
    }

    /// Keeps the time of a round trip begun at `sent`, if the run is counting.
    fn timed(&self, mine: &mut Vec<u32>, sent: Instant) {
        if self.counting.load(Ordering::Relaxed) {
            mine.push(sent.elapsed().as_micros() as u32);
        }
    }

    fn finish(self, mine: Vec<u32>) {
        self.samples.lock().unwrap().extend(mine);
    }
}

type ClientStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A tungstenite client: sends `payload` as a text message and reads its echo, in a loop.
async fn tungstenite_client(mut ws: ClientStream, payload: String, lap: Lap) {
    let mut mine = Vec::new();
    while lap.going() {
        let sent = Instant::now();
        ws.send(Message::text(payload.as_str())).await.unwrap();
        match ws.next().await {
            Some(Ok(Message::Text(_))) => {}
            other => panic!("expected the echo, got {other:?}"),
        }
        lap.timed(&mut mine, sent);
    }
    lap.finish(mine);
    let _ = ws.close(None).await;
    while let Some(Ok(_)) = ws.next().await {}
}

/// The mask of every frame a [`frame_client`] sends (RFC 6455's own example key): a proxy
/// unmasks whatever the key, and one key lets the frame be prepared once.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A client on the bare socket after tungstenite's handshake: writes the prepared frame, reads
/// exactly the frame the echo must answer with and checks it byte for byte, in a loop; then
/// closes and reads until the peer hangs up.
async fn frame_client(ws: ClientStream, payload: String, url: String, lap: Lap) {
    let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = ws.into_inner() else {
        panic!("{url}: the bench's URLs are ws://");
    };
    let text = FrameSpec::new(Opcode::Text);
    let sent = encode_frame(&text.masked(MASK), payload.as_bytes());
    let expected = encode_frame(&text, payload.as_bytes());
    let mut socket = BufReader::with_capacity(READ_BUFFER, tcp);
    let mut echo = vec![0u8; expected.len()];
    let mut mine = Vec::new();
    while lap.going() {
        let started = Instant::now();
        socket.get_mut().write_all(&sent).await.unwrap();
        if let Err(e) = socket.read_exact(&mut echo).await {
            panic!("{url}: reading the echo: {e}");
        }
        assert!(
            echo == expected,
            "{url}: the echo is not the frame sent back bare: it starts {:02x?}",
            &echo[..echo.len().min(16)]
        );
        lap.timed(&mut mine, started);
    }
    lap.finish(mine);
    let close = encode_frame(&FrameSpec::new(Opcode::Close).masked(MASK), &[]);
    let _ = socket.get_mut().write_all(&close).await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), socket.read_to_end(&mut rest)).await;
}

/// The echo on the bare socket after tungstenite's handshake: reads each frame whole through a
/// buffer, unmasks it and writes it back bare (a close answered and the loop ended, a ping
/// answered with a pong); nothing else is looked at, since only the bench's clients and the
/// proxies in front of them connect.
async fn frame_echo_peer(tcp: TcpStream) {
    let _ = tcp.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let mut socket = BufReader::with_capacity(READ_BUFFER, ws.into_inner());
    let mut payload = Vec::new();
    let mut reply = Vec::new();
    loop {
        let Ok(header) = read_client_frame(&mut socket, &mut payload).await else {
            return;
        };
        let opcode = header.opcode;
        // The same frame back, bare, in the shortest length form (a ping's as a pong).
        let back = FrameHeader {
            opcode: if opcode == Opcode::Ping {
                Opcode::Pong
            } else {
                opcode
            },
            mask_key: None,
            length_form: LengthForm::minimal_for(header.payload_len),
            ..header
        };
        reply.clear();
        back.write(&mut reply);
        reply.extend_from_slice(&payload);
        if opcode != Opcode::Pong && socket.get_mut().write_all(&reply).await.is_err() {
            return;
        }
        if opcode == Opcode::Close {
            return;
        }
    }
}

/// Reads one frame as a client sends it: returns its header and leaves its payload, unmasked,
/// in `payload`.
async fn read_client_frame(
    socket: &mut BufReader<TcpStream>,
    payload: &mut Vec<u8>,
) -> std::io::Result<FrameHeader> {
    let mut head = [0u8; MAX_HEADER_LEN];
    socket.read_exact(&mut head[..2]).await?;
    let len = header_len(head[1]);
    socket.read_exact(&mut head[2..len]).await?;
    let header = FrameHeader::read(&head);
    // The bench sends at most a few KiB: a larger length is a broken stream.
    if header.payload_len > 1 << 24 {
        return Err(std::io::Error::other(format!(
            "a frame of {} bytes",
            header.payload_len
        )));
    }
    payload.resize(header.payload_len as usize, 0);
    socket.read_exact(payload).await?;
    if let Some(key) = header.mask_key {
        apply_mask(payload, key, 0);
    }
    Ok(header)
}

/// Holds `count` idle connections through `/tap/bench` and reports wirebook's RSS.
async fn idle_rss(addr: &str, pid: Option<u32>, count: usize) {
    let Some(pid) = pid else { return };
    let before = rss_kib(pid);
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/tap/bench"))
            .await
            .expect("an idle tap connection");
        held.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    println!(
        "tap_load: {count} idle /tap connections: wirebook RSS {} KiB before, {} KiB with them ({:.1} KiB per relayed connection)",
        before,
        after,
        after.saturating_sub(before) as f64 / count as f64
    );
    drop(held);
}
