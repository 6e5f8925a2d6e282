//! The keyboard: key presses to notebook commands ([`keymap`], [`listener`]), rebinding
//! ([`rebind`]) kept across visits ([`storage`]), and the keyboard shortcuts overlay.

pub mod keymap;
pub mod listener;
pub mod rebind;
pub mod storage;
pub mod view;
