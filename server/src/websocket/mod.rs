//! The WebSocket layer every socket the server serves shares: accepting the upgrade
//! ([`upgrade`]) and closing ([`close`]: close frames and time limits).

pub mod close;
pub mod upgrade;
