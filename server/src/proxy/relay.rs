//! The transparent proxy's relay: after both opening handshakes, the bytes of every frame go
//! from one peer to the other unchanged — data, continuation and control frames, masks, RSV
//! bits (so compressed permessage-deflate frames pass through as they are), close codes.
//! wirebook does not answer pings or closes itself; the peers talk to each other.
//!
//! One loop per direction, run concurrently: read at most [`CHUNK`] bytes, write them all,
//! read again. That is the bounded queue: while one peer does not read, the relay stops
//! reading from the other, so TCP's flow control pushes back on the sender. Nothing is dropped
//! and memory does not grow with a slow peer.
//!
//! The relay follows frame boundaries ([`FrameCursor`], headers only) to see close frames go
//! by and to stop at a frame boundary when the server shuts down, where each peer gets a 1001
//! close frame instead of a cut-off frame. Each relayed data message is tagged as caused by
//! the record of the message it relays by the taps themselves ([`Links::relay_to`]).

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use futures_util::future::Either;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use wirebook_shared::wire::header::MAX_HEADER_LEN;
use wirebook_shared::wire::{encode_frame, FrameHeader, FrameSpec};
use wirebook_shared::Opcode;

use crate::capture::links::Links;
use crate::proxy::intercept::gate::{MessageGate, Piece, WholeMessage};
use crate::proxy::intercept::{DirectionHook, Hold, Settled};
use crate::shutdown::{Shutdown, StopSignal};
use crate::websocket::close::CLOSE_GRACE;

/// Bytes read from a peer at a time: the most that is in flight per direction inside wirebook.
pub const CHUNK: usize = 16 * 1024;

/// How long the relay waits, after a close frame passed, for both peers to hang up.
pub const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// The end of a frame found in a chunk of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameEnd {
    /// Offset just after the frame's last byte, in the chunk fed.
    pub at: usize,
    pub opcode: Opcode,
    pub fin: bool,
}

/// Follows frame boundaries in a stream of WebSocket bytes: reads headers, counts payloads.
#[derive(Debug, Default, Clone)]
pub struct FrameCursor {
    header: [u8; MAX_HEADER_LEN],
    have: usize,
    /// Payload bytes left in the current frame (after its header is complete).
    payload_left: u64,
    in_payload: bool,
    current: Option<(Opcode, bool)>,
    /// A fragmented data message is under way (its last frame has not come).
    open_message: bool,
}

impl FrameCursor {
    /// Whether the bytes fed so far end exactly at a frame boundary.
    pub fn at_boundary(&self) -> bool {
        self.have == 0 && !self.in_payload
    }

    /// Whether the bytes fed so far end between messages: a new data message may follow.
    pub fn at_message_boundary(&self) -> bool {
        self.at_boundary() && !self.open_message
    }

    /// Feeds the next bytes; `ends` (cleared first, so a caller can reuse it) gets the frames
    /// that end in them.
    pub fn feed(&mut self, bytes: &[u8], ends: &mut Vec<FrameEnd>) {
        ends.clear();
        let mut i = 0;
        while i < bytes.len() {
            if self.in_payload {
                let take = usize::try_from(self.payload_left)
                    .map_or(bytes.len() - i, |left| left.min(bytes.len() - i));
                self.payload_left -= take as u64;
                i += take;
                if self.payload_left == 0 {
                    self.finish_frame(i, ends);
                }
                continue;
            }
            // A header whole in these bytes (the usual case) is read where it is; one cut by
            // the end of a read is gathered a byte at a time until it is whole.
            let whole = if self.have == 0 {
                FrameHeader::parse(&bytes[i..])
            } else {
                None
            };
            let header = match whole {
                Some(header) => {
                    i += header.encoded_len();
                    header
                }
                None => {
                    self.header[self.have] = bytes[i];
                    self.have += 1;
                    i += 1;
                    let Some(header) = FrameHeader::parse(&self.header[..self.have]) else {
                        continue;
                    };
                    self.have = 0;
                    header
                }
            };
            self.current = Some((header.opcode, header.fin));
            self.payload_left = header.payload_len;
            self.in_payload = true;
            if header.payload_len == 0 {
                self.finish_frame(i, ends);
            }
        }
    }

    fn finish_frame(&mut self, at: usize, ends: &mut Vec<FrameEnd>) {
        self.in_payload = false;
        let Some((opcode, fin)) = self.current.take() else {
            return;
        };
        if !opcode.is_control() {
            self.open_message = !fin;
        }
        ends.push(FrameEnd { at, opcode, fin });
    }
}

/// Which way a direction's bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// From the client to upstream: frames are masked (the client's masks are kept).
    Upstream,
    /// From upstream to the client: frames are not masked.
    Downstream,
}

/// How one direction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectionEnd {
    /// The sender hung up (after its bytes went on, and the receiver's write side was shut).
    HungUp,
    /// The server shut down: a 1001 close went to the receiver at a frame boundary.
    ShutDown,
    /// Reading or writing failed.
    Failed(String),
}

/// How the whole relay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayEnd {
    pub upstream: DirectionEnd,
    pub downstream: DirectionEnd,
    /// The relay stopped waiting for the peers to hang up after the close handshake.
    pub timed_out: bool,
}

/// What both directions share: close frames seen, to bound the wait for the peers to hang up.
#[derive(Debug, Default)]
struct Closing {
    /// Bit 0: a close went upstream; bit 1: a close went downstream.
    seen: AtomicU8,
    changed: Notify,
}

impl Closing {
    fn saw(&self, way: Way) {
        let bit = match way {
            Way::Upstream => 1,
            Way::Downstream => 2,
        };
        self.seen.fetch_or(bit, Ordering::AcqRel);
        self.changed.notify_waiters();
    }

    async fn any(&self) {
        loop {
            let notified = self.changed.notified();
            if self.seen.load(Ordering::Acquire) != 0 {
                return;
            }
            notified.await;
        }
    }
}

/// One side of the relay: its socket, the bytes already read from it before the relay started
/// (they are relayed first), and its tap's links (to tag what is relayed).
pub struct Peer<'a, IO> {
    pub io: IO,
    pub early: Vec<u8>,
    pub links: &'a Links,
    /// The intercept of the direction that reads from this peer (none in the relay's tests
    /// that do not intercept).
    pub hook: Option<DirectionHook>,
}

/// Relays between `client` and `upstream` until both have hung up, the server shut down and
/// the peers left, or [`CLOSE_WAIT`] after a close frame passed.
pub async fn run<C, U>(client: Peer<'_, C>, upstream: Peer<'_, U>, shutdown: &Shutdown) -> RelayEnd
where
    C: AsyncRead + AsyncWrite + Unpin,
    U: AsyncRead + AsyncWrite + Unpin,
{
    client.links.relay_to(upstream.links);
    upstream.links.relay_to(client.links);
    // A stop signal keeps one waker: each direction, polled with a waker of its own (below),
    // has its own, through which an injection into it wakes it (see `attention`).
    let stop = shutdown.stop_signal();
    let (stop_up, stop_down) = (shutdown.stop_signal(), shutdown.stop_signal());
    if let Some(hook) = &client.hook {
        hook.injections.wake_through(stop_up.task_wake());
    }
    if let Some(hook) = &upstream.hook {
        hook.injections.wake_through(stop_down.task_wake());
    }
    let (client_read, client_write) = tokio::io::split(client.io);
    let (upstream_read, upstream_write) = tokio::io::split(upstream.io);
    let closing = Closing::default();
    // Boxed: `waiting` below keeps every future it holds in a slot as large as its largest
    // kind, and a direction's future is kilobytes; the two timers would each take as much.
    let up = Box::pin(forward(
        Source {
            io: client_read,
            early: client.early,
            hook: client.hook,
        },
        Sink {
            io: upstream_write,
            links: upstream.links,
        },
        Way::Upstream,
        &closing,
        &stop_up,
    ));
    let down = Box::pin(forward(
        Source {
            io: upstream_read,
            early: upstream.early,
            hook: upstream.hook,
        },
        Sink {
            io: client_write,
            links: client.links,
        },
        Way::Downstream,
        &closing,
        &stop_down,
    ));
    // Each of these has a waker of its own, so a message wakes and polls only the direction
    // it came on: a `join!` inside a `select!` would poll every branch (and take the idle
    // direction's locks) on every wake-up.
    let mut waiting = FuturesUnordered::new();
    waiting.push(Either::Left(Either::Left(async move {
        Event::Ended(Way::Upstream, up.await)
    })));
    waiting.push(Either::Left(Either::Right(async move {
        Event::Ended(Way::Downstream, down.await)
    })));
    waiting.push(Either::Right(Either::Left(async {
        closing.any().await;
        tokio::time::sleep(CLOSE_WAIT).await;
        Event::PeersLinger
    })));
    waiting.push(Either::Right(Either::Right(async {
        stop.wait().await;
        closing.any().await;
        tokio::time::sleep(CLOSE_GRACE).await;
        Event::ShutdownLinger
    })));
    let (mut upstream, mut downstream) = (None, None);
    loop {
        match waiting.next().await {
            Some(Event::Ended(Way::Upstream, end)) => upstream = Some(end),
            Some(Event::Ended(Way::Downstream, end)) => downstream = Some(end),
            Some(Event::PeersLinger) => {
                let lingered = || {
                    DirectionEnd::Failed(
                        "the peers did not hang up after the close handshake".into(),
                    )
                };
                return RelayEnd {
                    upstream: lingered(),
                    downstream: lingered(),
                    timed_out: true,
                };
            }
            // The directions end before the waits do (which end by returning): not reached.
            Some(Event::ShutdownLinger) | None => {
                return RelayEnd {
                    upstream: DirectionEnd::ShutDown,
                    downstream: DirectionEnd::ShutDown,
                    timed_out: true,
                }
            }
        }
        if let (Some(upstream), Some(downstream)) = (&upstream, &downstream) {
            return RelayEnd {
                upstream: upstream.clone(),
                downstream: downstream.clone(),
                timed_out: false,
            };
        }
    }
}

/// What ends one of the relay's waits.
enum Event {
    /// A direction ended.
    Ended(Way, DirectionEnd),
    /// A close passed, and the peers did not hang up within [`CLOSE_WAIT`].
    PeersLinger,
    /// The server shut down, and the peers did not hang up within [`CLOSE_GRACE`].
    ShutdownLinger,
}

struct Source<R> {
    io: R,
    early: Vec<u8>,
    hook: Option<DirectionHook>,
}

/// Where a direction's bytes go: the receiving peer, and its tap's links (whose tags the
/// intercept marks).
struct Sink<'a, W> {
    io: W,
    links: &'a Links,
}

/// What a direction has sent: where its frames end, and whether a close went by.
struct Sent<'a> {
    cursor: FrameCursor,
    ends: Vec<FrameEnd>,
    way: Way,
    closing: &'a Closing,
}

impl Sent<'_> {
    /// Writes `bytes` on, following their frames.
    async fn send<W: AsyncWrite + Unpin>(
        &mut self,
        to: &mut W,
        bytes: &[u8],
    ) -> Result<(), DirectionEnd> {
        self.cursor.feed(bytes, &mut self.ends);
        if self.ends.iter().any(|end| end.opcode == Opcode::Close) {
            self.closing.saw(self.way);
        }
        write_all(to, bytes).await
    }
}

async fn write_all<W: AsyncWrite + Unpin>(to: &mut W, bytes: &[u8]) -> Result<(), DirectionEnd> {
    to.write_all(bytes)
        .await
        .map_err(|error| DirectionEnd::Failed(format!("writing failed: {error}")))?;
    to.flush()
        .await
        .map_err(|error| DirectionEnd::Failed(format!("writing failed: {error}")))
}

/// Moves one direction's bytes: as they come while no breakpoint is armed on it, else
/// through the intercept's gate, holding the messages a breakpoint matches.
async fn forward<R, W>(
    mut from: Source<R>,
    mut to: Sink<'_, W>,
    way: Way,
    closing: &Closing,
    stop: &StopSignal,
) -> DirectionEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut sent = Sent {
        cursor: FrameCursor::default(),
        ends: Vec::new(),
        way,
        closing,
    };
    let mut gated = Gated::default();
    // Read into spare capacity (never zeroed): an idle connection's buffer stays untouched
    // memory rather than 16 KiB made resident at the start (docs/benchmarks.md).
    let mut buf = Vec::with_capacity(CHUNK);
    let mut pending = std::mem::take(&mut from.early);
    loop {
        let chunk: &[u8] = if pending.is_empty() {
            let injectable = sent.cursor.at_message_boundary() && gated.gate.between_messages();
            buf.clear();
            let n = tokio::select! {
                biased;
                read = from.io.read_buf(&mut buf) => match read {
                    Ok(n) => n,
                    Err(error) => {
                        source_left(&from.hook);
                        let _ = to.io.shutdown().await;
                        return DirectionEnd::Failed(format!("reading failed: {error}"));
                    }
                },
                attention = attention(stop, from.hook.as_ref().filter(|_| injectable)),
                    if sent.cursor.at_boundary() =>
                {
                    match attention {
                        Attention::Stop => {
                            return shut_down(&mut from.io, &mut to.io, way, closing).await;
                        }
                        Attention::Inject(frame) => {
                            to.links.inject_next();
                            if let Err(end) = sent.send(&mut to.io, &frame).await {
                                return end;
                            }
                            continue;
                        }
                    }
                }
            };
            if n == 0 {
                source_left(&from.hook);
                let _ = to.io.shutdown().await;
                return DirectionEnd::HungUp;
            }
            &buf[..n]
        } else {
            &pending
        };
        let armed = from.hook.as_mut().is_some_and(DirectionHook::armed);
        if armed || !gated.gate.is_empty() {
            let through = through_gate(
                chunk,
                armed,
                &mut gated,
                from.hook.as_mut(),
                &mut to,
                &mut sent,
                stop,
            );
            if let Err(end) = through.await {
                return end;
            }
            pending.clear();
            if stop.is_set() && sent.cursor.at_boundary() {
                return shut_down(&mut from.io, &mut to.io, way, closing).await;
            }
            continue;
        }
        sent.cursor.feed(chunk, &mut sent.ends);
        // At shutdown, stop at the first frame boundary in this chunk.
        let cut = if stop.is_set() {
            sent.ends.first().map(|end| end.at)
        } else {
            None
        };
        for end in &sent.ends {
            if cut.is_some_and(|cut| end.at > cut) {
                break;
            }
            if end.opcode == Opcode::Close {
                closing.saw(way);
            }
        }
        let send = &chunk[..cut.unwrap_or(chunk.len())];
        // Written out rather than through `write_all`: this is the path of every relayed read.
        if let Err(error) = to.io.write_all(send).await {
            return DirectionEnd::Failed(format!("writing failed: {error}"));
        }
        if let Err(error) = to.io.flush().await {
            return DirectionEnd::Failed(format!("writing failed: {error}"));
        }
        pending.clear();
        if cut.is_some() {
            return shut_down(&mut from.io, &mut to.io, way, closing).await;
        }
    }
}

/// A direction's messages while a breakpoint is armed on it (or the gate still holds part of
/// one): through the gate, holding those a breakpoint matches.
#[derive(Default)]
struct Gated {
    gate: MessageGate,
    pieces: Vec<Piece>,
}

/// Sends `chunk` on through the gate (see [`Gated`]).
async fn through_gate<W: AsyncWrite + Unpin>(
    chunk: &[u8],
    armed: bool,
    gated: &mut Gated,
    mut hook: Option<&mut DirectionHook>,
    to: &mut Sink<'_, W>,
    sent: &mut Sent<'_>,
    stop: &StopSignal,
) -> Result<(), DirectionEnd> {
    let Gated { gate, pieces } = gated;
    // The gate starts at a frame boundary: the rest of a frame begun unarmed goes on.
    let mut rest = chunk;
    if gate.is_empty() && !sent.cursor.at_boundary() {
        let mut probe = sent.cursor.clone();
        probe.feed(chunk, &mut sent.ends);
        let split = sent.ends.first().map_or(chunk.len(), |end| end.at);
        sent.send(&mut to.io, &chunk[..split]).await?;
        rest = &chunk[split..];
    }
    gate.feed(rest, pieces);
    if !armed {
        gate.flush(pieces);
    }
    for piece in pieces.drain(..) {
        match (piece, hook.as_deref_mut()) {
            (Piece::Message(message), Some(hook)) if armed => {
                match hook.hold(&message, to.links.next_cause()) {
                    Some(hold) => held(hook, hold, message, to, sent, stop).await?,
                    None => sent.send(&mut to.io, &message.wire).await?,
                }
            }
            (Piece::Message(message), _) => sent.send(&mut to.io, &message.wire).await?,
            (Piece::Pass(bytes), _) => sent.send(&mut to.io, &bytes).await?,
        }
    }
    Ok(())
}

/// Waits for the user's decision on a held message (taking injections meanwhile: they go
/// before it), its release time, its receiver leaving, or the server's shutdown (which
/// releases it); then sends what was decided.
async fn held<W: AsyncWrite + Unpin>(
    hook: &mut DirectionHook,
    mut hold: Hold,
    message: WholeMessage,
    to: &mut Sink<'_, W>,
    sent: &mut Sent<'_>,
    stop: &StopSignal,
) -> Result<(), DirectionEnd> {
    let left = hook.destination_left();
    tokio::pin!(left);
    let (decision, gone) = loop {
        tokio::select! {
            decision = &mut hold.decision => break (decision.ok(), false),
            () = tokio::time::sleep_until(hold.release_at) => break (None, false),
            () = &mut left => break (None, true),
            attention = attention(stop, Some(&*hook)) => match attention {
                Attention::Stop => break (None, false),
                Attention::Inject(frame) => {
                    to.links.inject_next();
                    sent.send(&mut to.io, &frame).await?;
                }
            },
        }
    };
    match hook.settle(hold, message, decision, gone) {
        Settled::Send(bytes, mark) => {
            to.links.mark_next(Some(mark));
            sent.send(&mut to.io, &bytes).await
        }
        Settled::Nothing(_) => {
            to.links.mark_next(None);
            Ok(())
        }
    }
}

/// What interrupts a direction's wait for bytes.
enum Attention {
    Stop,
    Inject(Vec<u8>),
}

/// The shutdown, or a message the user injected (looked for only with `hook`: between
/// messages). One wait for both: an injection wakes the task through the stop signal's waker
/// (`Injections::wake_through`), so a wait registers one waker, as before injections existed.
fn attention<'a>(
    stop: &'a StopSignal,
    hook: Option<&'a DirectionHook>,
) -> impl std::future::Future<Output = Attention> + 'a {
    std::future::poll_fn(move |cx| {
        if stop.poll_wait(cx).is_ready() {
            return std::task::Poll::Ready(Attention::Stop);
        }
        match hook.and_then(|hook| hook.injections.try_take()) {
            Some(frame) => std::task::Poll::Ready(Attention::Inject(frame)),
            None => std::task::Poll::Pending,
        }
    })
}

fn source_left(hook: &Option<DirectionHook>) {
    if let Some(hook) = hook {
        hook.source_left();
    }
}

/// At a frame boundary after the shutdown signal: sends the receiver a 1001 close, then reads
/// and drops what the sender still sends (its answer to its own 1001) until it hangs up.
async fn shut_down<R, W>(from: &mut R, to: &mut W, way: Way, closing: &Closing) -> DirectionEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let frame = going_away(way);
    let _ = to.write_all(&frame).await;
    let _ = to.flush().await;
    closing.saw(way);
    let mut sink = vec![0u8; CHUNK];
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Ok(n) = from.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    let _ = to.shutdown().await;
    DirectionEnd::ShutDown
}

/// A 1001 close frame, masked when it goes upstream (a client's frames must be).
fn going_away(way: Way) -> Vec<u8> {
    let mut payload = 1001u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"server shutting down");
    let mut spec = FrameSpec::new(Opcode::Close);
    if way == Way::Upstream {
        spec.mask_key = Some(rand::random());
    }
    encode_frame(&spec, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    fn frame(opcode: Opcode, fin: bool, masked: bool, payload: &[u8]) -> Vec<u8> {
        let mut spec = FrameSpec::new(opcode);
        spec.fin = fin;
        if masked {
            spec.mask_key = Some([1, 2, 3, 4]);
        }
        encode_frame(&spec, payload)
    }

    /// A peer that sent nothing before the relay started.
    fn fresh<IO>(io: IO, links: &Links) -> Peer<'_, IO> {
        Peer {
            io,
            early: Vec::new(),
            links,
            hook: None,
        }
    }

    #[test]
    fn the_cursor_finds_frame_ends_at_any_chunking() {
        let frames = [
            frame(Opcode::Text, true, true, b"hai"),
            frame(Opcode::Binary, false, true, &[0; 300]),
            frame(Opcode::Ping, true, true, b""),
            frame(Opcode::Continuation, false, true, &[1; 70_000]),
            frame(Opcode::Continuation, true, false, b"end"),
            frame(Opcode::Continuation, true, false, b"stray"),
            frame(Opcode::Close, true, false, &[3, 232]),
        ];
        let stream = frames.concat();
        // Where each frame ends in the stream.
        let ends: Vec<usize> = frames
            .iter()
            .scan(0, |at, frame| {
                *at += frame.len();
                Some(*at)
            })
            .collect();
        let expected = [
            (Opcode::Text, true),
            (Opcode::Binary, false),
            (Opcode::Ping, true),
            (Opcode::Continuation, false),
            (Opcode::Continuation, true),
            (Opcode::Continuation, true),
            (Opcode::Close, true),
        ];
        for chunk in [1, 2, 3, 7, 100, 4096, stream.len()] {
            let mut cursor = FrameCursor::default();
            let mut found = Vec::new();
            let mut offset = 0;
            for piece in stream.chunks(chunk) {
                let mut ends = Vec::new();
                cursor.feed(piece, &mut ends);
                for end in ends {
                    found.push((end.opcode, end.fin, offset + end.at));
                }
                offset += piece.len();
            }
            assert!(cursor.at_boundary());
            let steps: Vec<_> = found.iter().map(|(o, m, _)| (*o, *m)).collect();
            assert_eq!(steps, expected, "chunks of {chunk}");
            let at: Vec<_> = found.iter().map(|(_, _, at)| *at).collect();
            assert_eq!(at, ends, "chunks of {chunk}");
        }
        let mut cursor = FrameCursor::default();
        cursor.feed(
            &frame(Opcode::Text, true, false, b"abc")[..3],
            &mut Vec::new(),
        );
        assert!(!cursor.at_boundary());
    }

    /// Relays between two in-memory pipes and checks the bytes arrive unchanged both ways.
    #[tokio::test]
    async fn bytes_pass_unchanged_and_hang_ups_propagate() {
        let (client, mut client_peer) = duplex(64);
        let (upstream, mut upstream_peer) = duplex(64);
        let (client_links, upstream_links) = (Links::default(), Links::default());
        let shutdown = Shutdown::new();
        let mut to_upstream = frame(Opcode::Text, true, true, &[b'x'; 1000]);
        to_upstream.extend(frame(Opcode::Ping, true, true, b"p"));
        let early = frame(Opcode::Text, true, false, b"early");
        let mut to_client = frame(Opcode::Pong, true, false, b"p");
        to_client.extend(frame(Opcode::Close, true, false, &[0x0f, 0xa1, b'b']));
        let relay = run(
            fresh(client, &client_links),
            Peer {
                io: upstream,
                early: early.clone(),
                links: &upstream_links,
                hook: None,
            },
            &shutdown,
        );
        let peers = async {
            let sent = to_upstream.clone();
            let write_client = async {
                client_peer.write_all(&sent).await.unwrap();
                let mut got = vec![0; early.len() + to_client.len()];
                client_peer.read_exact(&mut got).await.unwrap();
                client_peer.shutdown().await.unwrap();
                let mut rest = Vec::new();
                client_peer.read_to_end(&mut rest).await.unwrap();
                (got, rest)
            };
            let write_upstream = async {
                let mut got = vec![0; sent.len()];
                upstream_peer.read_exact(&mut got).await.unwrap();
                upstream_peer.write_all(&to_client).await.unwrap();
                upstream_peer.shutdown().await.unwrap();
                let mut rest = Vec::new();
                upstream_peer.read_to_end(&mut rest).await.unwrap();
                got
            };
            tokio::join!(write_client, write_upstream)
        };
        let (end, ((client_got, rest), upstream_got)) = tokio::join!(relay, peers);
        assert_eq!(upstream_got, to_upstream);
        assert_eq!(client_got, [early, to_client.clone()].concat());
        assert!(rest.is_empty());
        assert_eq!(end.upstream, DirectionEnd::HungUp);
        assert_eq!(end.downstream, DirectionEnd::HungUp);
        assert!(!end.timed_out);
    }

    /// A peer that does not read stalls the other direction's reading: the relay holds at
    /// most a chunk, and the sender's writes wait.
    #[tokio::test]
    async fn a_slow_reader_pushes_back_on_the_sender() {
        let (client, mut client_peer) = duplex(1024);
        let (upstream, mut upstream_peer) = duplex(1024);
        let links = (Links::default(), Links::default());
        let shutdown = Shutdown::new();
        let relay = run(
            fresh(client, &links.0),
            fresh(upstream, &links.1),
            &shutdown,
        );
        tokio::pin!(relay);
        let big = vec![7u8; 1024 * 1024];
        let write = client_peer.write_all(&big);
        tokio::pin!(write);
        // Upstream reads nothing: the write cannot finish however long the relay runs.
        tokio::select! {
            _ = &mut relay => panic!("the relay ended"),
            _ = &mut write => panic!("1 MiB went through to a peer that reads nothing"),
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        // Once upstream reads, everything arrives, in order.
        let read = async {
            let mut got = vec![0u8; big.len()];
            upstream_peer.read_exact(&mut got).await.unwrap();
            got
        };
        let (got, ()) = tokio::select! {
            _ = &mut relay => panic!("the relay ended"),
            both = async { tokio::join!(read, async { (&mut write).await.unwrap() }) } => both,
        };
        assert_eq!(got, big);
    }

    async fn read_all(peer: &mut tokio::io::DuplexStream) -> Vec<u8> {
        let mut got = Vec::new();
        peer.read_to_end(&mut got).await.unwrap();
        got
    }

    #[tokio::test]
    async fn shutdown_sends_each_peer_a_1001_close() {
        let (client, mut client_peer) = duplex(1024);
        let (upstream, mut upstream_peer) = duplex(1024);
        let links = (Links::default(), Links::default());
        let shutdown = Shutdown::new();
        shutdown.trigger();
        let relay = run(
            fresh(client, &links.0),
            fresh(upstream, &links.1),
            &shutdown,
        );
        let peers = async {
            let client_got = read_all(&mut client_peer);
            let upstream_got = read_all(&mut upstream_peer);
            tokio::join!(client_got, upstream_got)
        };
        let (end, (client_got, upstream_got)) = tokio::join!(relay, peers);
        assert_eq!(end.upstream, DirectionEnd::ShutDown);
        assert_eq!(client_got, going_away(Way::Downstream));
        assert_eq!(client_got[0], 0x88);
        // Masked toward upstream.
        assert_eq!(upstream_got[1] & 0x80, 0x80);
        assert_eq!(upstream_got.len(), client_got.len() + 4);
    }
}
