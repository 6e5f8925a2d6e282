//! The inspector's model: the capture records the page keeps, what it knows about each
//! connection, and how one record reads as a row.
//!
//! Records arrive from the server in batches (the backlog right after connecting, then live
//! batches). After a reconnect to the same server the backlog repeats records the page already
//! has, so rows are kept sorted and de-duplicated by `seq`; a different server `instance` means
//! sequence numbers started over, so the rows are cleared. The page keeps at most `limit` rows
//! (the oldest go first) so a long session cannot exhaust the tab, and says how many it let go.
//!
//! Filtered views ([`crate::row_filter`]) follow the rows incrementally: appending at the end
//! and dropping the oldest keep [`Inspector::generation`]; anything else (a late record slotted
//! in, a clear, a new server) bumps it so that views start over.

use std::collections::{BTreeMap, HashMap, VecDeque};

use wirebook_shared::capture::{
    CaptureBody, CaptureRecord, ConnId, Direction, FrameRecord, HandshakeRecord, Hop, Opcode,
};
use wirebook_shared::jupyter::KernelMessageRecord;

/// Rows the page keeps by default: twice the server's default capture ring, so a page that
/// stays open keeps what scrolled out of the server's ring.
pub const DEFAULT_ROW_LIMIT: usize = 200_000;

/// What the page knows about one captured connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    pub hop: Hop,
    /// Time of its earliest record seen: row times are relative to it.
    pub start_us: u64,
    /// The request target (`/session`, `/echo`, a URL), once an open or handshake record says.
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector {
    rows: VecDeque<CaptureRecord>,
    instance: Option<String>,
    limit: usize,
    /// Records the server's bounded capture dropped before this page saw them.
    evicted: u64,
    /// Rows this page dropped to stay within `limit`.
    trimmed: u64,
    /// Records older than the backlog the server sent this page, which it still has.
    older_on_server: u64,
    /// Records up to this `seq` were cleared by the user and stay hidden if replayed.
    cleared_through: Option<u64>,
    /// New rows ever added, so a view can tell how many arrived since it last looked.
    received: u64,
    /// Bumped when rows change other than by appending or dropping the oldest.
    generation: u64,
    /// Kept across clears and trims (a few bytes per connection), so that times stay relative
    /// to the real start of the connection.
    conns: BTreeMap<ConnId, ConnInfo>,
    /// `caused_by` turned around: the records that relay a record.
    relayed_by: HashMap<u64, Vec<u64>>,
    /// Kernel messages by `msg_id` (the first record with it).
    by_msg_id: HashMap<String, u64>,
    /// Kernel messages by `parent_header.msg_id`, oldest first.
    children: HashMap<String, Vec<u64>>,
}

impl Default for Inspector {
    fn default() -> Self {
        Inspector::new(DEFAULT_ROW_LIMIT)
    }
}

impl Inspector {
    pub fn new(limit: usize) -> Self {
        Inspector {
            rows: VecDeque::new(),
            instance: None,
            limit: limit.max(1),
            evicted: 0,
            trimmed: 0,
            older_on_server: 0,
            cleared_through: None,
            received: 0,
            generation: 0,
            conns: BTreeMap::new(),
            relayed_by: HashMap::new(),
            by_msg_id: HashMap::new(),
            children: HashMap::new(),
        }
    }

    /// A session started on server `instance`. Returns true when that is a different server
    /// process than before and the rows were cleared.
    pub fn hello(&mut self, instance: &str) -> bool {
        if self.instance.as_deref() == Some(instance) {
            return false;
        }
        let had_instance = self.instance.is_some();
        *self = Inspector {
            instance: Some(instance.to_string()),
            received: self.received,
            generation: self.generation + 1,
            ..Inspector::new(self.limit)
        };
        had_instance
    }

    /// The server left out `older` records older than the backlog it sent (0: nothing new).
    pub fn left_on_server(&mut self, older: u64) {
        if older > 0 {
            self.older_on_server = older;
        }
    }

    /// Records the server still has that it did not send this page (older than its backlog).
    pub fn older_on_server(&self) -> u64 {
        self.older_on_server
    }

    /// Adds a batch of records; returns how many rows were new.
    pub fn add(&mut self, records: Vec<CaptureRecord>, evicted: u64) -> usize {
        // Each batch reports the records dropped before *it* could be sent, so they add up.
        self.evicted = self.evicted.saturating_add(evicted);
        let mut added = 0;
        for record in records {
            if self
                .cleared_through
                .is_some_and(|floor| record.seq <= floor)
            {
                continue;
            }
            let at = match self.rows.back() {
                Some(last) if last.seq >= record.seq => {
                    match self.rows.binary_search_by_key(&record.seq, |r| r.seq) {
                        Ok(_) => continue,
                        Err(at) => {
                            self.generation += 1;
                            at
                        }
                    }
                }
                _ => self.rows.len(),
            };
            self.note_conn(&record);
            if let Some(cause) = caused_by(&record.body) {
                self.relayed_by.entry(cause).or_default().push(record.seq);
            }
            if let Some(m) = kernel_message(&record.body) {
                if !m.msg_id.is_empty() {
                    let first = self.by_msg_id.entry(m.msg_id.clone()).or_insert(record.seq);
                    *first = (*first).min(record.seq);
                }
                if let Some(parent) = &m.parent_msg_id {
                    let siblings = self.children.entry(parent.clone()).or_default();
                    let at = siblings.partition_point(|&s| s < record.seq);
                    siblings.insert(at, record.seq);
                }
            }
            self.rows.insert(at, record);
            added += 1;
        }
        while self.rows.len() > self.limit {
            if let Some(old) = self.rows.pop_front() {
                self.forget_relations(&old);
            }
            self.trimmed += 1;
        }
        self.received += added as u64;
        added
    }

    fn note_conn(&mut self, record: &CaptureRecord) {
        let target = match &record.body {
            CaptureBody::Open { target, .. } => Some(target.clone()),
            CaptureBody::Handshake(h) => request_target(&h.request.start_line),
            _ => None,
        };
        let info = self.conns.entry(record.conn).or_insert(ConnInfo {
            hop: record.hop,
            start_us: record.time_us,
            target: None,
        });
        info.start_us = info.start_us.min(record.time_us);
        if info.target.is_none() {
            info.target = target;
        }
    }

    fn forget_relations(&mut self, old: &CaptureRecord) {
        self.relayed_by.remove(&old.seq);
        if let Some(m) = kernel_message(&old.body) {
            if self.by_msg_id.get(&m.msg_id) == Some(&old.seq) {
                self.by_msg_id.remove(&m.msg_id);
            }
            if let Some(parent) = &m.parent_msg_id {
                if let Some(siblings) = self.children.get_mut(parent) {
                    siblings.retain(|&s| s != old.seq);
                    if siblings.is_empty() {
                        self.children.remove(parent);
                    }
                }
            }
        }
        if let Some(cause) = caused_by(&old.body) {
            if let Some(relays) = self.relayed_by.get_mut(&cause) {
                relays.retain(|&s| s != old.seq);
                if relays.is_empty() {
                    self.relayed_by.remove(&cause);
                }
            }
        }
    }

    /// Hides every row seen so far, as DevTools' "clear" does. The server keeps its capture;
    /// only this view forgets, and replays of the cleared records stay hidden.
    pub fn clear(&mut self) {
        if let Some(last) = self.rows.back() {
            self.cleared_through = Some(self.cleared_through.map_or(last.seq, |f| f.max(last.seq)));
        }
        self.rows.clear();
        self.relayed_by.clear();
        self.by_msg_id.clear();
        self.children.clear();
        self.trimmed = 0;
        self.generation += 1;
    }

    pub fn rows(&self) -> impl DoubleEndedIterator<Item = &CaptureRecord> + ExactSizeIterator + '_ {
        self.rows.iter()
    }

    /// Rows with a `seq` greater than `seq`, oldest first.
    pub fn rows_after(&self, seq: Option<u64>) -> impl Iterator<Item = &CaptureRecord> + '_ {
        let start = seq.map_or(0, |s| self.rows.partition_point(|r| r.seq <= s));
        self.rows.range(start..)
    }

    pub fn get(&self, seq: u64) -> Option<&CaptureRecord> {
        self.rows
            .binary_search_by_key(&seq, |r| r.seq)
            .ok()
            .map(|i| &self.rows[i])
    }

    /// The oldest row's `seq`.
    pub fn first_seq(&self) -> Option<u64> {
        self.rows.front().map(|r| r.seq)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Rows ever added (never decreases, not even on a new instance).
    pub fn received(&self) -> u64 {
        self.received
    }

    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn trimmed(&self) -> u64 {
        self.trimmed
    }

    /// Changes whenever a filtered view of the rows has to start over.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn conn(&self, conn: ConnId) -> Option<&ConnInfo> {
        self.conns.get(&conn)
    }

    /// Every connection seen, by id.
    pub fn conns(&self) -> impl Iterator<Item = (ConnId, &ConnInfo)> + '_ {
        self.conns.iter().map(|(id, info)| (*id, info))
    }

    /// The hops seen, in order of first appearance of their first connection.
    pub fn hops(&self) -> Vec<Hop> {
        let mut hops = Vec::new();
        for info in self.conns.values() {
            if !hops.contains(&info.hop) {
                hops.push(info.hop);
            }
        }
        hops
    }

    /// The kernel message with this `msg_id`, if the page has it.
    pub fn kernel_by_msg_id(&self, msg_id: &str) -> Option<u64> {
        self.by_msg_id.get(msg_id).copied()
    }

    /// The kernel messages whose parent is `msg_id` (replies, iopub traffic), oldest first.
    pub fn kernel_children(&self, msg_id: &str) -> &[u64] {
        self.children.get(msg_id).map_or(&[], Vec::as_slice)
    }

    /// The records on the other hop that `seq` relays or that relay it, oldest first.
    pub fn counterparts(&self, seq: u64) -> Vec<u64> {
        let Some(record) = self.get(seq) else {
            return Vec::new();
        };
        let mut out: Vec<u64> = caused_by(&record.body)
            .filter(|cause| self.get(*cause).is_some())
            .into_iter()
            .collect();
        if let Some(relays) = self.relayed_by.get(&seq) {
            out.extend(relays.iter().copied());
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The path of a request line such as `GET /echo HTTP/1.1`.
fn request_target(start_line: &str) -> Option<String> {
    start_line.split_whitespace().nth(1).map(str::to_string)
}

pub fn frame(body: &CaptureBody) -> Option<&FrameRecord> {
    match body {
        CaptureBody::Frame(frame) => Some(frame),
        _ => None,
    }
}

pub fn kernel_message(body: &CaptureBody) -> Option<&KernelMessageRecord> {
    match body {
        CaptureBody::KernelMessage(message) => Some(message),
        _ => None,
    }
}

pub fn caused_by(body: &CaptureBody) -> Option<u64> {
    match body {
        CaptureBody::Frame(f) => f.caused_by,
        CaptureBody::KernelMessage(m) => m.caused_by,
        _ => None,
    }
}

pub fn direction(body: &CaptureBody) -> Option<Direction> {
    match body {
        CaptureBody::Frame(f) => Some(f.direction),
        CaptureBody::KernelMessage(m) => Some(m.direction),
        _ => None,
    }
}

/// The first 8 characters of a msg_id: enough to tell messages apart in a row (ipykernel's
/// ids start with a random uuid4 hex), the detail shows it whole.
pub fn short_id(id: &str) -> &str {
    match id.char_indices().nth(8) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

/// What an unanswered heartbeat means, for the findings list.
pub const HEARTBEAT_MISSED: &str = "the kernel did not answer this heartbeat in time";

/// `data-direction` of a row.
pub fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::ToServer => "to_server",
        Direction::ToClient => "to_client",
    }
}

/// `data-event` of a row: `handshake`, `frame`, `open`, `closed`, `kernel_message` or
/// `heartbeat`.
pub fn event_name(body: &CaptureBody) -> &'static str {
    match body {
        CaptureBody::Open { .. } => "open",
        CaptureBody::Closed { .. } => "closed",
        CaptureBody::Handshake(_) => "handshake",
        CaptureBody::Frame(_) => "frame",
        CaptureBody::KernelMessage(_) => "kernel_message",
        CaptureBody::Heartbeat { .. } => "heartbeat",
    }
}

/// Violations and oddities on a record, in plain words: the frame's, then its message's.
pub fn findings(body: &CaptureBody) -> Vec<&str> {
    match body {
        CaptureBody::Frame(f) => f
            .findings
            .iter()
            .chain(f.message.iter().flat_map(|m| m.findings.iter()))
            .map(String::as_str)
            .collect(),
        CaptureBody::Handshake(h) => h.findings.iter().map(String::as_str).collect(),
        CaptureBody::KernelMessage(m) => m.findings.iter().map(String::as_str).collect(),
        CaptureBody::Heartbeat { ok: false, .. } => vec![HEARTBEAT_MISSED],
        _ => Vec::new(),
    }
}

pub fn has_findings(body: &CaptureBody) -> bool {
    match body {
        CaptureBody::Frame(f) => {
            !f.findings.is_empty() || f.message.as_ref().is_some_and(|m| !m.findings.is_empty())
        }
        CaptureBody::Handshake(h) => !h.findings.is_empty(),
        CaptureBody::KernelMessage(m) => !m.findings.is_empty(),
        CaptureBody::Heartbeat { ok, .. } => !ok,
        _ => false,
    }
}

/// A heartbeat's one line: `ok · 0.42 ms` or the miss.
pub fn heartbeat_line(ok: bool, rtt_us: Option<u64>) -> String {
    match (ok, rtt_us) {
        (true, Some(us)) => format!("♥ ok · {}.{:02} ms", us / 1000, us % 1000 / 10),
        (true, None) => "♥ ok".to_string(),
        (false, _) => "♥ missed: no answer".to_string(),
    }
}

/// A kernel message's preview: msg_type, short ids, then the content on one line.
pub fn kernel_line(m: &KernelMessageRecord) -> String {
    let mut text = if m.msg_type.is_empty() {
        "(no msg_type)".to_string()
    } else {
        m.msg_type.clone()
    };
    text.push_str(&format!(" · {}", short_id(&m.msg_id)));
    if let Some(parent) = &m.parent_msg_id {
        text.push_str(&format!(" ↳ {}", short_id(parent)));
    }
    let content = m.parts.content.trim();
    if !content.is_empty() && content != "{}" {
        text.push_str("  ");
        text.push_str(&visible_controls(content));
        if m.parts.content_truncated {
            text.push('…');
        }
    }
    text
}

/// The handshake's one line: request line, then the status the server answered.
pub fn handshake_line(h: &HandshakeRecord) -> String {
    match &h.response {
        Some(response) => format!(
            "{} → {}",
            h.request.start_line,
            status_of(&response.start_line)
        ),
        None => format!("{} → (no response)", h.request.start_line),
    }
}

/// `101 Switching Protocols` out of `HTTP/1.1 101 Switching Protocols`.
fn status_of(start_line: &str) -> &str {
    start_line
        .split_once(' ')
        .map_or(start_line, |(_, status)| status)
}

/// The row's preview column.
///
/// A frame that completes a message previews the message (text as text, the rest as hex, close
/// frames as their code and reason); a frame in the middle of a message shows its own payload
/// in hex, since its bytes may end inside a character.
pub fn summary(body: &CaptureBody) -> String {
    match body {
        CaptureBody::Open {
            client,
            server,
            target,
        } => format!("{client} ⇄ {server} {target}"),
        CaptureBody::Closed { code, reason } => match code {
            Some(code) => format!("{code} {reason}"),
            None => reason.clone(),
        },
        CaptureBody::Handshake(h) => handshake_line(h),
        CaptureBody::KernelMessage(m) => kernel_line(m),
        CaptureBody::Heartbeat { ok, rtt_us } => heartbeat_line(*ok, *rtt_us),
        CaptureBody::Frame(frame) => match &frame.message {
            Some(message) => {
                let mut text = match &message.close {
                    Some(close) => {
                        let code = close.code.map_or("(no code)".into(), |c| c.to_string());
                        if close.reason.is_empty() {
                            format!("{code} {}", close.name)
                        } else {
                            format!(
                                "{code} {} · {}",
                                close.name,
                                visible_controls(&close.reason)
                            )
                        }
                    }
                    // Binary and control payloads come as hex: spaced, like a frame's own bytes.
                    None if message.opcode == Opcode::Text => visible_controls(&message.preview),
                    None => spaced_hex(&message.preview),
                };
                if message.truncated && message.close.is_none() {
                    text.push('…');
                }
                text
            }
            None => {
                let mut text = spaced_hex(&frame.payload_hex);
                if frame.truncated {
                    text.push('…');
                }
                text
            }
        },
    }
}

/// `48656c` as `48 65 6c`.
pub fn spaced_hex(hex: &str) -> String {
    let mut out = String::with_capacity(hex.len() * 3 / 2);
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.extend(pair.iter().map(|&b| b as char));
    }
    out
}

/// A one-line rendering of a payload: line breaks, tabs and other control characters become
/// visible symbols instead of collapsing into spaces, since on the wire they are bytes like
/// any other.
pub fn visible_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => '↵',
            '\r' => '␍',
            '\t' => '⇥',
            // U+2400.. are the "symbol for NUL..US" pictures.
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('�'),
            '\u{7f}' => '␡',
            c => c,
        })
        .collect()
}

/// Wall-clock time of day `HH:MM:SS.mmm`; `utc_offset_minutes` is the local zone's offset
/// east of UTC (JavaScript's `-getTimezoneOffset()`).
pub fn clock(time_us: u64, utc_offset_minutes: i32) -> String {
    let ms = (time_us / 1000) as i64 + i64::from(utc_offset_minutes) * 60_000;
    let day_ms = ms.rem_euclid(86_400_000);
    let (h, m, s, milli) = (
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

/// Time since `origin_us` in seconds with millisecond digits, e.g. `+1.500`.
pub fn relative(time_us: u64, origin_us: u64) -> String {
    let (sign, delta) = if time_us >= origin_us {
        ("+", time_us - origin_us)
    } else {
        ("-", origin_us - time_us)
    };
    let ms = delta / 1000;
    format!("{sign}{}.{:03}", ms / 1000, ms % 1000)
}

/// Whether a scroll container shows its bottom, give or take a few pixels (zoom rounding).
pub fn at_bottom(scroll_top: f64, scroll_height: f64, client_height: f64) -> bool {
    const SLACK_PX: f64 = 8.0;
    scroll_height - (scroll_top + client_height) <= SLACK_PX
}

/// Whether the list keeps scrolling to the newest row, and how many rows arrived while the
/// user was reading further up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Follow {
    following: bool,
    unseen: usize,
    /// `scrollTop` at the last scroll event: only a move *up* is the user leaving the bottom.
    /// Rows can arrive between an automatic scroll and its scroll event, so "not at the
    /// bottom" alone does not mean the user scrolled away.
    last_top: f64,
}

impl Default for Follow {
    fn default() -> Self {
        Follow {
            following: true,
            unseen: 0,
            last_top: 0.0,
        }
    }
}

impl Follow {
    pub fn following(&self) -> bool {
        self.following
    }

    /// Rows that arrived while not following.
    pub fn unseen(&self) -> usize {
        self.unseen
    }

    /// The list scrolled (by the user or by us): stop following when it moved up, resume
    /// once it is back at the bottom.
    pub fn scrolled(&mut self, scroll_top: f64, scroll_height: f64, client_height: f64) {
        let moved_up = scroll_top + 1.0 < self.last_top;
        self.last_top = scroll_top;
        if at_bottom(scroll_top, scroll_height, client_height) {
            self.following = true;
            self.unseen = 0;
        } else if moved_up {
            self.following = false;
        }
    }

    /// New rows arrived; returns whether the view should scroll to them.
    pub fn rows_added(&mut self, count: usize) -> bool {
        if !self.following {
            self.unseen += count;
        }
        self.following
    }

    /// "Jump to latest".
    pub fn jump(&mut self) {
        self.following = true;
        self.unseen = 0;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use wirebook_shared::capture::{CloseSummary, HttpHeadRecord, MessageSummary};

    /// A final, unmasked text frame that completes a one-frame message.
    pub(crate) fn text_frame(
        seq: u64,
        hop: Hop,
        direction: Direction,
        text: &str,
    ) -> CaptureRecord {
        CaptureRecord {
            seq,
            conn: 1,
            hop,
            time_us: 1_700_000_000_000_000 + seq,
            body: CaptureBody::Frame(Box::new(FrameRecord {
                direction,
                offset: 0,
                fin: true,
                rsv1: false,
                rsv2: false,
                rsv3: false,
                opcode: Opcode::Text,
                mask_key: None,
                len: text.len() as u64,
                length_form: "7-bit".into(),
                header_hex: wirebook_shared::hex::hex(&[0x81, text.len() as u8]),
                payload_hex: wirebook_shared::hex::hex(text.as_bytes()),
                truncated: false,
                findings: Vec::new(),
                message: Some(MessageSummary {
                    opcode: Opcode::Text,
                    frames: 1,
                    compressed: false,
                    wire_len: text.len() as u64,
                    len: text.len() as u64,
                    preview: text.into(),
                    truncated: false,
                    close: None,
                    findings: Vec::new(),
                }),
                caused_by: None,
            })),
        }
    }

    /// A kernel message on conn 9 (the kernel hop), signed and verified, with `content`.
    pub(crate) fn kernel_record(
        seq: u64,
        channel: wirebook_shared::jupyter::Channel,
        direction: Direction,
        msg_type: &str,
        msg_id: &str,
        parent: Option<&str>,
        content: &str,
    ) -> CaptureRecord {
        use wirebook_shared::jupyter::{SignatureCheck, WireFormat, WireParts};
        CaptureRecord {
            seq,
            conn: 9,
            hop: Hop::Kernel,
            time_us: 1_700_000_000_000_000 + seq,
            body: CaptureBody::KernelMessage(Box::new(KernelMessageRecord {
                channel,
                direction,
                msg_type: msg_type.into(),
                msg_id: msg_id.into(),
                parent_msg_id: parent.map(str::to_string),
                size: 100 + content.len() as u64,
                parts: WireParts {
                    format: WireFormat::Zmq,
                    identities: vec!["00aa".into()],
                    signature: "ab".repeat(32),
                    signature_check: SignatureCheck::Verified,
                    offsets: Vec::new(),
                    header: format!(r#"{{"msg_id":"{msg_id}","msg_type":"{msg_type}"}}"#),
                    parent_header: parent.map_or("{}".into(), |p| format!(r#"{{"msg_id":"{p}"}}"#)),
                    metadata: "{}".into(),
                    content: content.into(),
                    content_len: content.len() as u64,
                    content_truncated: false,
                    buffers: Vec::new(),
                },
                findings: Vec::new(),
                caused_by: None,
            })),
        }
    }

    pub(crate) fn beat(seq: u64, conn: ConnId, ok: bool) -> CaptureRecord {
        CaptureRecord {
            seq,
            conn,
            hop: Hop::Kernel,
            time_us: 1_700_000_000_000_000 + seq,
            body: CaptureBody::Heartbeat {
                ok,
                rtt_us: ok.then_some(1_250),
            },
        }
    }

    pub(crate) fn msg(seq: u64, hop: Hop, preview: &str) -> CaptureRecord {
        text_frame(seq, hop, Direction::ToServer, preview)
    }

    pub(crate) fn with_frame(
        mut record: CaptureRecord,
        change: impl FnOnce(&mut FrameRecord),
    ) -> CaptureRecord {
        if let CaptureBody::Frame(frame) = &mut record.body {
            change(frame);
        }
        record
    }

    pub(crate) fn handshake_record(seq: u64, conn: ConnId, hop: Hop) -> CaptureRecord {
        CaptureRecord {
            seq,
            conn,
            hop,
            time_us: 1_700_000_000_000_000,
            body: CaptureBody::Handshake(Box::new(HandshakeRecord {
                request: HttpHeadRecord {
                    start_line: "GET /echo HTTP/1.1".into(),
                    headers: vec![
                        ("Host".into(), "127.0.0.1:8977".into()),
                        ("Upgrade".into(), "websocket".into()),
                        (
                            "Sec-WebSocket-Key".into(),
                            "dGhlIHNhbXBsZSBub25jZQ==".into(),
                        ),
                    ],
                },
                response: Some(HttpHeadRecord {
                    start_line: "HTTP/1.1 101 Switching Protocols".into(),
                    headers: vec![(
                        "Sec-WebSocket-Accept".into(),
                        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
                    )],
                }),
                accept_ok: Some(true),
                protocol: None,
                extensions: Vec::new(),
                findings: Vec::new(),
            })),
        }
    }

    fn seqs(i: &Inspector) -> Vec<u64> {
        i.rows().map(|r| r.seq).collect()
    }

    #[test]
    fn replayed_backlog_is_deduplicated_and_order_kept() {
        let mut i = Inspector::default();
        assert!(!i.hello("a"), "the first hello clears nothing");
        assert_eq!(
            i.add(vec![msg(1, Hop::Browser, "x"), msg(2, Hop::Kernel, "y")], 0),
            2
        );
        let generation = i.generation();
        // Reconnect to the same server: the backlog repeats 1 and 2 and brings 3.
        assert!(!i.hello("a"));
        let added = i.add(
            vec![
                msg(1, Hop::Browser, "x"),
                msg(2, Hop::Kernel, "y"),
                msg(3, Hop::Kernel, "z"),
            ],
            0,
        );
        assert_eq!(added, 1);
        assert_eq!(seqs(&i), vec![1, 2, 3]);
        assert_eq!(
            i.generation(),
            generation,
            "duplicates and appends keep views valid"
        );
        // A late record slots in by seq, and filtered views must start over.
        i.add(vec![msg(5, Hop::Browser, "")], 0);
        i.add(vec![msg(4, Hop::Browser, ""), msg(5, Hop::Browser, "")], 0);
        assert_eq!(seqs(&i), vec![1, 2, 3, 4, 5]);
        assert_ne!(i.generation(), generation);
        assert_eq!(i.received(), 5);
        assert_eq!(i.get(4).map(|r| r.seq), Some(4));
        assert!(i.get(9).is_none());
        assert_eq!(
            i.rows_after(Some(3)).map(|r| r.seq).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert_eq!(i.rows_after(None).count(), 5);
    }

    #[test]
    fn a_new_server_instance_starts_over() {
        let mut i = Inspector::default();
        i.hello("a");
        i.add(vec![msg(7, Hop::Browser, "old")], 3);
        assert_eq!(i.evicted(), 3);
        let generation = i.generation();
        assert!(i.hello("b"));
        assert!(i.is_empty());
        assert_eq!(i.evicted(), 0);
        assert!(i.conn(1).is_none());
        assert_ne!(i.generation(), generation);
        assert!(!i.hello("b"), "same instance again");
        // Low sequence numbers of the new server are not mistaken for duplicates.
        i.add(vec![msg(1, Hop::Browser, "new")], 0);
        assert_eq!(seqs(&i), vec![1]);
    }

    #[test]
    fn rows_are_bounded_oldest_first() {
        let mut i = Inspector::new(3);
        i.add((1..=5).map(|s| msg(s, Hop::Browser, "")).collect(), 0);
        assert_eq!(seqs(&i), vec![3, 4, 5]);
        assert_eq!(i.trimmed(), 2);
        assert_eq!(i.len(), 3);
        assert_eq!(i.first_seq(), Some(3));
        assert_eq!(i.generation(), 0, "dropping the oldest keeps views valid");
        assert_eq!(DEFAULT_ROW_LIMIT, Inspector::default().limit());
    }

    #[test]
    fn evicted_counts_add_up_across_batches() {
        let mut i = Inspector::default();
        i.add(vec![], 2);
        i.add(vec![msg(1, Hop::Kernel, "")], 5);
        assert_eq!(i.evicted(), 7);
    }

    #[test]
    fn cleared_rows_stay_hidden_when_replayed() {
        let mut i = Inspector::default();
        i.hello("a");
        i.add(vec![msg(1, Hop::Browser, ""), msg(2, Hop::Browser, "")], 0);
        i.clear();
        assert!(i.is_empty());
        i.hello("a");
        i.add(
            vec![
                msg(1, Hop::Browser, ""),
                msg(2, Hop::Browser, ""),
                msg(3, Hop::Browser, ""),
            ],
            0,
        );
        assert_eq!(seqs(&i), vec![3]);
        // The connection's start is remembered across the clear.
        assert_eq!(i.conn(1).unwrap().start_us, 1_700_000_000_000_001);
    }

    #[test]
    fn connections_know_their_hop_start_and_target() {
        let mut i = Inspector::default();
        let mut late = msg(5, Hop::Kernel, "x");
        late.conn = 2;
        late.time_us = 1_700_000_000_000_500;
        i.add(vec![late, handshake_record(4, 2, Hop::Kernel)], 0);
        i.add(vec![msg(6, Hop::Browser, "x")], 0);
        let info = i.conn(2).unwrap();
        assert_eq!(info.hop, Hop::Kernel);
        assert_eq!(
            info.start_us, 1_700_000_000_000_000,
            "the earliest record counts"
        );
        assert_eq!(info.target.as_deref(), Some("/echo"));
        assert_eq!(i.hops(), vec![Hop::Browser, Hop::Kernel]);
        assert_eq!(i.conns().map(|(id, _)| id).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn counterparts_go_both_ways_and_forget_trimmed_rows() {
        let mut i = Inspector::new(4);
        let request = msg(1, Hop::Browser, "hai");
        let relayed = with_frame(msg(2, Hop::Kernel, "hai"), |f| f.caused_by = Some(1));
        let reply = msg(3, Hop::Kernel, "hai");
        let output = with_frame(msg(4, Hop::Browser, "out"), |f| f.caused_by = Some(3));
        let output2 = with_frame(msg(5, Hop::Browser, "out2"), |f| f.caused_by = Some(3));
        i.add(vec![request, relayed, reply, output], 0);
        assert_eq!(i.counterparts(1), vec![2]);
        assert_eq!(i.counterparts(2), vec![1]);
        assert_eq!(i.counterparts(3), vec![4]);
        assert_eq!(i.counterparts(4), vec![3]);
        assert!(i.counterparts(99).is_empty());
        // Row 1 is trimmed: row 2's cause is gone and is not offered.
        i.add(vec![output2], 0);
        assert_eq!(i.counterparts(2), Vec::<u64>::new());
        assert_eq!(i.counterparts(3), vec![4, 5]);
        i.clear();
        assert!(i.counterparts(3).is_empty());
    }

    #[test]
    fn row_text() {
        let open = CaptureBody::Open {
            client: "127.0.0.1:5000".into(),
            server: "wirebook".into(),
            target: "/session".into(),
        };
        assert_eq!(event_name(&open), "open");
        assert_eq!(summary(&open), "127.0.0.1:5000 ⇄ wirebook /session");
        let closed = CaptureBody::Closed {
            code: None,
            reason: "reset".into(),
        };
        assert_eq!(event_name(&closed), "closed");
        assert_eq!(summary(&closed), "reset");

        let lines = msg(1, Hop::Browser, "a\r\nb\tc\u{0}\u{7f}");
        assert_eq!(event_name(&lines.body), "frame");
        assert_eq!(summary(&lines.body), "a␍↵b⇥c␀␡");

        let cut = with_frame(msg(2, Hop::Browser, "abc"), |f| {
            f.message.as_mut().unwrap().truncated = true
        });
        assert_eq!(summary(&cut.body), "abc…");

        // A frame that does not complete its message shows its own bytes.
        let middle = with_frame(msg(3, Hop::Browser, "hé"), |f| {
            f.fin = false;
            f.message = None;
            f.truncated = true;
        });
        assert_eq!(summary(&middle.body), "68 c3 a9…");

        let close = with_frame(msg(4, Hop::Kernel, ""), |f| {
            f.opcode = Opcode::Close;
            let message = f.message.as_mut().unwrap();
            message.opcode = Opcode::Close;
            message.preview = "03e8".into();
            message.close = Some(CloseSummary {
                code: Some(1000),
                reason: "bye\n".into(),
                name: "Normal Closure".into(),
                meaning: "the purpose of the connection was fulfilled".into(),
            });
        });
        assert_eq!(summary(&close.body), "1000 Normal Closure · bye↵");

        let ping = with_frame(msg(6, Hop::Kernel, ""), |f| {
            f.opcode = Opcode::Ping;
            let message = f.message.as_mut().unwrap();
            message.opcode = Opcode::Ping;
            message.preview = "6869".into();
        });
        assert_eq!(summary(&ping.body), "68 69");

        let hs = handshake_record(5, 1, Hop::Kernel);
        assert_eq!(event_name(&hs.body), "handshake");
        assert_eq!(
            summary(&hs.body),
            "GET /echo HTTP/1.1 → 101 Switching Protocols"
        );
    }

    #[test]
    fn findings_collect_frame_and_message_words() {
        let clean = msg(1, Hop::Browser, "x");
        assert!(!has_findings(&clean.body));
        assert!(findings(&clean.body).is_empty());
        let bad = with_frame(msg(2, Hop::Browser, "x"), |f| {
            f.findings.push("client frame is not masked".into());
            f.message
                .as_mut()
                .unwrap()
                .findings
                .push("text message is not valid UTF-8".into());
        });
        assert!(has_findings(&bad.body));
        assert_eq!(
            findings(&bad.body),
            vec![
                "client frame is not masked",
                "text message is not valid UTF-8"
            ]
        );
        let mut hs = handshake_record(3, 1, Hop::Kernel);
        if let CaptureBody::Handshake(h) = &mut hs.body {
            h.findings.push("server answered 404".into());
        }
        assert!(has_findings(&hs.body));
    }

    #[test]
    fn kernel_messages_read_as_rows_and_are_indexed_by_id_and_parent() {
        use wirebook_shared::jupyter::Channel;
        let request = kernel_record(
            1,
            Channel::Shell,
            Direction::ToServer,
            "execute_request",
            "0123456789abcdef",
            None,
            r#"{"code":"print('hi')
"}"#,
        );
        assert_eq!(event_name(&request.body), "kernel_message");
        assert_eq!(direction(&request.body), Some(Direction::ToServer));
        assert_eq!(
            summary(&request.body),
            r#"execute_request · 01234567  {"code":"print('hi')↵"}"#
        );
        let busy = kernel_record(
            2,
            Channel::Iopub,
            Direction::ToClient,
            "status",
            "busy-1",
            Some("0123456789abcdef"),
            r#"{"execution_state":"busy"}"#,
        );
        assert!(summary(&busy.body).starts_with("status · busy-1 ↳ 01234567"));
        let reply = kernel_record(
            3,
            Channel::Shell,
            Direction::ToClient,
            "execute_reply",
            "reply-1",
            Some("0123456789abcdef"),
            "{}",
        );
        assert_eq!(
            summary(&reply.body),
            "execute_reply · reply-1 ↳ 01234567",
            "empty content is left out"
        );
        let mut i = Inspector::new(3);
        i.add(vec![reply, request, busy], 0);
        assert_eq!(i.kernel_by_msg_id("0123456789abcdef"), Some(1));
        assert_eq!(i.kernel_children("0123456789abcdef"), &[2, 3]);
        assert!(i.kernel_children("nobody").is_empty());
        // Trimming the request forgets it; its children stay until they go too.
        i.add(vec![msg(4, Hop::Browser, "x")], 0);
        assert_eq!(i.kernel_by_msg_id("0123456789abcdef"), None);
        assert_eq!(i.kernel_children("0123456789abcdef"), &[2, 3]);
        i.clear();
        assert!(i.kernel_children("0123456789abcdef").is_empty());
        assert_eq!(short_id("abc"), "abc");
        assert_eq!(short_id("ééééééééé"), "éééééééé");
    }

    #[test]
    fn heartbeats_are_compact_and_a_miss_is_a_finding() {
        let ok = beat(1, 9, true);
        assert_eq!(event_name(&ok.body), "heartbeat");
        assert_eq!(summary(&ok.body), "♥ ok · 1.25 ms");
        assert!(!has_findings(&ok.body));
        let missed = beat(2, 9, false);
        assert_eq!(summary(&missed.body), "♥ missed: no answer");
        assert!(has_findings(&missed.body));
        assert_eq!(findings(&missed.body), vec![HEARTBEAT_MISSED]);
    }

    #[test]
    fn clock_and_relative_times() {
        // 2023-11-14T22:13:20.123456Z
        let t = 1_700_000_000_123_456;
        assert_eq!(clock(t, 0), "22:13:20.123");
        assert_eq!(clock(t, 120), "00:13:20.123");
        assert_eq!(clock(t, -23 * 60), "23:13:20.123");
        assert_eq!(relative(t, t - 1_500_000), "+1.500");
        assert_eq!(relative(t, t), "+0.000");
        assert_eq!(relative(t - 2_000, t), "-0.002");
    }

    #[test]
    fn follows_until_the_user_scrolls_up() {
        assert!(at_bottom(600.0, 1000.0, 400.0));
        assert!(at_bottom(595.0, 1000.0, 400.0));
        assert!(!at_bottom(500.0, 1000.0, 400.0));
        let mut f = Follow::default();
        assert!(f.rows_added(3));
        assert_eq!(f.unseen(), 0);
        // Our own scroll to the bottom.
        f.scrolled(600.0, 1000.0, 400.0);
        assert!(f.following());
        // Rows grew the list before the scroll event of an automatic scroll arrived: the
        // position did not move up, so this is not the user leaving.
        f.scrolled(600.0, 1200.0, 400.0);
        assert!(f.following());
        // The user scrolls up.
        f.scrolled(300.0, 1200.0, 400.0);
        assert!(!f.following());
        assert!(!f.rows_added(2));
        assert!(!f.rows_added(1));
        assert_eq!(f.unseen(), 3);
        // Scrolling down, but not to the bottom, keeps reading mode.
        f.scrolled(500.0, 1200.0, 400.0);
        assert!(!f.following());
        f.jump();
        assert!(f.following());
        assert_eq!(f.unseen(), 0);
        f.scrolled(100.0, 1200.0, 400.0);
        f.rows_added(1);
        // Back at the bottom by hand.
        f.scrolled(800.0, 1200.0, 400.0);
        assert_eq!(f.unseen(), 0);
        assert!(f.following());
    }
}
