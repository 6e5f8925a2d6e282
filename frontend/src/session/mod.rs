//! The page's session with the server: the `/session` WebSocket that carries cell runs and
//! capture records, reopened with backoff when it drops.

pub mod backoff;
pub mod socket;
