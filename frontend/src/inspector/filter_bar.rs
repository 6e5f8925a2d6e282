//! The inspector's filter bar: the connection or hop, the direction, the filter box (a
//! display-filter expression or plain words, or with `.*` a regular expression; applied
//! 150 ms after the last keystroke, its error with the column under it, field names completed
//! in a list under it), the kernel channel and msg_types, findings only, and a chip per kind
//! of row. The menus and chips are shortcuts that write their clause in the box
//! ([`filter_chips`](crate::inspector::filter_chips)) and read their state back from it, so
//! the box always says the whole filter; what the bar sets is the [`FilterSpec`]'s
//! expression (or pattern).

use std::time::Duration;

use leptos::prelude::*;
use wirebook_shared::display_filter::{has_clause, toggle_clause};
use wirebook_shared::jupyter::Channel;

use crate::checkbox::LabelledCheckbox;
use crate::inspector::filter_chips::{
    base_expression, menu_value, msg_type_words, msg_types_of, scope_of, with_menu_value,
    with_msg_types, with_scope,
};
use crate::inspector::filter_suggestions::{byte_offset, utf16_offset, KeyOutcome, Suggestions};
use crate::inspector::row_filter::{scope_options, FilterSpec, RowKind, Scope};
use crate::session::Session;

/// How long the box waits after a keystroke before filtering (a regex over 100k rows is not
/// free, and each keystroke's filter would be thrown away by the next).
const DEBOUNCE: Duration = Duration::from_millis(150);

/// The box's text in a spec: the pattern with `.*` on, the expression otherwise.
fn box_text(spec: &FilterSpec) -> &str {
    if spec.regex {
        &spec.search
    } else {
        &spec.expr
    }
}

#[component]
pub fn FilterBar(
    session: Session,
    spec: RwSignal<FilterSpec>,
    error: RwSignal<Option<String>>,
    set_filter: impl Fn(&dyn Fn(&mut FilterSpec)) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let inspector = session.records;
    let scope_options = move || inspector.with(scope_options);
    // What the box shows, ahead of the spec while a keystroke waits out the debounce.
    let draft = RwSignal::new(spec.with_untracked(|s| box_text(s).to_string()));
    // Keystrokes scheduled and applied: the spec is copied into the box only when none waits.
    let typed = StoredValue::new((0u64, 0u64));
    Effect::new(move |_| {
        let text = spec.with(|s| box_text(s).to_string());
        let (scheduled, applied) = typed.get_value();
        if scheduled == applied && draft.get_untracked() != text {
            draft.set(text);
        }
    });
    let suggestions = RwSignal::new(Suggestions::default());
    let input = NodeRef::<leptos::html::Input>::new();
    // A shortcut's edit: the box's text (a keystroke still waiting included) rewritten, and
    // applied at once. With the regex toggle on, the pattern becomes a `text ~` test first.
    let edit_expr = move |edit: &dyn Fn(&str) -> String| {
        // A keystroke's timer still waiting finds itself overtaken and does nothing.
        typed.update_value(|(scheduled, applied)| {
            *scheduled += 1;
            *applied = *scheduled;
        });
        suggestions.update(Suggestions::close);
        let regex = spec.with_untracked(|s| s.regex);
        let text = edit(&base_expression(&draft.get_untracked(), regex));
        draft.set(text.clone());
        set_filter(&|s| {
            s.regex = false;
            s.search.clear();
            s.expr = text.clone();
        });
    };
    // The expression the shortcuts read their state from: the box's, as typed.
    let shown_expr = move || {
        if spec.with(|s| s.regex) {
            String::new()
        } else {
            draft.get()
        }
    };
    let scope_value = move || {
        let expr = shown_expr();
        inspector.with(|i| scope_of(&expr, &i.hops()).value())
    };
    let on_scope = move |ev| {
        let value = event_target_value(&ev);
        let scope = inspector.with_untracked(|i| Scope::from_value(&value, &i.hops()));
        edit_expr(&|expr| with_scope(expr, scope));
    };
    let on_direction = move |ev| {
        let value = event_target_value(&ev);
        edit_expr(&|expr| with_menu_value(expr, "dir", &value));
    };
    let apply_later = move |text: String| {
        typed.update_value(|(scheduled, _)| *scheduled += 1);
        let mine = typed.get_value().0;
        set_timeout(
            move || {
                if typed.try_get_value().map(|t| t.0) != Some(mine) {
                    return;
                }
                typed.update_value(|(_, applied)| *applied = mine);
                set_filter(&|s| {
                    if s.regex {
                        s.search = text.clone();
                    } else {
                        s.expr = text.clone();
                    }
                });
            },
            DEBOUNCE,
        );
    };
    // The completion list for the box's text and cursor (none for a regex).
    let refresh_suggestions = move || {
        let Some(element) = input.get_untracked() else {
            return;
        };
        let text = element.value();
        if spec.with_untracked(|s| s.regex) {
            suggestions.update(Suggestions::close);
            return;
        }
        let cursor = element
            .selection_start()
            .ok()
            .flatten()
            .map_or(text.len(), |at| byte_offset(&text, at));
        suggestions.update(|s| s.update(&text, cursor));
    };
    let on_search = move |ev| {
        let text = event_target_value(&ev);
        draft.set(text.clone());
        refresh_suggestions();
        apply_later(text);
    };
    let put_text = move |text: String, cursor: usize| {
        draft.set(text.clone());
        if let Some(element) = input.get_untracked() {
            element.set_value(&text);
            let at = utf16_offset(&text, cursor);
            let _ = element.set_selection_range(at, at);
            let _ = element.focus();
        }
        apply_later(text);
    };
    let on_search_key = move |ev: web_sys::KeyboardEvent| {
        let text = draft.get_untracked();
        let outcome = suggestions
            .try_update(|s| s.key(&ev.key(), &text))
            .unwrap_or(KeyOutcome::Ignored);
        match outcome {
            KeyOutcome::Ignored => {}
            KeyOutcome::Handled => {
                ev.prevent_default();
                ev.stop_propagation();
            }
            KeyOutcome::Picked { text, cursor } => {
                ev.prevent_default();
                ev.stop_propagation();
                put_text(text, cursor);
            }
        }
    };
    let pick = move |index: usize| {
        let text = draft.get_untracked();
        if let Some(KeyOutcome::Picked { text, cursor }) =
            suggestions.try_update(|s| s.pick(index, &text))
        {
            put_text(text, cursor);
        }
    };
    let suggestion_list = move || {
        suggestions.with(|s| {
            s.is_open().then(|| {
                let active = s.active();
                let items = s
                    .items()
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        view! {
                            <li
                                role="option"
                                id=format!("filter-suggestion-{index}")
                                class:active=index == active
                                aria-selected=(index == active).to_string()
                                data-testid="filter-suggestion"
                                // Before the box's blur closes the list.
                                on:mousedown=move |ev| {
                                    ev.prevent_default();
                                    pick(index);
                                }
                            >
                                <code>{item.text}</code>
                                <span class="what">{item.description}</span>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <ul class="filter-suggestions" id="filter-suggestions" role="listbox" aria-label="Fields">
                        {items}
                    </ul>
                }
            })
        })
    };
    let on_channel = move |ev| {
        let value = event_target_value(&ev);
        let value = Channel::from_name(&value).map_or("", |c| c.name());
        edit_expr(&|expr| with_menu_value(expr, "channel", value));
    };
    // The msg_type words as typed: the box's clause is copied in only when it says other
    // words, so that a comma being typed stays.
    let msg_types = RwSignal::new(String::new());
    Effect::new(move |_| {
        let from_expr = msg_types_of(&shown_expr());
        let typed = msg_types.get_untracked();
        if msg_type_words(&typed) != from_expr {
            msg_types.set(from_expr.join(", "));
        }
    });
    let on_msg_type = move |ev| {
        let text = event_target_value(&ev);
        msg_types.set(text.clone());
        edit_expr(&|expr| with_msg_types(expr, &text));
    };
    let findings = Signal::derive(move || has_clause(&shown_expr(), "finding"));
    let kind_chip = move |kind: RowKind| {
        let clause = kind.hide_clause();
        let hidden = move || has_clause(&shown_expr(), clause);
        view! {
            <button
                class="chip"
                data-testid="filter-kind"
                data-kind=kind.label()
                aria-pressed=move || hidden().to_string()
                title=move || if hidden() {
                    format!("Show {} again: takes {clause} out of the filter", kind.describe())
                } else {
                    format!("Hide {}: adds {clause} to the filter", kind.describe())
                }
                on:click=move |_| edit_expr(&|expr| toggle_clause(expr, clause))
            >
                {kind.label()}
            </button>
        }
    };
    view! {
        <div class="filter-bar" role="toolbar" aria-label="Inspector filters">
            <div class="filter-line">
                <div class="search" class:invalid=move || error.with(|e| e.is_some())>
                    <input
                        type="search"
                        class="filter"
                        node_ref=input
                        placeholder=move || if spec.with(|s| s.regex) {
                            "Regex (ignores case)"
                        } else {
                            "Filter: hop == kernel && len > 100, or words to find"
                        }
                        aria-label="Filter expression or search"
                        title="A filter expression (hop == kernel && opcode == close, text ~ \"err\", json.type == \"subscribe\", finding, …) or words to find in payloads"
                        aria-invalid=move || error.with(|e| e.is_some()).to_string()
                        aria-describedby="filter-error"
                        role="combobox"
                        aria-autocomplete="list"
                        aria-controls="filter-suggestions"
                        aria-expanded=move || suggestions.with(|s| s.is_open()).to_string()
                        aria-activedescendant=move || suggestions.with(|s| {
                            s.is_open().then(|| format!("filter-suggestion-{}", s.active()))
                        })
                        autocomplete="off"
                        spellcheck="false"
                        data-testid="filter-search"
                        prop:value=move || draft.get()
                        on:input=on_search
                        on:keydown=on_search_key
                        on:click=move |_| refresh_suggestions()
                        on:focus=move |_| refresh_suggestions()
                        on:blur=move |_| suggestions.update(Suggestions::close)
                    />
                    <button
                        class="regex-toggle"
                        data-testid="filter-regex"
                        aria-pressed=move || spec.with(|s| s.regex).to_string()
                        title="Use a regular expression"
                        on:click=move |_| {
                            suggestions.update(Suggestions::close);
                            // A keystroke still waiting is applied now, to the box's new mode.
                            typed.update_value(|(scheduled, applied)| *applied = *scheduled);
                            let text = draft.get_untracked();
                            set_filter(&|s| {
                                s.regex = !s.regex;
                                if s.regex {
                                    s.expr.clear();
                                    s.search = text.clone();
                                } else {
                                    s.search.clear();
                                    s.expr = text.clone();
                                }
                            })
                        }
                    >
                        ".*"
                    </button>
                    {suggestion_list}
                </div>
            </div>
            <div id="filter-error" class="filter-error-line">
                {move || error.get().map(|message| view! {
                    <span class="filter-error" data-testid="filter-error" role="alert">{message}</span>
                })}
            </div>
            <div class="filter-line selects">
                <select
                    aria-label="Connection or hop"
                    title="One hop or one connection: writes hop == … or conn == … in the filter"
                    data-testid="filter-scope"
                    prop:value=scope_value
                    on:change=on_scope
                >
                    <option value="all">"All connections"</option>
                    <For each=scope_options key=|(value, label)| (value.clone(), label.clone()) let:option>
                        <option value=option.0.clone()>{option.1.clone()}</option>
                    </For>
                </select>
                <select
                    aria-label="Direction"
                    title="One direction: writes dir == … in the filter"
                    data-testid="filter-direction"
                    prop:value=move || menu_value(&shown_expr(), "dir")
                    on:change=on_direction
                >
                    <option value="">"⇄ both"</option>
                    <option value="to_server">"→ to server"</option>
                    <option value="to_client">"← to client"</option>
                </select>
                <select
                    aria-label="Kernel channel"
                    title="Kernel records on one channel: writes channel == … in the filter"
                    data-testid="filter-channel"
                    prop:value=move || menu_value(&shown_expr(), "channel")
                    on:change=on_channel
                >
                    <option value="">"any channel"</option>
                    {Channel::ALL.into_iter().map(|c| view! {
                        <option value=c.name()>{c.name()}</option>
                    }).collect_view()}
                </select>
                <input
                    type="search"
                    class="filter msg-type"
                    placeholder="msg_type"
                    aria-label="Kernel message types"
                    title="Kernel messages whose msg_type contains one of these words (comma or space separated), e.g. execute, stream: writes msg_type contains … (or ~ …) in the filter"
                    spellcheck="false"
                    data-testid="filter-msg-type"
                    prop:value=move || msg_types.get()
                    on:input=on_msg_type
                />
                <LabelledCheckbox
                    testid="filter-findings"
                    class="check"
                    title="Only rows with protocol violations or oddities: writes finding in the filter"
                    checked=findings
                    on_toggle=move |_| edit_expr(&|expr| toggle_clause(expr, "finding"))
                >
                    "⚠ only"
                </LabelledCheckbox>
            </div>
            <div class="filter-line chips">
                {RowKind::ALL.into_iter().map(kind_chip).collect_view()}
            </div>
        </div>
    }
}
