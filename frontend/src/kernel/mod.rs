//! Choosing the kernel: the picker's rules ([`picker`]), a WebSocket kernel's settings
//! ([`ws_settings`]) and URL check ([`websocket_url`]), and the picker dialog; the kernels the
//! server keeps: the "Running kernels" list's words ([`running`]) and dialog
//! ([`running_view`]).

pub mod notebook_kernel;
pub mod picker;
pub mod running;
pub mod running_view;
pub mod view;
pub mod websocket_url;
pub mod ws_settings;
