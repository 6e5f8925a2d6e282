//! Bytes written as hex: how the inspector, binary cells and notebook outputs show binary
//! payloads, and how hex typed by a user becomes bytes again.

/// Lowercase hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Built as bytes: the capture hexes every frame header and payload preview.
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.extend_from_slice(&[DIGITS[(b >> 4) as usize], DIGITS[(b & 0xf) as usize]]);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Decodes lowercase or uppercase hex; whitespace between byte pairs is allowed.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|_| "non-ASCII in hex".to_string())?;
            u8::from_str_radix(s, 16).map_err(|_| format!("not a hex byte: {s:?}"))
        })
        .collect()
}

/// The preview of a binary payload: hex of at most `limit` bytes.
pub fn binary_preview(bytes: &[u8], limit: usize) -> (String, bool) {
    let cut = bytes.len() > limit;
    (hex(&bytes[..bytes.len().min(limit)]), cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(unhex("00 0F a0ff").unwrap(), vec![0, 0x0f, 0xa0, 0xff]);
        assert!(unhex("abc").unwrap_err().contains("odd"));
        assert!(unhex("zz").unwrap_err().contains("not a hex byte"));
    }

    #[test]
    fn binary_previews_are_hex_of_the_first_bytes() {
        assert_eq!(binary_preview(&[1, 2, 3], 2), ("0102".to_string(), true));
    }
}
