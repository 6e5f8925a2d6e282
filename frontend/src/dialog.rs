//! The page's modal dialogs (kernel picker, tap routes, command palette, keyboard shortcuts)
//! share one frame: a backdrop that closes the dialog when clicked, and the dialog itself with
//! its ARIA role, which takes the keys pressed inside it.

use leptos::ev;
use leptos::prelude::*;

/// A modal dialog over a backdrop, shown while `open`. `overlay` names it for the key
/// listener (`data-overlay`: dialogs handle their own keys), `class` and `testid` are the
/// dialog's; `label` or `labelled_by` names it for assistive technology; `focusable` lets
/// the dialog itself take the focus (a dialog without a field of its own).
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
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_key: Callback<ev::KeyboardEvent>,
    children: ChildrenFn,
) -> impl IntoView {
    let backdrop = format!("overlay-backdrop {backdrop_class}")
        .trim()
        .to_string();
    let dialog = format!("dialog {class}");
    view! {
        <Show when=move || open.get()>
            <div class=backdrop.clone() data-overlay=overlay on:click=move |_| on_close.run(())>
                <div
                    class=dialog.clone()
                    data-testid=testid
                    role="dialog"
                    aria-modal="true"
                    aria-label=label
                    aria-labelledby=labelled_by
                    tabindex=focusable.then_some("-1")
                    on:click=|ev| ev.stop_propagation()
                    on:keydown=move |ev| on_key.run(ev)
                >
                    {children()}
                </div>
            </div>
        </Show>
    }
}
