//! Fuzzing, as property tests, of the protocol lenses: every lens fed arbitrary bytes and text,
//! and mutations of valid samples of its protocol (bytes flipped, inserted, deleted or the
//! message cut), never panics, keeps its summary within `MAX_SUMMARY` characters, names only
//! the fields `FIELDS` lists, and a connection's pairer fed the results stays within
//! `MAX_OPEN`.
//!
//! `WIREBOOK_FUZZ_CASES` sets the cases per target (256 by default, as in fuzz_parsers.rs).

mod fuzz_support;

use fuzz_support::{apply_bytes, byte_edit, cases, ByteEdit};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use wirebook_shared::hex::unhex;
use wirebook_shared::lens::pairing::{Pairer, MAX_OPEN};
use wirebook_shared::lens::{decode, Lens, LensState, Payload, FIELDS, MAX_SUMMARY};
use wirebook_shared::Direction;

/// Valid messages of each protocol, to mutate.
const SAMPLES: &[&str] = &[
    "0{\"sid\":\"a\",\"upgrades\":[],\"pingInterval\":25000}",
    "451-2[\"upload\",{\"_placeholder\":true,\"num\":0}]",
    "42/admin,13[\"project:delete\",123]",
    "43/math,1[5]",
    r#"{"id":"1","type":"subscribe","payload":{"query":"subscription onMessage { message }"}}"#,
    r#"{"type":"data","id":"2","payload":{"data":{"ticks":1}}}"#,
    r#"[{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":"1"},{"jsonrpc":"2.0","result":3,"id":2}]"#,
    "SEND\ndestination:/queue/a\ncontent-length:5\nreceipt:77\n\nhello\0\n",
    "MESSAGE\nsubscription:0\nfoo:a\\cb\n\nbody\0",
    "{\"type\":1,\"invocationId\":\"123\",\"target\":\"Send\",\"arguments\":[42]}\u{1e}{\"type\":6}\u{1e}",
    r#"[8, 48, 7814135, {}, "com.myapp.error", ["x"]]"#,
    r#"[48, 7814135, {}, "com.myapp.ping"]"#,
    r#"{"header":{"msg_id":"a","msg_type":"execute_request"},"parent_header":{},"metadata":{},"content":{"code":"1"},"channel":"shell"}"#,
];

/// MQTT packets (hex): CONNECT v5, PUBLISH v5 with properties, SUBSCRIBE, two pings.
const MQTT_SAMPLES: &[&str] = &[
    "101700044d5154540502001e00000a6c656e732d6d71747435",
    "322d00066c656e732f6100021b03000a746578742f706c61696e260005747261636500046c656e73716f73206f6e65",
    "820c00010000066c656e732f2301",
    "c000d000",
];

/// `sample` with `edits` applied (fuzz_support's byte edits, as fuzz_parsers.rs uses).
fn mutate(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    apply_bytes(&mut bytes, edits);
    bytes
}

/// Decodes `bytes` as text (when UTF-8) and as binary with `lens`, feeding a pairer.
fn check(lens: Lens, state: &mut LensState, pairer: &mut Pairer, seq: u64, bytes: &[u8]) {
    let mut payloads = vec![Payload::Binary(bytes)];
    if let Ok(text) = std::str::from_utf8(bytes) {
        payloads.push(Payload::Text(text));
    }
    for (i, payload) in payloads.into_iter().enumerate() {
        for direction in [Direction::ToServer, Direction::ToClient] {
            let d = decode(lens, state, direction, payload);
            assert_eq!(d.lens, lens);
            assert!(d.summary.chars().count() <= MAX_SUMMARY, "{}", d.summary);
            for field in &d.fields {
                assert!(
                    FIELDS.iter().any(|(n, _)| *n == field.name),
                    "{}",
                    field.name
                );
            }
            pairer.feed(seq * 4 + i as u64, seq, direction, &d.keys);
            assert!(pairer.open().len() <= MAX_OPEN);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic(messages in vec(vec(any::<u8>(), 0..200), 1..8)) {
        for lens in Lens::ALL {
            let mut state = LensState::default();
            let mut pairer = Pairer::new();
            for (seq, bytes) in messages.iter().enumerate() {
                check(lens, &mut state, &mut pairer, seq as u64, bytes);
            }
        }
    }

    #[test]
    fn mutated_samples_never_panic(
        samples in vec(select(SAMPLES), 1..6),
        mqtt in vec(select(MQTT_SAMPLES), 1..6),
        mutations in vec(byte_edit(), 0..6),
    ) {
        for lens in Lens::ALL {
            let mut state = LensState::default();
            let mut pairer = Pairer::new();
            for (seq, sample) in samples.iter().enumerate() {
                let bytes = mutate(sample.as_bytes().to_vec(), &mutations);
                check(lens, &mut state, &mut pairer, seq as u64, &bytes);
            }
            for (seq, sample) in mqtt.iter().enumerate() {
                let bytes = mutate(unhex(sample).unwrap(), &mutations);
                check(lens, &mut state, &mut pairer, seq as u64, &bytes);
            }
        }
    }
}

#[test]
fn every_sample_decodes_cleanly_with_some_lens() {
    // The samples are valid: the mutations above start from real messages.
    for sample in SAMPLES {
        let clean = Lens::ALL.iter().any(|&lens| {
            let d = decode(
                lens,
                &mut LensState::default(),
                Direction::ToServer,
                Payload::Text(sample),
            );
            d.findings.is_empty() && !d.summary.is_empty()
        });
        assert!(clean, "{sample}");
    }
    for sample in MQTT_SAMPLES {
        let mut state = LensState {
            mqtt_level: Some(5),
            ..LensState::default()
        };
        let bytes = unhex(sample).unwrap();
        let d = decode(
            Lens::Mqtt,
            &mut state,
            Direction::ToServer,
            Payload::Binary(&bytes),
        );
        assert!(d.findings.is_empty(), "{sample}: {:?}", d.findings);
    }
}
