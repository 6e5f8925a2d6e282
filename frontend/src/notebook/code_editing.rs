//! What the cell editor does with the keys a code editor handles itself: Tab and Shift+Tab
//! indent and dedent, Enter keeps the indentation (one level more after `:` or an opening
//! bracket, as Jupyter does for Python), brackets and quotes close themselves, typing a closer
//! steps over the one already there, and Backspace between an empty pair deletes both.
//!
//! Pure: the editor's text and selection come in, an [`Edit`] comes out — the range to replace
//! and the selection afterwards — or `None` to let the browser handle the key. Offsets are
//! UTF-16 code units, the unit of a textarea's `selectionStart`, so the view can apply the edit
//! with `setSelectionRange` and `insertText` (which keeps the browser's own text undo).

/// One indentation level, as in Jupyter's Python editor.
pub const INDENT: &str = "    ";

/// Replace `start..end` of the text with `insert`, then select `select_start..select_end`
/// (all in UTF-16 code units of the text *after* the edit for the selection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub insert: String,
    pub select_start: usize,
    pub select_end: usize,
}

/// The edit for `key` (a `KeyboardEvent.key` string) pressed with `shift` and no other
/// modifier, with `start..end` selected in `text`.
pub fn edit_for_key(text: &str, start: usize, end: usize, key: &str, shift: bool) -> Option<Edit> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let (start, end) = (start.min(end), end.max(start));
    if end > units.len() {
        return None;
    }
    let doc = Doc { units: &units };
    match key {
        "Tab" if shift => dedent(&doc, start, end),
        "Tab" => Some(indent(&doc, start, end)),
        "Enter" if !shift => Some(newline(&doc, start, end)),
        "Backspace" if !shift && start == end => delete_pair(&doc, start),
        _ => {
            let mut chars = key.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return None;
            };
            typed(&doc, start, end, c)
        }
    }
}

/// The text as UTF-16 units with the few queries the edits need.
struct Doc<'a> {
    units: &'a [u16],
}

impl Doc<'_> {
    fn line_start(&self, at: usize) -> usize {
        self.units[..at]
            .iter()
            .rposition(|&u| u == u16::from(b'\n'))
            .map_or(0, |i| i + 1)
    }

    fn line_end(&self, at: usize) -> usize {
        self.units[at..]
            .iter()
            .position(|&u| u == u16::from(b'\n'))
            .map_or(self.units.len(), |i| at + i)
    }

    fn text(&self, from: usize, to: usize) -> String {
        String::from_utf16_lossy(&self.units[from..to])
    }

    fn char_at(&self, at: usize) -> Option<char> {
        char::decode_utf16(self.units.get(at..)?.iter().copied())
            .next()
            .and_then(Result::ok)
    }

    fn char_before(&self, at: usize) -> Option<char> {
        let unit = *self.units.get(at.checked_sub(1)?)?;
        char::from_u32(u32::from(unit))
    }
}

fn len16(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Tab: with the selection inside one line, insert spaces up to the next indentation stop;
/// across lines, indent every line the selection touches.
fn indent(doc: &Doc, start: usize, end: usize) -> Edit {
    let first = doc.line_start(start);
    if !doc.units[start..end].contains(&u16::from(b'\n')) {
        let column = start - first;
        let spaces = INDENT.len() - column % INDENT.len();
        let insert = " ".repeat(spaces);
        let at = start + spaces;
        return Edit {
            start,
            end,
            insert,
            select_start: at,
            select_end: at,
        };
    }
    let last = doc.line_end(end);
    let lines = doc.text(first, last);
    let indented: Vec<String> = lines.split('\n').map(|l| format!("{INDENT}{l}")).collect();
    let insert = indented.join("\n");
    let added = INDENT.len() * indented.len();
    Edit {
        start: first,
        end: last,
        select_start: start + INDENT.len(),
        select_end: end + added,
        insert,
    }
}

/// Shift+Tab: remove up to one indentation level from every line the selection touches.
fn dedent(doc: &Doc, start: usize, end: usize) -> Option<Edit> {
    let first = doc.line_start(start);
    let last = doc.line_end(end);
    let lines = doc.text(first, last);
    let mut removed_first = 0;
    let mut removed_total = 0;
    let dedented: Vec<&str> = lines
        .split('\n')
        .enumerate()
        .map(|(i, line)| {
            let n = line
                .bytes()
                .take(INDENT.len())
                .take_while(|&b| b == b' ')
                .count();
            if i == 0 {
                removed_first = n;
            }
            removed_total += n;
            &line[n..]
        })
        .collect();
    if removed_total == 0 {
        // Nothing to dedent: change nothing, but still take the key so that the focus stays
        // in the editor.
        return Some(Edit {
            start,
            end: start,
            insert: String::new(),
            select_start: start,
            select_end: end,
        });
    }
    let keep = |at: usize, removed: usize| at.saturating_sub(removed).max(first);
    Some(Edit {
        start: first,
        end: last,
        insert: dedented.join("\n"),
        select_start: keep(start, removed_first.min(start - first)),
        select_end: keep(end, removed_total).max(keep(start, removed_first.min(start - first))),
    })
}

/// Enter: a new line with the current line's indentation, one level more after `:` or an
/// opening bracket; between a bracket pair, the closer goes on its own line.
fn newline(doc: &Doc, start: usize, end: usize) -> Edit {
    let first = doc.line_start(start);
    let indent: String = doc
        .text(first, start)
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let before = doc.text(first, start);
    let opener = before.trim_end().chars().last();
    let deeper = matches!(opener, Some(':' | '(' | '[' | '{'));
    let inner = if deeper {
        format!("{indent}{INDENT}")
    } else {
        indent.clone()
    };
    let between_pair = matches!(
        (doc.char_before(start), doc.char_at(end)),
        (Some('('), Some(')')) | (Some('['), Some(']')) | (Some('{'), Some('}'))
    );
    let insert = if between_pair {
        format!("\n{inner}\n{indent}")
    } else {
        format!("\n{inner}")
    };
    let at = start + 1 + len16(&inner);
    Edit {
        start,
        end,
        insert,
        select_start: at,
        select_end: at,
    }
}

fn closer_of(c: char) -> Option<char> {
    match c {
        '(' => Some(')'),
        '[' => Some(']'),
        '{' => Some('}'),
        '"' => Some('"'),
        '\'' => Some('\''),
        _ => None,
    }
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// A printable key: wrap a selection in brackets or quotes, close an opener, or step over a
/// closer that is already there.
fn typed(doc: &Doc, start: usize, end: usize, c: char) -> Option<Edit> {
    let next = doc.char_at(end);
    let is_quote = c == '"' || c == '\'';
    // Step over the closer the editor inserted (or any identical closer right after the caret).
    if start == end && next == Some(c) && (matches!(c, ')' | ']' | '}') || is_quote) {
        return Some(Edit {
            start,
            end,
            insert: String::new(),
            select_start: start + 1,
            select_end: start + 1,
        });
    }
    let closer = closer_of(c)?;
    if start != end {
        let inner = doc.text(start, end);
        return Some(Edit {
            start,
            end,
            insert: format!("{c}{inner}{closer}"),
            select_start: start + 1,
            select_end: end + 1,
        });
    }
    // Only close where a pair is what the user wants: before whitespace, the end, or a closer;
    // quotes also not right after a word character (it's an apostrophe or a string prefix).
    let next_allows =
        next.is_none_or(|n| n.is_whitespace() || matches!(n, ')' | ']' | '}' | ',' | ':' | ';'));
    if !next_allows || (is_quote && is_word(doc.char_before(start))) {
        return None;
    }
    Some(Edit {
        start,
        end,
        insert: format!("{c}{closer}"),
        select_start: start + 1,
        select_end: start + 1,
    })
}

/// Backspace right between an empty pair deletes both halves.
fn delete_pair(doc: &Doc, at: usize) -> Option<Edit> {
    let open = doc.char_before(at)?;
    if closer_of(open)? != doc.char_at(at)? {
        return None;
    }
    Some(Edit {
        start: at - 1,
        end: at + 1,
        insert: String::new(),
        select_start: at - 1,
        select_end: at - 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the edit for `key` to `text` whose selection is marked by `|` (caret) or `[`…`]`,
    /// and returns the text with the new selection marked the same way.
    fn press(marked: &str, key: &str, shift: bool) -> Option<String> {
        let (text, start, end) = unmark(marked);
        let edit = edit_for_key(&text, start, end, key, shift)?;
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut out: Vec<u16> = units[..edit.start].to_vec();
        out.extend(edit.insert.encode_utf16());
        out.extend(&units[edit.end..]);
        let out = String::from_utf16(&out).unwrap();
        Some(mark(&out, edit.select_start, edit.select_end))
    }

    fn unmark(marked: &str) -> (String, usize, usize) {
        if let Some(at) = marked.find('|') {
            let text = marked.replacen('|', "", 1);
            let pos = len16(&marked[..at]);
            return (text, pos, pos);
        }
        let s = marked.find('[').unwrap();
        let e = marked.find(']').unwrap();
        let text = marked.replacen('[', "", 1).replacen(']', "", 1);
        (text, len16(&marked[..s]), len16(&marked[..e]) - 1)
    }

    fn mark(text: &str, start: usize, end: usize) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        let part = |a: usize, b: usize| String::from_utf16(&units[a..b]).unwrap();
        if start == end {
            format!("{}|{}", part(0, start), part(start, units.len()))
        } else {
            format!(
                "{}[{}]{}",
                part(0, start),
                part(start, end),
                part(end, units.len())
            )
        }
    }

    #[test]
    fn tab_inserts_spaces_to_the_next_stop() {
        assert_eq!(press("|x", "Tab", false).unwrap(), "    |x");
        assert_eq!(press("ab|", "Tab", false).unwrap(), "ab  |");
    }

    #[test]
    fn tab_and_shift_tab_indent_and_dedent_selected_lines() {
        assert_eq!(press("[a\nb]", "Tab", false).unwrap(), "    [a\n    b]");
        assert_eq!(press("    [a\n  b]", "Tab", true).unwrap(), "[a\nb]");
        assert_eq!(press("    x|", "Tab", true).unwrap(), "x|");
        // Nothing to dedent: the text stays, the key is still taken.
        assert_eq!(press("x|", "Tab", true).unwrap(), "x|");
    }

    #[test]
    fn enter_keeps_indentation_and_deepens_after_a_colon() {
        assert_eq!(
            press("    x = 1|", "Enter", false).unwrap(),
            "    x = 1\n    |"
        );
        assert_eq!(press("if x:|", "Enter", false).unwrap(), "if x:\n    |");
        assert_eq!(press("f(|)", "Enter", false).unwrap(), "f(\n    |\n)");
        assert_eq!(press("x|", "Enter", true), None);
    }

    #[test]
    fn brackets_and_quotes_close_and_step_over() {
        assert_eq!(press("f|", "(", false).unwrap(), "f(|)");
        assert_eq!(press("f(|)", ")", false).unwrap(), "f()|");
        assert_eq!(press("|", "\"", false).unwrap(), "\"|\"");
        assert_eq!(press("\"|\"", "\"", false).unwrap(), "\"\"|");
        assert_eq!(press("[abc]", "(", false).unwrap(), "([abc])");
        // An apostrophe after a word is just an apostrophe.
        assert_eq!(press("don|", "'", false), None);
        // Before a word the opener comes alone.
        assert_eq!(press("|x", "(", false), None);
        assert_eq!(press("a|", "b", false), None);
    }

    #[test]
    fn backspace_deletes_an_empty_pair() {
        assert_eq!(press("f(|)", "Backspace", false).unwrap(), "f|");
        assert_eq!(press("f(|x)", "Backspace", false), None);
    }

    #[test]
    fn offsets_are_utf16_units() {
        // '😀' is two UTF-16 units.
        assert_eq!(press("😀|", "(", false).unwrap(), "😀(|)");
        assert_eq!(press("😀 x|", "Enter", false).unwrap(), "😀 x\n|");
        assert_eq!(edit_for_key("ab", 5, 5, "Tab", false), None);
    }
}
