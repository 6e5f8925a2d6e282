//! What each of the filter bar's shortcuts writes in the filter box and how it reads its state
//! back from the box: the scope menu (`hop == kernel`, `conn == 3`), direction and channel
//! menus (`dir == to_server`, `channel == iopub`), the msg_type words
//! (`msg_type contains "execute"`, several as `msg_type ~ "execute|stream"`), `finding`, and
//! a chip per kind of row (the clause that hides it). The box is the whole filter; the edits
//! themselves are `wirebook_shared::display_filter`'s clause functions.

use wirebook_shared::capture::Hop;
use wirebook_shared::capture_filter::Scope;
use wirebook_shared::display_filter::{field_value, quoted, set_field_clause, Op};

/// The fields the scope menu writes.
const SCOPE_FIELDS: [&str; 2] = ["hop", "conn"];

/// The expression a shortcut edits: the box's text, or with the regex toggle on, its pattern
/// as a `text ~` test (the shortcut turns the toggle off, so the box says the whole filter).
pub fn base_expression(text: &str, regex: bool) -> String {
    match (regex, text.trim()) {
        (false, _) => text.to_string(),
        (true, "") => String::new(),
        (true, pattern) => format!("text ~ {}", quoted(pattern)),
    }
}

/// The scope an expression names at its top level: a connection, else a hop seen, else all.
pub fn scope_of(expr: &str, hops: &[Hop]) -> Scope {
    if let Some(conn) = field_value(expr, "conn", &[Op::Eq]).and_then(|c| c.parse().ok()) {
        return Scope::Conn(conn);
    }
    field_value(expr, "hop", &[Op::Eq])
        .and_then(|label| hops.iter().find(|h| h.label() == label))
        .map_or(Scope::All, |hop| Scope::Hop(*hop))
}

/// `expr` narrowed to `scope` in place of any hop or connection clause it had.
pub fn with_scope(expr: &str, scope: Scope) -> String {
    let clause = match scope {
        Scope::All => None,
        Scope::Hop(hop) => Some(format!("hop == {}", hop.label())),
        Scope::Conn(conn) => Some(format!("conn == {conn}")),
    };
    set_field_clause(expr, &SCOPE_FIELDS, clause.as_deref())
}

/// The value of a menu's `field == value` clause, `""` for none.
pub fn menu_value(expr: &str, field: &str) -> String {
    field_value(expr, field, &[Op::Eq]).unwrap_or_default()
}

/// `expr` with the menu's `field == value` clause set, or removed for `""`.
pub fn with_menu_value(expr: &str, field: &str, value: &str) -> String {
    let clause = (!value.is_empty()).then(|| format!("{field} == {value}"));
    set_field_clause(expr, &[field], clause.as_deref())
}

/// The words of a msg_type list (comma or space separated).
pub fn msg_type_words(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect()
}

/// `expr` with its msg_type clause saying "any of these words": one word is a `contains`, more
/// are one pattern, so that the clause stays one top-level clause.
pub fn with_msg_types(expr: &str, text: &str) -> String {
    let words = msg_type_words(text);
    let clause = match words.as_slice() {
        [] => None,
        [word] => Some(format!("msg_type contains {}", quoted(word))),
        words => {
            let pattern = words
                .iter()
                .map(|w| regex_escaped(w))
                .collect::<Vec<_>>()
                .join("|");
            Some(format!("msg_type ~ {}", quoted(&pattern)))
        }
    };
    set_field_clause(expr, &["msg_type"], clause.as_deref())
}

/// The msg_type words an expression's msg_type clause says, when it is one the words write.
pub fn msg_types_of(expr: &str) -> Vec<String> {
    if let Some(word) = field_value(expr, "msg_type", &[Op::Contains]) {
        return vec![word];
    }
    field_value(expr, "msg_type", &[Op::Matches])
        .map(|pattern| pattern.split('|').map(|w| w.replace('\\', "")).collect())
        .unwrap_or_default()
}

/// A word matched literally in a pattern.
fn regex_escaped(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for ch in word.chars() {
        if !(ch.is_alphanumeric() || ch == '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::display_filter::has_clause;

    #[test]
    fn the_scope_menu_writes_and_reads_one_clause() {
        let hops = [Hop::Browser, Hop::Kernel];
        let kernel = with_scope("len > 3", Scope::Hop(Hop::Kernel));
        assert_eq!(kernel, "len > 3 && hop == kernel");
        assert_eq!(scope_of(&kernel, &hops), Scope::Hop(Hop::Kernel));
        let conn = with_scope(&kernel, Scope::Conn(7));
        assert_eq!(conn, "len > 3 && conn == 7");
        assert_eq!(scope_of(&conn, &hops), Scope::Conn(7));
        assert_eq!(with_scope(&conn, Scope::All), "len > 3");
        assert_eq!(scope_of("hop == tap", &hops), Scope::All, "a hop not seen");
        assert_eq!(scope_of("hop == kernel || fin", &hops), Scope::All);
    }

    #[test]
    fn menus_write_field_equals_value() {
        let to_server = with_menu_value("", "dir", "to_server");
        assert_eq!(to_server, "dir == to_server");
        assert_eq!(menu_value(&to_server, "dir"), "to_server");
        let back = with_menu_value(&to_server, "dir", "to_client");
        assert_eq!(back, "dir == to_client");
        assert_eq!(with_menu_value(&back, "dir", ""), "");
        assert_eq!(menu_value("channel == iopub && x", "channel"), "iopub");
        assert_eq!(menu_value("x", "channel"), "");
    }

    #[test]
    fn msg_type_words_become_one_clause_and_read_back() {
        let one = with_msg_types("", " execute ");
        assert_eq!(one, "msg_type contains \"execute\"");
        assert_eq!(msg_types_of(&one), vec!["execute"]);
        let many = with_msg_types(&one, "execute_request, status stream");
        assert_eq!(many, "msg_type ~ \"execute_request|status|stream\"");
        assert_eq!(
            msg_types_of(&many),
            vec!["execute_request", "status", "stream"]
        );
        assert_eq!(with_msg_types(&many, " , "), "");
        assert_eq!(
            with_msg_types("", "a.b"),
            "msg_type contains \"a.b\"",
            "one word is a substring, not a pattern"
        );
        let dotted = with_msg_types("", "a.b c");
        assert_eq!(dotted, r#"msg_type ~ "a\\.b|c""#);
        assert_eq!(msg_types_of(&dotted), vec!["a.b", "c"]);
        assert!(msg_types_of("msg_type == status").is_empty());
    }

    #[test]
    fn a_shortcut_on_a_pattern_turns_it_into_a_test() {
        assert_eq!(base_expression("len > 3", false), "len > 3");
        assert_eq!(base_expression(" ", true), "");
        let base = base_expression("^err(or)?$", true);
        assert_eq!(base, "text ~ \"^err(or)?$\"");
        assert!(has_clause(&base, "text ~ \"^err(or)?$\""));
        assert!(wirebook_shared::display_filter::DisplayFilter::parse(&base).is_ok());
    }
}
