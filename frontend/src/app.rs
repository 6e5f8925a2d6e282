//! The root component: owns the page's state as signals, starts the session connection and
//! routes keyboard shortcuts and notebook effects.
//!
//! State lives in pure models ([`Notebook`], [`Inspector`], the status values); this module
//! only wires them to signals, the socket and the DOM.

use futures_channel::mpsc::{self, UnboundedSender};
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wirebook_shared::notebook::{Command, Effect, Mode, Notebook};
use wirebook_shared::session::{ClientMsg, KernelInfo, KernelState};

use crate::inspector::Inspector;
use crate::keymap::{keymap, Key};
use crate::socket;
use crate::status::{Connection, Notices};
use crate::view::inspector::InspectorPane;
use crate::view::notebook::NotebookPane;
use crate::view::status::{NoticeBanner, StatusBar};

/// Everything the views read and the socket writes, as `Copy` handles.
#[derive(Clone, Copy)]
pub struct Session {
    pub notebook: RwSignal<Notebook>,
    pub inspector: RwSignal<Inspector>,
    pub connection: RwSignal<Connection>,
    pub kernel: RwSignal<KernelState>,
    pub kernel_info: RwSignal<Option<KernelInfo>>,
    pub server_version: RwSignal<Option<String>>,
    pub notices: RwSignal<Notices>,
    /// Set by the "retry now" button; the reconnect countdown watches it.
    pub retry_now: RwSignal<bool>,
    /// Whether the server's capture is paused, as the server last said (`None` before it has).
    pub capture_paused: RwSignal<Option<bool>>,
    outbox: StoredValue<UnboundedSender<ClientMsg>>,
}

impl Session {
    /// Queues a request for the server; it goes out as soon as a session is open. Returns
    /// false (and says so) when the connection task is gone.
    pub fn send(self, msg: ClientMsg) -> bool {
        let sent = self
            .outbox
            .with_value(|outbox| outbox.unbounded_send(msg))
            .is_ok();
        if !sent {
            self.notices
                .update(|n| n.push("the session connection task has stopped; reload the page"));
        }
        sent
    }

    /// Applies a user command to the notebook and carries out what it asks for.
    pub fn dispatch(self, command: Command) {
        let effects = self
            .notebook
            .try_update(|notebook| notebook.apply(command))
            .unwrap_or_default();
        for effect in effects {
            self.carry_out(effect);
        }
    }

    fn carry_out(self, effect: Effect) {
        match effect {
            Effect::Execute { cell_id, code } => {
                // The socket task sends it as soon as a session is open; until then it waits
                // in the channel and the cell shows `[*]`.
                let sent = self.outbox.with_value(|outbox| {
                    outbox.unbounded_send(ClientMsg::Execute {
                        cell_id: cell_id.clone(),
                        code,
                    })
                });
                if sent.is_err() {
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
            // The keys and views that lead to these are being wired; until then no command
            // that asks for them is reachable from the page (cut and copy keep working on the
            // notebook's own clipboard).
            Effect::SourceReplaced(_)
            | Effect::WriteClipboard(_)
            | Effect::Interrupt
            | Effect::RestartKernel { .. }
            | Effect::Save
            | Effect::ShowHelp
            | Effect::ShowPalette => {}
        }
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
    let element = document()
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match element {
        Some(element) => element.focus().is_ok(),
        None => false,
    }
}

/// Which keymap, if any, a key press on `target` goes to.
fn key_mode(target: Option<web_sys::EventTarget>, key: &str) -> Option<Mode> {
    let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return Some(Mode::Command);
    };
    if element.get_attribute("data-testid").as_deref() == Some("cell-editor") {
        return Some(Mode::Edit);
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
    let session = Session {
        notebook: RwSignal::new(Notebook::new()),
        inspector: RwSignal::new(Inspector::default()),
        connection: RwSignal::new(Connection::Connecting { attempt: 0 }),
        kernel: RwSignal::new(KernelState::Connecting),
        kernel_info: RwSignal::new(None),
        server_version: RwSignal::new(None),
        notices: RwSignal::new(Notices::default()),
        retry_now: RwSignal::new(false),
        capture_paused: RwSignal::new(None),
        outbox: StoredValue::new(outbox),
    };
    leptos::task::spawn_local(socket::run(session, requests));

    let keys = window_event_listener(ev::keydown, move |ev| {
        if ev.default_prevented() || ev.is_composing() {
            return;
        }
        let key = Key {
            key: ev.key(),
            shift: ev.shift_key(),
            ctrl: ev.ctrl_key(),
            alt: ev.alt_key(),
            meta: ev.meta_key(),
        };
        let Some(mode) = key_mode(ev.target(), &key.key) else {
            return;
        };
        if let Some(command) = keymap(mode, &key) {
            ev.prevent_default();
            session.dispatch(command);
        }
    });
    on_cleanup(move || keys.remove());

    // Start where a new Jupyter notebook starts: typing into the first cell.
    session.dispatch(Command::EnterEditMode);

    view! {
        <div class="app">
            <StatusBar session=session />
            <NoticeBanner session=session />
            <main class="panes">
                <NotebookPane session=session />
                <InspectorPane session=session />
            </main>
        </div>
    }
}
