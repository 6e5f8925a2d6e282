//! UTF-8 validation across chunk boundaries.
//!
//! A text message may be split into fragments (and TCP segments) anywhere, even inside a
//! character, so validity can only be judged on the whole stream: this keeps the at most three
//! bytes of an unfinished character between pushes and otherwise leans on `str::from_utf8`.

/// Incremental UTF-8 validator.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    pending: [u8; 4],
    pending_len: usize,
    failed: bool,
}

/// Width of a character from its first byte, for bytes `from_utf8` accepts as a lead byte.
fn width(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether invalid UTF-8 has been seen.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Validates the next bytes. Returns `false` once the stream is known to be invalid.
    pub fn push(&mut self, bytes: &[u8]) -> bool {
        if self.failed {
            return false;
        }
        let mut rest = bytes;
        if self.pending_len > 0 {
            let need = width(self.pending[0]) - self.pending_len;
            let take = need.min(rest.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&rest[..take]);
            self.pending_len += take;
            rest = &rest[take..];
            match std::str::from_utf8(&self.pending[..self.pending_len]) {
                Ok(_) => self.pending_len = 0,
                // Still a valid prefix of a character: wait for more bytes.
                Err(e) if e.error_len().is_none() => return true,
                Err(_) => {
                    self.failed = true;
                    return false;
                }
            }
        }
        match std::str::from_utf8(rest) {
            Ok(_) => true,
            Err(e) if e.error_len().is_none() => {
                let tail = &rest[e.valid_up_to()..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len();
                true
            }
            Err(_) => {
                self.failed = true;
                false
            }
        }
    }

    /// Ends the stream: a character cut off at the end makes it invalid. The validator is
    /// ready for a new stream afterwards. Returns whether the whole stream was valid.
    pub fn finish(&mut self) -> bool {
        let ok = !self.failed && self.pending_len == 0;
        *self = Self::default();
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_everywhere(bytes: &[u8]) -> bool {
        let whole = std::str::from_utf8(bytes).is_ok();
        for a in 0..=bytes.len() {
            for b in a..=bytes.len() {
                let mut v = Utf8Validator::new();
                v.push(&bytes[..a]);
                v.push(&bytes[a..b]);
                v.push(&bytes[b..]);
                assert_eq!(v.finish(), whole, "{bytes:02x?} split at {a},{b}");
            }
        }
        whole
    }

    #[test]
    fn agrees_with_from_utf8_for_every_two_cut_split() {
        assert!(split_everywhere("aé€😀z".as_bytes()));
        assert!(!split_everywhere(&[
            0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80
        ]));
        assert!(!split_everywhere(&[0xf4, 0x90, 0x80, 0x80])); // above U+10FFFF
        assert!(!split_everywhere(&[0xe0, 0x80, 0xaf])); // overlong
        assert!(!split_everywhere(&[0x61, 0xe2, 0x82])); // cut off at the end
        assert!(!split_everywhere(&[0xff]));
    }

    #[test]
    fn fails_early_on_a_bad_continuation_byte() {
        let mut v = Utf8Validator::new();
        assert!(v.push(&[0xe2]));
        assert!(!v.push(&[0x41]));
        assert!(v.failed());
    }
}
