//! The notebook pane: the mode indicator, a small toolbar and the list of cells.

use leptos::prelude::*;
use wirebook_shared::notebook::{CellId, Command, Mode, RunMode, RunState};
use wirebook_shared::session::WireData;

use crate::app::Session;
use crate::status::Connection;

#[component]
pub fn NotebookPane(session: Session) -> impl IntoView {
    let notebook = session.notebook;
    let ids = Memo::new(move |_| {
        notebook.with(|n| n.cells().iter().map(|c| c.id.clone()).collect::<Vec<_>>())
    });
    let mode = Memo::new(move |_| notebook.with(|n| n.mode()));
    let run = move |command: Command| move |_| session.dispatch(command.clone());
    view! {
        <section class="pane notebook" data-pane="notebook" aria-label="Notebook">
            <div class="pane-header">
                <h2>"Notebook"</h2>
                <div class="toolbar" role="toolbar" aria-label="Notebook actions">
                    <button title="Insert a cell below (B)" on:click=run(Command::InsertBelow)>
                        "+ Cell"
                    </button>
                    <button title="Cut the selected cell (X)" on:click=run(Command::Cut)>
                        "Cut"
                    </button>
                    <button title="Paste below (V)" on:click=run(Command::PasteBelow)>
                        "Paste"
                    </button>
                    <button
                        title="Run the selected cell and select the next (Shift+Enter)"
                        on:click=run(Command::Run(RunMode::SelectNext))
                    >
                        "▶ Run"
                    </button>
                </div>
                <span
                    class="mode"
                    data-testid="mode"
                    data-mode=move || mode.get().label().to_lowercase()
                    title="Esc: command mode · Enter: edit mode"
                >
                    {move || mode.get().label()}
                </span>
            </div>
            <div class="cells">
                <For each=move || ids.get() key=|id| id.clone() let:id>
                    <CellView session=session id=id />
                </For>
            </div>
            <p class="keys">
                <kbd>"Shift+Enter"</kbd>" run, next · "<kbd>"Ctrl+Enter"</kbd>" run · "
                <kbd>"Esc"</kbd>" command mode · "<kbd>"Enter"</kbd>" edit · "<kbd>"A"</kbd>"/"
                <kbd>"B"</kbd>" insert above/below · "<kbd>"X"</kbd>" cut · "<kbd>"C"</kbd>"/"
                <kbd>"V"</kbd>" copy/paste · "<kbd>"J"</kbd>"/"<kbd>"K"</kbd>" move"
            </p>
        </section>
    }
}

#[component]
fn CellView(session: Session, id: CellId) -> impl IntoView {
    let notebook = session.notebook;
    let cell = Memo::new({
        let id = id.clone();
        move |_| notebook.with(|n| n.cell(&id).cloned())
    });
    let selected = Memo::new({
        let id = id.clone();
        move |_| notebook.with(|n| n.is_selected(&id))
    });
    let editing = Memo::new(move |_| selected.get() && notebook.with(|n| n.mode()) == Mode::Edit);
    let prompt = move || cell.with(|c| c.as_ref().map(|c| c.prompt()).unwrap_or_default());
    let running = move || {
        cell.with(|c| {
            c.as_ref()
                .is_some_and(|c| matches!(c.state, RunState::Queued | RunState::Sent))
        })
    };
    let connection = session.connection;
    let waiting = move || {
        cell.with(|c| c.as_ref().is_some_and(|c| c.state == RunState::Queued))
            && !matches!(connection.get(), Connection::Open)
    };
    let rows = move || cell.with(|c| c.as_ref().map_or(1, |c| c.line_count()));
    let error = move || cell.with(|c| c.as_ref().and_then(|c| c.error.clone()));
    let dropped = move || cell.with(|c| c.as_ref().map_or(0, |c| c.outputs_dropped));
    // The editor owns its text while typing: the model follows `input` events, and the value
    // is only set once here so the caret never jumps.
    let initial_source =
        cell.with_untracked(|c| c.as_ref().map(|c| c.source.clone()).unwrap_or_default());
    let outputs = move || {
        cell.with(|c| {
            c.as_ref()
                .map(|c| c.outputs.iter().map(output_item).collect_view())
        })
    };

    let on_click = {
        let id = id.clone();
        move |_| session.dispatch(Command::Select(id.clone()))
    };
    let on_run = {
        let id = id.clone();
        move |_| session.dispatch(Command::RunCell(id.clone()))
    };
    let on_input = {
        let id = id.clone();
        move |ev| {
            session.dispatch(Command::SetSource {
                cell_id: id.clone(),
                source: event_target_value(&ev),
            })
        }
    };
    let on_focus = {
        let id = id.clone();
        move |_| session.dispatch(Command::EditorFocused(id.clone()))
    };
    let on_blur = {
        let id = id.clone();
        move |_| session.dispatch(Command::EditorBlurred(id.clone()))
    };

    view! {
        <div
            class="cell"
            class:selected=move || selected.get()
            class:editing=move || editing.get()
            class:running=running
            data-testid="cell"
            data-cell-id=id.clone()
            data-selected=move || selected.get().to_string()
            tabindex="-1"
            on:click=on_click
        >
            <div class="gutter">
                <span class="prompt">
                    <span data-testid="execution-count">{prompt}</span>
                    ":"
                </span>
                <button
                    class="run-cell"
                    data-testid="run-cell"
                    title="Run this cell (Ctrl+Enter)"
                    aria-label="Run cell"
                    on:click=on_run
                >
                    "▶"
                </button>
            </div>
            <div class="cell-body">
                <textarea
                    class="editor"
                    data-testid="cell-editor"
                    aria-label="Cell source"
                    spellcheck="false"
                    autocomplete="off"
                    autocapitalize="off"
                    wrap="off"
                    rows=rows
                    prop:value=initial_source
                    on:input=on_input
                    on:focus=on_focus
                    on:blur=on_blur
                ></textarea>
                <Show when=waiting>
                    <div class="cell-note" role="status">
                        "Queued: it runs when the session reconnects."
                    </div>
                </Show>
                {move || error().map(|message| view! {
                    <div class="cell-error" data-testid="cell-error" role="alert">{message}</div>
                })}
                {move || {
                    let n = dropped();
                    (n > 0).then(|| view! {
                        <div class="outputs-dropped">{format!("{n} earlier outputs not shown")}</div>
                    })
                }}
                <div class="cell-output" data-testid="cell-output" aria-live="polite">
                    {outputs}
                </div>
            </div>
        </div>
    }
}

fn output_item(data: &WireData) -> AnyView {
    match data {
        WireData::Text { text } => view! {
            <pre class="output-item" data-testid="output-item" data-kind="text">{text.clone()}</pre>
        }
        .into_any(),
        WireData::Binary { hex } => view! {
            <pre class="output-item binary" data-testid="output-item" data-kind="binary">
                <span class="binary-label">{format!("binary, {} bytes", hex.len() / 2)}</span>
                {hex.clone()}
            </pre>
        }
        .into_any(),
    }
}
