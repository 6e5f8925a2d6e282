//! The root component: starts the session and its connection, installs the page-wide key and
//! clipboard listeners, and composes the panes and dialogs: the notebook pane at once, the
//! inspector and the dialogs once the first cell has been painted (`startup`). The state lives
//! in [`Session`]; each feature's folder holds its models and views.

use futures_channel::mpsc::{self, UnboundedReceiver};
use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use wirebook_notebook::{Command, Notebook};
use wirebook_shared::session::{ClientMsg, KernelState};

use crate::chunk::{chunk_view, Attempts, ChunkMissing};
use crate::inspector::view::{InspectorDivider, InspectorPane, InspectorPaneStarting};
use crate::intercept::view::InterceptDialog;
use crate::kernel::notebook_kernel::{follow_notebook_kernelspec, follow_scratch_save};
use crate::kernel::restart_view::RestartDialog;
use crate::kernel::running_view::RunningKernelsDialog;
use crate::kernel::view::KernelPicker;
use crate::keys::storage::load_keymap;
use crate::keys::view::HelpOverlay;
use crate::notebook::view::NotebookPane;
use crate::palette::view::CommandPalette;
use crate::question::QuestionDialog;
use crate::routes::view::RoutesDialog;
use crate::session::connection::Connection;
use crate::session::file_sync::FileSync;
use crate::session::notices::Notices;
use crate::session::pacer::Pacer;
use crate::session::records::Records;
use crate::session::{socket, Overlay, Session};
use crate::splitter::view::{persisted_split, PaneLayout};
use crate::splitter::SplitLimits;
use crate::status_bar::{NoticeBanner, StatusBar};
use crate::{keys, notebook, startup};

/// The page's state as it starts: an empty notebook (the file the URL names loads into it),
/// no records, the saved key bindings; and the other end of the request queue, for the
/// socket task.
fn start_session() -> (Session, UnboundedReceiver<ClientMsg>) {
    let (outbox, requests) = mpsc::unbounded();
    let notebook = RwSignal::new(Notebook::new());
    let notices = RwSignal::new(Notices::default());
    let session = Session {
        notebook,
        records: RwSignal::new(Records::default()),
        connection: RwSignal::new(Connection::Connecting { attempt: 0 }),
        kernel: RwSignal::new(KernelState::Connecting),
        kernel_info: RwSignal::new(None),
        kernels: RwSignal::new(Vec::new()),
        gateway: RwSignal::new(None),
        execution_state: RwSignal::new(None),
        restarting: RwSignal::new(false),
        run_all_delay_ms: RwSignal::new(0),
        run_all_waits: RwSignal::new(false),
        kernel_prefill: RwSignal::new(None),
        kernel_missing: RwSignal::new(None),
        server_version: RwSignal::new(None),
        notices,
        retry_now: RwSignal::new(false),
        capture_paused: RwSignal::new(None),
        files: FileSync::start(notebook, notices),
        question: RwSignal::new(None),
        overlay: RwSignal::new(Overlay::None),
        keymap: RwSignal::new(load_keymap(notices)),
        assist: RwSignal::new(Default::default()),
        find: RwSignal::new(Default::default()),
        outbox: StoredValue::new(outbox),
        paced: StoredValue::new(Pacer::default()),
    };
    (session, requests)
}

#[component]
pub fn App() -> impl IntoView {
    let (session, requests) = start_session();
    leptos::task::spawn_local(socket::run(session, requests));
    follow_notebook_kernelspec(session);
    follow_scratch_save(session);
    keys::listener::listen(session);
    notebook::clipboard::listen(session);

    // Start where a new Jupyter notebook starts: typing into the first cell. A notebook
    // opened from a file starts in command mode on its first cell, as in Jupyter.
    if session.files.file.with_untracked(|f| f.path().is_none()) {
        session.dispatch(Command::EnterEditMode);
    } else {
        // A notebook read from a file likely holds markdown: its renderers are fetched
        // beside the file rather than after the first paint.
        crate::outputs::rich_text::preload();
    }

    // The first cell is what the page opens for: the inspector and the dialogs (closed) are
    // loaded and built after the frame that paints it. Everything they show lives in
    // `session`, so nothing that arrives before is lost; a dialog asked for by then opens when
    // it is built.
    let rest = RwSignal::new(false);
    let attempts = Attempts::new();
    startup::after_first_paint(move || {
        startup::mark("rest");
        rest.set(true);
        crate::notebook::expectation_kit::load();
    });

    // Notebook | inspector: resizable, and the inspector can be hidden (it keeps its state and
    // the capture goes on) and brought back by the tab that takes its place. The page lays the
    // panes out; the inspector's chunk draws the divider and the tab (`PaneLayout`). The focus
    // follows to the control that takes the place of the one it was on.
    let panes = persisted_split(PANES_KEY, PANES);
    let hidden = move || panes.with(|p| p.collapsed);
    provide_context(PaneLayout {
        split: panes,
        limits: PANES,
        hide: Callback::new(move |()| {
            panes.update(|p| p.collapsed = true);
            crate::dom::focus_after_render("[data-testid=inspector-show]");
        }),
        show: Callback::new(move |()| {
            panes.update(|p| p.collapsed = false);
            crate::dom::focus_after_render("[data-testid=panes-splitter]");
        }),
    });

    view! {
        <div class="app">
            <StatusBar session=session />
            <NoticeBanner session=session />
            <main
                class="panes"
                class:inspector-hidden=hidden
                style:grid-template-columns=move || panes.with(|p| {
                    if p.collapsed {
                        "minmax(0, 1fr) auto".to_string()
                    } else {
                        format!("{} 6px minmax(0, 1fr)", p.css_size(PANES))
                    }
                })
            >
                <NotebookPane session=session />
                <Show when=move || rest.get() fallback=InspectorPaneStarting>
                    {chunk_view(
                        Some("The inspector"),
                        attempts,
                        || InspectorPaneStarting().into_any(),
                        move || async move {
                            let inspector = inspector_view(session).await;
                            // The markdown renderers' chunk comes after the inspector has
                            // been drawn, not beside its chunk: both are compiled and
                            // handed over on the page's one thread, and a notebook that
                            // shows markdown asks for them itself (`rich_text::current`).
                            startup::after_first_paint(crate::outputs::rich_text::preload);
                            inspector
                        },
                    )}
                </Show>
            </main>
            <Show when=move || rest.get()>
                {chunk_view(None, attempts, || ().into_any(), move || dialogs_view(session))}
            </Show>
        </div>
    }
}

/// The notebook | inspector split: the notebook's toolbar and the inspector's fixed columns
/// (and some Data) fit their minimums.
const PANES: SplitLimits = SplitLimits {
    // Half each: at 1280 px the inspector's Data column gets room beside its fixed columns.
    default_percent: 50.0,
    min_first_px: 380.0,
    min_second_px: 520.0,
    step_px: 24.0,
    divider_px: 6.0,
};
const PANES_KEY: &str = "wirebook.split.panes";

// The inspector and the dialogs are not needed for the first paint, and they are half of the
// UI's code: one wasm chunk (cut out by scripts/split_wasm.py; one rather than two, since both
// are asked for at once and share code), fetched when `rest` asks for it; if it does not
// come, the inspector's place says so and its "Try again" retries both (`chunk`).

#[wasm_split(inspector_and_dialogs, wasm_split_path = ::leptos::wasm_split, fallible)]
fn inspector_view(session: Session) -> Result<AnyView, ChunkMissing> {
    Ok(view! {
        <InspectorDivider />
        <InspectorPane session=session />
    }
    .into_any())
}

#[wasm_split(inspector_and_dialogs, wasm_split_path = ::leptos::wasm_split, fallible)]
fn dialogs_view(session: Session) -> Result<AnyView, ChunkMissing> {
    Ok(view! {
        <HelpOverlay session=session />
        <CommandPalette session=session />
        <KernelPicker session=session />
        <RoutesDialog session=session />
        <InterceptDialog session=session />
        <RestartDialog session=session />
        <QuestionDialog question=session.question />
        <RunningKernelsDialog session=session />
    }
    .into_any())
}
