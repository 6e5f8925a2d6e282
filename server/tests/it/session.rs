//! `/session`: the protocol, the relay to the echo kernel, and the capture of both hops.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::config::Config;
use wirebook_shared::{
    CaptureBody, Direction, Hop, KernelState, Opcode, ServerMsg, PROTOCOL_VERSION,
};

use crate::capture_records::{echo_legs, feed_recorded, find_text, messages, EchoLegs};
use crate::session_client::SessionClient;
use crate::stand_in_peers::closed_port;
use crate::support::{next_message, TestServer, TOKEN};

#[tokio::test]
async fn hello_kernel_execute_output_and_capture_of_both_hops() {
    let server = TestServer::with_defaults().await;
    let (mut client, hello) = SessionClient::open(&server).await;
    let ServerMsg::Hello {
        protocol,
        session_conn,
        kernel,
        server_version,
        instance,
    } = hello
    else {
        panic!("the first message must be Hello, got {hello:?}");
    };
    assert_eq!(protocol, PROTOCOL_VERSION);
    assert_eq!(server_version, env!("CARGO_PKG_VERSION"));
    assert!(!instance.is_empty());
    assert_eq!(kernel.name, "echo");
    assert_eq!(kernel.url, format!("ws://{}/echo", server.addr));

    // The kernel picker's entries come first, the startup kernel leading them.
    let ServerMsg::Kernels { kernels, .. } = client.next().await else {
        panic!("Kernels follows Hello")
    };
    assert_eq!(kernels[0].choice, wirebook_shared::KernelChoice::Startup);
    assert_eq!(kernels[0].display_name, "echo");
    client.expect_kernel_opening().await;

    client.echo("c1", "hai", 1).await;

    // The capture shows all four legs, linked.
    client.capture_until_output().await;
    let records = &client.records;
    let EchoLegs {
        execute,
        upstream,
        reply,
        output,
    } = echo_legs(records, "hai");
    assert_eq!(execute.conn, session_conn);
    assert_ne!(upstream.conn, session_conn);
    assert_eq!(reply.conn, upstream.conn);
    assert!(execute.seq < upstream.seq && upstream.seq < reply.seq && reply.seq < output.seq);
    // Both connections were opened, and Hello itself is on record.
    for (hop, conn) in [(Hop::Browser, session_conn), (Hop::Kernel, upstream.conn)] {
        assert!(
            records.iter().any(|r| r.hop == hop
                && r.conn == conn
                && matches!(r.body, CaptureBody::Open { .. })),
            "no open record for {hop:?}"
        );
    }
    assert!(find_text(
        records,
        Hop::Browser,
        Direction::ToClient,
        r#""type":"hello""#
    )
    .is_some());
    // The inspector's own feed is not recorded.
    assert!(!feed_recorded(records));
    // Seqs only grow.
    assert!(records.windows(2).all(|w| w[0].seq < w[1].seq));

    client.echo("c2", "again", 2).await;
}

#[tokio::test]
async fn a_second_session_gets_the_backlog() {
    let server = TestServer::with_defaults().await;
    let mut first = SessionClient::ready(&server).await;
    first.run_to_output("c1", "earlier").await;

    let (mut second, _) = SessionClient::open(&server).await;
    second
        .capture_until(|records| {
            find_text(records, Hop::Kernel, Direction::ToClient, "earlier").is_some()
        })
        .await;
    assert_eq!(second.evicted, 0);
}

#[tokio::test]
async fn bad_messages_get_errors_and_the_session_goes_on() {
    let server = TestServer::with_defaults().await;
    let mut client = SessionClient::ready(&server).await;

    client.send_raw(Message::text("not json")).await;
    let ServerMsg::Error { message, cell_id } = client.next().await else {
        panic!("expected an error");
    };
    assert!(message.contains("invalid session message"), "{message}");
    assert_eq!(cell_id, None);

    client
        .send_raw(Message::text(r#"{"type":"explode"}"#))
        .await;
    let ServerMsg::Error { message, .. } = client.next().await else {
        panic!("expected an error");
    };
    assert!(message.contains("explode"), "{message}");

    client.send_raw(Message::Binary(vec![1, 2, 3].into())).await;
    let ServerMsg::Error { message, .. } = client.next().await else {
        panic!("expected an error");
    };
    assert!(message.contains("binary"), "{message}");

    client.echo("c1", "still here", 1).await;
}

#[tokio::test]
async fn an_oversize_message_closes_with_1009() {
    let mut config = Config::new(TOKEN);
    config.websocket.max_message_size = 1024;
    let server = TestServer::start(config).await;
    let mut client = SessionClient::ready(&server).await;
    client.send_raw(Message::text("x".repeat(2048))).await;
    loop {
        match next_message(&mut client.socket).await {
            Message::Close(Some(frame)) => {
                assert_eq!(frame.code, CloseCode::Size);
                break;
            }
            Message::Text(_) => continue,
            other => panic!("expected close 1009, got {other:?}"),
        }
    }
}

/// A kernel that echoes the first message of each connection, then closes with 1000 "bye".
async fn one_shot_kernel() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                if let Some(Ok(message)) = ws.next().await {
                    let _ = ws.send(message).await;
                }
                let bye = CloseFrame {
                    code: CloseCode::Normal,
                    reason: "bye".into(),
                };
                let _ = ws.close(Some(bye)).await;
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_closed_kernel_is_reported_and_reconnected_by_the_next_execute() {
    let kernel = one_shot_kernel().await;
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://{kernel}/"));
    let server = TestServer::start(config).await;
    let mut client = SessionClient::ready(&server).await;

    client.echo("c1", "one", 1).await;
    assert_eq!(
        client.next().await,
        ServerMsg::Kernel {
            state: KernelState::Closed {
                code: Some(1000),
                reason: "bye".into()
            }
        }
    );

    client.execute("c2", "two").await;
    client.expect_kernel_opening().await;
    client.expect_echo("c2", "two", 2).await;
}

#[tokio::test]
async fn restart_kernel_reconnects_and_counts_from_one() {
    let server = TestServer::with_defaults().await;
    let mut client = SessionClient::ready(&server).await;
    client.execute("c1", "before").await;
    client
        .wait_for(|m| matches!(m, ServerMsg::Output { cell_id, .. } if cell_id == "c1"))
        .await;

    client
        .send(&wirebook_shared::ClientMsg::RestartKernel)
        .await;
    // The old connection's end is not reported: the browser sees the new one come up.
    client.expect_kernel_opening().await;
    client.echo("c2", "after", 1).await;
}

#[tokio::test]
async fn an_unreachable_kernel_fails_and_the_cell_gets_an_error() {
    // Bind and drop a listener: nothing listens on that port afterwards.
    let port = closed_port().await;
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("ws://127.0.0.1:{port}/"));
    let server = TestServer::start(config).await;
    let (mut client, _) = SessionClient::open(&server).await;
    let message = client.kernel_failed().await;
    assert!(message.contains("cannot connect"), "{message}");

    client.execute("c1", "lost?").await;
    assert_eq!(
        client.next().await,
        ServerMsg::Kernel {
            state: KernelState::Connecting
        }
    );
    let ServerMsg::Error { cell_id, message } = client.next().await else {
        panic!("expected an error for the cell");
    };
    assert_eq!(cell_id.as_deref(), Some("c1"));
    assert!(message.contains("before the code was sent"), "{message}");
    assert!(matches!(
        client.next().await,
        ServerMsg::Kernel {
            state: KernelState::Failed { .. }
        }
    ));
}

#[tokio::test]
async fn a_browser_ping_gets_exactly_one_pong_and_is_recorded() {
    let server = TestServer::with_defaults().await;
    let mut client = SessionClient::ready(&server).await;
    for payload in [b"p1", b"p2"] {
        client
            .send_raw(Message::Ping(payload.to_vec().into()))
            .await;
        // Capture batches may come first; a duplicate pong of p1 would show up for p2.
        loop {
            match next_message(&mut client.socket).await {
                Message::Text(_) => continue,
                Message::Pong(got) => {
                    assert_eq!(&got[..], payload);
                    break;
                }
                other => panic!("expected a pong, got {other:?}"),
            }
        }
    }
    client
        .capture_until(|records| {
            messages(records).any(|(_, frame, message)| {
                frame.direction == Direction::ToClient
                    && message.opcode == Opcode::Pong
                    && message.preview == "7032"
            })
        })
        .await;
}
