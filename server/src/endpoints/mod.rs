//! The WebSocket peers wirebook serves itself, without the token: [`echo`] (`/echo`, the
//! built-in kernel) and [`demo`] (`/demo/*`, peers that behave in ways worth watching).

pub mod demo;
pub mod echo;
