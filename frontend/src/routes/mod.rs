//! The tap routes dialog (`/tap/NAME`): the new route's checks ([`form`]), and the dialog.

pub mod form;
pub mod view;
