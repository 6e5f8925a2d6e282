//! The lenses' cost per message: a Dissector fed the recorded fixtures' messages (Socket.IO,
//! both GraphQL protocols, MQTT 3.1.1 and 5), repeated to 10 000 records over 100
//! connections, against `serde_json::from_str::<Value>` of the same payloads in the same run,
//! so the ratio (docs/benchmarks.md) is comparable across machines. It says what a "Protocol"
//! column or a lens field in the filter costs over 100 000 records (ten times this).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use wirebook_shared::capture::{CaptureBody, CaptureRecord};
use wirebook_shared::lens::dissector::Dissector;

#[path = "../tests/lens_support/mod.rs"]
mod lens_support;

use lens_support::fixture_records;

const FIXTURES: [&str; 5] = [
    include_str!("../tests/fixtures/lens/socketio.jsonl"),
    include_str!("../tests/fixtures/lens/graphql_transport_ws.jsonl"),
    include_str!("../tests/fixtures/lens/graphql_ws.jsonl"),
    include_str!("../tests/fixtures/lens/mqtt311.jsonl"),
    include_str!("../tests/fixtures/lens/mqtt5.jsonl"),
];
const RECORDS: usize = 10_000;
const CONNECTIONS: u64 = 100;

/// The fixtures as capture records, each connection a fixture, round-robin until RECORDS.
fn records() -> Vec<CaptureRecord> {
    let mut out: Vec<CaptureRecord> = Vec::new();
    let mut conn = 0;
    while out.len() < RECORDS {
        let fixture = FIXTURES[conn as usize % FIXTURES.len()];
        let first_seq = out.len() as u64 + 1;
        out.extend(fixture_records(fixture, conn % CONNECTIONS, first_seq));
        conn += 1;
    }
    out.truncate(RECORDS);
    out
}

fn dissect(c: &mut Criterion) {
    let records = records();
    let previews: Vec<&str> = records
        .iter()
        .filter_map(|r| match &r.body {
            CaptureBody::Frame(f) => f.message.as_ref().map(|m| m.preview.as_str()),
            _ => None,
        })
        .collect();
    let mut group = c.benchmark_group("lens");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("dissect_10k_records", |b| {
        b.iter(|| {
            let mut dissector = Dissector::new();
            let mut summaries = 0;
            for record in &records {
                if let Some(d) = dissector.feed(record) {
                    summaries += black_box(d.decoded.summary).len();
                }
            }
            summaries
        })
    });
    group.bench_function("serde_json_parse_same_payloads", |b| {
        b.iter(|| {
            previews
                .iter()
                .filter(|p| {
                    serde_json::from_str::<Value>(p).is_ok_and(|v| black_box(v).is_object())
                })
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, dissect);
criterion_main!(benches);
