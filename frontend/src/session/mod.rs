//! The page's session with the server. [`Session`] is the bundle of signals every view reads
//! and the socket writes, with the queue of requests for the server; [`socket`] is the
//! `/session` WebSocket that serves it, reopened with backoff when it drops.
//!
//! Below the features, what the page keeps: the capture records the server sent
//! ([`records`], with the part of the capture they cover: [`capture_pages`]), the notebook's file kept in step with it ([`file_sync`], deciding with
//! [`document_file`]), the socket's and the kernel's state as the status bar says it
//! ([`connection`]), the notices that belong to no cell ([`notices`]) and Run All's paced
//! sends ([`pacer`]); [`server_msg`] reads the server's messages ([`tag_first`]: without serde's
//! buffering). The features add what they do with a session as more methods of
//! [`Session`]: a notebook command carried out (`crate::notebook::effects`), a kernel chosen
//! (`crate::kernel::notebook_kernel`), the key bindings changed (`crate::keys::storage`). The
//! root component builds it.

pub mod capture_pages;
pub mod connection;
pub mod disk_watch;
pub mod document_file;
pub mod file_sync;
pub mod notices;
pub mod pacer;
pub mod records;
pub mod server_msg;
pub mod socket;
pub mod tag_first;
#[cfg(test)]
pub mod test_records;

use futures_channel::mpsc::UnboundedSender;
use leptos::prelude::*;
use wirebook_notebook::bindings::Keymap;
use wirebook_notebook::{Command, Effect, Notebook};
use wirebook_shared::ipynb::KernelSpec;
use wirebook_shared::session::{
    ClientMsg, KernelInfo, KernelOffer, KernelState, WebSocketSettings,
};

use crate::question::Question;
use crate::session::connection::Connection;
use crate::session::file_sync::FileSync;
use crate::session::notices::Notices;
use crate::session::pacer::Pacer;
use crate::session::records::Records;
use wirebook_notebook::find::Find;
use wirebook_notebook::kernel_assist::KernelAssist;

/// Everything the views read and the socket writes, as `Copy` handles.
#[derive(Clone, Copy)]
pub struct Session {
    pub notebook: RwSignal<Notebook>,
    /// The capture records the page keeps (the inspector shows them).
    pub records: RwSignal<Records>,
    pub connection: RwSignal<Connection>,
    pub kernel: RwSignal<KernelState>,
    pub kernel_info: RwSignal<Option<KernelInfo>>,
    /// The kernels the server offers (the picker lists them).
    pub kernels: RwSignal<Vec<KernelOffer>>,
    /// The Jupyter Server whose kernels are among them, as the server last said.
    pub gateway: RwSignal<Option<String>>,
    /// A Jupyter kernel's `execution_state` from its last iopub `status` (starting, idle,
    /// busy); `None` for kernels that send none and while (re)connecting.
    pub execution_state: RwSignal<Option<String>>,
    /// Set when the user asked for a restart, until the kernel is open (or failed) again.
    pub restarting: RwSignal<bool>,
    /// Run All's pause between the messages it sends to a WebSocket kernel.
    pub run_all_delay_ms: RwSignal<u32>,
    /// Run All (WebSocket kernel) sends each message after the one before had its answer.
    pub run_all_waits: RwSignal<bool>,
    /// A WebSocket kernel the picker opens prefilled with (a notebook whose secret headers
    /// need their values typed again), and why.
    pub kernel_prefill: RwSignal<Option<(String, WebSocketSettings, Option<String>)>>,
    /// The kernel the open notebook names that the server does not offer, until the user
    /// picks one: meanwhile nothing runs (`Session::runs_cells`).
    pub kernel_missing: RwSignal<Option<KernelSpec>>,
    pub server_version: RwSignal<Option<String>>,
    pub notices: RwSignal<Notices>,
    /// Set by the "retry now" button; the reconnect countdown watches it.
    pub retry_now: RwSignal<bool>,
    /// Whether the server's capture is paused, as the server last said (`None` before it has).
    pub capture_paused: RwSignal<Option<bool>>,
    /// The notebook's file: loading, saving, unsaved changes.
    pub files: FileSync,
    /// A yes-or-no question the page asks (leave the scratch notebook? delete a file?).
    pub question: RwSignal<Option<Question>>,
    /// The dialog over the page, if any (help, command palette).
    pub overlay: RwSignal<Overlay>,
    /// The key bindings in effect: the keyboard presses by them (`crate::keys::listener`), the
    /// help overlay, the palette and the tooltips list them. Changed by
    /// [`Session::change_keymap`], which also saves them.
    pub keymap: RwSignal<Keymap>,
    /// The kernel's completion or inspection asked for in a cell's editor, and the popup or
    /// tooltip it shows.
    pub assist: RwSignal<KernelAssist>,
    /// The notebook's find and replace bar.
    pub find: RwSignal<Find>,
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
    Intercept,
    /// Asking whether to restart the kernel (and then run all cells).
    ConfirmRestart {
        then_run_all: bool,
    },
    RunningKernels,
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

    /// Answers the kernel's input prompt under `cell_id` (Python's `input()`); the prompt's
    /// field goes away, and the focus goes back to the notebook's active cell.
    pub fn answer_input(self, cell_id: &str, value: String) {
        let pending = self
            .notebook
            .try_update(|n| n.answer_input(cell_id, &value))
            .unwrap_or(false);
        if pending {
            self.send(ClientMsg::InputReply { value });
        }
        self.dispatch(Command::EnterCommandMode);
    }
}
