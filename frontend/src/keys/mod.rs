//! The keyboard: key presses to notebook commands ([`keymap`]), rebinding ([`rebind`]), the
//! commands as the overlay, palette and tooltips list them ([`shortcuts`]), and the keyboard
//! shortcuts overlay.

pub mod keymap;
pub mod listener;
pub mod rebind;
pub mod shortcuts;
pub mod storage;
pub mod view;
