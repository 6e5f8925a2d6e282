//! wirebook's browser UI: a notebook pane whose cells run on a kernel through the wirebook
//! server, and an inspector pane showing every frame and handshake on every hop.
//!
//! The folders are features, each with its pure models (tested on the host) and its view:
//! `notebook`, `outputs`, `inspector`, `json_tree`, `kernel`, `files`, `keys`, `palette`,
//! `routes`, and `status_bar`; `editor` is the code editor in every cell (CodeMirror) with the
//! kernel's completion and inspection. The notebook model itself is `wirebook_notebook`.
//! Below them: `session` (the page's state and its links to the server), `api` (the server's
//! HTTP API), `page_base` (the base URL every server URL is under) and `dom`; `app` composes the page
//! and `startup` orders its start (the first cell first).

mod api;
mod app;
mod checkbox;
mod chunk;
mod clock;
mod codemirror;
mod dialog;
mod dom;
mod editor;
mod files;
mod inspector;
mod intercept;
mod json_tree;
mod kernel;
mod keys;
mod notebook;
mod outputs;
mod page_base;
mod palette;
mod platform;
mod question;
mod routes;
mod session;
mod splitter;
mod startup;
mod status_bar;

fn main() {
    startup::mark("main");
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
    startup::mark("mounted");
}
