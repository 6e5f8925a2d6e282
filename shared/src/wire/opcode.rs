//! WebSocket opcodes (RFC 6455 §5.2): the frame decoder's, the findings' and the capture
//! records' name for a frame's kind.

use serde::{Deserialize, Serialize};

/// WebSocket opcodes (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
    /// 0x3–0x7 and 0xB–0xF: reserved, a protocol error unless an extension defines them.
    Reserved(u8),
}

impl Opcode {
    pub fn from_u8(value: u8) -> Self {
        match value & 0x0f {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            other => Opcode::Reserved(other),
        }
    }

    pub fn as_u8(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
            Opcode::Reserved(v) => v & 0x0f,
        }
    }

    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }

    pub fn name(self) -> &'static str {
        match self {
            Opcode::Continuation => "continuation",
            Opcode::Text => "text",
            Opcode::Binary => "binary",
            Opcode::Close => "close",
            Opcode::Ping => "ping",
            Opcode::Pong => "pong",
            Opcode::Reserved(_) => "reserved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_round_trip_through_their_numbers() {
        for v in 0..16u8 {
            assert_eq!(Opcode::from_u8(v).as_u8(), v);
        }
        assert!(Opcode::Ping.is_control());
        assert!(Opcode::Reserved(0xB).is_control());
        assert!(!Opcode::Text.is_control());
    }
}
