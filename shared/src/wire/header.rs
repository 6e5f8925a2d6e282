//! The frame header's fields and how they are encoded (RFC 6455 §5.2): the base the decoder,
//! the encoder and the findings about lengths share.

use serde::{Deserialize, Serialize};

use super::opcode::Opcode;

/// Longest frame header: 2 bytes, 8 of extended length, 4 of mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// Which of the three payload length encodings a frame used (§5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthForm {
    /// 7 bits in the second byte (0–125).
    Short,
    /// 126, then a 16-bit length.
    Medium,
    /// 127, then a 64-bit length.
    Long,
}

impl LengthForm {
    /// The smallest form that can carry `len`.
    pub fn minimal_for(len: u64) -> Self {
        if len <= 125 {
            LengthForm::Short
        } else if len <= 0xFFFF {
            LengthForm::Medium
        } else {
            LengthForm::Long
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LengthForm::Short => "7-bit",
            LengthForm::Medium => "16-bit",
            LengthForm::Long => "64-bit",
        }
    }

    /// Bytes of extended length after the second header byte.
    pub(super) fn extra_len(self) -> usize {
        match self {
            LengthForm::Short => 0,
            LengthForm::Medium => 2,
            LengthForm::Long => 8,
        }
    }
}

/// A frame header as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameHeader {
    pub fin: bool,
    pub rsv1: bool,
    pub rsv2: bool,
    pub rsv3: bool,
    pub opcode: Opcode,
    /// The masking key; `Some` exactly when the MASK bit is set.
    pub mask_key: Option<[u8; 4]>,
    /// The payload length the header announced.
    pub payload_len: u64,
    pub length_form: LengthForm,
}

impl FrameHeader {
    /// A final, unmasked header with no RSV bits, the short length form and no payload.
    pub fn new(opcode: Opcode) -> Self {
        FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask_key: None,
            payload_len: 0,
            length_form: LengthForm::Short,
        }
    }

    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    pub fn masked(mut self, key: [u8; 4]) -> Self {
        self.mask_key = Some(key);
        self
    }

    pub fn rsv1(mut self, rsv1: bool) -> Self {
        self.rsv1 = rsv1;
        self
    }

    pub fn length_form(mut self, form: LengthForm) -> Self {
        self.length_form = form;
        self
    }

    /// Reads a header from its bytes on the wire; `None` unless `bytes` start with a whole
    /// header (bytes after it are ignored).
    pub fn parse(bytes: &[u8]) -> Option<FrameHeader> {
        let len = header_len(*bytes.get(1)?);
        let mut head = [0u8; MAX_HEADER_LEN];
        head[..len].copy_from_slice(bytes.get(..len)?);
        Some(FrameHeader::read(&head))
    }

    /// The header at the start of `head`, a buffer with room for the longest header (bytes
    /// past the header's own length are ignored).
    pub fn read(head: &[u8; MAX_HEADER_LEN]) -> FrameHeader {
        let form = length_form(head[1]);
        let payload_len = match form {
            LengthForm::Short => u64::from(head[1] & 0x7f),
            LengthForm::Medium => u64::from(u16::from_be_bytes([head[2], head[3]])),
            LengthForm::Long => {
                let mut be = [0u8; 8];
                be.copy_from_slice(&head[2..10]);
                u64::from_be_bytes(be)
            }
        };
        let mask_key = (head[1] & 0x80 != 0).then(|| {
            let at = 2 + form.extra_len();
            [head[at], head[at + 1], head[at + 2], head[at + 3]]
        });
        FrameHeader {
            fin: head[0] & 0x80 != 0,
            rsv1: head[0] & 0x40 != 0,
            rsv2: head[0] & 0x20 != 0,
            rsv3: head[0] & 0x10 != 0,
            opcode: Opcode::from_u8(head[0]),
            mask_key,
            payload_len,
            length_form: form,
        }
    }

    /// Writes the header's bytes as [`FrameHeader::read`] reads them: `payload_len` in
    /// `length_form`, then the masking key if any.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(
            u8::from(self.fin) << 7
                | u8::from(self.rsv1) << 6
                | u8::from(self.rsv2) << 5
                | u8::from(self.rsv3) << 4
                | self.opcode.as_u8(),
        );
        let mask_bit = if self.is_masked() { 0x80 } else { 0 };
        match self.length_form {
            LengthForm::Short => out.push(mask_bit | self.payload_len as u8),
            LengthForm::Medium => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(self.payload_len as u16).to_be_bytes());
            }
            LengthForm::Long => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&self.payload_len.to_be_bytes());
            }
        }
        if let Some(key) = self.mask_key {
            out.extend_from_slice(&key);
        }
    }

    pub fn is_masked(&self) -> bool {
        self.mask_key.is_some()
    }

    /// Length of the encoded header in bytes (2–14).
    pub fn encoded_len(&self) -> usize {
        2 + self.length_form.extra_len() + if self.is_masked() { 4 } else { 0 }
    }
}

/// The length form announced by the second header byte.
fn length_form(second: u8) -> LengthForm {
    match second & 0x7f {
        126 => LengthForm::Medium,
        127 => LengthForm::Long,
        _ => LengthForm::Short,
    }
}

/// Header length announced by the second header byte: how many bytes to read for
/// [`FrameHeader::read`] once the first two are in.
pub fn header_len(second: u8) -> usize {
    2 + length_form(second).extra_len() + if second & 0x80 != 0 { 4 } else { 0 }
}
