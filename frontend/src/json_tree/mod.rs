//! JSON payloads as a collapsible tree: the document as sent, flattened into rows
//! ([`tree`]), and its view (used by the inspector and by cell outputs).

pub mod tree;
pub mod view;
