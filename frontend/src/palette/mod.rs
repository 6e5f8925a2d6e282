//! The command palette: which commands match what was typed ([`search`]), and the dialog.

pub mod search;
pub mod view;
