//! Which way a message went on a connection: the one word the wire layer, the Jupyter
//! records and the capture records all need, kept below them so none imports another for it.

use serde::{Deserialize, Serialize};

/// Direction of a message relative to the connection's roles. On both hops the client is the
/// end nearer the browser, so `ToServer` always points toward the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ToServer,
    ToClient,
}

impl Direction {
    /// Its name as the records and the filter language spell it (`to_server`, `to_client`).
    pub fn name(self) -> &'static str {
        match self {
            Direction::ToServer => "to_server",
            Direction::ToClient => "to_client",
        }
    }

    /// The arrow the inspector shows: left is the browser, right is the kernel.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ToServer => "→",
            Direction::ToClient => "←",
        }
    }
}
