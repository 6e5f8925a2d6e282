//! wirebook's browser UI: a notebook pane whose cells run on a kernel through the wirebook
//! server, and an inspector pane showing every message on both hops.
//!
//! Pure models (`keymap`, `backoff`, `inspector`, `status`, and the notebook in
//! `wirebook_shared::notebook`) hold the logic and are tested on the host; `app`, `socket` and
//! `view` wire them to signals, the WebSocket and the DOM.

mod app;
mod backoff;
mod inspector;
mod keymap;
mod socket;
mod status;
mod view;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
