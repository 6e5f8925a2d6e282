//! The kernel's heartbeat: a REQ socket that sends a ping every few seconds and expects it
//! back. Each beat is recorded (`CaptureBody::Heartbeat`) with its round-trip time, or as
//! missed. A REQ socket that missed its reply cannot send again, so a miss makes a new socket.
//!
//! A missed beat does not end the link by itself: a busy kernel can be slow to echo, and a
//! dead process is seen by the link when it exits.

use std::time::Duration;

use tokio::time::Instant;
use wirebook_shared::CaptureBody;
use zeromq::{ReqSocket, Socket, SocketOptions, SocketRecv, SocketSend, ZmqMessage};

use crate::capture::recorder::Recorder;

/// Time between beats.
pub const INTERVAL: Duration = Duration::from_secs(3);
/// How long a beat may take before it counts as missed.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Beats until aborted.
pub async fn beat(endpoint: String, recorder: Recorder) {
    let mut socket: Option<ReqSocket> = None;
    let mut next = Instant::now() + INTERVAL;
    loop {
        tokio::time::sleep_until(next).await;
        next += INTERVAL;
        let mut current = match socket.take() {
            Some(socket) => socket,
            None => match connect(&endpoint).await {
                Some(socket) => socket,
                None => {
                    recorder.record(CaptureBody::Heartbeat {
                        ok: false,
                        rtt_us: None,
                    });
                    continue;
                }
            },
        };
        let started = Instant::now();
        let answered = tokio::time::timeout(TIMEOUT, async {
            current.send(ZmqMessage::from("ping")).await?;
            current.recv().await
        })
        .await;
        match answered {
            Ok(Ok(_)) => {
                let rtt = started.elapsed().as_micros();
                recorder.record(CaptureBody::Heartbeat {
                    ok: true,
                    rtt_us: Some(u64::try_from(rtt).unwrap_or(u64::MAX)),
                });
                socket = Some(current);
            }
            _ => {
                // `current` is dropped: the stuck REQ socket goes, the next beat connects anew.
                recorder.record(CaptureBody::Heartbeat {
                    ok: false,
                    rtt_us: None,
                });
            }
        }
    }
}

async fn connect(endpoint: &str) -> Option<ReqSocket> {
    let mut options = SocketOptions::default();
    options.connect_timeout(TIMEOUT);
    let mut socket = ReqSocket::with_options(options);
    match socket.connect(endpoint).await {
        Ok(()) => Some(socket),
        Err(error) => {
            tracing::debug!(%endpoint, %error, "cannot connect the heartbeat socket");
            None
        }
    }
}
