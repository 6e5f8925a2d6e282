//! Load on `/echo` with the capture on and off, in the same run: N connections each send a
//! small text message and wait for its echo, over and over. Each round runs both modes (every
//! other round `on` first) so drift (thermal, other processes) hits both alike; the summary
//! gives the medians of each mode and the median of the rounds' own on/off ratios.
//!
//! Two figures per run: echoed messages per second, and the server thread's CPU time per
//! echoed message (from `/proc/thread-self/stat`). On a shared machine the first also measures
//! the neighbours; the second is what the capture itself costs.
//!
//! `cargo bench -p wirebook-server --bench echo_load` — knobs via the environment:
//! `ECHO_LOAD_CONNS` (100), `ECHO_LOAD_BYTES` (20), `ECHO_LOAD_SECS` per run (3),
//! `ECHO_LOAD_ROUNDS` (3), `ECHO_LOAD_CAPTURE_LIMIT` (100000, the default `--capture-limit`),
//! `ECHO_LOAD_ONLY` (`on` or `off`: one mode, e.g. under `perf`).
//! Server and clients get one runtime thread each.

mod measure;

use measure::knob;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::config::Config;

/// One run's figures.
#[derive(Debug, Clone, Copy)]
struct Figures {
    msgs_per_sec: f64,
    server_cpu_us_per_msg: f64,
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once, briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let conns = knob("ECHO_LOAD_CONNS", 100) as usize;
    let bytes = knob("ECHO_LOAD_BYTES", 20) as usize;
    let rounds = if quick {
        1
    } else {
        knob("ECHO_LOAD_ROUNDS", 3)
    };
    let duration = if quick {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(knob("ECHO_LOAD_SECS", 3))
    };
    println!(
        "echo_load: {conns} connections x {bytes}-byte text messages, {rounds} rounds of {duration:?} per mode"
    );
    // `ECHO_LOAD_ONLY=on|off` runs one mode (e.g. under a profiler).
    let modes: Vec<bool> = match std::env::var("ECHO_LOAD_ONLY").as_deref() {
        Ok("on") => vec![true],
        Ok("off") => vec![false],
        _ => vec![false, true],
    };
    let mut off = Vec::new();
    let mut on = Vec::new();
    for round in 1..=rounds {
        // Every other round runs `on` first, so a steady drift favours neither mode.
        let mut order = modes.clone();
        if round % 2 == 0 {
            order.reverse();
        }
        for capture in order {
            let figures = run(capture, conns, bytes, duration);
            println!(
                "  round {round}: capture {:3}: {:>8.0} msgs/s, server CPU {:5.2} µs/msg",
                if capture { "on" } else { "off" },
                figures.msgs_per_sec,
                figures.server_cpu_us_per_msg
            );
            if capture {
                on.push(figures);
            } else {
                off.push(figures);
            }
        }
    }
    if off.is_empty() || on.is_empty() {
        return;
    }
    let rate = |runs: &[Figures]| median(runs.iter().map(|f| f.msgs_per_sec).collect());
    let cpu = |runs: &[Figures]| median(runs.iter().map(|f| f.server_cpu_us_per_msg).collect());
    println!(
        "median msgs/s: off {:.0}, on {:.0}, on/off = {:.3}",
        rate(&off),
        rate(&on),
        rate(&on) / rate(&off)
    );
    println!(
        "median server CPU per message: off {:.2} µs, on {:.2} µs, throughput bound on/off = {:.3}",
        cpu(&off),
        cpu(&on),
        cpu(&off) / cpu(&on)
    );
    // The two runs of a round are seconds apart, the rounds of a run minutes: on a machine
    // whose speed drifts, the ratio within each round is the steadier figure.
    let paired = |f: fn(&Figures) -> f64| {
        median(
            off.iter()
                .zip(&on)
                .map(|(off, on)| f(on) / f(off))
                .collect(),
        )
    };
    println!(
        "median of the rounds' on/off: msgs/s {:.3}, server CPU per message (off/on) {:.3}",
        paired(|f| f.msgs_per_sec),
        1.0 / paired(|f| f.server_cpu_us_per_msg)
    );
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// CPU time (user + system) of the calling thread, in microseconds (clock ticks of 10 ms).
fn thread_cpu_us() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // After the command name (which may contain spaces): state is field 0, utime 11, stime 12.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks * 10_000.0
}

/// One measurement: a fresh server, `conns` clients, echoes counted for `duration` after a
/// short warm-up.
fn run(capture: bool, conns: usize, bytes: usize, duration: Duration) -> Figures {
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
    config.capture.enabled = capture;
    config.capture.limit = knob("ECHO_LOAD_CAPTURE_LIMIT", 100_000) as usize;
    config.dist = std::env::temp_dir().join("wirebook-bench-no-ui");
    config.shutdown_grace = Duration::from_secs(1);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = server_rt.spawn(wirebook_server::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    // Tasks spawned on the server runtime run on its one worker thread.
    let server_handle = server_rt.handle().clone();
    let server_cpu = move || {
        let handle = server_handle.clone();
        async move { handle.spawn(async { thread_cpu_us() }).await.unwrap() }
    };

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let figures = client_rt.block_on(async move {
        let counting = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let payload = "x".repeat(bytes);
        let mut clients = Vec::new();
        for _ in 0..conns {
            let tcp = TcpStream::connect(addr).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            // The clients read as the server does (see `wirebook_server::config::READ_BUFFER`), so
            // that tungstenite's buffer zeroing does not dominate the clients' thread.
            let config =
                WebSocketConfig::default().read_buffer_size(wirebook_server::config::READ_BUFFER);
            let (mut ws, _) = tokio_tungstenite::client_async_with_config(
                format!("ws://{addr}/echo"),
                tcp,
                Some(config),
            )
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
        let cpu_start = server_cpu().await;
        let start = Instant::now();
        tokio::time::sleep(duration).await;
        let counted = count.load(Ordering::Relaxed);
        let elapsed = start.elapsed();
        let cpu = server_cpu().await - cpu_start;
        done.store(true, Ordering::Relaxed);
        for client in clients {
            client.await.unwrap();
        }
        Figures {
            msgs_per_sec: counted as f64 / elapsed.as_secs_f64(),
            server_cpu_us_per_msg: cpu / counted.max(1) as f64,
        }
    });
    let _ = stop.send(());
    server_rt.block_on(server).unwrap().unwrap();
    figures
}
