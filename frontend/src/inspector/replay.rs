//! Frames picked in the inspector as cells that send them again: each whole message (a text,
//! binary, ping or close frame that completes one) becomes a code cell whose format
//! `cell_format::detect` chooses (JSON, text, hex, ping, close), kept in the cell's metadata.
//! What cannot be resent exactly is left out with its reason: a payload the capture kept only
//! a preview of, a frame in the middle of a message, a pong (the peer sends those).

use wirebook_notebook::cell_formats::metadata_for;
use wirebook_shared::capture::{CaptureRecord, Opcode};
use wirebook_shared::cell_format::{detect, CellMessage};
use wirebook_shared::ipynb::{IpynbCell, IpynbCellKind};

use crate::inspector::record_facts::content;
use crate::session::records::frame;

/// The cells for `records` (in the order given), and why some records made none.
pub fn cells_for(records: &[&CaptureRecord]) -> (Vec<IpynbCell>, Vec<String>) {
    let mut cells = Vec::new();
    let mut skipped = Vec::new();
    for record in records {
        match message(record) {
            Ok(message) => {
                let (format, source) = detect(&message);
                let mut cell = IpynbCell::new(
                    format!("replay-{}", record.seq),
                    IpynbCellKind::Code {
                        execution_count: None,
                        outputs: Vec::new(),
                    },
                    source,
                );
                cell.metadata = metadata_for(format);
                cells.push(cell);
            }
            Err(why) => skipped.push(format!("#{}: {why}", record.seq)),
        }
    }
    (cells, skipped)
}

fn message(record: &CaptureRecord) -> Result<CellMessage, String> {
    let frame = frame(&record.body).ok_or("not a frame")?;
    if frame.message.is_none() {
        return Err("a frame in the middle of a message: pick its last frame".into());
    }
    let content = content(frame)?;
    if content.truncated() {
        return Err(format!(
            "the capture kept {} of its {} bytes",
            content.bytes.len(),
            content.len
        ));
    }
    let opcode = frame.message.as_ref().map_or(frame.opcode, |m| m.opcode);
    match opcode {
        Opcode::Text => Ok(CellMessage::Text(content.as_text())),
        Opcode::Binary => Ok(CellMessage::Binary(content.bytes)),
        Opcode::Ping => Ok(CellMessage::Ping(content.bytes)),
        Opcode::Close => Ok(CellMessage::Close(match content.bytes.as_slice() {
            [] => None,
            [hi, lo, reason @ ..] => Some((
                u16::from_be_bytes([*hi, *lo]),
                String::from_utf8_lossy(reason).into_owned(),
            )),
            [_] => return Err("a close payload of one byte".into()),
        })),
        Opcode::Pong => Err("a pong answers a ping; it is not sent on its own".into()),
        other => Err(format!("a {} frame cannot be resent", other.name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::test_records::text_frame;
    use wirebook_notebook::cell_formats::format_of;
    use wirebook_shared::capture::{CaptureBody, Direction, Hop};
    use wirebook_shared::cell_format::CellFormat;
    use wirebook_shared::hex::hex;

    fn with_message(seq: u64, opcode: Opcode, bytes: &[u8]) -> CaptureRecord {
        let mut record = text_frame(seq, Hop::Kernel, Direction::ToServer, "");
        if let CaptureBody::Frame(frame) = &mut record.body {
            frame.opcode = opcode;
            frame.len = bytes.len() as u64;
            frame.payload_hex = hex(bytes);
            let message = frame.message.as_mut().unwrap();
            message.opcode = opcode;
            message.len = bytes.len() as u64;
            message.preview = hex(bytes);
        }
        record
    }

    #[test]
    fn messages_become_cells_with_their_detected_format() {
        let json = text_frame(1, Hop::Kernel, Direction::ToServer, r#"{"op":"sub"}"#);
        let text = text_frame(2, Hop::Kernel, Direction::ToClient, "hello");
        let binary = with_message(3, Opcode::Binary, &[0xde, 0xad]);
        let close = with_message(4, Opcode::Close, &[0x03, 0xe8, b'b', b'y', b'e']);
        let ping = with_message(5, Opcode::Ping, b"hi");
        let (cells, skipped) = cells_for(&[&json, &text, &binary, &close, &ping]);
        assert!(skipped.is_empty(), "{skipped:?}");
        let formats: Vec<CellFormat> = cells.iter().map(|c| format_of(&c.metadata)).collect();
        assert!(matches!(formats[0], CellFormat::Json { .. }));
        assert_eq!(
            &formats[1..],
            &[
                CellFormat::Text,
                CellFormat::Hex,
                CellFormat::Close,
                CellFormat::Ping
            ]
        );
        assert!(cells[0].source.contains("\"op\""));
        assert_eq!(cells[1].source, "hello");
        assert!(cells[2].source.contains("de") && cells[2].source.contains("ad"));
        assert!(cells[3].source.starts_with("1000"));
        // Each resends what it was made from.
        for (cell, format) in cells.iter().zip(formats) {
            assert!(wirebook_shared::cell_format::encode(format, &cell.source).is_ok());
        }
    }

    #[test]
    fn what_cannot_be_resent_says_why() {
        let mut truncated = text_frame(7, Hop::Kernel, Direction::ToServer, "abc");
        if let CaptureBody::Frame(frame) = &mut truncated.body {
            frame.message.as_mut().unwrap().len = 1000;
        }
        let mut middle = text_frame(8, Hop::Kernel, Direction::ToServer, "ab");
        if let CaptureBody::Frame(frame) = &mut middle.body {
            frame.message = None;
        }
        let pong = with_message(9, Opcode::Pong, b"");
        let (cells, skipped) = cells_for(&[&truncated, &middle, &pong]);
        assert!(cells.is_empty());
        assert!(skipped[0].starts_with("#7: the capture kept 3 of its 1000 bytes"));
        assert!(skipped[1].contains("middle of a message"));
        assert!(skipped[2].contains("pong"));
    }
}
