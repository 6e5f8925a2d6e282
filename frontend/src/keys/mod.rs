//! The keyboard: key presses to notebook commands ([`keymap`], [`listener`]), rebinding
//! ([`rebind`]) kept across visits ([`storage`]), and the keyboard shortcuts overlay. (Keys
//! labelled as the user's keyboard labels them: `crate::platform`.)

pub mod keymap;
pub mod listener;
pub mod rebind;
pub mod storage;
pub mod view;
