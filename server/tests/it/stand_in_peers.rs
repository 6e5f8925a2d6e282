//! Peers in Rust that stand in for a kernel or an upstream: a port nothing listens on, a peer
//! that refuses the upgrade, an echoing kernel that reports the headers it was dialled with.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::handshake::server::{
    Request as ServerRequest, Response as ServerResponse,
};
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// A port nothing listens on: a listener's, bound and dropped.
pub async fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A peer that answers every request with `status` (`404 Not Found`) and `body` instead of
/// upgrading: how a kernel or an upstream refuses a WebSocket.
pub async fn refusing_peer(status: &'static str, body: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = vec![0u8; 4096];
            let _ = socket.read(&mut head).await;
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    addr
}

/// The request headers a test kernel was dialled with.
pub struct SeenHeaders(Vec<(String, String)>);

impl SeenHeaders {
    /// The first value of header `name`, any case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A WebSocket kernel for one connection on a port of its own: it answers with the
/// subprotocol `v2`, echoes text, and hands over the headers it was dialled with.
pub async fn header_echo_kernel() -> (SocketAddr, oneshot::Receiver<SeenHeaders>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (saw, seen) = oneshot::channel();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        // The callback's signature is tungstenite's (its error is a whole HTTP response).
        #[allow(clippy::result_large_err)]
        let callback = move |request: &ServerRequest, mut response: ServerResponse| {
            let headers = request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let _ = saw.send(SeenHeaders(headers));
            response
                .headers_mut()
                .insert("sec-websocket-protocol", HeaderValue::from_static("v2"));
            Ok(response)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(stream, callback)
            .await
            .unwrap();
        while let Some(Ok(message)) = ws.next().await {
            if message.is_text() {
                ws.send(message).await.unwrap();
            }
        }
    });
    (addr, seen)
}
