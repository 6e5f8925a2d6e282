//! Offsets in a cell's text in the two units that meet at the editor: UTF-16 code units (the
//! browser's strings, CodeMirror's positions) and Unicode code points (Jupyter's `cursor_pos`,
//! `cursor_start` and `cursor_end` since messaging protocol 5.2).
//!
//! An offset past the end is clamped to the end; one inside a surrogate pair (UTF-16) counts
//! the pair's code point as not yet reached.

/// The code point offset of UTF-16 offset `utf16` in `text`.
pub fn from_utf16(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (points, c) in text.chars().enumerate() {
        units += c.len_utf16();
        if units > utf16 {
            return points;
        }
    }
    text.chars().count()
}

/// The UTF-16 offset of code point offset `points` in `text`.
pub fn to_utf16(text: &str, points: usize) -> usize {
    text.chars().take(points).map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_offsets_are_the_same_in_both_units() {
        for i in 0..=5 {
            assert_eq!(from_utf16("hello", i), i);
            assert_eq!(to_utf16("hello", i), i);
        }
    }

    #[test]
    fn an_astral_character_is_two_units_and_one_point() {
        // "😀" is U+1F600: a surrogate pair in UTF-16, one code point.
        let text = "a😀b";
        assert_eq!(from_utf16(text, 1), 1);
        assert_eq!(from_utf16(text, 3), 2);
        assert_eq!(from_utf16(text, 4), 3);
        assert_eq!(to_utf16(text, 2), 3);
        assert_eq!(to_utf16(text, 3), 4);
        // Inside the pair: the emoji is not reached yet.
        assert_eq!(from_utf16(text, 2), 1);
    }

    #[test]
    fn bmp_characters_beyond_ascii_are_one_unit_and_one_point() {
        let text = "é = 'ü'";
        let end = text.encode_utf16().count();
        assert_eq!(from_utf16(text, end), text.chars().count());
        assert_eq!(to_utf16(text, text.chars().count()), end);
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        assert_eq!(from_utf16("a😀", 99), 2);
        assert_eq!(to_utf16("a😀", 99), 3);
        assert_eq!(from_utf16("", 5), 0);
    }

    #[test]
    fn round_trips_at_every_character_boundary() {
        let text = "x = '😀é\n𝔘'  # ok";
        let mut utf16 = 0;
        for (points, c) in text.chars().enumerate() {
            assert_eq!(from_utf16(text, utf16), points);
            assert_eq!(to_utf16(text, points), utf16);
            utf16 += c.len_utf16();
        }
    }
}
