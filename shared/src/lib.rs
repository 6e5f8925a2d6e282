//! wirebook's pure protocol code, shared by the server (host) and the frontend (wasm32).
//!
//! Nothing here does IO: the modules turn values into values so that both sides agree on the
//! wire format and everything can be tested on the host.

pub mod backoff;
pub mod base_url;
pub mod capture;
pub mod capture_filter;
pub mod capture_page;
pub mod cell_format;
pub mod direction;
pub mod display_filter;
pub mod expect;
pub mod hex;
pub mod intercept_api;
pub mod ipynb;
pub mod jupyter;
pub mod kept_kernels;
pub mod lens;
pub mod notebook_files;
pub mod packed;
pub mod raw_frame;
pub mod reply_diff;
pub mod reply_wait;
pub mod route_api;
pub mod session;
pub mod sorting;
pub mod wire;

pub use capture::{
    CaptureBody, CaptureRecord, CloseSummary, ConnId, FrameRecord, HandshakeRecord, Hop,
    HttpHeadRecord, MessageSummary,
};
pub use direction::Direction;
pub use jupyter::{Channel, KernelMessageRecord};
pub use session::{
    ClientMsg, HeaderSetting, KernelChoice, KernelInfo, KernelMessage, KernelOffer, KernelState,
    ServerMsg, WebSocketSettings, WireData, PROTOCOL_VERSION,
};
pub use wire::Opcode;
