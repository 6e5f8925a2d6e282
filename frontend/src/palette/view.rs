//! The command palette: type to filter every command (by name, description or keys), arrows
//! to pick, Enter to run, Esc to close. Fully keyboard driven.

use leptos::ev;
use leptos::prelude::*;

use crate::dialog::Modal;
use crate::palette::search::{search, step};
use crate::palette::shortcuts;
use crate::session::{Overlay, Session};

#[component]
pub fn CommandPalette(session: Session) -> impl IntoView {
    let open = Memo::new(move |_| session.overlay.get() == Overlay::Palette);
    let query = RwSignal::new(String::new());
    let highlighted = RwSignal::new(0usize);
    let all = StoredValue::new(Vec::new());
    let matches = Memo::new(move |_| {
        let query = query.get();
        all.with_value(|all| search(all, &query))
    });

    Effect::new(move |_| {
        if open.get() {
            all.set_value(session.keymap.with_untracked(shortcuts::all));
            query.set(String::new());
            highlighted.set(0);
            crate::dom::focus_after_render("[data-testid=command-palette] input");
        }
    });

    let close = move || session.overlay.set(Overlay::None);
    let run = move |index: usize| {
        let id = all.with_value(|all| all.get(index).map(|s| s.id));
        close();
        let Some(id) = id else { return };
        // The palette took the focus from the editor: a split needs the editor's selection,
        // which is gone, so it is only offered by its key.
        match id.command(None) {
            Some(command) => session.dispatch(command),
            None => session
                .notices
                .update(|n| n.push(format!("{}: use its key in the editor", id.label()))),
        }
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        let list = matches.get_untracked();
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                close();
                session.dispatch(wirebook_notebook::Command::EnterCommandMode);
            }
            "ArrowDown" | "ArrowUp" => {
                ev.prevent_default();
                let down = ev.key() == "ArrowDown";
                highlighted.update(|h| *h = step(*h, list.len(), down));
                scroll_highlighted_into_view();
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(&index) = list.get(highlighted.get_untracked()) {
                    run(index);
                }
            }
            _ => {}
        }
    };

    view! {
        <Modal
            open=open
            overlay="palette"
            backdrop_class="palette-backdrop"
            class="palette"
            testid="command-palette"
            label="Command palette"
            on_close=move |()| close()
            on_key=on_key
        >
                    <input
                        type="text"
                        class="palette-input"
                        placeholder="Type a command…"
                        aria-label="Search commands"
                        aria-controls="palette-list"
                        autocomplete="off"
                        spellcheck="false"
                        prop:value=move || query.get()
                        on:input=move |ev| {
                            query.set(event_target_value(&ev));
                            highlighted.set(0);
                        }
                    />
                    <ul class="palette-list" id="palette-list" role="listbox">
                        {move || {
                            let list = matches.get();
                            if list.is_empty() {
                                return view! { <li class="palette-empty">"No command matches."</li> }
                                    .into_any();
                            }
                            list.into_iter()
                                .enumerate()
                                .map(|(position, index)| {
                                    let shortcut = all.with_value(|all| all[index].clone());
                                    let selected = move || highlighted.get() == position;
                                    view! {
                                        <li
                                            class="palette-item"
                                            class:highlighted=selected
                                            role="option"
                                            aria-selected=move || selected().to_string()
                                            data-command=shortcut.id.name()
                                            on:mousemove=move |_| highlighted.set(position)
                                            on:click=move |_| run(index)
                                        >
                                            <span class="palette-label">{shortcut.id.label()}</span>
                                            <span class="palette-keys">
                                                {shortcut
                                                    .keys
                                                    .iter()
                                                    .map(|k| view! { <kbd>{shortcuts::display(k)}</kbd> })
                                                    .collect_view()}
                                            </span>
                                        </li>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }}
                    </ul>
        </Modal>
    }
}

fn scroll_highlighted_into_view() {
    request_animation_frame(|| {
        if let Some(item) = document()
            .query_selector(".palette-item.highlighted")
            .ok()
            .flatten()
        {
            item.scroll_into_view_with_bool(false);
        }
    });
}
