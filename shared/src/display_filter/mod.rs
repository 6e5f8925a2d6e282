//! The inspector's display filter, Wireshark-style: an expression over a capture record's
//! fields (`hop == kernel && opcode == close`, `len > 1024`, `text ~ "error"`,
//! `json.type == "subscribe"`, `finding`), parsed once and compiled ([`DisplayFilter`]), so
//! that the server (page queries) and the browser (live rows) run one implementation.
//!
//! Besides the record's own fields, the names the protocol lenses give (`socketio.event`,
//! `mqtt.topic`, the protocols alone as `mqtt`, and `latency`) are read from the facts the
//! caller keeps per record (`crate::lens::dissector::LensFacts`): a lens reads a connection in
//! order, which a record alone cannot.
//!
//! `syntax`: the grammar and its errors; `fields`: the fields, how each is read from a record,
//! and completion for the filter box; `json_path`: one value out of a JSON text without
//! building it; `compiled`: resolution, the limits, and matching; `clauses`: the filter bar's
//! chips and menus as edits of the expression's top-level `&&` clauses.

mod clauses;
mod compiled;
mod fields;
mod json_path;
mod syntax;

#[cfg(test)]
pub(crate) mod tests;

pub use clauses::{field_value, has_clause, plain_words, quoted, set_field_clause, toggle_clause};
pub use compiled::{
    contains_ignoring_case, pattern, DisplayFilter, FilterError, Pattern, MAX_PATTERNS,
    MAX_PATTERN_SIZE,
};
pub use fields::{
    channel_of, complete, direction_name, direction_of, each_text, has_findings, heartbeat_line,
    intercept_line, Completion, Suggestion, FIELDS,
};
pub use syntax::{Op, MAX_DEPTH, MAX_EXPR_LEN};
