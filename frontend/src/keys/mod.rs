//! The keyboard: key presses to notebook commands ([`keymap`], [`listener`]), rebinding
//! ([`rebind`]) kept across visits ([`storage`]), keys labelled as the user's keyboard labels
//! them ([`platform`]), and the keyboard shortcuts overlay.

pub mod keymap;
pub mod listener;
pub mod platform;
pub mod rebind;
pub mod storage;
pub mod view;
