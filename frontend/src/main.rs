//! wirebook's browser UI: a notebook pane whose cells run on a kernel through the wirebook
//! server, and an inspector pane showing every frame and handshake on every hop.
//!
//! Pure models (`keymap`, `rebind`, `backoff`, `inspector`, `row_filter`, `virtual_list`,
//! `frame_layout`, `json_tree`, `detail`, `capture_export`, `status`, `remote_content`, and the
//! notebook in `wirebook_notebook`) hold the logic and are tested on the host; `app`, `socket` and
//! `view` wire them to signals, the WebSocket and the DOM.

mod ansi;
mod api;
mod app;
mod backoff;
mod capture_export;
mod cell_sending;
mod code_editing;
mod composer;
mod detail;
mod document_file;
mod file_list;
mod file_sync;
mod frame_layout;
mod har_import;
mod html_sanitizer;
mod inspector;
mod json_tree;
mod kernel_picker;
mod kernel_tree;
mod keymap;
mod markdown;
mod palette;
mod pattern;
mod rebind;
mod remote_content;
mod replay;
mod rich_output;
mod route_form;
mod row_filter;
mod shortcuts;
mod socket;
mod status;
mod view;
mod virtual_list;
mod websocket_url;
mod ws_settings;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
