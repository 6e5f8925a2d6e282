//! The keyboard shortcuts overlay (`H`, the toolbar's `?`, "Keyboard shortcuts" in the palette):
//! every command with its keys in the current keymap, command mode and edit mode side by side,
//! and where they are changed. Clicking (or Enter on) a command's keys records new ones; `+`
//! adds keys, `×` removes them, `↺` restores a command's defaults and "Reset all" all of them.
//! New keys that another command has are shown with that command, to replace or cancel. The
//! changes are saved in `localStorage` by [`Session::change_keymap`].

use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;
use wirebook_notebook::bindings::{KeySequence, Keymap};
use wirebook_notebook::chords::CHORD_TIMEOUT_MS;
use wirebook_notebook::commands::{CommandId, Scope};
use wirebook_shared::sorting::sort_by;

use crate::dialog::Modal;
use crate::dom::{focus_after_render, focus_within_after_render};
use crate::keys::keymap::Key;
use crate::keys::rebind::{self, Capture, Proposal};
use crate::palette::shortcuts::{self, Shortcut};
use crate::session::{Overlay, Session};

/// One `<kbd>` per press of a sequence such as "D D".
fn combo_view(keys: &str) -> impl IntoView {
    let parts: Vec<String> = keys.split(' ').map(shortcuts::display).collect();
    view! {
        <span class="key-combo">
            {parts.into_iter().map(|p| view! { <kbd>{p}</kbd> }).collect_view()}
        </span>
    }
}

fn keys_view(keys: &[String]) -> impl IntoView {
    if keys.is_empty() {
        return view! { <span class="no-keys">"—"</span> }.into_any();
    }
    keys.iter().map(|k| combo_view(k)).collect_view().into_any()
}

/// The dialog takes the focus when it opens and when a part of it closes (the control that
/// had it may be gone), unless a control of the dialog has it by then.
fn focus_dialog() {
    focus_within_after_render("[data-testid=help-overlay]");
}

/// The keys of `id` differ from Jupyter's.
fn customised(keymap: &Keymap, defaults: &Keymap, id: CommandId) -> bool {
    let sorted = |k: &Keymap| {
        let mut keys: Vec<String> = k.keys_for(id).iter().map(|k| k.to_string()).collect();
        sort_by(&mut keys, Ord::cmp);
        keys
    };
    sorted(keymap) != sorted(defaults)
}

#[component]
pub fn HelpOverlay(session: Session) -> impl IntoView {
    let open = Memo::new(move |_| session.overlay.get() == Overlay::Help);
    // Keys being recorded for a command, and what binding them would do.
    let capture = RwSignal::new(None::<Capture>);
    // Bumped by every recorded key, so that only the last key's timer ends the recording.
    let generation = StoredValue::new(0u32);
    let close = move || {
        capture.set(None);
        session.overlay.set(Overlay::None);
        session.dispatch(wirebook_notebook::Command::EnterCommandMode);
    };
    let cancel = move || {
        capture.set(None);
        focus_dialog();
    };
    let start = move |command: CommandId, replacing: Option<KeySequence>| {
        generation.update_value(|g| *g += 1);
        capture.set(Some(Capture::new(command, replacing)));
    };
    // Binds the recorded keys, taking them from the commands they clash with.
    let commit = move || {
        let Some(c) = capture.get_untracked() else {
            return;
        };
        capture.set(None);
        let Some(keys) = c.keys() else { return };
        let result = session
            .change_keymap(|keymap| rebind::apply(keymap, c.command, c.replacing.as_ref(), keys));
        if let Err(e) = result {
            session.notices.update(|n| n.push(e.to_string()));
        }
        focus_dialog();
    };
    let finish = move || {
        let keymap = session.keymap.get_untracked();
        capture.update(|c| {
            if let Some(c) = c {
                c.finish(&keymap);
            }
        });
        match capture.with_untracked(|c| c.as_ref().and_then(|c| c.proposal.clone())) {
            Some(Proposal::Free) => commit(),
            Some(Proposal::Clash(_)) => focus_after_render("[data-testid=rebind-replace]"),
            Some(Proposal::Refused(_)) => focus_after_render("[data-testid=rebind-retry]"),
            None => {}
        }
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        let recording =
            capture.with_untracked(|c| c.as_ref().map(|c| (c.recording(), c.strokes.is_empty())));
        match recording {
            Some((true, _)) => {
                // Every key is a candidate, Enter, Tab and Esc included; Esc twice cancels.
                ev.prevent_default();
                ev.stop_propagation();
                if ev.repeat() {
                    return;
                }
                let key = Key::of_event(&ev);
                let Some(stroke) = key.stroke(&ev.code()) else {
                    return;
                };
                if capture.with_untracked(|c| c.as_ref().is_some_and(|c| c.cancels(&stroke))) {
                    cancel();
                    return;
                }
                let full = capture
                    .try_update(|c| c.as_mut().map(|c| c.press(stroke)))
                    .flatten()
                    .unwrap_or(false);
                generation.update_value(|g| *g += 1);
                let mine = generation.get_value();
                if full {
                    finish();
                } else {
                    // A sequence goes on while keys follow within the chord timeout.
                    set_timeout(
                        move || {
                            if generation.try_get_value() == Some(mine) {
                                finish();
                            }
                        },
                        Duration::from_millis(CHORD_TIMEOUT_MS as u64),
                    );
                }
            }
            Some((false, _)) => {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    ev.stop_propagation();
                    cancel();
                }
            }
            None => {
                if matches!(ev.key().as_str(), "Escape" | "h" | "H")
                    && !ev.ctrl_key()
                    && !ev.meta_key()
                {
                    ev.prevent_default();
                    ev.stop_propagation();
                    close();
                }
            }
        }
    };
    Effect::new(move |_| {
        if open.get() {
            focus_dialog();
        } else {
            capture.set(None);
        }
    });

    // A command's keys as buttons: change, remove; then add and reset.
    let keys_cell = move |id: CommandId, keys: Vec<String>, changed: bool| {
        let label = id.label();
        let bindings = keys
            .into_iter()
            .map(|k| {
                let sequence = KeySequence::parse(&k).ok();
                let unbind_sequence = sequence.clone();
                let shown = shortcuts::display(&k);
                view! {
                    <span class="binding">
                        <button
                            class="binding-keys"
                            data-testid="binding"
                            data-keys=k.clone()
                            title=format!("Change {shown} for “{label}”")
                            on:click=move |_| start(id, sequence.clone())
                        >
                            {combo_view(&k)}
                        </button>
                        <button
                            class="binding-remove"
                            data-testid="unbind"
                            aria-label=format!("Remove {shown} from “{label}”")
                            title=format!("Remove {shown}")
                            on:click=move |_| {
                                if let Some(keys) = &unbind_sequence {
                                    session.change_keymap(|keymap| keymap.unbind(id, keys));
                                    focus_dialog();
                                }
                            }
                        >
                            "×"
                        </button>
                    </span>
                }
            })
            .collect_view();
        view! {
            {bindings}
            <button
                class="binding-add"
                data-testid="add-binding"
                aria-label=format!("Add keys for “{label}”")
                title="Add keys"
                on:click=move |_| start(id, None)
            >
                "+"
            </button>
            {changed
                .then(|| {
                    view! {
                        <button
                            class="binding-reset"
                            data-testid="reset-binding"
                            aria-label=format!("Default keys for “{label}”")
                            title="Back to the default keys"
                            on:click=move |_| {
                                let skipped = session.change_keymap(|keymap| keymap.reset(id));
                                if !skipped.is_empty() {
                                    let skipped: Vec<String> =
                                        skipped.iter().map(|k| k.to_string()).collect();
                                    session.notices.update(|n| n.push(format!(
                                        "“{label}”: {} left out, now used by another command",
                                        skipped.join(", ")
                                    )));
                                }
                                focus_dialog();
                            }
                        >
                            "↺"
                        </button>
                    }
                })}
        }
    };
    let row = move |shortcut: &Shortcut, keys: Vec<String>, changed: bool| {
        let id = shortcut.id;
        let editing = move || capture.with(|c| c.as_ref().is_some_and(|c| c.command == id));
        view! {
            <tr data-command=id.name() class:editing=editing>
                <td class="help-keys">{keys_cell(id, keys, changed)}</td>
                <td>
                    <span class="help-label">{id.label()}</span>
                    <span class="help-description">{id.description()}</span>
                </td>
            </tr>
        }
    };

    let panel = move || {
        let c = capture.get()?;
        let label = c.command.label();
        let pressed: Vec<String> = c.strokes.iter().map(|s| s.to_string()).collect();
        let pressed_text = pressed.join(" ");
        let view = match &c.proposal {
            None => {
                let instead = match &c.replacing {
                    Some(old) => format!(" instead of {}", shortcuts::display(&old.to_string())),
                    None => String::new(),
                };
                view! {
                    <div class="rebind-panel" data-testid="rebind-panel" data-state="recording" role="status">
                        <p>
                            "Press the new keys for “"<strong>{label}</strong>"”"{instead}
                            ". For a sequence such as "<kbd>"D"</kbd><kbd>"D"</kbd>
                            ", press them one after the other. "<kbd>"Esc"</kbd><kbd>"Esc"</kbd>" cancels."
                        </p>
                        <div class="rebind-keys">
                            {if pressed.is_empty() {
                                view! { <span class="rebind-waiting">"waiting for keys…"</span> }.into_any()
                            } else {
                                combo_view(&pressed_text).into_any()
                            }}
                            <button on:click=move |_| cancel()>"Cancel"</button>
                        </div>
                    </div>
                }
                .into_any()
            }
            Some(Proposal::Clash(with)) => {
                let with: Vec<_> = with
                    .iter()
                    .map(|(command, keys)| {
                        view! {
                            <li>
                                "“"<strong>{command.label()}</strong>"” ("{combo_view(keys)}")"
                            </li>
                        }
                    })
                    .collect();
                view! {
                    <div class="rebind-panel clash" data-testid="rebind-panel" data-state="clash" role="alert">
                        <p>
                            {combo_view(&pressed_text)}" for “"<strong>{label}</strong>
                            "” clashes with:"
                        </p>
                        <ul>{with}</ul>
                        <div class="rebind-actions">
                            <button data-testid="rebind-replace" class="primary" on:click=move |_| commit()>
                                "Replace (they lose these keys)"
                            </button>
                            <button data-testid="rebind-cancel" on:click=move |_| cancel()>"Cancel"</button>
                        </div>
                    </div>
                }
                .into_any()
            }
            Some(Proposal::Refused(why)) => {
                let (command, replacing) = (c.command, c.replacing.clone());
                view! {
                    <div class="rebind-panel refused" data-testid="rebind-panel" data-state="refused" role="alert">
                        <p>{why.clone()}</p>
                        <div class="rebind-actions">
                            <button
                                data-testid="rebind-retry"
                                class="primary"
                                on:click=move |_| start(command, replacing.clone())
                            >
                                "Try other keys"
                            </button>
                            <button data-testid="rebind-cancel" on:click=move |_| cancel()>"Cancel"</button>
                        </div>
                    </div>
                }
                .into_any()
            }
            Some(Proposal::Free) => return None,
        };
        Some(view)
    };

    view! {
        <Modal
            open=open
            overlay="help"
            class="help"
            testid="help-overlay"
            labelled_by="help-title"
            focusable=true
            on_close=move |()| close()
            on_key=on_key
        >
                    <div class="dialog-header">
                        <h2 id="help-title">"Keyboard shortcuts"</h2>
                        <span class="dialog-hint">
                            <kbd>"Esc"</kbd>" closes · "
                            {move || {
                                let keys = session
                                    .keymap
                                    .with(|k| k.keys_for(CommandId::ShowPalette).iter().map(|k| k.to_string()).collect::<Vec<_>>());
                                keys_view(&keys)
                            }}
                            " finds any command by name · click keys to change them"
                        </span>
                        <button
                            class="reset-keymap"
                            data-testid="reset-keymap"
                            title="Every command back to Jupyter's keys"
                            disabled=move || session.keymap.with(|k| *k == Keymap::jupyter())
                            on:click=move |_| {
                                session.change_keymap(|keymap| *keymap = Keymap::jupyter());
                                focus_dialog();
                            }
                        >
                            "Reset all"
                        </button>
                        <button class="dismiss" aria-label="Close" on:click=move |_| close()>"✕"</button>
                    </div>
                    {panel}
                    {move || {
                        let defaults = Keymap::jupyter();
                        let (all, changed): (Vec<Shortcut>, Vec<bool>) = session.keymap.with(|keymap| {
                            let all = shortcuts::all(keymap);
                            let changed = all.iter().map(|s| customised(keymap, &defaults, s.id)).collect();
                            (all, changed)
                        });
                        let command_rows = all
                            .iter()
                            .zip(&changed)
                            .filter(|(s, _)| s.id.scope() != Scope::Edit)
                            .map(|(s, &changed)| row(s, s.keys.clone(), changed))
                            .collect_view();
                        let edit_rows = all
                            .iter()
                            .zip(&changed)
                            .filter(|(s, _)| s.id.scope() == Scope::Edit || !s.edit_keys().is_empty())
                            .map(|(s, &changed)| {
                                let keys = if s.id.scope() == Scope::Edit { s.keys.clone() } else { s.edit_keys() };
                                row(s, keys, changed)
                            })
                            .collect_view();
                        view! {
                            <div class="help-columns">
                                <section data-mode="command">
                                    <h3>"Command mode "<span class="mode-chip command">"blue"</span></h3>
                                    <table class="help-table"><tbody>{command_rows}</tbody></table>
                                </section>
                                <section data-mode="edit">
                                    <h3>"Edit mode "<span class="mode-chip edit">"green"</span></h3>
                                    <table class="help-table"><tbody>{edit_rows}</tbody></table>
                                    <p class="help-note">
                                        "Keys pressed one after the other (such as "<kbd>"D"</kbd><kbd>"D"</kbd>
                                        ") must follow within a second. Your keys are kept in this browser."
                                    </p>
                                </section>
                            </div>
                        }
                    }}
        </Modal>
    }
}
