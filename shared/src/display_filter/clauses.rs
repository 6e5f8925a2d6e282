//! The filter bar's shortcuts as edits of the expression, Wireshark's filter buttons: a chip
//! or menu writes (or removes) its clause in the filter box, so that the box always says the
//! whole filter, and a chip is pressed when its clause is one of the top-level `&&` clauses
//! (typing the clause by hand presses it too).
//!
//! Clauses are found by the expression's tokens, not its tree, so that an edit keeps the rest
//! of the user's text as written (spacing, `and`, parentheses) and works on a half-typed
//! expression too. Two clauses are the same when their tokens are (`hop==kernel`,
//! `hop == "kernel"` and `hop eq kernel` all press the `hop == kernel` chip). An expression
//! with `||` at the top is not a chain: a chip wraps it, `(old) && clause`.

use std::ops::Range;

use super::syntax::{spanned_tokens, Op, Token};
use super::DisplayFilter;

/// Whether text that is not an expression reads as words to search for: nothing in it is an
/// operator (so a half-typed `len >` is an error, not a search for "len >").
pub fn plain_words(text: &str) -> bool {
    !text.contains(['=', '!', '<', '>', '~', '(', ')', '&', '|', '"'])
}

/// `text` as a quoted string literal of the filter language.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            _ => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// One top-level clause: the bytes it covers and its tokens.
struct Clause {
    span: Range<usize>,
    tokens: Vec<Token>,
}

/// The top-level clauses of an expression.
struct Chain {
    clauses: Vec<Clause>,
    /// No `||` at the top: the clauses are AND'ed.
    is_chain: bool,
}

/// Splits `text` at its top-level `&&`s; `None` when it does not even tokenize.
fn split(text: &str) -> Option<Chain> {
    let tokens = spanned_tokens(text).ok()?;
    let mut chain = Chain {
        clauses: Vec::new(),
        is_chain: true,
    };
    let mut depth = 0usize;
    let mut current: Option<Clause> = None;
    for (token, span) in tokens {
        match token {
            Token::And if depth == 0 => {
                chain.clauses.extend(current.take());
                continue;
            }
            Token::Or if depth == 0 => chain.is_chain = false,
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
        match &mut current {
            Some(clause) => {
                clause.span.end = span.end;
                clause.tokens.push(token);
            }
            None => {
                current = Some(Clause {
                    span,
                    tokens: vec![token],
                })
            }
        }
    }
    chain.clauses.extend(current);
    Some(chain)
}

/// Token equality with a quoted string and a bare word the same value.
fn same_tokens(a: &[Token], b: &[Token]) -> bool {
    let value = |t: &Token| match t {
        Token::Str(s) | Token::Word(s) => Some(s.clone()),
        _ => None,
    };
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || value(x).is_some_and(|v| value(y) == Some(v)))
}

fn clause_tokens(clause: &str) -> Vec<Token> {
    spanned_tokens(clause)
        .map(|t| t.into_iter().map(|(token, _)| token).collect())
        .unwrap_or_default()
}

/// The text a chip adds to: plain words (a search) become `text contains "…"`, so that the
/// box still searches for them once a clause joins them.
fn as_expression(text: &str) -> String {
    let trimmed = text.trim();
    if !trimmed.is_empty() && plain_words(trimmed) && DisplayFilter::parse(trimmed).is_err() {
        format!("text contains {}", quoted(trimmed))
    } else {
        text.to_string()
    }
}

/// Whether `clause` is one of the top-level `&&` clauses of `text`.
pub fn has_clause(text: &str, clause: &str) -> bool {
    let want = clause_tokens(clause);
    split(text).is_some_and(|chain| {
        chain.is_chain && chain.clauses.iter().any(|c| same_tokens(&c.tokens, &want))
    })
}

/// `text` with the clause `clause` added at the end of its `&&` chain.
fn with_added(text: &str, clause: &str) -> String {
    let text = as_expression(text);
    let trimmed = text.trim_end();
    match split(trimmed) {
        _ if trimmed.trim_start().is_empty() => clause.to_string(),
        Some(chain) if !chain.is_chain => format!("({}) && {clause}", trimmed.trim_start()),
        _ => format!("{trimmed} && {clause}"),
    }
}

/// `text` without its top-level clause `index` and the `&&` that joined it.
fn without(text: &str, chain: &Chain, index: usize) -> String {
    let cut = match (
        index.checked_sub(1).and_then(|i| chain.clauses.get(i)),
        chain.clauses.get(index + 1),
    ) {
        (Some(before), _) => before.span.end..chain.clauses[index].span.end,
        (None, Some(after)) => chain.clauses[index].span.start..after.span.start,
        (None, None) => chain.clauses[index].span.clone(),
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..cut.start]);
    out.push_str(&text[cut.end..]);
    out.trim().to_string()
}

/// Adds `clause` to the top-level `&&` chain of `text`, or removes it when it is there: what
/// pressing a chip does.
pub fn toggle_clause(text: &str, clause: &str) -> String {
    let want = clause_tokens(clause);
    if let Some(chain) = split(text).filter(|c| c.is_chain) {
        if let Some(index) = chain
            .clauses
            .iter()
            .position(|c| same_tokens(&c.tokens, &want))
        {
            return without(text, &chain, index);
        }
    }
    with_added(text, clause)
}

/// Whether a clause is a plain test of one of `fields`: `field OP value`.
fn tests_field(clause: &Clause, fields: &[&str]) -> bool {
    matches!(
        clause.tokens.as_slice(),
        [Token::Word(f), Token::Op(_), Token::Word(_) | Token::Str(_) | Token::Number(_)]
            if fields.contains(&f.as_str())
    )
}

/// What a menu does: the top-level clauses that test one of `fields` give way to `clause` (in
/// the place of the first of them), or are removed when `clause` is `None`.
pub fn set_field_clause(text: &str, fields: &[&str], clause: Option<&str>) -> String {
    let found = split(text).filter(|c| c.is_chain).map(|chain| {
        let hits: Vec<usize> = (0..chain.clauses.len())
            .filter(|&i| tests_field(&chain.clauses[i], fields))
            .collect();
        (chain, hits)
    });
    let Some((chain, hits)) = found.filter(|(_, hits)| !hits.is_empty()) else {
        return match clause {
            Some(clause) => with_added(text, clause),
            None => text.to_string(),
        };
    };
    // The later hits go first, so that the earlier spans stay where they are.
    let mut out = text.to_string();
    for &index in hits[1..].iter().rev() {
        let rest = split(&out).filter(|c| c.is_chain);
        if let Some(rest) = rest {
            out = without(&out, &rest, index);
        }
    }
    let first = &chain.clauses[hits[0]];
    match clause {
        Some(clause) => {
            out.replace_range(first.span.clone(), clause);
            out
        }
        None => match split(&out) {
            Some(rest) => without(&out, &rest, hits[0]),
            None => out,
        },
    }
}

/// The value of the first top-level clause `field OP value` (with one of `ops`), when the
/// expression is an `&&` chain: what a menu shows.
pub fn field_value(text: &str, field: &str, ops: &[Op]) -> Option<String> {
    let chain = split(text).filter(|c| c.is_chain)?;
    chain
        .clauses
        .iter()
        .find_map(|c| match c.tokens.as_slice() {
            [Token::Word(f), Token::Op(op), Token::Word(v) | Token::Str(v) | Token::Number(v)]
                if f == field && ops.contains(op) =>
            {
                Some(v.clone())
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chip_adds_its_clause_and_takes_it_away_again() {
        let on = toggle_clause("", "hop == kernel");
        assert_eq!(on, "hop == kernel");
        assert!(has_clause(&on, "hop == kernel"));
        assert_eq!(toggle_clause(&on, "hop == kernel"), "");
        let both = toggle_clause("len > 10", "hop == kernel");
        assert_eq!(both, "len > 10 && hop == kernel");
        assert_eq!(toggle_clause(&both, "hop == kernel"), "len > 10");
        // The user's own spelling stays; the clause goes with its own `&&`.
        let typed = "hop==kernel  and (len>3 || finding) &&text ~ \"x\"";
        assert!(has_clause(typed, "hop == kernel"));
        assert!(has_clause(typed, "text ~ x"));
        assert!(has_clause(typed, "(len > 3 || finding)"));
        assert_eq!(
            toggle_clause(typed, "hop == kernel"),
            "(len>3 || finding) &&text ~ \"x\""
        );
        assert_eq!(
            toggle_clause(typed, "(len > 3 || finding)"),
            "hop==kernel &&text ~ \"x\""
        );
        assert_eq!(
            toggle_clause(typed, "text ~ \"x\""),
            "hop==kernel  and (len>3 || finding)"
        );
    }

    #[test]
    fn only_a_top_level_clause_presses_a_chip() {
        assert!(!has_clause("(hop == kernel && len > 3)", "hop == kernel"));
        assert!(!has_clause("hop == kernel || finding", "hop == kernel"));
        assert!(!has_clause("!hop == kernel", "hop == kernel"));
        assert!(!has_clause("hop == kernel2", "hop == kernel"));
        assert!(!has_clause("\"unclosed", "hop == kernel"));
        // An `||` at the top is wrapped before a clause joins it.
        let wrapped = toggle_clause("hop == kernel || finding", "finding");
        assert_eq!(wrapped, "(hop == kernel || finding) && finding");
        assert!(has_clause(&wrapped, "finding"));
        assert_eq!(
            toggle_clause(&wrapped, "finding"),
            "(hop == kernel || finding)"
        );
    }

    #[test]
    fn words_being_searched_for_become_a_text_clause() {
        let text = toggle_clause("hello world", "finding");
        assert_eq!(text, "text contains \"hello world\" && finding");
        assert!(DisplayFilter::parse(&text).is_ok());
        // A field alone is an expression already, and a half-typed one is left as typed.
        assert_eq!(toggle_clause("finding", "fin"), "finding && fin");
        assert_eq!(toggle_clause("len >", "fin"), "len > && fin");
        assert_eq!(quoted("a\"b\\c\nd\te"), r#""a\"b\\c\nd\te""#);
    }

    #[test]
    fn a_menu_replaces_the_clauses_of_its_fields() {
        let text = "len > 3 && hop == kernel && finding";
        assert_eq!(
            set_field_clause(text, &["hop", "conn"], Some("conn == 4")),
            "len > 3 && conn == 4 && finding"
        );
        assert_eq!(
            set_field_clause(text, &["hop", "conn"], None),
            "len > 3 && finding"
        );
        assert_eq!(
            set_field_clause("hop == kernel && conn == 2 && fin", &["hop", "conn"], None),
            "fin"
        );
        assert_eq!(
            set_field_clause(
                "hop == kernel && x && conn == 2",
                &["hop", "conn"],
                Some("dir == to_server")
            ),
            "dir == to_server && x"
        );
        assert_eq!(
            set_field_clause("fin", &["dir"], Some("dir == to_client")),
            "fin && dir == to_client"
        );
        assert_eq!(set_field_clause("fin", &["dir"], None), "fin");
        assert_eq!(
            set_field_clause("", &["dir"], Some("dir == to_client")),
            "dir == to_client"
        );
        // A test of the field inside a group is the user's, not the menu's.
        assert_eq!(
            set_field_clause(
                "(dir == to_client || fin)",
                &["dir"],
                Some("dir == to_server")
            ),
            "(dir == to_client || fin) && dir == to_server"
        );
        assert_eq!(
            field_value("x && channel == \"iopub\"", "channel", &[Op::Eq]),
            Some("iopub".to_string())
        );
        assert_eq!(
            field_value("conn == 12", "conn", &[Op::Eq]),
            Some("12".into())
        );
        assert_eq!(field_value("conn > 12", "conn", &[Op::Eq]), None);
        assert_eq!(field_value("conn == 1 || fin", "conn", &[Op::Eq]), None);
    }
}
