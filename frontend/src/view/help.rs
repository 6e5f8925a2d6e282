//! The keyboard shortcuts overlay (`H`, the toolbar's `?`): every command with its keys in the
//! current keymap, command mode and edit mode side by side.

use leptos::ev;
use leptos::prelude::*;
use wirebook_shared::notebook::commands::{CommandId, Scope};

use crate::app::{Overlay, Session};
use crate::shortcuts::{self, Shortcut};

fn keys_view(keys: &[String]) -> impl IntoView {
    if keys.is_empty() {
        return view! { <span class="no-keys">"—"</span> }.into_any();
    }
    keys.iter()
        .map(|key| {
            // A sequence such as "D D": one <kbd> per press.
            let parts: Vec<String> = key.split(' ').map(shortcuts::display).collect();
            view! {
                <span class="key-combo">
                    {parts.into_iter().map(|p| view! { <kbd>{p}</kbd> }).collect_view()}
                </span>
            }
        })
        .collect_view()
        .into_any()
}

fn row(shortcut: &Shortcut, keys: Vec<String>) -> impl IntoView {
    view! {
        <tr data-command=shortcut.id.name()>
            <td class="help-keys">{keys_view(&keys)}</td>
            <td>
                <span class="help-label">{shortcut.id.label()}</span>
                <span class="help-description">{shortcut.id.description()}</span>
            </td>
        </tr>
    }
}

#[component]
pub fn HelpOverlay(session: Session) -> impl IntoView {
    let open = Memo::new(move |_| session.overlay.get() == Overlay::Help);
    let close = move || {
        session.overlay.set(Overlay::None);
        session.dispatch(wirebook_shared::notebook::Command::EnterCommandMode);
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        if matches!(ev.key().as_str(), "Escape" | "h" | "H") && !ev.ctrl_key() && !ev.meta_key() {
            ev.prevent_default();
            ev.stop_propagation();
            close();
        }
    };
    Effect::new(move |_| {
        if open.get() {
            request_animation_frame(|| {
                if let Some(dialog) = document()
                    .query_selector("[data-testid=help-overlay]")
                    .ok()
                    .flatten()
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                {
                    let _ = dialog.focus();
                }
            });
        }
    });
    view! {
        <Show when=move || open.get()>
            {move || {
                let all = session.keymap.with(shortcuts::all);
                let palette_keys = all
                    .iter()
                    .find(|s| s.id == CommandId::ShowPalette)
                    .map(|s| s.keys.clone())
                    .unwrap_or_default();
                let command_rows = all
                    .iter()
                    .filter(|s| s.id.scope() != Scope::Edit)
                    .map(|s| row(s, s.keys.clone()))
                    .collect_view();
                let edit_rows = all
                    .iter()
                    .filter(|s| s.id.scope() == Scope::Edit || !s.edit_keys().is_empty())
                    .map(|s| {
                        let keys = if s.id.scope() == Scope::Edit { s.keys.clone() } else { s.edit_keys() };
                        row(s, keys)
                    })
                    .collect_view();
                view! {
                    <div
                        class="overlay-backdrop"
                        data-overlay="help"
                        on:click=move |_| close()
                        on:keydown=on_key
                    >
                        <div
                            class="dialog help"
                            data-testid="help-overlay"
                            role="dialog"
                            aria-modal="true"
                            aria-labelledby="help-title"
                            tabindex="-1"
                            on:click=|ev| ev.stop_propagation()
                        >
                            <div class="dialog-header">
                                <h2 id="help-title">"Keyboard shortcuts"</h2>
                                <span class="dialog-hint">
                                    <kbd>"Esc"</kbd>" closes · "{keys_view(&palette_keys)}
                                    " finds any command by name"
                                </span>
                                <button class="dismiss" aria-label="Close" on:click=move |_| close()>"✕"</button>
                            </div>
                            <div class="help-columns">
                                <section>
                                    <h3>"Command mode "<span class="mode-chip command">"blue"</span></h3>
                                    <table class="help-table"><tbody>{command_rows}</tbody></table>
                                </section>
                                <section>
                                    <h3>"Edit mode "<span class="mode-chip edit">"green"</span></h3>
                                    <table class="help-table"><tbody>{edit_rows}</tbody></table>
                                    <p class="help-note">
                                        "Keys pressed one after the other (such as "<kbd>"D"</kbd><kbd>"D"</kbd>
                                        ") must follow within a second."
                                    </p>
                                </section>
                            </div>
                        </div>
                    </div>
                }
            }}
        </Show>
    }
}
