//! The find and replace bar over the cells (Ctrl+F in command mode): the query, the
//! replacement, "n of m", previous / next (Enter, Shift+Enter), replace one or all, match case;
//! Esc closes it. The current match is selected in its cell's editor, which scrolls to it;
//! replacing goes through the editors, so each cell's Ctrl+Z takes it back.

use leptos::ev;
use leptos::prelude::*;
use wirebook_notebook::Command;

use crate::codemirror::open_editors;
use crate::session::Session;
use wirebook_notebook::find::{cells_with_hits, ranges_in, Hit};

#[component]
pub fn FindBar(session: Session) -> impl IntoView {
    let find = session.find;
    let notebook = session.notebook;
    let hits = Memo::new(move |_| {
        if !find.with(|f| f.open) {
            return Vec::new();
        }
        find.with(|f| {
            notebook.with(|n| f.hits(n.cells().iter().map(|c| (&c.id, c.source.as_str()))))
        })
    });
    let current = Memo::new(move |_| find.with(|f| f.current_of(hits.with(Vec::len))));
    let count_text = move || {
        let total = hits.with(Vec::len);
        match current.get() {
            _ if find.with(|f| f.query.is_empty()) => String::new(),
            Some(i) => format!("{} of {total}", i + 1),
            None => "no matches".into(),
        }
    };
    let current_hit = move || current.get().and_then(|i| hits.with(|h| h.get(i).cloned()));
    let show = move || {
        if let Some(hit) = current_hit() {
            show_hit(&hit);
        }
    };
    let step = move |by: isize| {
        let count = hits.with_untracked(Vec::len);
        find.update(|f| f.step(by, count));
        show();
    };
    let replace_one = move || {
        let Some(hit) = current_hit() else {
            return;
        };
        let with = find.with_untracked(|f| f.replacement.clone());
        open_editors::with(&hit.cell_id, |e| {
            e.replace_each(vec![to_u32(hit.from)], vec![to_u32(hit.to)], &with)
        });
        // The match after it is now the current one.
        show();
    };
    let replace_all = move || {
        let all = hits.get_untracked();
        let with = find.with_untracked(|f| f.replacement.clone());
        for cell_id in cells_with_hits(&all) {
            let (starts, ends) = ranges_in(&all, &cell_id);
            open_editors::with(&cell_id, |e| e.replace_each(starts, ends, &with));
        }
        find.update(|f| f.current = 0);
    };
    let close = move || {
        let back_to = current_hit().map(|h| h.cell_id);
        find.update(|f| f.open = false);
        match back_to {
            Some(cell_id) => session.dispatch(Command::Select(cell_id)),
            None => crate::dom::focus_after_render("[data-testid=cell].active"),
        }
    };
    let on_query = move |ev: ev::Event| {
        let query = event_target_value(&ev);
        find.update(|f| {
            f.query = query;
            f.current = 0;
        });
        show();
    };
    let on_query_key = move |ev: ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            step(if ev.shift_key() { -1 } else { 1 });
        }
        "Escape" => {
            ev.prevent_default();
            close();
        }
        _ => {}
    };
    let on_replacement_key = move |ev: ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            replace_one();
        }
        "Escape" => {
            ev.prevent_default();
            close();
        }
        _ => {}
    };
    view! {
        <Show when=move || find.with(|f| f.open)>
            <div class="find-bar" data-testid="find-bar" role="search" aria-label="Find and replace in the notebook">
                <input
                    type="search"
                    data-testid="find-query"
                    placeholder="Find"
                    aria-label="Find in all cells (Enter: next, Shift+Enter: previous, Esc: close)"
                    spellcheck="false"
                    prop:value=move || find.with(|f| f.query.clone())
                    on:input=on_query
                    on:keydown=on_query_key
                />
                <span class="find-count" data-testid="find-count" role="status">{count_text}</span>
                <button title="Previous match (Shift+Enter)" aria-label="Previous match" on:click=move |_| step(-1)>"↑"</button>
                <button title="Next match (Enter)" aria-label="Next match" on:click=move |_| step(1)>"↓"</button>
                <label class="find-case" title="Match case">
                    <input
                        type="checkbox"
                        data-testid="find-case"
                        prop:checked=move || find.with(|f| f.match_case)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            find.update(|f| {
                                f.match_case = on;
                                f.current = 0;
                            });
                        }
                    />
                    "Aa"
                </label>
                <input
                    type="text"
                    data-testid="find-replacement"
                    placeholder="Replace with"
                    aria-label="Replace with (Enter: replace this match)"
                    spellcheck="false"
                    prop:value=move || find.with(|f| f.replacement.clone())
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        find.update(|f| f.replacement = text);
                    }
                    on:keydown=on_replacement_key
                />
                <button
                    data-testid="find-replace"
                    disabled=move || current.get().is_none()
                    on:click=move |_| replace_one()
                >
                    "Replace"
                </button>
                <button
                    data-testid="find-replace-all"
                    disabled=move || current.get().is_none()
                    on:click=move |_| replace_all()
                >
                    "Replace all"
                </button>
                <button class="find-close" title="Close (Esc)" aria-label="Close find" on:click=move |_| close()>
                    "✕"
                </button>
            </div>
        </Show>
    }
}

/// Selects `hit` in its cell's editor, which scrolls it into view.
fn show_hit(hit: &Hit) {
    open_editors::with(&hit.cell_id, |e| e.select(to_u32(hit.from), to_u32(hit.to)));
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
