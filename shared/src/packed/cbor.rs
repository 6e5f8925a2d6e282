//! CBOR (RFC 8949) into a [`Tree`]; the bounds and how non-JSON values are shown are in the
//! parent module's doc. Indefinite-length strings are joined from their chunks; bignums and
//! every other tag are shown as the tag around its content, as RFC 8949's diagnostic notation
//! does.

use super::{
    bytes_text, float, float32, key_text, text_or_bytes, DecodeError, Reader, Tree, RESERVE,
};

const BREAK: u8 = 0xff;

/// The payload as one CBOR data item, with nothing left over.
pub fn decode(bytes: &[u8]) -> Result<Tree, DecodeError> {
    let mut r = Reader::new(bytes)?;
    let tree = item(&mut r, 0)?;
    r.finish()?;
    Ok(tree)
}

const MAJOR_NAMES: [&str; 8] = [
    "an unsigned integer",
    "a negative integer",
    "a byte string",
    "a text string",
    "an array",
    "a map",
    "a tag",
    "a simple value or float",
];

fn item(r: &mut Reader, depth: usize) -> Result<Tree, DecodeError> {
    r.enter(depth)?;
    let at = r.pos();
    let initial = r.byte()?;
    let (major, info) = (initial >> 5, initial & 0x1f);
    if major == 7 {
        return simple(r, info, at);
    }
    let argument = argument(r, info, at)?;
    Ok(match (major, argument) {
        (0, Some(n)) => Tree::Number(n.into()),
        (1, Some(n)) => match i64::try_from(n) {
            Ok(n) => Tree::Number((-1 - n).into()),
            // Below i64::MIN: JSON numbers here are 64-bit, so the decimal as text.
            Err(_) => Tree::String(format!("-{}", u128::from(n) + 1)),
        },
        (2, Some(n)) => {
            let len = r.length(n, 1, "bytes", at)?;
            Tree::String(bytes_text(r.take(len)?))
        }
        (2, None) => Tree::String(bytes_text(&chunks(r, 2)?)),
        (3, Some(n)) => {
            let len = r.length(n, 1, "bytes", at)?;
            Tree::String(text_or_bytes(r.take(len)?))
        }
        (3, None) => Tree::String(text_or_bytes(&chunks(r, 3)?)),
        (4, Some(n)) => {
            let n = r.length(n, 1, "items", at)?;
            let mut items = Vec::with_capacity(n.min(RESERVE));
            for _ in 0..n {
                items.push(item(r, depth + 1)?);
            }
            Tree::Array(items)
        }
        (4, None) => {
            let mut items = Vec::new();
            while !at_break(r, at)? {
                items.push(item(r, depth + 1)?);
            }
            Tree::Array(items)
        }
        (5, Some(n)) => {
            let n = r.length(n, 2, "entries", at)?;
            let mut entries = Vec::with_capacity(n.min(RESERVE));
            for _ in 0..n {
                let key = key_text(item(r, depth + 1)?);
                entries.push((key, item(r, depth + 1)?));
            }
            Tree::Map(entries)
        }
        (5, None) => {
            let mut entries = Vec::new();
            while !at_break(r, at)? {
                let key = key_text(item(r, depth + 1)?);
                entries.push((key, item(r, depth + 1)?));
            }
            Tree::Map(entries)
        }
        (6, Some(tag)) => Tree::Map(vec![
            ("tag".into(), Tree::Number(tag.into())),
            ("value".into(), item(r, depth + 1)?),
        ]),
        (major, _) => {
            return Err(r.error(
                at,
                format!(
                    "{} cannot have an indefinite length",
                    MAJOR_NAMES[major as usize]
                ),
            ))
        }
    })
}

/// The argument of an initial byte's additional information; `None` for indefinite (31).
fn argument(r: &mut Reader, info: u8, at: usize) -> Result<Option<u64>, DecodeError> {
    match info {
        0..=23 => Ok(Some(u64::from(info))),
        24..=27 => Ok(Some(r.uint(1 << (info - 24))?)),
        31 => Ok(None),
        _ => Err(r.error(at, format!("additional information {info} is reserved"))),
    }
}

/// Consumes a break if one is next; errors if the input ends first.
fn at_break(r: &mut Reader, opened: usize) -> Result<bool, DecodeError> {
    match r.peek() {
        Some(BREAK) => {
            r.byte()?;
            Ok(true)
        }
        Some(_) => Ok(false),
        None => Err(r.error(
            r.pos(),
            format!("the indefinite-length item opened at byte {opened} has no break (cut short?)"),
        )),
    }
}

/// The chunks of an indefinite-length string, joined; each must be a definite string of the
/// same major type. The total is at most the input's length, as each chunk is taken from it.
fn chunks(r: &mut Reader, major: u8) -> Result<Vec<u8>, DecodeError> {
    let opened = r.pos() - 1;
    let mut out = Vec::new();
    while !at_break(r, opened)? {
        let at = r.pos();
        let initial = r.byte()?;
        match (initial >> 5, argument(r, initial & 0x1f, at)?) {
            (m, Some(n)) if m == major => {
                let len = r.length(n, 1, "bytes", at)?;
                out.extend_from_slice(r.take(len)?);
            }
            _ => {
                return Err(r.error(
                    at,
                    format!(
                        "a chunk of an indefinite-length {} must be a definite one",
                        if major == 2 {
                            "byte string"
                        } else {
                            "text string"
                        }
                    ),
                ))
            }
        }
    }
    Ok(out)
}

fn simple(r: &mut Reader, info: u8, at: usize) -> Result<Tree, DecodeError> {
    Ok(match info {
        20 => Tree::Bool(false),
        21 => Tree::Bool(true),
        22 => Tree::Null,
        23 => Tree::String("undefined".into()),
        0..=19 => Tree::String(format!("simple({info})")),
        24 => match r.byte()? {
            v @ 0..=31 => {
                return Err(r.error(at, format!("simple value {v} must be in the one-byte form")))
            }
            v => Tree::String(format!("simple({v})")),
        },
        25 => float(half(r.uint(2)? as u16)),
        26 => float32(f32::from_bits(r.uint(4)? as u32)),
        27 => float(f64::from_bits(r.uint(8)?)),
        31 => return Err(r.error(at, "a break (0xff) outside an indefinite-length item")),
        _ => return Err(r.error(at, format!("additional information {info} is reserved"))),
    })
}

/// An IEEE 754 half-precision float (RFC 8949 Appendix D).
fn half(h: u16) -> f64 {
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = f64::from(h & 0x3ff);
    let magnitude = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (mant + 1024.0) * 2f64.powi(exp - 25),
    };
    if h & 0x8000 != 0 {
        -magnitude
    } else {
        magnitude
    }
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

    /// RFC 8949 Appendix A, every example, in the order of Table 6 (bignums and other tags are
    /// shown as `{"tag", "value"}`, byte strings as their length and hex).
    #[test]
    fn rfc8949_appendix_a() {
        let table = [
            ("00", "0"),
            ("01", "1"),
            ("0a", "10"),
            ("17", "23"),
            ("1818", "24"),
            ("1819", "25"),
            ("1864", "100"),
            ("1903e8", "1000"),
            ("1a000f4240", "1000000"),
            ("1b000000e8d4a51000", "1000000000000"),
            ("1bffffffffffffffff", "18446744073709551615"),
            (
                "c249010000000000000000",
                r#"{"tag":2,"value":"(9 bytes) 010000000000000000"}"#,
            ),
            ("3bffffffffffffffff", r#""-18446744073709551616""#),
            (
                "c349010000000000000000",
                r#"{"tag":3,"value":"(9 bytes) 010000000000000000"}"#,
            ),
            ("20", "-1"),
            ("29", "-10"),
            ("3863", "-100"),
            ("3903e7", "-1000"),
            ("f90000", "0.0"),
            ("f98000", "-0.0"),
            ("f93c00", "1.0"),
            ("fb3ff199999999999a", "1.1"),
            ("f93e00", "1.5"),
            ("f97bff", "65504.0"),
            ("fa47c35000", "100000.0"),
            ("fa7f7fffff", "3.4028235e+38"),
            ("fb7e37e43c8800759c", "1e+300"),
            ("f90001", "5.960464477539063e-8"),
            ("f90400", "0.00006103515625"),
            ("f9c400", "-4.0"),
            ("fbc010666666666666", "-4.1"),
            ("f97c00", r#""Infinity""#),
            ("f97e00", r#""NaN""#),
            ("f9fc00", r#""-Infinity""#),
            ("fa7f800000", r#""Infinity""#),
            ("fa7fc00000", r#""NaN""#),
            ("faff800000", r#""-Infinity""#),
            ("fb7ff0000000000000", r#""Infinity""#),
            ("fb7ff8000000000000", r#""NaN""#),
            ("fbfff0000000000000", r#""-Infinity""#),
            ("f4", "false"),
            ("f5", "true"),
            ("f6", "null"),
            ("f7", r#""undefined""#),
            ("f0", r#""simple(16)""#),
            ("f8ff", r#""simple(255)""#),
            (
                "c074323031332d30332d32315432303a30343a30305a",
                r#"{"tag":0,"value":"2013-03-21T20:04:00Z"}"#,
            ),
            ("c11a514b67b0", r#"{"tag":1,"value":1363896240}"#),
            ("c1fb41d452d9ec200000", r#"{"tag":1,"value":1363896240.5}"#),
            ("d74401020304", r#"{"tag":23,"value":"(4 bytes) 01020304"}"#),
            (
                "d818456449455446",
                r#"{"tag":24,"value":"(5 bytes) 6449455446"}"#,
            ),
            (
                "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
                r#"{"tag":32,"value":"http://www.example.com"}"#,
            ),
            ("40", r#""(0 bytes) ""#),
            ("4401020304", r#""(4 bytes) 01020304""#),
            ("60", r#""""#),
            ("6161", r#""a""#),
            ("6449455446", r#""IETF""#),
            ("62225c", r#""\"\\""#),
            ("62c3bc", r#""ü""#),
            ("63e6b0b4", r#""水""#),
            ("64f0908591", r#""𐅑""#),
            ("80", "[]"),
            ("83010203", "[1,2,3]"),
            ("8301820203820405", "[1,[2,3],[4,5]]"),
            (
                "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
                "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]",
            ),
            ("a0", "{}"),
            ("a201020304", r#"{"1":2,"3":4}"#),
            ("a26161016162820203", r#"{"a":1,"b":[2,3]}"#),
            ("826161a161626163", r#"["a",{"b":"c"}]"#),
            (
                "a56161614161626142616361436164614461656145",
                r#"{"a":"A","b":"B","c":"C","d":"D","e":"E"}"#,
            ),
            ("5f42010243030405ff", r#""(5 bytes) 0102030405""#),
            ("7f657374726561646d696e67ff", r#""streaming""#),
            ("9fff", "[]"),
            ("9f018202039f0405ffff", "[1,[2,3],[4,5]]"),
            ("9f01820203820405ff", "[1,[2,3],[4,5]]"),
            ("83018202039f0405ff", "[1,[2,3],[4,5]]"),
            ("83019f0203ff820405", "[1,[2,3],[4,5]]"),
            (
                "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
                "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]",
            ),
            ("bf61610161629f0203ffff", r#"{"a":1,"b":[2,3]}"#),
            ("826161bf61626163ff", r#"["a",{"b":"c"}]"#),
            ("bf6346756ef563416d7421ff", r#"{"Fun":true,"Amt":-2}"#),
        ];
        for (hex, want) in table {
            assert_eq!(json(hex), want, "{hex}");
        }
    }

    #[test]
    fn keys_that_are_not_strings_are_their_text() {
        assert_eq!(json("a1 8201 02 f6"), r#"{"[1,2]":null}"#);
        assert_eq!(json("a2 01 02 01 03"), r#"{"1":2,"1":3}"#);
    }

    #[test]
    fn hostile_and_broken_input_is_an_error() {
        assert!(error("9bffffffffffffffff").contains("declares 18446744073709551615 items"));
        assert!(error("bbffffffffffffffff").contains("declares"));
        assert!(error("5bffffffffffffffff").contains("declares 18446744073709551615 bytes"));
        assert!(error("7a7fffffff61").contains("declares"));
        assert!(error("9f0102").contains("has no break"));
        assert!(error("5f4101").contains("has no break"));
        assert!(error("5f6161ff").contains("must be a definite one"));
        assert!(error("5f5f4101ffff").contains("must be a definite one"));
        assert_eq!(
            error("1c"),
            "at byte 0: additional information 28 is reserved"
        );
        assert_eq!(
            error("ff"),
            "at byte 0: a break (0xff) outside an indefinite-length item"
        );
        assert!(error("f818").contains("one-byte form"));
        assert!(error("1f").contains("an unsigned integer cannot have an indefinite length"));
        assert!(error("df").contains("a tag cannot have an indefinite length"));
        assert!(error("1a0001").contains("cut short"));
        assert_eq!(
            error("0000"),
            "at byte 1: 1 bytes left over after the first value"
        );
        let deep = "81".repeat(super::super::MAX_DEPTH + 1) + "f6";
        assert!(error(&deep).contains("nested deeper"));
        let tags = "c1".repeat(super::super::MAX_DEPTH + 1) + "f6";
        assert!(error(&tags).contains("nested deeper"));
        let indefinite = "9f".repeat(super::super::MAX_DEPTH + 2);
        assert!(error(&indefinite).contains("nested deeper"));
    }
}
