//! MessagePack (the msgpack spec, github.com/msgpack/msgpack/blob/master/spec.md) into a
//! [`Tree`]; the bounds and how non-JSON values are shown are in the parent module's doc.

use super::{
    bytes_text, float, float32, key_text, text_or_bytes, DecodeError, Reader, Tree, RESERVE,
};

/// The payload as one MessagePack value, with nothing left over.
pub fn decode(bytes: &[u8]) -> Result<Tree, DecodeError> {
    let mut r = Reader::new(bytes)?;
    let tree = value(&mut r, 0)?;
    r.finish()?;
    Ok(tree)
}

fn value(r: &mut Reader, depth: usize) -> Result<Tree, DecodeError> {
    r.enter(depth)?;
    let at = r.pos();
    let b = r.byte()?;
    Ok(match b {
        0x00..=0x7f => Tree::Number(u64::from(b).into()),
        0x80..=0x8f => map(r, u64::from(b & 0x0f), at, depth)?,
        0x90..=0x9f => array(r, u64::from(b & 0x0f), at, depth)?,
        0xa0..=0xbf => string(r, u64::from(b & 0x1f), at)?,
        0xc0 => Tree::Null,
        0xc1 => return Err(r.error(at, "0xc1 is never used in MessagePack")),
        0xc2 => Tree::Bool(false),
        0xc3 => Tree::Bool(true),
        0xc4..=0xc6 => {
            let n = r.uint(1 << (b - 0xc4))?;
            let len = r.length(n, 1, "bytes", at)?;
            Tree::String(bytes_text(r.take(len)?))
        }
        0xc7..=0xc9 => {
            let n = r.uint(1 << (b - 0xc7))?;
            ext(r, n, at)?
        }
        0xca => float32(f32::from_bits(r.uint(4)? as u32)),
        0xcb => float(f64::from_bits(r.uint(8)?)),
        0xcc..=0xcf => Tree::Number(r.uint(1 << (b - 0xcc))?.into()),
        0xd0..=0xd3 => {
            let n = 1 << (b - 0xd0);
            let raw = r.uint(n)?;
            // Sign-extend from n bytes.
            let shift = 64 - 8 * n as u32;
            Tree::Number((((raw << shift) as i64) >> shift).into())
        }
        0xd4..=0xd8 => ext(r, 1 << (b - 0xd4), at)?,
        0xd9..=0xdb => {
            let n = r.uint(1 << (b - 0xd9))?;
            string(r, n, at)?
        }
        0xdc | 0xdd => {
            let n = r.uint(if b == 0xdc { 2 } else { 4 })?;
            array(r, n, at, depth)?
        }
        0xde | 0xdf => {
            let n = r.uint(if b == 0xde { 2 } else { 4 })?;
            map(r, n, at, depth)?
        }
        0xe0..=0xff => Tree::Number(i64::from(b as i8).into()),
    })
}

fn string(r: &mut Reader, declared: u64, at: usize) -> Result<Tree, DecodeError> {
    let len = r.length(declared, 1, "bytes", at)?;
    Ok(Tree::String(text_or_bytes(r.take(len)?)))
}

fn array(r: &mut Reader, declared: u64, at: usize, depth: usize) -> Result<Tree, DecodeError> {
    let n = r.length(declared, 1, "items", at)?;
    let mut items = Vec::with_capacity(n.min(RESERVE));
    for _ in 0..n {
        items.push(value(r, depth + 1)?);
    }
    Ok(Tree::Array(items))
}

fn map(r: &mut Reader, declared: u64, at: usize, depth: usize) -> Result<Tree, DecodeError> {
    let n = r.length(declared, 2, "entries", at)?;
    let mut entries = Vec::with_capacity(n.min(RESERVE));
    for _ in 0..n {
        let key = key_text(value(r, depth + 1)?);
        entries.push((key, value(r, depth + 1)?));
    }
    Ok(Tree::Map(entries))
}

/// An extension: its type byte, then `declared` bytes of data.
fn ext(r: &mut Reader, declared: u64, at: usize) -> Result<Tree, DecodeError> {
    let kind = r.byte()? as i8;
    let len = r.length(declared, 1, "bytes", at)?;
    let data = r.take(len)?;
    let shown = match (kind, timestamp(data)) {
        (-1, Some((seconds, nanos))) => (
            "timestamp",
            Tree::Map(vec![
                ("seconds".into(), Tree::Number(seconds.into())),
                ("nanoseconds".into(), Tree::Number(nanos.into())),
            ]),
        ),
        _ => ("data", Tree::String(bytes_text(data))),
    };
    Ok(Tree::Map(vec![
        ("ext".into(), Tree::Number(i64::from(kind).into())),
        (shown.0.into(), shown.1),
    ]))
}

/// The timestamp extension's three layouts (32, 64 and 96 bits).
fn timestamp(data: &[u8]) -> Option<(i64, u32)> {
    let be = |b: &[u8]| b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    match data.len() {
        4 => Some((be(data) as i64, 0)),
        8 => {
            let v = be(data);
            Some(((v & 0x3_ffff_ffff) as i64, (v >> 34) as u32))
        }
        12 => Some((be(&data[4..]) as i64, be(&data[..4]) as u32)),
        _ => None,
    }
    .filter(|&(_, nanos)| nanos < 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::unhex;

    fn json(hex: &str) -> String {
        let tree = decode(&unhex(hex).unwrap()).unwrap();
        let mut out = String::new();
        super::super::compact(&tree, &mut out);
        out
    }

    fn error(hex: &str) -> String {
        decode(&unhex(hex).unwrap()).unwrap_err().to_string()
    }

    #[test]
    fn spec_examples() {
        // The msgpack spec's {"compact":true,"schema":0} (msgpack.org front page).
        assert_eq!(
            json("82a7636f6d70616374c3a6736368656d6100"),
            r#"{"compact":true,"schema":0}"#
        );
        // Every integer form, at its edges.
        assert_eq!(json("7f"), "127");
        assert_eq!(json("e0"), "-32");
        assert_eq!(json("ff"), "-1");
        assert_eq!(json("cc ff"), "255");
        assert_eq!(json("cd ffff"), "65535");
        assert_eq!(json("ce ffffffff"), "4294967295");
        assert_eq!(json("cf ffffffffffffffff"), "18446744073709551615");
        assert_eq!(json("d0 80"), "-128");
        assert_eq!(json("d1 8000"), "-32768");
        assert_eq!(json("d2 80000000"), "-2147483648");
        assert_eq!(json("d3 8000000000000000"), "-9223372036854775808");
        assert_eq!(json("c0"), "null");
        assert_eq!(json("c2"), "false");
        assert_eq!(json("c3"), "true");
        assert_eq!(json("ca 3f8ccccd"), "1.1");
        assert_eq!(json("cb 3ff199999999999a"), "1.1");
        assert_eq!(json("cb 7ff8000000000000"), r#""NaN""#);
        assert_eq!(json("ca ff800000"), r#""-Infinity""#);
        assert_eq!(json("a161"), r#""a""#);
        assert_eq!(json("d9 01 61"), r#""a""#);
        assert_eq!(json("da 0001 61"), r#""a""#);
        assert_eq!(json("db 00000001 61"), r#""a""#);
        assert_eq!(json("c4 02 dead"), r#""(2 bytes) dead""#);
        assert_eq!(json("dc 0002 01 02"), "[1,2]");
        assert_eq!(json("dd 00000001 90"), "[[]]");
        assert_eq!(json("de 0001 01 02"), r#"{"1":2}"#);
        assert_eq!(json("80"), "{}");
        // Keys in order, duplicates kept.
        assert_eq!(json("82 a162 01 a162 02"), r#"{"b":1,"b":2}"#);
        // A key that is a map is its text.
        assert_eq!(json("81 81 01 02 c0"), r#"{"{\"1\":2}":null}"#);
    }

    #[test]
    fn extensions_and_timestamps() {
        assert_eq!(json("d4 05 ab"), r#"{"ext":5,"data":"(1 byte) ab"}"#);
        assert_eq!(
            json("c7 03 fe 010203"),
            r#"{"ext":-2,"data":"(3 bytes) 010203"}"#
        );
        // timestamp 32: 1970 + 1 s.
        assert_eq!(
            json("d6 ff 00000001"),
            r#"{"ext":-1,"timestamp":{"seconds":1,"nanoseconds":0}}"#
        );
        // timestamp 64: 1 ns, 2 s.
        assert_eq!(
            json("d7 ff 0000000400000002"),
            r#"{"ext":-1,"timestamp":{"seconds":2,"nanoseconds":1}}"#
        );
        // timestamp 96: 5 ns, -1 s.
        assert_eq!(
            json("c7 0c ff 00000005 ffffffffffffffff"),
            r#"{"ext":-1,"timestamp":{"seconds":-1,"nanoseconds":5}}"#
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_shown_as_bytes() {
        assert_eq!(json("a2 c328"), r#""not UTF-8: (2 bytes) c328""#);
    }

    #[test]
    fn hostile_and_broken_input_is_an_error() {
        assert_eq!(error("c1"), "at byte 0: 0xc1 is never used in MessagePack");
        assert!(error("dd ffffffff").contains("declares 4294967295 items but only 0 bytes"));
        assert!(error("df ffffffff 01").contains("declares 4294967295 entries"));
        assert!(error("db ffffffff 61").contains("declares 4294967295 bytes"));
        assert!(error("c6 ffffffff").contains("declares 4294967295 bytes"));
        assert!(error("c9 ffffffff 01").contains("declares"));
        assert!(error("92 01").contains("declares 2 items but only 1 bytes"));
        assert!(error("91 cd").contains("cut short"));
        assert!(error("cd 01").contains("cut short"));
        assert_eq!(
            error("01 02"),
            "at byte 1: 1 bytes left over after the first value"
        );
        let deep = "91".repeat(super::super::MAX_DEPTH + 1) + "c0";
        assert!(error(&deep).contains("nested deeper"));
        let ok_deep = "91".repeat(super::super::MAX_DEPTH) + "c0";
        assert!(decode(&unhex(&ok_deep).unwrap()).is_ok());
    }

    #[test]
    fn too_many_values_is_an_error() {
        // An array of 65535 arrays of 2 nils: 196_606 values.
        let mut bytes = vec![0xdc, 0xff, 0xff];
        for _ in 0..0xffff {
            bytes.extend_from_slice(&[0x92, 0xc0, 0xc0]);
        }
        assert!(decode(&bytes).unwrap_err().what.contains("more than"));
    }
}
