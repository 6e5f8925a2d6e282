//! Closing WebSockets: the close frames and the time limits that every connection shares.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Error as WsError;

/// How long a peer may take to answer our close frame before we drop the connection.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The close frame every socket gets when the server stops (1001 Going Away).
pub fn shutting_down() -> CloseFrame {
    CloseFrame {
        code: CloseCode::Away,
        reason: "server shutting down".into(),
    }
}

/// The close frame for a message over the size limit (1009 Message Too Big).
pub fn too_big(size: usize, max_size: usize) -> CloseFrame {
    CloseFrame {
        code: CloseCode::Size,
        reason: format!("message of {size} bytes is over the {max_size}-byte limit").into(),
    }
}

/// The close frame that fails a connection after the peer broke the protocol (RFC 6455 §7.1.7):
/// 1002 for a frame-level violation, 1007 for text that is not UTF-8, with tungstenite's words
/// as the reason. tungstenite reports these as errors and sends nothing itself, so the
/// connection's task sends this, then drains and drops the connection. `None` for errors that
/// are not the peer's fault (IO, closed connections, size limits: those have their own path).
pub fn protocol_failure(error: &WsError) -> Option<CloseFrame> {
    let code = match error {
        WsError::Protocol(_) => CloseCode::Protocol,
        WsError::Utf8(_) => CloseCode::Invalid,
        _ => return None,
    };
    let mut reason = error.to_string();
    // A close reason has room for 123 bytes.
    if reason.len() > 123 {
        let mut end = 123;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    Some(CloseFrame {
        code,
        reason: reason.into(),
    })
}

/// Sleeps until `deadline`, or forever without one (for an optional `select!` branch).
pub async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The close frame tungstenite answers `received` with (it queues the reply itself): the same
/// frame, or 1002 when the code may not be sent on the wire. Kept in step with tungstenite's
/// `do_close` so the capture records what actually goes out.
pub fn reply_to(received: &Option<CloseFrame>) -> Option<CloseFrame> {
    received.as_ref().map(|frame| {
        if frame.code.is_allowed() {
            frame.clone()
        } else {
            CloseFrame {
                code: CloseCode::Protocol,
                reason: "Protocol violation".into(),
            }
        }
    })
}

/// After a fatal read error (the codec is unusable mid-frame) and our close frame went out:
/// half-close and read what the peer still sends until it hangs up, so that closing the
/// socket does not turn into a reset that could destroy the close frame in flight.
pub async fn drain<S>(io: &mut S)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = io.shutdown().await;
    let mut buf = vec![0u8; 16 * 1024];
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Ok(n) = io.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_mirror_tungstenite() {
        let frame = CloseFrame {
            code: CloseCode::Library(4000),
            reason: "bye".into(),
        };
        assert_eq!(reply_to(&Some(frame.clone())), Some(frame));
        assert_eq!(reply_to(&None), None);
        let reserved = CloseFrame {
            code: CloseCode::Status,
            reason: "".into(),
        };
        assert_eq!(
            reply_to(&Some(reserved)).map(|f| u16::from(f.code)),
            Some(1002)
        );
    }

    #[test]
    fn protocol_failures_close_with_1002_or_1007() {
        use tokio_tungstenite::tungstenite::error::ProtocolError;
        let frame =
            protocol_failure(&WsError::Protocol(ProtocolError::UnmaskedFrameFromClient)).unwrap();
        assert_eq!(frame.code, CloseCode::Protocol);
        assert!(frame.reason.contains("unmasked"), "{}", frame.reason);
        let frame = protocol_failure(&WsError::Utf8("x".repeat(300))).unwrap();
        assert_eq!(frame.code, CloseCode::Invalid);
        assert!(frame.reason.len() <= 123);
        assert!(protocol_failure(&WsError::ConnectionClosed).is_none());
    }

    #[tokio::test]
    async fn drain_reads_until_the_peer_hangs_up() {
        let (mut ours, mut theirs) = tokio::io::duplex(64);
        let peer = tokio::spawn(async move {
            theirs.write_all(b"unread bytes").await.unwrap();
            let mut rest = Vec::new();
            // Our half-close reaches the peer as EOF.
            theirs.read_to_end(&mut rest).await.unwrap();
            rest
        });
        drain(&mut ours).await;
        assert!(peer.await.unwrap().is_empty());
    }
}
