//! The notebook's kernel: a kernel the user chooses is recorded in the notebook's metadata,
//! and a notebook opens on the kernel it names, as Jupyter does: its `metadata.kernelspec`
//! when the server offers that kernel, else the WebSocket kernel in `metadata.wirebook.kernel`
//! (asking for the values of its secret headers, which are never saved). A kernelspec offered
//! nowhere is Jupyter's "Kernel not found": the picker opens and says so, and no cell runs
//! until the user picks a kernel.

use leptos::prelude::*;
use wirebook_shared::session::{ClientMsg, KernelChoice};

use crate::kernel::picker::{self, NotebookKernel};
use crate::session::file_sync::Loading;
use crate::session::{Overlay, Session};

impl Session {
    /// Switches the session to another kernel and records it in the notebook's metadata
    /// (a Jupyter kernel as `metadata.kernelspec`), as Jupyter's "Change kernel" does.
    pub fn choose_kernel(self, choice: KernelChoice) {
        let offers = self.kernels.get_untracked();
        let current = self.notebook.with_untracked(|n| n.metadata().clone());
        let metadata = picker::metadata_for(&choice, &offers, &current);
        if metadata != current {
            self.notebook.update(|n| n.set_metadata(metadata));
        }
        self.kernel_missing.set(None);
        self.send(ClientMsg::SetKernel { kernel: choice });
    }
}

/// When the scratch notebook is saved as a file, its kept kernel becomes that notebook's, so a
/// reload of the new page finds it (a rename moves the kernel on the server by itself).
pub fn follow_scratch_save(session: Session) {
    let was_scratch = StoredValue::new(session.files.file.with_untracked(|f| f.path().is_none()));
    leptos::prelude::Effect::new(move |_| {
        let path = session.files.file.with(|f| f.path().map(str::to_string));
        if let Some(notebook) = path {
            if was_scratch.get_value() {
                was_scratch.set_value(false);
                session.send(ClientMsg::MoveKernel { notebook });
            }
        }
    });
}

/// Opens a notebook on the kernel its `metadata.kernelspec` names when the server offers it,
/// as Jupyter does: once per notebook opened (not when the metadata changes later, e.g. by the
/// user's own pick, so that a kernel picked afterwards is never switched back).
pub fn follow_notebook_kernelspec(session: Session) {
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
                    picker::notebook_kernel(n.metadata(), offers, current.as_ref())
                })
            })
        });
        match choice {
            NotebookKernel::Switch(choice) => {
                session.send(ClientMsg::SetKernel { kernel: choice });
            }
            NotebookKernel::Current => {}
            NotebookKernel::Unnamed => open_notebook_websocket(session),
            NotebookKernel::NotFound(spec) => {
                // As Jupyter's "Kernel not found": say so, offer the kernels there are, and
                // run nothing (the metadata stays) until the user picks one.
                session.kernel_missing.set(Some(spec));
                session.overlay.set(Overlay::KernelPicker);
            }
        }
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
            .and_then(crate::kernel::ws_settings::from_file)
    });
    let Some((url, settings, problem)) = wanted else {
        return;
    };
    if let Some(problem) = &problem {
        session.notices.update(|n| n.push(problem.clone()));
    }
    // A page that reattached to the notebook's kept kernel is on it already: the server has
    // the secret values (the hello names the kernel without them, as the file does).
    let current = session
        .kernel_info
        .with_untracked(|k| k.as_ref().map(|k| k.choice.clone()));
    let saved = KernelChoice::WebSocket {
        url: url.clone(),
        settings: settings.clone(),
    };
    if current.as_ref() == Some(&saved) {
        return;
    }
    let missing = crate::kernel::ws_settings::missing_secrets(&settings);
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
