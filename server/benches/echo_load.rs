//! Load on `/echo` with the capture on and off, in the same run: N connections each send a
//! small text message and wait for its echo, over and over; the figure is echoed messages per
//! second. Rounds alternate off/on so drift (thermal, other processes) hits both alike.
//!
//! `cargo bench -p wirebook-server --bench echo_load` — knobs via the environment:
//! `ECHO_LOAD_CONNS` (100), `ECHO_LOAD_BYTES` (20), `ECHO_LOAD_SECS` per run (3),
//! `ECHO_LOAD_ROUNDS` (3). Server and clients get one runtime thread each.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::Config;

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once, briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let conns = knob("ECHO_LOAD_CONNS", 100) as usize;
    let bytes = knob("ECHO_LOAD_BYTES", 20) as usize;
    let secs = if quick { 0 } else { knob("ECHO_LOAD_SECS", 3) };
    let rounds = if quick {
        1
    } else {
        knob("ECHO_LOAD_ROUNDS", 3)
    };
    let duration = Duration::from_millis(if quick { 200 } else { secs * 1000 });
    println!("echo_load: {conns} connections x {bytes}-byte text messages, {rounds} rounds of {duration:?} per mode");
    let mut off = Vec::new();
    let mut on = Vec::new();
    for round in 1..=rounds {
        for capture in [false, true] {
            let rate = run(capture, conns, bytes, duration);
            println!(
                "  round {round}: capture {:3}: {rate:>10.0} msgs/s",
                if capture { "on" } else { "off" }
            );
            if capture {
                on.push(rate)
            } else {
                off.push(rate)
            }
        }
    }
    let (off, on) = (median(&mut off), median(&mut on));
    println!(
        "median: capture off {off:.0} msgs/s, capture on {on:.0} msgs/s, on/off = {:.3}",
        on / off
    );
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// One measurement: a fresh server, `conns` clients, echoes counted for `duration` after a
/// short warm-up.
fn run(capture: bool, conns: usize, bytes: usize, duration: Duration) -> f64 {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = server_rt
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::new("bench");
    config.capture = capture;
    config.dist = std::env::temp_dir().join("wirebook-bench-no-ui");
    config.shutdown_grace = Duration::from_secs(1);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = server_rt.spawn(wirebook_server::serve(listener, config, async move {
        let _ = stopped.await;
    }));

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rate = client_rt.block_on(async move {
        let counting = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let payload = "x".repeat(bytes);
        let mut clients = Vec::new();
        for _ in 0..conns {
            let tcp = TcpStream::connect(addr).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/echo"), tcp)
                .await
                .unwrap();
            let (counting, done, count, payload) = (
                counting.clone(),
                done.clone(),
                count.clone(),
                payload.clone(),
            );
            clients.push(tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    ws.send(Message::text(payload.as_str())).await.unwrap();
                    match ws.next().await {
                        Some(Ok(Message::Text(_))) => {}
                        other => panic!("expected the echo, got {other:?}"),
                    }
                    if counting.load(Ordering::Relaxed) {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let _ = ws.close(None).await;
                while let Some(Ok(_)) = ws.next().await {}
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        counting.store(true, Ordering::Relaxed);
        let start = Instant::now();
        tokio::time::sleep(duration).await;
        let counted = count.load(Ordering::Relaxed);
        let elapsed = start.elapsed();
        done.store(true, Ordering::Relaxed);
        for client in clients {
            client.await.unwrap();
        }
        counted as f64 / elapsed.as_secs_f64()
    });
    let _ = stop.send(());
    server_rt.block_on(server).unwrap().unwrap();
    rate
}
