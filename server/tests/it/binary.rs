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
