//! Grouping frames into messages (RFC 6455 §5.4): a text or binary message is its first frame
//! plus continuation frames up to the one with FIN; control frames may arrive in between and
//! are messages of their own. Compressed messages (RFC 7692) are inflated here.

use std::collections::VecDeque;

use crate::direction::Direction;

use super::opcode::Opcode;

use super::close::ClosePayload;
use super::deflate::{DeflateParams, Inflater};
use super::finding::Finding;
use super::frame::{Frame, DEFAULT_PAYLOAD_LIMIT};
use super::utf8::Utf8Validator;

/// A whole message (or as much of one as arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Text, Binary or a control opcode; `Continuation` for a continuation frame that belongs
    /// to no message, and reserved opcodes as sent.
    pub opcode: Opcode,
    /// Stream offset of the first frame.
    pub offset: u64,
    /// Number of frames in the message.
    pub frames: usize,
    /// RSV1 with permessage-deflate negotiated: the payload below is inflated.
    pub compressed: bool,
    /// Payload bytes as sent (compressed size for compressed messages).
    pub wire_len: u64,
    /// Payload bytes after inflation (equal to `wire_len` for uncompressed messages); counts
    /// only what could be inflated.
    pub len: u64,
    /// The (inflated) payload, up to the assembler's limit.
    pub payload: Vec<u8>,
    /// Some of the payload was not kept, by the decoder or here.
    pub truncated: bool,
    /// The final frame (FIN) arrived.
    pub complete: bool,
    /// The findings of its frames, then the message's own.
    pub findings: Vec<Finding>,
}

impl Message {
    /// The payload as text, when it is UTF-8 (a truncated payload may end mid-character: the
    /// partial character is left off).
    pub fn text(&self) -> Option<&str> {
        match std::str::from_utf8(&self.payload) {
            Ok(text) => Some(text),
            Err(e) if self.truncated && e.error_len().is_none() => {
                std::str::from_utf8(&self.payload[..e.valid_up_to()]).ok()
            }
            Err(_) => None,
        }
    }

    /// The decoded close payload, for a close message.
    pub fn close(&self) -> Option<ClosePayload> {
        (self.opcode == Opcode::Close).then(|| ClosePayload::parse(&self.payload))
    }
}

/// A message being assembled.
#[derive(Debug)]
struct Building {
    message: Message,
    /// Compressed text is checked after inflation (the decoder checks uncompressed text).
    utf8: Option<Utf8Validator>,
}

/// Groups one direction's frames into messages.
#[derive(Debug)]
pub struct MessageAssembler {
    payload_limit: usize,
    inflater: Option<Inflater>,
    open: Option<Building>,
    ready: VecDeque<Message>,
}

impl MessageAssembler {
    /// An assembler for frames sent in `sender`'s direction; `deflate` is the negotiated
    /// permessage-deflate, if any.
    pub fn new(sender: Direction, deflate: Option<&DeflateParams>) -> Self {
        MessageAssembler {
            payload_limit: DEFAULT_PAYLOAD_LIMIT,
            inflater: deflate.map(|params| Inflater::new(params, sender)),
            open: None,
            ready: VecDeque::new(),
        }
    }

    /// Keep at most `limit` bytes of each message's (inflated) payload.
    pub fn with_payload_limit(mut self, limit: usize) -> Self {
        self.payload_limit = limit;
        self
    }

    /// Adds the next frame of the direction and returns the messages it completes. Messages
    /// not taken stay queued for [`MessageAssembler::next_message`].
    pub fn push(&mut self, frame: &Frame) -> Messages<'_> {
        match frame.header.opcode {
            Opcode::Text | Opcode::Binary => {
                if let Some(open) = self.open.take() {
                    self.close_unfinished(open);
                }
                let compressed = frame.header.rsv1 && self.inflater.is_some();
                let text = frame.header.opcode == Opcode::Text;
                self.open = Some(Building {
                    message: Message {
                        opcode: frame.header.opcode,
                        offset: frame.offset,
                        frames: 0,
                        compressed,
                        wire_len: 0,
                        len: 0,
                        payload: Vec::new(),
                        truncated: false,
                        complete: false,
                        findings: Vec::new(),
                    },
                    utf8: (compressed && text).then(Utf8Validator::new),
                });
                self.add_frame(frame);
            }
            Opcode::Continuation if self.open.is_some() => self.add_frame(frame),
            // Control frames, reserved opcodes and stray continuations stand alone.
            opcode => self.ready.push_back(Message {
                opcode,
                offset: frame.offset,
                frames: 1,
                compressed: false,
                wire_len: frame.header.payload_len,
                len: frame.header.payload_len,
                payload: frame.payload[..frame.payload.len().min(self.payload_limit)].to_vec(),
                truncated: frame.truncated()
                    || frame.cut_short
                    || frame.payload.len() > self.payload_limit,
                complete: frame.header.fin && !frame.cut_short,
                findings: frame.findings.clone(),
            }),
        }
        Messages { assembler: self }
    }

    /// A data message is open: its first frame came, its final frame not yet. While none is,
    /// a lone final uncompressed text or binary frame is a whole message that leaves the
    /// assembler as it was (callers may summarise such a frame without pushing it).
    pub fn is_assembling(&self) -> bool {
        self.open.is_some()
    }

    /// Prefetches what [`MessageAssembler::is_assembling`] reads.
    #[inline]
    pub fn prefetch_state(&self, prefetch: &mut impl super::Prefetch) {
        prefetch.line_of(&self.open);
    }

    /// The next completed message, if any.
    pub fn next_message(&mut self) -> Option<Message> {
        self.ready.pop_front()
    }

    /// Ends the stream: returns the message left open, if any, marked unfinished.
    pub fn finish(&mut self) -> Option<Message> {
        let open = self.open.take()?;
        self.close_unfinished(open);
        self.ready.pop_back()
    }

    fn add_frame(&mut self, frame: &Frame) {
        let limit = self.payload_limit;
        let Some(building) = self.open.as_mut() else {
            return;
        };
        let message = &mut building.message;
        message.frames += 1;
        message.wire_len = message.wire_len.saturating_add(frame.header.payload_len);
        message.findings.extend(frame.findings.iter().cloned());
        let frame_cut = frame.truncated() || frame.cut_short;
        match self.inflater.as_mut().filter(|_| message.compressed) {
            Some(inflater) => {
                message.truncated |= frame_cut;
                let utf8 = &mut building.utf8;
                let mut sink = |bytes: &[u8]| {
                    message.len += bytes.len() as u64;
                    let keep = bytes.len().min(limit - message.payload.len().min(limit));
                    message.payload.extend_from_slice(&bytes[..keep]);
                    message.truncated |= keep < bytes.len();
                    if let Some(v) = utf8.as_mut() {
                        v.push(bytes);
                    }
                };
                inflater.push(&frame.payload, !frame_cut, &mut sink);
                if frame.header.fin && !frame.cut_short {
                    if let Some(finding) = inflater.end_message(&mut sink) {
                        message.findings.push(finding);
                    }
                    if let Some(mut v) = utf8.take() {
                        if !frame_cut && !v.finish() {
                            message.findings.push(Finding::InvalidUtf8);
                        }
                    }
                }
            }
            None => {
                message.len = message.wire_len;
                let keep = frame
                    .payload
                    .len()
                    .min(limit - message.payload.len().min(limit));
                message.payload.extend_from_slice(&frame.payload[..keep]);
                message.truncated |= frame_cut || keep < frame.payload.len();
            }
        }
        if frame.header.fin && !frame.cut_short {
            message.complete = true;
            if let Some(done) = self.open.take() {
                self.ready.push_back(done.message);
            }
        }
    }

    fn close_unfinished(&mut self, open: Building) {
        let mut message = open.message;
        message.findings.push(Finding::MessageUnfinished);
        if message.compressed {
            // The sender's compressor is in an unknown state after a message that never
            // ended; reset so later messages are judged on their own.
            if let Some(finding) = self
                .inflater
                .as_mut()
                .and_then(|inflater| inflater.end_message(&mut |_| {}))
            {
                message.findings.push(finding);
            }
        }
        self.ready.push_back(message);
    }
}

/// Messages completed by a [`MessageAssembler::push`].
pub struct Messages<'a> {
    assembler: &'a mut MessageAssembler,
}

impl Iterator for Messages<'_> {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        self.assembler.next_message()
    }
}
