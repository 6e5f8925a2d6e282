//! The kernel picker dialog: the kernels the server offers and a WebSocket URL field. Arrows
//! move, Enter chooses, Esc closes; the rules live in [`crate::kernel_picker`].

use leptos::ev;
use leptos::prelude::*;
use wirebook_shared::notebook::Command;
use wirebook_shared::session::{KernelChoice, WebSocketSettings};

use crate::app::{Overlay, Session};
use crate::kernel_picker::{entries, initial_highlight, is_current, websocket_url, Entry};
use crate::palette::step;

#[component]
pub fn KernelPicker(session: Session) -> impl IntoView {
    let open = Memo::new(move |_| session.overlay.get() == Overlay::KernelPicker);
    let list = Memo::new(move |_| session.kernels.with(|k| entries(k)));
    let highlighted = RwSignal::new(0usize);
    let url = RwSignal::new(String::new());
    let url_error = RwSignal::new(None::<String>);
    // The URL field shows once its entry is chosen (or when the current kernel is a URL).
    let url_open = RwSignal::new(false);
    let settings = RwSignal::new(WebSocketSettings::default());

    Effect::new(move |_| {
        if open.get() {
            let current = session.kernel_info.get_untracked();
            let rows = list.get_untracked();
            highlighted.set(initial_highlight(&rows, current.as_ref()));
            url_error.set(None);
            match current.map(|k| k.choice) {
                Some(KernelChoice::WebSocket {
                    url: current,
                    settings: current_settings,
                }) => {
                    url.set(current);
                    settings.set(current_settings);
                    url_open.set(true);
                }
                _ => url_open.set(false),
            }
            crate::view::focus_after_render("[data-testid=kernel-picker] [role=listbox]");
        }
    });

    let close = move || {
        session.overlay.set(Overlay::None);
        session.dispatch(Command::EnterCommandMode);
    };
    let choose_url = move || match websocket_url(&url.get_untracked()) {
        Ok(valid) => {
            close();
            session.choose_kernel(KernelChoice::WebSocket {
                url: valid,
                settings: settings.get_untracked(),
            });
        }
        Err(why) => url_error.set(Some(why)),
    };
    let choose = move |index: usize| match list.with_untracked(|l| l.get(index).cloned()) {
        Some(Entry::Offer(offer)) => {
            close();
            session.choose_kernel(offer.choice);
        }
        Some(Entry::WebSocketUrl) => {
            highlighted.set(index);
            url_open.set(true);
            crate::view::focus_after_render("[data-testid=kernel-url]");
        }
        None => {}
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        // Keys in the URL form (its field and button) are the form's.
        let in_field = event_target::<web_sys::Element>(&ev)
            .closest(".kernel-url-form")
            .ok()
            .flatten()
            .is_some();
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                close();
            }
            "ArrowDown" | "ArrowUp" if !in_field => {
                ev.prevent_default();
                let len = list.with_untracked(Vec::len);
                let down = ev.key() == "ArrowDown";
                highlighted.update(|h| *h = step(*h, len, down));
            }
            "Enter" if in_field => {
                ev.prevent_default();
                choose_url();
            }
            "Enter" => {
                ev.prevent_default();
                choose(highlighted.get_untracked());
            }
            _ => {}
        }
    };

    let rows = move || {
        let current = session.kernel_info.get();
        list.get()
            .into_iter()
            .enumerate()
            .map(|(index, entry)| {
                let current = is_current(&entry, current.as_ref());
                let selected = move || highlighted.get() == index;
                let (language, source) = match &entry {
                    Entry::Offer(offer) => (offer.language.clone(), Some(offer.source.clone())),
                    Entry::WebSocketUrl => (None, None),
                };
                view! {
                    <li
                        class="kernel-option"
                        class:highlighted=selected
                        class:current=current
                        role="option"
                        aria-selected=move || selected().to_string()
                        data-testid="kernel-option"
                        data-current=current.to_string()
                        on:mousemove=move |_| highlighted.set(index)
                        on:click=move |_| choose(index)
                    >
                        <span class="kernel-option-name">{entry.label()}</span>
                        <span class="kernel-option-kind">{entry.kind()}</span>
                        {language.map(|l| view! { <span class="kernel-option-language">{l}</span> })}
                        {current.then(|| view! { <span class="kernel-option-current">"current"</span> })}
                        {source.map(|s| {
                            let title = s.clone();
                            view! { <span class="kernel-option-source" title=title>{s}</span> }
                        })}
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <Show when=move || open.get()>
            <div class="overlay-backdrop" data-overlay="kernel-picker" on:click=move |_| close()>
                <div
                    class="dialog kernel-picker"
                    data-testid="kernel-picker"
                    role="dialog"
                    aria-modal="true"
                    aria-label="Choose a kernel"
                    on:click=|ev| ev.stop_propagation()
                    on:keydown=on_key
                >
                    <h2 class="dialog-title">"Choose a kernel"</h2>
                    <ul class="kernel-list" role="listbox" tabindex="0" aria-label="Kernels">
                        {rows}
                    </ul>
                    <Show when=move || url_open.get()>
                        <form
                            class="kernel-url-form"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                choose_url();
                            }
                        >
                            <label for="kernel-url">"WebSocket URL"</label>
                            <input
                                id="kernel-url"
                                type="text"
                                data-testid="kernel-url"
                                placeholder="ws://127.0.0.1:9000/socket"
                                autocomplete="off"
                                spellcheck="false"
                                aria-invalid=move || url_error.with(|e| e.is_some()).to_string()
                                aria-describedby="kernel-url-error"
                                prop:value=move || url.get()
                                on:input=move |ev| {
                                    url.set(event_target_value(&ev));
                                    url_error.set(None);
                                }
                            />
                            <button type="submit">"Connect"</button>
                            <div
                                id="kernel-url-error"
                                class="field-error"
                                data-testid="kernel-url-error"
                                role="alert"
                            >
                                {move || url_error.get()}
                            </div>
                        </form>
                    </Show>
                    <p class="dialog-hint">"↑ ↓ to move, Enter to choose, Esc to close"</p>
                </div>
            </div>
        </Show>
    }
}
