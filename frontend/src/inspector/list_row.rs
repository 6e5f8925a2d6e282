//! What one row of the inspector's list shows, computed once when the row enters the
//! window: its cells (time, connection, direction, opcode or channel, FIN, MASK, length,
//! findings, preview, protocol, latency), a kernel message's msg_type and short parent id, and the tooltip with
//! the whole story (sequence number, connection, wall-clock times, what it relays, its
//! findings, a kernel message's full ids).

use wirebook_shared::capture::{CaptureBody, CaptureRecord};
use wirebook_shared::capture_filter::direction_of;

use crate::inspector::kernel_tree::ThreadRow;
use crate::inspector::protocol_column::ProtocolCell;
use crate::inspector::row_text::{
    clock, direction_name, event_name, findings, heartbeat_line, short_id, summary,
    visible_controls,
};
use crate::session::records::{self, Records};

/// What one list row shows, computed once when the row enters the window.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    /// The model generation: a new server instance reuses `seq`s, so it is part of the key.
    pub generation: u64,
    pub seq: u64,
    pub conn: u64,
    pub hop: &'static str,
    pub event: &'static str,
    pub direction: Option<&'static str>,
    pub arrow: &'static str,
    pub opcode: Option<&'static str>,
    pub kind: &'static str,
    pub fin: Option<bool>,
    pub masked: Option<bool>,
    pub len: String,
    pub preview: String,
    pub findings: bool,
    /// The Time column's text, as [`crate::inspector::time_column`] says in the mode chosen.
    pub time: String,
    pub title: String,
    /// Kernel messages: msg_type and the short parent id, shown before the preview.
    pub kernel: Option<KernelCells>,
    /// The tree view's indent (0 in the list).
    pub depth: u32,
    /// Answered heartbeats this row stands for (part of the key: the count changes the text).
    pub folded: u64,
    /// The Protocol and Latency columns ([`ListRow::with_protocol`]); blank without a lens.
    pub protocol: String,
    pub latency: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KernelCells {
    pub msg_type: String,
    /// The parent's msg_id, short ([`short_id`]): what this message answers. Its own msg_id
    /// is left to the tooltip: a kernel's ids start with its session id, the same on every
    /// message it sends, which would fill the narrow column with one repeated hash.
    pub parent: Option<String>,
    /// In the tree: the parent is not among the rows shown.
    pub orphan: bool,
}

impl ListRow {
    pub fn new(
        record: &CaptureRecord,
        records: &Records,
        utc_offset: i32,
        placed: ThreadRow,
        folded: u64,
        time: String,
    ) -> ListRow {
        let frame = records::frame(&record.body);
        let direction = direction_of(&record.body);
        let start = records
            .conn(record.conn)
            .map_or(record.time_us, |c| c.start_us);
        let preview = summary(&record.body);
        let mut title = format!(
            "#{} · {} connection {} · {} (connection opened {})",
            record.seq,
            record.hop.label(),
            record.conn,
            clock(record.time_us, utc_offset),
            clock(start, utc_offset),
        );
        if let Some(cause) = records::caused_by(&record.body) {
            title.push_str(&format!("\nrelays #{cause}"));
        }
        let findings = findings(&record.body);
        for finding in &findings {
            title.push_str(&format!("\n⚠ {finding}"));
        }
        let mut preview = preview;
        // Sent by the tap's intercept, not by a peer: said first, where the eye starts.
        if let Some(mark) = frame.and_then(|f| f.mark) {
            preview = format!("[{}] {preview}", mark.name());
            title.push_str(&format!(
                "
{} at wirebook's tap: no peer sent these bytes as they are",
                mark.name()
            ));
        }
        let mut kind = frame.map_or(event_name(&record.body), |f| f.opcode.name());
        let mut len = frame.map(|f| f.len.to_string()).unwrap_or_default();
        let mut kernel = None;
        match &record.body {
            CaptureBody::KernelMessage(m) => {
                kind = m.channel.name();
                len = m.size.to_string();
                title.push_str(&format!(
                    "\n{} {} on {}\nmsg_id {}\nparent {}",
                    m.msg_type,
                    m.direction.arrow(),
                    m.channel.name(),
                    m.msg_id,
                    m.parent_msg_id.as_deref().unwrap_or("none"),
                ));
                let content = m.parts.content.trim();
                preview = if content.is_empty() || content == "{}" {
                    String::new()
                } else {
                    let mut text = visible_controls(content);
                    if m.parts.content_truncated {
                        text.push('…');
                    }
                    text
                };
                kernel = Some(KernelCells {
                    msg_type: if m.msg_type.is_empty() {
                        "(no msg_type)".into()
                    } else {
                        m.msg_type.clone()
                    },
                    parent: m
                        .parent_msg_id
                        .as_deref()
                        .map(|p| format!("↳ {}", short_id(p))),
                    orphan: placed.orphan,
                });
            }
            CaptureBody::Heartbeat { ok, rtt_us } => {
                kind = "hb";
                preview = heartbeat_line(*ok, *rtt_us);
                if folded > 1 {
                    preview.push_str(&format!(
                        " · ×{folded} answered in a row (the newest shown)"
                    ));
                }
            }
            _ => {}
        }
        ListRow {
            generation: records.generation(),
            seq: record.seq,
            conn: record.conn,
            hop: record.hop.label(),
            event: event_name(&record.body),
            direction: direction.map(direction_name),
            arrow: match (direction, event_name(&record.body)) {
                (Some(d), _) => d.arrow(),
                (None, "handshake") => "⇅",
                (None, "open") => "●",
                (None, _) => "■",
            },
            opcode: frame.map(|f| f.opcode.name()),
            kind,
            fin: frame.map(|f| f.fin),
            masked: frame.map(|f| f.mask_key.is_some()),
            len,
            preview,
            findings: !findings.is_empty(),
            time,
            title,
            kernel,
            depth: placed.depth,
            folded,
            protocol: String::new(),
            latency: String::new(),
        }
    }

    /// The row with its Protocol and Latency cells; the tooltip says both whole.
    pub fn with_protocol(mut self, cell: Option<&ProtocolCell>) -> ListRow {
        if let Some(cell) = cell {
            self.protocol = cell.summary.clone();
            self.latency = cell.latency();
            self.title.push_str(&format!("\n{}", cell.summary));
            match (cell.latency_us(), cell.waiting) {
                (Some(_), _) => {
                    self.title
                        .push_str(&format!(", {} after its request", self.latency));
                }
                (None, true) => self.title.push_str(", not answered yet"),
                (None, false) => {}
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use wirebook_shared::capture::{Direction, Hop, Opcode};
    use wirebook_shared::jupyter::Channel;
    use wirebook_shared::lens::dissector::LensFacts;
    use wirebook_shared::lens::Lens;

    use super::*;
    use crate::session::test_records::*;

    const LISTED: ThreadRow = ThreadRow {
        seq: 0,
        depth: 0,
        orphan: false,
    };

    fn row(records: &Records, seq: u64, placed: ThreadRow, folded: u64) -> ListRow {
        ListRow::new(
            records.get(seq).unwrap(),
            records,
            0,
            placed,
            folded,
            format!("t{seq}"),
        )
    }

    #[test]
    fn the_protocol_cells_show_in_the_row_and_whole_in_its_title() {
        let mut records = Records::default();
        records.add(vec![msg(10, Hop::Browser, "hi")], 0);
        let plain = row(&records, 10, LISTED, 1).with_protocol(None);
        assert_eq!((plain.protocol.as_str(), plain.latency.as_str()), ("", ""));
        let facts = |latency_us| LensFacts {
            lens: Lens::JsonRpc,
            fields: Vec::new(),
            latency_us,
        };
        let waiting = ProtocolCell {
            summary: "JSON-RPC call add id 7".into(),
            facts: facts(None),
            waiting: true,
        };
        let call = row(&records, 10, LISTED, 1).with_protocol(Some(&waiting));
        assert_eq!(call.protocol, "JSON-RPC call add id 7");
        assert_eq!(call.latency, "…");
        assert!(call
            .title
            .ends_with("\nJSON-RPC call add id 7, not answered yet"));
        let answer = ProtocolCell {
            summary: "JSON-RPC result id 7: 3".into(),
            facts: facts(Some(1_500)),
            waiting: false,
        };
        let result = row(&records, 10, LISTED, 1).with_protocol(Some(&answer));
        assert_eq!(result.latency, "1.5 ms");
        assert!(result
            .title
            .ends_with("\nJSON-RPC result id 7: 3, 1.5 ms after its request"));
    }

    #[test]
    fn a_frame_row_has_its_header_bits_and_the_whole_story_in_its_title() {
        let mut records = Records::default();
        let relayed = with_frame(msg(12, Hop::Kernel, "hello"), |f| {
            f.caused_by = Some(10);
            f.findings.push("odd".into());
        });
        records.add(vec![msg(10, Hop::Browser, "hi"), relayed], 0);
        let first = row(&records, 10, LISTED, 1);
        assert_eq!(
            (first.seq, first.conn, first.hop, first.event),
            (10, 1, "browser", "frame")
        );
        assert_eq!(first.direction, Some("to_server"));
        assert_eq!(first.arrow, Direction::ToServer.arrow());
        assert_eq!(first.opcode, Some(Opcode::Text.name()));
        assert_eq!(first.kind, Opcode::Text.name());
        assert_eq!((first.fin, first.masked), (Some(true), Some(false)));
        assert_eq!((first.len.as_str(), first.preview.as_str()), ("2", "hi"));
        assert_eq!(first.time, "t10", "the time column's text, as given");
        assert_eq!(
            first.title,
            "#10 · browser connection 1 · 22:13:20.000 (connection opened 22:13:20.000)"
        );
        assert!(!first.findings && first.kernel.is_none());
        let second = row(&records, 12, LISTED, 1);
        assert!(second.findings);
        assert!(
            second.title.ends_with("\nrelays #10\n⚠ odd"),
            "{}",
            second.title
        );
    }

    #[test]
    fn a_kernel_message_row_shows_its_type_ids_and_content() {
        let mut records = Records::default();
        records.add(
            vec![kernel_record(
                3,
                Channel::Iopub,
                Direction::ToClient,
                "stream",
                "0123456789",
                Some("abcdefghij"),
                "{\"text\":\"a\\nb\"}\n",
            )],
            0,
        );
        let placed = ThreadRow {
            seq: 3,
            depth: 2,
            orphan: true,
        };
        let kernel = row(&records, 3, placed, 1);
        assert_eq!(kernel.kind, Channel::Iopub.name());
        assert_eq!(kernel.depth, 2);
        assert_eq!(
            kernel.kernel,
            Some(KernelCells {
                msg_type: "stream".into(),
                parent: Some("↳ abcdefgh".into()),
                orphan: true,
            })
        );
        assert_eq!(kernel.preview, "{\"text\":\"a\\nb\"}");
        assert!(
            kernel
                .title
                .ends_with("\nmsg_id 0123456789\nparent abcdefghij"),
            "{}",
            kernel.title
        );
        // Empty content is left out, and a message without a type says so.
        records.add(
            vec![kernel_record(
                4,
                Channel::Shell,
                Direction::ToServer,
                "",
                "x",
                None,
                "{}",
            )],
            0,
        );
        let bare = row(&records, 4, LISTED, 1);
        assert_eq!(bare.preview, "");
        let cells = bare.kernel.unwrap();
        assert_eq!(cells.msg_type, "(no msg_type)");
        assert_eq!(cells.parent, None, "a request answers nothing");
        assert!(bare.fin.is_none() && bare.masked.is_none(), "no frame bits");
    }

    #[test]
    fn heartbeats_and_handshakes_read_compactly() {
        let mut records = Records::default();
        records.add(
            vec![
                handshake_record(1, 5, Hop::Browser),
                beat(2, 9, true),
                beat(3, 9, false),
            ],
            0,
        );
        let handshake = row(&records, 1, LISTED, 1);
        assert_eq!((handshake.arrow, handshake.kind), ("⇅", "handshake"));
        assert_eq!((handshake.direction, handshake.opcode), (None, None));
        assert_eq!((handshake.fin, handshake.len.as_str()), (None, ""));
        let folded = row(&records, 2, LISTED, 3);
        assert_eq!(folded.kind, "hb");
        assert_eq!(
            folded.preview,
            "♥ ok · 1.25 ms · ×3 answered in a row (the newest shown)"
        );
        assert_eq!(folded.folded, 3);
        let missed = row(&records, 3, LISTED, 1);
        assert_eq!(missed.preview, "♥ missed: no answer");
        assert!(missed.findings);
        assert_eq!(missed.arrow, "■");
    }
}
