//! The filter box's completion list as a model: what it offers for the text and the cursor
//! (`wirebook_shared::display_filter::complete`), which entry is active, what ↑/↓/Tab/Enter/
//! Escape do, and the text and cursor after picking one. The browser counts the cursor in
//! UTF-16 units and Rust in bytes: [`byte_offset`] and [`utf16_offset`] convert.

use wirebook_shared::display_filter::{complete, Completion, Suggestion};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Suggestions {
    completion: Completion,
    active: usize,
}

/// What a key did to the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// Not the list's: the box handles it as usual.
    Ignored,
    /// The list moved or closed; the key goes no further.
    Handled,
    /// An entry was picked: the box's new text and cursor (a byte offset).
    Picked { text: String, cursor: usize },
}

impl Suggestions {
    /// Recomputes the list for `text` with the cursor at byte `cursor`.
    pub fn update(&mut self, text: &str, cursor: usize) {
        let completion = complete(text, cursor);
        if completion.suggestions != self.completion.suggestions {
            self.active = 0;
        }
        self.completion = completion;
    }

    pub fn close(&mut self) {
        *self = Suggestions::default();
    }

    pub fn items(&self) -> &[Suggestion] {
        &self.completion.suggestions
    }

    pub fn is_open(&self) -> bool {
        !self.completion.suggestions.is_empty()
    }

    pub fn active(&self) -> usize {
        self.active
    }

    /// A key pressed in the box (`KeyboardEvent.key`).
    pub fn key(&mut self, key: &str, text: &str) -> KeyOutcome {
        let count = self.items().len();
        if count == 0 {
            return KeyOutcome::Ignored;
        }
        match key {
            "ArrowDown" => self.active = (self.active + 1) % count,
            "ArrowUp" => self.active = (self.active + count - 1) % count,
            "Escape" => self.close(),
            "Tab" | "Enter" => return self.pick(self.active, text),
            _ => return KeyOutcome::Ignored,
        }
        KeyOutcome::Handled
    }

    /// Puts entry `index` in place of the word it completes, and closes the list.
    pub fn pick(&mut self, index: usize, text: &str) -> KeyOutcome {
        let Some(chosen) = self.items().get(index) else {
            return KeyOutcome::Ignored;
        };
        let (start, end) = (self.completion.start, self.completion.end);
        if end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            // The text changed under the list: offer nothing rather than cut it wrong.
            self.close();
            return KeyOutcome::Handled;
        }
        let picked = format!("{}{}{}", &text[..start], chosen.text, &text[end..]);
        let cursor = start + chosen.text.len();
        self.close();
        KeyOutcome::Picked {
            text: picked,
            cursor,
        }
    }
}

/// The byte offset of a cursor the browser gives in UTF-16 units.
pub fn byte_offset(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// The UTF-16 offset of a byte offset, for the browser.
pub fn utf16_offset(text: &str, byte: usize) -> u32 {
    text.char_indices()
        .take_while(|(i, _)| *i < byte)
        .map(|(_, c)| c.len_utf16() as u32)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &Suggestions) -> Vec<&str> {
        s.items().iter().map(|i| i.text).collect()
    }

    #[test]
    fn keys_move_through_the_list_and_pick_an_entry() {
        let mut s = Suggestions::default();
        let text = "hop == kernel && ms";
        assert_eq!(s.key("ArrowDown", text), KeyOutcome::Ignored, "closed");
        s.update(text, text.len());
        assert!(s.is_open());
        assert_eq!(texts(&s), vec!["msg_type", "msg_id"]);
        assert_eq!(s.key("ArrowDown", text), KeyOutcome::Handled);
        assert_eq!(s.active(), 1);
        assert_eq!(s.key("ArrowDown", text), KeyOutcome::Handled);
        assert_eq!(s.active(), 0, "wraps");
        assert_eq!(s.key("ArrowUp", text), KeyOutcome::Handled);
        assert_eq!(s.active(), 1);
        assert_eq!(s.key("a", text), KeyOutcome::Ignored);
        assert_eq!(
            s.key("Tab", text),
            KeyOutcome::Picked {
                text: "hop == kernel && msg_id".into(),
                cursor: 23,
            }
        );
        assert!(!s.is_open());
        // Enter picks too; a word in the middle is replaced whole.
        s.update("fi && len > 3", 2);
        assert_eq!(texts(&s), vec!["finding", "fin"]);
        assert_eq!(
            s.key("Enter", "fi && len > 3"),
            KeyOutcome::Picked {
                text: "finding && len > 3".into(),
                cursor: 7,
            }
        );
        // Escape closes without picking.
        s.update("ho", 2);
        assert_eq!(s.key("Escape", "ho"), KeyOutcome::Handled);
        assert!(!s.is_open());
        assert_eq!(s.key("Enter", "ho"), KeyOutcome::Ignored);
    }

    #[test]
    fn a_new_list_starts_at_its_first_entry_and_a_stale_one_cuts_nothing() {
        let mut s = Suggestions::default();
        s.update("c", 1);
        s.key("ArrowDown", "c");
        s.update("c", 1);
        assert_eq!(s.active(), 1, "the same list keeps its place");
        s.update("ch", 2);
        assert_eq!(s.active(), 0);
        assert_eq!(s.pick(0, "").clone(), KeyOutcome::Handled);
        assert_eq!(s.pick(5, "ch"), KeyOutcome::Ignored);
    }

    #[test]
    fn cursors_convert_between_utf16_and_bytes() {
        let text = "é😀x";
        assert_eq!(byte_offset(text, 0), 0);
        assert_eq!(byte_offset(text, 1), 2);
        assert_eq!(byte_offset(text, 3), 6);
        assert_eq!(byte_offset(text, 4), 7);
        assert_eq!(byte_offset(text, 99), 7);
        for byte in [0, 2, 6, 7] {
            assert_eq!(byte_offset(text, utf16_offset(text, byte)), byte);
        }
    }
}
