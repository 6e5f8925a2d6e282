//! One direction's bytes cut into what may pass at once and whole data messages a breakpoint
//! may hold. Used by the relay only while a breakpoint is armed on its route: control frames,
//! stray continuations, compressed messages and messages longer than [`MAX_HELD_BYTES`] stream
//! through as they come; a text or binary message is kept until its last frame, so that it can
//! be held, edited or dropped whole.
//!
//! Pure over bytes, fed from a frame boundary: the relay starts the gate only there.

use wirebook_shared::intercept_api::MAX_HELD_BYTES;
use wirebook_shared::wire::mask::unmask_append;
use wirebook_shared::wire::{FrameHeader, Opcode};

/// What the gate lets out, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Bytes to send on now.
    Pass(Vec<u8>),
    /// A whole data message: a breakpoint may hold it.
    Message(WholeMessage),
}

/// A data message gathered by the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeMessage {
    pub opcode: Opcode,
    /// Its frames as they came (what is sent when it goes on unchanged).
    pub wire: Vec<u8>,
    /// The unmasked payload of all its frames.
    pub payload: Vec<u8>,
    /// The first frame's masking key (a client's).
    pub mask_key: Option<[u8; 4]>,
}

/// The gate's state between chunks.
#[derive(Debug, Default)]
pub struct MessageGate {
    /// Bytes read and not yet let out: the start of a frame whose end has not come.
    pending: Vec<u8>,
    /// Bytes of a frame being streamed through that are still to come.
    passing: u64,
    /// The message being gathered.
    gathering: Option<WholeMessage>,
    /// The message in progress streams through (too long, or compressed) until its last frame.
    streaming_message: bool,
}

impl MessageGate {
    /// Whether the gate holds bytes: the relay keeps feeding it until it does not, even after
    /// the breakpoints were taken away.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
            && self.passing == 0
            && self.gathering.is_none()
            && !self.streaming_message
    }

    /// Whether what was let out ends between messages (an injected message may go next).
    pub fn between_messages(&self) -> bool {
        self.passing == 0 && !self.streaming_message && self.gathering.is_none()
    }

    /// Feeds the next bytes read; `out` gets what may go on.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Piece>) {
        let mut bytes = bytes;
        if self.passing > 0 {
            let take = usize::try_from(self.passing).map_or(bytes.len(), |p| p.min(bytes.len()));
            out.push(Piece::Pass(bytes[..take].to_vec()));
            self.passing -= take as u64;
            bytes = &bytes[take..];
        }
        if bytes.is_empty() {
            return;
        }
        self.pending.extend_from_slice(bytes);
        let mut at = 0;
        loop {
            let rest = &self.pending[at..];
            let Some(header) = FrameHeader::parse(rest) else {
                break;
            };
            let head = header.encoded_len();
            let total = head as u64 + header.payload_len;
            let opcode = header.opcode;
            let data = matches!(opcode, Opcode::Text | Opcode::Binary);
            let continues = opcode == Opcode::Continuation;
            let gathered = self.gathering.as_ref().map_or(0, |m| m.wire.len() as u64);
            let gather = !self.streaming_message
                && ((data && self.gathering.is_none()) || (continues && self.gathering.is_some()))
                && !header.rsv1
                && gathered + total <= MAX_HELD_BYTES as u64;
            if !gather {
                if (data || continues) && !opcode.is_control() {
                    // A message that is not gathered streams whole: what was gathered of it
                    // goes first, and its later frames follow it through.
                    if let Some(message) = self.gathering.take() {
                        out.push(Piece::Pass(message.wire));
                    }
                    if data || self.streaming_message {
                        self.streaming_message = !header.fin;
                    }
                }
                let here = (rest.len() as u64).min(total) as usize;
                out.push(Piece::Pass(rest[..here].to_vec()));
                self.passing = total - here as u64;
                at += here;
                if self.passing > 0 {
                    break;
                }
                continue;
            }
            if (rest.len() as u64) < total {
                break;
            }
            let frame = &rest[..total as usize];
            let message = self.gathering.get_or_insert_with(|| WholeMessage {
                opcode,
                wire: Vec::new(),
                payload: Vec::new(),
                mask_key: header.mask_key,
            });
            message.wire.extend_from_slice(frame);
            match header.mask_key {
                Some(key) => unmask_append(&mut message.payload, &frame[head..], key, 0),
                None => message.payload.extend_from_slice(&frame[head..]),
            }
            at += total as usize;
            if header.fin {
                if let Some(message) = self.gathering.take() {
                    out.push(Piece::Message(message));
                }
            }
        }
        self.pending.drain(..at);
    }

    /// Lets out everything held back (the breakpoints were taken away): frames gathered and
    /// the start of the next frame, as they came.
    pub fn flush(&mut self, out: &mut Vec<Piece>) {
        let mut bytes = self.gathering.take().map(|m| m.wire).unwrap_or_default();
        bytes.append(&mut self.pending);
        if !bytes.is_empty() {
            out.push(Piece::Pass(bytes));
        }
        // The relay's own frame cursor follows the rest of a frame cut here.
        *self = MessageGate::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::wire::{encode_frame, FrameSpec};

    fn frame(opcode: Opcode, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut spec = FrameSpec::new(opcode);
        spec.fin = fin;
        spec.mask_key = Some([9, 8, 7, 6]);
        encode_frame(&spec, payload)
    }

    /// A whole message out of the gate: opcode, payload, and how many bytes had passed before it.
    type Seen = (Opcode, Vec<u8>, usize);

    /// Feeds `stream` in chunks of `size`; returns the passed bytes and messages in order.
    fn run(stream: &[u8], size: usize) -> (Vec<u8>, Vec<Seen>) {
        let mut gate = MessageGate::default();
        let mut out = Vec::new();
        let (mut passed, mut messages) = (Vec::new(), Vec::new());
        for chunk in stream.chunks(size) {
            gate.feed(chunk, &mut out);
            for piece in out.drain(..) {
                match piece {
                    Piece::Pass(bytes) => passed.extend(bytes),
                    Piece::Message(m) => {
                        messages.push((m.opcode, m.payload, passed.len()));
                        passed.extend(m.wire);
                    }
                }
            }
        }
        assert!(gate.is_empty(), "chunks of {size}");
        (passed, messages)
    }

    #[test]
    fn whole_messages_come_out_and_control_frames_pass_between_fragments() {
        let mut stream = Vec::new();
        stream.extend(frame(Opcode::Text, true, b"buy 1"));
        stream.extend(frame(Opcode::Binary, false, &[1, 2]));
        let ping = frame(Opcode::Ping, true, b"p");
        stream.extend(&ping);
        stream.extend(frame(Opcode::Continuation, true, &[3]));
        stream.extend(frame(Opcode::Continuation, true, b"stray"));
        for size in [1, 2, 5, 13, 1000] {
            let (passed, messages) = run(&stream, size);
            // Every byte goes on, the ping before the message it interrupted.
            assert_eq!(passed.len(), stream.len(), "chunks of {size}");
            assert_eq!(messages.len(), 2);
            assert_eq!(messages[0].0, Opcode::Text);
            assert_eq!(messages[0].1, b"buy 1");
            assert_eq!(messages[1].1, [1, 2, 3]);
            let ping_at = passed.windows(ping.len()).position(|w| w == ping).unwrap();
            assert!(ping_at < messages[1].2, "chunks of {size}");
        }
    }

    #[test]
    fn long_and_compressed_messages_stream_through_unheld() {
        let mut stream = Vec::new();
        stream.extend(frame(Opcode::Binary, false, &vec![0; MAX_HELD_BYTES - 100]));
        stream.extend(frame(Opcode::Continuation, false, &[1; 200]));
        stream.extend(frame(Opcode::Continuation, true, &[2; 10]));
        let mut spec = FrameSpec::new(Opcode::Text);
        spec.rsv1 = true;
        stream.extend(encode_frame(&spec, &[0xf2, 0x48, 0xcd]));
        stream.extend(frame(Opcode::Text, true, b"after"));
        for size in [4096, 65536] {
            let (passed, messages) = run(&stream, size);
            assert_eq!(passed, stream, "chunks of {size}");
            assert_eq!(messages.len(), 1);
            assert_eq!(messages[0].1, b"after");
        }
    }

    #[test]
    fn flush_lets_out_what_was_held_back() {
        let mut gate = MessageGate::default();
        let mut out = Vec::new();
        let first = frame(Opcode::Text, false, b"a");
        let next = frame(Opcode::Continuation, true, b"b");
        gate.feed(&first, &mut out);
        gate.feed(&next[..3], &mut out);
        assert!(out.is_empty());
        assert!(!gate.between_messages());
        gate.flush(&mut out);
        assert_eq!(out, [Piece::Pass([first, next[..3].to_vec()].concat())]);
    }
}
