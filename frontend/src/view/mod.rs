//! Components: thin views over the session's signals.

pub mod inspector;
pub mod notebook;
pub mod status;
