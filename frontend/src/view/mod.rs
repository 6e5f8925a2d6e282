//! Components: thin views over the session's signals.

pub mod files;
pub mod frame_detail;
pub mod help;
pub mod inspector;
pub mod json_tree;
pub mod notebook;
pub mod outputs;
pub mod palette;
pub mod status;
