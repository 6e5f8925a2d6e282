//! What a notebook command does beyond the notebook model: [`Session::dispatch`] applies it
//! and carries out the [`Effect`]s it returns. A cell's code is checked for its kernel and
//! queued for the server (Run All paced when a delay is set or it waits for replies), the
//! focus moves, editors show text the model wrote, copied cells reach the system clipboard,
//! dialogs open.

use leptos::prelude::*;
use wirebook_notebook::{Command, Effect};
use wirebook_shared::session::ClientMsg;

use crate::notebook::clipboard::write_clipboard;
use crate::session::pacer::{Pacer, Step};
use crate::session::{Overlay, Session};

impl Session {
    /// Applies a user command to the notebook and carries out what it asks for.
    pub fn dispatch(self, command: Command) {
        // Run All towards a WebSocket kernel may pace its messages.
        let (delay, waits) = match command {
            Command::RunAll if untrack(|| self.sends_formats()) => (
                self.run_all_delay_ms.get_untracked(),
                self.run_all_waits.get_untracked(),
            ),
            _ => (0, false),
        };
        let paces = delay > 0 || waits;
        let run_all = matches!(command, Command::RunAll);
        let effects = self
            .notebook
            .try_update(|notebook| notebook.apply(command))
            .unwrap_or_default();
        let (now, paced): (Vec<_>, Vec<_>) = effects
            .into_iter()
            .partition(|effect| !paces || !matches!(effect, Effect::Execute { .. }));
        if run_all {
            // Run All queued every cell again: a paced run still going gives way to this one
            // (which may have nothing to pace).
            let run = self
                .paced
                .try_update_value(|p| p.start(paced, delay, waits))
                .unwrap_or_default();
            self.send_paced(run);
        }
        for effect in now {
            self.carry_out(effect);
        }
    }

    /// Whether runs may go to the session's kernel: not while the notebook's own kernel is
    /// missing and the user has not picked another (Jupyter's "Kernel not found").
    pub fn runs_cells(self) -> bool {
        self.kernel_missing.with(Option::is_none)
    }

    /// Whether the cells are messages with a format (a WebSocket kernel the notebook runs on);
    /// tracked, for views.
    pub fn sends_formats(self) -> bool {
        self.runs_cells()
            && self
                .kernel_info
                .with(|k| crate::notebook::cell_sending::takes_formats(k.as_ref()))
    }

    /// Sends the next message of paced run `run`; the server's word that it went out
    /// ([`Session::cell_sent`]) starts the delay to the one after it, or the wait for its
    /// answer. A message refused here (its format) does not reach the server: the next one
    /// goes after the delay.
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
            let awaited = self
                .notebook
                .with_untracked(|n| n.cell(&cell_id).map(|c| c.awaited()))
                .unwrap_or(wirebook_shared::reply_wait::Awaited::Quiet);
            self.paced.update_value(|p| p.sent(&cell_id, awaited));
        }
    }

    fn send_paced_after(self, run: u64, delay_ms: u32) {
        set_timeout(
            move || self.send_paced(run),
            std::time::Duration::from_millis(delay_ms.into()),
        );
    }

    /// The server sent the cell's message to the kernel, or could not (`failed`): a paced run
    /// waiting for it goes on after its delay, or waits for its answer.
    pub fn cell_sent(self, cell_id: &str, failed: bool) {
        let step = self
            .paced
            .try_update_value(|p| p.went_out(cell_id, failed))
            .flatten();
        self.follow(step, cell_id);
    }

    /// A reply to `cell_id` came (its text, `None` when binary), already in the notebook: a
    /// paced run waiting for that cell's answer may go on.
    pub fn cell_replied(self, cell_id: &str, text: Option<&str>) {
        let waits = self.paced.with_value(|p| p.waits_for(cell_id));
        if !waits {
            return;
        }
        // Checked by the expectation kit (the regex engine comes with the inspector's chunk):
        // before it has come, expectations do not hold and the answer's timeout goes on.
        let hold = crate::notebook::expectation_kit::current_untracked().is_some_and(|kit| {
            self.notebook.with_untracked(|n| {
                n.cell(cell_id)
                    .and_then(|c| (kit.checked)(c, false, None))
                    .is_some_and(|checked| checked.iter().all(|c| c.held))
            })
        });
        let step = self
            .paced
            .try_update_value(|p| p.reply(cell_id, text, hold))
            .flatten();
        self.follow(step, cell_id);
    }

    /// The kernel connection closed or failed: a paced run waiting for an answer goes on.
    pub fn kernel_gone_for_paced_run(self) {
        let step = self.paced.try_update_value(Pacer::kernel_gone).flatten();
        self.follow(step, "");
    }

    /// Carries out a paced run's next step (about `cell_id`'s message).
    fn follow(self, step: Option<Step>, cell_id: &str) {
        use std::time::Duration;
        use wirebook_shared::reply_wait::{DEFAULT_QUIET_MS, DEFAULT_TIMEOUT_S};
        match step {
            None => {}
            Some(Step::SendAfter { run, delay_ms }) => self.send_paced_after(run, delay_ms),
            Some(Step::AwaitAnswer { run }) => self.follow_after(
                Duration::from_secs(DEFAULT_TIMEOUT_S),
                cell_id,
                move |p, cell_id| p.timed_out(run, cell_id),
            ),
            Some(Step::Quiet { run, replies }) => self.follow_after(
                Duration::from_millis(DEFAULT_QUIET_MS),
                cell_id,
                move |p, _| p.quiet_over(run, replies),
            ),
        }
    }

    /// After `delay`, asks the pacer for the step `next` gives and follows it.
    fn follow_after(
        self,
        delay: std::time::Duration,
        cell_id: &str,
        next: impl Fn(&mut Pacer<Effect>, &str) -> Option<Step> + 'static,
    ) {
        let cell_id = cell_id.to_string();
        set_timeout(
            move || {
                let step = self.paced.try_update_value(|p| next(p, &cell_id)).flatten();
                self.follow(step, &cell_id);
            },
            delay,
        );
    }

    pub(crate) fn carry_out(self, effect: Effect) {
        match effect {
            Effect::Execute {
                cell_id,
                code,
                format,
            } => {
                let missing = self.kernel_missing.get_untracked();
                if let Some(spec) = missing {
                    let why = crate::kernel::picker::not_found(&spec);
                    self.notebook.update(|n| {
                        n.error(&cell_id, format!("Not run. {why}: choose a kernel first."));
                    });
                    self.overlay.set(Overlay::KernelPicker);
                    return;
                }
                let checked = self.kernel_info.with_untracked(|kernel| {
                    crate::notebook::cell_sending::outgoing(kernel.as_ref(), format, &code)
                });
                let format = match checked {
                    Ok(format) => format,
                    Err(why) => {
                        let message = crate::notebook::cell_sending::refusal(format, &why);
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
            Effect::FocusEditor(id) => focus_editor(id),
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
            // Asked in the page (`kernel::restart_view`), which restarts on the user's yes.
            Effect::RestartKernel { then_run_all } => {
                self.overlay.set(Overlay::ConfirmRestart { then_run_all })
            }
            Effect::Save => self.files.save(false),
            Effect::ShowHelp => self.overlay.set(Overlay::Help),
            Effect::ShowPalette => self.overlay.set(Overlay::Palette),
            Effect::ShowFind => {
                self.find.update(|f| f.open = true);
                crate::dom::focus_after_render("[data-testid=find-query]");
            }
            Effect::ShowKernelPicker => self.overlay.set(Overlay::KernelPicker),
            Effect::ShowTapRoutes => self.overlay.set(Overlay::Routes),
            Effect::ShowIntercept => self.overlay.set(Overlay::Intercept),
            Effect::ShowRunningKernels => self.overlay.set(Overlay::RunningKernels),
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
    match crate::dom::element::<web_sys::HtmlElement>(selector) {
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

/// Moves the keyboard focus into cell `id`'s editor: at once when it can take it, else (a cell
/// created by the same command, whose editor mounts after it renders; a markdown cell's editor
/// shown by the same update) in a microtask, then in the next frames.
fn focus_editor(id: String) {
    fn now(id: &str) -> bool {
        crate::codemirror::open_editors::with(id, |e| {
            e.focus();
            e.has_focus()
        })
        .unwrap_or(false)
    }
    fn later(id: String, frames: u32) {
        request_animation_frame(move || {
            if !now(&id) && frames > 0 {
                later(id, frames - 1);
            }
        });
    }
    if now(&id) {
        return;
    }
    queue_microtask(move || {
        if !now(&id) {
            later(id, 3);
        }
    });
}

/// Shows text the model wrote into a cell's editor (merge, split, undo); the editor owns its
/// text otherwise. A cell rendered by the same update gets the text from the model itself.
fn set_editor_text(cell_id: &str, source: &str) {
    let set = |cell_id: &str, source: &str| {
        crate::codemirror::open_editors::with(cell_id, |e| e.set_text(source));
    };
    set(cell_id, source);
    let (cell_id, source) = (cell_id.to_string(), source.to_string());
    queue_microtask(move || set(&cell_id, &source));
}
