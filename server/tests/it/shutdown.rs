//! Graceful shutdown: every socket gets 1001, kernel links close, `serve` returns.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::session_client::SessionClient;
use crate::support::{connect, next_message, within, Client, TestServer};

/// Reads until the server's close frame; returns its code. Then reads on, which sends our
/// answer, until the server hangs up.
async fn close_code(client: &mut Client) -> CloseCode {
    let code = loop {
        match next_message(client).await {
            Message::Close(Some(frame)) => break frame.code,
            Message::Text(_) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    while let Some(Ok(_)) = within(client.next()).await {}
    code
}

#[tokio::test]
async fn sockets_get_1001_and_serve_returns() {
    let mut server = TestServer::with_defaults().await;
    let mut session = SessionClient::ready(&server).await;
    let mut echo = connect(server.request("/echo", &[])).await;

    server.stop();
    let (session_code, echo_code) =
        tokio::join!(close_code(&mut session.socket), close_code(&mut echo));
    assert_eq!(session_code, CloseCode::Away);
    assert_eq!(echo_code, CloseCode::Away);

    let served = tokio::time::timeout(Duration::from_secs(8), &mut server.handle)
        .await
        .expect("serve returns within the bound");
    served
        .expect("serve did not panic")
        .expect("serve succeeded");
    assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
}
