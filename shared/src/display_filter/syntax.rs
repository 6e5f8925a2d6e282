//! The display filter's grammar: text → [`Expr`], with the byte offset of every part so that
//! an error (here or when fields are resolved) points to its column.
//!
//! ```text
//! or      := and (("||" | "or") and)*
//! and     := unary (("&&" | "and") unary)*
//! unary   := ("!" | "not") unary | "(" or ")" | test
//! test    := FIELD [OP value]          OP: == != < <= > >= ~ matches contains eq ne lt le gt ge
//! value   := "string" | number | word  (a word is a string: `hop == kernel`)
//! ```
//!
//! Hand-written because it is small and its errors must point into the user's text; the
//! length and nesting are bounded ([`MAX_EXPR_LEN`], [`MAX_DEPTH`]) because a page query
//! carries the text from a peer.

/// The longest expression (and search text) a filter may carry, in bytes.
pub const MAX_EXPR_LEN: usize = 4096;

/// The deepest nesting of parentheses and negations.
pub const MAX_DEPTH: usize = 32;

/// What is wrong, and the byte offset in the expression it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

fn error<T>(offset: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        message: message.into(),
        offset,
    })
}

/// A comparison between a field and a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `~` or `matches`: a regular expression, ignoring case.
    Matches,
    /// `contains`: a substring, ignoring case.
    Contains,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Matches => "~",
            Op::Contains => "contains",
        }
    }
}

/// A literal as written: a quoted string, a number, or a bare word.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Word(String),
    /// As written, so that the field decides how to read it (`0x81`, `1.5`, `-2`).
    Number(String),
}

impl Literal {
    pub fn text(&self) -> &str {
        match self {
            Literal::Str(s) | Literal::Word(s) | Literal::Number(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// `field` alone (present, or true) or `field OP value`; offsets are where each starts.
    Test {
        field: String,
        field_at: usize,
        compare: Option<Comparison>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub op: Op,
    pub op_at: usize,
    pub value: Literal,
    pub value_at: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Word(String),
    Str(String),
    Number(String),
    Op(Op),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("'{w}'"),
        Token::Str(s) => format!("the string \"{s}\""),
        Token::Number(n) => format!("the number {n}"),
        Token::Op(op) => format!("'{}'", op.symbol()),
        Token::And => "'&&'".into(),
        Token::Or => "'||'".into(),
        Token::Not => "'!'".into(),
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
    }
}

/// Characters a word (field name, dotted path, bare value) is made of after its first.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'
}

fn tokens(text: &str) -> Result<Vec<(Token, usize)>, SyntaxError> {
    Ok(spanned_tokens(text)?
        .into_iter()
        .map(|(token, span)| (token, span.start))
        .collect())
}

/// The tokens of `text` with the bytes each covers (the chips find clauses by them).
pub(super) fn spanned_tokens(
    text: &str,
) -> Result<Vec<(Token, std::ops::Range<usize>)>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let at = i;
        let next = bytes.get(i + 1).copied();
        let (token, len) = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => (Token::Open, 1),
            b')' => (Token::Close, 1),
            b'~' => (Token::Op(Op::Matches), 1),
            b'=' if next == Some(b'=') => (Token::Op(Op::Eq), 2),
            b'=' => return error(at, "'=' is not an operator; compare with '=='"),
            b'!' if next == Some(b'=') => (Token::Op(Op::Ne), 2),
            b'!' => (Token::Not, 1),
            b'<' if next == Some(b'=') => (Token::Op(Op::Le), 2),
            b'<' => (Token::Op(Op::Lt), 1),
            b'>' if next == Some(b'=') => (Token::Op(Op::Ge), 2),
            b'>' => (Token::Op(Op::Gt), 1),
            b'&' if next == Some(b'&') => (Token::And, 2),
            b'&' => return error(at, "'&' is not an operator; join with '&&'"),
            b'|' if next == Some(b'|') => (Token::Or, 2),
            b'|' => return error(at, "'|' is not an operator; join with '||'"),
            b'"' => {
                let (value, len) = string_at(text, at)?;
                (Token::Str(value), len)
            }
            b'0'..=b'9' => number_at(text, at),
            b'-' if next.is_some_and(|n| n.is_ascii_digit()) => number_at(text, at),
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let len = text[at..]
                    .find(|ch: char| !is_word_char(ch))
                    .unwrap_or(text.len() - at);
                let word = &text[at..at + len];
                let token = match word {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    "contains" => Token::Op(Op::Contains),
                    "matches" => Token::Op(Op::Matches),
                    "eq" => Token::Op(Op::Eq),
                    "ne" => Token::Op(Op::Ne),
                    "lt" => Token::Op(Op::Lt),
                    "le" => Token::Op(Op::Le),
                    "gt" => Token::Op(Op::Gt),
                    "ge" => Token::Op(Op::Ge),
                    _ => Token::Word(word.to_string()),
                };
                (token, len)
            }
            _ => {
                let ch = text[at..].chars().next().unwrap_or('?');
                return error(at, format!("'{ch}' is not part of a filter expression"));
            }
        };
        out.push((token, at..at + len));
        i += len;
    }
    Ok(out)
}

/// A number as written: digits, `.`, hex digits after `0x`, and a leading `-`.
fn number_at(text: &str, at: usize) -> (Token, usize) {
    let len = text[at + 1..]
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.'))
        .map_or(text.len() - at, |n| n + 1);
    (Token::Number(text[at..at + len].to_string()), len)
}

/// A double-quoted string with `\"`, `\\`, `\n`, `\t` escapes: its value and length.
fn string_at(text: &str, at: usize) -> Result<(String, usize), SyntaxError> {
    let mut value = String::new();
    let mut chars = text[at + 1..].char_indices();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '"' => return Ok((value, i + 2)),
            '\\' => match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, other)) => {
                    return error(
                        at + 1 + i,
                        format!("'\\{other}' is not an escape; use \\\" \\\\ \\n or \\t"),
                    )
                }
                None => break,
            },
            _ => value.push(ch),
        }
    }
    error(at, "this string has no closing '\"'")
}

/// The 1-based column (in characters) of a byte offset.
pub fn column_of(text: &str, offset: usize) -> usize {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].chars().count() + 1
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<(Token, usize)>,
    at: usize,
    /// The expression's length: where "the end" is.
    end: usize,
}

/// Parses an expression (see the module doc for the grammar).
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    if text.len() > MAX_EXPR_LEN {
        return error(
            MAX_EXPR_LEN,
            format!(
                "the expression is {} bytes long; at most {MAX_EXPR_LEN} are allowed",
                text.len()
            ),
        );
    }
    let mut parser = Parser {
        text,
        tokens: tokens(text)?,
        at: 0,
        end: text.len(),
    };
    if parser.tokens.is_empty() {
        return error(0, "the expression is empty");
    }
    let expr = parser.or(0)?;
    match parser.tokens.get(parser.at) {
        None => Ok(expr),
        Some((Token::Close, at)) => error(*at, "this ')' closes no '('"),
        Some((token, at)) => error(
            *at,
            format!(
                "{} after a complete expression; join tests with && or ||",
                describe(token)
            ),
        ),
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |(_, at)| *at)
    }

    fn or(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        let mut terms = vec![self.and(depth)?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            terms.push(self.and(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        let mut terms = vec![self.unary(depth)?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            terms.push(self.unary(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        let at = self.offset();
        if depth >= MAX_DEPTH {
            return error(
                at,
                format!("nested too deeply: at most {MAX_DEPTH} levels of ( and !"),
            );
        }
        let Some((token, _)) = self.tokens.get(self.at).cloned() else {
            return error(at, "the expression ends where a test was expected");
        };
        self.at += 1;
        match token {
            Token::Not => Ok(Expr::Not(Box::new(self.unary(depth + 1)?))),
            Token::Open => {
                let inner = self.or(depth + 1)?;
                match self.peek() {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => error(
                        self.offset(),
                        format!(
                            "expected ')' to close the '(' at column {}",
                            column_of(self.text, at)
                        ),
                    ),
                }
            }
            Token::Word(field) => self.test(field, at),
            Token::Str(_) | Token::Number(_) => error(
                at,
                format!(
                    "{} needs a field to compare with, e.g. text contains \"…\"",
                    describe(&token)
                ),
            ),
            other => error(
                at,
                format!("expected a field name, found {}", describe(&other)),
            ),
        }
    }

    fn test(&mut self, field: String, field_at: usize) -> Result<Expr, SyntaxError> {
        let Some(Token::Op(op)) = self.peek().cloned() else {
            return Ok(Expr::Test {
                field,
                field_at,
                compare: None,
            });
        };
        let op_at = self.offset();
        self.at += 1;
        let value_at = self.offset();
        let value = match self.tokens.get(self.at).cloned() {
            Some((Token::Str(s), _)) => Literal::Str(s),
            Some((Token::Word(w), _)) => Literal::Word(w),
            Some((Token::Number(n), _)) => Literal::Number(n),
            Some((other, _)) => {
                return error(
                    value_at,
                    format!(
                        "expected a value after '{}', found {}",
                        op.symbol(),
                        describe(&other)
                    ),
                )
            }
            None => {
                return error(
                    value_at,
                    format!("expected a value after '{}'", op.symbol()),
                )
            }
        };
        self.at += 1;
        Ok(Expr::Test {
            field,
            field_at,
            compare: Some(Comparison {
                op,
                op_at,
                value,
                value_at,
            }),
        })
    }
}
