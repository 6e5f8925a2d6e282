//! A checkbox inside its label, the one shape every view's on/off setting takes (kernel
//! settings, tap routes, the inspector's filter and mask toggles).

use leptos::prelude::*;

/// A `<label>` holding a checkbox (`data-testid` = `testid`) and then `children`, its text.
/// The box shows `checked` and hands each change to `on_toggle`; `class` and `title` go on the
/// label. Further attributes (`{..} class:flag=…`) reach the label too.
#[component]
pub fn LabelledCheckbox(
    testid: &'static str,
    #[prop(into)] checked: Signal<bool>,
    on_toggle: impl Fn(bool) + 'static,
    #[prop(optional)] class: Option<&'static str>,
    #[prop(optional)] title: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <label class=class title=title>
            <input
                type="checkbox"
                data-testid=testid
                prop:checked=move || checked.get()
                on:change=move |ev| on_toggle(event_target_checked(&ev))
            />
            {children()}
        </label>
    }
}
