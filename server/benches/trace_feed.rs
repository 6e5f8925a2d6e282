//! What the capture costs per frame on the CPU, without sockets: a `Trace` fed the frames of
//! an echo exchange (a masked 20-byte text frame in, the unmasked echo out), against decoding
//! the same bytes with `FrameDecoder` alone, in the same run (docs/benchmarks.md).
//!
//! The trace does everything a captured connection does per frame: decode, summarise the
//! message, link the echo to its request, take the time and push a record into a full ring
//! (the default 100 000 records, so every push evicts the oldest); once for one connection,
//! and once for 100 connections fed in turn, whose state is out of the cache by their turn.
//!
//! Also what serving the inspector costs its session socket's tap: a 16 KiB batch of the
//! capture feed (one text frame the session tags `Skip`, so nothing is recorded) fed through
//! the session's trace.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wirebook_server::capture::links::{Links, Tag};
use wirebook_server::capture::recorder::Recorder;
use wirebook_server::capture::ring::Capture;
use wirebook_server::capture::trace::Trace;
use wirebook_shared::wire::{encode_frame, minimal_upgrade, FrameDecoder, FrameSpec};
use wirebook_shared::{Direction, Hop, Opcode};

const RING: usize = 100_000;
const PREVIEW: usize = 4096;

fn frames() -> (Vec<u8>, Vec<u8>) {
    let payload = b"twenty bytes of text";
    let mut request = FrameSpec::new(Opcode::Text);
    request.mask_key = Some([0x37, 0xfa, 0x21, 0x3d]);
    (
        encode_frame(&request, payload),
        encode_frame(&FrameSpec::new(Opcode::Text), payload),
    )
}

/// A trace past its handshake, recording into `capture`.
fn trace_on(capture: &Arc<Capture>) -> (Trace, Arc<Links>) {
    let recorder = Recorder::open(capture, Hop::Endpoint, "c".into(), "s".into(), "/".into());
    let links = Arc::new(Links::default());
    links.track_received();
    let mut trace = Trace::new(recorder, Arc::clone(&links), Direction::ToClient);
    let (request, response) = minimal_upgrade("dGhlIHNhbXBsZSBub25jZQ==");
    trace.feed(Direction::ToServer, request.as_bytes());
    trace.feed(Direction::ToClient, response.as_bytes());
    (trace, links)
}

/// Echo connections sharing one capture, exchanging in turn.
struct Echoes {
    conns: Vec<(Trace, Arc<Links>)>,
    next: usize,
}

impl Echoes {
    /// `conns` connections past their handshakes, with the ring already full.
    fn full(conns: usize, request: &[u8], echo: &[u8]) -> Self {
        let capture = Arc::new(Capture::new(RING, PREVIEW));
        let mut echoes = Echoes {
            conns: (0..conns).map(|_| trace_on(&capture)).collect(),
            next: 0,
        };
        for _ in 0..RING {
            echoes.exchange(request, echo);
        }
        echoes
    }

    /// The next connection's request and its echo, with what the echo handler does between
    /// the two: learn the request's record and tag the echo with it.
    fn exchange(&mut self, request: &[u8], echo: &[u8]) {
        let turn = self.next;
        self.next = (turn + 1) % self.conns.len();
        let (trace, links) = &mut self.conns[turn];
        trace.feed(Direction::ToServer, request);
        let source = links.received_seq();
        links.tag_next(source.map_or(Tag::Plain, Tag::CausedBy));
        trace.feed(Direction::ToClient, echo);
    }
}

fn per_frame(c: &mut Criterion) {
    let (request, echo) = frames();
    let mut group = c.benchmark_group("capture/20B echo");
    // One element = one request and its echo: two frames.
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode only", |b| {
        let mut to_server = FrameDecoder::new(Direction::ToServer).with_payload_limit(PREVIEW);
        let mut to_client = FrameDecoder::new(Direction::ToClient).with_payload_limit(PREVIEW);
        b.iter(|| {
            for frame in to_server.push(black_box(&request)) {
                black_box(frame);
            }
            for frame in to_client.push(black_box(&echo)) {
                black_box(frame);
            }
        });
    });
    group.bench_function("trace, ring full", |b| {
        let mut echoes = Echoes::full(1, &request, &echo);
        b.iter(|| echoes.exchange(black_box(&request), black_box(&echo)));
    });
    // As on a busy server: many connections in turn, so each one's state (decoders, links,
    // recorder) is cold again when its next frame comes, as it is between socket reads.
    group.bench_function("trace, ring full, 100 connections in turn", |b| {
        let mut echoes = Echoes::full(100, &request, &echo);
        b.iter(|| echoes.exchange(black_box(&request), black_box(&echo)));
    });
    group.finish();
}

/// A 16 KiB text frame of JSON records, as the session sends the capture feed.
fn feed_batch() -> Vec<u8> {
    let record = r#"{"seq":123456,"conn":42,"hop":"endpoint","time_us":1764755000000000,"body":{"frame":{"direction":"to_server","payload_hex":"7477656e7479206279746573206f662074657874"}}},"#;
    let mut json = String::from("[");
    while json.len() + record.len() < 16 * 1024 {
        json.push_str(record);
    }
    json.push_str("null]");
    encode_frame(&FrameSpec::new(Opcode::Text), json.as_bytes())
}

fn inspector_feed(c: &mut Criterion) {
    let batch = feed_batch();
    let mut group = c.benchmark_group("capture/16 KiB feed batch, skipped");
    group.throughput(Throughput::Bytes(batch.len() as u64));
    group.bench_function("session trace", |b| {
        let capture = Arc::new(Capture::new(RING, PREVIEW));
        let (mut trace, links) = trace_on(&capture);
        b.iter(|| {
            links.tag_next(Tag::Skip);
            // Written as a socket takes it: in pieces.
            for piece in batch.chunks(4096) {
                trace.feed(Direction::ToClient, black_box(piece));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, per_frame, inspector_feed);
criterion_main!(benches);
