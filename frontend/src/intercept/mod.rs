//! Intercept on the tap (`/api/intercept`): breakpoints per route and way, the messages they
//! hold with forward / edit / drop, and injecting a message into a live relay. The rules and
//! requests are in [`form`], the dialog in [`view`].

pub mod form;
pub mod view;
