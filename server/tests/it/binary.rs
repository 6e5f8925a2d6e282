//! The built `wirebook` binary: prints its URL, answers, and stops on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::TempDir;

/// Starts the binary and returns it with the first line it printed.
fn start(token: Option<&str>) -> (Child, String) {
    let dist = TempDir::new("bin");
    let mut command = Command::new(env!("CARGO_BIN_EXE_wirebook"));
    command
        .args(["--bind", "127.0.0.1:0", "--dist"])
        .arg(&dist.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match token {
        Some(token) => command.env("WIREBOOK_TOKEN", token),
        None => command.env_remove("WIREBOOK_TOKEN"),
    };
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(line) => (child, line.trim_end().to_string()),
        Err(_) => {
            let _ = child.kill();
            panic!("the binary printed no URL line");
        }
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("wirebook did not exit within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn prints_its_url_serves_and_exits_on_sigterm() {
    let (mut child, line) = start(Some("bin-token"));
    let rest = line
        .strip_prefix("wirebook is running at http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    let (port, tail) = rest.split_once('/').expect("a port");
    assert_eq!(tail, "?token=bin-token");
    let port: u16 = port.parse().expect("a numeric port");
    assert_ne!(port, 0, "the printed port is the bound one");

    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok"), "{response}");

    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status}");
}

#[test]
fn makes_up_a_random_token() {
    let (mut child, line) = start(None);
    let token = line.rsplit_once("?token=").expect("a token").1;
    assert_eq!(token.len(), 32, "{line}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
    terminate(&mut child);
}

/// CPU seconds a process has used (user and system), from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // USER_HZ is 100 on Linux.
    ticks / 100.0
}

/// Starts the binary through bash, running `setup` first (e.g. `ulimit -n 48`), with `args`
/// and the default log filter; returns it, its port, and its log lines as they come.
fn start_logging(setup: &str, args: &[&str]) -> (Child, u16, mpsc::Receiver<String>) {
    let dist = TempDir::new("bin-log");
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{setup} && exec \"$0\" --bind 127.0.0.1:0 --dist \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_wirebook"))
        .arg(&dist.0)
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash starts the binary");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("wirebook is running at http://127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no URL line: {line:?}"));
    let (log_tx, log) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = log_tx.send(line);
        }
    });
    (child, port, log)
}

/// The first log line containing `words` within 10 s.
fn logged(log: &mpsc::Receiver<String>, words: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains(words) => return line,
            Ok(_) => {}
            Err(_) => panic!("nothing was logged with {words:?}"),
        }
    }
}

/// `GET /healthz` with extra header lines (each ending in CRLF); the response.
fn healthz(port: u16, headers: &str) -> Option<String> {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n");
    tcp.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    tcp.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn refusals_are_logged_with_the_default_filter() {
    let (mut child, port, log) = start_logging(
        "true",
        &["--token", "log-token", "--max-anonymous-connections", "1"],
    );
    // One unfinished head takes the only anonymous place.
    let mut held = TcpStream::connect(("127.0.0.1", port)).unwrap();
    held.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let refused = healthz(port, "").unwrap_or_default();
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    let said = logged(&log, "refused requests without the token");
    assert!(said.contains("WARN"), "{said}");
    // A request with the token is served, and a foreign Host is refused and said too.
    let served = healthz(port, "Authorization: token log-token\r\n").unwrap_or_default();
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.write_all(
        b"GET /healthz HTTP/1.1\r\nHost: evil.example\r\nAuthorization: token log-token\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    logged(&log, "DNS rebinding");
    drop(held);
    assert!(terminate(&mut child).success());
}

/// Threads the process has now, from /proc.
fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a Threads line")
}

#[test]
fn on_one_cpu_it_runs_on_one_thread_and_still_echoes() {
    // `taskset` limits bash, and so the binary it execs, to one CPU: main.rs then picks the
    // current-thread scheduler.
    let (mut child, port, _log) =
        start_logging("taskset -cp 0 $$ >/dev/null", &["--token", "cpu-token"]);
    assert_eq!(threads(child.id()), 1, "one thread runs everything");
    let served = healthz(port, "Authorization: token cpu-token\r\n").unwrap_or_default();
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    let url = format!("ws://127.0.0.1:{port}/echo?token=cpu-token");
    let (mut socket, _) = tokio_tungstenite::tungstenite::connect(url).expect("/echo upgrades");
    for text in ["one", "cpu"] {
        socket.send(text.into()).unwrap();
        assert_eq!(socket.read().unwrap().into_text().unwrap(), text);
    }
    drop(socket);
    assert!(terminate(&mut child).success());
}

#[test]
fn out_of_file_descriptors_it_says_so_waits_and_recovers() {
    let (mut child, port, log) = start_logging("ulimit -n 48", &["--token", "fd-token"]);
    // More connections than descriptors: the kernel completes them, accept fails with EMFILE.
    let held: Vec<TcpStream> = (0..80)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(held.len() > 48, "{} connections", held.len());
    let said = logged(&log, "accepting a connection failed");
    assert!(said.contains("Too many open files"), "{said}");
    // Waiting, not spinning: far less than a CPU's worth of time over two seconds.
    let before = cpu_seconds(child.id());
    std::thread::sleep(Duration::from_secs(2));
    let spent = cpu_seconds(child.id()) - before;
    assert!(spent < 1.0, "{spent} CPU seconds in 2 s");
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !healthz(port, "").is_some_and(|a| a.starts_with("HTTP/1.1 200")) {
        assert!(Instant::now() < deadline, "/healthz did not answer again");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(terminate(&mut child).success());
}
