//! A JSON payload as a collapsible tree (the model is [`crate::json_tree::tree`]).

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::json_tree::tree::{flatten, fold_summary, visible_rows, Json, NodeValue};

/// Rows shown at most; a document beyond that says how much is left out.
const NODE_LIMIT: usize = 5_000;

#[component]
pub fn JsonTree(doc: Json) -> impl IntoView {
    let (nodes, cut) = flatten(&doc, NODE_LIMIT);
    let nodes = StoredValue::new(nodes);
    let collapsed = RwSignal::new(BTreeSet::<usize>::new());
    let rows = move || nodes.with_value(|n| collapsed.with(|c| visible_rows(n, c)));
    let toggle = move |index: usize| {
        collapsed.update(|c| {
            if !c.remove(&index) {
                c.insert(index);
            }
        })
    };
    let row = move |index: usize| {
        let node = nodes.with_value(|n| n[index].clone());
        let parent = node.has_children(index);
        let folded = move || collapsed.with(|c| c.contains(&index));
        let value = match &node.value {
            NodeValue::Scalar { text, kind } => view! {
                <span class=format!("j-{kind}")>{text.clone()}</span>
            }
            .into_any(),
            container => {
                let open = match container {
                    NodeValue::Array(_) => "[",
                    _ => "{",
                };
                let summary = fold_summary(container);
                let empty = match container {
                    NodeValue::Array(0) => Some("[]"),
                    NodeValue::Object(0) => Some("{}"),
                    _ => None,
                };
                match empty {
                    Some(text) => view! { <span class="j-punct">{text}</span> }.into_any(),
                    None => view! {
                        <span class="j-punct">
                            {move || if folded() { summary.clone() } else { open.to_string() }}
                        </span>
                    }
                    .into_any(),
                }
            }
        };
        view! {
            <div class="j-row" style:padding-left=format!("{}em", node.depth as f64 * 1.2)>
                {parent.then(|| view! {
                    <button
                        class="j-toggle"
                        aria-expanded=move || (!folded()).to_string()
                        title=move || if folded() { "Expand" } else { "Collapse" }
                        on:click=move |_| toggle(index)
                    >
                        {move || if folded() { "▸" } else { "▾" }}
                    </button>
                })}
                {(!parent).then(|| view! { <span class="j-leaf"></span> })}
                {node.label.clone().map(|label| view! {
                    <span class="j-key">{label}</span>
                    <span class="j-punct">": "</span>
                })}
                {value}
            </div>
        }
    };
    view! {
        <div class="json-tree" data-testid="json-tree" role="tree">
            <For each=rows key=|i| *i let:index>
                {row(index)}
            </For>
            {cut.then(|| view! {
                <p class="note">{format!("Only the first {NODE_LIMIT} values are shown.")}</p>
            })}
        </div>
    }
}
