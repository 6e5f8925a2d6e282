//! The inspector toolbar's export controls: a link per format ([`ExportFormat`]), which rows the
//! exports hold ([`RowChoice`]) and whether credentials stay in them. The URLs are
//! [`crate::inspector::capture_export`]'s.

use leptos::prelude::*;

use crate::inspector::capture_export::{
    export_url, Credentials, ExportFormat, ExportRows, RowChoice,
};
use crate::inspector::filter_chips::scope_of;
use crate::inspector::list::Selection;
use crate::inspector::row_filter::{FilterSpec, Scope};

/// The export links, the row choice and the credentials box, for the rows `spec` shows and the
/// rows `selection` picked.
#[component]
pub fn ExportControls(spec: RwSignal<FilterSpec>, selection: RwSignal<Selection>) -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    // The connection the filter names at its top level (`conn == 3`): its exports.
    let export_conn = move || match spec.with(|s| scope_of(&s.expr, &[])) {
        Scope::Conn(conn) => Some(conn),
        _ => None,
    };
    let credentials = RwSignal::new(Credentials::Removed);
    let row_choice = RwSignal::new(RowChoice::All);
    let picked_count = move || selection.with(|s| s.for_cells().len());
    // Nothing picked any more (a clear, a new server): the exports go back to every row
    // rather than link to an export of nothing.
    Effect::new(move |_| {
        if picked_count() == 0 && row_choice.get_untracked() == RowChoice::Picked {
            row_choice.set(RowChoice::All);
        }
    });
    let export_href = move |format: ExportFormat, search: &str| {
        let url = match row_choice.get() {
            RowChoice::All => export_url(
                format,
                ExportRows::All(export_conn()),
                credentials.get(),
                search,
            ),
            RowChoice::Shown => spec.with(|spec| {
                export_url(format, ExportRows::Shown(spec), credentials.get(), search)
            }),
            RowChoice::Picked => {
                let seqs = selection.with(|s| s.for_cells());
                export_url(format, ExportRows::Picked(&seqs), credentials.get(), search)
            }
        };
        crate::page_base::at(&url)
    };
    let export_link = move |format: ExportFormat| {
        let search = search.clone();
        view! {
            <a
                class="button export"
                data-testid=format!("export-{}", format.label().to_lowercase())
                href=move || export_href(format, &search)
                download=move || format.file_name(export_conn())
                title=move || match (row_choice.get(), export_conn()) {
                    (RowChoice::Shown, _) => format!("Download the rows shown as {} ({})", format.label(), format.purpose()),
                    (RowChoice::Picked, _) => format!("Download the rows picked as {} ({})", format.label(), format.purpose()),
                    (RowChoice::All, Some(conn)) => format!("Download connection {conn}'s capture as {} ({})", format.label(), format.purpose()),
                    (RowChoice::All, None) => format!("Download the whole capture as {} ({})", format.label(), format.purpose()),
                }
            >
                {format.label()}
            </a>
        }
    };
    view! {
        {export_link(ExportFormat::Har)}
        {export_link(ExportFormat::Jsonl)}
        {export_link(ExportFormat::Pcapng)}
        <select
            class="export-rows"
            data-testid="export-rows"
            title="Which rows the exports hold: all of them (one connection's when the filter shows one), the rows the filter shows, or the rows picked (Ctrl+click, Shift+click)"
            on:change=move |ev| row_choice.set(RowChoice::from_value(&event_target_value(&ev)))
        >
            {RowChoice::ALL
                .into_iter()
                .map(|choice| {
                    view! {
                        <option
                            value=choice.value()
                            selected=move || row_choice.get() == choice
                            disabled=move || choice == RowChoice::Picked && picked_count() == 0
                        >
                            {move || choice.label(picked_count())}
                        </option>
                    }
                })
                .collect_view()}
        </select>
        <label
            class="export-credentials"
            title="Keep the values of Authorization, Cookie and Set-Cookie headers in the exports (removed by default, as in Chrome's sanitized HAR export). wirebook's own token is never exported."
        >
            <input
                type="checkbox"
                data-testid="export-credentials"
                prop:checked=move || credentials.get() == Credentials::Kept
                on:change=move |ev| credentials.set(if event_target_checked(&ev) {
                    Credentials::Kept
                } else {
                    Credentials::Removed
                })
            />
            "with credentials"
        </label>
    }
}
