//! Choosing the kernel: the picker's rules ([`picker`]), a WebSocket kernel's settings
//! ([`ws_settings`]) and URL check ([`websocket_url`]), and the picker dialog.

pub mod notebook_kernel;
pub mod picker;
pub mod view;
pub mod websocket_url;
pub mod ws_settings;
