//! The dialog over a notebook whose file changed on disk since the page loaded it (a refused
//! save, or the disk watch): keep editing, reload theirs, or overwrite with mine. The decisions
//! are `session::document_file`'s; this is their face.

use leptos::prelude::*;

use crate::dialog::Modal;
use crate::session::document_file::Status;
use crate::session::Session;

#[component]
pub fn ConflictDialog(session: Session) -> impl IntoView {
    let files = session.files;
    let open = Signal::derive(move || files.conflict_open.get());
    let message = Memo::new(move |_| {
        files.file.with(|f| match f.status() {
            Status::Conflict { message, .. } => message.clone(),
            _ => String::new(),
        })
    });
    // Closing gives the focus back to where it was (the cell being edited, most likely).
    let keep_editing = move || files.conflict_open.set(false);
    Effect::new(move |_| {
        if open.get() {
            crate::dom::focus_after_render("[data-testid=save-conflict] button");
        }
    });
    view! {
        <Modal
            open=open
            overlay="conflict"
            class="save-conflict"
            testid="save-conflict"
            labelled_by="conflict-title"
            alert=true
            on_close=move |()| keep_editing()
        >
            <h2 id="conflict-title">"The file changed on disk"</h2>
            <p>
                {move || files.file.with(|f| f.name().to_string())}
                " was changed by someone else (another tab, an editor, Jupyter) since this \
                 page loaded it, so saving would overwrite their change."
            </p>
            <p class="dialog-detail">{move || message.get()}</p>
            <div class="dialog-actions">
                <button on:click=move |_| keep_editing()>"Keep editing"</button>
                <button data-testid="conflict-reload" on:click=move |_| files.reload_theirs()>
                    "Reload theirs (discard mine)"
                </button>
                <button
                    class="danger"
                    data-testid="conflict-overwrite"
                    on:click=move |_| files.save(true)
                >
                    "Overwrite with mine"
                </button>
            </div>
        </Modal>
    }
}
