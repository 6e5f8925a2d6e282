//! The page's session with the server. [`Session`] is the bundle of signals every view reads
//! and the socket writes, with the queue of requests for the server; [`socket`] is the
//! `/session` WebSocket that serves it, reopened with [`backoff`] when it drops.
//!
//! What a notebook command does is carried out in `crate::notebook::effects` (more methods of
//! [`Session`]); key presses reach it through `crate::keys::listener`.

pub mod backoff;
pub mod socket;

use futures_channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use leptos::prelude::*;
use wirebook_shared::notebook::bindings::Keymap;
use wirebook_shared::notebook::{Effect, Notebook};
use wirebook_shared::session::{
    ClientMsg, KernelChoice, KernelInfo, KernelOffer, KernelState, WebSocketSettings,
};

use crate::files::file_sync::FileSync;
use crate::inspector::records::Inspector;
use crate::kernel::picker;
use crate::keys::keymap::Keyboard;
use crate::keys::storage::{load_keymap, store_keymap};
use crate::notebook::cell_sending::Pacer;
use crate::status_bar::connection::Connection;
use crate::status_bar::notices::Notices;

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
    pub(crate) keyboard: RwSignal<Keyboard>,
    pub(crate) outbox: StoredValue<UnboundedSender<ClientMsg>>,
    /// Run All's sends still waiting for their turn (a delay is set), and the one on its way.
    pub(crate) paced: StoredValue<Pacer<Effect>>,
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
    /// The page's state as it starts: an empty notebook (the file the URL names loads into it),
    /// no records, the saved key bindings; and the other end of the request queue, for the
    /// socket task.
    pub fn new() -> (Session, UnboundedReceiver<ClientMsg>) {
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
        (session, requests)
    }

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
        let metadata = picker::metadata_for(&choice, &offers, &current);
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
}
