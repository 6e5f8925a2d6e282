//! wirebook's pure protocol code, shared by the server (host) and the frontend (wasm32).
//!
//! Nothing here does IO: the modules turn values into values so that both sides agree on the
//! wire format and everything can be tested on the host.

pub mod backoff;
pub mod capture;
pub mod cell_format;
pub mod har;
pub mod ipynb;
pub mod jupyter;
pub mod notebook;
pub mod notebook_files;
pub mod route_api;
pub mod session;
pub mod wire;

pub use capture::{
    CaptureBody, CaptureRecord, CloseSummary, ConnId, Direction, FrameRecord, HandshakeRecord, Hop,
    HttpHeadRecord, MessageSummary, Opcode,
};
pub use jupyter::{Channel, KernelMessageRecord};
pub use session::{
    ClientMsg, HeaderSetting, KernelChoice, KernelInfo, KernelOffer, KernelState, ServerMsg,
    WebSocketSettings, WireData, PROTOCOL_VERSION,
};
