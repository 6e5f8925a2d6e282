//! The notebook pane: file bar (files toggle, name, save state, mode), toolbar, the file
//! browser when open, and the list of cells — code cells with their outputs, markdown cells
//! rendered unless edited, raw cells as written.

use leptos::ev;
use leptos::prelude::*;
use wirebook_notebook::execution_timing::{self, Measured};
use wirebook_notebook::output_layout::{self, OutputLayout};
use wirebook_notebook::{CellId, CellKind, Command, Mode, RunMode, RunState};
use wirebook_shared::cell_format::CellFormat;

use crate::editor::language::{self, KernelCells};
use crate::editor::view::{kernel_assists, AssistPopup, CodeEditor};
use crate::files::conflict::ConflictDialog;
use crate::files::view::FileBrowser;
use crate::notebook::comparison_view::ComparisonBox;
use crate::notebook::expectations_view::ExpectationsLine;
use crate::notebook::find_view::FindBar;
use crate::outputs::remote_content::{AllowedOutputs, Remote};
use crate::outputs::rich_text;
use crate::outputs::view::{
    byte_count, cell_output, input_prompt, remote_blocked_line, renderers_missing, saved_output,
};
use crate::palette::shortcuts;
use crate::session::connection::Connection;
use crate::session::file_sync::Loading;
use crate::session::Session;
use wirebook_notebook::kernel_assist::Shown;

#[component]
pub fn NotebookPane(session: Session) -> impl IntoView {
    let notebook = session.notebook;
    let files = session.files;
    let ids = Memo::new(move |_| {
        notebook.with(|n| n.cells().iter().map(|c| c.id.clone()).collect::<Vec<_>>())
    });
    let mode = Memo::new(move |_| notebook.with(|n| n.mode()));
    let save_state = Memo::new(move |_| files.file.with(|f| f.save_state(files.dirty.get())));
    let file_name = Memo::new(move |_| files.file.with(|f| f.name().to_string()));
    let file_path = Memo::new(move |_| files.file.with(|f| f.path().map(str::to_string)));
    let loading = files.loading;
    view! {
        <section class="pane notebook" data-pane="notebook" aria-label="Notebook">
            <div class="pane-header notebook-header">
                <button
                    class="files-toggle"
                    class:on=move || files.browser_open.get()
                    aria-pressed=move || files.browser_open.get().to_string()
                    title="Show or hide the notebook files"
                    on:click=move |_| files.browser_open.update(|open| *open = !*open)
                >
                    "Files"
                </button>
                <span class="notebook-name" title=move || file_path.get().unwrap_or_else(|| "not saved yet".into())>
                    {move || file_name.get()}
                </span>
                <span
                    class="save-state"
                    data-testid="save-state"
                    data-state=move || save_state.get().0
                    role="status"
                >
                    {move || save_state.get().1}
                </span>
                <span class="header-tools">
                    <button
                        class="palette-button"
                        data-testid="palette-button"
                        title=move || session.keymap.with(|k| shortcuts::title(k, "Command palette", &Command::ShowPalette))
                        aria-label="Command palette"
                        on:click=move |_| session.dispatch(Command::ShowPalette)
                    >
                        "Commands"
                        // Its keys as this keyboard labels them: Ctrl+K, or ⌘K on a Mac.
                        {move || session.keymap.with(|k| {
                            shortcuts::first_keys(k, &Command::ShowPalette)
                                .map(|keys| view! { <kbd class="palette-keys">{keys}</kbd> })
                        })}
                    </button>
                    {tool(session, "?", "Keyboard shortcuts", Command::ShowHelp)}
                </span>
                <span
                    class="mode"
                    data-testid="mode"
                    data-mode=move || mode.get().label().to_lowercase()
                    title="Esc: command mode · Enter: edit mode"
                >
                    {move || mode.get().label()}
                </span>
            </div>
            <Toolbar session=session />
            <FindBar session=session />
            <div class="notebook-body" class:with-files=move || files.browser_open.get()>
                <Show when=move || files.browser_open.get()>
                    <FileBrowser session=session />
                </Show>
                // The completion popup and the tooltip are placed under the cursor in the
                // viewport: scrolling the cells leaves them behind, so it closes them.
                <div class="cells" on:scroll=move |_| {
                    if session.assist.with_untracked(|a| a.shown != Shown::Nothing) {
                        session.assist.update(|a| a.close());
                    }
                }>
                    {move || match loading.get() {
                        Loading::Ready => view! {
                            <For each=move || ids.get() key=|id| id.clone() let:id>
                                <CellView session=session id=id />
                            </For>
                        }
                        .into_any(),
                        Loading::Opening(path) => view! {
                            <p class="cells-note" role="status">{format!("Opening {path}…")}</p>
                        }
                        .into_any(),
                        Loading::Failed { path, message } => {
                            let retry = path.clone();
                            view! {
                                <div class="cells-note failed" role="alert">
                                    <p>{format!("{path} could not be opened: {message}")}</p>
                                    <button on:click=move |_| files.load(retry.clone())>"Try again"</button>
                                </div>
                            }
                            .into_any()
                        }
                    }}
                </div>
            </div>
            <p class="keys">
                "Press "<kbd>"H"</kbd>" in command mode for all keyboard shortcuts · "
                <kbd>{shortcuts::display("Shift+Enter")}</kbd>" run, next · "<kbd>"Esc"</kbd>" command mode · "
                <kbd>"Enter"</kbd>" edit"
            </p>
            <ConflictDialog session=session />
            <AssistPopup session=session />
        </section>
    }
}

/// A toolbar button that runs a notebook command; its tooltip names the shortcut.
fn tool(
    session: Session,
    label: &'static str,
    what: &'static str,
    command: Command,
) -> impl IntoView {
    tool_when(session, label, what, command, Signal::stored(true))
}

/// A [`tool`] that is disabled while `enabled` is false (undo with nothing to undo).
fn tool_when(
    session: Session,
    label: &'static str,
    what: &'static str,
    command: Command,
    enabled: Signal<bool>,
) -> impl IntoView {
    let title = {
        let command = command.clone();
        move || session.keymap.with(|k| shortcuts::title(k, what, &command))
    };
    view! {
        <button
            title=title.clone()
            aria-label=title
            disabled=move || !enabled.get()
            on:click=move |_| session.dispatch(command.clone())
        >
            {label}
        </button>
    }
}

#[component]
fn Toolbar(session: Session) -> impl IntoView {
    let notebook = session.notebook;
    let kind = Memo::new(move |_| notebook.with(|n| n.selected_cell().kind));
    let can_undo = Memo::new(move |_| notebook.with(|n| n.undo_len() > 0));
    let can_redo = Memo::new(move |_| notebook.with(|n| n.redo_len() > 0));
    let on_kind = move |ev: ev::Event| {
        let kind = match event_target_value(&ev).as_str() {
            "markdown" => CellKind::Markdown,
            "raw" => CellKind::Raw,
            _ => CellKind::Code,
        };
        session.dispatch(Command::SetKind(kind));
    };
    let keymap = session.keymap;
    let kind_title = move || {
        keymap.with(|k| {
            format!(
                "Cell type: {} code · {} markdown · {} raw",
                shortcuts::keys_text(k, &Command::SetKind(CellKind::Code)),
                shortcuts::keys_text(k, &Command::SetKind(CellKind::Markdown)),
                shortcuts::keys_text(k, &Command::SetKind(CellKind::Raw)),
            )
        })
    };
    view! {
        <div class="toolbar notebook-toolbar" role="toolbar" aria-label="Notebook actions">
            <button
                class="save-button"
                data-testid="save"
                title=move || keymap.with(|k| shortcuts::title(k, "Save", &Command::Save))
                on:click=move |_| session.dispatch(Command::Save)
            >
                "Save"
            </button>
            <span class="tool-sep"></span>
            {tool(session, "+", "Insert a cell below", Command::InsertBelow)}
            {tool(session, "✂", "Cut the selected cells", Command::Cut)}
            {tool(session, "Copy", "Copy the selected cells", Command::Copy)}
            {tool(session, "Paste", "Paste cells below", Command::PasteBelow)}
            {tool(session, "↑", "Move the selected cells up", Command::MoveUp)}
            {tool(session, "↓", "Move the selected cells down", Command::MoveDown)}
            <span class="tool-sep"></span>
            {tool(session, "▶ Run", "Run the selected cells and select the next", Command::Run(RunMode::SelectNext))}
            {tool(session, "Run All", "Run all cells", Command::RunAll)}
            <Show when=move || session.sends_formats()>
                <label class="run-all-delay" title="Run All waits this long between the messages it sends">
                    "delay"
                    <input
                        type="number"
                        min="0"
                        max="600000"
                        step="100"
                        data-testid="run-all-delay"
                        aria-label="Delay between cells in Run All, in milliseconds"
                        prop:value=move || session.run_all_delay_ms.get().to_string()
                        on:change=move |ev| {
                            let ms = crate::notebook::cell_sending::delay_ms(&event_target_value(&ev));
                            session.run_all_delay_ms.set(ms);
                        }
                    />
                    "ms"
                </label>
                <label
                    class="run-all-waits"
                    title="Run All sends each message once the one before had its answer: the reply with its JSON id, its expectations, as many replies as it recorded, or a reply and 250 ms of quiet (30 s at most), as wirebook run does"
                >
                    <input
                        type="checkbox"
                        data-testid="run-all-waits"
                        prop:checked=move || session.run_all_waits.get()
                        on:change=move |ev| session.run_all_waits.set(event_target_checked(&ev))
                    />
                    "wait for replies"
                </label>
            </Show>
            {tool(session, "■", "Interrupt the kernel", Command::Interrupt)}
            {tool(session, "↻", "Restart the kernel", Command::Restart)}
            {tool(session, "↻ Run All", "Restart the kernel, then run all cells", Command::RestartAndRunAll)}
            <span class="tool-sep"></span>
            <select
                class="kind-select"
                data-testid="cell-kind"
                title=kind_title
                aria-label=kind_title
                prop:value=move || match kind.get() {
                    CellKind::Code => "code",
                    CellKind::Markdown => "markdown",
                    CellKind::Raw => "raw",
                }
                on:change=on_kind
            >
                <option value="code">"Code"</option>
                <option value="markdown">"Markdown"</option>
                <option value="raw">"Raw"</option>
            </select>
            <span class="tool-sep"></span>
            {tool_when(session, "↶", "Undo cell operation", Command::Undo, can_undo.into())}
            {tool_when(session, "↷", "Redo cell operation", Command::Redo, can_redo.into())}
            <button
                class="change-kernel"
                data-testid="change-kernel"
                title=move || keymap.with(|k| shortcuts::title(k, "Change kernel", &Command::ChangeKernel))
                aria-label=move || keymap.with(|k| shortcuts::title(k, "Change kernel", &Command::ChangeKernel))
                on:click=move |_| session.dispatch(Command::ChangeKernel)
            >
                {move || match session.kernel_missing.get() {
                    Some(_) => "Choose kernel ▾".to_string(),
                    None => session.kernel_info.with(|k| {
                        k.as_ref().map_or_else(|| "Kernel…".to_string(), |k| format!("{} ▾", k.name))
                    }),
                }}
            </button>
            {move || session.kernel_info.with(|k| {
                k.as_ref().is_some_and(|k| crate::kernel::ws_settings::insecure(&k.choice)).then(|| view! {
                    <span
                        class="insecure-flag"
                        data-testid="kernel-insecure"
                        title="This kernel's TLS certificate is not verified (skip verification is on)"
                    >
                        "⚠ certificate not verified"
                    </span>
                })
            })}
        </div>
    }
}

#[component]
fn CellView(session: Session, id: CellId) -> impl IntoView {
    let notebook = session.notebook;
    let cell = Memo::new({
        let id = id.clone();
        move |_| notebook.with(|n| n.cell(&id).cloned())
    });
    let active = Memo::new({
        let id = id.clone();
        move |_| notebook.with(|n| n.is_selected(&id))
    });
    let in_selection = Memo::new({
        let id = id.clone();
        move |_| notebook.with(|n| n.in_selection(&id))
    });
    let editing = Memo::new(move |_| active.get() && notebook.with(|n| n.mode()) == Mode::Edit);
    let kind = Memo::new(move |_| cell.with(|c| c.as_ref().map(|c| c.kind).unwrap_or_default()));
    let rendered = Memo::new(move |_| kind.get() == CellKind::Markdown && !editing.get());
    // The remote images the user chose to load in this cell (its outputs', or, for markdown,
    // its own), kept while the cell is on the page.
    let remote_allowed = RwSignal::new(AllowedOutputs::default());
    // The rendered markdown, once the renderer has come (`rich_text`); its `blocked` images
    // are those still left out.
    let markdown_html = Memo::new(move |_| {
        cell.with(|c| {
            let c = c.as_ref().filter(|c| c.kind == CellKind::Markdown)?;
            let render = rich_text::current()?.markdown;
            let attachments = c.file.attachments.as_ref();
            let blocked = render(&c.source, attachments, Remote::Blocked);
            Some(if remote_allowed.with(|a| a.allows(&blocked.blocked)) {
                render(&c.source, attachments, Remote::Allowed)
            } else {
                blocked
            })
        })
    });
    let markdown_blocked = move || {
        markdown_html
            .with(|m| m.as_ref().map(|m| m.blocked.clone()))
            .filter(|b| !b.is_empty())
            .map(|blocked| remote_blocked_line(blocked, remote_allowed))
    };
    let prompt = move || {
        cell.with(|c| match c {
            Some(c) if c.kind == CellKind::Code => c.prompt(),
            _ => String::new(),
        })
    };
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
    // When the last run started and how long it took (the cell's `metadata.execution`).
    let timing = Memo::new(move |_| {
        cell.with(|c| {
            c.as_ref()
                .filter(|c| c.kind == CellKind::Code)
                .and_then(|c| execution_timing::timing(&c.file.metadata))
        })
    });
    let timing_line = move || {
        timing.get().map(|t| {
            let text = execution_timing::describe(&t, crate::clock::utc_offset_minutes());
            let title = match t.measured {
                Measured::Kernel => "The kernel's clock: from starting the code to its reply",
                Measured::Browser => {
                    "The browser's clock: from sending the cell to the kernel's latest reply"
                }
            };
            view! {
                <div class="cell-timing" data-testid="cell-timing" title=title>{text}</div>
            }
        })
    };
    // Whole, scrolled or hidden (`O`, Shift+O, or the cell's metadata).
    let layout = Memo::new(move |_| {
        cell.with(|c| {
            c.as_ref()
                .filter(|c| c.kind == CellKind::Code)
                .map_or(OutputLayout::Whole, output_layout::layout)
        })
    });
    let hidden_id = StoredValue::new(id.clone());
    let hidden_outputs = move || {
        (layout.get() == OutputLayout::Hidden).then(|| {
            let count = cell.with(|c| {
                c.as_ref()
                    .map_or(0, |c| c.saved_outputs.len() + c.outputs.len())
            });
            let keys = session
                .keymap
                .with(|k| shortcuts::keys_text(k, &Command::ToggleOutputs));
            let show = move |ev: ev::MouseEvent| {
                ev.stop_propagation();
                session.dispatch(Command::Select(hidden_id.get_value()));
                session.dispatch(Command::ToggleOutputs);
            };
            let noun = if count == 1 { "output" } else { "outputs" };
            view! {
                <button
                    type="button"
                    class="outputs-hidden"
                    data-testid="outputs-hidden"
                    title=format!("Show them ({keys})")
                    on:click=show
                >
                    {format!("{count} {noun} hidden — click or press {keys} to show")}
                </button>
            }
        })
    };
    let error = move || cell.with(|c| c.as_ref().and_then(|c| c.error.clone()));
    let dropped = move || cell.with(|c| c.as_ref().map_or(0, |c| c.outputs_dropped));
    let stream_dropped = move || cell.with(|c| c.as_ref().map_or(0, |c| c.stream_bytes_dropped));
    // Its own memo, so that outputs arriving do not rebuild the field the user types into.
    let input = Memo::new(move |_| cell.with(|c| c.as_ref().and_then(|c| c.input.clone())));
    // Outputs before the kernel's input prompt, and after it (see `InputPrompt::position`).
    let outputs = move || {
        let split = input.with(|i| i.as_ref().map_or(usize::MAX, |i| i.position));
        cell.with(|c| {
            c.as_ref().map(|c| {
                let split = split.min(c.outputs.len());
                (
                    c.saved_outputs
                        .iter()
                        .map(|o| saved_output(o, remote_allowed))
                        .collect_view(),
                    c.outputs[..split]
                        .iter()
                        .map(|o| cell_output(o, remote_allowed))
                        .collect_view(),
                )
            })
        })
    };
    let outputs_after_input = move || {
        let split = input.with(|i| i.as_ref().map(|i| i.position))?;
        cell.with(|c| {
            c.as_ref().map(|c| {
                let split = split.min(c.outputs.len());
                c.outputs[split..]
                    .iter()
                    .map(|o| cell_output(o, remote_allowed))
                    .collect_view()
            })
        })
    };

    let on_click = {
        let id = id.clone();
        move |ev: ev::MouseEvent| {
            if ev.shift_key() {
                session.dispatch(Command::ExtendSelectionTo(id.clone()))
            } else {
                session.dispatch(Command::Select(id.clone()))
            }
        }
    };
    let on_run = {
        let id = id.clone();
        move |ev: ev::MouseEvent| {
            ev.stop_propagation();
            session.dispatch(Command::RunCell(id.clone()))
        }
    };
    // Copy, so that each part of the view that edits can have it.
    let edit_id = StoredValue::new(id.clone());
    // A WebSocket kernel's cells are messages with a format; Jupyter's run code.
    let takes_formats = Memo::new(move |_| session.sends_formats());
    let format =
        Memo::new(move |_| cell.with(|c| c.as_ref().map(|c| c.format()).unwrap_or_default()));
    let language = Memo::new(move |_| {
        let (kind, format) = (kind.get(), format.get());
        // The notebook's own kernel, while it is not offered: nothing runs until one is picked.
        let missing = session.kernel_missing.with(Option::is_some);
        session
            .kernel_info
            .with(|k| match k.as_ref().filter(|_| !missing) {
                Some(k) => language::for_cell(kind, format, KernelCells::of(k)),
                // Read (and followed) only until the server names a kernel the notebook can use.
                None => session.notebook.with(|n| {
                    language::for_cell(kind, format, language::from_metadata(n.metadata()))
                }),
            })
    });
    let assists = Signal::derive(move || {
        session
            .kernel_info
            .with(|k| kernel_assists(kind.get(), k.as_ref()))
    });
    let on_format = move |ev: ev::Event| {
        if let Some(format) =
            crate::notebook::cell_sending::format_from_key(&event_target_value(&ev))
        {
            session.dispatch(Command::Select(edit_id.get_value()));
            session.dispatch(Command::SetFormat(format));
        }
    };
    let on_pretty = move |ev: ev::MouseEvent| {
        ev.stop_propagation();
        session.dispatch(Command::Select(edit_id.get_value()));
        session.dispatch(Command::PrettyPrintJson);
    };
    // A raw-frame template replaces the cell's source (Autobahn's classic broken frames).
    let on_template = move |ev: ev::Event| {
        let chosen = event_target_value(&ev);
        let template = wirebook_shared::raw_frame::TEMPLATES
            .iter()
            .find(|t| t.name == chosen);
        if let Some(template) = template {
            session.dispatch(Command::Select(edit_id.get_value()));
            session.dispatch(Command::ReplaceSource {
                cell_id: edit_id.get_value(),
                source: template.source.to_string(),
            });
        }
        if let Some(select) = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok())
        {
            select.set_value("");
        }
    };
    let edit_markdown = move |_| {
        session.dispatch(Command::Select(edit_id.get_value()));
        session.dispatch(Command::EnterEditMode);
    };

    view! {
        <div
            class="cell"
            class:selected=move || in_selection.get()
            class:active=move || active.get()
            class:editing=move || editing.get()
            class:running=running
            class:markdown=move || kind.get() == CellKind::Markdown
            class:raw=move || kind.get() == CellKind::Raw
            class:rendered=move || rendered.get()
            data-testid="cell"
            data-cell-id=id.clone()
            data-kind=move || match kind.get() {
                CellKind::Code => "code",
                CellKind::Markdown => "markdown",
                CellKind::Raw => "raw",
            }
            data-selected=move || in_selection.get().to_string()
            tabindex="-1"
            on:click=on_click
        >
            <div class="gutter">
                <span class="prompt">
                    <span data-testid="execution-count">{prompt}</span>
                    {move || (kind.get() == CellKind::Code).then_some(":")}
                </span>
                <button
                    class="run-cell"
                    data-testid="run-cell"
                    title=move || match kind.get() {
                        CellKind::Code => format!("Run this cell ({})", shortcuts::display("Ctrl+Enter")),
                        CellKind::Markdown => format!("Render this cell ({})", shortcuts::display("Ctrl+Enter")),
                        CellKind::Raw => "Raw cells do not run".to_string(),
                    }
                    aria-label="Run cell"
                    on:click=on_run
                >
                    "▶"
                </button>
            </div>
            <div class="cell-body">
                <Show when=move || takes_formats.get() && kind.get() == CellKind::Code>
                    <div class="cell-format-bar">
                        <select
                            class="cell-format"
                            data-testid="cell-format"
                            title="How this cell is sent to the WebSocket kernel (palette: Format: …)"
                            aria-label="Message format"
                            prop:value=move || crate::notebook::cell_sending::format_key(format.get())
                            on:change=on_format
                        >
                            {CellFormat::ALL
                                .into_iter()
                                .map(|f| view! {
                                    <option
                                        value=crate::notebook::cell_sending::format_key(f)
                                        prop:selected=move || format.get() == f
                                    >
                                        {f.label()}
                                    </option>
                                })
                                .collect_view()}
                        </select>
                        <Show when=move || matches!(format.get(), CellFormat::Json { .. })>
                            <button
                                class="pretty-print"
                                data-testid="pretty-print"
                                title="Indent this cell's JSON (palette: Pretty-print JSON)"
                                on:click=on_pretty
                            >
                                "{ } pretty-print"
                            </button>
                        </Show>
                        <Show when=move || format.get() == CellFormat::Frame>
                            <select
                                class="frame-template"
                                data-testid="frame-template"
                                title="Replace this cell with a classic broken frame (RFC 6455, Autobahn's groups); the close a server must answer with is in its name"
                                aria-label="Frame template"
                                on:change=on_template
                            >
                                <option value="" selected=true>"Templates…"</option>
                                {wirebook_shared::raw_frame::TEMPLATES
                                    .iter()
                                    .map(|t| {
                                        let label = match t.expected_close {
                                            0 => t.name.to_string(),
                                            code => format!("{} → {code}", t.name),
                                        };
                                        view! { <option value=t.name>{label}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </Show>
                    </div>
                </Show>
                <CodeEditor session=session id=edit_id.get_value() language=language kernel_assists=assists />
                <Show when=move || kind.get() == CellKind::Code>
                    <ExpectationsLine session=session id=edit_id.get_value() />
                </Show>
                <Show when=move || rendered.get()>
                    {markdown_blocked}
                    {renderers_missing()}
                    <div
                        class="markdown-body"
                        data-testid="markdown-rendered"
                        title="Double-click or press Enter to edit"
                        on:dblclick=edit_markdown
                        inner_html=move || markdown_html.with(|m| m.as_ref().map(|m| m.html.clone()).unwrap_or_default())
                    ></div>
                    <Show when=move || cell.with(|c| c.as_ref().is_some_and(|c| c.source.trim().is_empty()))>
                        <div class="markdown-empty" on:dblclick=edit_markdown>
                            "Empty markdown cell — double-click or press Enter to edit"
                        </div>
                    </Show>
                </Show>
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
                {move || {
                    let n = stream_dropped();
                    (n > 0).then(|| view! {
                        <div class="outputs-dropped" data-testid="stream-dropped">
                            {format!("{} of earlier stream text not shown (the inspector has every message)", byte_count(n))}
                        </div>
                    })
                }}
                {hidden_outputs}
                <div
                    class="cell-output"
                    class:scrolled=move || layout.get() == OutputLayout::Scrolled
                    class:hidden=move || layout.get() == OutputLayout::Hidden
                    data-testid="cell-output"
                    data-layout=move || match layout.get() {
                        OutputLayout::Whole => "whole",
                        OutputLayout::Scrolled => "scrolled",
                        OutputLayout::Hidden => "hidden",
                    }
                    aria-live="polite"
                >
                    {outputs}
                    {
                        let id = edit_id.get_value();
                        move || input.get().map(|prompt| input_prompt(session, id.clone(), prompt))
                    }
                    {outputs_after_input}
                </div>
                <ComparisonBox session=session id=edit_id.get_value() />
                {timing_line}
            </div>
        </div>
    }
}
