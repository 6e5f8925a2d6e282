//! The incremental RFC 6455 frame decoder (§5.2), and an encoder for tests and tools.
//!
//! [`FrameDecoder`] reads one direction of a connection from bytes in any chunking and yields
//! [`Frame`]s with every header field as sent, the header bytes, the unmasked payload and the
//! frame's offset in the stream. Violations become [`Finding`]s on the frame; decoding never
//! stops or panics. Payloads are kept up to a limit (the true length is always reported), so a
//! peer announcing a 1 GiB frame costs at most the limit in memory.

use std::collections::VecDeque;

use crate::direction::Direction;

use super::opcode::Opcode;

use super::extension::Extension;
use super::finding::Finding;
use super::header::{header_len, FrameHeader, LengthForm, MAX_HEADER_LEN};
use super::mask::{apply_mask, unmask_append};
use super::utf8::Utf8Validator;

/// Default number of payload bytes kept per frame.
pub const DEFAULT_PAYLOAD_LIMIT: usize = 1 << 20;

/// Control frames carry at most this many payload bytes (§5.5); the payload limit never goes
/// below it so close payloads can always be decoded.
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Stream offset of the frame's first header byte (0 is the first byte after the handshake,
    /// or whatever the decoder was started at).
    pub offset: u64,
    pub header: FrameHeader,
    header_bytes: [u8; MAX_HEADER_LEN],
    /// The unmasked payload, up to the decoder's payload limit; `header.payload_len` is the
    /// true length.
    pub payload: Vec<u8>,
    /// The frame ended before its announced length ([`FrameDecoder::finish`] only).
    pub cut_short: bool,
    pub findings: Vec<Finding>,
}

impl Frame {
    /// The header exactly as it was on the wire.
    pub fn header_bytes(&self) -> &[u8] {
        &self.header_bytes[..self.header.encoded_len()]
    }

    /// The kept payload as it was on the wire (masked, if the frame was).
    pub fn masked_payload(&self) -> Vec<u8> {
        let mut bytes = self.payload.clone();
        if let Some(key) = self.header.mask_key {
            apply_mask(&mut bytes, key, 0);
        }
        bytes
    }

    /// Fewer payload bytes were kept than the frame carried.
    pub fn truncated(&self) -> bool {
        (self.payload.len() as u64) < self.header.payload_len
    }

    /// Header plus announced payload length: the frame's size on the wire.
    pub fn wire_len(&self) -> u64 {
        (self.header.encoded_len() as u64).saturating_add(self.header.payload_len)
    }
}

/// A whole plain frame read in place ([`FrameDecoder::plain_frame`]).
#[derive(Debug, Clone, Copy)]
pub struct PlainFrame<'a> {
    /// Stream offset of the frame's first header byte.
    pub offset: u64,
    pub header: FrameHeader,
    /// The header exactly as it was on the wire.
    pub header_bytes: &'a [u8],
    /// The payload as it was on the wire: masked when the header has a key.
    pub masked_payload: &'a [u8],
}

impl PlainFrame<'_> {
    /// Header and payload: the bytes the frame took.
    pub fn wire_len(&self) -> usize {
        self.header_bytes.len() + self.masked_payload.len()
    }
}

/// How a stream ended, from [`FrameDecoder::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    /// Between frames.
    Clean,
    /// Inside a frame header: the bytes of the partial header and where it started.
    MidHeader { offset: u64, bytes: Vec<u8> },
    /// Inside a frame's payload: the frame as far as it came, with `cut_short` set.
    MidPayload(Box<Frame>),
}

/// A text or binary message that has started and not yet seen FIN.
#[derive(Debug)]
struct OpenMessage {
    /// Uncompressed text messages are validated as their bytes pass; compressed ones after
    /// inflation, by the message assembler.
    utf8: Option<Utf8Validator>,
    utf8_reported: bool,
    /// The caller wanted this message's payload skipped (see [`FrameDecoder::push_skipping`]).
    skipped: bool,
}

/// The frame whose header is decoded and whose payload is arriving.
#[derive(Debug)]
struct Current {
    frame: Frame,
    /// Payload bytes seen so far (kept or not).
    seen: u64,
    /// Validate this frame's payload as part of the open text message.
    check_utf8: bool,
    /// Payload bytes to keep: the decoder's limit, or none for a skipped message.
    limit: usize,
}

/// Incremental decoder for one direction of a WebSocket connection.
#[derive(Debug)]
pub struct FrameDecoder {
    sender: Direction,
    payload_limit: usize,
    /// permessage-deflate is negotiated: RSV1 marks compressed messages.
    deflate: bool,
    /// An extension wirebook doesn't know is negotiated: it may use any RSV bit.
    unknown_extension: bool,
    /// Stream offset of the next byte pushed.
    offset: u64,
    head: [u8; MAX_HEADER_LEN],
    head_len: usize,
    /// Stream offset of `head[0]`.
    head_start: u64,
    current: Option<Current>,
    message: Option<OpenMessage>,
    ready: VecDeque<Frame>,
}

impl FrameDecoder {
    /// A decoder for frames sent by the client (`Direction::ToServer`, which must be masked)
    /// or by the server (`Direction::ToClient`, which must not be), with no extensions.
    pub fn new(sender: Direction) -> Self {
        FrameDecoder {
            sender,
            payload_limit: DEFAULT_PAYLOAD_LIMIT,
            deflate: false,
            unknown_extension: false,
            offset: 0,
            head: [0; MAX_HEADER_LEN],
            head_len: 0,
            head_start: 0,
            current: None,
            message: None,
            ready: VecDeque::new(),
        }
    }

    /// Keep at most `limit` payload bytes per frame (never fewer than 125).
    pub fn with_payload_limit(mut self, limit: usize) -> Self {
        self.payload_limit = limit.max(MAX_CONTROL_PAYLOAD);
        self
    }

    /// The extensions the handshake negotiated. permessage-deflate gives RSV1 its meaning;
    /// with an extension wirebook doesn't know, no RSV bit is flagged.
    pub fn with_extensions(mut self, extensions: &[Extension]) -> Self {
        self.deflate = false;
        self.unknown_extension = false;
        for extension in extensions {
            if extension.name.eq_ignore_ascii_case("permessage-deflate") {
                self.deflate = true;
            } else {
                self.unknown_extension = true;
            }
        }
        self
    }

    /// Starts stream offsets at `offset` (e.g. the handshake length, to number bytes from the
    /// start of the TCP stream).
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    pub fn sender(&self) -> Direction {
        self.sender
    }

    /// Stream offset of the next byte to be pushed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Feeds bytes in and returns the frames they complete. Frames not taken from the iterator
    /// stay queued for [`FrameDecoder::next_frame`].
    pub fn push(&mut self, bytes: &[u8]) -> Frames<'_> {
        self.push_skipping(bytes, &mut |_| false)
    }

    /// [`FrameDecoder::push`], asking `skip` about every text or binary frame that starts a
    /// message, as soon as its header is whole: when it says yes, the frames of that message
    /// come out with their headers only (no payload kept, nothing unmasked or validated), for
    /// a caller that will not look at them.
    pub fn push_skipping(
        &mut self,
        bytes: &[u8],
        skip: &mut dyn FnMut(&FrameHeader) -> bool,
    ) -> Frames<'_> {
        let mut input = bytes;
        while !input.is_empty() {
            let used = if self.current.is_some() {
                self.take_payload(input)
            } else {
                self.take_header(input, skip)
            };
            input = &input[used..];
            self.offset += used as u64;
            if self
                .current
                .as_ref()
                .is_some_and(|c| c.seen == c.frame.header.payload_len)
            {
                self.finish_frame();
            }
        }
        Frames { decoder: self }
    }

    /// The frame at the start of `input` when it is whole and plain, with nothing of the
    /// decoder's state needed to read it: the decoder is between frames and messages, and the
    /// frame is a final, uncompressed text or binary frame with no findings in its header and
    /// all of its payload in `input`. `None` otherwise (take the bytes through
    /// [`FrameDecoder::push`]). Nothing is consumed until [`FrameDecoder::take_plain`].
    ///
    /// This is the capture's fast path: most messages are one small frame in one read, and
    /// reading them in place saves the decoder's copy, queue and allocation (see
    /// docs/benchmarks.md). Whether the payload of a text frame is UTF-8 is the caller's to
    /// check; one that is not goes through `push`, which reports it.
    #[inline]
    pub fn plain_frame<'a>(&self, input: &'a [u8]) -> Option<PlainFrame<'a>> {
        if self.head_len != 0
            || self.current.is_some()
            || self.message.is_some()
            || !self.ready.is_empty()
        {
            return None;
        }
        let total = header_len(*input.get(1)?);
        let mut head = [0u8; MAX_HEADER_LEN];
        head[..total].copy_from_slice(input.get(..total)?);
        let header = FrameHeader::read(&head);
        // What `header_findings` would find in such a header, checked inline: calling it costs
        // the capture 3 % more instructions per message (scripts/tap_instructions.sh).
        let plain = header.fin
            && matches!(header.opcode, Opcode::Text | Opcode::Binary)
            && !(header.rsv1 || header.rsv2 || header.rsv3)
            && header.is_masked() == (self.sender == Direction::ToServer)
            && header.length_form == LengthForm::minimal_for(header.payload_len)
            && header.payload_len <= self.payload_limit as u64;
        if !plain {
            return None;
        }
        debug_assert!(self.header_findings(&header).is_empty(), "{header:?}");
        let end = total.checked_add(usize::try_from(header.payload_len).ok()?)?;
        let masked_payload = input.get(total..end)?;
        Some(PlainFrame {
            offset: self.offset,
            header,
            header_bytes: &input[..total],
            masked_payload,
        })
    }

    /// Prefetches what [`FrameDecoder::plain_frame`] and [`FrameDecoder::take_plain`] read.
    #[inline]
    pub fn prefetch_plain_state(&self, prefetch: &mut impl super::Prefetch) {
        prefetch.line_of(&self.head_len);
        prefetch.line_of(&self.current);
        prefetch.line_of(&self.message);
        prefetch.line_of(&self.ready);
        prefetch.line_of(&self.offset);
        prefetch.line_of(&self.payload_limit);
        prefetch.line_of(&self.sender);
    }

    /// Consumes the frame [`FrameDecoder::plain_frame`] gave, read by the caller.
    #[inline]
    pub fn take_plain(&mut self, frame: &PlainFrame<'_>) {
        self.offset += frame.wire_len() as u64;
    }

    /// The next decoded frame, if any.
    pub fn next_frame(&mut self) -> Option<Frame> {
        self.ready.pop_front()
    }

    /// Ends the stream, reporting a frame left unfinished. Queued frames stay queued.
    pub fn finish(&mut self) -> StreamEnd {
        if let Some(mut current) = self.current.take() {
            current.frame.cut_short = true;
            return StreamEnd::MidPayload(Box::new(current.frame));
        }
        if self.head_len > 0 {
            let bytes = self.head[..self.head_len].to_vec();
            self.head_len = 0;
            return StreamEnd::MidHeader {
                offset: self.head_start,
                bytes,
            };
        }
        StreamEnd::Clean
    }

    /// Collects header bytes; once the header is whole, starts the frame. Returns bytes used.
    fn take_header(&mut self, input: &[u8], skip: &mut dyn FnMut(&FrameHeader) -> bool) -> usize {
        if self.head_len == 0 {
            self.head_start = self.offset;
            // Fast path: the whole header is in this input, no need to buffer it.
            if let Some(&second) = input.get(1) {
                let total = header_len(second);
                if let Some(header) = input.get(..total) {
                    self.start_frame(header, skip);
                    return total;
                }
            }
        }
        let mut used = 0;
        if self.head_len < 2 {
            let take = (2 - self.head_len).min(input.len());
            self.head[self.head_len..self.head_len + take].copy_from_slice(&input[..take]);
            self.head_len += take;
            used = take;
            if self.head_len < 2 {
                return used;
            }
        }
        let total = header_len(self.head[1]);
        let take = (total - self.head_len).min(input.len() - used);
        self.head[self.head_len..self.head_len + take].copy_from_slice(&input[used..used + take]);
        self.head_len += take;
        used += take;
        if self.head_len == total {
            let head = self.head;
            self.head_len = 0;
            self.start_frame(&head[..total], skip);
        }
        used
    }

    /// Starts a frame from its complete header bytes.
    fn start_frame(&mut self, bytes: &[u8], skip: &mut dyn FnMut(&FrameHeader) -> bool) {
        let mut head = [0u8; MAX_HEADER_LEN];
        head[..bytes.len()].copy_from_slice(bytes);
        let header = FrameHeader::read(&head);
        let payload_len = header.payload_len;
        let findings = self.header_findings(&header);
        let skipped = match header.opcode {
            Opcode::Text | Opcode::Binary => skip(&header),
            Opcode::Continuation => self.message.as_ref().is_some_and(|m| m.skipped),
            _ => false,
        };
        let check_utf8 = self.track_message_start(&header, skipped) && !skipped;
        let limit = if skipped { 0 } else { self.payload_limit };
        let keep = payload_len.min(limit as u64) as usize;
        self.current = Some(Current {
            frame: Frame {
                offset: self.head_start,
                header,
                header_bytes: head,
                payload: Vec::with_capacity(keep),
                cut_short: false,
                findings,
            },
            seen: 0,
            check_utf8,
            limit,
        });
    }

    /// Violations visible in the header alone, and in the order of frames.
    fn header_findings(&self, h: &FrameHeader) -> Vec<Finding> {
        let mut findings = Vec::new();
        match (self.sender, h.is_masked()) {
            (Direction::ToServer, false) => findings.push(Finding::ClientFrameUnmasked),
            (Direction::ToClient, true) => findings.push(Finding::ServerFrameMasked),
            _ => {}
        }
        if let Opcode::Reserved(opcode) = h.opcode {
            findings.push(Finding::ReservedOpcode { opcode });
        }
        if h.opcode.is_control() {
            if !h.fin {
                findings.push(Finding::ControlFrameFragmented { opcode: h.opcode });
            }
            if h.payload_len > MAX_CONTROL_PAYLOAD as u64 {
                findings.push(Finding::ControlPayloadTooLong {
                    opcode: h.opcode,
                    len: h.payload_len,
                });
            }
        }
        if !self.unknown_extension {
            if h.rsv1 {
                if !self.deflate {
                    findings.push(Finding::ReservedBitSet { bit: 1 });
                } else if !matches!(h.opcode, Opcode::Text | Opcode::Binary) {
                    findings.push(Finding::CompressedBitMisplaced { opcode: h.opcode });
                }
            }
            if h.rsv2 {
                findings.push(Finding::ReservedBitSet { bit: 2 });
            }
            if h.rsv3 {
                findings.push(Finding::ReservedBitSet { bit: 3 });
            }
        }
        if h.length_form == LengthForm::Long && h.payload_len >> 63 != 0 {
            findings.push(Finding::LengthHighBitSet { len: h.payload_len });
        }
        if h.length_form != LengthForm::minimal_for(h.payload_len) {
            findings.push(Finding::NonMinimalLength {
                form: h.length_form,
                len: h.payload_len,
            });
        }
        match h.opcode {
            Opcode::Continuation if self.message.is_none() => {
                findings.push(Finding::ContinuationWithoutMessage)
            }
            Opcode::Text | Opcode::Binary if self.message.is_some() => {
                findings.push(Finding::DataFrameInsideFragmentedMessage { opcode: h.opcode })
            }
            _ => {}
        }
        findings
    }

    /// Opens a message for a text or binary frame (abandoning any open one). Returns whether
    /// this frame's payload is to be checked as UTF-8.
    fn track_message_start(&mut self, h: &FrameHeader, skipped: bool) -> bool {
        match h.opcode {
            Opcode::Text | Opcode::Binary => {
                let compressed = self.deflate && h.rsv1;
                let text = h.opcode == Opcode::Text && !compressed;
                self.message = Some(OpenMessage {
                    utf8: (text && !skipped).then(Utf8Validator::new),
                    utf8_reported: false,
                    skipped,
                });
                text
            }
            Opcode::Continuation => self.message.as_ref().is_some_and(|m| m.utf8.is_some()),
            _ => false,
        }
    }

    /// Takes payload bytes of the current frame. Returns bytes used.
    fn take_payload(&mut self, input: &[u8]) -> usize {
        let Some(current) = self.current.as_mut() else {
            return 0;
        };
        let limit = current.limit;
        let remaining = current.frame.header.payload_len - current.seen;
        let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
        let chunk = &input[..n];
        let keep = n.min(limit - current.frame.payload.len());
        let (kept, dropped) = chunk.split_at(keep);
        let key = current.frame.header.mask_key;
        let start = current.frame.payload.len();
        match key {
            Some(key) => unmask_append(&mut current.frame.payload, kept, key, current.seen),
            None => current.frame.payload.extend_from_slice(kept),
        }
        if current.check_utf8 {
            if let Some(validator) = self.message.as_mut().and_then(|m| m.utf8.as_mut()) {
                validator.push(&current.frame.payload[start..]);
                // Bytes beyond the limit are not kept but still checked, a block at a time.
                // (The scratch block is only zeroed when there are such bytes: small frames
                // would otherwise pay a 4 KiB memset each.)
                if !dropped.is_empty() {
                    let mut scratch = [0u8; 4096];
                    let mut at = current.seen + keep as u64;
                    for block in dropped.chunks(scratch.len()) {
                        if validator.failed() {
                            break;
                        }
                        let buf = &mut scratch[..block.len()];
                        buf.copy_from_slice(block);
                        if let Some(key) = key {
                            apply_mask(buf, key, at);
                        }
                        validator.push(buf);
                        at += block.len() as u64;
                    }
                }
            }
        }
        current.seen += n as u64;
        n
    }

    /// Completes the current frame: end-of-message checks, then queue it.
    fn finish_frame(&mut self) {
        let Some(Current {
            mut frame,
            check_utf8,
            ..
        }) = self.current.take()
        else {
            return;
        };
        if let Some(message) = self.message.as_mut() {
            let data_frame = matches!(
                frame.header.opcode,
                Opcode::Text | Opcode::Binary | Opcode::Continuation
            );
            if check_utf8 && !message.utf8_reported {
                let valid = match message.utf8.as_mut() {
                    Some(v) if frame.header.fin => v.finish(),
                    Some(v) => !v.failed(),
                    None => true,
                };
                if !valid {
                    frame.findings.push(Finding::InvalidUtf8);
                    message.utf8_reported = true;
                }
            }
            if data_frame && frame.header.fin {
                self.message = None;
            }
        }
        if frame.header.opcode == Opcode::Close && !frame.truncated() {
            let close = super::close::ClosePayload::parse(&frame.payload);
            frame.findings.extend(close.findings);
        }
        self.ready.push_back(frame);
    }
}

/// Frames completed by a [`FrameDecoder::push`].
pub struct Frames<'a> {
    decoder: &'a mut FrameDecoder,
}

impl Iterator for Frames<'_> {
    type Item = Frame;

    fn next(&mut self) -> Option<Frame> {
        self.decoder.next_frame()
    }
}

/// What [`encode_frame`] writes: a frame header whose `payload_len` is ignored (the payload's
/// own length is written) and whose `length_form` is the least form used (a longer one if
/// the payload needs it). Built with [`FrameHeader::new`] and its builder methods.
pub type FrameSpec = FrameHeader;

/// Encodes one frame: header, then `payload` masked if the spec has a key.
pub fn encode_frame(spec: &FrameSpec, payload: &[u8]) -> Vec<u8> {
    let payload_len = payload.len() as u64;
    let header = FrameHeader {
        payload_len,
        length_form: spec.length_form.max(LengthForm::minimal_for(payload_len)),
        ..*spec
    };
    let mut out = Vec::with_capacity(MAX_HEADER_LEN + payload.len());
    header.write(&mut out);
    if let Some(key) = header.mask_key {
        let start = out.len();
        out.extend_from_slice(payload);
        apply_mask(&mut out[start..], key, 0);
    } else {
        out.extend_from_slice(payload);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_frames_are_read_in_place_only_when_whole_and_plain() {
        let masked = |opcode, fin, payload: &[u8]| {
            encode_frame(
                &FrameSpec::new(opcode).fin(fin).masked([9, 8, 7, 6]),
                payload,
            )
        };
        let mut decoder = FrameDecoder::new(Direction::ToServer);
        let hello = masked(Opcode::Text, true, b"hello");
        let frame = decoder.plain_frame(&hello).unwrap();
        assert_eq!(frame.offset, 0);
        assert_eq!(frame.header_bytes, &hello[..6]);
        assert_eq!(frame.wire_len(), hello.len());
        decoder.take_plain(&frame);
        // Cut short, fragmented, a control frame, unmasked from a client: the decoder's.
        assert!(decoder.plain_frame(&hello[..hello.len() - 1]).is_none());
        let first = masked(Opcode::Text, false, b"he");
        assert!(decoder.plain_frame(&first).is_none());
        assert!(decoder
            .plain_frame(&masked(Opcode::Ping, true, b""))
            .is_none());
        let unmasked = encode_frame(&FrameSpec::new(Opcode::Binary), b"x");
        assert!(decoder.plain_frame(&unmasked).is_none());
        // The decoder goes on from where the plain frame ended; mid-message it reads nothing
        // in place.
        let frames: Vec<Frame> = decoder.push(&first).collect();
        assert_eq!(frames[0].offset, hello.len() as u64);
        assert!(decoder.plain_frame(&hello).is_none());
    }

    fn client(opcode: Opcode, fin: bool, payload: &[u8]) -> Vec<u8> {
        encode_frame(
            &FrameSpec::new(opcode).fin(fin).masked([9, 8, 7, 6]),
            payload,
        )
    }

    #[test]
    fn skipped_messages_come_out_header_only_and_the_rest_whole() {
        let mut bytes = Vec::new();
        // Skipped: a fragmented text message that is not even UTF-8, a ping inside it.
        bytes.extend(client(Opcode::Text, false, &[0xff; 40]));
        bytes.extend(client(Opcode::Ping, true, b"p"));
        bytes.extend(client(Opcode::Continuation, true, &[0xfe; 10]));
        // Kept: the next message.
        bytes.extend(client(Opcode::Text, true, b"hello"));
        let mut asked = Vec::new();
        let mut decoder = FrameDecoder::new(Direction::ToServer);
        let mut frames = Vec::new();
        // Byte by byte: headers split across pushes are asked about once, when whole.
        for byte in &bytes {
            frames.extend(
                decoder.push_skipping(std::slice::from_ref(byte), &mut |header| {
                    asked.push(header.opcode);
                    asked.len() == 1
                }),
            );
        }
        assert_eq!(asked, [Opcode::Text, Opcode::Text]);
        let seen: Vec<_> = frames
            .iter()
            .map(|f| (f.header.opcode, f.header.payload_len, f.payload.clone()))
            .collect();
        assert_eq!(
            seen,
            [
                (Opcode::Text, 40, vec![]),
                (Opcode::Ping, 1, b"p".to_vec()),
                (Opcode::Continuation, 10, vec![]),
                (Opcode::Text, 5, b"hello".to_vec()),
            ]
        );
        assert!(frames.iter().all(|f| f.findings.is_empty()), "{frames:?}");
        assert_eq!(decoder.offset(), bytes.len() as u64);
        // Without skipping, the same first message is invalid UTF-8.
        let mut decoder = FrameDecoder::new(Direction::ToServer);
        let frames: Vec<_> = decoder.push(&bytes).collect();
        assert_eq!(frames[0].findings, [Finding::InvalidUtf8]);
    }
}
