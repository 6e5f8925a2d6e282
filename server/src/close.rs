//! Closing WebSockets: the close frames and the time limits that every connection shares.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

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
