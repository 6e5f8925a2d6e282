//! A parsed expression with its fields resolved and its values read once ([`DisplayFilter`]),
//! so that matching a record walks a small tree without allocating: numbers are compared as
//! numbers, names as interned names, substrings ignoring case without lowercasing the record,
//! and a payload is parsed as JSON only when the expression has a `json.` path.
//!
//! Semantics: a comparison with a field the record does not have is false (`opcode != text` is
//! true of frames only); `text` has many values and a comparison holds when it holds for one.
//!
//! A lens's names (`socketio`, `socketio.event`, `latency`) are read from the record's
//! [`LensFacts`], which the caller keeps per record (a lens reads a connection in order, so a
//! record alone cannot say them): [`DisplayFilter::reads_lenses`] says whether it must. A lens
//! field may have several values (a batch, several MQTT packets in one message): `==` and the
//! others hold when one value does, `!=` when none equals, as in Wireshark.

use std::sync::{Arc, Mutex};

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax as regex_syntax;
use regex_automata::Input;

use super::fields::{
    self, closest, each_text, every_name, json_source, lookup, lookup_lens, opcode_number, Field,
    Kind, LensName, Value, JSON_PREFIX, OPCODES,
};
use super::json_path::{self, Found};
use super::syntax::{self, column_of, Comparison, Expr, Literal, Op, SyntaxError};
use crate::capture::CaptureRecord;
use crate::lens::dissector::LensFacts;
use crate::lens::FieldValue;

/// The most memory a compiled pattern's program (its NFA) may take, in bytes.
pub const MAX_PATTERN_SIZE: usize = 1 << 20;

/// The most patterns (`~`) one expression may hold: each may take [`MAX_PATTERN_SIZE`].
pub const MAX_PATTERNS: usize = 16;

/// What is wrong with an expression and where: `offset` in bytes, `column` in characters
/// from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub message: String,
    pub offset: usize,
    pub column: usize,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for FilterError {}

/// A compiled display filter.
#[derive(Debug, Clone)]
pub struct DisplayFilter {
    root: Node,
    reads_lenses: bool,
}

#[derive(Debug, Clone)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Test(Test),
}

#[derive(Debug, Clone)]
struct Test {
    subject: Subject,
    check: Check,
}

#[derive(Debug, Clone)]
enum Subject {
    Field(Field),
    /// Object keys, or array indexes where the step is a number.
    Json(Vec<String>),
    Lens(LensName),
}

#[derive(Debug, Clone)]
enum Check {
    /// The bare field: true, present, non-empty.
    Present,
    Compare(Op, Operand),
    /// Lowercased.
    Contains(String),
    Matches(Pattern),
}

#[derive(Debug, Clone)]
enum Operand {
    Number(Number),
    Bool(bool),
    Text(String),
    /// A symbol field's name, checked against its names.
    Symbol(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Number {
    /// Exact, when the literal is a whole number that fits.
    int: Option<u64>,
    float: f64,
}

impl DisplayFilter {
    /// Parses and compiles an expression, or says what is wrong and where.
    pub fn parse(text: &str) -> Result<DisplayFilter, FilterError> {
        let at = |e: SyntaxError| FilterError {
            column: column_of(text, e.offset),
            message: e.message,
            offset: e.offset,
        };
        let expr = syntax::parse(text).map_err(at)?;
        let mut patterns = 0;
        let root = compile(&expr, &mut patterns).map_err(at)?;
        Ok(DisplayFilter {
            reads_lenses: root.reads_lenses(),
            root,
        })
    }

    /// Whether the expression names a lens's field, so that matching needs the record's
    /// [`LensFacts`] ([`DisplayFilter::matches_with`]).
    pub fn reads_lenses(&self) -> bool {
        self.reads_lenses
    }

    /// Whether `record` passes, as one no lens read (lens tests are false).
    pub fn matches(&self, record: &CaptureRecord) -> bool {
        self.root.eval(record, None)
    }

    /// Whether `record` passes, `lens` being what its connection's lens read of it.
    pub fn matches_with(&self, record: &CaptureRecord, lens: Option<&LensFacts>) -> bool {
        self.root.eval(record, lens)
    }
}

fn fail<T>(offset: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        message: message.into(),
        offset,
    })
}

fn compile(expr: &Expr, patterns: &mut usize) -> Result<Node, SyntaxError> {
    Ok(match expr {
        Expr::And(terms) => Node::All(
            terms
                .iter()
                .map(|t| compile(t, patterns))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(terms) => Node::Any(
            terms
                .iter()
                .map(|t| compile(t, patterns))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(inner) => Node::Not(Box::new(compile(inner, patterns)?)),
        Expr::Test {
            field,
            field_at,
            compare,
        } => Node::Test(test(field, *field_at, compare.as_ref(), patterns)?),
    })
}

fn test(
    name: &str,
    name_at: usize,
    compare: Option<&Comparison>,
    patterns: &mut usize,
) -> Result<Test, SyntaxError> {
    let (subject, kind) = if let Some(path) = name.strip_prefix(JSON_PREFIX) {
        let steps: Vec<String> = path.split('.').map(str::to_string).collect();
        if steps.iter().any(String::is_empty) {
            return fail(
                name_at,
                format!("'{name}' has an empty step; a path is json.key.key or json.list.0"),
            );
        }
        (Subject::Json(steps), None)
    } else if let Some((field, kind)) = lookup(name) {
        (Subject::Field(field), Some(kind))
    } else if let Some((lens, kind)) = lookup_lens(name) {
        (Subject::Lens(lens), Some(kind))
    } else {
        let hint = if name == "json" {
            "; a JSON path is json.key, e.g. json.type".to_string()
        } else {
            closest(name, every_name().map(|(n, _)| n))
                .map(|n| format!("; did you mean '{n}'?"))
                .unwrap_or_default()
        };
        return fail(name_at, format!("unknown field '{name}'{hint}"));
    };
    let Some(compare) = compare else {
        return Ok(Test {
            subject,
            check: Check::Present,
        });
    };
    let Comparison {
        op,
        op_at,
        value,
        value_at,
    } = compare;
    let (op, op_at, value_at) = (*op, *op_at, *value_at);
    let check = match op {
        Op::Contains | Op::Matches => {
            if let Some(kind @ (Kind::Number | Kind::Bool | Kind::Symbol(_) | Kind::Opcode)) = kind
            {
                return fail(
                    op_at,
                    format!(
                        "'{}' compares text; {name} is {}",
                        op.symbol(),
                        kind_name(kind)
                    ),
                );
            }
            if op == Op::Contains {
                Check::Contains(value.text().to_lowercase())
            } else {
                *patterns += 1;
                if *patterns > MAX_PATTERNS {
                    return fail(
                        op_at,
                        format!("at most {MAX_PATTERNS} patterns (~) in one expression"),
                    );
                }
                let pattern = pattern(value.text()).map_err(|message| SyntaxError {
                    message,
                    offset: value_at,
                })?;
                Check::Matches(pattern)
            }
        }
        _ => {
            let operand = operand(name, kind, value, value_at)?;
            let ordered = !matches!(op, Op::Eq | Op::Ne);
            if ordered && matches!(operand, Operand::Symbol(_) | Operand::Bool(_)) {
                return fail(op_at, format!("{name} can only be compared with == or !="));
            }
            Check::Compare(op, operand)
        }
    };
    Ok(Test { subject, check })
}

/// A regular expression from a filter, searched by regex-automata's lazy DFA (the `regex`
/// crate's fastest engine, without its meta layer): linear in the text whatever the pattern,
/// so a pattern from a peer cannot stall the server, and fast (`[0-9]+ ticks` over 100k
/// payloads: regex-lite, which this replaced, took 170–250 ms; see docs/benchmarks.md).
///
/// Meaning, the same in the browser and on the server: case-insensitive for ASCII letters;
/// `\w`, `\d`, `\s` and `\b` are ASCII (no Unicode tables, which would double the engine's
/// size in the wasm); a non-ASCII character outside a class matches itself; `.` and `[^…]`
/// match one byte. Bounded: the compiled program to [`MAX_PATTERN_SIZE`] and the lazy DFA's
/// cache to [`CACHE_BYTES`] (a full cache is cleared and refilled, never grown).
#[derive(Debug)]
pub struct Pattern {
    dfa: Arc<DFA>,
    /// The DFA's states built so far; one search at a time (the lock is never contended:
    /// a filter runs on one thread).
    /// Boxed: a cache is a few hundred bytes, and patterns sit in the filter's tree.
    cache: Box<Mutex<Cache>>,
}

/// The most memory one pattern's lazy DFA keeps, in bytes.
pub const CACHE_BYTES: usize = 1 << 20;

impl Clone for Pattern {
    fn clone(&self) -> Self {
        Pattern {
            dfa: Arc::clone(&self.dfa),
            cache: Box::new(Mutex::new(self.dfa.create_cache())),
        }
    }
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Without Unicode word boundaries the lazy DFA never quits: an error cannot happen.
        matches!(
            self.dfa
                .try_search_fwd(&mut cache, &Input::new(text).earliest(true)),
            Ok(Some(_))
        )
    }
}

/// A pattern from a filter, or what is wrong with it in words.
pub fn pattern(text: &str) -> Result<Pattern, String> {
    let source = non_ascii_as_literals(text)?;
    let dfa = DFA::builder()
        .syntax(
            regex_syntax::Config::new()
                .case_insensitive(true)
                .unicode(false)
                .utf8(false),
        )
        .thompson(thompson::Config::new().nfa_size_limit(Some(MAX_PATTERN_SIZE)))
        .configure(DFA::config().cache_capacity(CACHE_BYTES))
        .build(&source)
        .map_err(|e| format!("invalid regular expression: {}", error_text(&e)))?;
    Ok(Pattern {
        cache: Box::new(Mutex::new(dfa.create_cache())),
        dfa: Arc::new(dfa),
    })
}

/// The build error in one line: a syntax error's last line says what is wrong (the lines
/// before it quote the pattern with a caret, which the filter box's column does instead).
fn error_text(error: &regex_automata::hybrid::BuildError) -> String {
    let mut deepest: &dyn std::error::Error = error;
    while let Some(source) = deepest.source() {
        deepest = source;
    }
    let text = deepest.to_string();
    let last = text.lines().last().unwrap_or("");
    last.trim_start_matches("error: ").to_string()
}

/// The pattern with each non-ASCII character outside a class written as a Unicode literal
/// (`é` → `(?u-i:é)`), which the non-Unicode syntax otherwise refuses; one in a class is an
/// error that says so (a class of bytes would not mean what it says).
fn non_ascii_as_literals(pattern: &str) -> Result<String, String> {
    if pattern.is_ascii() {
        return Ok(pattern.to_string());
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = 0usize;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = chars.next() {
                    if !next.is_ascii() && in_class == 0 {
                        // `\é` is `é`.
                        out.pop();
                        out.push_str(&format!("(?u-i:{next})"));
                    } else {
                        out.push(next);
                    }
                }
            }
            '[' => {
                in_class += 1;
                out.push(c);
                // `]` first in a class (after `^`) is a literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            _ if c.is_ascii() => out.push(c),
            _ if in_class > 0 => {
                return Err(format!(
                    "invalid regular expression: '{c}' in a [class]: only ASCII characters \
                     may be in one (write it outside, e.g. (é|è))"
                ))
            }
            _ => out.push_str(&format!("(?u-i:{c})")),
        }
    }
    Ok(out)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Number => "a number",
        Kind::Bool => "true or false",
        Kind::Text => "text",
        Kind::Symbol(_) => "a name",
        Kind::Opcode => "an opcode",
        Kind::Lens => "text or a number",
    }
}

fn number(text: &str) -> Option<Number> {
    if let Some(hex) = text.strip_prefix("0x") {
        let int = u64::from_str_radix(hex, 16).ok()?;
        return Some(Number {
            int: Some(int),
            float: int as f64,
        });
    }
    let float: f64 = text.parse().ok()?;
    if !float.is_finite() {
        return None;
    }
    Some(Number {
        int: text.parse().ok(),
        float,
    })
}

fn operand(
    name: &str,
    kind: Option<Kind>,
    value: &Literal,
    at: usize,
) -> Result<Operand, SyntaxError> {
    let text = value.text();
    Ok(match kind {
        Some(Kind::Number) => match (value, number(text)) {
            (Literal::Number(_), Some(n)) => Operand::Number(n),
            _ => return fail(at, format!("{name} is a number; '{text}' is not one")),
        },
        Some(Kind::Bool) => match text {
            "true" | "1" => Operand::Bool(true),
            "false" | "0" => Operand::Bool(false),
            _ => return fail(at, format!("{name} is true or false; not '{text}'")),
        },
        Some(Kind::Symbol(names)) => match names.iter().find(|n| **n == text) {
            Some(n) => Operand::Symbol(n),
            None => return fail(at, unknown_name(name, text, names.iter().copied())),
        },
        Some(Kind::Opcode) => {
            let code = match value {
                Literal::Number(_) => number(text).and_then(|n| n.int).filter(|n| *n < 16),
                _ => opcode_number(text).map(u64::from),
            };
            match code {
                Some(code) => Operand::Number(Number {
                    int: Some(code),
                    float: code as f64,
                }),
                None => {
                    return fail(
                        at,
                        unknown_name(name, text, OPCODES.iter().copied())
                            .replace(" is one of ", " is 0–15 or one of "),
                    )
                }
            }
        }
        Some(Kind::Text) => Operand::Text(text.to_string()),
        // A lens's value is text or a number, whichever the protocol has.
        Some(Kind::Lens) => match value {
            Literal::Number(_) => match number(text) {
                Some(n) => Operand::Number(n),
                None => return fail(at, format!("'{text}' is not a number")),
            },
            _ => Operand::Text(text.to_string()),
        },
        // A JSON value is compared by what the literal looks like.
        None => match (value, text) {
            (Literal::Number(_), _) => match number(text) {
                Some(n) => Operand::Number(n),
                None => return fail(at, format!("'{text}' is not a number")),
            },
            (Literal::Word(_), "true") => Operand::Bool(true),
            (Literal::Word(_), "false") => Operand::Bool(false),
            _ => Operand::Text(text.to_string()),
        },
    })
}

fn unknown_name<'n>(
    field: &str,
    text: &str,
    names: impl Iterator<Item = &'n str> + Clone,
) -> String {
    let hint = closest(text, names.clone())
        .map(|n| format!(" (did you mean '{n}'?)"))
        .unwrap_or_default();
    let all: Vec<&str> = names.collect();
    format!("{field} is one of {}; not '{text}'{hint}", all.join(", "))
}

impl Node {
    fn eval(&self, record: &CaptureRecord, lens: Option<&LensFacts>) -> bool {
        match self {
            Node::All(terms) => terms.iter().all(|t| t.eval(record, lens)),
            Node::Any(terms) => terms.iter().any(|t| t.eval(record, lens)),
            Node::Not(inner) => !inner.eval(record, lens),
            Node::Test(test) => test.eval(record, lens),
        }
    }

    fn reads_lenses(&self) -> bool {
        match self {
            Node::All(terms) | Node::Any(terms) => terms.iter().any(Node::reads_lenses),
            Node::Not(inner) => inner.reads_lenses(),
            Node::Test(test) => matches!(test.subject, Subject::Lens(_)),
        }
    }
}

impl Test {
    fn eval(&self, record: &CaptureRecord, lens: Option<&LensFacts>) -> bool {
        match &self.subject {
            Subject::Lens(name) => lens.is_some_and(|facts| self.eval_lens(*name, facts)),
            Subject::Field(Field::Text) => match &self.check {
                Check::Present => each_text(&record.body, &mut |t| !t.is_empty()),
                check => each_text(&record.body, &mut |t| check.holds(Value::Text(t))),
            },
            Subject::Field(field) => match fields::value(*field, record) {
                Some(value) => self.check.holds(value),
                None => false,
            },
            Subject::Json(path) => {
                let found = json_source(&record.body).and_then(|text| json_path::find(text, path));
                match found {
                    None | Some(Found::Null) => false,
                    Some(Found::Bool(b)) => self.check.holds(Value::Bool(b)),
                    Some(Found::Text(s)) => self.check.holds(Value::Text(&s)),
                    Some(Found::Number(int, float)) => match &self.check {
                        Check::Present => true,
                        Check::Compare(op, Operand::Number(want)) => {
                            compare_numbers(Number { int, float }, *want)
                                .is_some_and(|o| op_holds(*op, o))
                        }
                        _ => false,
                    },
                    // Objects and arrays are present; their insides are reached by path.
                    Some(Found::Container) => matches!(self.check, Check::Present),
                }
            }
        }
    }
}

impl Test {
    fn eval_lens(&self, name: LensName, facts: &LensFacts) -> bool {
        let name = match name {
            LensName::Protocol(protocol) => {
                return self.check.holds(Value::Bool(facts.lens.is_named(protocol)))
            }
            LensName::Latency => {
                return facts
                    .latency_us
                    .is_some_and(|us| self.check.holds(Value::Number(us)))
            }
            LensName::Field(name) => name,
        };
        let mut values = facts
            .fields
            .iter()
            .filter(|f| f.name == name)
            .map(|f| &f.value)
            .peekable();
        if values.peek().is_none() {
            return false;
        }
        match &self.check {
            Check::Compare(Op::Ne, want) => !values.any(|v| lens_compare(Op::Eq, want, v)),
            Check::Compare(op, want) => values.any(|v| lens_compare(*op, want, v)),
            check => values.any(|v| match v {
                FieldValue::Text(text) => check.holds(Value::Text(text)),
                FieldValue::Number(n) => check.holds(Value::Text(&n.to_string())),
            }),
        }
    }
}

/// A lens value against a literal: numbers as numbers (a text value that reads as one too, so
/// `jsonrpc.id == 7` finds the id `7` but not `"7"`), text as text.
fn lens_compare(op: Op, want: &Operand, value: &FieldValue) -> bool {
    match (want, value) {
        (Operand::Number(want), FieldValue::Number(got)) => {
            let got = Number {
                int: u64::try_from(*got).ok(),
                float: *got as f64,
            };
            compare_numbers(got, *want).is_some_and(|o| op_holds(op, o))
        }
        (Operand::Number(want), FieldValue::Text(text)) => number(text)
            .and_then(|got| compare_numbers(got, *want))
            .is_some_and(|o| op_holds(op, o)),
        (Operand::Text(want), FieldValue::Text(got)) => op_holds(op, got.as_str().cmp(want)),
        (Operand::Text(want), FieldValue::Number(got)) => {
            matches!(op, Op::Eq | Op::Ne) && op_holds(op, got.to_string().as_str().cmp(want))
        }
        _ => false,
    }
}

fn op_holds(op: Op, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => ordering == Equal,
        Op::Ne => ordering != Equal,
        Op::Lt => ordering == Less,
        Op::Le => ordering != Greater,
        Op::Gt => ordering == Greater,
        Op::Ge => ordering != Less,
        Op::Matches | Op::Contains => false,
    }
}

fn compare_numbers(got: Number, want: Number) -> Option<std::cmp::Ordering> {
    match (got.int, want.int) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => got.float.partial_cmp(&want.float),
    }
}

impl Check {
    fn holds(&self, value: Value<'_>) -> bool {
        match (self, value) {
            (Check::Present, Value::Bool(b)) => b,
            (Check::Present, Value::Text(t)) => !t.is_empty(),
            (Check::Present, _) => true,
            (Check::Contains(needle), Value::Text(t)) => contains_ignoring_case(t, needle),
            (Check::Matches(pattern), Value::Text(t)) => pattern.is_match(t),
            (Check::Compare(op, Operand::Number(want)), Value::Number(got)) => {
                let got = Number {
                    int: Some(got),
                    float: got as f64,
                };
                compare_numbers(got, *want).is_some_and(|o| op_holds(*op, o))
            }
            (Check::Compare(op, Operand::Bool(want)), Value::Bool(got)) => {
                op_holds(*op, got.cmp(want))
            }
            (Check::Compare(op, Operand::Symbol(want)), Value::Symbol(got)) => {
                op_holds(*op, got.cmp(want))
            }
            (Check::Compare(op, Operand::Text(want)), Value::Text(got)) => {
                op_holds(*op, got.cmp(want.as_str()))
            }
            _ => false,
        }
    }
}

/// Whether `haystack` contains `needle` (already lowercased), ignoring case. An ASCII needle
/// is looked for byte by byte without lowercasing the haystack (the common case, and no
/// allocation per record); any other needle compares the lowercased haystack.
pub fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if !needle.is_ascii() {
        return haystack.to_lowercase().contains(needle);
    }
    let (hay, pin) = (haystack.as_bytes(), needle.as_bytes());
    if pin.len() > hay.len() {
        return false;
    }
    let first = pin[0];
    (0..=hay.len() - pin.len()).any(|i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + pin.len()]
                .iter()
                .zip(&pin[1..])
                .all(|(h, p)| h.to_ascii_lowercase() == *p)
    })
}
