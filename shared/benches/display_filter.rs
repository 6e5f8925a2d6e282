//! The display filter over 100k capture records (issue #17: < 50 ms), against the search the
//! filter box ran before it (every text lowercased, then `contains`) over the same records as
//! a baseline measured in the same run.
//!
//! The records are a mix the inspector sees: text frames with JSON payloads of about 120
//! bytes (a fifth of them `"type":"subscribe"`), binary and close frames, and Jupyter messages
//! with their parts; one connection in seven is on the kernel hop.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use wirebook_shared::capture::{CaptureBody, CaptureRecord, CloseSummary, FrameRecord, Hop};
use wirebook_shared::capture_filter::FilterSpec;
use wirebook_shared::display_filter::{each_text, DisplayFilter};
use wirebook_shared::jupyter::{Channel, SignatureCheck, WireFormat, WireParts};
use wirebook_shared::lens::dissector::{Dissector, LensFacts};
use wirebook_shared::{Direction, KernelMessageRecord, Opcode};

const RECORDS: u64 = 100_000;

fn frame(seq: u64) -> CaptureRecord {
    let kind = ["subscribe", "next", "ping", "complete", "error"][(seq % 5) as usize];
    let opcode = match seq % 50 {
        0 => Opcode::Close,
        1..=4 => Opcode::Binary,
        _ => Opcode::Text,
    };
    let preview = format!(
        r#"{{"id":"{seq}","type":"{kind}","payload":{{"query":"subscription {{ ticks(every: 5) {{ at price }} }}"}}}}"#
    );
    let len = preview.len() as u64 * if seq % 97 == 0 { 20 } else { 1 };
    let direction = if seq % 2 == 0 {
        Direction::ToServer
    } else {
        Direction::ToClient
    };
    let mut frame = FrameRecord::message(direction, opcode, preview.as_bytes());
    // Every 97th message is longer than its preview; payloads are not kept.
    (frame.offset, frame.len, frame.payload_hex) = (seq * 130, len, String::new());
    frame.mask_key = (seq % 2 == 0).then_some([1, 2, 3, 4]);
    frame.header_hex = "8178".into();
    if let Some(message) = &mut frame.message {
        (message.wire_len, message.len, message.preview) = (len, len, preview);
        message.close = (opcode == Opcode::Close).then(|| CloseSummary {
            code: Some(1000),
            reason: "bye".into(),
            name: "Normal Closure".into(),
            meaning: String::new(),
        });
    }
    CaptureRecord {
        seq,
        conn: seq % 7,
        hop: if seq % 7 == 0 {
            Hop::Kernel
        } else {
            Hop::Browser
        },
        time_us: 1_700_000_000_000_000 + seq * 1000,
        body: CaptureBody::Frame(Box::new(frame)),
    }
}

fn kernel(seq: u64) -> CaptureRecord {
    let msg_type = ["status", "stream", "execute_reply", "execute_request"][(seq % 4) as usize];
    CaptureRecord {
        seq,
        conn: 9,
        hop: Hop::Kernel,
        time_us: 1_700_000_000_000_000 + seq * 1000,
        body: CaptureBody::KernelMessage(Box::new(KernelMessageRecord {
            channel: if msg_type == "status" || msg_type == "stream" {
                Channel::Iopub
            } else {
                Channel::Shell
            },
            direction: Direction::ToClient,
            msg_type: msg_type.into(),
            msg_id: format!("msg-{seq}"),
            parent_msg_id: Some("req".into()),
            size: 400,
            parts: WireParts {
                format: WireFormat::Zmq,
                identities: Vec::new(),
                signature: String::new(),
                signature_check: SignatureCheck::Verified,
                offsets: Vec::new(),
                header: format!(
                    r#"{{"msg_id":"msg-{seq}","msg_type":"{msg_type}","username":"u","session":"s","date":"2026-12-03T18:00:00Z","version":"5.3"}}"#
                ),
                parent_header: r#"{"msg_id":"req"}"#.into(),
                metadata: "{}".into(),
                content: r#"{"name":"stdout","text":"tick 42\n"}"#.into(),
                content_len: 36,
                content_truncated: false,
                buffers: Vec::new(),
            },
            findings: Vec::new(),
            caused_by: None,
        })),
    }
}

fn records() -> Vec<CaptureRecord> {
    (0..RECORDS)
        .map(|seq| {
            if seq % 10 == 3 {
                kernel(seq)
            } else {
                frame(seq)
            }
        })
        .collect()
}

fn count(records: &[CaptureRecord], test: impl Fn(&CaptureRecord) -> bool) -> usize {
    records.iter().filter(|r| test(black_box(r))).count()
}

fn filter_100k(c: &mut Criterion) {
    let records = records();
    let mut group = c.benchmark_group("display_filter/100k");
    group.sample_size(20);
    group.bench_function("baseline: lowercase and contains \"error\"", |b| {
        b.iter(|| {
            count(&records, |r| {
                each_text(&r.body, &mut |text| text.to_lowercase().contains("error"))
            })
        })
    });
    for expr in [
        "hop == kernel && opcode == close",
        "len > 1024",
        "text contains \"error\"",
        "text ~ \"err(or)?\"",
        "text ~ \"[0-9]+ ticks\"",
        "json.type == \"subscribe\"",
        "msg_type == \"execute_reply\" && channel == shell",
        "error",
    ] {
        let spec = FilterSpec {
            expr: expr.into(),
            ..FilterSpec::default()
        };
        let filter = spec.compile().unwrap();
        // The same expression straight from the display filter, when it is one.
        if let Ok(display) = DisplayFilter::parse(expr) {
            assert_eq!(
                count(&records, |r| display.matches(r)),
                count(&records, |r| filter.matches(r))
            );
        }
        group.bench_function(expr, |b| b.iter(|| count(&records, |r| filter.matches(r))));
    }
    // A lens's field, read from each record's facts as the inspector keeps them.
    let mut dissector = Dissector::new();
    let facts: Vec<Option<LensFacts>> = records
        .iter()
        .map(|r| dissector.feed(r).map(|d| d.facts()))
        .collect();
    for expr in [
        "graphql.type == \"subscribe\"",
        "graphql.id == 510 || graphql.id == 9010",
    ] {
        let filter = DisplayFilter::parse(expr).unwrap();
        let passing = || {
            records
                .iter()
                .zip(&facts)
                .filter(|(r, f)| filter.matches_with(black_box(r), f.as_ref()))
                .count()
        };
        assert!(passing() > 0, "{expr}");
        group.bench_function(expr, |b| b.iter(passing));
    }
    group.finish();
}

criterion_group!(benches, filter_100k);
criterion_main!(benches);
