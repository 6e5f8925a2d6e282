//! A capture record as the ring keeps it ([`Entry`]), and what it costs in memory.
//!
//! Frames are most of what is recorded, so the ring keeps them compact ([`FrameEntry`]: the
//! header's bytes, the kept payload bytes and message preview in one allocation, findings
//! only when there are any; 128 bytes an entry, two cache lines) and builds their
//! [`FrameRecord`] (hex and preview strings) only when a batch goes to a browser or an export
//! is written. A record in the ring costs about a third of a `FrameRecord`'s memory and one
//! allocation instead of six, which is what keeps the capture's cost on a busy connection low
//! (see docs/benchmarks.md). Other records (opens, handshakes, closes) are rare and kept as
//! recorded.

use std::num::NonZeroU64;

use wirebook_shared::hex::hex;
use wirebook_shared::intercept_api::InterceptAction;
use wirebook_shared::jupyter::BufferRecord;
use wirebook_shared::wire::header::MAX_HEADER_LEN;
use wirebook_shared::wire::mask::apply_mask;
use wirebook_shared::wire::{Finding, Frame, FrameHeader, PlainFrame};
use wirebook_shared::{
    CaptureBody, CaptureRecord, CloseSummary, ConnId, Direction, FrameRecord, HandshakeRecord, Hop,
    HttpHeadRecord, KernelMessageRecord, MessageSummary, Opcode,
};

use crate::capture::redaction::{self, Secrets, Sensitive};

/// A record as the ring keeps it, but its `seq`. Aligned to a cache line and two lines long:
/// writing one into a slot the ring's turn has left cold costs two line fills, not three or
/// four. In this order (`repr(C)`) the body fills the first line and `time_us` lies in the
/// second, which the ring prefetches through it ([`Entry::second_line`]).
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub(crate) struct Entry {
    pub(crate) body: Stored,
    pub(crate) conn: ConnId,
    pub(crate) time_us: u64,
    pub(crate) hop: Hop,
}

#[derive(Debug, Clone)]
pub(crate) enum Stored {
    Frame(FrameEntry),
    /// Everything but frames (opens, handshakes, closes) is rare and kept as recorded, boxed
    /// so that it does not make every entry as large as a handshake.
    Other(Box<CaptureBody>),
}

impl Entry {
    /// A field in the entry's second cache line (a test pins it there), for a prefetch.
    #[inline]
    pub(crate) fn second_line(&self) -> &u64 {
        &self.time_us
    }

    /// The record as it leaves the ring (see [`redaction::outgoing`]).
    pub(crate) fn to_record(
        &self,
        seq: u64,
        sensitive: Sensitive,
        secrets: &Secrets,
    ) -> CaptureRecord {
        let mut record = CaptureRecord {
            seq,
            conn: self.conn,
            hop: self.hop,
            time_us: self.time_us,
            body: match &self.body {
                Stored::Frame(frame) => CaptureBody::Frame(Box::new(frame.to_record())),
                Stored::Other(body) => (**body).clone(),
            },
        };
        redaction::outgoing(&mut record, sensitive, secrets);
        record
    }

    /// The memory this entry holds: its slot and what it points to, strings by their capacity
    /// (the allocator's rounding is not counted).
    #[inline]
    pub(crate) fn cost(&self) -> usize {
        size_of::<Entry>()
            + match &self.body {
                Stored::Frame(frame) => frame.heap_bytes(),
                Stored::Other(body) => size_of::<CaptureBody>() + body_heap_bytes(body),
            }
    }
}

fn close_heap_bytes(close: &CloseSummary) -> usize {
    size_of::<CloseSummary>() + close.reason.len() + close.name.len() + close.meaning.len()
}

/// What a record body points to, strings by their capacity (what they hold, not what they show).
fn body_heap_bytes(body: &CaptureBody) -> usize {
    let strings = |list: &[String]| -> usize {
        list.iter()
            .map(|s| size_of::<String>() + s.capacity())
            .sum()
    };
    let head = |head: &HttpHeadRecord| {
        head.start_line.capacity()
            + head.headers.capacity() * size_of::<(String, String)>()
            + head
                .headers
                .iter()
                .map(|(n, v)| n.capacity() + v.capacity())
                .sum::<usize>()
    };
    match body {
        CaptureBody::Open {
            client,
            server,
            target,
        } => client.capacity() + server.capacity() + target.capacity(),
        CaptureBody::Closed { reason, .. } => reason.capacity(),
        CaptureBody::Heartbeat { .. } => 0,
        CaptureBody::Intercept(record) => {
            size_of::<wirebook_shared::intercept_api::InterceptRecord>() + record.detail.capacity()
        }
        CaptureBody::Handshake(h) => {
            size_of::<HandshakeRecord>()
                + head(&h.request)
                + h.response
                    .as_ref()
                    .map_or(0, |r| size_of::<HttpHeadRecord>() + head(r))
                + h.protocol.as_ref().map_or(0, String::capacity)
                + strings(&h.extensions)
                + strings(&h.findings)
        }
        CaptureBody::Frame(f) => {
            size_of::<FrameRecord>()
                + f.length_form.capacity()
                + f.header_hex.capacity()
                + f.payload_hex.capacity()
                + strings(&f.findings)
                + f.message.as_ref().map_or(0, |m| {
                    m.preview.capacity()
                        + strings(&m.findings)
                        + m.close.as_ref().map_or(0, close_heap_bytes)
                })
        }
        CaptureBody::KernelMessage(m) => {
            let parts = &m.parts;
            size_of::<KernelMessageRecord>()
                + m.msg_type.capacity()
                + m.msg_id.capacity()
                + m.parent_msg_id.as_ref().map_or(0, String::capacity)
                + strings(&m.findings)
                + strings(&parts.identities)
                + parts.signature.capacity()
                + parts.offsets.capacity() * size_of::<u64>()
                + parts.header.capacity()
                + parts.parent_header.capacity()
                + parts.metadata.capacity()
                + parts.content.capacity()
                + parts
                    .buffers
                    .iter()
                    .map(|b| size_of::<BufferRecord>() + b.preview_hex.capacity())
                    .sum::<usize>()
        }
    }
}

/// One frame as the ring keeps it; [`FrameEntry::to_record`] makes the [`FrameRecord`].
#[derive(Debug, Clone)]
pub struct FrameEntry {
    direction: Direction,
    offset: u64,
    /// The header as it was on the wire (read again for the record: half the room of a
    /// decoded [`FrameHeader`] besides it).
    header_bytes: [u8; MAX_HEADER_LEN],
    /// The payload bytes kept (`payload_kept` of them), then the message preview's bytes
    /// unless they are the same bytes (`preview_is_payload`).
    bytes: KeptBytes,
    payload_kept: u32,
    preview_is_payload: bool,
    message: Option<MessageEntry>,
    /// Seqs start at 1: `None` takes no room of its own.
    caused_by: Option<NonZeroU64>,
    /// Findings and closes are rare: boxed, so a plain frame does not carry their room.
    odd: Option<Box<Oddities>>,
}

/// Bytes up to this many are kept inside the ring entry: as many as its two cache lines have
/// room for (a test pins the entry's size). Small messages (a 20-byte echo) fit.
const INLINE_BYTES: usize = 22;

/// A frame's kept bytes: small ones inside the entry, so that recording frees the decoder's
/// payload while it is still hot and evicting the entry frees no cold heap block (an
/// allocation per frame that lived as long as the ring's turn).
#[derive(Debug, Clone)]
enum KeptBytes {
    Inline { len: u8, bytes: [u8; INLINE_BYTES] },
    Heap(Box<[u8]>),
}

impl KeptBytes {
    fn new(bytes: Vec<u8>) -> Self {
        Self::inline(&bytes).unwrap_or_else(|| KeptBytes::Heap(bytes.into_boxed_slice()))
    }

    /// `masked` unmasked with `key` (if any), held as [`KeptBytes::new`] would hold it.
    #[inline]
    fn unmasked(masked: &[u8], key: Option<[u8; 4]>) -> Self {
        let mut kept = Self::inline(masked).unwrap_or_else(|| KeptBytes::Heap(masked.into()));
        if let Some(key) = key {
            let bytes = match &mut kept {
                KeptBytes::Inline { len, bytes } => &mut bytes[..usize::from(*len)],
                KeptBytes::Heap(bytes) => &mut bytes[..],
            };
            apply_mask(bytes, key, 0);
        }
        kept
    }

    /// `bytes` copied into the entry, when they fit.
    #[inline]
    fn inline(bytes: &[u8]) -> Option<Self> {
        let len = u8::try_from(bytes.len()).ok()?;
        (bytes.len() <= INLINE_BYTES).then(|| {
            let mut inline = [0; INLINE_BYTES];
            inline[..bytes.len()].copy_from_slice(bytes);
            KeptBytes::Inline { len, bytes: inline }
        })
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            KeptBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            KeptBytes::Heap(bytes) => bytes,
        }
    }

    /// Heap bytes held (see [`Entry::cost`]).
    fn heap_bytes(&self) -> usize {
        match self {
            KeptBytes::Inline { .. } => 0,
            KeptBytes::Heap(bytes) => bytes.len(),
        }
    }
}

/// The message a frame completes, compact (see [`MessageSummary`] for the fields).
#[derive(Debug, Clone)]
pub struct MessageEntry {
    pub opcode: Opcode,
    pub frames: u32,
    pub compressed: bool,
    pub wire_len: u64,
    pub len: u64,
    /// The preview is text (UTF-8, cut at a character boundary); otherwise bytes shown as hex.
    pub text: bool,
    pub truncated: bool,
}

/// What few frames have.
#[derive(Debug, Clone, Default)]
struct Oddities {
    findings: Vec<Finding>,
    /// The connection ended inside the frame's payload.
    cut_short: bool,
    message_findings: Vec<Finding>,
    close: Option<CloseSummary>,
    /// Sent by the tap in place of a held message, or injected.
    mark: Option<InterceptAction>,
}

/// The bytes a message's preview shows, for [`FrameEntry::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewBytes {
    /// The first this many bytes of the frame's kept payload (a single uncompressed frame's
    /// message): nothing to copy.
    PayloadPrefix(usize),
    /// Bytes of their own (a message of several frames, or an inflated one).
    Own(Vec<u8>),
}

/// The parts of a message summary that are not plain numbers, for [`FrameEntry::new`].
#[derive(Debug, Clone, Default)]
pub struct MessageExtras {
    /// Message-level findings (not the frames' own).
    pub findings: Vec<Finding>,
    pub close: Option<CloseSummary>,
}

impl FrameEntry {
    /// A frame as decoded (its payload already cut to the capture's preview length by the
    /// decoder, and cut again to `preview` here), with the message it completes: the summary,
    /// the preview's bytes (the text for text messages) and the rare extras.
    #[inline]
    pub fn new(
        frame: Frame,
        direction: Direction,
        preview: usize,
        message: Option<(MessageEntry, PreviewBytes, MessageExtras)>,
        caused_by: Option<u64>,
        mark: Option<InterceptAction>,
    ) -> Self {
        let mut header_bytes = [0; MAX_HEADER_LEN];
        header_bytes[..frame.header_bytes().len()].copy_from_slice(frame.header_bytes());
        // The decoder allocated the payload at its kept size: a large one becomes the entry's
        // bytes without another allocation or copy, a small one is copied into the entry.
        let mut payload = frame.payload;
        payload.truncate(preview);
        let payload_kept = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        let mut odd = Oddities {
            findings: frame.findings,
            cut_short: frame.cut_short,
            mark,
            ..Oddities::default()
        };
        let mut preview_is_payload = false;
        let message = message.map(|(entry, shown, extras)| {
            odd.message_findings = extras.findings;
            odd.close = extras.close;
            // A single uncompressed frame's text is its payload: kept once.
            match shown {
                PreviewBytes::PayloadPrefix(len) if len >= payload.len() => {
                    preview_is_payload = true;
                }
                PreviewBytes::PayloadPrefix(len) => payload.extend_from_within(..len),
                PreviewBytes::Own(shown) => {
                    preview_is_payload = shown == payload;
                    if !preview_is_payload {
                        payload.extend_from_slice(&shown);
                    }
                }
            }
            entry
        });
        let bytes = KeptBytes::new(payload);
        let plain = odd.findings.is_empty()
            && !odd.cut_short
            && odd.message_findings.is_empty()
            && odd.close.is_none()
            && odd.mark.is_none();
        FrameEntry {
            direction,
            offset: frame.offset,
            header_bytes,
            payload_kept,
            bytes,
            preview_is_payload,
            message,
            caused_by: caused_by.and_then(NonZeroU64::new),
            odd: (!plain).then(|| Box::new(odd)),
        }
    }

    /// A message that is one plain frame ([`PlainFrame`], no longer than the preview: kept
    /// whole, its preview its payload), unmasked straight into the entry: what
    /// [`FrameEntry::new`] makes of the same frame decoded, without the decoder's payload.
    /// `None` for a text payload that is not UTF-8 (the decoder reports it).
    #[inline]
    pub fn plain_message(frame: &PlainFrame<'_>, direction: Direction) -> Option<Self> {
        let bytes = KeptBytes::unmasked(frame.masked_payload, frame.header.mask_key);
        let text = frame.header.opcode == Opcode::Text;
        // ASCII, the common case, is checked a word at a time; `from_utf8` costs more per call
        // than a small payload's bytes.
        let payload = bytes.as_slice();
        if text && !payload.is_ascii() && std::str::from_utf8(payload).is_err() {
            return None;
        }
        let mut header_bytes = [0; MAX_HEADER_LEN];
        header_bytes[..frame.header_bytes.len()].copy_from_slice(frame.header_bytes);
        let len = frame.header.payload_len;
        Some(FrameEntry {
            direction,
            offset: frame.offset,
            header_bytes,
            payload_kept: u32::try_from(len).unwrap_or(u32::MAX),
            bytes,
            preview_is_payload: true,
            message: Some(MessageEntry {
                opcode: frame.header.opcode,
                frames: 1,
                compressed: false,
                wire_len: len,
                len,
                text,
                truncated: false,
            }),
            caused_by: None,
            odd: None,
        })
    }

    /// A [`FrameEntry::plain_message`] with what its tag says: the record it relays and what
    /// the intercept did with it.
    #[inline]
    pub fn tagged(mut self, caused_by: Option<u64>, mark: Option<InterceptAction>) -> Self {
        self.caused_by = caused_by.and_then(NonZeroU64::new);
        if let Some(mark) = mark {
            self.odd.get_or_insert_with(Box::default).mark = Some(mark);
        }
        self
    }

    /// What the entry points to (see [`Entry::cost`]).
    fn heap_bytes(&self) -> usize {
        self.bytes.heap_bytes()
            + self.odd.as_deref().map_or(0, |odd| {
                size_of::<Oddities>()
                    + (odd.findings.len() + odd.message_findings.len()) * size_of::<Finding>()
                    + odd.close.as_ref().map_or(0, close_heap_bytes)
            })
    }

    /// The frame as the inspector and the exports show it.
    pub fn to_record(&self) -> FrameRecord {
        let header = &FrameHeader::read(&self.header_bytes);
        let bytes = self.bytes.as_slice();
        let kept = (self.payload_kept as usize).min(bytes.len());
        let payload = &bytes[..kept];
        let odd = self.odd.as_deref();
        let mut findings: Vec<String> = odd
            .map(|odd| odd.findings.iter().map(Finding::message).collect())
            .unwrap_or_default();
        if odd.is_some_and(|odd| odd.cut_short) {
            findings.push(format!(
                "the connection ended inside this frame's {}-byte payload",
                header.payload_len
            ));
        }
        let message = self.message.as_ref().map(|message| {
            let shown = if self.preview_is_payload {
                payload
            } else {
                &bytes[kept..]
            };
            MessageSummary {
                opcode: message.opcode,
                frames: message.frames,
                compressed: message.compressed,
                wire_len: message.wire_len,
                len: message.len,
                preview: if message.text {
                    // Taken from a `&str`, so this never replaces anything.
                    String::from_utf8_lossy(shown).into_owned()
                } else {
                    hex(shown)
                },
                truncated: message.truncated,
                close: odd.and_then(|odd| odd.close.clone()),
                findings: odd
                    .map(|odd| odd.message_findings.iter().map(Finding::message).collect())
                    .unwrap_or_default(),
            }
        });
        FrameRecord {
            direction: self.direction,
            offset: self.offset,
            fin: header.fin,
            rsv1: header.rsv1,
            rsv2: header.rsv2,
            rsv3: header.rsv3,
            opcode: header.opcode,
            mask_key: header.mask_key,
            len: header.payload_len,
            length_form: header.length_form.name().to_string(),
            header_hex: hex(&self.header_bytes[..header.encoded_len().min(MAX_HEADER_LEN)]),
            payload_hex: hex(payload),
            truncated: (kept as u64) < header.payload_len,
            findings,
            message,
            caused_by: self.caused_by.map(NonZeroU64::get),
            mark: odd.and_then(|odd| odd.mark),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_entry_stays_compact() {
        // The default ring holds 100 000 records: every byte here is 100 kB of memory that the
        // network path competes with (docs/benchmarks.md).
        let size = std::mem::size_of::<Entry>();
        assert!(size <= 128, "a ring entry takes {size} bytes");
    }

    #[test]
    fn the_second_line_is_the_entrys_second_cache_line() {
        let at = std::mem::offset_of!(Entry, time_us);
        assert!((64..128).contains(&at), "time_us is at byte {at}");
        assert_eq!(std::mem::align_of::<Entry>(), 64);
    }
}
