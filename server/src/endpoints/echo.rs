//! `/echo`: the built-in kernel, and a WebSocket peer for any client (wsdump, browsers, tests).
//!
//! Text comes back as text, binary as binary, a ping is answered with a pong carrying the same
//! payload, and a close is answered with the same close code. The loop is generic over a
//! `Sink`/`Stream` of tungstenite [`Message`]s so unit tests drive it with channels.
//!
//! Each echo is tagged, through the connection's [`Links`], as caused by the record of the
//! message it echoes, so the inspector can point from a reply to its request.
//!
//! The close answer is tungstenite's: on reading a close frame it queues the reply itself (and
//! refuses further sends), so the loop only flushes it.

use std::fmt::Display;

use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::Message;

use crate::capture::links::{Links, Tag};
use crate::capture::tap::TapConnectInfo;
use crate::shutdown::Shutdown;
use crate::state::App;
use crate::websocket::close::{
    self, protocol_failure, shutting_down, sleep_until, too_big, CLOSE_GRACE,
};

/// How an echo connection ended without an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The close handshake finished or the peer hung up.
    Closed,
    /// The peer sent a message over the limit; a 1009 close went out and the codec is unusable.
    TooBig,
    /// The peer broke the protocol; a 1002 (or 1007) close went out and the codec is unusable.
    /// Says what happened.
    Failed(String),
}

/// Echoes until the peer closes, the connection fails, or the server shuts down. `links` is
/// the connection's tap's: it says which record each received message is, and tags the echo.
pub async fn run<Si, St>(
    mut sink: Si,
    mut stream: St,
    links: &Links,
    shutdown: Shutdown,
) -> Result<End, String>
where
    Si: Sink<Message> + Unpin,
    Si::Error: Display,
    St: Stream<Item = Result<Message, WsError>> + Unpin,
{
    links.track_received();
    // Set once we sent our own close frame: then we only wait for the answer.
    let mut closing: Option<Instant> = None;
    loop {
        let deadline = closing;
        tokio::select! {
            () = shutdown.triggered(), if closing.is_none() => {
                closing = Some(Instant::now() + CLOSE_GRACE);
                send(&mut sink, Message::Close(Some(shutting_down()))).await?;
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                return Err("the peer did not answer our close frame".into());
            }
            next = stream.next() => {
                let message = match next {
                    None => return Ok(End::Closed),
                    Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                        send(&mut sink, Message::Close(Some(too_big(size, max_size)))).await?;
                        return Ok(End::TooBig);
                    }
                    Some(Err(error)) => {
                        let Some(frame) = protocol_failure(&error) else {
                            return Err(error.to_string());
                        };
                        let reason = format!("{error}; closed with {}", u16::from(frame.code));
                        send(&mut sink, Message::Close(Some(frame))).await?;
                        return Ok(End::Failed(reason));
                    }
                    Some(Ok(message)) => message,
                };
                // One `received_seq` per data message, echoed or not, keeps the queue in step.
                let source = match message {
                    Message::Text(_) | Message::Binary(_) => links.received_seq(),
                    _ => None,
                };
                match message {
                    Message::Text(_) | Message::Binary(_) if closing.is_none() => {
                        links.tag_next(source.map_or(Tag::Plain, Tag::CausedBy));
                        send(&mut sink, message).await?;
                    }
                    Message::Ping(payload) if closing.is_none() => {
                        send(&mut sink, Message::Pong(payload)).await?;
                    }
                    Message::Close(_) => {
                        // Flushes the close reply tungstenite queued.
                        sink.flush().await.map_err(|error| error.to_string())?;
                        return Ok(End::Closed);
                    }
                    _ => {}
                }
            }
        }
    }
}

async fn send<Si>(sink: &mut Si, message: Message) -> Result<(), String>
where
    Si: Sink<Message> + Unpin,
    Si::Error: Display,
{
    sink.send(message).await.map_err(|error| error.to_string())
}

/// `GET /echo`: upgrades and echoes; without the token, messages are limited to
/// [`crate::config::ANONYMOUS_MESSAGE_SIZE`].
pub async fn socket(
    State(app): State<App>,
    ConnectInfo(connection): ConnectInfo<TapConnectInfo>,
    request: Request,
) -> Response {
    super::accept(
        &app,
        &connection,
        request,
        |accepted, shutdown| async move {
            let (mut sink, mut stream) = accepted.socket.split();
            match run(&mut sink, &mut stream, &accepted.links, shutdown).await {
                Ok(End::Closed) => "closed".to_string(),
                Ok(end @ (End::TooBig | End::Failed(_))) => {
                    if let Ok(mut socket) = stream.reunite(sink) {
                        close::drain(socket.get_mut()).await;
                    }
                    match end {
                        End::Failed(reason) => format!("the peer broke the protocol: {reason}"),
                        _ => "the peer sent a message over the limit; closed with 1009".to_string(),
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "echo connection ended");
                    format!("connection failed: {error}")
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;

    struct Peer {
        to_echo: mpsc::UnboundedSender<Result<Message, WsError>>,
        from_echo: mpsc::UnboundedReceiver<Message>,
        task: tokio::task::JoinHandle<Result<End, String>>,
    }

    fn start(shutdown: Shutdown) -> Peer {
        let (to_echo, rx) = mpsc::unbounded_channel::<Result<Message, WsError>>();
        let (tx, from_echo) = mpsc::unbounded_channel::<Message>();
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let sink = futures_util::sink::unfold(tx, |tx, message: Message| async move {
            tx.send(message).map(|()| tx).map_err(|e| e.to_string())
        });
        let task = tokio::spawn(async move {
            let links = Links::default();
            run(Box::pin(sink), Box::pin(stream), &links, shutdown).await
        });
        Peer {
            to_echo,
            from_echo,
            task,
        }
    }

    #[tokio::test]
    async fn echoes_data_and_pings_until_the_peer_closes() {
        let mut peer = start(Shutdown::new());
        let messages = [
            Message::text("hai"),
            Message::Binary(vec![0, 1, 255].into()),
        ];
        for message in messages {
            peer.to_echo.send(Ok(message.clone())).unwrap();
            assert_eq!(peer.from_echo.recv().await, Some(message));
        }
        peer.to_echo
            .send(Ok(Message::Ping(vec![7, 8].into())))
            .unwrap();
        assert_eq!(
            peer.from_echo.recv().await,
            Some(Message::Pong(vec![7, 8].into()))
        );
        // Pongs are not answered; a close ends the loop (tungstenite sends the reply).
        peer.to_echo
            .send(Ok(Message::Pong(vec![1].into())))
            .unwrap();
        let close = Message::Close(Some(CloseFrame {
            code: CloseCode::Library(4000),
            reason: "done".into(),
        }));
        peer.to_echo.send(Ok(close)).unwrap();
        assert_eq!(peer.task.await.unwrap(), Ok(End::Closed));
        assert!(peer.from_echo.recv().await.is_none());
    }

    #[tokio::test]
    async fn reports_a_failed_connection() {
        let peer = start(Shutdown::new());
        let broken = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        peer.to_echo.send(Err(WsError::Io(broken))).unwrap();
        let result = peer.task.await.unwrap();
        assert!(result.unwrap_err().contains("reset by peer"));
    }

    #[tokio::test]
    async fn fails_a_peer_that_breaks_the_protocol_with_1002_or_1007() {
        use tokio_tungstenite::tungstenite::error::ProtocolError;
        for (error, code) in [
            (
                WsError::Protocol(ProtocolError::UnmaskedFrameFromClient),
                1002,
            ),
            (WsError::Utf8("bad text".into()), 1007),
        ] {
            let mut peer = start(Shutdown::new());
            peer.to_echo.send(Err(error)).unwrap();
            let Ok(End::Failed(reason)) = peer.task.await.unwrap() else {
                panic!("expected a failed connection");
            };
            assert!(reason.ends_with(&format!("closed with {code}")), "{reason}");
            let Some(Message::Close(Some(frame))) = peer.from_echo.recv().await else {
                panic!("expected a close frame");
            };
            assert_eq!(u16::from(frame.code), code);
        }
    }

    #[tokio::test]
    async fn answers_an_oversize_message_with_1009() {
        let mut peer = start(Shutdown::new());
        peer.to_echo
            .send(Err(WsError::Capacity(CapacityError::MessageTooLong {
                size: 20,
                max_size: 10,
            })))
            .unwrap();
        assert_eq!(peer.task.await.unwrap(), Ok(End::TooBig));
        let Some(Message::Close(Some(frame))) = peer.from_echo.recv().await else {
            panic!("expected a close frame");
        };
        assert_eq!(u16::from(frame.code), 1009);
    }

    #[tokio::test]
    async fn closes_with_1001_on_shutdown() {
        let shutdown = Shutdown::new();
        let mut peer = start(shutdown.clone());
        shutdown.trigger();
        assert_eq!(
            peer.from_echo.recv().await,
            Some(Message::Close(Some(shutting_down())))
        );
        // Data after our close is not echoed; the close answer ends the loop.
        peer.to_echo.send(Ok(Message::text("late"))).unwrap();
        peer.to_echo.send(Ok(Message::Close(None))).unwrap();
        assert_eq!(peer.task.await.unwrap(), Ok(End::Closed));
        assert!(peer.from_echo.recv().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_on_a_peer_that_never_answers_the_close() {
        let shutdown = Shutdown::new();
        let mut peer = start(shutdown.clone());
        shutdown.trigger();
        assert!(peer.from_echo.recv().await.is_some());
        let result = peer.task.await.unwrap();
        assert!(result.unwrap_err().contains("did not answer"));
        drop(peer.to_echo);
    }
}
