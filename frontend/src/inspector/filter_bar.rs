//! The inspector's filter bar: the connection or hop, the direction, a payload search (text
//! or regex, with the pattern's error), the kernel channel and msg_types, findings only, and
//! a chip per kind of row. What it sets is a [`FilterSpec`].

use leptos::prelude::*;
use wirebook_shared::capture::Direction;
use wirebook_shared::jupyter::Channel;

use crate::checkbox::LabelledCheckbox;
use crate::inspector::row_filter::{scope_options, FilterSpec, RowKind, Scope};
use crate::inspector::row_text::direction_name;
use crate::session::Session;

#[component]
pub fn FilterBar(
    session: Session,
    spec: RwSignal<FilterSpec>,
    error: RwSignal<Option<String>>,
    set_filter: impl Fn(&dyn Fn(&mut FilterSpec)) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let inspector = session.records;
    let scope_options = move || inspector.with(scope_options);
    let scope_value = move || spec.with(|s| s.scope.value());
    let on_scope = move |ev| {
        let value = event_target_value(&ev);
        let scope = inspector.with_untracked(|i| Scope::from_value(&value, &i.hops()));
        set_filter(&|s| s.scope = scope);
    };
    let on_direction = move |ev| {
        let direction = match event_target_value(&ev).as_str() {
            "to_server" => Some(Direction::ToServer),
            "to_client" => Some(Direction::ToClient),
            _ => None,
        };
        set_filter(&|s| s.direction = direction);
    };
    let on_search = move |ev| {
        let text = event_target_value(&ev);
        set_filter(&|s| s.search = text.clone());
    };
    let on_channel = move |ev| {
        let channel = Channel::from_name(&event_target_value(&ev));
        set_filter(&|s| s.channel = channel);
    };
    let on_msg_type = move |ev| {
        let text = event_target_value(&ev);
        set_filter(&|s| s.msg_type = text.clone());
    };
    let kind_chip = move |kind: RowKind| {
        let shown = move || !spec.with(|s| s.hidden.contains(kind));
        view! {
            <button
                class="chip"
                class:off=move || !shown()
                data-testid="filter-kind"
                data-kind=kind.label()
                aria-pressed=move || shown().to_string()
                title=move || format!("{} {}", if shown() { "Hide" } else { "Show" }, kind.describe())
                on:click=move |_| set_filter(&|s| s.hidden = s.hidden.toggled(kind))
            >
                {kind.label()}
            </button>
        }
    };
    view! {
        <div class="filter-bar" role="toolbar" aria-label="Inspector filters">
            <div class="filter-line">
                <select
                    aria-label="Connection or hop"
                    title="Show one hop, one connection, or everything"
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
                    title="Frames in one direction only"
                    data-testid="filter-direction"
                    prop:value=move || spec.with(|s| s.direction.map(direction_name).unwrap_or(""))
                    on:change=on_direction
                >
                    <option value="">"⇄ both"</option>
                    <option value="to_server">"→ to server"</option>
                    <option value="to_client">"← to client"</option>
                </select>
                <div class="search" class:invalid=move || error.with(|e| e.is_some())>
                    <input
                        type="search"
                        class="filter"
                        placeholder=move || if spec.with(|s| s.regex) { "Regex (ignores case)" } else { "Search payloads" }
                        aria-label="Search payloads"
                        aria-invalid=move || error.with(|e| e.is_some()).to_string()
                        spellcheck="false"
                        data-testid="filter-search"
                        prop:value=move || spec.with(|s| s.search.clone())
                        on:input=on_search
                    />
                    <button
                        class="regex-toggle"
                        data-testid="filter-regex"
                        aria-pressed=move || spec.with(|s| s.regex).to_string()
                        title="Use a regular expression"
                        on:click=move |_| set_filter(&|s| s.regex = !s.regex)
                    >
                        ".*"
                    </button>
                </div>
                <LabelledCheckbox
                    testid="filter-findings"
                    class="check"
                    title="Only rows with protocol violations or oddities"
                    checked=Signal::derive(move || spec.with(|s| s.findings_only))
                    on_toggle=move |on| set_filter(&|s| s.findings_only = on)
                >
                    "⚠ only"
                </LabelledCheckbox>
            </div>
            <div class="filter-line chips">
                <select
                    aria-label="Kernel channel"
                    title="Kernel records on one channel only"
                    data-testid="filter-channel"
                    prop:value=move || spec.with(|s| s.channel.map_or("", |c| c.name()))
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
                    title="Kernel messages whose msg_type contains one of these words (comma or space separated), e.g. execute, stream"
                    spellcheck="false"
                    data-testid="filter-msg-type"
                    prop:value=move || spec.with(|s| s.msg_type.clone())
                    on:input=on_msg_type
                />
                {RowKind::ALL.into_iter().map(kind_chip).collect_view()}
                {move || error.get().map(|message| view! {
                    <span class="filter-error" data-testid="filter-error" role="alert">{message}</span>
                })}
            </div>
        </div>
    }
}
