//! The byte tap: an `AsyncRead + AsyncWrite` wrapper around a connection's socket, below the
//! HTTP server and the WebSocket codec, that feeds a [`Trace`] exactly the bytes the peer sent
//! and the bytes actually written to it (what `poll_write` reports, not what was offered).
//!
//! Every WebSocket the server owns goes through one:
//! - Upstream (kernel) connections: [`Tap::client`] wraps the `TcpStream` before the client
//!   handshake, so the trace sees the request and response heads as sent, then the frames.
//! - Accepted connections: the accept loop (`crate::admission`) wraps every accepted
//!   `TcpStream` with [`Tap::accepted`].
//!   A tap starts *dormant*: it only keeps the raw bytes of the latest request head (skipping
//!   `Content-Length` bodies; a chunked body makes it lose track, and then it stays dormant).
//!   The upgrade handler finds the tap's [`TapHandle`] in [`TapConnectInfo`] and switches it
//!   to WebSocket mode: the trace gets the raw request head, then the `101` hyper writes, then
//!   frames. Were the raw head lost, it is rebuilt from the parsed request (and says so).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use wirebook_shared::wire::{parse_request, HeadReader, Parsed, Request};
use wirebook_shared::{Direction, Hop};

use crate::capture::links::Links;
use crate::capture::recorder::Recorder;
use crate::capture::ring::Capture;
use crate::capture::trace::Trace;

/// Bytes after an upgrade request kept while the handler decides (a client must wait for the
/// `101` before sending frames, so normally there are none).
const MAX_EARLY: usize = 64 * 1024;

/// A socket with a tap.
#[derive(Debug)]
pub struct Tap<IO> {
    io: IO,
    mode: Mode,
    shared: Arc<TapShared>,
    /// The direction of the bytes read (the peer's).
    reads: Direction,
}

#[derive(Debug)]
enum Mode {
    /// Capture is off, or this connection is not (or no longer) a WebSocket we trace.
    Off,
    /// An accepted HTTP connection that may become a WebSocket.
    Dormant(Box<RequestTracker>),
    Tracing(Box<Trace>),
}

/// What the tap shares with the connection's handler and task.
#[derive(Debug, Default)]
struct TapShared {
    links: Arc<Links>,
    /// Set (with `switch`) by the upgrade handler; the tap looks before every read and write.
    switch_pending: AtomicBool,
    switch: Mutex<Option<Switch>>,
}

#[derive(Debug)]
struct Switch {
    recorder: Recorder,
    /// The request head rebuilt from the parsed request, for a tap that lost track.
    rebuilt_head: Vec<u8>,
}

/// A handle on one connection's tap.
#[derive(Debug, Clone)]
pub struct TapHandle(Arc<TapShared>);

impl TapHandle {
    /// Tags and received records of the connection's data messages (see [`Links`]).
    pub fn links(&self) -> Arc<Links> {
        Arc::clone(&self.0.links)
    }

    /// Turns a dormant tap into a WebSocket trace recording on `recorder`. Call before the
    /// `101` is written. `rebuilt_head` stands in for the raw request head if the tap lost
    /// it. (The capture redacts wirebook's token from every handshake.)
    pub fn switch_to_websocket(&self, recorder: Recorder, rebuilt_head: Vec<u8>) {
        let mut slot = self
            .0
            .switch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Some(Switch {
            recorder,
            rebuilt_head,
        });
        self.0.switch_pending.store(true, Ordering::Release);
    }
}

impl<IO> Tap<IO> {
    /// A tap for a connection accepted by the server: dormant, or off without capture.
    pub fn accepted(io: IO, capture: bool) -> Self {
        Tap {
            io,
            mode: if capture {
                Mode::Dormant(Box::default())
            } else {
                Mode::Off
            },
            shared: Arc::default(),
            reads: Direction::ToServer,
        }
    }

    /// A tap for a connection this server opens as a WebSocket client; its first bytes are
    /// the handshake. Records nothing when the recorder's capture is off.
    pub fn client(io: IO, recorder: Recorder) -> Self {
        let shared: Arc<TapShared> = Arc::default();
        let mode = if recorder.capture().enabled() {
            let trace = Trace::new(recorder, Arc::clone(&shared.links), Direction::ToServer);
            Mode::Tracing(Box::new(trace))
        } else {
            Mode::Off
        };
        Tap {
            io,
            mode,
            shared,
            reads: Direction::ToClient,
        }
    }

    /// Redacts `secret` from the handshake this (client) tap records: a token the request
    /// carries for the peer, e.g. a Jupyter Server's `Authorization: token T`.
    pub fn redacting(mut self, secret: Option<Arc<str>>) -> Self {
        if let Mode::Tracing(trace) = std::mem::replace(&mut self.mode, Mode::Off) {
            self.mode = Mode::Tracing(Box::new(trace.redacting(secret)));
        }
        self
    }

    pub fn handle(&self) -> TapHandle {
        TapHandle(Arc::clone(&self.shared))
    }

    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// Takes a switch the handler asked for. Only a dormant tap switches: once tracing, or
    /// off, the tap does not look (the flag lives in another allocation, a cache miss per
    /// read and write on a busy server).
    #[inline]
    fn check_switch(&mut self) {
        if !matches!(self.mode, Mode::Dormant(_))
            || !self.shared.switch_pending.load(Ordering::Acquire)
        {
            return;
        }
        self.shared.switch_pending.store(false, Ordering::Relaxed);
        let switch = self
            .shared
            .switch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let Some(switch) = switch else { return };
        let Mode::Dormant(tracker) = std::mem::replace(&mut self.mode, Mode::Off) else {
            return; // Dormant, as checked above.
        };
        let mut trace = Trace::new(
            switch.recorder,
            Arc::clone(&self.shared.links),
            Direction::ToClient,
        );
        match tracker.take() {
            Some((head, early)) => {
                trace.feed(Direction::ToServer, &head);
                trace.feed(Direction::ToServer, &early);
            }
            None => {
                trace.handshake_finding(
                    "the raw request head was not tracked on this connection: it is rebuilt from the parsed request (header case and order may differ)",
                );
                trace.feed(Direction::ToServer, &switch.rebuilt_head);
            }
        }
        self.mode = Mode::Tracing(Box::new(trace));
    }

    fn saw(&mut self, direction: Direction, bytes: &[u8]) {
        match &mut self.mode {
            Mode::Off => {}
            Mode::Dormant(tracker) => {
                if direction == Direction::ToServer {
                    tracker.push(bytes);
                }
            }
            Mode::Tracing(trace) => trace.feed(direction, bytes),
        }
    }

    /// Before every read or write of the IO underneath, which moves bytes `direction`: a
    /// pending switch is taken, and a tracing tap prefetches the trace's state for those bytes
    /// while the system call runs.
    #[inline]
    fn before_io(&mut self, direction: Direction) {
        self.check_switch();
        if let Mode::Tracing(trace) = &self.mode {
            trace.prefetch(direction);
        }
    }

    fn writes(&self) -> Direction {
        match self.reads {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

impl<IO> Drop for Tap<IO> {
    fn drop(&mut self) {
        if let Mode::Tracing(trace) = &mut self.mode {
            trace.end();
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Tap<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.before_io(this.reads);
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let reads = this.reads;
            this.saw(reads, &buf.filled()[before..]);
        }
        poll
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Tap<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let writes = this.writes();
        this.before_io(writes);
        let poll = Pin::new(&mut this.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            this.saw(writes, &buf[..n.min(buf.len())]);
        }
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let writes = this.writes();
        this.before_io(writes);
        let poll = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = poll {
            let mut left = n;
            for buf in bufs {
                if left == 0 {
                    break;
                }
                let take = left.min(buf.len());
                this.saw(writes, &buf[..take]);
                left -= take;
            }
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Follows the requests on a dormant connection, keeping the raw bytes of the latest head.
#[derive(Debug, Default)]
struct RequestTracker {
    state: Track,
    reader: HeadReader<Request>,
    /// The head being read, as sent.
    raw: Vec<u8>,
    /// The latest complete head, as sent.
    latest: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
enum Track {
    #[default]
    Head,
    /// Skipping this many body bytes.
    Body(u64),
    /// After an upgrade request: bytes kept until the handler decides.
    AfterUpgrade(Vec<u8>),
    /// A body without a length, a head that is not HTTP, or too much early data.
    Lost,
}

impl RequestTracker {
    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.state {
                Track::Lost => return,
                Track::Body(left) => {
                    let take = usize::try_from(*left).map_or(bytes.len(), |l| l.min(bytes.len()));
                    *left -= take as u64;
                    bytes = &bytes[take..];
                    if *left == 0 {
                        self.state = Track::Head;
                    }
                }
                Track::AfterUpgrade(early) => {
                    if early.len() + bytes.len() > MAX_EARLY {
                        self.state = Track::Lost;
                        return;
                    }
                    early.extend_from_slice(bytes);
                    // A refused upgrade on a kept-alive connection: the next request follows.
                    if early.first().is_some_and(u8::is_ascii_uppercase)
                        && matches!(parse_request(early), Ok(Parsed::Complete { .. }))
                    {
                        let next = std::mem::take(early);
                        self.state = Track::Head;
                        self.push(&next);
                    }
                    return;
                }
                Track::Head => match self.reader.push(bytes) {
                    Ok(Parsed::Incomplete) => {
                        self.raw.extend_from_slice(bytes);
                        return;
                    }
                    Ok(Parsed::Complete { head, consumed }) => {
                        self.raw.extend_from_slice(&bytes[..consumed]);
                        self.latest = Some(std::mem::take(&mut self.raw));
                        self.reader = HeadReader::new();
                        bytes = &bytes[consumed..];
                        self.state = next_after(&head);
                    }
                    Err(_) => {
                        self.state = Track::Lost;
                        return;
                    }
                },
            }
        }
    }

    /// The raw upgrade request head and any bytes after it, if the tracker followed them.
    fn take(self) -> Option<(Vec<u8>, Vec<u8>)> {
        match self.state {
            Track::AfterUpgrade(early) => self.latest.map(|head| (head, early)),
            _ => None,
        }
    }
}

/// What follows a request head.
fn next_after(head: &Request) -> Track {
    if head.headers.get("Upgrade").is_some() {
        return Track::AfterUpgrade(Vec::new());
    }
    if head.headers.get("Transfer-Encoding").is_some() {
        return Track::Lost;
    }
    match head.headers.get("Content-Length").map(str::trim) {
        None => Track::Head,
        Some(len) => match len.parse::<u64>() {
            Ok(0) => Track::Head,
            Ok(len) => Track::Body(len),
            Err(_) => Track::Lost,
        },
    }
}

/// The request head `hyper` parsed, written out again: stands in for the raw head when the
/// tap lost track of it.
pub fn rebuild_head(request: &axum::extract::Request) -> Vec<u8> {
    let mut head = format!(
        "{} {} {:?}\r\n",
        request.method(),
        request.uri().path_and_query().map_or("/", |p| p.as_str()),
        request.version()
    );
    for (name, value) in request.headers() {
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(&String::from_utf8_lossy(value.as_bytes()));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// What handlers learn about their connection: the peer, and its tap.
#[derive(Debug, Clone)]
pub struct TapConnectInfo {
    pub peer: SocketAddr,
    pub tap: TapHandle,
}

/// Taps a TCP connection this server opened to an upstream peer (a kernel, a tap route's
/// server): no Nagle delay for small frames, a connection record on `hop` from
/// `wirebook (local address)` to the peer for `target`, and a client tap that records the
/// handshake and frames on it. Returns the tap and the connection's recorder.
pub fn tap_upstream(
    tcp: TcpStream,
    capture: &Arc<Capture>,
    hop: Hop,
    target: String,
) -> (Tap<TcpStream>, Recorder) {
    let recorder = upstream_recorder(&tcp, capture, hop, target, None);
    (Tap::client(tcp, recorder.clone()), recorder)
}

/// The connection record of an upstream TCP connection (see [`tap_upstream`]); `layer` names
/// what runs between TCP and the WebSocket (e.g. TLS) and is shown beside the peer's address.
/// Also turns off Nagle's delay, for small frames.
pub fn upstream_recorder(
    tcp: &TcpStream,
    capture: &Arc<Capture>,
    hop: Hop,
    target: String,
    layer: Option<&str>,
) -> Recorder {
    let _ = tcp.set_nodelay(true);
    let address = |a: io::Result<SocketAddr>| a.map_or_else(|_| "?".into(), |a| a.to_string());
    let local = address(tcp.local_addr());
    let mut peer = address(tcp.peer_addr());
    if let Some(layer) = layer {
        peer = format!("{peer} ({layer})");
    }
    Recorder::open(capture, hop, format!("wirebook ({local})"), peer, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tracker_keeps_the_latest_upgrade_head_across_requests_and_bodies() {
        let mut tracker = RequestTracker::default();
        let post = b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
        let upgrade = b"GET /echo HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        let mut stream = post.to_vec();
        stream.extend_from_slice(b"GET /healthz HTTP/1.1\r\n\r\n");
        stream.extend_from_slice(upgrade);
        stream.extend_from_slice(&[0x81, 0x80]);
        for chunk in stream.chunks(7) {
            tracker.push(chunk);
        }
        let (head, early) = tracker.take().expect("the upgrade head");
        assert_eq!(head, upgrade);
        assert_eq!(early, [0x81, 0x80]);
    }

    #[test]
    fn a_refused_upgrade_then_another_request_is_followed() {
        let mut tracker = RequestTracker::default();
        tracker.push(b"GET /session HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
        tracker.push(b"GET /echo HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
        let (head, early) = tracker.take().unwrap();
        assert!(head.starts_with(b"GET /echo "));
        assert!(early.is_empty());
    }

    #[test]
    fn a_chunked_body_loses_track() {
        let mut tracker = RequestTracker::default();
        tracker
            .push(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        tracker.push(b"GET /echo HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
        assert!(tracker.take().is_none());
    }

    #[test]
    fn rebuilt_heads_parse() {
        let request = axum::extract::Request::builder()
            .uri("/session?token=t")
            .header("Upgrade", "websocket")
            .body(axum::body::Body::empty())
            .unwrap();
        let head = rebuild_head(&request);
        let Ok(Parsed::Complete { head, .. }) = parse_request(&head) else {
            panic!("not a head: {}", String::from_utf8_lossy(&head));
        };
        assert_eq!(head.target, "/session?token=t");
        assert_eq!(head.version, "HTTP/1.1");
        assert_eq!(head.headers.get("upgrade"), Some("websocket"));
    }
}
