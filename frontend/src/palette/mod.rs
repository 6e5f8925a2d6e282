//! The commands as the user finds them: each with its label, description and keys
//! ([`shortcuts`], also for the help overlay and the toolbar's tooltips), searched by what was
//! typed ([`search`]), and the command palette dialog.

pub mod search;
pub mod shortcuts;
pub mod view;
