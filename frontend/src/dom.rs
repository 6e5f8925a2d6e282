//! The page's DOM, as the views reach it: an element by selector, focus once a view has
//! rendered, text copied to the clipboard, and small view settings kept in `localStorage`. (Questions are asked in the page:
//! `crate::question`.)

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

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

/// Gives the element matching `selector` the focus once the view has rendered, unless the
/// focus is inside it by then: a control the user (or a key) moved to in the meantime keeps
/// it. For a dialog taking the focus back after a part of it closed.
pub fn focus_within_after_render(selector: &'static str) {
    request_animation_frame(move || {
        let Some(element) = element::<web_sys::HtmlElement>(selector) else {
            return;
        };
        let active = document().active_element();
        if !active.is_some_and(|a| element.contains(Some(&a))) {
            let _ = element.focus();
        }
    });
}

/// A view setting an earlier visit kept in `localStorage` (none when storage is disabled).
pub fn stored_setting(key: &str) -> Option<String> {
    window()
        .local_storage()
        .ok()
        .flatten()?
        .get_item(key)
        .ok()
        .flatten()
}

/// Keeps a view setting for the next visit. A browser that refuses (storage disabled or
/// full) still shows it in this page, which is all a view setting needs: no notice.
pub fn store_setting(key: &str, value: &str) {
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item(key, value);
    }
}

/// Writes `text` to the clipboard and says how it went for a moment.
pub fn copy(text: String, what: &'static str, status: RwSignal<Option<String>>) {
    let navigator = window().navigator();
    // `navigator.clipboard` is missing outside secure contexts (plain http to another host).
    let has_clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .map(|c| !c.is_undefined())
        .unwrap_or(false);
    if !has_clipboard {
        status.set(Some(
            "the browser offers no clipboard here (needs https or localhost)".into(),
        ));
        return;
    }
    let promise = navigator.clipboard().write_text(&text);
    leptos::task::spawn_local(async move {
        let message = match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => format!("copied {what} ✓"),
            Err(e) => format!(
                "copy failed: {}",
                e.as_string()
                    .or_else(|| js_sys::Reflect::get(&e, &JsValue::from_str("message"))
                        .ok()
                        .and_then(|m| m.as_string()))
                    .unwrap_or_else(|| "the browser refused".into())
            ),
        };
        status.set(Some(message.clone()));
        set_timeout(
            move || {
                if status.get_untracked().as_deref() == Some(message.as_str()) {
                    status.set(None);
                }
            },
            std::time::Duration::from_millis(2500),
        );
    });
}

/// A section's copy button and the word on how the copy went: the button copies `text` and
/// the status says "copied `what` ✓" (or why not) for a moment.
#[component]
pub fn CopyButton(
    text: String,
    what: &'static str,
    label: &'static str,
    testid: &'static str,
    #[prop(optional)] title: Option<&'static str>,
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <span class="copy">
            <button data-testid=testid title=title on:click=move |_| copy(text.clone(), what, status)>
                {label}
            </button>
            <span class="copy-status" data-testid="copy-status" role="status">
                {move || status.get()}
            </span>
        </span>
    }
}
