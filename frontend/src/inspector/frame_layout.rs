//! A frame's bytes laid out for reading: the header bit by bit as in RFC 6455 §5.2, and a hex
//! dump whose bytes know which part of the frame they are (header, extended length, masking
//! key, payload).
//!
//! The header is read from the bytes the tap recorded, not from the decoded fields, so that
//! what the layout shows is exactly what was on the wire.

use std::ops::Range;

use wirebook_shared::capture::{FrameRecord, Opcode};
use wirebook_shared::hex::unhex;
use wirebook_shared::wire::mask::apply_mask;

/// Which part of a frame a byte belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteClass {
    /// The first two bytes: FIN, RSV1–3, opcode, MASK, 7-bit length.
    Header,
    ExtendedLength,
    MaskKey,
    Payload,
}

impl ByteClass {
    /// CSS class name.
    pub fn css(self) -> &'static str {
        match self {
            ByteClass::Header => "b-header",
            ByteClass::ExtendedLength => "b-extlen",
            ByteClass::MaskKey => "b-mask",
            ByteClass::Payload => "b-payload",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ByteClass::Header => "header",
            ByteClass::ExtendedLength => "extended payload length",
            ByteClass::MaskKey => "masking key",
            ByteClass::Payload => "payload",
        }
    }
}

/// A frame's recorded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameBytes {
    pub header: Vec<u8>,
    /// Unmasked, as far as the capture kept it.
    pub payload: Vec<u8>,
    pub mask_key: Option<[u8; 4]>,
    /// The payload's true length (more than `payload.len()` when the capture cut it).
    pub len: u64,
}

impl FrameBytes {
    pub fn of(frame: &FrameRecord) -> Result<FrameBytes, String> {
        let header = unhex(&frame.header_hex).map_err(|e| format!("header bytes: {e}"))?;
        let payload = unhex(&frame.payload_hex).map_err(|e| format!("payload bytes: {e}"))?;
        Ok(FrameBytes {
            header,
            payload,
            mask_key: frame.mask_key,
            len: frame.len,
        })
    }

    /// The payload as it crossed the wire: masked when the frame was and `masked` is asked.
    pub fn payload_as(&self, masked: bool) -> Vec<u8> {
        let mut bytes = self.payload.clone();
        if let (true, Some(key)) = (masked, self.mask_key) {
            apply_mask(&mut bytes, key, 0);
        }
        bytes
    }

    /// The class of each header byte, read from the second byte's length and MASK bits.
    pub fn header_classes(&self) -> Vec<ByteClass> {
        let extended = self.header.get(1).map_or(0, |&b| extended_len_bytes(b));
        (0..self.header.len())
            .map(|i| {
                if i < 2 {
                    ByteClass::Header
                } else if i < 2 + extended {
                    ByteClass::ExtendedLength
                } else {
                    ByteClass::MaskKey
                }
            })
            .collect()
    }
}

/// Bytes of extended length announced by a second header byte.
fn extended_len_bytes(second: u8) -> usize {
    match second & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    }
}

/// One line of a hex dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexLine {
    /// Offset of the first byte from the start of the frame.
    pub offset: usize,
    pub bytes: Vec<(u8, ByteClass)>,
}

impl HexLine {
    /// The printable-ASCII column: other bytes as `.`.
    pub fn ascii(&self) -> String {
        self.bytes
            .iter()
            .map(|&(b, _)| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect()
    }
}

/// Bytes per hex dump line.
pub const HEX_LINE_BYTES: usize = 16;

/// The frame's header and payload as hex dump lines; the payload masked as on the wire when
/// `masked` (and the frame has a key), unmasked otherwise.
pub fn hex_dump(bytes: &FrameBytes, masked: bool) -> Vec<HexLine> {
    let classes = bytes.header_classes();
    let all: Vec<(u8, ByteClass)> = bytes
        .header
        .iter()
        .copied()
        .zip(classes)
        .chain(
            bytes
                .payload_as(masked)
                .into_iter()
                .map(|b| (b, ByteClass::Payload)),
        )
        .collect();
    all.chunks(HEX_LINE_BYTES)
        .enumerate()
        .map(|(i, chunk)| HexLine {
            offset: i * HEX_LINE_BYTES,
            bytes: chunk.to_vec(),
        })
        .collect()
}

/// One field of the header in a [`BitRow`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitField {
    pub name: &'static str,
    /// Bit columns it covers in its row (0–15, most significant bit first).
    pub bits: Range<usize>,
    /// Its value, explained (`1`, `0x1 text`, `126: 16-bit length follows`).
    pub value: String,
    pub class: ByteClass,
}

/// Two header bytes, bit by bit, with the fields they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitRow {
    /// Offset of the row's first byte in the frame.
    pub offset: usize,
    /// The bits, most significant first (8 for the last row of an odd-length header).
    pub bits: Vec<bool>,
    pub fields: Vec<BitField>,
}

/// The header as RFC 6455 §5.2 draws it, 16 bits a row: bytes 0–1 (FIN, RSV1–3, opcode, MASK,
/// payload len), then the extended payload length, then the masking key.
pub fn header_layout(header: &[u8]) -> Result<Vec<BitRow>, String> {
    let [first, second, ..] = *header else {
        return Err(format!(
            "a frame header has at least 2 bytes; {} recorded",
            header.len()
        ));
    };
    let extended = extended_len_bytes(second);
    let masked = second & 0x80 != 0;
    let expected = 2 + extended + if masked { 4 } else { 0 };
    if header.len() != expected {
        return Err(format!(
            "the header announces {expected} bytes but {} were recorded",
            header.len()
        ));
    }
    let bit = |byte: u8, n: u8| byte >> (7 - n) & 1 == 1;
    let flag = |on: bool| if on { "1".to_string() } else { "0".to_string() };
    let opcode = Opcode::from_u8(first & 0x0f);
    let len7 = second & 0x7f;
    let len7_value = match len7 {
        126 => "126: 16-bit length follows".to_string(),
        127 => "127: 64-bit length follows".to_string(),
        n => format!("{n} bytes"),
    };
    let mut rows = vec![BitRow {
        offset: 0,
        bits: bits_of(&header[..2]),
        fields: vec![
            field("FIN", 0..1, flag(bit(first, 0)), ByteClass::Header),
            field("RSV1", 1..2, flag(bit(first, 1)), ByteClass::Header),
            field("RSV2", 2..3, flag(bit(first, 2)), ByteClass::Header),
            field("RSV3", 3..4, flag(bit(first, 3)), ByteClass::Header),
            field(
                "opcode",
                4..8,
                format!("0x{:X} {}", first & 0x0f, opcode.name()),
                ByteClass::Header,
            ),
            field("MASK", 8..9, flag(masked), ByteClass::Header),
            field("payload len", 9..16, len7_value, ByteClass::Header),
        ],
    }];
    let ext = &header[2..2 + extended];
    if !ext.is_empty() {
        let value = ext.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        let name = if extended == 2 {
            "extended payload length (16 bits)"
        } else {
            "extended payload length (64 bits)"
        };
        rows.extend(word_rows(2, ext, ByteClass::ExtendedLength, |i, _| {
            let shown = if i == 0 {
                format!("{value} bytes")
            } else {
                "(continued)".to_string()
            };
            (name, shown)
        }));
    }
    if masked {
        let key = &header[2 + extended..];
        rows.extend(word_rows(
            2 + extended,
            key,
            ByteClass::MaskKey,
            |i, pair| {
                let name = if i == 0 {
                    "masking-key (bytes 1–2)"
                } else {
                    "masking-key (bytes 3–4)"
                };
                (name, wirebook_shared::hex::hex(pair))
            },
        ));
    }
    Ok(rows)
}

/// A multi-byte header field (extended length, masking key) starting at byte `offset`, drawn
/// 16 bits a row; `describe` gives each row's name and shown value from its index and bytes.
fn word_rows<'a>(
    offset: usize,
    bytes: &'a [u8],
    class: ByteClass,
    describe: impl Fn(usize, &[u8]) -> (&'static str, String) + 'a,
) -> impl Iterator<Item = BitRow> + 'a {
    bytes.chunks(2).enumerate().map(move |(i, pair)| {
        let (name, shown) = describe(i, pair);
        BitRow {
            offset: offset + 2 * i,
            bits: bits_of(pair),
            fields: vec![field(name, 0..16, shown, class)],
        }
    })
}

fn field(name: &'static str, bits: Range<usize>, value: String, class: ByteClass) -> BitField {
    BitField {
        name,
        bits,
        value,
        class,
    }
}

fn bits_of(bytes: &[u8]) -> Vec<bool> {
    bytes
        .iter()
        .flat_map(|&b| (0..8).map(move |n| b >> (7 - n) & 1 == 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::test_records::{frame_of, text_frame, with_frame};
    use wirebook_shared::capture::{Direction, Hop};
    use wirebook_shared::wire::{encode_frame, FrameSpec, LengthForm};

    /// Encodes a frame with the shared encoder and splits it as the tap records it.
    fn recorded(spec: FrameSpec, payload: &[u8]) -> FrameBytes {
        let wire = encode_frame(&spec, payload);
        let header_len = wire.len() - payload.len();
        FrameBytes {
            header: wire[..header_len].to_vec(),
            payload: payload.to_vec(),
            mask_key: spec.mask_key,
            len: payload.len() as u64,
        }
    }

    #[test]
    fn short_masked_header_bit_by_bit() {
        // RFC 6455 §5.7: a masked "Hello" from a client.
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let bytes = recorded(FrameSpec::new(Opcode::Text).masked(key), b"Hello");
        assert_eq!(bytes.header, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]);
        let rows = header_layout(&bytes.header).unwrap();
        assert_eq!(rows.len(), 3);
        let first = &rows[0];
        assert_eq!(first.offset, 0);
        let bits: String = first
            .bits
            .iter()
            .map(|&b| if b { '1' } else { '0' })
            .collect();
        assert_eq!(bits, "1000000110000101");
        let values: Vec<(&str, &str)> = first
            .fields
            .iter()
            .map(|f| (f.name, f.value.as_str()))
            .collect();
        assert_eq!(
            values,
            vec![
                ("FIN", "1"),
                ("RSV1", "0"),
                ("RSV2", "0"),
                ("RSV3", "0"),
                ("opcode", "0x1 text"),
                ("MASK", "1"),
                ("payload len", "5 bytes"),
            ]
        );
        // Every bit of the row belongs to exactly one field.
        let covered: usize = first.fields.iter().map(|f| f.bits.len()).sum();
        assert_eq!(covered, 16);
        assert_eq!(rows[1].fields[0].value, "37fa");
        assert_eq!(rows[2].fields[0].value, "213d");
        assert_eq!(rows[2].offset, 4);
        assert!(rows[1..]
            .iter()
            .all(|r| r.fields[0].class == ByteClass::MaskKey));
    }

    #[test]
    fn extended_lengths_get_their_own_rows() {
        let medium = recorded(FrameSpec::new(Opcode::Binary), &[0; 300]);
        let rows = header_layout(&medium.header).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields[6].value, "126: 16-bit length follows");
        assert_eq!(rows[1].fields[0].value, "300 bytes");
        assert_eq!(rows[1].fields[0].class, ByteClass::ExtendedLength);

        // A 64-bit length for a short payload (non-minimal, but it happens on the wire),
        // masked, unfinished.
        let long = recorded(
            FrameSpec::new(Opcode::Continuation)
                .fin(false)
                .masked([1, 2, 3, 4])
                .length_form(LengthForm::Long),
            b"abc",
        );
        assert_eq!(long.header.len(), 14);
        let rows = header_layout(&long.header).unwrap();
        assert_eq!(rows.len(), 1 + 4 + 2);
        assert_eq!(rows[0].fields[0].value, "0");
        assert_eq!(rows[0].fields[4].value, "0x0 continuation");
        assert_eq!(rows[0].fields[6].value, "127: 64-bit length follows");
        assert_eq!(rows[1].fields[0].value, "3 bytes");
        assert_eq!(rows[2].fields[0].value, "(continued)");
        assert_eq!(rows[5].fields[0].value, "0102");
        assert_eq!(rows[6].offset, 12);
    }

    #[test]
    fn inconsistent_headers_are_explained() {
        assert!(header_layout(&[0x81]).unwrap_err().contains("at least 2"));
        assert!(header_layout(&[0x81, 0xfe, 0x00])
            .unwrap_err()
            .contains("announces 8 bytes but 3"));
    }

    #[test]
    fn hex_dump_marks_each_part_and_masks_on_request() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let payload: Vec<u8> = (0u8..20).map(|i| b'a' + i).collect();
        let bytes = recorded(FrameSpec::new(Opcode::Text).masked(key), &payload);
        let unmasked = hex_dump(&bytes, false);
        assert_eq!(unmasked.len(), 2, "6 header + 20 payload bytes");
        assert_eq!(unmasked[1].offset, 16);
        let classes: Vec<ByteClass> = unmasked[0].bytes.iter().map(|&(_, c)| c).collect();
        assert_eq!(&classes[..2], &[ByteClass::Header; 2]);
        assert_eq!(&classes[2..6], &[ByteClass::MaskKey; 4]);
        assert_eq!(classes[6], ByteClass::Payload);
        assert_eq!(unmasked[0].ascii(), "..7.!=abcdefghij");
        // Masked, the dump equals the encoded frame byte for byte.
        let wire = encode_frame(&FrameSpec::new(Opcode::Text).masked(key), &payload);
        let masked: Vec<u8> = hex_dump(&bytes, true)
            .iter()
            .flat_map(|l| l.bytes.iter().map(|&(b, _)| b))
            .collect();
        assert_eq!(masked, wire);
        // An unmasked frame is the same either way.
        let plain = recorded(FrameSpec::new(Opcode::Text), b"hi");
        assert_eq!(hex_dump(&plain, true), hex_dump(&plain, false));

        let medium = recorded(FrameSpec::new(Opcode::Binary), &[0; 200]);
        assert_eq!(
            medium.header_classes(),
            vec![
                ByteClass::Header,
                ByteClass::Header,
                ByteClass::ExtendedLength,
                ByteClass::ExtendedLength
            ]
        );
    }

    #[test]
    fn frame_bytes_come_from_the_record() {
        // A masked 10-byte frame of which the capture kept "hi".
        let recorded = with_frame(
            text_frame(1, Hop::Browser, Direction::ToServer, "hi"),
            |f| {
                f.mask_key = Some([1, 2, 3, 4]);
                f.len = 10;
                f.header_hex = "818a01020304".into();
                f.truncated = true;
            },
        );
        let record = frame_of(&recorded);
        let bytes = FrameBytes::of(record).unwrap();
        assert_eq!(bytes.payload, b"hi");
        assert_eq!(bytes.payload_as(true), vec![b'h' ^ 1, b'i' ^ 2]);
        assert_eq!(bytes.len, 10);
        let broken = FrameRecord {
            payload_hex: "6".into(),
            ..record.clone()
        };
        assert!(FrameBytes::of(&broken)
            .unwrap_err()
            .starts_with("payload bytes"));
    }
}
