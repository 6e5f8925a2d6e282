//! permessage-deflate (RFC 7692): the negotiated parameters, and inflating compressed messages
//! for display.
//!
//! Each direction has its own compression context. Unless the sender's `*_no_context_takeover`
//! was negotiated, a message may refer back to earlier messages, so the inflater must see every
//! compressed byte of that direction in order; once a piece is missing, later messages cannot
//! be inflated until the context resets.
//!
//! Not detected: a sender that negotiated `*_no_context_takeover` but still refers back to an
//! earlier message. miniz's window does not check back-reference distances, so such a message
//! inflates (to wrong bytes) rather than failing.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

use crate::direction::Direction;

use super::extension::Extension;
use super::finding::Finding;

/// RFC 7692 §7.2.2: the bytes the sender removed from the end of every compressed message.
const MESSAGE_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The permessage-deflate parameters a server accepted (RFC 7692 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeflateParams {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    /// LZ77 window of the server's compressor, 8–15; `None` means 15.
    pub server_max_window_bits: Option<u8>,
    /// LZ77 window of the client's compressor, 8–15; `None` means 15.
    pub client_max_window_bits: Option<u8>,
}

impl DeflateParams {
    /// Reads the parameters of the permessage-deflate extension in a server's response, with
    /// findings for unknown, repeated or out-of-range ones (those are skipped).
    pub fn from_response(extension: &Extension) -> (Self, Vec<Finding>) {
        let mut params = DeflateParams::default();
        let mut findings = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for param in &extension.params {
            let name = param.name.to_ascii_lowercase();
            if seen.contains(&name) {
                findings.push(Finding::BadDeflateParameter {
                    detail: format!("{} appears more than once", param.name),
                });
                continue;
            }
            seen.push(name.clone());
            let bits = || -> Option<u8> {
                let value = param.value.as_deref()?;
                let bits: u8 = value.parse().ok()?;
                (8..=15).contains(&bits).then_some(bits)
            };
            match name.as_str() {
                "server_no_context_takeover" | "client_no_context_takeover"
                    if param.value.is_some() =>
                {
                    findings.push(Finding::BadDeflateParameter {
                        detail: format!("{} takes no value", param.name),
                    });
                }
                "server_no_context_takeover" => params.server_no_context_takeover = true,
                "client_no_context_takeover" => params.client_no_context_takeover = true,
                "server_max_window_bits" | "client_max_window_bits" => match bits() {
                    Some(b) if name.starts_with("server") => {
                        params.server_max_window_bits = Some(b)
                    }
                    Some(b) => params.client_max_window_bits = Some(b),
                    None => findings.push(Finding::BadDeflateParameter {
                        detail: format!(
                            "{} must be a number from 8 to 15 in a response, not {:?}",
                            param.name,
                            param.value.as_deref().unwrap_or("")
                        ),
                    }),
                },
                _ => findings.push(Finding::BadDeflateParameter {
                    detail: format!("unknown parameter {}", param.name),
                }),
            }
        }
        (params, findings)
    }

    /// Whether the compressor of messages sent in `sender`'s direction resets after each
    /// message.
    pub fn no_context_takeover(&self, sender: Direction) -> bool {
        match sender {
            Direction::ToServer => self.client_no_context_takeover,
            Direction::ToClient => self.server_no_context_takeover,
        }
    }

    /// The LZ77 window bits of the compressor of messages sent in `sender`'s direction.
    pub fn max_window_bits(&self, sender: Direction) -> u8 {
        match sender {
            Direction::ToServer => self.client_max_window_bits,
            Direction::ToClient => self.server_max_window_bits,
        }
        .unwrap_or(15)
    }
}

/// Inflates the compressed messages of one direction, in order.
///
/// The inflater always uses a 32 KiB window, which decodes streams made with any smaller
/// `max_window_bits` too.
pub struct Inflater {
    state: Box<InflateState>,
    reset_each_message: bool,
    /// The context is missing data: nothing can be inflated until it resets.
    lost: bool,
    /// Part of the current message was not captured: it is shown truncated, and the context
    /// is lost after it.
    cut: bool,
    /// The current message hit a deflate error.
    failed: Option<String>,
    /// The current message's deflate stream ended (a block with BFINAL): its remaining bytes
    /// are ignored, and the next message starts a new stream.
    ended: bool,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("reset_each_message", &self.reset_each_message)
            .field("lost", &self.lost)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Inflater {
    /// An inflater for messages sent in `sender`'s direction.
    pub fn new(params: &DeflateParams, sender: Direction) -> Self {
        Inflater {
            state: InflateState::new_boxed(DataFormat::Raw),
            reset_each_message: params.no_context_takeover(sender),
            lost: false,
            cut: false,
            failed: None,
            ended: false,
            scratch: vec![0; 32 * 1024],
        }
    }

    /// Inflates the next piece of the current message's compressed payload, passing the output
    /// to `out`. Pass `complete = false` when the piece is not the whole of what was sent (a
    /// payload beyond the capture limit): the context is then lost.
    pub fn push(&mut self, compressed: &[u8], complete: bool, out: &mut dyn FnMut(&[u8])) {
        self.run(compressed, out);
        if !complete && !self.lost {
            self.lost = true;
            self.cut = true;
        }
    }

    /// Ends the current message. Returns the finding for it, if it could not be inflated.
    pub fn end_message(&mut self, out: &mut dyn FnMut(&[u8])) -> Option<Finding> {
        self.run(&MESSAGE_TAIL, out);
        let finding = if let Some(detail) = self.failed.take() {
            // The context is corrupt from here on.
            self.lost = true;
            Some(Finding::InflateFailed { detail })
        } else if self.lost && !self.cut {
            Some(Finding::InflateContextLost)
        } else {
            None
        };
        if self.reset_each_message || self.ended {
            self.state.reset(DataFormat::Raw);
            self.lost = false;
            self.ended = false;
        }
        self.cut = false;
        finding
    }

    fn run(&mut self, input: &[u8], out: &mut dyn FnMut(&[u8])) {
        if self.lost || self.failed.is_some() || self.ended {
            return;
        }
        let mut input = input;
        loop {
            let result = inflate(&mut self.state, input, &mut self.scratch, MZFlush::None);
            input = &input[result.bytes_consumed..];
            out(&self.scratch[..result.bytes_written]);
            let output_full = result.bytes_written == self.scratch.len();
            match result.status {
                Ok(MZStatus::StreamEnd) => {
                    if !output_full {
                        self.ended = true;
                        return;
                    }
                }
                // Out of input (or output room): normal between pieces of a message.
                Ok(_) | Err(MZError::Buf) => {
                    let progress = result.bytes_consumed > 0 || result.bytes_written > 0;
                    if !progress && !input.is_empty() {
                        self.failed = Some("the decompressor made no progress".into());
                        return;
                    }
                }
                Err(e) => {
                    self.failed = Some(format!("corrupt deflate data ({e:?})"));
                    return;
                }
            }
            if input.is_empty() && !output_full {
                return;
            }
        }
    }
}
