//! Many viewers: N browser sessions at once on `/session`, each running echo cells on its own
//! echo kernel while every one of them receives the whole capture (every session's records),
//! with the capture on and off (`--no-capture`) in the same run.
//!
//! Each session opens and waits for its kernel; once all N are open and the capture they
//! received has settled (each new session's backlog, the records made before it opened: a
//! new session's own, not the live capture's), every session runs `VIEWERS_LOAD_CELLS` cells
//! one after the other; a cell's round trip is the time from sending
//! `execute` to its `output`. A session reads its socket the whole time, capture batches
//! included (counted, not parsed, as a browser that keeps up would take them), until every
//! session is done. A session fails when it cannot open, its kernel does not open, a cell's
//! output does not come within `VIEWERS_LOAD_PATIENCE_SECS`, or the socket ends.
//!
//! Every N runs each binary in both modes, the order alternating from one N to the next, so a
//! drift hits all alike. `VIEWERS_LOAD_BASELINE=/path/to/wirebook` adds another build (e.g.
//! main's) to every round, side by side with this one.
//!
//! `cargo bench -p wirebook-server --bench viewers_load` — knobs via the environment:
//! `VIEWERS_LOAD_SESSIONS` (`1,10,100,1000`), `VIEWERS_LOAD_CELLS` (5),
//! `VIEWERS_LOAD_PATIENCE_SECS` (10), `VIEWERS_LOAD_MODES` (`off,on`), `VIEWERS_LOAD_BASELINE`.
//! Each session takes a file descriptor here and about three in wirebook (its socket, its
//! kernel link and `/echo`'s end of it): 1000 sessions need `ulimit -n` above 3000 for the
//! server; the bench raises its own soft limit to the hard one and starts wirebook with it.

mod measure;

use measure::{knob, rss_kib, start_wirebook};

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::sync::{watch, Barrier, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wirebook_shared::{ClientMsg, KernelState, ServerMsg};

const TOKEN: &str = "viewersviewersviewers";

/// Bytes a client reads at a time.
const READ_BUFFER: usize = 64 * 1024;

/// Sessions opening at once: more would only measure the listen backlog.
const OPENING_AT_ONCE: usize = 64;

type Socket = WebSocketStream<TcpStream>;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once, briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let sessions: Vec<usize> = if quick {
        vec![1, 4]
    } else {
        std::env::var("VIEWERS_LOAD_SESSIONS")
            .unwrap_or_else(|_| "1,10,100,1000".into())
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect()
    };
    let cells = if quick {
        2
    } else {
        knob("VIEWERS_LOAD_CELLS", 5) as usize
    };
    let patience = Duration::from_secs(knob("VIEWERS_LOAD_PATIENCE_SECS", 10));
    let modes: Vec<bool> = std::env::var("VIEWERS_LOAD_MODES")
        .unwrap_or_else(|_| "off,on".into())
        .split(',')
        .filter_map(|m| match m.trim() {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        })
        .collect();
    let mut binaries = vec![(
        "this build".to_string(),
        PathBuf::from(env!("CARGO_BIN_EXE_wirebook")),
    )];
    if let Some(baseline) = std::env::var_os("VIEWERS_LOAD_BASELINE") {
        binaries.push(("baseline".to_string(), PathBuf::from(baseline)));
    }
    let fds = raise_fd_limit();
    println!("viewers_load: {cells} echo cells per session, patience {patience:?}, fd limit {fds}");
    for (name, path) in &binaries {
        println!("  {name}: {}", path.display());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for (round, &n) in sessions.iter().enumerate() {
        let mut runs: Vec<(&str, &PathBuf, bool)> = Vec::new();
        for (name, path) in &binaries {
            for &capture in &modes {
                runs.push((name, path, capture));
            }
        }
        if round % 2 == 1 {
            runs.reverse();
        }
        for (name, path, capture) in runs {
            let figures = runtime.block_on(run(path, n, cells, capture, patience));
            println!(
                "  {n:>5} sessions, capture {:3}, {name:>10}: round trip p50 {:>9.2} ms, p99 {:>9.2} ms; \
                 {} of {n} sessions failed; open in {:.1} s, backlogs {:.1} MB in {:.1} s; \
                 from the cells on: capture {:.1} MB received, {} records skipped; wirebook RSS {} MiB",
                if capture { "on" } else { "off" },
                figures.p50_ms,
                figures.p99_ms,
                figures.failed,
                figures.open_secs,
                figures.backlog_bytes as f64 / 1e6,
                figures.settle_secs,
                (figures.capture_bytes - figures.backlog_bytes) as f64 / 1e6,
                figures.skipped,
                figures.rss_kib / 1024,
            );
        }
    }
}

/// Raises this process's soft limit on open files to its hard limit (the wirebook it starts
/// inherits it); returns the limit now in force.
fn raise_fd_limit() -> u64 {
    let output = std::process::Command::new("sh")
        .args(["-c", "ulimit -Hn"])
        .output()
        .ok();
    let hard = output
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<u64>().ok());
    // `prlimit` (util-linux) changes a running process's limit without unsafe code here.
    if let Some(hard) = hard {
        let _ = std::process::Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg(format!("--nofile={hard}:{hard}"))
            .status();
    }
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One run's figures.
struct Figures {
    p50_ms: f64,
    p99_ms: f64,
    failed: usize,
    open_secs: f64,
    /// Capture received until every session had its backlog.
    backlog_bytes: u64,
    settle_secs: f64,
    capture_bytes: u64,
    /// Records skipped from the cells on.
    skipped: u64,
    rss_kib: u64,
}

/// What a session's task reports.
struct Outcome {
    round_trips: Vec<Duration>,
    failure: Option<String>,
}

async fn run(
    binary: &PathBuf,
    sessions: usize,
    cells: usize,
    capture: bool,
    patience: Duration,
) -> Figures {
    let mut command = Command::new(binary);
    command
        .args(["--bind", "127.0.0.1:0", "--token", TOKEN])
        .args(["--dist", "/nonexistent-wirebook-bench-ui"]);
    if !capture {
        command.arg("--no-capture");
    }
    let (child, addr) = start_wirebook(command).await;
    let pid = child.id().unwrap_or_default();
    let started = Instant::now();
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    // Everyone waits here once open (or failed), then runs its cells at the same time.
    let all_open = Arc::new(Barrier::new(sessions + 1));
    // Set once the backlogs are in: every session starts its cells at once.
    let (start_tx, start) = watch::channel(false);
    let (done_tx, done) = watch::channel(false);
    let finished = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(Tally::default());
    let mut tasks = Vec::new();
    for index in 0..sessions {
        let addr = addr.clone();
        let (opening, all_open, mut start, mut done, finished, tally) = (
            opening.clone(),
            all_open.clone(),
            start.clone(),
            done.clone(),
            finished.clone(),
            tally.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut session = {
                let _place = opening.acquire().await;
                Session::open(&addr, patience, tally).await
            };
            all_open.wait().await;
            match &mut session {
                Ok(session) => session.drain_until(&mut start).await,
                Err(_) => {
                    let _ = start.wait_for(|set| *set).await;
                }
            }
            let mut outcome = Outcome {
                round_trips: Vec::new(),
                failure: None,
            };
            match &mut session {
                Err(failure) => outcome.failure = Some(failure.clone()),
                Ok(session) => {
                    for cell in 0..cells {
                        let id = format!("s{index}c{cell}");
                        match session.echo(&id).await {
                            Ok(took) => outcome.round_trips.push(took),
                            Err(failure) => {
                                outcome.failure = Some(failure);
                                break;
                            }
                        }
                    }
                }
            }
            finished.fetch_add(1, Ordering::Relaxed);
            // Keep reading (as a browser does) until every session is done, so that none
            // becomes a viewer that stopped reading.
            if let (Ok(session), None) = (&mut session, &outcome.failure) {
                session.drain_until(&mut done).await;
            }
            outcome
        }));
    }
    all_open.wait().await;
    let open_secs = started.elapsed().as_secs_f64();
    // A new session's backlog (what was recorded before it opened: sessions × sessions
    // records here) is its own; the cells start once it has come, so that the round trips
    // measure the live capture.
    let settle_secs = settle(&tally).await;
    let backlog_bytes = tally.bytes.load(Ordering::Relaxed);
    let skipped_before = tally.skipped.load(Ordering::Relaxed);
    let _ = start_tx.send(true);
    let mut rss = 0;
    while finished.load(Ordering::Relaxed) < sessions as u64 {
        rss = rss.max(rss_kib(pid));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rss = rss.max(rss_kib(pid));
    // The capture of the last cells may still be on its way (a viewer's share is paced).
    settle(&tally).await;
    let _ = done_tx.send(true);
    let mut round_trips = Vec::new();
    let mut failed = 0;
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for task in tasks {
        let outcome = task.await.expect("a session task");
        round_trips.extend(outcome.round_trips);
        if let Some(reason) = outcome.failure {
            failed += 1;
            *reasons.entry(reason).or_default() += 1;
        }
    }
    for (reason, count) in reasons {
        println!("    {count} sessions: {reason}");
    }
    drop(child);
    round_trips.sort();
    let at = |q: f64| {
        round_trips
            .get(((round_trips.len() as f64 * q) as usize).min(round_trips.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    Figures {
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        failed,
        open_secs,
        backlog_bytes,
        settle_secs,
        capture_bytes: tally.bytes.load(Ordering::Relaxed),
        skipped: tally.skipped.load(Ordering::Relaxed) - skipped_before,
        rss_kib: rss,
    }
}

/// Waits until no capture has come for 200 ms (at most 2 minutes); how long that took.
async fn settle(tally: &Tally) -> f64 {
    let settling = Instant::now();
    let mut before = tally.bytes.load(Ordering::Relaxed);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = tally.bytes.load(Ordering::Relaxed);
        if now == before || settling.elapsed() > Duration::from_secs(120) {
            return settling.elapsed().as_secs_f64();
        }
        before = now;
    }
}

/// One browser session as the bench drives it.
struct Session {
    socket: Socket,
    patience: Duration,
    tally: Arc<Tally>,
}

/// What the sessions of a run received of the capture.
#[derive(Default)]
struct Tally {
    bytes: AtomicU64,
    /// Records the server said a session skipped (it fell behind).
    skipped: AtomicU64,
}

impl Tally {
    /// Counts a capture batch without parsing it (a session that keeps up reads every byte,
    /// as a browser does); returns whether `text` was one. `skipped` is the last field and
    /// only in the small batches that say what was left out.
    fn count(&self, text: &str) -> bool {
        if !text.starts_with(r#"{"type":"capture""#) {
            return false;
        }
        self.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        if let Some(at) = text.rfind(r#""skipped":"#) {
            let digits = &text[at + 10..];
            let end = digits.find('}').unwrap_or(digits.len());
            let skipped: u64 = digits[..end].parse().unwrap_or(0);
            self.skipped.fetch_add(skipped, Ordering::Relaxed);
        }
        true
    }
}

impl Session {
    /// Connects and waits until the session's kernel is open.
    async fn open(addr: &str, patience: Duration, tally: Arc<Tally>) -> Result<Session, String> {
        let url = format!("ws://{addr}/session?token={TOKEN}");
        let tcp = tokio::time::timeout(patience, TcpStream::connect(addr))
            .await
            .map_err(|_| "connect timed out".to_string())?
            .map_err(|e| format!("connect: {}", e.kind()))?;
        let _ = tcp.set_nodelay(true);
        // tungstenite zeroes its read buffer before every read; its default 128 KiB buffer
        // would make that most of the clients' work.
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let (socket, _) = tokio::time::timeout(
            patience,
            tokio_tungstenite::client_async_with_config(url, tcp, Some(config)),
        )
        .await
        .map_err(|_| "handshake timed out".to_string())?
        .map_err(|e| format!("handshake: {e}"))?;
        let mut session = Session {
            socket,
            patience,
            tally,
        };
        loop {
            match session.next().await? {
                ServerMsg::Kernel {
                    state: KernelState::Open { .. },
                } => return Ok(session),
                ServerMsg::Kernel {
                    state: KernelState::Failed { .. },
                } => return Err("the kernel failed to open".into()),
                _ => {}
            }
        }
    }

    /// The next message that is not a capture batch.
    async fn next(&mut self) -> Result<ServerMsg, String> {
        loop {
            let next = tokio::time::timeout(self.patience, self.socket.next())
                .await
                .map_err(|_| format!("nothing came for {:?}", self.patience))?;
            let text = match next {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(frame))) => {
                    return Err(format!(
                        "closed by wirebook ({})",
                        frame.map_or("no close frame".into(), |f| f.reason.to_string())
                    ))
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(format!("socket failed: {e}")),
                None => return Err("the socket ended".into()),
            };
            if self.tally.count(&text) {
                continue;
            }
            return serde_json::from_str(&text).map_err(|e| format!("not a ServerMsg: {e}"));
        }
    }

    /// Runs one echo cell; its round trip.
    async fn echo(&mut self, cell_id: &str) -> Result<Duration, String> {
        let execute = ClientMsg::Execute {
            cell_id: cell_id.into(),
            code: "hai".into(),
            format: Default::default(),
        };
        let text = serde_json::to_string(&execute).expect("a ClientMsg");
        let sent = Instant::now();
        self.socket
            .send(Message::text(text))
            .await
            .map_err(|e| format!("send failed: {e}"))?;
        loop {
            match self.next().await? {
                ServerMsg::Output { cell_id: id, .. } if id == cell_id => return Ok(sent.elapsed()),
                ServerMsg::Error { message, .. } => return Err(format!("error: {message}")),
                _ => {}
            }
        }
    }

    /// Reads and drops whatever comes until `signal` is set.
    async fn drain_until(&mut self, signal: &mut watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = signal.wait_for(|set| *set) => return,
                next = self.socket.next() => match next {
                    Some(Ok(Message::Text(text))) => {
                        self.tally.count(&text);
                    }
                    Some(Ok(_)) => {}
                    None | Some(Err(_)) => return,
                },
            }
        }
    }
}
