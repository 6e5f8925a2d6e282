//! Components: thin views over the session's signals.

pub mod frame_detail;
pub mod inspector;
pub mod json_tree;
pub mod notebook;
pub mod status;
