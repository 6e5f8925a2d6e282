//! What the benches share: their knobs from the environment, starting a wirebook process, a
//! process's memory, and the echo peer that stands upstream of wirebook.

/// A number from the environment variable `name`, or `default`.
pub fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts `wirebook` as `command` says (binary and arguments; it must bind port 0) with quiet
/// logs, killed when the handle drops, and returns it with the address it printed.
#[allow(dead_code)] // not every bench starts wirebook
pub async fn start_wirebook(
    mut command: tokio::process::Command,
) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = command
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the wirebook binary");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await.expect("wirebook's output") {
        if let Some(url) = line.strip_prefix("wirebook is running at http://") {
            let addr = url.split('/').next().unwrap_or_default().to_string();
            return (child, addr);
        }
    }
    panic!("wirebook did not print its address");
}

/// The resident set size of process `pid` in KiB (0 when it cannot be read).
#[allow(dead_code)] // not every bench reads memory
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_default()
}

/// Answers every data message on an accepted WebSocket with itself, reading with wirebook's
/// buffer size (tungstenite's default 128 KiB buffer is zeroed before every read, which
/// throttles every path alike).
#[allow(dead_code)] // not every bench has an upstream
pub async fn echo_peer(tcp: tokio::net::TcpStream) {
    use futures_util::{SinkExt, StreamExt};
    let _ = tcp.set_nodelay(true);
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(wirebook_server::config::READ_BUFFER);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        let data = message.is_text() || message.is_binary();
        if data && ws.send(message).await.is_err() {
            break;
        }
    }
}
