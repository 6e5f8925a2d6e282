//! The capture: what crossed every WebSocket the server owns, from the bytes up.
//!
//! The layers, bottom up:
//! - [`tap`]: the byte tap, an `AsyncRead + AsyncWrite` wrapper under every socket's codec.
//! - [`trace`]: a connection's bytes turned into handshake and frame records; [`links`]: what
//!   the connection's task and its trace share (tags of messages sent, records received).
//! - [`ring`]: the bounded ring of records ([`ring::Capture`]) that sessions subscribe to,
//!   kept compact as [`entry`] says, its records timed by [`clock`], and [`recorder`]: the
//!   handle each connection writes through; [`lens_index`]: what the protocol lenses read of
//!   each record, built when a filter first names a lens's field.
//! - [`fanout`]: the live capture serialised once and sent by every session, which skips
//!   ahead when it falls behind.
//! - [`redaction`]: what never leaves wirebook in clear (the token, secret headers).
//! - [`export`]: `GET /api/capture.har`, `.jsonl`, `.pcapng` and the stats, the downloads of
//!   the ring; [`pcapng`]: the pcapng file's blocks and the TCP streams it synthesises.

pub(crate) mod clock;
pub mod entry;
pub mod export;
pub mod export_rows;
pub mod fanout;
pub mod lens_index;
pub mod links;
pub mod pcapng;
pub(crate) mod prefetch;
pub mod recorder;
pub mod redaction;
pub mod ring;
pub mod tap;
pub mod trace;
