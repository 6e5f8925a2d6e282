//! Components: thin views over the session's signals.

pub mod composer;
pub mod files;
pub mod frame_detail;
pub mod help;
pub mod inspector;
pub mod json_tree;
pub mod kernel_detail;
pub mod kernel_picker;
pub mod notebook;
pub mod outputs;
pub mod palette;
pub mod routes;
pub mod status;

use leptos::prelude::{document, request_animation_frame};
use wasm_bindgen::JsCast;

/// The first element matching `selector`, as the element type `T`.
pub fn element<T: JsCast>(selector: &str) -> Option<T> {
    document()
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<T>().ok())
}

/// Focuses the element matching `selector` once the view that is about to show it has been
/// rendered (the next animation frame).
pub fn focus_after_render(selector: &'static str) {
    request_animation_frame(move || {
        if let Some(element) = element::<web_sys::HtmlElement>(selector) {
            let _ = element.focus();
        }
    });
}
