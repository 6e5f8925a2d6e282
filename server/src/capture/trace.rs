//! One WebSocket connection's bytes turned into capture records: the opening handshake as
//! [`CaptureBody::Handshake`], then every frame as [`CaptureBody::Frame`] (with a
//! [`MessageSummary`] on the frame that completes a message, and closes explained).
//!
//! Pure over bytes: the byte tap (`crate::capture::tap`) feeds [`Trace::feed`] exactly what was read
//! from and written to the socket, in order per direction; the decoding is `shared::wire`'s.
//! The connection's task talks to the trace through [`Links`] (`crate::capture::links`).

use std::collections::VecDeque;
use std::sync::Arc;

use wirebook_shared::wire::handshake::HttpHead;
use wirebook_shared::wire::{
    check_upgrade, describe_close_code, ClosePayload, Finding, Frame, FrameDecoder, HeadReader,
    Headers, Message, MessageAssembler, Parsed, PlainFrame, Request, Response, StreamEnd,
};
use wirebook_shared::{CloseSummary, Direction, HandshakeRecord, HttpHeadRecord, Opcode};

use crate::capture::entry::{FrameEntry, MessageEntry, MessageExtras, PreviewBytes};
use crate::capture::links::{Links, Tag};
use crate::capture::prefetch;
use wirebook_shared::intercept_api::InterceptAction;

use crate::capture::recorder::Recorder;
use crate::capture::redaction::Secrets;

/// Bytes of one direction kept while the handshake is not complete (a peer that sends frames
/// before the handshake ends is out of order, but is still shown up to this much).
const MAX_EARLY: usize = 64 * 1024;

/// The capture of one WebSocket connection, fed with its bytes.
#[derive(Debug)]
pub struct Trace {
    ctx: Ctx,
    handshake: Handshake,
}

/// What every frame needs besides its direction's decoders.
#[derive(Debug)]
struct Ctx {
    recorder: Recorder,
    links: Arc<Links>,
    /// The direction of the bytes this end writes.
    ours: Direction,
    preview: usize,
    /// Redacted from the handshake besides the capture's own (the values of secret kernel
    /// headers, a gateway's token).
    secrets: Secrets,
    skipped: u64,
    paused: u64,
    /// Tests turn the plain-frame path off, to hold it to the decoder's.
    #[cfg(test)]
    plain_frames: bool,
}

#[derive(Debug)]
enum Handshake {
    Pending(Box<Heads>),
    Done(Box<[Side; 2]>),
    /// Not a WebSocket (or its heads could not be read): later bytes are not decoded.
    Failed,
}

#[derive(Debug, Default)]
struct Heads {
    request: HeadReader<Request>,
    request_head: Option<Request>,
    response: HeadReader<Response>,
    response_head: Option<Response>,
    /// Bytes after a head that arrived before the handshake was complete, per direction.
    early: [Vec<u8>; 2],
    findings: Vec<String>,
}

/// Index of a direction in per-direction arrays.
fn index(direction: Direction) -> usize {
    match direction {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

fn other(direction: Direction) -> Direction {
    match direction {
        Direction::ToServer => Direction::ToClient,
        Direction::ToClient => Direction::ToServer,
    }
}

fn direction_words(direction: Direction) -> &'static str {
    match direction {
        Direction::ToServer => "client-to-server",
        Direction::ToClient => "server-to-client",
    }
}

impl Trace {
    /// A trace for a connection on which this end is the client (`ours` = to server) or the
    /// server (`ours` = to client). Its first bytes are the handshake.
    pub fn new(recorder: Recorder, links: Arc<Links>, ours: Direction) -> Self {
        let preview = recorder.capture().preview_bytes();
        Trace {
            ctx: Ctx {
                recorder,
                links,
                ours,
                preview,
                secrets: Secrets::new(),
                skipped: 0,
                paused: 0,
                #[cfg(test)]
                plain_frames: true,
            },
            handshake: Handshake::Pending(Box::default()),
        }
    }

    /// Redacts `secret` wherever it appears in the handshake's heads (besides the secrets
    /// already given).
    pub fn redacting(mut self, secret: Option<Arc<str>>) -> Self {
        if let Some(secret) = secret {
            self.ctx.secrets.add(&secret);
        }
        self
    }

    /// Adds a finding to the handshake record (before it is recorded).
    pub fn handshake_finding(&mut self, finding: impl Into<String>) {
        if let Handshake::Pending(heads) = &mut self.handshake {
            heads.findings.push(finding.into());
        }
    }

    /// Prefetches what recording the next bytes that go `direction` reads: called before the
    /// socket read or write that moves them, whose system call covers the wait for a state
    /// that many connections taking turns have pushed out of the cache (docs/benchmarks.md).
    #[inline]
    pub fn prefetch(&self, direction: Direction) {
        if let Handshake::Done(sides) = &self.handshake {
            let side = &sides[index(direction)];
            let cpu = &mut prefetch::Cpu;
            prefetch::for_read(side);
            prefetch::for_read(&side.tag);
            side.frames.prefetch_plain_state(cpu);
            side.messages.prefetch_state(cpu);
            self.ctx.recorder.prefetch();
            self.ctx.links.prefetch();
        }
    }

    /// Bytes that went `direction`, in order.
    pub fn feed(&mut self, direction: Direction, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match &mut self.handshake {
            Handshake::Done(sides) => sides[index(direction)].push(bytes, &mut self.ctx),
            Handshake::Failed => {}
            Handshake::Pending(heads) => {
                let rest = match heads.push(direction, bytes) {
                    Ok(rest) => rest,
                    Err(error) => {
                        heads.findings.push(format!(
                            "the {} head is not HTTP/1.1: {error}",
                            match direction {
                                Direction::ToServer => "request",
                                Direction::ToClient => "response",
                            }
                        ));
                        self.record_handshake();
                        self.handshake = Handshake::Failed;
                        return;
                    }
                };
                let early = &mut heads.early[index(direction)];
                let room = MAX_EARLY.saturating_sub(early.len());
                if rest.len() > room {
                    heads.findings.push(format!(
                        "{} bytes arrived before the handshake finished; only the first {MAX_EARLY} are decoded",
                        direction_words(direction)
                    ));
                }
                early.extend_from_slice(&rest[..rest.len().min(room)]);
                if heads.request_head.is_some() && heads.response_head.is_some() {
                    self.complete_handshake();
                }
            }
        }
    }

    /// Records the handshake; on a switch to WebSocket, starts decoding frames (first those
    /// that arrived early).
    fn complete_handshake(&mut self) {
        let Some(upgrade) = self.record_handshake() else {
            self.handshake = Handshake::Failed;
            return;
        };
        let Handshake::Pending(heads) = std::mem::replace(&mut self.handshake, Handshake::Failed)
        else {
            return;
        };
        let side = |direction| Side::new(direction, &upgrade, self.ctx.preview);
        let mut sides = Box::new([side(Direction::ToServer), side(Direction::ToClient)]);
        let [to_server, to_client] = heads.early;
        sides[0].push(&to_server, &mut self.ctx);
        sides[1].push(&to_client, &mut self.ctx);
        self.handshake = Handshake::Done(sides);
    }

    /// Records the handshake as far as it came. Returns what was negotiated when the server
    /// switched protocols.
    fn record_handshake(&mut self) -> Option<wirebook_shared::wire::Upgrade> {
        let Handshake::Pending(heads) = &mut self.handshake else {
            return None;
        };
        let request = heads.request_head.as_ref()?;
        let mut findings = std::mem::take(&mut heads.findings);
        let mut record = HandshakeRecord {
            request: head_record(
                format!("{} {} {}", request.method, request.target, request.version),
                &request.headers,
            ),
            response: None,
            accept_ok: None,
            protocol: None,
            extensions: Vec::new(),
            findings: Vec::new(),
        };
        let mut upgrade = None;
        if let Some(response) = &heads.response_head {
            let start = format!(
                "{} {} {}",
                response.version, response.status, response.reason
            );
            record.response = Some(head_record(start.trim_end().to_string(), &response.headers));
            let checked = check_upgrade(request, response);
            if response.status == 101 && request.headers.get("Sec-WebSocket-Key").is_some() {
                record.accept_ok = Some(!checked.findings.iter().any(|f| match f {
                    Finding::AcceptMismatch { .. } => true,
                    Finding::HandshakeHeader { name, .. } => {
                        name.eq_ignore_ascii_case("Sec-WebSocket-Accept")
                    }
                    _ => false,
                }));
            }
            record.protocol = checked.protocol.clone();
            record.extensions = response
                .headers
                .list("Sec-WebSocket-Extensions")
                .map(str::to_string)
                .collect();
            findings.extend(checked.findings.iter().map(Finding::message));
            if response.status == 101 {
                upgrade = Some(checked);
            }
        } else {
            findings.push("the connection ended before the server answered".into());
        }
        record.findings = findings;
        self.ctx
            .recorder
            .record_handshake(record, &self.ctx.secrets);
        upgrade
    }

    /// The connection is gone: records what was left unfinished and notes what was not
    /// recorded on the `Closed` record.
    pub fn end(&mut self) {
        match std::mem::replace(&mut self.handshake, Handshake::Failed) {
            Handshake::Pending(heads) => {
                self.handshake = Handshake::Pending(heads);
                self.record_handshake();
                self.handshake = Handshake::Failed;
            }
            Handshake::Done(mut sides) => {
                for side in sides.iter_mut() {
                    side.end(&mut self.ctx);
                }
            }
            Handshake::Failed => {}
        }
        let recorder = &self.ctx.recorder;
        if self.ctx.skipped > 0 {
            recorder.note(format!(
                "{} frames of the inspector's own capture feed were not recorded",
                self.ctx.skipped
            ));
        }
        if self.ctx.paused > 0 {
            recorder.note(format!(
                "{} frames went by while the capture was paused",
                self.ctx.paused
            ));
        }
        self.ctx.skipped = 0;
        self.ctx.paused = 0;
    }
}

impl Heads {
    /// Feeds a head's bytes; returns the bytes after the head (if it is complete).
    fn push<'a>(
        &mut self,
        direction: Direction,
        bytes: &'a [u8],
    ) -> Result<&'a [u8], wirebook_shared::wire::HttpError> {
        match direction {
            Direction::ToServer if self.request_head.is_none() => {
                read_head(&mut self.request, &mut self.request_head, bytes)
            }
            Direction::ToClient if self.response_head.is_none() => {
                read_head(&mut self.response, &mut self.response_head, bytes)
            }
            _ => Ok(bytes),
        }
    }
}

fn read_head<'a, T: HttpHead>(
    reader: &mut HeadReader<T>,
    head: &mut Option<T>,
    bytes: &'a [u8],
) -> Result<&'a [u8], wirebook_shared::wire::HttpError> {
    match reader.push(bytes)? {
        Parsed::Incomplete => Ok(&[]),
        Parsed::Complete {
            head: parsed,
            consumed,
        } => {
            *head = Some(parsed);
            Ok(&bytes[consumed..])
        }
    }
}

/// A head as sent; the capture redacts and cuts it (`crate::capture::redaction`).
fn head_record(start_line: String, headers: &Headers) -> HttpHeadRecord {
    HttpHeadRecord {
        start_line,
        headers: headers
            .0
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect(),
    }
}

/// One direction's decoders after the handshake.
#[derive(Debug)]
struct Side {
    direction: Direction,
    frames: FrameDecoder,
    messages: MessageAssembler,
    /// A data message is open (its first frame came, its FIN frame not yet).
    data_open: bool,
    /// Findings on the frames of the open data message: the assembler repeats them first.
    open_findings: usize,
    /// The tag of the open data message.
    tag: Tag,
    /// Tags of data messages this end sends, taken when their first frame's header was
    /// decoded (to skip the payloads of `Skip` ones), for their frames once whole.
    decided: VecDeque<Tag>,
}

impl Side {
    fn new(direction: Direction, upgrade: &wirebook_shared::wire::Upgrade, preview: usize) -> Self {
        Side {
            direction,
            frames: FrameDecoder::new(direction)
                .with_payload_limit(preview)
                .with_extensions(&upgrade.extensions),
            // Close payloads (up to 125 bytes) are always decoded whole.
            messages: MessageAssembler::new(direction, upgrade.deflate.as_ref())
                .with_payload_limit(preview.max(125)),
            data_open: false,
            open_findings: 0,
            tag: Tag::Plain,
            decided: VecDeque::new(),
        }
    }

    fn push(&mut self, bytes: &[u8], ctx: &mut Ctx) {
        // Whole plain frames are read in place; from the first frame that is not, the bytes
        // go through the decoder.
        let mut bytes = bytes;
        while ctx.reads_plain_frames() {
            let Some(frame) = self.frames.plain_frame(bytes) else {
                break;
            };
            if !self.record_plain(&frame, ctx) {
                break;
            }
            self.frames.take_plain(&frame);
            bytes = &bytes[frame.wire_len()..];
        }
        if bytes.is_empty() {
            return;
        }
        let Side {
            frames,
            messages,
            direction,
            data_open,
            open_findings,
            tag,
            decided,
        } = self;
        let frames = if *direction == ctx.ours {
            // The inspector's capture feed (`Skip`) is not recorded: its frames are decoded
            // header only, not unmasked, copied or checked as UTF-8.
            let links = &ctx.links;
            frames.push_skipping(bytes, &mut |_| {
                let next = links.next_tag();
                decided.push_back(next);
                next == Tag::Skip
            })
        } else {
            frames.push(bytes)
        };
        let mut state = MessageState {
            direction: *direction,
            messages,
            data_open,
            open_findings,
            tag,
            decided,
        };
        for frame in frames {
            state.on_frame(frame, ctx);
        }
    }

    /// Records a message that is one plain frame ([`FrameDecoder::plain_frame`]) as
    /// [`MessageState::on_frame`] would, when it fits the preview and nothing is being
    /// assembled; `false` leaves it to the decoder (a text payload that is not UTF-8, too).
    #[inline]
    fn record_plain(&mut self, frame: &PlainFrame<'_>, ctx: &mut Ctx) -> bool {
        if frame.header.payload_len > ctx.preview as u64
            || self.data_open
            || self.messages.is_assembling()
        {
            return false;
        }
        let Some(entry) = FrameEntry::plain_message(frame, self.direction) else {
            return false;
        };
        // The decoder asks for this tag when the header is whole; nothing else is between.
        self.tag = if self.direction == ctx.ours {
            ctx.links.next_tag()
        } else {
            Tag::Plain
        };
        let seq = ctx.record(self.tag, |caused_by, mark| entry.tagged(caused_by, mark));
        ctx.after_data(self.direction, true, true, seq);
        true
    }

    fn end(&mut self, ctx: &mut Ctx) {
        match self.frames.finish() {
            StreamEnd::Clean => {}
            StreamEnd::MidHeader { offset, bytes } => ctx.recorder.note(format!(
                "the {} stream ended inside a frame header ({} bytes at offset {offset})",
                direction_words(self.direction),
                bytes.len()
            )),
            StreamEnd::MidPayload(frame) => {
                let mut state = MessageState {
                    direction: self.direction,
                    messages: &mut self.messages,
                    data_open: &mut self.data_open,
                    open_findings: &mut self.open_findings,
                    tag: &mut self.tag,
                    decided: &mut self.decided,
                };
                state.on_frame(*frame, ctx);
            }
        }
        if let Some(message) = self.messages.finish() {
            ctx.recorder.note(format!(
                "a {} {} message ({} frames so far) never finished",
                direction_words(self.direction),
                message.opcode.name(),
                message.frames
            ));
        }
    }
}

/// A side's message tracking, borrowed apart from its frame decoder.
struct MessageState<'a> {
    direction: Direction,
    messages: &'a mut MessageAssembler,
    data_open: &'a mut bool,
    open_findings: &'a mut usize,
    tag: &'a mut Tag,
    decided: &'a mut VecDeque<Tag>,
}

impl MessageState<'_> {
    fn on_frame(&mut self, frame: Frame, ctx: &mut Ctx) {
        let opcode = frame.header.opcode;
        let starts_data = matches!(opcode, Opcode::Text | Opcode::Binary);
        let continues = opcode == Opcode::Continuation && *self.data_open;
        let standalone = !starts_data && !continues;
        if starts_data {
            *self.data_open = true;
            *self.open_findings = frame.findings.len();
            // Taken from the links when the frame's header was decoded (`Side::push`).
            *self.tag = if self.direction == ctx.ours {
                self.decided.pop_front().unwrap_or(Tag::Plain)
            } else {
                Tag::Plain
            };
        } else if continues {
            *self.open_findings += frame.findings.len();
        }
        let ends_message = standalone || frame.header.fin;
        let repeated = if standalone {
            frame.findings.len()
        } else {
            *self.open_findings
        };
        let tag = if standalone { Tag::Plain } else { *self.tag };
        if frame.header.fin && !standalone {
            *self.data_open = false;
        }
        let mut summary = None;
        if tag == Tag::Skip && starts_data && frame.header.fin && !self.messages.is_assembling() {
            // Not recorded, and its payload was not kept: nothing to summarise.
        } else if starts_data
            && frame.header.fin
            && !frame.cut_short
            && !frame.header.rsv1
            && !self.messages.is_assembling()
        {
            // Most messages are one uncompressed frame: the frame is the whole message, and
            // the assembler would only copy its payload into a message of its own.
            summary = Some(summarize_single(&frame, ctx.preview));
        } else {
            for message in self.messages.push(&frame) {
                // A data message abandoned by this frame is not this frame's: its frames carry
                // the findings, and the connection is failing anyway.
                if ends_message && (standalone || message.complete) {
                    summary = Some(summarize(message, repeated, ctx.preview));
                }
            }
        }
        if opcode == Opcode::Close && !frame.truncated() {
            if let Some(code) = ClosePayload::parse(&frame.payload).code {
                ctx.recorder.saw_close_code(code.code);
            }
        }
        let (direction, preview) = (self.direction, ctx.preview);
        let seq = ctx.record(tag, |caused_by, mark| {
            FrameEntry::new(frame, direction, preview, summary, caused_by, mark)
        });
        ctx.after_data(direction, starts_data, ends_message && !standalone, seq);
    }
}

impl Ctx {
    #[inline]
    fn reads_plain_frames(&self) -> bool {
        #[cfg(test)]
        return self.plain_frames;
        #[cfg(not(test))]
        true
    }

    /// Records a frame as its message's tag says (`Skip`: not at all; `entry` is then never
    /// made). Returns its record.
    #[inline]
    fn record(
        &mut self,
        tag: Tag,
        entry: impl FnOnce(Option<u64>, Option<InterceptAction>) -> FrameEntry,
    ) -> Option<u64> {
        let (caused_by, mark) = match tag {
            Tag::Skip => {
                self.skipped += 1;
                return None;
            }
            Tag::CausedBy(seq) => (Some(seq), None),
            Tag::Marked { caused_by, mark } => (caused_by, Some(mark)),
            Tag::Plain => (None, None),
        };
        let seq = self.recorder.record_frame(entry(caused_by, mark));
        if seq.is_none() {
            self.paused += 1;
        }
        seq
    }

    /// For a frame received (not one this end wrote): the record of a data message's first
    /// frame tags its relayed copy, and the record of its last frame is what the task learns.
    #[inline]
    fn after_data(
        &self,
        direction: Direction,
        starts_data: bool,
        ends_data: bool,
        seq: Option<u64>,
    ) {
        if direction != other(self.ours) {
            return;
        }
        if starts_data {
            self.links.tag_relayed_copy(seq);
        }
        if ends_data {
            self.links.record_received(seq);
        }
    }
}

/// A whole message, summarised for [`FrameEntry`]: the numbers, the preview's bytes (the text
/// of a text message, cut at a character boundary) and the rare extras. `repeated` findings at
/// the front are its frames' own.
fn summarize(
    message: Message,
    repeated: usize,
    preview: usize,
) -> (MessageEntry, PreviewBytes, MessageExtras) {
    let (text, shown, cut) =
        preview_cut(message.opcode, &message.payload, message.truncated, preview);
    let close = message.close().map(|close| {
        let info = close.code.unwrap_or_else(|| describe_close_code(1005));
        CloseSummary {
            code: close.code.map(|c| c.code),
            reason: close.reason,
            name: info.name.to_string(),
            meaning: info.meaning.to_string(),
        }
    });
    let entry = MessageEntry {
        opcode: message.opcode,
        frames: u32::try_from(message.frames).unwrap_or(u32::MAX),
        compressed: message.compressed,
        wire_len: message.wire_len,
        len: message.len,
        text,
        truncated: cut || message.truncated,
    };
    let extras = MessageExtras {
        findings: message.findings.get(repeated..).unwrap_or(&[]).to_vec(),
        close,
    };
    let mut payload = message.payload;
    payload.truncate(shown);
    (entry, PreviewBytes::Own(payload), extras)
}

/// What [`summarize`] makes of the message a lone final uncompressed text or binary frame is
/// (the assembler not in a message): the same summary, read off the frame. Such a message has
/// no findings of its own, and its payload is the frame's (the decoder keeps no more than the
/// preview, the assembler at least that).
fn summarize_single(frame: &Frame, preview: usize) -> (MessageEntry, PreviewBytes, MessageExtras) {
    let truncated = frame.truncated();
    let opcode = frame.header.opcode;
    let (text, shown, cut) = if opcode == Opcode::Text && !truncated && frame.findings.is_empty() {
        // The decoder checked the whole payload's UTF-8 (a failure would be a finding): only
        // the cut needs a character boundary.
        text_cut(&frame.payload, frame.payload.len(), preview)
    } else {
        preview_cut(opcode, &frame.payload, truncated, preview)
    };
    let entry = MessageEntry {
        opcode: frame.header.opcode,
        frames: 1,
        compressed: false,
        wire_len: frame.header.payload_len,
        len: frame.header.payload_len,
        text,
        truncated: cut || truncated,
    };
    (
        entry,
        PreviewBytes::PayloadPrefix(shown),
        MessageExtras::default(),
    )
}

/// How a message's preview shows its payload: whether as text, how many bytes, and whether that
/// leaves some out. Text messages show their text (a truncated payload may end mid-character:
/// that character is left off, as in [`Message::text`]), cut at a character boundary; the rest
/// show bytes.
fn preview_cut(
    opcode: Opcode,
    payload: &[u8],
    truncated: bool,
    preview: usize,
) -> (bool, usize, bool) {
    let text_len = match opcode {
        Opcode::Text => match std::str::from_utf8(payload) {
            Ok(text) => Some(text.len()),
            Err(e) if truncated && e.error_len().is_none() => Some(e.valid_up_to()),
            Err(_) => None,
        },
        _ => None,
    };
    match text_len {
        Some(whole) => text_cut(payload, whole, preview),
        None => {
            let shown = payload.len().min(preview);
            (false, shown, shown < payload.len())
        }
    }
}

/// [`preview_cut`] for a payload whose first `whole` bytes are valid UTF-8 text.
fn text_cut(payload: &[u8], whole: usize, preview: usize) -> (bool, usize, bool) {
    let mut shown = whole.min(preview);
    // Within valid UTF-8, a boundary is anything but a continuation byte.
    while shown < whole && payload[shown] & 0xc0 == 0x80 {
        shown -= 1;
    }
    (true, shown, shown < whole)
}

#[cfg(test)]
mod tests {
    use super::{summarize, summarize_single, Links, Trace};
    use crate::capture::entry::FrameEntry;
    use crate::capture::recorder::Recorder;
    use crate::capture::ring::Capture;
    use std::sync::Arc;
    use wirebook_shared::wire::{
        encode_frame, minimal_upgrade, FrameDecoder, FrameSpec, MessageAssembler,
    };
    use wirebook_shared::{CaptureBody, Direction, FrameRecord, Hop, Opcode};

    /// The frame records a trace with `preview`-byte previews makes of these client frames.
    fn traced(preview: usize, frames: &[Vec<u8>]) -> Vec<FrameRecord> {
        let capture = Arc::new(Capture::new(100, preview));
        let recorder = Recorder::open(&capture, Hop::Endpoint, "c".into(), "s".into(), "/".into());
        let mut trace = Trace::new(recorder, Arc::new(Links::default()), Direction::ToClient);
        let (request, response) = minimal_upgrade("dGhlIHNhbXBsZSBub25jZQ==");
        trace.feed(Direction::ToServer, request.as_bytes());
        trace.feed(Direction::ToClient, response.as_bytes());
        for frame in frames {
            trace.feed(Direction::ToServer, frame);
        }
        trace.end();
        capture
            .snapshot()
            .into_iter()
            .filter_map(|record| match record.body {
                CaptureBody::Frame(frame) => Some(*frame),
                _ => None,
            })
            .collect()
    }

    fn client(opcode: Opcode, fin: bool, payload: &[u8]) -> Vec<u8> {
        encode_frame(
            &FrameSpec::new(opcode).fin(fin).masked([1, 2, 3, 4]),
            payload,
        )
    }

    #[test]
    fn records_show_headers_payloads_and_previews_cut_as_the_inspector_expects() {
        let frames = traced(
            5,
            &[
                client(Opcode::Text, true, "héllo".as_bytes()),
                client(Opcode::Text, false, b"ab"),
                client(Opcode::Continuation, true, "cdé".as_bytes()),
                client(Opcode::Binary, true, &[0, 1, 2, 3, 4, 5, 6]),
                client(Opcode::Close, true, &[0x03, 0xe8, b'b', b'y', b'e']),
            ],
        );
        assert_eq!(frames.len(), 5);
        // 'é' straddles the 5-byte cut: the text preview stops before it, the hex does not.
        let single = &frames[0];
        assert_eq!(single.header_hex, "818601020304");
        assert_eq!(single.payload_hex, "68c3a96c6c");
        assert!(single.truncated && single.findings.is_empty());
        let message = single.message.as_ref().unwrap();
        assert_eq!(
            (message.preview.as_str(), message.truncated),
            ("héll", true)
        );
        assert_eq!((message.len, message.frames), (6, 1));
        // A fragmented message is summarised on its last frame, from all its frames.
        assert!(frames[1].message.is_none());
        assert_eq!(frames[1].payload_hex, "6162");
        let message = frames[2].message.as_ref().unwrap();
        assert_eq!(
            (message.preview.as_str(), message.truncated),
            ("abcd", true)
        );
        assert_eq!((message.len, message.frames), (6, 2));
        let binary = frames[3].message.as_ref().unwrap();
        assert_eq!(
            (binary.preview.as_str(), binary.truncated),
            ("0001020304", true)
        );
        assert_eq!(frames[3].length_form, "7-bit");
        assert_eq!(frames[3].mask_key, Some([1, 2, 3, 4]));
        let close = frames[4].message.as_ref().unwrap().close.as_ref().unwrap();
        assert_eq!((close.code, close.reason.as_str()), (Some(1000), "bye"));
    }

    #[test]
    fn findings_and_a_cut_short_frame_are_kept() {
        let mut cut = client(Opcode::Binary, true, &[9; 10]);
        cut.truncate(cut.len() - 4);
        let frames = traced(
            16,
            &[
                encode_frame(&FrameSpec::new(Opcode::Text), b"unmasked"),
                client(Opcode::Text, true, &[0xff, 0xfe]),
                cut,
            ],
        );
        assert_eq!(frames.len(), 3);
        assert!(
            frames[0].findings[0].contains("not masked"),
            "{:?}",
            frames[0].findings
        );
        let invalid = frames[1].message.as_ref().unwrap();
        assert_eq!(invalid.preview, "fffe", "not UTF-8: shown as hex");
        // The frame carries the finding; the message does not repeat it.
        assert_eq!(frames[1].findings, ["text message is not valid UTF-8"]);
        assert!(invalid.findings.is_empty());
        assert!(frames[2].truncated);
        assert!(
            frames[2]
                .findings
                .iter()
                .any(|f| f.contains("ended inside this frame")),
            "{:?}",
            frames[2].findings
        );
    }

    #[test]
    fn payloads_on_both_sides_of_the_inline_size_come_back_whole() {
        // The ring keeps up to 22 bytes inside the entry and more on the heap; a fragmented
        // message's preview is kept after its last frame's payload.
        let sizes = [0, 1, 20, 22, 24, 64, 200];
        let mut frames: Vec<Vec<u8>> = sizes
            .iter()
            .map(|&n| client(Opcode::Text, true, "é".repeat(n / 2).as_bytes()))
            .collect();
        frames.push(client(Opcode::Text, false, &[b'a'; 20]));
        frames.push(client(Opcode::Continuation, true, &[b'b'; 9]));
        let records = traced(256, &frames);
        for (record, n) in records.iter().zip(sizes) {
            let text = "é".repeat(n / 2);
            assert_eq!(
                record.payload_hex,
                wirebook_shared::hex::hex(text.as_bytes())
            );
            assert_eq!(record.message.as_ref().unwrap().preview, text, "{n} bytes");
        }
        let last = records.last().unwrap();
        assert_eq!(last.payload_hex, "62".repeat(9));
        let message = last.message.as_ref().unwrap();
        assert_eq!(
            message.preview,
            format!("{}{}", "a".repeat(20), "b".repeat(9))
        );
    }

    #[test]
    fn skipped_messages_are_not_recorded_and_tags_stay_in_step() {
        use super::Tag;
        let capture = Arc::new(Capture::new(100, 16));
        let recorder = Recorder::open(&capture, Hop::Endpoint, "c".into(), "s".into(), "/".into());
        let links = Arc::new(Links::default());
        let mut trace = Trace::new(recorder, Arc::clone(&links), Direction::ToClient);
        let (request, response) = minimal_upgrade("dGhlIHNhbXBsZSBub25jZQ==");
        trace.feed(Direction::ToServer, request.as_bytes());
        trace.feed(Direction::ToClient, response.as_bytes());
        let server =
            |opcode, fin, payload: &[u8]| encode_frame(&FrameSpec::new(opcode).fin(fin), payload);
        // The feed's message (in two frames, written in pieces), then a relayed one.
        links.tag_next(Tag::Skip);
        links.tag_next(Tag::CausedBy(7));
        let mut bytes = server(Opcode::Text, false, &[0xff; 300]);
        bytes.extend(server(Opcode::Continuation, true, &[0xfe; 30]));
        bytes.extend(server(Opcode::Text, true, b"relayed"));
        for piece in bytes.chunks(100) {
            trace.feed(Direction::ToClient, piece);
        }
        trace.end();
        drop(trace);
        let records = capture.snapshot();
        let frames: Vec<_> = records
            .iter()
            .filter_map(|record| match &record.body {
                CaptureBody::Frame(frame) => Some(frame),
                _ => None,
            })
            .collect();
        assert_eq!(frames.len(), 1, "{frames:?}");
        assert_eq!(frames[0].caused_by, Some(7));
        assert_eq!(frames[0].message.as_ref().unwrap().preview, "relayed");
        let Some(CaptureBody::Closed { reason, .. }) = records.last().map(|r| &r.body) else {
            panic!("no closed record: {records:?}");
        };
        assert!(
            reason.contains("2 frames of the inspector's own capture feed"),
            "{reason}"
        );
    }

    #[test]
    fn a_lone_frame_is_summarised_as_the_assembler_would() {
        let cases: [(usize, Opcode, &[u8]); 7] = [
            (16, Opcode::Text, "héllo".as_bytes()),
            (5, Opcode::Text, "héllo".as_bytes()),
            (2, Opcode::Text, "héllo".as_bytes()),
            (0, Opcode::Text, b"abc"),
            (16, Opcode::Text, &[0xff, 0xfe]),
            (4, Opcode::Binary, &[0, 1, 2, 3, 4, 5]),
            (16, Opcode::Binary, &[]),
        ];
        for (preview, opcode, payload) in cases {
            let bytes = client(opcode, true, payload);
            let frame = FrameDecoder::new(Direction::ToServer)
                .with_payload_limit(preview)
                .push(&bytes)
                .next()
                .unwrap();
            let mut assembler = MessageAssembler::new(Direction::ToServer, None)
                .with_payload_limit(preview.max(125));
            let message = assembler.push(&frame).next().unwrap();
            let repeated = frame.findings.len();
            let record = |summary| {
                FrameEntry::new(
                    frame.clone(),
                    Direction::ToServer,
                    preview,
                    summary,
                    None,
                    None,
                )
                .to_record()
            };
            assert_eq!(
                record(Some(summarize_single(&frame, preview))),
                record(Some(summarize(message, repeated, preview))),
                "{preview} {opcode:?} {payload:?}"
            );
        }
    }

    mod plain_frames {
        //! The plain-frame path ([`FrameDecoder::plain_frame`]) held to the decoder's: the same
        //! bytes, in the same reads, make the same records, tags and received seqs.
        use super::super::{Links, Tag, Trace};
        use crate::capture::recorder::Recorder;
        use crate::capture::ring::Capture;
        use proptest::prelude::*;
        use std::sync::Arc;
        use wirebook_shared::intercept_api::InterceptAction;
        use wirebook_shared::wire::{encode_frame, minimal_upgrade, FrameHeader, LengthForm};
        use wirebook_shared::{CaptureRecord, Direction, Hop, Opcode};

        #[derive(Debug, Clone)]
        struct Sent {
            to_client: bool,
            header: FrameHeader,
            payload: Vec<u8>,
            /// Where the read that carries this frame ends: after it, inside it, or later.
            cut: Cut,
            tag: Tag,
        }

        #[derive(Debug, Clone, Copy)]
        enum Cut {
            After,
            Inside(usize),
            Later,
        }

        fn sent() -> impl Strategy<Value = Sent> {
            let opcode = prop_oneof![
                6 => Just(Opcode::Text),
                3 => Just(Opcode::Binary),
                2 => Just(Opcode::Continuation),
                1 => Just(Opcode::Close),
                1 => Just(Opcode::Ping),
                1 => Just(Opcode::Reserved(3)),
            ];
            let payload = prop_oneof![
                ".{0,40}".prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..200),
            ];
            let cut = prop_oneof![
                Just(Cut::After),
                Just(Cut::Later),
                (0usize..300).prop_map(Cut::Inside)
            ];
            let tag = prop_oneof![
                Just(Tag::Plain),
                Just(Tag::Skip),
                (1u64..50).prop_map(Tag::CausedBy),
                Just(Tag::Marked {
                    caused_by: Some(3),
                    mark: InterceptAction::Edited
                }),
            ];
            (
                any::<bool>(),
                opcode,
                prop::bool::weighted(0.8),
                prop::bool::weighted(0.9),
                prop::bool::weighted(0.1),
                prop::bool::weighted(0.05),
                payload,
                cut,
                tag,
            )
                .prop_map(
                    |(to_client, opcode, fin, mask_right, rsv1, long, payload, cut, tag)| Sent {
                        to_client,
                        header: FrameHeader {
                            fin,
                            rsv1,
                            mask_key: (to_client != mask_right).then_some([7, 0, 9, 200]),
                            length_form: if long {
                                LengthForm::Medium
                            } else {
                                LengthForm::Short
                            },
                            ..FrameHeader::new(opcode)
                        },
                        payload,
                        cut,
                        tag,
                    },
                )
        }

        /// The reads each direction's frames arrive in, interleaved as `order` says.
        fn reads(frames: &[Sent], order: &[bool]) -> Vec<(Direction, Vec<u8>)> {
            let mut chunks: [Vec<Vec<u8>>; 2] = Default::default();
            let mut open: [Vec<u8>; 2] = Default::default();
            for frame in frames {
                let side = usize::from(frame.to_client);
                let bytes = encode_frame(&frame.header, &frame.payload);
                match frame.cut {
                    Cut::After => {
                        open[side].extend_from_slice(&bytes);
                        chunks[side].push(std::mem::take(&mut open[side]));
                    }
                    Cut::Inside(at) => {
                        let at = at % (bytes.len() + 1);
                        open[side].extend_from_slice(&bytes[..at]);
                        chunks[side].push(std::mem::take(&mut open[side]));
                        open[side].extend_from_slice(&bytes[at..]);
                    }
                    Cut::Later => open[side].extend_from_slice(&bytes),
                }
            }
            for side in 0..2 {
                chunks[side].push(std::mem::take(&mut open[side]));
            }
            let [mut to_server, mut to_client] = chunks.map(|c| c.into_iter());
            let mut out = Vec::new();
            for &client_first in order
                .iter()
                .chain(std::iter::repeat_n(&true, 2 * frames.len() + 4))
            {
                let next = if client_first {
                    to_client.next().map(|c| (Direction::ToClient, c))
                } else {
                    to_server.next().map(|c| (Direction::ToServer, c))
                };
                out.extend(next);
            }
            out.extend(to_server.map(|c| (Direction::ToServer, c)));
            out
        }

        /// What a trace (`plain`: with the plain-frame path) records of these reads, the
        /// relayed tags it queues and the received seqs it gives.
        fn traced(
            plain: bool,
            preview: usize,
            frames: &[Sent],
            reads: &[(Direction, Vec<u8>)],
        ) -> (Vec<CaptureRecord>, Vec<Tag>, Vec<Option<u64>>) {
            let capture = Arc::new(Capture::new(10_000, preview));
            let recorder =
                Recorder::open(&capture, Hop::Endpoint, "c".into(), "s".into(), "/".into());
            let links = Arc::new(Links::default());
            let relayed = Links::default();
            links.relay_to(&relayed);
            links.track_received();
            for frame in frames {
                if frame.to_client && matches!(frame.header.opcode, Opcode::Text | Opcode::Binary) {
                    links.tag_next(frame.tag);
                }
            }
            let mut trace = Trace::new(recorder, Arc::clone(&links), Direction::ToClient);
            trace.ctx.plain_frames = plain;
            let (request, response) = minimal_upgrade("dGhlIHNhbXBsZSBub25jZQ==");
            trace.feed(Direction::ToServer, request.as_bytes());
            trace.feed(Direction::ToClient, response.as_bytes());
            for (direction, bytes) in reads {
                trace.feed(*direction, bytes);
            }
            trace.end();
            drop(trace);
            let records = capture
                .snapshot()
                .into_iter()
                .map(|record| CaptureRecord {
                    time_us: 0,
                    ..record
                })
                .collect();
            let tags = (0..frames.len()).map(|_| relayed.next_tag()).collect();
            let seqs = (0..frames.len()).map(|_| links.received_seq()).collect();
            (records, tags, seqs)
        }

        proptest! {
            #[test]
            fn the_plain_frame_path_records_what_the_decoder_would(
                frames in prop::collection::vec(sent(), 1..40),
                order in prop::collection::vec(any::<bool>(), 0..80),
                preview in prop_oneof![Just(8usize), Just(22), Just(125), Just(4096)],
            ) {
                let reads = reads(&frames, &order);
                let plain = traced(true, preview, &frames, &reads);
                let decoded = traced(false, preview, &frames, &reads);
                prop_assert_eq!(plain, decoded);
            }
        }
    }
}
