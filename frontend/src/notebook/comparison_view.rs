//! Under a cell made from a recorded session, once it has run in the page: its recorded replies
//! beside this run's, side by side, and what differs, JSON-aware (`wirebook_notebook::
//! replay_compare`), as `wirebook run --compare` says it; the fields to ignore (timestamps,
//! ids) are typed here and kept in the notebook (`metadata.wirebook.ignore`).

use leptos::ev;
use leptos::prelude::*;
use wirebook_notebook::CellId;

use crate::notebook::expectation_kit;
use crate::session::Session;

#[component]
pub fn ComparisonBox(session: Session, id: CellId) -> impl IntoView {
    let notebook = session.notebook;
    let id = StoredValue::new(id);
    // The diff comes with the inspector's chunk, after the first paint (`expectation_kit`).
    let comparison = Memo::new(move |_| {
        let kit = expectation_kit::current()?;
        notebook.with(|n| {
            let ignore = n.compare_ignore();
            n.cell(&id.get_value())
                .and_then(|c| (kit.compared)(c, &ignore))
        })
    });
    let ignore_text = Memo::new(move |_| notebook.with(|n| n.compare_ignore().join(", ")));
    let on_ignore = move |ev: ev::Event| {
        let fields: Vec<String> = event_target_value(&ev)
            .split([',', ' '])
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect();
        notebook.update(|n| n.set_compare_ignore(fields));
    };
    move || {
        comparison.get().map(|c| {
            let summary = match c.total {
                0 => "as recorded".to_string(),
                1 => "1 difference".to_string(),
                n => format!("{n} differences"),
            };
            let rows = c.recorded.len().max(c.now.len());
            let side = |texts: &[String], i: usize| texts.get(i).cloned().unwrap_or_else(|| "(no reply)".into());
            view! {
                <div
                    class="comparison"
                    data-testid="comparison"
                    data-state=if c.total == 0 { "same" } else { "different" }
                    on:click=|ev| ev.stop_propagation()
                    on:keydown=|ev| ev.stop_propagation()
                >
                    <div class="comparison-head">
                        <span class="comparison-summary" data-testid="comparison-summary">
                            {format!("Recorded replies ⇄ this run: {summary}")}
                        </span>
                        <label title="Fields left out of the comparison: a key anywhere (ts) or a path (data.ts); kept in the notebook">
                            "ignore "
                            <input
                                data-testid="comparison-ignore"
                                placeholder="ts, id"
                                prop:value=move || ignore_text.get()
                                on:change=on_ignore
                            />
                        </label>
                    </div>
                    <div class="comparison-sides" role="table" aria-label="Recorded replies and this run's">
                        <div class="comparison-label" role="columnheader">"recorded"</div>
                        <div class="comparison-label" role="columnheader">"this run"</div>
                        {(0..rows)
                            .map(|i| view! {
                                <pre role="cell">{side(&c.recorded, i)}</pre>
                                <pre role="cell">{side(&c.now, i)}</pre>
                            })
                            .collect_view()}
                    </div>
                    <ul class="comparison-differences" data-testid="comparison-differences">
                        {c.differences.iter().map(|d| view! { <li>{d.to_string()}</li> }).collect_view()}
                        {(c.total > c.differences.len())
                            .then(|| view! { <li>{format!("… and {} more", c.total - c.differences.len())}</li> })}
                    </ul>
                </div>
            }
        })
    }
}
