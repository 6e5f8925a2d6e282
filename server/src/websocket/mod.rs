//! The WebSocket layer every socket the server serves shares: accepting the upgrade
//! ([`upgrade`]), closing ([`close`]: close frames and time limits), and the reads under the
//! codec ([`read_ahead`]: small while messages are small).

pub mod close;
pub mod read_ahead;
pub mod upgrade;
