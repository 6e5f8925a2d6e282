//! FrameDecoder throughput against a plain memcpy of the same bytes, measured in the same run
//! so the ratio (recorded in docs/benchmarks.md) is comparable across machines.
//!
//! Each case decodes about 1 MiB of back-to-back frames of one size (20 B, 1 KiB or 1 MiB
//! payloads), unmasked (server to client) and masked (client to server).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wirebook_shared::wire::{encode_frame, FrameDecoder, FrameSpec};
use wirebook_shared::{Direction, Opcode};

const STREAM_BYTES: usize = 1 << 20;

fn stream(payload_len: usize, mask: Option<[u8; 4]>) -> Vec<u8> {
    let payload: Vec<u8> = (0..payload_len).map(|i| (i % 251) as u8).collect();
    let mut spec = FrameSpec::new(Opcode::Binary);
    spec.mask_key = mask;
    let frame = encode_frame(&spec, &payload);
    let count = (STREAM_BYTES / frame.len()).max(1);
    frame.repeat(count)
}

fn decode(sender: Direction, bytes: &[u8], chunk: usize) -> usize {
    let mut decoder = FrameDecoder::new(sender).with_payload_limit(STREAM_BYTES);
    let mut kept = 0;
    for piece in bytes.chunks(chunk) {
        for frame in decoder.push(piece) {
            kept += black_box(&frame.payload).len();
        }
    }
    kept
}

fn throughput(c: &mut Criterion) {
    for (name, payload_len) in [("20B", 20), ("1KiB", 1024), ("1MiB", 1 << 20)] {
        let unmasked = stream(payload_len, None);
        let masked = stream(payload_len, Some([0x37, 0xfa, 0x21, 0x3d]));
        let mut group = c.benchmark_group(format!("decoder/{name}"));
        group.throughput(Throughput::Bytes(masked.len() as u64));

        let mut copy = vec![0u8; masked.len()];
        group.bench_function("memcpy", |b| {
            b.iter(|| {
                copy.copy_from_slice(black_box(&masked));
                black_box(&copy);
            })
        });
        // The whole stream in one push, and in 16 KiB pushes as a socket read would give it.
        for chunk in [usize::MAX, 16 * 1024] {
            let label = if chunk == usize::MAX {
                "whole"
            } else {
                "16KiB"
            };
            group.bench_with_input(BenchmarkId::new("unmasked", label), &unmasked, |b, s| {
                b.iter(|| decode(Direction::ToClient, black_box(s), chunk))
            });
            group.bench_with_input(BenchmarkId::new("masked", label), &masked, |b, s| {
                b.iter(|| decode(Direction::ToServer, black_box(s), chunk))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, throughput);
criterion_main!(benches);
