//! What a web page, a peer or a slow client can and cannot do to the server: the token never
//! leaves it in a record or an export, the capture stays within its memory budget, slow heads
//! and floods of anonymous connections are cut off, foreign Hosts and Origins are refused,
//! every response carries the security headers.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wirebook_server::config::Config;
use wirebook_server::proxy::routes::parse_route;
use wirebook_shared::{CaptureBody, CaptureRecord};

use crate::http::{capture_stats, http_get};
use crate::session_client::SessionClient;
use crate::support::{connect, refused_status, within, TestServer, PATIENCE, TOKEN};

/// Every way a request carries the token: the query, the cookie, the Authorization header.
fn with_the_token_three_ways(
    server: &TestServer,
    path: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let separator = if path.contains('?') { '&' } else { '?' };
    let cookie = format!("other=1; wirebook_token={TOKEN}");
    let authorization = format!("token {TOKEN}");
    server.request(
        &format!("{path}{separator}token={TOKEN}"),
        &[("cookie", &cookie), ("authorization", &authorization)],
    )
}

/// Every export of the capture, sanitized and with sensitive data, as text.
async fn every_export(addr: SocketAddr) -> Vec<(String, String)> {
    let mut exports = Vec::new();
    for path in [
        "/api/capture.jsonl",
        "/api/capture.har",
        "/api/capture.jsonl?sensitive=1",
        "/api/capture.har?sensitive=1",
    ] {
        let separator = if path.contains('?') { '&' } else { '?' };
        let response = http_get(addr, &format!("{path}{separator}token={TOKEN}"), &[]).await;
        assert_eq!(response.status, 200, "{path}");
        exports.push((path.to_string(), response.body));
    }
    exports
}

/// The JSONL export with sensitive data: every record as recorded.
async fn records(addr: SocketAddr) -> Vec<CaptureRecord> {
    let response = http_get(
        addr,
        &format!("/api/capture.jsonl?sensitive=1&token={TOKEN}"),
        &[],
    )
    .await;
    response
        .body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Whether a start line is the test's own request to `path`: the session's echo kernel dials
/// `/echo` too, without a token in its query.
fn carries_a_token(start_line: &str, path: &str) -> bool {
    start_line.contains(path) && start_line.contains("token=")
}

/// Waits until the capture has a handshake whose start line is `ours`.
async fn handshake_recorded(addr: SocketAddr, ours: impl Fn(&str) -> bool) -> Vec<CaptureRecord> {
    within(async {
        loop {
            let records = records(addr).await;
            let seen = records.iter().any(|r| match &r.body {
                CaptureBody::Handshake(h) => ours(&h.request.start_line),
                _ => false,
            });
            if seen {
                return records;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Opens `path` with the token three ways, then checks that no record the inspector gets and
/// no export holds the token, and that the handshake says where it was redacted.
async fn the_token_never_leaves(server: &TestServer, path: &str) {
    let (mut session, _hello) = SessionClient::open(server).await;
    let mut client = connect(with_the_token_three_ways(server, path)).await;
    let _ = client.close(None).await;
    let records = handshake_recorded(server.addr, |line| {
        carries_a_token(line, path.split('?').next().unwrap())
    })
    .await;
    let handshake = records
        .iter()
        .find_map(|r| match &r.body {
            CaptureBody::Handshake(h)
                if carries_a_token(&h.request.start_line, path.split('?').next().unwrap()) =>
            {
                Some(h)
            }
            _ => None,
        })
        .unwrap();
    assert!(
        handshake.request.start_line.contains("token=<redacted>"),
        "{:?}",
        handshake.request
    );
    for (export, text) in every_export(server.addr).await {
        assert!(!text.contains(TOKEN), "{path}: the token is in {export}");
    }
    // What the inspector was sent.
    session
        .capture_until(|records| {
            records.iter().any(|r| matches!(&r.body, CaptureBody::Handshake(h) if carries_a_token(&h.request.start_line, path.split('?').next().unwrap())))
        })
        .await;
    let live = serde_json::to_string(&session.records).unwrap();
    assert!(
        !live.contains(TOKEN),
        "{path}: the token is in the inspector's feed"
    );
}

#[tokio::test]
async fn the_token_is_redacted_on_echo() {
    let server = TestServer::with_defaults().await;
    the_token_never_leaves(&server, "/echo").await;
}

#[tokio::test]
async fn the_token_is_redacted_on_demo_push() {
    let server = TestServer::with_defaults().await;
    the_token_never_leaves(&server, "/demo/push?interval_ms=5000").await;
}

#[tokio::test]
async fn the_token_is_redacted_on_demo_close() {
    let server = TestServer::with_defaults().await;
    let mut client = connect(with_the_token_three_ways(&server, "/demo/close?code=4000")).await;
    let _ = tokio::time::timeout(PATIENCE, futures_util::StreamExt::next(&mut client)).await;
    handshake_recorded(server.addr, |line| line.contains("/demo/close")).await;
    for (export, text) in every_export(server.addr).await {
        assert!(!text.contains(TOKEN), "the token is in {export}");
    }
}

#[tokio::test]
async fn the_token_is_redacted_on_demo_fragmented() {
    let server = TestServer::with_defaults().await;
    the_token_never_leaves(&server, "/demo/fragmented?size=4").await;
}

#[tokio::test]
async fn the_token_is_redacted_on_the_session() {
    let server = TestServer::with_defaults().await;
    the_token_never_leaves(&server, "/session").await;
}

#[tokio::test]
async fn the_token_is_redacted_on_routes_private_and_public() {
    let upstream = TestServer::with_defaults().await;
    let mut config = Config::new(TOKEN);
    let echo = upstream.ws("/echo");
    config
        .routes
        .push(parse_route(&format!("private={echo}"), false).unwrap());
    config
        .routes
        .push(parse_route(&format!("open={echo}"), true).unwrap());
    let server = TestServer::start(config).await;
    the_token_never_leaves(&server, "/tap/private").await;
    the_token_never_leaves(&server, "/tap/open").await;
}

#[tokio::test]
async fn exports_remove_credentials_unless_asked_for_sensitive_data() {
    let upstream = TestServer::with_defaults().await;
    let mut config = Config::new(TOKEN);
    config
        .routes
        .push(parse_route(&format!("open={}", upstream.ws("/echo")), true).unwrap());
    let server = TestServer::start(config).await;
    let request = server.request(
        "/tap/open",
        &[
            ("authorization", "Bearer up-secret-1"),
            ("cookie", "sid=up-cookie-2"),
        ],
    );
    let mut client = connect(request).await;
    let _ = client.close(None).await;
    handshake_recorded(server.addr, |line| line.contains("/tap/open")).await;
    for (export, text) in every_export(server.addr).await {
        let sensitive = export.contains("sensitive=1");
        for secret in ["up-secret-1", "up-cookie-2"] {
            assert_eq!(
                text.contains(secret),
                sensitive,
                "{secret} in {export}: {}",
                &text[..text.len().min(2000)]
            );
        }
        if !sensitive {
            assert!(text.contains("<removed: export with sensitive data to keep>"));
        }
    }
    let bad = http_get(
        server.addr,
        &format!("/api/capture.har?sensitive=yes&token={TOKEN}"),
        &[],
    )
    .await;
    assert_eq!(bad.status, 400);
}

/// Opens a WebSocket on `/echo` over raw TCP with a request head of about `query` bytes more,
/// reads the `101`, and hangs up.
async fn echo_with_a_big_head(addr: SocketAddr, query: usize) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET /echo?q={} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "a".repeat(query)
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = [0u8; 12];
    tcp.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 101");
}

#[tokio::test]
async fn many_big_anonymous_handshakes_stay_within_the_capture_budget() {
    let mut config = Config::new(TOKEN);
    config.capture.memory = 1024 * 1024;
    let server = TestServer::start(config).await;
    for _ in 0..400 {
        echo_with_a_big_head(server.addr, 60_000).await;
    }
    let stats = within(async {
        loop {
            let stats = capture_stats(server.addr).await;
            // Each connection makes three records: open, handshake, closed.
            if stats["latest_seq"].as_u64().unwrap() >= 1200 {
                return stats;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let used = stats["memory_bytes"].as_u64().unwrap();
    // The kept kernels' replay logs take their share of --capture-memory; the ring the rest.
    let ring = 1024 * 1024 - wirebook_server::config::KeptConfig::replay_share(1024 * 1024);
    assert_eq!(stats["memory_budget"], ring);
    assert!(used <= ring as u64, "{stats}");
    assert!(
        stats["oldest_seq"].as_u64().unwrap() > 1,
        "older records were evicted: {stats}"
    );
    // The big heads were cut, and their records say so.
    let cut = records(server.addr)
        .await
        .into_iter()
        .find_map(|r| match r.body {
            CaptureBody::Handshake(h) => Some(h),
            _ => None,
        })
        .unwrap();
    assert!(cut.request.start_line.len() <= 2048);
    assert!(
        cut.findings
            .iter()
            .any(|f| f.starts_with("the request head is ")),
        "{:?}",
        cut.findings
    );
}

#[tokio::test]
async fn a_new_session_gets_a_bounded_backlog_and_hears_of_the_rest() {
    let mut config = Config::new(TOKEN);
    config.capture.session_backlog = 64 * 1024;
    let server = TestServer::start(config).await;
    for _ in 0..40 {
        echo_with_a_big_head(server.addr, 10_000).await;
    }
    within(async {
        while capture_stats(server.addr).await["latest_seq"]
            .as_u64()
            .unwrap()
            < 120
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    session.capture_until(|records| !records.is_empty()).await;
    assert!(session.records.len() < 120, "{}", session.records.len());
    assert!(session.older > 0, "the first batch says what it left out");
    assert!(session.older + session.records.len() as u64 >= 120);
    // The exports still have everything.
    assert!(records(server.addr).await.len() >= 120);
}

#[tokio::test]
async fn exports_are_streamed_in_chunks() {
    let server = TestServer::with_defaults().await;
    echo_with_a_big_head(server.addr, 10).await;
    for path in [
        "/api/capture.jsonl",
        "/api/capture.har",
        "/api/capture.pcapng",
    ] {
        let response = http_get(server.addr, &format!("{path}?token={TOKEN}"), &[]).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("transfer-encoding"),
            Some("chunked"),
            "{path}"
        );
        assert_eq!(response.header("content-length"), None, "{path}");
    }
}

#[tokio::test]
async fn a_foreign_host_is_refused_unless_allowed() {
    let server = TestServer::with_defaults().await;
    let port = server.addr.port();
    let get = |host: String| {
        let addr = server.addr;
        async move {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            let request =
                format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            tcp.write_all(request.as_bytes()).await.unwrap();
            let mut response = String::new();
            within(tcp.read_to_string(&mut response)).await.unwrap();
            response
        }
    };
    for host in [
        format!("evil.example:{port}"),
        "evil.example".into(),
        format!("127.0.0.1.evil.example:{port}"),
    ] {
        let response = get(host.clone()).await;
        assert!(response.starts_with("HTTP/1.1 403"), "{host}: {response}");
        assert!(response.contains("--allow-host"), "{response}");
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let response = get(host.clone()).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{host}: {response}");
    }
    let mut config = Config::new(TOKEN);
    config.admission.allow_hosts = vec!["wb.example".into()];
    let allowing = TestServer::start(config).await;
    let mut tcp = TcpStream::connect(allowing.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: wb.example:443\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    within(tcp.read_to_string(&mut response)).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[tokio::test]
async fn anonymous_websockets_refuse_a_foreign_origin() {
    // The route passes the client's Origin on: its upstream lets these two in.
    let mut upstream = Config::new(TOKEN);
    upstream.admission.allow_origins = vec![
        "http://evil.example".into(),
        "http://allowed.example".into(),
    ];
    let upstream = TestServer::start(upstream).await;
    let mut config = Config::new(TOKEN);
    config
        .routes
        .push(parse_route(&format!("open={}", upstream.ws("/echo")), true).unwrap());
    config.admission.allow_origins = vec!["http://allowed.example".into()];
    let server = TestServer::start(config).await;
    let own = format!("http://{}", server.addr);
    let cookie = format!("wirebook_token={TOKEN}");
    for path in ["/echo", "/demo/fragmented", "/demo/push", "/tap/open"] {
        let foreign = server.request(path, &[("origin", "http://evil.example")]);
        assert_eq!(refused_status(foreign).await, 403, "{path}");
        // The cookie goes along by itself: it is no reason to let a foreign page in.
        let with_cookie = server.request(
            path,
            &[("origin", "http://evil.example"), ("cookie", &cookie)],
        );
        assert_eq!(
            refused_status(with_cookie).await,
            403,
            "{path} with the cookie"
        );
        for origin in [own.as_str(), "http://allowed.example"] {
            if path == "/tap/open" && origin == own {
                continue; // wirebook's own page is foreign to the upstream
            }
            let mut client = connect(server.request(path, &[("origin", origin)])).await;
            let _ = client.close(None).await;
        }
        // Not a browser: no Origin, no question.
        let mut client = connect(server.request(path, &[])).await;
        let _ = client.close(None).await;
    }
    // A page that names the token in the URL was given it.
    let named = server.request(
        &format!("/tap/open?token={TOKEN}"),
        &[("origin", "http://evil.example")],
    );
    let mut client = connect(named).await;
    let _ = client.close(None).await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::with_defaults().await;
    for path in [
        format!("/?token={TOKEN}"),
        "/".to_string(),
        "/healthz".to_string(),
        format!("/api/capture/stats?token={TOKEN}"),
        format!("/api/notebooks?token={TOKEN}"),
        "/echo".to_string(),
    ] {
        let response = http_get(server.addr, &path, &[]).await;
        let csp = response
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{path}: {csp}");
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
    }
}

/// Whether the server closes `tcp` within `limit` (reads until the end or an error).
async fn closed_within(tcp: &mut TcpStream, limit: Duration) -> bool {
    let mut sink = Vec::new();
    matches!(
        tokio::time::timeout(limit, tcp.read_to_end(&mut sink)).await,
        Ok(Ok(_) | Err(_))
    )
}

#[tokio::test]
async fn a_head_that_never_ends_is_closed_at_the_deadline() {
    let mut config = Config::new(TOKEN);
    config.admission.limits.header_timeout = Duration::from_secs(1);
    let server = TestServer::start(config).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    // Still open a moment before the deadline, closed soon after it.
    assert!(!closed_within(&mut slow, Duration::from_millis(500)).await);
    assert!(closed_within(&mut slow, Duration::from_secs(3)).await);
    // An idle keep-alive connection too.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).as_bytes())
        .await
        .unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(4)).await);
}

/// `GET /healthz` on a fresh connection, with extra headers; the status, or 0 when the
/// connection was closed without an answer.
async fn healthz(addr: SocketAddr, headers: &str) -> u16 {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n");
    if tcp.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut response = Vec::new();
    let _ = within(tcp.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_flood_of_anonymous_connections_does_not_lock_out_the_token() {
    let mut config = Config::new(TOKEN);
    config.admission.limits.max_anonymous = 8;
    let server = TestServer::start(config).await;
    // Eight unfinished heads take the anonymous places.
    let mut flood = Vec::new();
    for _ in 0..8 {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        flood.push(tcp);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Over the cap: without the token, refused; with it, served.
    assert_eq!(healthz(server.addr, "").await, 503);
    let authorization = format!("Authorization: token {TOKEN}\r\n");
    assert_eq!(healthz(server.addr, &authorization).await, 200);
    // A browser session still opens, and its echo kernel (wirebook's own dial) connects.
    let _session = SessionClient::ready(&server).await;
    // A connection on probation that says nothing is closed after a few seconds.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(8)).await);
    // Once the flood is gone, anonymous requests are served again.
    drop(flood);
    within(async {
        while healthz(server.addr, "").await != 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn past_every_cap_a_connection_is_closed_at_once_and_the_server_answers_after() {
    let mut config = Config::new(TOKEN);
    config.admission.limits.max_anonymous = 2;
    config.admission.limits.max_connections = 4;
    let server = TestServer::start(config).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        held.push(tcp);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = TcpStream::connect(server.addr).await.unwrap();
    assert!(closed_within(&mut over, Duration::from_secs(2)).await);
    drop(held);
    within(async {
        while healthz(server.addr, "").await != 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn without_the_token_echo_takes_smaller_messages() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let server = TestServer::with_defaults().await;
    let big = "b".repeat(wirebook_server::config::ANONYMOUS_MESSAGE_SIZE + 1);
    // Anonymous: closed with 1009 Message Too Big.
    let mut anonymous = connect(server.request("/echo", &[])).await;
    anonymous.send(Message::text(big.clone())).await.unwrap();
    let close = within(async {
        loop {
            match anonymous.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("expected a close, got {other:?}"),
            }
        }
    })
    .await;
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1009));
    // With the token: echoed (up to --max-message-size).
    let mut trusted = connect(server.request(&format!("/echo?token={TOKEN}"), &[])).await;
    trusted.send(Message::text(big.clone())).await.unwrap();
    match within(trusted.next()).await {
        Some(Ok(Message::Text(text))) => assert_eq!(text.len(), big.len()),
        other => panic!("expected the echo, got {other:?}"),
    }
}

#[tokio::test]
async fn a_head_larger_than_the_capture_reads_is_refused() {
    let server = TestServer::with_defaults().await;
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nX-Big: {}\r\n\r\n",
        server.addr,
        "h".repeat(200 * 1024)
    );
    // The server may stop reading (and close) before the whole head is written.
    let _ = tcp.write_all(head.as_bytes()).await;
    let mut response = Vec::new();
    let _ = within(tcp.read_to_end(&mut response)).await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 431"),
        "{response}"
    );
    assert_eq!(healthz(server.addr, "").await, 200);
}

#[tokio::test]
async fn open_anonymous_websockets_keep_their_places_until_they_close() {
    let mut config = Config::new(TOKEN);
    config.admission.limits.max_anonymous = 4;
    let server = TestServer::start(config).await;
    // Upgraded sockets outlive hyper's connection: they must still count.
    let mut sockets = Vec::new();
    for _ in 0..4 {
        sockets.push(connect(server.request("/echo", &[])).await);
    }
    assert_eq!(healthz(server.addr, "").await, 503);
    let authorization = format!("Authorization: token {TOKEN}\r\n");
    assert_eq!(healthz(server.addr, &authorization).await, 200);
    for mut socket in sockets {
        let _ = socket.close(None).await;
    }
    within(async {
        while healthz(server.addr, "").await != 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn an_escaped_token_does_not_get_in_past_its_redaction() {
    let server = TestServer::with_defaults().await;
    // TOKEN's first character, percent-encoded.
    let escaped = format!("%{:02X}{}", TOKEN.as_bytes()[0], &TOKEN[1..]);
    let response = http_get(
        server.addr,
        &format!("/api/capture/stats?token={escaped}"),
        &[],
    )
    .await;
    assert_eq!(response.status, 403);
}

#[tokio::test]
async fn a_kernel_url_typed_with_the_token_does_not_carry_it_into_any_record() {
    use wirebook_shared::{KernelChoice, WebSocketSettings};
    let server = TestServer::with_defaults().await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    // wirebook's own echo, named with the token: the browser's message carries it, the
    // kernel connection's Open record and handshake too.
    session
        .choose(KernelChoice::WebSocket {
            url: format!("ws://{}/echo?token={TOKEN}", server.addr),
            settings: WebSocketSettings::default(),
        })
        .await;
    session
        .capture_until(|records| {
            records.iter().filter(|r| matches!(&r.body, CaptureBody::Handshake(h) if h.request.start_line.starts_with("GET /echo?token="))).count() >= 2
        })
        .await;
    let live = serde_json::to_string(&session.records).unwrap();
    assert!(
        !live.contains(TOKEN),
        "the token is in the inspector's feed"
    );
    for (export, text) in every_export(server.addr).await {
        assert!(!text.contains(TOKEN), "the token is in {export}");
    }
}
