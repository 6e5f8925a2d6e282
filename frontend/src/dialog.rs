//! The page's modal dialogs (kernel picker, tap routes, command palette, keyboard shortcuts,
//! the file conflict) share one frame: a backdrop that closes the dialog when clicked, the
//! dialog itself with its ARIA role, which takes the keys pressed inside it (Esc closes it
//! unless the dialog's own handler took Esc for something of its own), and the focus
//! given back on close to where it was before the dialog opened (as the WAI-ARIA dialog
//! pattern asks), unless closing put it somewhere itself.

use leptos::ev;
use leptos::prelude::*;

/// A modal dialog over a backdrop, shown while `open`. `overlay` names it for the key
/// listener (`data-overlay`: dialogs handle their own keys), `class` and `testid` are the
/// dialog's; `label` or `labelled_by` names it for assistive technology; `focusable` lets
/// the dialog itself take the focus (a dialog without a field of its own); `alert` makes it an
/// `alertdialog` (one that interrupts with a question). `on_key` sees the keys pressed in the
/// dialog first; an Esc it leaves alone (does not `preventDefault`) closes the dialog through
/// `on_close`, as a click on the backdrop does.
#[component]
pub fn Modal(
    #[prop(into)] open: Signal<bool>,
    overlay: &'static str,
    #[prop(optional)] backdrop_class: &'static str,
    class: &'static str,
    testid: &'static str,
    #[prop(optional)] label: Option<&'static str>,
    #[prop(optional)] labelled_by: Option<&'static str>,
    #[prop(optional)] focusable: bool,
    #[prop(optional)] alert: bool,
    #[prop(into)] on_close: Callback<()>,
    #[prop(optional, into)] on_key: Option<Callback<ev::KeyboardEvent>>,
    children: ChildrenFn,
) -> impl IntoView {
    let backdrop = format!("overlay-backdrop {backdrop_class}")
        .trim()
        .to_string();
    let dialog = format!("dialog {class}");
    // Where the focus was when the dialog opened.
    let before = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |was_open: Option<bool>| {
        let now_open = open.get();
        if now_open && was_open != Some(true) {
            before.set_value(focused());
        } else if !now_open && was_open == Some(true) {
            if let Some(element) = before.try_update_value(Option::take).flatten() {
                give_focus_back(element);
            }
        }
        now_open
    });
    view! {
        <Show when=move || open.get()>
            <div class=backdrop.clone() data-overlay=overlay on:click=move |_| on_close.run(())>
                <div
                    class=dialog.clone()
                    data-testid=testid
                    role=if alert { "alertdialog" } else { "dialog" }
                    aria-modal="true"
                    aria-label=label
                    aria-labelledby=labelled_by
                    tabindex=focusable.then_some("-1")
                    on:click=|ev| ev.stop_propagation()
                    on:keydown=move |ev: ev::KeyboardEvent| {
                        if let Some(on_key) = on_key {
                            on_key.run(ev.clone());
                        }
                        if ev.key() == "Escape" && !ev.default_prevented() {
                            ev.prevent_default();
                            on_close.run(());
                        }
                    }
                >
                    {children()}
                </div>
            </div>
        </Show>
    }
}

/// The focused element, if any besides the page itself.
fn focused() -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    document()
        .active_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|e| e.tag_name() != "BODY")
}

/// Focuses `element` again after a dialog closed, once the dialog has left the page, if the
/// focus went nowhere (the page itself) and the element is still there.
fn give_focus_back(element: web_sys::HtmlElement) {
    request_animation_frame(move || {
        if focused().is_none() && element.is_connected() {
            let _ = element.focus();
        }
    });
}
