//! Demo endpoints: WebSocket peers that behave in ways worth watching in the inspector, served
//! without the token like `/echo`, on hop `endpoint`.
//!
//! - `/demo/push?interval_ms=N` pushes a text message by itself every N ms (default 1000,
//!   10–60000): `{"n":1,"time_ms":…}` with a counter and the server's clock.
//! - `/demo/close?code=C&reason=R` closes right away with that code (default 1000) and reason.
//! - `/demo/fragmented?size=N` echoes every data message split into frames of N payload bytes
//!   (default 4, 1–65536): a first frame, then continuation frames.
//!
//! Query parameters are checked before the upgrade: a bad one is a `400` saying why (a close
//! code that may not be sent on the wire, an interval out of bounds…). Pings are answered and
//! closes returned by tungstenite, as on `/echo`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use crate::capture::links::{Links, Tag};
use crate::capture::tap::TapConnectInfo;
use crate::shutdown::Shutdown;
use crate::state::App;
use crate::websocket::close::{protocol_failure, shutting_down, too_big, CLOSE_GRACE};
use crate::websocket::upgrade::{Accepted, ServerSocket};

/// `/demo/push`'s parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Push {
    pub interval: Duration,
}

/// `/demo/close`'s parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

/// `/demo/fragmented`'s parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragmented {
    pub size: usize,
}

fn params(query: Option<&str>) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
}

fn number(name: &str, value: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, String> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            format!(
                "{name}={value:?}: expected a whole number from {} to {}",
                range.start(),
                range.end()
            )
        })
}

/// The whole number `name=` says in `query` (the last one), which must lie in `range`;
/// `default` when the query does not name it.
fn number_param(
    query: Option<&str>,
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, String> {
    let mut found = default;
    for (key, value) in params(query) {
        if key == name {
            found = number(name, &value, range.clone())?;
        }
    }
    Ok(found)
}

impl Push {
    pub fn from_query(query: Option<&str>) -> Result<Self, String> {
        let interval_ms = number_param(query, "interval_ms", 1000, 10..=60_000)?;
        Ok(Push {
            interval: Duration::from_millis(interval_ms),
        })
    }
}

/// Whether a close code may be sent in a close frame (RFC 6455 §7.4, IANA's registry): 1000–1003
/// and 1007–1014 are defined, 3000–4999 are for libraries and applications; 1004–1006 and 1015
/// are reserved (1005 and 1006 mean "none" and "dropped" and never travel), and so are the rest.
pub fn may_send(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

impl Close {
    pub fn from_query(query: Option<&str>) -> Result<Self, String> {
        let mut close = Close {
            code: 1000,
            reason: String::new(),
        };
        for (name, value) in params(query) {
            match name.as_str() {
                "code" => {
                    let code = number("code", &value, 0..=u64::from(u16::MAX))?;
                    let code = u16::try_from(code).unwrap_or(u16::MAX);
                    if !may_send(code) {
                        return Err(format!(
                            "code={code} may not be sent in a close frame: use 1000-1003, 1007-1014 or 3000-4999"
                        ));
                    }
                    close.code = code;
                }
                "reason" => {
                    if value.len() > 123 {
                        return Err(format!(
                            "the reason is {} bytes of UTF-8; a close frame has room for 123",
                            value.len()
                        ));
                    }
                    close.reason = value;
                }
                _ => {}
            }
        }
        Ok(close)
    }
}

impl Fragmented {
    pub fn from_query(query: Option<&str>) -> Result<Self, String> {
        let size = number_param(query, "size", 4, 1..=65_536)?;
        Ok(Fragmented {
            size: usize::try_from(size).unwrap_or(65_536),
        })
    }
}

/// Splits a message's payload into frames of at most `size` bytes: the first carries the
/// message's opcode, the others are continuations, the last is final.
pub fn fragments(opcode: Data, payload: &[u8], size: usize) -> Vec<Frame> {
    let size = size.max(1);
    let pieces: Vec<&[u8]> = if payload.is_empty() {
        vec![payload]
    } else {
        payload.chunks(size).collect()
    };
    let last = pieces.len() - 1;
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let opcode = if i == 0 { opcode } else { Data::Continue };
            Frame::message(piece.to_vec(), OpCode::Data(opcode), i == last)
        })
        .collect()
}

/// Serves a demo: its settings read from the query by `parse` (a 400 saying why when they do
/// not parse), then the socket, run by `run`.
fn serve_demo<Q, F, Fut>(
    app: &App,
    connection: &TapConnectInfo,
    request: Request,
    parse: fn(Option<&str>) -> Result<Q, String>,
    run: F,
) -> Response
where
    Q: Send + 'static,
    F: FnOnce(Accepted, Q, Shutdown) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = String> + Send + 'static,
{
    let settings = match parse(request.uri().query()) {
        Ok(settings) => settings,
        Err(why) => return (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response(),
    };
    super::accept(app, connection, request, move |accepted, shutdown| {
        run(accepted, settings, shutdown)
    })
}

/// `GET /demo/push`.
pub async fn push(
    State(app): State<App>,
    ConnectInfo(connection): ConnectInfo<TapConnectInfo>,
    request: Request,
) -> Response {
    serve_demo(&app, &connection, request, Push::from_query, run_push)
}

/// `GET /demo/close`.
pub async fn close(
    State(app): State<App>,
    ConnectInfo(connection): ConnectInfo<TapConnectInfo>,
    request: Request,
) -> Response {
    serve_demo(
        &app,
        &connection,
        request,
        Close::from_query,
        |accepted, close, _| run_close(accepted, close),
    )
}

/// `GET /demo/fragmented`.
pub async fn fragmented(
    State(app): State<App>,
    ConnectInfo(connection): ConnectInfo<TapConnectInfo>,
    request: Request,
) -> Response {
    serve_demo(
        &app,
        &connection,
        request,
        Fragmented::from_query,
        run_fragmented,
    )
}

/// What a demo loop does with a message it read.
enum Read {
    Data(Message),
    /// The connection is over (or closing): this says how.
    End(String),
}

/// Reads the next message; pings, pongs and the close reply are tungstenite's business.
async fn read(socket: &mut ServerSocket) -> Read {
    loop {
        match socket.next().await {
            None => return Read::End("the peer hung up".into()),
            Some(Ok(Message::Close(frame))) => {
                // tungstenite queued the same close as the answer; flush it.
                let _ = socket.flush().await;
                let said = frame.map_or("no code".to_string(), |f| {
                    format!("{} {}", u16::from(f.code), f.reason)
                });
                return Read::End(format!("the peer closed ({said})"));
            }
            Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                return Read::Data(message)
            }
            Some(Ok(_)) => {}
            Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                let _ = socket
                    .send(Message::Close(Some(too_big(size, max_size))))
                    .await;
                return Read::End(
                    "the peer sent a message over the limit; closed with 1009".into(),
                );
            }
            Some(Err(error)) => {
                if let Some(frame) = protocol_failure(&error) {
                    let _ = socket.send(Message::Close(Some(frame))).await;
                }
                return Read::End(format!("connection failed: {error}"));
            }
        }
    }
}

/// Sends our close frame and waits (a little) for the peer's answer.
async fn close_with(socket: &mut ServerSocket, frame: CloseFrame) {
    if socket.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

async fn run_push(mut accepted: Accepted, push: Push, shutdown: Shutdown) -> String {
    let socket = &mut accepted.socket;
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + push.interval, push.interval);
    // A slow reader gets fewer messages rather than a backlog.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                n += 1;
                let text = format!(r#"{{"n":{n},"time_ms":{}}}"#, now_ms());
                if let Err(error) = socket.send(Message::text(text)).await {
                    return format!("sending failed: {error}");
                }
            }
            read = read(socket) => {
                // What the peer sends is read (and shown) but not answered.
                if let Read::End(reason) = read {
                    return reason;
                }
                let _ = accepted.links.received_seq();
            }
            () = shutdown.triggered() => {
                close_with(socket, shutting_down()).await;
                return "server shutting down".into();
            }
        }
    }
}

async fn run_close(mut accepted: Accepted, close: Close) -> String {
    let frame = CloseFrame {
        code: CloseCode::from(close.code),
        reason: close.reason.clone().into(),
    };
    close_with(&mut accepted.socket, frame).await;
    format!("closed with {} as asked", close.code)
}

async fn run_fragmented(
    mut accepted: Accepted,
    fragmented: Fragmented,
    shutdown: Shutdown,
) -> String {
    let socket = &mut accepted.socket;
    let links: &Links = &accepted.links;
    loop {
        let message = tokio::select! {
            read = read(socket) => match read {
                Read::Data(message) => message,
                Read::End(reason) => return reason,
            },
            () = shutdown.triggered() => {
                close_with(socket, shutting_down()).await;
                return "server shutting down".into();
            }
        };
        let source = links.received_seq();
        let (opcode, payload) = match &message {
            Message::Text(text) => (Data::Text, text.as_bytes()),
            Message::Binary(bytes) => (Data::Binary, &bytes[..]),
            _ => continue,
        };
        links.tag_next(source.map_or(Tag::Plain, Tag::CausedBy));
        for frame in fragments(opcode, payload, fragmented.size) {
            if let Err(error) = socket.feed(Message::Frame(frame)).await {
                return format!("sending failed: {error}");
            }
        }
        if let Err(error) = socket.flush().await {
            return format!("sending failed: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_intervals_are_bounded() {
        assert_eq!(
            Push::from_query(None).unwrap().interval,
            Duration::from_secs(1)
        );
        assert_eq!(
            Push::from_query(Some("interval_ms=10")).unwrap().interval,
            Duration::from_millis(10)
        );
        for bad in [
            "interval_ms=9",
            "interval_ms=60001",
            "interval_ms=x",
            "interval_ms=-1",
        ] {
            let err = Push::from_query(Some(bad)).unwrap_err();
            assert!(err.contains("from 10 to 60000"), "{bad}: {err}");
        }
    }

    #[test]
    fn close_codes_that_may_not_be_sent_are_refused() {
        let close = Close::from_query(Some("code=4000&reason=see+you")).unwrap();
        assert_eq!(
            close,
            Close {
                code: 4000,
                reason: "see you".into()
            }
        );
        assert_eq!(Close::from_query(None).unwrap().code, 1000);
        for code in [1000, 1003, 1007, 1011, 1014, 3000, 4999] {
            assert!(may_send(code), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            assert!(!may_send(code), "{code}");
            let err = Close::from_query(Some(&format!("code={code}"))).unwrap_err();
            assert!(err.contains("may not be sent"), "{err}");
        }
        assert!(Close::from_query(Some("code=70000")).is_err());
        let long = format!("reason={}", "é".repeat(62));
        assert!(Close::from_query(Some(&long))
            .unwrap_err()
            .contains("124 bytes"));
    }

    #[test]
    fn messages_split_into_continuation_frames() {
        let frames = fragments(Data::Text, b"abcdefghij", 4);
        let shape: Vec<(OpCode, bool, Vec<u8>)> = frames
            .iter()
            .map(|f| (f.header().opcode, f.header().is_final, f.payload().to_vec()))
            .collect();
        assert_eq!(
            shape,
            [
                (OpCode::Data(Data::Text), false, b"abcd".to_vec()),
                (OpCode::Data(Data::Continue), false, b"efgh".to_vec()),
                (OpCode::Data(Data::Continue), true, b"ij".to_vec()),
            ]
        );
        let one = fragments(Data::Binary, b"", 4);
        assert_eq!(one.len(), 1);
        assert!(one[0].header().is_final);
        assert_eq!(Fragmented::from_query(None).unwrap().size, 4);
        assert!(Fragmented::from_query(Some("size=0")).is_err());
        assert!(Fragmented::from_query(Some("size=65537")).is_err());
    }
}
