//! `/echo` against a tokio-tungstenite client.

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::config::Config;

use crate::support::{connect, next_message, within, TestServer, TOKEN};

#[tokio::test]
async fn echoes_text_binary_ping_and_close_code() {
    let server = TestServer::with_defaults().await;
    // No token needed.
    let mut client = connect(server.request("/echo", &[])).await;

    client.send(Message::text("hai")).await.unwrap();
    assert_eq!(next_message(&mut client).await, Message::text("hai"));

    let bytes = vec![0u8, 255, 16];
    client
        .send(Message::Binary(bytes.clone().into()))
        .await
        .unwrap();
    assert_eq!(
        next_message(&mut client).await,
        Message::Binary(bytes.into())
    );

    client
        .send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    assert_eq!(
        next_message(&mut client).await,
        Message::Pong(b"are you there".to_vec().into())
    );

    let close = CloseFrame {
        code: CloseCode::Library(4000),
        reason: "done here".into(),
    };
    client
        .send(Message::Close(Some(close.clone())))
        .await
        .unwrap();
    assert_eq!(next_message(&mut client).await, Message::Close(Some(close)));
    // Then the server ends the connection.
    assert!(within(futures_util::StreamExt::next(&mut client))
        .await
        .is_none());
}

#[tokio::test]
async fn closes_an_oversize_message_with_1009() {
    let mut config = Config::new(TOKEN);
    config.websocket.max_message_size = 1024;
    let server = TestServer::start(config).await;
    let mut client = connect(server.request("/echo", &[])).await;
    client.send(Message::text("x".repeat(1024))).await.unwrap();
    assert_eq!(
        next_message(&mut client).await,
        Message::text("x".repeat(1024))
    );
    client.send(Message::text("x".repeat(4000))).await.unwrap();
    match next_message(&mut client).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected close 1009, got {other:?}"),
    }
}
