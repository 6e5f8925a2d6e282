//! What the capture costs per frame on the CPU, without sockets: a `Trace` fed the frames of
//! an echo exchange (a masked 20-byte text frame in, the unmasked echo out), against decoding
//! the same bytes with `FrameDecoder` alone, in the same run (docs/benchmarks.md).
//!
//! The trace does everything a captured connection does per frame: decode, summarise the
//! message, link the echo to its request, take the time and push a record into a full ring
//! (the default 100 000 records, so every push evicts the oldest); once for one connection,
//! and once for 100 connections fed in turn, whose state is out of the cache by their turn.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wirebook_server::capture::{Capture, Recorder};
use wirebook_server::trace::{Links, Tag, Trace};
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

/// A trace past its handshake, recording into a ring of its own.
fn trace() -> (Trace, Arc<Links>) {
    trace_on(&Arc::new(Capture::new(RING, PREVIEW)))
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
        let (mut trace, links) = trace();
        for _ in 0..RING {
            trace.feed(Direction::ToServer, &request);
            let _ = links.received_seq();
            trace.feed(Direction::ToClient, &echo);
        }
        b.iter(|| {
            trace.feed(Direction::ToServer, black_box(&request));
            // What the echo handler does between the two: learn the request's record and tag
            // the echo with it.
            let source = links.received_seq();
            links.tag_next(source.map_or(Tag::Plain, Tag::CausedBy));
            trace.feed(Direction::ToClient, black_box(&echo));
        });
    });
    // As on a busy server: many connections in turn, so each one's state (decoders, links,
    // recorder) is cold again when its next frame comes, as it is between socket reads.
    group.bench_function("trace, ring full, 100 connections in turn", |b| {
        let capture = Arc::new(Capture::new(RING, PREVIEW));
        let mut conns: Vec<(Trace, Arc<Links>)> = (0..100).map(|_| trace_on(&capture)).collect();
        for i in 0..RING {
            let (trace, links) = &mut conns[i % 100];
            trace.feed(Direction::ToServer, &request);
            let _ = links.received_seq();
            trace.feed(Direction::ToClient, &echo);
        }
        let mut next = 0;
        b.iter(|| {
            let (trace, links) = &mut conns[next];
            next = (next + 1) % 100;
            trace.feed(Direction::ToServer, black_box(&request));
            let source = links.received_seq();
            links.tag_next(source.map_or(Tag::Plain, Tag::CausedBy));
            trace.feed(Direction::ToClient, black_box(&echo));
        });
    });
    group.finish();
}

criterion_group!(benches, per_frame);
criterion_main!(benches);
