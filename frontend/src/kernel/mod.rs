//! Choosing the kernel: the picker's rules ([`picker`]), a WebSocket kernel's settings
//! ([`ws_settings`]) and URL check ([`websocket_url`]), the picker dialog, the dialog that
//! confirms a restart ([`restart_view`]); the kernels the server keeps: the "Running kernels"
//! list's words ([`running`]) and dialog ([`running_view`]).

pub mod notebook_kernel;
pub mod picker;
pub mod restart_view;
pub mod running;
pub mod running_view;
pub mod view;
pub mod websocket_url;
pub mod ws_settings;
