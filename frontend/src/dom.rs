//! The page's DOM, as the views reach it: an element by selector, focus once a view has
//! rendered, and the browser's confirm dialog.

use leptos::prelude::{document, request_animation_frame, window};
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

/// Asks the browser's confirm dialog (keyboard friendly: Enter / Esc).
pub fn confirm(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}
