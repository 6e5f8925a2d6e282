//! The RFC 6455 wire layer: what a byte tap needs to show a WebSocket connection as it really
//! went, frame by frame. Pure functions and state machines over bytes; no IO.
//!
//! - [`handshake`]: the HTTP/1.1 upgrade, Sec-WebSocket-Accept, negotiated extensions.
//! - [`frame`]: the incremental [`FrameDecoder`] (and [`encode_frame`]).
//! - [`message`]: [`MessageAssembler`] groups frames into messages and inflates them.
//! - [`close`]: close codes and reasons.
//! - [`deflate`]: permessage-deflate parameters and inflation.
//! - [`extension`]: the Sec-WebSocket-Extensions list the handshake negotiates.
//! - [`header`]: a frame header's fields and length forms.
//! - [`finding`]: the violations all of the above report.
//! - [`Prefetch`]: how a decoder names the state its fast path reads first.
//!
//! Decoding one direction after the handshake:
//!
//! ```
//! use wirebook_shared::wire::{FrameDecoder, MessageAssembler};
//! use wirebook_shared::Direction;
//!
//! let mut frames = FrameDecoder::new(Direction::ToClient);
//! let mut messages = MessageAssembler::new(Direction::ToClient, None);
//! let mut texts = Vec::new();
//! for chunk in [&[0x01, 0x03, b'H', b'e'][..], &[b'l', 0x80, 0x02, b'l', b'o']] {
//!     for frame in frames.push(chunk) {
//!         assert!(frame.findings.is_empty());
//!         texts.extend(messages.push(&frame).map(|m| m.text().unwrap().to_string()));
//!     }
//! }
//! assert_eq!(texts, ["Hello"]);
//! ```

pub mod close;
pub mod deflate;
pub mod extension;
pub mod finding;
pub mod frame;
pub mod handshake;
pub mod header;
pub mod mask;
pub mod message;
pub mod opcode;
pub mod utf8;

pub use close::{
    describe_close_code, encode_close_payload, CloseCodeInfo, ClosePayload, CloseRange,
};
pub use deflate::{DeflateParams, Inflater};
pub use extension::{parse_extensions, Extension, ExtensionParam};
pub use finding::Finding;
pub use frame::{encode_frame, Frame, FrameDecoder, FrameSpec, Frames, PlainFrame, StreamEnd};
pub use handshake::{
    accept_key, check_upgrade, minimal_upgrade, parse_request, parse_response, HeadReader, Headers,
    HttpError, Parsed, Request, Response, Upgrade,
};
pub use header::{header_len, FrameHeader, LengthForm, MAX_HEADER_LEN};
pub use message::{Message, MessageAssembler, Messages};
pub use opcode::Opcode;
pub use utf8::Utf8Validator;

/// Asks the CPU for the cache line that holds a value, ahead of the code that reads it. The
/// wire layer has no IO and no CPU-specific code, so the caller brings the instruction: a
/// byte tap prefetches a connection's decoder state before the socket read that feeds it,
/// since with many connections taking turns that state has left the cache (the server's
/// `capture::prefetch`).
pub trait Prefetch {
    fn line_of<T>(&mut self, value: &T);
}
