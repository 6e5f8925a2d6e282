//! The root component: owns the page's state as signals, starts the session connection and
//! routes keyboard shortcuts and notebook effects.
//!
//! State lives in pure models ([`Notebook`], [`Inspector`], the status values); this module
//! only wires them to signals, the socket and the DOM.

use futures_channel::mpsc::{self, UnboundedSender};
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wirebook_notebook::bindings::Keymap;
use wirebook_notebook::chords::Press;
use wirebook_notebook::clipboard::{
    cells_from_clipboard, ClipboardCells, ClipboardError, CELLS_MIME, JUPYTER_CELLS_MIME,
};
use wirebook_notebook::commands::EditorSelection;
use wirebook_notebook::{Command, Effect, Mode, Notebook};
use wirebook_shared::session::{
    ClientMsg, KernelChoice, KernelInfo, KernelOffer, KernelState, WebSocketSettings,
};

use crate::cell_sending::Pacer;
use crate::file_sync::{FileSync, Loading};
use crate::inspector::Inspector;
use crate::kernel_picker;
use crate::keymap::{Key, Keyboard};
use crate::rebind::STORAGE_KEY;
use crate::socket;
use crate::status::{Connection, Notices};
use crate::view::files::confirm;
use crate::view::help::HelpOverlay;
use crate::view::inspector::InspectorPane;
use crate::view::kernel_picker::KernelPicker;
use crate::view::notebook::NotebookPane;
use crate::view::palette::CommandPalette;
use crate::view::routes::RoutesDialog;
use crate::view::status::{NoticeBanner, StatusBar};

/// Everything the views read and the socket writes, as `Copy` handles.
#[derive(Clone, Copy)]
pub struct Session {
    pub notebook: RwSignal<Notebook>,
    pub inspector: RwSignal<Inspector>,
    pub connection: RwSignal<Connection>,
    pub kernel: RwSignal<KernelState>,
    pub kernel_info: RwSignal<Option<KernelInfo>>,
    /// The kernels the server offers (the picker lists them).
    pub kernels: RwSignal<Vec<KernelOffer>>,
    /// A Jupyter kernel's `execution_state` from its last iopub `status` (starting, idle,
    /// busy); `None` for kernels that send none and while (re)connecting.
    pub execution_state: RwSignal<Option<String>>,
    /// Set when the user asked for a restart, until the kernel is open (or failed) again.
    pub restarting: RwSignal<bool>,
    /// Run All's pause between the messages it sends to a WebSocket kernel.
    pub run_all_delay_ms: RwSignal<u32>,
    /// A WebSocket kernel the picker opens prefilled with (a notebook whose secret headers
    /// need their values typed again), and why.
    pub kernel_prefill: RwSignal<Option<(String, WebSocketSettings, Option<String>)>>,
    pub server_version: RwSignal<Option<String>>,
    pub notices: RwSignal<Notices>,
    /// Set by the "retry now" button; the reconnect countdown watches it.
    pub retry_now: RwSignal<bool>,
    /// Whether the server's capture is paused, as the server last said (`None` before it has).
    pub capture_paused: RwSignal<Option<bool>>,
    /// The notebook's file: loading, saving, unsaved changes.
    pub files: FileSync,
    /// The dialog over the page, if any (help, command palette).
    pub overlay: RwSignal<Overlay>,
    /// The key bindings in effect (the help overlay, the palette and tooltips list them): the
    /// keyboard's own keymap, so what the page shows is what the keys do.
    pub keymap: Memo<Keymap>,
    /// The keymap and the keys of a sequence (`D D`) pressed so far. Key presses update it
    /// untracked; only [`Session::change_keymap`] tells the views.
    keyboard: RwSignal<Keyboard>,
    outbox: StoredValue<UnboundedSender<ClientMsg>>,
    /// Run All's sends still waiting for their turn (a delay is set), and the one on its way.
    paced: StoredValue<Pacer<Effect>>,
}

/// What covers the page and takes the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    Palette,
    KernelPicker,
    Routes,
}

impl Session {
    /// Queues a request for the server; it goes out as soon as a session is open. Returns
    /// false (and says so) when the connection task is gone.
    pub fn send(self, msg: ClientMsg) -> bool {
        let sent = self
            .outbox
            .with_value(|outbox| outbox.unbounded_send(msg).is_ok());
        if !sent {
            self.notices
                .update(|n| n.push("the session connection task has stopped; reload the page"));
        }
        sent
    }

    /// Switches the session to another kernel and records it in the notebook's metadata
    /// (a Jupyter kernel as `metadata.kernelspec`), as Jupyter's "Change kernel" does.
    pub fn choose_kernel(self, choice: KernelChoice) {
        let offers = self.kernels.get_untracked();
        let current = self.notebook.with_untracked(|n| n.metadata().clone());
        let metadata = kernel_picker::metadata_for(&choice, &offers, &current);
        if metadata != current {
            self.notebook.update(|n| n.set_metadata(metadata));
        }
        self.send(ClientMsg::SetKernel { kernel: choice });
    }

    /// Answers the kernel's input prompt under `cell_id` (Python's `input()`).
    pub fn answer_input(self, cell_id: &str, value: String) {
        let pending = self
            .notebook
            .try_update(|n| n.answer_input(cell_id, &value))
            .unwrap_or(false);
        if pending {
            self.send(ClientMsg::InputReply { value });
        }
    }

    /// Changes the key bindings in effect and saves the user's changes to the defaults in
    /// `localStorage`, so they come back on the next visit.
    pub fn change_keymap<R>(self, change: impl FnOnce(&mut Keymap) -> R) -> R {
        let mut keymap = self.keyboard.with_untracked(|k| k.keymap().clone());
        let result = change(&mut keymap);
        let json = keymap.to_json();
        self.keyboard.update(|k| k.set_keymap(keymap));
        if let Err(why) = store_keymap(&json) {
            self.notices.update(|n| {
                n.push(format!(
                    "the key bindings work in this page but could not be saved for the next \
                     visit: {why}"
                ))
            });
        }
        result
    }

    /// Applies a user command to the notebook and carries out what it asks for.
    pub fn dispatch(self, command: Command) {
        // Run All towards a WebSocket kernel may pace its messages.
        let delay = match command {
            Command::RunAll
                if self
                    .kernel_info
                    .with_untracked(|k| crate::cell_sending::takes_formats(k.as_ref())) =>
            {
                self.run_all_delay_ms.get_untracked()
            }
            _ => 0,
        };
        let run_all = matches!(command, Command::RunAll);
        let effects = self
            .notebook
            .try_update(|notebook| notebook.apply(command))
            .unwrap_or_default();
        let (now, paced): (Vec<_>, Vec<_>) = effects
            .into_iter()
            .partition(|effect| delay == 0 || !matches!(effect, Effect::Execute { .. }));
        if run_all {
            // Run All queued every cell again: a paced run still going gives way to this one
            // (which may have nothing to pace).
            let run = self
                .paced
                .try_update_value(|p| p.start(paced, delay))
                .unwrap_or_default();
            self.send_paced(run);
        }
        for effect in now {
            self.carry_out(effect);
        }
    }

    /// Sends the next message of paced run `run`; the server's word that it went out
    /// ([`Session::cell_sent`]) starts the delay to the one after it. A message refused here
    /// (its format) does not reach the server: the next one goes after the delay.
    fn send_paced(self, run: u64) {
        let Some(effect) = self.paced.try_update_value(|p| p.next(run)).flatten() else {
            return;
        };
        let Effect::Execute { cell_id, .. } = &effect else {
            return;
        };
        let cell_id = cell_id.clone();
        self.carry_out(effect);
        let refused = self
            .notebook
            .with_untracked(|n| n.cell(&cell_id).is_some_and(|c| c.error.is_some()));
        if refused {
            let delay_ms = self.paced.with_value(Pacer::delay_ms);
            self.send_paced_after(run, delay_ms);
        } else {
            self.paced.update_value(|p| p.sent(&cell_id));
        }
    }

    fn send_paced_after(self, run: u64, delay_ms: u32) {
        set_timeout(
            move || self.send_paced(run),
            std::time::Duration::from_millis(delay_ms.into()),
        );
    }

    /// The server sent the cell's message to the kernel, or could not: a paced run waiting for
    /// it goes on after its delay.
    pub fn cell_sent(self, cell_id: &str) {
        let due = self
            .paced
            .try_update_value(|p| p.went_out(cell_id))
            .flatten();
        if let Some((run, delay_ms)) = due {
            self.send_paced_after(run, delay_ms);
        }
    }

    fn carry_out(self, effect: Effect) {
        match effect {
            Effect::Execute {
                cell_id,
                code,
                format,
            } => {
                let checked = self.kernel_info.with_untracked(|kernel| {
                    crate::cell_sending::outgoing(kernel.as_ref(), format, &code)
                });
                let format = match checked {
                    Ok(format) => format,
                    Err(why) => {
                        let message = crate::cell_sending::refusal(format, &why);
                        self.notebook.update(|n| {
                            n.error(&cell_id, message);
                        });
                        return;
                    }
                };
                // The socket task sends it as soon as a session is open; until then it waits
                // in the channel and the cell shows `[*]`.
                let sent = self.outbox.with_value(|outbox| {
                    outbox
                        .unbounded_send(ClientMsg::Execute {
                            cell_id: cell_id.clone(),
                            code,
                            format,
                        })
                        .is_ok()
                });
                if !sent {
                    self.notebook.update(|n| {
                        n.error(
                            &cell_id,
                            "the session connection task has stopped; reload the page".into(),
                        );
                    });
                }
            }
            Effect::FocusEditor(id) => {
                focus(format!("[data-cell-id=\"{id}\"] [data-testid=cell-editor]"))
            }
            Effect::FocusCell(id) => focus(format!("[data-testid=cell][data-cell-id=\"{id}\"]")),
            Effect::SourceReplaced(id) => {
                let source = self
                    .notebook
                    .with_untracked(|n| n.cell(&id).map(|c| c.source.clone()));
                if let Some(source) = source {
                    set_editor_text(&id, &source);
                }
            }
            Effect::WriteClipboard(cells) => write_clipboard(cells),
            // ■ during a paced Run All stops it: the cells not sent yet stay unsent. Otherwise
            // the kernel is interrupted; those that cannot be (WebSocket endpoints) answer
            // with an error saying so, shown as a notice.
            Effect::Interrupt => {
                let stopped = self.paced.try_update_value(Pacer::stop).unwrap_or_default();
                if stopped.is_empty() {
                    self.send(ClientMsg::InterruptKernel);
                    return;
                }
                self.notebook.update(|n| {
                    for effect in stopped {
                        if let Effect::Execute { cell_id, .. } = effect {
                            n.error(&cell_id, "not sent: Run All was stopped (■)".into());
                        }
                    }
                });
            }
            Effect::RestartKernel { then_run_all } => {
                let question = if then_run_all {
                    "Restart the kernel and run all cells? The kernel connection is closed and \
                     opened again."
                } else {
                    "Restart the kernel? The kernel connection is closed and opened again."
                };
                if confirm(question) {
                    self.restart_kernel(then_run_all);
                }
            }
            Effect::Save => self.files.save(false),
            Effect::ShowHelp => self.overlay.set(Overlay::Help),
            Effect::ShowPalette => self.overlay.set(Overlay::Palette),
            Effect::ShowKernelPicker => self.overlay.set(Overlay::KernelPicker),
            Effect::ShowTapRoutes => self.overlay.set(Overlay::Routes),
        }
    }

    /// Restarts the kernel without asking (the Restart button of a dead kernel; `0 0` asks
    /// first), then runs every cell if `then_run_all`.
    pub fn restart_kernel(self, then_run_all: bool) {
        if self.send(ClientMsg::RestartKernel) {
            self.restarting.set(true);
            if then_run_all {
                self.dispatch(Command::RunAll);
            }
        }
    }
}

/// Opens a notebook on the kernel its `metadata.kernelspec` names when the server offers it,
/// as Jupyter does: once per notebook opened (not when the metadata changes later, e.g. by the
/// user's own pick, so that a kernel picked afterwards is never switched back).
fn follow_notebook_kernelspec(session: Session) {
    let consulted: StoredValue<Option<Option<String>>> = StoredValue::new(None);
    leptos::prelude::Effect::new(move |_| {
        let ready = session.files.loading.with(|l| matches!(l, Loading::Ready));
        let offered = session.kernels.with(|k| !k.is_empty());
        if !ready || !offered {
            return;
        }
        let path = session
            .files
            .file
            .with_untracked(|f| f.path().map(str::to_string));
        if consulted.get_value().as_ref() == Some(&path) {
            return;
        }
        consulted.set_value(Some(path));
        let choice = session.notebook.with_untracked(|n| {
            session.kernels.with_untracked(|offers| {
                session.kernel_info.with_untracked(|current| {
                    kernel_picker::notebook_kernel(n.metadata(), offers, current.as_ref())
                })
            })
        });
        if let Some(choice) = choice {
            session.send(ClientMsg::SetKernel { kernel: choice });
            return;
        }
        open_notebook_websocket(session);
    });
}

/// A notebook whose `metadata.wirebook.kernel` is a WebSocket URL opens on it; when its secret
/// headers need their values (never saved), the picker opens with the URL and settings filled
/// in and asks for them.
fn open_notebook_websocket(session: Session) {
    let wanted = session.notebook.with_untracked(|n| {
        n.metadata()
            .wirebook
            .as_ref()
            .and_then(|w| w.kernel.as_ref())
            .and_then(crate::ws_settings::from_file)
    });
    let Some((url, settings, problem)) = wanted else {
        return;
    };
    if let Some(problem) = &problem {
        session.notices.update(|n| n.push(problem.clone()));
    }
    let missing = crate::ws_settings::missing_secrets(&settings);
    if !missing.is_empty() {
        let why = format!(
            "this notebook's kernel {url} sends the secret header {}: type its value (secret \
             values are not saved in the notebook)",
            missing.join(", ")
        );
        session.kernel_prefill.set(Some((url, settings, Some(why))));
        session.overlay.set(Overlay::KernelPicker);
        return;
    }
    let choice = KernelChoice::WebSocket { url, settings };
    let current = session
        .kernel_info
        .with_untracked(|k| k.as_ref().map(|k| k.choice.clone()));
    if current.as_ref() != Some(&choice) {
        session.send(ClientMsg::SetKernel { kernel: choice });
    }
}

/// Moves the keyboard focus to the element `selector` names. An existing element is focused at
/// once, so that the very next key press already goes to it; a cell created by the same command
/// is rendered by the reactive system in a microtask, so that is tried next, then the next frame.
fn focus(selector: String) {
    if focus_now(&selector) {
        return;
    }
    queue_microtask(move || {
        if !focus_now(&selector) {
            request_animation_frame(move || {
                focus_now(&selector);
            });
        }
    });
}

fn focus_now(selector: &str) -> bool {
    match crate::view::element::<web_sys::HtmlElement>(selector) {
        // A hidden element (a markdown cell's editor before the view shows it) refuses the
        // focus without an error: only a focus that took counts.
        Some(element) => {
            element.focus().is_ok()
                && document()
                    .active_element()
                    .is_some_and(|active| active == *element)
        }
        None => false,
    }
}

/// Shows text the model wrote into a cell's editor (merge, split, undo); the editor owns its
/// value otherwise. A cell rendered by the same update gets the text from the model itself.
fn set_editor_text(cell_id: &str, source: &str) {
    let selector = format!("[data-cell-id=\"{cell_id}\"] [data-testid=cell-editor]");
    let set = move |selector: &str, source: &str| {
        if let Some(editor) = crate::view::element::<web_sys::HtmlTextAreaElement>(selector) {
            if editor.value() != source {
                editor.set_value(source);
            }
        }
    };
    set(&selector, source);
    let source = source.to_string();
    queue_microtask(move || set(&selector, &source));
}

/// The browser's `localStorage`, where the user's key bindings live.
fn local_storage() -> Result<web_sys::Storage, String> {
    match window().local_storage() {
        Ok(Some(storage)) => Ok(storage),
        Ok(None) => Err("this browser has no localStorage".into()),
        Err(_) => Err("localStorage is disabled for this page".into()),
    }
}

fn store_keymap(json: &str) -> Result<(), String> {
    local_storage()?
        .set_item(STORAGE_KEY, json)
        .map_err(|_| "localStorage refused to store them (full or disabled)".to_string())
}

/// The keymap saved by an earlier visit, or Jupyter's defaults. What cannot be applied is
/// reported once, in a notice: the saved form is then rewritten without it.
fn load_keymap(notices: RwSignal<Notices>) -> Keymap {
    let saved = local_storage()
        .ok()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten());
    let Some(saved) = saved else {
        return Keymap::jupyter();
    };
    let (keymap, problems) = Keymap::from_json(&saved);
    if !problems.is_empty() {
        notices.update(|n| {
            n.push(format!(
                "some saved key bindings were not applied: {}",
                problems.join("; ")
            ))
        });
        let _ = store_keymap(&keymap.to_json());
    }
    keymap
}

/// Mirrors cells copied with `C`/`X` to the system clipboard as plain text and as the classic
/// Notebook's HTML (the async clipboard API takes no custom types). The browser may refuse (no
/// permission, page not focused): the notebook's own clipboard still has the cells, so that
/// is not worth an error.
fn write_clipboard(cells: ClipboardCells) {
    let ClipboardCells { plain, html, .. } = cells;
    let clipboard = window().navigator().clipboard();
    let item = (|| {
        let parts = js_sys::Object::new();
        for (mime, text) in [("text/plain", &plain), ("text/html", &html)] {
            let options = web_sys::BlobPropertyBag::new();
            options.set_type(mime);
            let blob = web_sys::Blob::new_with_str_sequence_and_options(
                &js_sys::Array::of1(&text.into()),
                &options,
            )
            .ok()?;
            js_sys::Reflect::set(&parts, &mime.into(), &blob).ok()?;
        }
        web_sys::ClipboardItem::new_with_record_from_str_to_blob_promise(&parts).ok()
    })();
    let promise = match item {
        Some(item) => clipboard.write(&js_sys::Array::of1(&item).into()),
        None => clipboard.write_text(&plain),
    };
    leptos::task::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    });
}

/// Whether a `copy`, `cut` or `paste` event is about cells: the notebook is in command mode,
/// no dialog is open, the event is not aimed at a text field or the inspector, and no text is
/// selected on the page (selected output text is copied as text, as anywhere else).
fn clipboard_is_for_cells(session: Session, ev: &web_sys::ClipboardEvent) -> bool {
    if session.overlay.get_untracked() != Overlay::None
        || session.notebook.with_untracked(|n| n.mode()) != Mode::Command
        || key_mode(ev.target(), "") != Some(Mode::Command)
    {
        return false;
    }
    let text_selected = window()
        .get_selection()
        .ok()
        .flatten()
        .is_some_and(|s| !s.is_collapsed());
    !text_selected
}

/// Ctrl+C / Ctrl+X in command mode: the selected cells go on the system clipboard in every
/// form (plain text, the classic Notebook's HTML and wirebook's JSON type), written into the
/// event itself, which needs no permission.
fn cells_to_clipboard_event(session: Session, command: Command, ev: &web_sys::ClipboardEvent) {
    if !clipboard_is_for_cells(session, ev) {
        return;
    }
    let Some(data) = ev.clipboard_data() else {
        return;
    };
    ev.prevent_default();
    let effects = session
        .notebook
        .try_update(|notebook| notebook.apply(command))
        .unwrap_or_default();
    for effect in effects {
        match effect {
            Effect::WriteClipboard(cells) => {
                for (mime, text) in [
                    ("text/plain", &cells.plain),
                    ("text/html", &cells.html),
                    (CELLS_MIME, &cells.json),
                ] {
                    let _ = data.set_data(mime, text);
                }
            }
            other => session.carry_out(other),
        }
    }
}

/// Ctrl+V in command mode: cells on the system clipboard (from another wirebook tab, the
/// classic Notebook, a JupyterLab cells type or a whole `.ipynb` as text) are pasted below
/// the selection. Anything else is left to the browser.
fn cells_from_clipboard_event(session: Session, ev: &web_sys::ClipboardEvent) {
    if !clipboard_is_for_cells(session, ev) {
        return;
    }
    let Some(data) = ev.clipboard_data() else {
        return;
    };
    let mut invalid = None;
    for mime in [CELLS_MIME, JUPYTER_CELLS_MIME, "text/html", "text/plain"] {
        let text = data.get_data(mime).unwrap_or_default();
        if text.is_empty() {
            continue;
        }
        match cells_from_clipboard(&text) {
            Ok(cells) => {
                ev.prevent_default();
                session.dispatch(Command::PasteCells {
                    cells,
                    above: false,
                });
                return;
            }
            Err(ClipboardError::Invalid(why)) => {
                invalid.get_or_insert(why);
            }
            Err(ClipboardError::NotCells) => {}
        }
    }
    if let Some(why) = invalid {
        ev.prevent_default();
        session.notices.update(|n| {
            n.push(format!(
                "nothing pasted: the clipboard's cells are invalid: {why}"
            ))
        });
    }
}

/// The cell editor's selection when `target` is one (a split needs it).
fn editor_selection(target: Option<web_sys::EventTarget>) -> Option<EditorSelection> {
    let editor = target?.dyn_into::<web_sys::HtmlTextAreaElement>().ok()?;
    let cell = editor.closest("[data-cell-id]").ok()??;
    Some(EditorSelection {
        cell_id: cell.get_attribute("data-cell-id")?,
        start: editor.selection_start().ok()?? as usize,
        end: editor.selection_end().ok()?? as usize,
    })
}

/// Whether the shortcuts dialog is recording new keys (then every key press is its).
fn recording_keys() -> bool {
    document()
        .query_selector("[data-testid=rebind-panel][data-state=recording]")
        .ok()
        .flatten()
        .is_some()
}

/// Which keymap, if any, a key press on `target` goes to.
fn key_mode(target: Option<web_sys::EventTarget>, key: &str) -> Option<Mode> {
    let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return Some(Mode::Command);
    };
    if element.get_attribute("data-testid").as_deref() == Some("cell-editor") {
        return Some(Mode::Edit);
    }
    // Dialogs (help, palette, conflict) handle their own keys.
    if element.closest("[data-overlay]").ok().flatten().is_some() {
        return None;
    }
    // Other text fields (the inspector's filter), and the inspector itself, keep their keys.
    let tag = element.tag_name();
    if matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || element
            .closest("[data-pane=inspector]")
            .ok()
            .flatten()
            .is_some()
    {
        return None;
    }
    // Enter and Space activate buttons.
    if matches!(tag.as_str(), "BUTTON" | "A") && matches!(key, "Enter" | " ") {
        return None;
    }
    Some(Mode::Command)
}

#[component]
pub fn App() -> impl IntoView {
    let (outbox, requests) = mpsc::unbounded();
    let notebook = RwSignal::new(Notebook::new());
    let notices = RwSignal::new(Notices::default());
    let keyboard = RwSignal::new(Keyboard::new(load_keymap(notices)));
    let session = Session {
        notebook,
        inspector: RwSignal::new(Inspector::default()),
        connection: RwSignal::new(Connection::Connecting { attempt: 0 }),
        kernel: RwSignal::new(KernelState::Connecting),
        kernel_info: RwSignal::new(None),
        kernels: RwSignal::new(Vec::new()),
        execution_state: RwSignal::new(None),
        restarting: RwSignal::new(false),
        run_all_delay_ms: RwSignal::new(0),
        kernel_prefill: RwSignal::new(None),
        server_version: RwSignal::new(None),
        notices,
        retry_now: RwSignal::new(false),
        capture_paused: RwSignal::new(None),
        files: FileSync::start(notebook, notices),
        overlay: RwSignal::new(Overlay::None),
        keymap: Memo::new(move |_| keyboard.with(|k| k.keymap().clone())),
        keyboard,
        outbox: StoredValue::new(outbox),
        paced: StoredValue::new(Pacer::default()),
    };
    leptos::task::spawn_local(socket::run(session, requests));
    follow_notebook_kernelspec(session);

    let keys = window_event_listener(ev::keydown, move |ev| {
        if ev.default_prevented() || ev.is_composing() {
            return;
        }
        let key = Key::of_event(&ev);
        // Ctrl+S (Cmd+S) saves the notebook wherever the focus is: the browser's "save page"
        // dialog is never what a notebook user means.
        // (Unless the shortcuts dialog is recording new keys, Ctrl+S possibly among them.)
        if (key.ctrl || key.meta)
            && !key.alt
            && key.key.eq_ignore_ascii_case("s")
            && !recording_keys()
        {
            ev.prevent_default();
            session.dispatch(Command::Save);
            return;
        }
        if session.overlay.get_untracked() != Overlay::None {
            // The overlay's own handler takes Escape once it has the focus; a key pressed
            // before the focus got there still closes it instead of being lost.
            if key.key == "Escape" && !recording_keys() {
                ev.prevent_default();
                session.overlay.set(Overlay::None);
            }
            return;
        }
        let Some(mode) = key_mode(ev.target(), &key.key) else {
            return;
        };
        let press = session.keyboard.try_update_untracked(|keyboard| {
            keyboard.press(mode, &key, &ev.code(), ev.time_stamp())
        });
        match press {
            Some(Press::Run(id)) => {
                ev.prevent_default();
                let editor = editor_selection(ev.target());
                match id.command(editor.as_ref()) {
                    Some(command) => session.dispatch(command),
                    None => session.notices.update(|n| {
                        n.push(format!(
                            "{}: put the cursor in a cell's editor first",
                            id.label()
                        ))
                    }),
                }
            }
            Some(Press::Pending) => ev.prevent_default(),
            Some(Press::Unbound) | None => {}
        }
    });
    on_cleanup(move || keys.remove());
    let copy = window_event_listener(ev::copy, move |ev| {
        cells_to_clipboard_event(session, Command::Copy, &ev)
    });
    let cut = window_event_listener(ev::cut, move |ev| {
        cells_to_clipboard_event(session, Command::Cut, &ev)
    });
    let paste = window_event_listener(ev::paste, move |ev| {
        cells_from_clipboard_event(session, &ev)
    });
    on_cleanup(move || {
        copy.remove();
        cut.remove();
        paste.remove();
    });

    // Start where a new Jupyter notebook starts: typing into the first cell. A notebook
    // opened from a file starts in command mode on its first cell, as in Jupyter.
    if session.files.file.with_untracked(|f| f.path().is_none()) {
        session.dispatch(Command::EnterEditMode);
    }

    view! {
        <div class="app">
            <StatusBar session=session />
            <NoticeBanner session=session />
            <main class="panes">
                <NotebookPane session=session />
                <InspectorPane session=session />
            </main>
            <HelpOverlay session=session />
            <CommandPalette session=session />
            <KernelPicker session=session />
            <RoutesDialog session=session />
        </div>
    }
}
