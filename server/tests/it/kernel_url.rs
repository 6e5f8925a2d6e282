//! A session whose kernel is any ws:// URL (`--kernel`, `--kernel-header`,
//! `--kernel-subprotocol`, or a URL the browser picks): what the kernel is sent, how failures
//! read, and that a bad URL is refused before anything is dialled.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use wirebook_server::config::Config;
use wirebook_server::kernel::websocket::Keepalive;
use wirebook_shared::{
    CaptureBody, Direction, Hop, KernelChoice, KernelState, Opcode, ServerMsg, WebSocketSettings,
};

use crate::capture_records::{handshake_on, head_header, messages};
use crate::session_client::SessionClient;
use crate::stand_in_peers::{closed_port, header_echo_kernel, refusing_peer};
use crate::support::{within, TestServer, TOKEN};

async fn failure(config: Config) -> String {
    let server = TestServer::start(config).await;
    let (mut client, _) = SessionClient::open(&server).await;
    let message = client.kernel_failed().await;
    message
}

#[tokio::test]
async fn the_kernel_gets_the_headers_and_subprotocols_and_its_choice_is_captured() {
    let (addr, seen) = header_echo_kernel().await;
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://{addr}/k"));
    config.kernel.headers = vec![("X-Test".into(), "yes".into())];
    config.kernel.subprotocols = vec!["v1".into(), "v2".into()];
    let server = TestServer::start(config).await;
    let (mut client, hello) = SessionClient::open(&server).await;
    let ServerMsg::Hello { kernel, .. } = hello else {
        panic!("expected hello, got {hello:?}")
    };
    assert_eq!(kernel.url, format!("ws://{addr}/k"));
    let seen = within(seen).await.unwrap();
    assert_eq!(seen.get("x-test"), Some("yes"));
    assert_eq!(seen.get("sec-websocket-protocol"), Some("v1, v2"));
    client.assert_echoed("c1", "hai").await;
    client
        .capture_until(|records| {
            records.iter().any(|r| {
                r.hop == Hop::Kernel
                    && matches!(&r.body, CaptureBody::Handshake(h) if h.protocol.as_deref() == Some("v2"))
            })
        })
        .await;
}

#[tokio::test]
async fn a_kernel_that_refuses_the_handshake_shows_its_status_and_body() {
    let addr = refusing_peer("404 Not Found", "no such notebook").await;
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://{addr}/"));
    let message = failure(config).await;
    assert!(message.contains("answered 404 Not Found"), "{message}");
    assert!(message.contains("no such notebook"), "{message}");
}

#[tokio::test]
async fn a_refused_connection_says_so() {
    let port = closed_port().await;
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://127.0.0.1:{port}/"));
    let message = failure(config).await;
    assert!(message.contains("refused the connection"), "{message}");
}

#[tokio::test]
async fn keepalive_pings_the_kernel_and_fails_a_silent_one() {
    // The built-in /echo answers: pings and pongs show on the kernel hop.
    let mut config = Config::new(TOKEN);
    config.kernel.keepalive = Some(Keepalive {
        interval: Duration::from_millis(20),
        pong_timeout: Duration::from_secs(5),
    });
    let server = TestServer::start(config.clone()).await;
    let (mut client, _) = SessionClient::open(&server).await;
    client
        .capture_until(|records| {
            let control = |opcode, direction| {
                messages(records).any(|(r, f, _)| {
                    r.hop == Hop::Kernel && f.opcode == opcode && f.direction == direction
                })
            };
            control(Opcode::Ping, Direction::ToServer) && control(Opcode::Pong, Direction::ToClient)
        })
        .await;

    // A kernel that completes the handshake and then reads nothing never answers a ping.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let _ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    config.kernel.url = Some(format!("ws://{addr}/"));
    config.kernel.keepalive = Some(Keepalive {
        interval: Duration::from_millis(20),
        pong_timeout: Duration::from_millis(100),
    });
    let message = failure(config).await;
    assert!(message.contains("did not answer a ping"), "{message}");
}

#[tokio::test]
async fn a_kernel_that_never_answers_the_handshake_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (_stream, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://{addr}/"));
    config.kernel.connect_timeout = Duration::from_millis(200);
    let message = failure(config).await;
    assert!(message.contains("timeout"), "{message}");
}

#[tokio::test]
async fn a_secret_header_reaches_the_kernel_but_not_the_capture() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (saw, seen) = oneshot::channel::<Option<String>>();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        #[allow(clippy::result_large_err)]
        let callback = move |request: &Request, response: Response| {
            let cookie = request
                .headers()
                .get("cookie")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let _ = saw.send(cookie);
            Ok(response)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(stream, callback)
            .await
            .unwrap();
        while let Some(Ok(_)) = ws.next().await {}
    });
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://{addr}/k"));
    config.kernel.secret_headers = vec![("Cookie".into(), "sid=s3cr3t-value".into())];
    let server = TestServer::start(config).await;
    let (mut client, _) = SessionClient::open(&server).await;
    assert_eq!(
        within(seen).await.unwrap().as_deref(),
        Some("sid=s3cr3t-value")
    );
    client
        .capture_until(|records| handshake_on(records, Hop::Kernel).is_some())
        .await;
    let handshake = handshake_on(&client.records, Hop::Kernel).unwrap();
    let cookie = head_header(&handshake.request, "cookie");
    assert_eq!(cookie, Some("<redacted>"));
    let everything = serde_json::to_string(&client.records).unwrap();
    assert!(!everything.contains("s3cr3t"), "{everything}");
    let jsonl = crate::http::http_get(
        server.addr,
        "/api/capture.jsonl",
        &[("Authorization", &format!("token {TOKEN}"))],
    )
    .await;
    assert_eq!(jsonl.status, 200);
    assert!(!jsonl.body.contains("s3cr3t"));
}

#[tokio::test]
async fn a_startup_kernel_with_a_bad_port_fails_at_once_and_is_not_retried() {
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some("ws://127.0.0.1:99999/".into());
    config.kernel.reconnect = true;
    let server = TestServer::start(config).await;
    let (mut client, _) = SessionClient::open(&server).await;
    let state = client
        .wait_kernel(|s| {
            matches!(
                s,
                KernelState::Connecting
                    | KernelState::Failed { .. }
                    | KernelState::Reconnecting { .. }
            )
        })
        .await;
    assert_eq!(
        state,
        KernelState::Failed {
            message: "ws://127.0.0.1:99999/: 99999 is not a port (1-65535)".into()
        }
    );
}

/// A kernel server that reports each connection it accepts: the request target and `Host` of
/// its handshake, or that there was none.
async fn reporting_kernel() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (report, reports) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let report = report.clone();
            tokio::spawn(async move {
                let seen = report.clone();
                #[allow(clippy::result_large_err)]
                let callback = move |request: &Request, response: Response| {
                    let host = request.headers().get("host").and_then(|v| v.to_str().ok());
                    let _ = seen.send(format!("{} Host: {}", request.uri(), host.unwrap_or("-")));
                    Ok(response)
                };
                match tokio_tungstenite::accept_hdr_async(stream, callback).await {
                    Ok(mut ws) => while let Some(Ok(_)) = ws.next().await {},
                    Err(error) => {
                        let _ = report.send(format!("no handshake: {error}"));
                    }
                }
            });
        }
    });
    (port, reports)
}

async fn pick(client: &mut SessionClient, url: &str) {
    client
        .choose(KernelChoice::WebSocket {
            url: url.into(),
            settings: WebSocketSettings::default(),
        })
        .await;
}

#[tokio::test]
async fn a_bad_kernel_url_from_the_browser_is_refused_before_anything_is_dialled() {
    let (port, mut reports) = reporting_kernel().await;
    let server = TestServer::with_defaults().await;
    let mut client = SessionClient::ready(&server).await;
    let bad = [
        (
            "ws://127.0.0.1:99999/".to_string(),
            "ws://127.0.0.1:99999/: 99999 is not a port (1-65535)",
        ),
        (
            format!("ftp://127.0.0.1:{port}/"),
            "the scheme must be ws:// or wss://",
        ),
        (
            "javascript:alert(1)".to_string(),
            "javascript:alert(1): the scheme must be ws:// or wss://",
        ),
        ("ws:///x".to_string(), "ws:///x: no host"),
        (format!("ws://127.0.0.1:{port}/#top"), "fragment"),
    ];
    for (url, why) in &bad {
        pick(&mut client, url).await;
        // The picker's list comes first (it is listed again on every pick), then the refusal:
        // no kernel is selected, no link reports a state.
        let refusal = loop {
            match client.next().await {
                ServerMsg::Kernels { .. } => {}
                ServerMsg::Error { message, .. }
                    if message.starts_with("cannot use that kernel") =>
                {
                    break message
                }
                // What the kernelspec listing could not read, if anything.
                ServerMsg::Error { .. } => {}
                other => panic!("{url}: expected the refusal first, got {other:?}"),
            }
        };
        assert!(refusal.contains(why), "{url}: {refusal}");
    }
    // A good URL on the same port: its connection is the first the kernel server ever sees,
    // and its handshake carries the path, query and Host as typed.
    let good = format!("ws://127.0.0.1:{port}/a/../k%2F?q='x'");
    pick(&mut client, &good).await;
    let state = client.kernel_settled().await;
    assert!(matches!(state, KernelState::Open { .. }), "{state:?}");
    assert_eq!(
        within(reports.recv()).await.unwrap(),
        format!("/a/../k%2F?q='x' Host: 127.0.0.1:{port}")
    );
    client
        .capture_until(|records| {
            records
                .iter()
                .any(|r| matches!(&r.body, CaptureBody::Open { target, .. } if *target == good))
        })
        .await;
    let dialled: Vec<&str> = client
        .records
        .iter()
        .filter(|r| r.hop == Hop::Kernel)
        .filter_map(|r| match &r.body {
            CaptureBody::Open { target, .. } => Some(target.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        dialled.len(),
        2,
        "the startup echo kernel and the good one: {dialled:?}"
    );
    assert!(
        dialled.iter().all(|t| bad.iter().all(|(url, _)| t != url)),
        "{dialled:?}"
    );
    assert!(reports.try_recv().is_err(), "a second connection was made");
}
