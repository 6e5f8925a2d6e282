//! WebSocket kernels chosen in the session: cell formats (JSON, binary, ping, close), the
//! settings a picker sends (headers, secret headers, subprotocols), what the handshake
//! negotiated, and reconnecting when the connection is lost.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::config::Config;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::{
    CaptureBody, HeaderSetting, Hop, KernelChoice, KernelState, ServerMsg, WebSocketSettings,
    WireData,
};

use crate::session_client::SessionClient;
use crate::stand_in_peers::header_echo_kernel;
use crate::support::{within, TestServer, TOKEN};

#[tokio::test]
async fn cells_send_json_binary_ping_and_close_and_bad_json_is_not_sent() {
    let server = TestServer::with_defaults().await;
    let mut client = SessionClient::ready(&server).await;
    client
        .execute_as(
            "j",
            "{ \"a\" : [1, 2] }",
            CellFormat::Json { compact: true },
        )
        .await;
    let echoed = client.output().await;
    assert_eq!(
        echoed,
        ServerMsg::Output {
            cell_id: "j".into(),
            data: WireData::Text {
                text: r#"{"a":[1,2]}"#.into()
            }
        }
    );
    client.execute_as("b", "de ad be ef", CellFormat::Hex).await;
    let echoed = client.output().await;
    assert_eq!(
        echoed,
        ServerMsg::Output {
            cell_id: "b".into(),
            data: WireData::binary(&[0xde, 0xad, 0xbe, 0xef])
        }
    );
    // Invalid JSON is refused with its place, and nothing goes to the kernel.
    client
        .execute_as(
            "bad",
            "{\n  \"a\": [1,, 2]\n}",
            CellFormat::Json { compact: false },
        )
        .await;
    let (message, cell_id) = client.error().await;
    assert_eq!(cell_id.as_deref(), Some("bad"));
    assert!(message.contains("line 2, column 11"), "{message}");
    client
        .execute_as("p", "are you there", CellFormat::Ping)
        .await;
    // Control payloads are previewed as hex.
    let payload = wirebook_shared::hex::hex(b"are you there");
    client
        .capture_until(|records| {
            records.iter().any(|r| {
                r.hop == Hop::Kernel
                    && matches!(&r.body, CaptureBody::Frame(f)
                        if f.message.as_ref().is_some_and(|m| m.opcode.name() == "pong" && m.preview == payload))
            })
        })
        .await;
    client
        .execute_as("c", "4000 done here", CellFormat::Close)
        .await;
    assert_eq!(
        client.kernel_closed().await,
        (Some(4000), "done here".into())
    );
}

#[tokio::test]
async fn a_picked_url_gets_its_headers_and_subprotocols_and_the_choice_is_reported() {
    let (addr, seen) = header_echo_kernel().await;
    let server = TestServer::with_defaults().await;
    let mut client = SessionClient::ready(&server).await;
    let settings = WebSocketSettings {
        headers: vec![
            HeaderSetting {
                name: "X-Plain".into(),
                value: "visible".into(),
                secret: false,
            },
            HeaderSetting {
                name: "Authorization".into(),
                value: "Bearer hush-hush".into(),
                secret: true,
            },
        ],
        origin: Some("https://app.example.test".into()),
        subprotocols: vec!["v1".into(), "v2".into()],
        ..WebSocketSettings::default()
    };
    client
        .choose(KernelChoice::WebSocket {
            url: format!("ws://{addr}/feed"),
            settings,
        })
        .await;
    let selected = client
        .wait_for(|m| matches!(m, ServerMsg::KernelSelected { .. }))
        .await;
    let ServerMsg::KernelSelected { kernel } = selected else {
        unreachable!()
    };
    assert_eq!(kernel.url, format!("ws://{addr}/feed"));
    let state = client.kernel_settled().await;
    assert_eq!(
        state,
        KernelState::Open {
            protocol: Some("v2".into()),
            extensions: Vec::new()
        }
    );
    let seen = within(seen).await.unwrap();
    assert_eq!(seen.get("x-plain"), Some("visible"));
    assert_eq!(seen.get("authorization"), Some("Bearer hush-hush"));
    assert_eq!(seen.get("origin"), Some("https://app.example.test"));
    assert_eq!(seen.get("sec-websocket-protocol"), Some("v1, v2"));
    client.run_to_output("c1", "hello feed").await;
    let everything = serde_json::to_string(&client.records).unwrap();
    assert!(
        !everything.contains("hush-hush"),
        "the secret header leaked"
    );
}

#[tokio::test]
async fn a_bad_ca_in_the_settings_is_refused_with_the_reason() {
    let server = TestServer::with_defaults().await;
    let mut client = SessionClient::ready(&server).await;
    client
        .choose(KernelChoice::WebSocket {
            url: "wss://127.0.0.1:1/".into(),
            settings: WebSocketSettings {
                ca_pem: Some("not a certificate".into()),
                ..WebSocketSettings::default()
            },
        })
        .await;
    let (message, _) = client.error().await;
    assert!(message.contains("no PEM certificate"), "{message}");
}

#[tokio::test]
async fn a_lost_kernel_is_reconnected_with_backoff_and_nothing_is_resent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (received, mut texts) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        // The first connection is dropped after one message without a close frame (like a
        // killed process); the second stays.
        for round in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Text(text) = message {
                    let _ = received.send(text.to_string());
                    ws.send(Message::text(format!("got {text}"))).await.unwrap();
                    if round == 0 {
                        break;
                    }
                }
            }
            drop(ws);
        }
    });
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://{addr}/"));
    config.kernel.reconnect = true;
    let server = TestServer::start(config).await;
    let mut client = SessionClient::ready(&server).await;
    client.execute("c1", "one").await;
    assert_eq!(within(texts.recv()).await.as_deref(), Some("one"));
    let lost = client
        .wait_kernel(|s| matches!(s, KernelState::Reconnecting { .. }))
        .await;
    let KernelState::Reconnecting {
        attempt,
        delay_ms,
        reason,
        lost,
    } = lost
    else {
        unreachable!()
    };
    assert_eq!(attempt, 1);
    assert!((250..=313).contains(&delay_ms), "{delay_ms}");
    assert!(reason.contains("dropped"), "{reason}");
    assert_eq!(lost, reason);
    assert!(matches!(
        client.kernel_settled().await,
        KernelState::Open { .. }
    ));
    client.execute("c2", "two").await;
    // Only the new cell arrives: "one" is not sent again.
    assert_eq!(within(texts.recv()).await.as_deref(), Some("two"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(texts.try_recv().is_err());
}

#[tokio::test]
async fn a_python_kernel_that_closes_with_1011_is_shown_closed_with_its_code() {
    let (_upstream, port) = crate::peers::python_server("upstream_server.py", &[]).await;
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://127.0.0.1:{port}/ws"));
    // upstream_server.py speaks one of its subprotocols only.
    config.kernel.subprotocols = vec!["chat".into()];
    let server = TestServer::start(config).await;
    let mut client = SessionClient::ready(&server).await;
    client.execute("c1", "fail-me").await;
    assert_eq!(
        client.kernel_closed().await,
        (Some(1011), "internal error".into())
    );
}

#[tokio::test]
async fn a_killed_kernel_process_is_a_drop_and_the_link_reconnects_to_its_successor() {
    let (mut first, port) = crate::peers::python_server("upstream_server.py", &[]).await;
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://127.0.0.1:{port}/ws"));
    // upstream_server.py speaks one of its subprotocols only.
    config.kernel.subprotocols = vec!["chat".into()];
    config.kernel.reconnect = true;
    let server = TestServer::start(config).await;
    let mut client = SessionClient::ready(&server).await;
    first.kill().await.unwrap();
    let lost = client
        .wait_kernel(|s| matches!(s, KernelState::Reconnecting { .. }))
        .await;
    let KernelState::Reconnecting { reason, .. } = lost else {
        unreachable!()
    };
    // No close frame came: the connection dropped (1006 in the inspector's words).
    assert!(reason.contains("without a close frame"), "{reason}");
    assert!(reason.starts_with("1006 Abnormal Closure: "), "{reason}");
    // A retry that fails reports its own reason and still says how the connection was lost.
    let retry = client
        .wait_kernel(|s| matches!(s, KernelState::Reconnecting { attempt: 2.., .. }))
        .await;
    let KernelState::Reconnecting {
        reason: retry_reason,
        lost,
        ..
    } = retry
    else {
        unreachable!()
    };
    assert!(retry_reason.contains("refused"), "{retry_reason}");
    assert_eq!(lost, reason);
    let port_arg = port.to_string();
    let (_second, again) =
        crate::peers::python_server("upstream_server.py", &["--port", &port_arg]).await;
    assert_eq!(again, port);
    // Attempts keep failing (refused) until the successor listens, then one opens.
    client
        .wait_kernel(|s| matches!(s, KernelState::Open { .. }))
        .await;
    client.execute("c2", "after the restart").await;
    let echoed = client
        .wait_for(|m| matches!(m, ServerMsg::Output { cell_id, .. } if cell_id == "c2"))
        .await;
    assert!(matches!(echoed, ServerMsg::Output { .. }));
}
