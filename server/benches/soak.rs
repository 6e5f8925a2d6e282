//! Soak: the `wirebook` binary under mixed hostile and busy traffic for a long time, its RSS
//! sampled every 10 s, to show that memory stays within the capture budget plus a fixed
//! overhead and that `/healthz` answers throughout.
//!
//! Traffic, all at once, for `SOAK_SECS` (600): an echo flood (`SOAK_ECHO` connections to
//! `/echo`, each sending 512-byte messages and waiting for the echo); `/echo` handshakes with a
//! 60 KB query, one after the other; `SOAK_SLOW` (200) request heads sent a byte a second (and
//! opened again when the server closes them); `SOAK_TAP` connections through a public route to
//! an echo server in this process; a `/session` that never reads. Every 10 s: RSS
//! (`/proc/PID/status`), the capture's own count (`/api/capture/stats`), and one `/healthz`
//! with its time.
//!
//! `cargo bench -p wirebook-server --bench soak` — knobs: `SOAK_SECS` (600), `SOAK_BUDGET_MIB`
//! (64, passed as `--capture-memory`), `SOAK_ECHO` (20), `SOAK_SLOW` (200), `SOAK_TAP` (5).
//! `cargo test --benches` runs it for 5 s.

mod measure;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use measure::{echo_peer, knob, rss_kib, start_wirebook};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "soaksoaksoaksoak";

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let secs = if quick { 5 } else { knob("SOAK_SECS", 600) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(soak(Duration::from_secs(secs), quick));
}

/// An echo server on loopback for the tap route; its port.
async fn upstream_echo() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(echo_peer(tcp));
        }
    });
    port
}

/// Counts of what the traffic did.
#[derive(Default)]
struct Tally {
    echoes: AtomicU64,
    big_heads: AtomicU64,
    slow_reopened: AtomicU64,
    relayed: AtomicU64,
}

async fn soak(duration: Duration, quick: bool) {
    let budget_mib = knob("SOAK_BUDGET_MIB", 64);
    let upstream = upstream_echo().await;
    let mut command = Command::new(env!("CARGO_BIN_EXE_wirebook"));
    command
        .args(["--bind", "127.0.0.1:0", "--token", TOKEN])
        .args(["--dist", "/nonexistent-wirebook-bench-ui"])
        .args(["--capture-memory", &budget_mib.to_string()])
        .arg("--public-route")
        .arg(format!("up=ws://127.0.0.1:{upstream}/"));
    let (mut child, addr) = start_wirebook(command).await;
    let pid = child.id().unwrap();
    let start_rss = rss_kib(pid);
    println!(
        "soak: {duration:?}, --capture-memory {budget_mib} MiB, wirebook at {addr}, RSS at start {} MiB",
        start_rss / 1024
    );

    let running = Arc::new(AtomicBool::new(true));
    let tally = Arc::new(Tally::default());
    let mut tasks = Vec::new();
    for _ in 0..knob("SOAK_ECHO", 20) {
        tasks.push(tokio::spawn(echo_flood(
            format!("ws://{addr}/echo"),
            Arc::clone(&running),
            Arc::clone(&tally),
            false,
        )));
    }
    for _ in 0..knob("SOAK_TAP", 5) {
        tasks.push(tokio::spawn(echo_flood(
            format!("ws://{addr}/tap/up"),
            Arc::clone(&running),
            Arc::clone(&tally),
            true,
        )));
    }
    tasks.push(tokio::spawn(big_heads(
        addr.clone(),
        Arc::clone(&running),
        Arc::clone(&tally),
    )));
    for _ in 0..knob("SOAK_SLOW", 200) {
        tasks.push(tokio::spawn(slow_head(
            addr.clone(),
            Arc::clone(&running),
            Arc::clone(&tally),
        )));
    }
    // A session that never reads: the server's writer must wait, not queue.
    let mut deaf = TcpStream::connect(&addr).await.unwrap();
    deaf.write_all(
        format!(
            "GET /session?token={TOKEN} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();

    println!(
        "{:>6} {:>9} {:>13} {:>9} {:>11} {:>9} {:>9} {:>9}",
        "t (s)",
        "RSS MiB",
        "capture MiB",
        "records",
        "healthz ms",
        "echoes",
        "big heads",
        "relayed"
    );
    let started = Instant::now();
    let sample_every = if quick {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(10)
    };
    let mut max_rss = start_rss;
    let mut worst_healthz = Duration::ZERO;
    let mut unanswered = 0;
    while started.elapsed() < duration {
        tokio::time::sleep(sample_every).await;
        let rss = rss_kib(pid);
        max_rss = max_rss.max(rss);
        let asked = Instant::now();
        let healthz = http_get(&addr, "/healthz").await;
        let took = asked.elapsed();
        if healthz
            .as_deref()
            .is_some_and(|r| r.starts_with("HTTP/1.1 200"))
        {
            worst_healthz = worst_healthz.max(took);
        } else {
            unanswered += 1;
        }
        let stats = http_get(&addr, &format!("/api/capture/stats?token={TOKEN}"))
            .await
            .and_then(|r| {
                let body = r.split_once("\r\n\r\n")?.1.to_string();
                serde_json::from_str::<serde_json::Value>(&body).ok()
            })
            .unwrap_or_default();
        println!(
            "{:>6} {:>9.1} {:>13.1} {:>9} {:>11.1} {:>9} {:>9} {:>9}",
            started.elapsed().as_secs(),
            rss as f64 / 1024.0,
            stats["memory_bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
            stats["records"].as_u64().unwrap_or(0),
            took.as_secs_f64() * 1000.0,
            tally.echoes.load(Ordering::Relaxed),
            tally.big_heads.load(Ordering::Relaxed),
            tally.relayed.load(Ordering::Relaxed),
        );
    }
    running.store(false, Ordering::Relaxed);
    for task in tasks {
        task.abort();
    }
    drop(deaf);
    println!(
        "soak: max RSS {:.1} MiB = start {:.1} + budget {budget_mib} + {:.1} MiB; /healthz unanswered {unanswered} times, slowest {:.1} ms; slow heads reopened after the server closed them: {}",
        max_rss as f64 / 1024.0,
        start_rss as f64 / 1024.0,
        (max_rss as f64 - start_rss as f64) / 1024.0 - budget_mib as f64,
        worst_healthz.as_secs_f64() * 1000.0,
        tally.slow_reopened.load(Ordering::Relaxed),
    );
    let _ = child.kill().await;
}

/// A plain HTTP GET on a fresh connection, with the token; the whole response.
async fn http_get(addr: &str, path: &str) -> Option<String> {
    let exchange = async {
        let mut tcp = TcpStream::connect(addr).await.ok()?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: token {TOKEN}\r\nConnection: close\r\n\r\n"
        );
        tcp.write_all(request.as_bytes()).await.ok()?;
        let mut response = Vec::new();
        tcp.read_to_end(&mut response).await.ok()?;
        Some(String::from_utf8_lossy(&response).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .ok()
        .flatten()
}

/// Sends 512-byte messages and waits for each echo, reconnecting when the connection ends.
async fn echo_flood(url: String, running: Arc<AtomicBool>, tally: Arc<Tally>, relayed: bool) {
    let payload = "x".repeat(512);
    while running.load(Ordering::Relaxed) {
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url.as_str()).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        while running.load(Ordering::Relaxed) {
            if ws.send(Message::text(payload.clone())).await.is_err() {
                break;
            }
            match ws.next().await {
                Some(Ok(_)) => {
                    let counter = if relayed {
                        &tally.relayed
                    } else {
                        &tally.echoes
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                _ => break,
            }
        }
    }
}

/// `/echo` handshakes with a 60 KB query, one after the other.
async fn big_heads(addr: String, running: Arc<AtomicBool>, tally: Arc<Tally>) {
    let query = "q".repeat(60_000);
    while running.load(Ordering::Relaxed) {
        let Ok(mut tcp) = TcpStream::connect(&addr).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let head = format!(
            "GET /echo?q={query} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let mut answer = [0u8; 12];
        if tcp.write_all(head.as_bytes()).await.is_ok() && tcp.read_exact(&mut answer).await.is_ok()
        {
            tally.big_heads.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A request head sent a byte a second, opened again whenever the server closes it.
async fn slow_head(addr: String, running: Arc<AtomicBool>, tally: Arc<Tally>) {
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ");
    let mut first = true;
    while running.load(Ordering::Relaxed) {
        let Ok(mut tcp) = TcpStream::connect(&addr).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        if !first {
            tally.slow_reopened.fetch_add(1, Ordering::Relaxed);
        }
        first = false;
        for byte in head.bytes().chain(std::iter::repeat(b'a')) {
            if !running.load(Ordering::Relaxed) || tcp.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
