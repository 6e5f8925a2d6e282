//! Fuzzing, as property tests, of the MessagePack and CBOR readers (`wirebook_shared::packed`):
//! arbitrary bytes and mutations of valid documents (bytes flipped, inserted, deleted, or the
//! document cut) never panic; whatever decodes stops decoding with a byte added after it (no
//! trailing bytes), and a decoded tree is never deeper than `MAX_DEPTH`.
//!
//! `WIREBOOK_FUZZ_CASES` sets the cases per target (256 by default, as in fuzz_parsers.rs).

mod fuzz_support;

use fuzz_support::{apply_bytes, byte_edit, cases, ByteEdit};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use wirebook_shared::hex::unhex;
use wirebook_shared::packed::{looks_like, Format, Tree, MAX_DEPTH};

/// Valid documents (hex) of both formats, to mutate: maps, arrays, strings of every length
/// form, extensions, tags, indefinite lengths, floats.
const SAMPLES: &[&str] = &[
    "82a7636f6d70616374c3a6736368656d6100",
    "94cd0100d9036162639281a16101c0c4020102",
    "de0002a16191cb3ff199999999999ac7030501020391d6ff00000001",
    "dc000392ca3f8ccccd93d0808081a0c2c0c3",
    "bf61610161629f0203ffff",
    "9f018202039f0405ffff",
    "a26161016162820203",
    "c249010000000000000000",
    "5f42010243030405ff",
    "7f657374726561646d696e67ff",
    "83f97e00fa7f800000d818456449455446",
];

/// `sample` with `edits` applied (fuzz_support's byte edits, as fuzz_parsers.rs uses).
fn mutate(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    apply_bytes(&mut bytes, edits);
    bytes
}

fn depth(tree: &Tree) -> usize {
    match tree {
        Tree::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Tree::Map(entries) => 1 + entries.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// The properties every input must keep, for both formats.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    for format in Format::ALL {
        if let Ok(tree) = format.decode(bytes) {
            prop_assert!(depth(&tree) <= MAX_DEPTH, "{} too deep", format.name());
            let mut longer = bytes.to_vec();
            longer.push(0);
            let err = format.decode(&longer).unwrap_err();
            prop_assert!(err.what.contains("left over"), "{}: {err}", format.name());
        }
    }
    let _ = looks_like(bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        check(&bytes)?;
    }

    #[test]
    fn mutated_documents_never_panic(
        sample in select(SAMPLES),
        mutations in vec(byte_edit(), 1..6),
    ) {
        let bytes = mutate(unhex(sample).unwrap(), &mutations);
        check(&bytes)?;
    }

    /// Headers that declare the most (lengths of 2^32 and 2^64) in front of a little data.
    #[test]
    fn huge_declared_lengths_are_errors(
        header in select(&[
            "dd", "df", "db", "c6", "c9", "9b", "bb", "5b", "7b", "dc", "de", "da", "c5", "c8",
        ][..]),
        tail in vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = unhex(header).unwrap();
        bytes.extend_from_slice(&[0xff; 8]);
        bytes.extend_from_slice(&tail);
        check(&bytes)?;
        let len = bytes.len();
        let format = if header.starts_with(['9', 'b', '5', '7']) { Format::Cbor } else { Format::MessagePack };
        prop_assert!(format.decode(&bytes).is_err(), "{} of {len} bytes decoded", header);
    }
}

#[test]
fn every_sample_decodes() {
    for sample in SAMPLES {
        assert!(!looks_like(&unhex(sample).unwrap()).is_empty(), "{sample}");
    }
}

#[test]
fn nesting_far_past_the_limit_is_an_error_not_a_stack_overflow() {
    for (format, open) in [(Format::MessagePack, 0x91), (Format::Cbor, 0x81)] {
        let bytes = vec![open; 1_000_000];
        assert!(format
            .decode(&bytes)
            .unwrap_err()
            .what
            .contains("nested deeper"));
    }
    // CBOR tags nest too.
    assert!(Format::Cbor.decode(&[0xc1; 100_000]).is_err());
}
