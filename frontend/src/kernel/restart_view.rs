//! The dialog that confirms a kernel restart (`0 0`, ↻, Restart and Run All) in the page,
//! instead of the browser's `window.confirm`: the focus starts on Cancel, the safe answer
//! (Enter there restarts nothing); Esc or a click beside it cancels; either way the keyboard
//! goes back to the notebook's active cell.

use leptos::prelude::*;
use wirebook_notebook::Command;

use crate::dialog::Modal;
use crate::session::{Overlay, Session};

#[component]
pub fn RestartDialog(session: Session) -> impl IntoView {
    // `Some(then_run_all)` while asking.
    let asking = Memo::new(move |_| match session.overlay.get() {
        Overlay::ConfirmRestart { then_run_all } => Some(then_run_all),
        _ => None,
    });
    let open = Memo::new(move |_| asking.get().is_some());
    Effect::new(move |was_open: Option<bool>| {
        let now = open.get();
        if now {
            crate::dom::focus_after_render(
                "[data-testid=restart-dialog] [data-testid=restart-cancel]",
            );
        } else if was_open == Some(true) {
            // However it closed (a button, Esc, the backdrop, the page's Esc handler).
            session.dispatch(Command::EnterCommandMode);
        }
        now
    });
    let cancel = move || session.overlay.set(Overlay::None);
    let restart = move || {
        let then_run_all = asking.get_untracked().unwrap_or(false);
        session.overlay.set(Overlay::None);
        session.restart_kernel(then_run_all);
    };
    let run_all = move || asking.get() == Some(true);
    view! {
        <Modal
            open=open
            overlay="restart"
            class="restart-dialog"
            testid="restart-dialog"
            labelled_by="restart-title"
            on_close=move |()| cancel()
        >
            <h2 id="restart-title" class="dialog-title">
                {move || if run_all() { "Restart the kernel and run all cells?" } else { "Restart the kernel?" }}
            </h2>
            <p>
                "The kernel connection is closed and opened again: what the kernel holds \
                 (variables, imports) is lost. Outputs stay until the cells run again."
            </p>
            <div class="dialog-actions">
                <button data-testid="restart-cancel" on:click=move |_| cancel()>"Cancel"</button>
                <button class="danger" data-testid="restart-confirm" on:click=move |_| restart()>
                    {move || if run_all() { "Restart and run all" } else { "Restart" }}
                </button>
            </div>
            <p class="dialog-hint">"Esc cancels"</p>
        </Modal>
    }
}
