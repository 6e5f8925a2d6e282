//! The editor as the notebook shows it: [`CodeEditor`] mounts a CodeMirror view in a cell and
//! wires it to the notebook (its text, focus and keys), and [`AssistPopup`] draws the
//! completion popup or the inspection tooltip under the cursor. The session's side of the
//! kernel's replies is [`Session::assist_sent`] and [`Session::assist_reply`].

use std::cell::RefCell;
use std::rc::Rc;

use leptos::ev;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wirebook_notebook::bindings::Lookup;
use wirebook_notebook::{CellId, CellKind, Command, Mode};
use wirebook_shared::session::KernelInfo;

use crate::codemirror::bindings::{CellEditor, KeyVerdict};
use crate::codemirror::open_editors;
use crate::editor::key_routing::{self, KeyAction, KeyContext};
use crate::editor::language::Language;
use crate::keys::keymap::Key;
use crate::outputs::view::ansi_spans;
use crate::session::Session;
use wirebook_notebook::ansi;
use wirebook_notebook::kernel_assist::{Anchor, Ask, Outcome, Shown};

/// The editor and the closures it calls, kept together: the closures must live as long as it.
struct Mounted {
    editor: Rc<CellEditor>,
    /// The language it highlights (setting the one it has would parse the text again).
    language: Language,
    _on_change: Closure<dyn FnMut(String)>,
    _on_key: Closure<dyn FnMut(web_sys::KeyboardEvent) -> u32>,
    _on_focus: Closure<dyn FnMut()>,
    _on_blur: Closure<dyn FnMut()>,
}

/// A cell's CodeMirror editor, showing the cell's source in `language`. `kernel_assists`:
/// whether Tab and Shift+Tab ask the kernel (a Jupyter kernel's code cell).
#[component]
pub fn CodeEditor(
    session: Session,
    id: CellId,
    language: Memo<Language>,
    kernel_assists: Signal<bool>,
) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    let mounted: Rc<RefCell<Option<Mounted>>> = Rc::default();
    {
        let mounted = mounted.clone();
        let id = id.clone();
        host.on_load(move |parent| {
            let source = session
                .notebook
                .with_untracked(|n| n.cell(&id).map(|c| c.source.clone()).unwrap_or_default());
            let on_change = {
                let id = id.clone();
                Closure::<dyn FnMut(String)>::new(move |source: String| {
                    session.dispatch(Command::SetSource {
                        cell_id: id.clone(),
                        source,
                    })
                })
            };
            let on_key = {
                let id = id.clone();
                Closure::<dyn FnMut(web_sys::KeyboardEvent) -> u32>::new(
                    move |ev: web_sys::KeyboardEvent| {
                        on_key(session, &id, kernel_assists.get_untracked(), &ev) as u32
                    },
                )
            };
            let on_focus = {
                let id = id.clone();
                Closure::<dyn FnMut()>::new(move || {
                    session.dispatch(Command::EditorFocused(id.clone()))
                })
            };
            let on_blur = {
                let id = id.clone();
                Closure::<dyn FnMut()>::new(move || {
                    if session.assist.with_untracked(|a| a.shows_in(&id)) {
                        session.assist.update(|a| a.close());
                    }
                    session.dispatch(Command::EditorBlurred(id.clone()))
                })
            };
            let shown = language.get_untracked();
            let editor = Rc::new(CellEditor::new(
                &parent,
                &source,
                shown.name(),
                true,
                &on_change,
                &on_key,
                &on_focus,
                &on_blur,
            ));
            crate::startup::editor_created();
            open_editors::add(&id, editor.clone());
            *mounted.borrow_mut() = Some(Mounted {
                editor,
                language: shown,
                _on_change: on_change,
                _on_key: on_key,
                _on_focus: on_focus,
                _on_blur: on_blur,
            });
        });
    }
    {
        let mounted = mounted.clone();
        Effect::new(move |_| {
            let language = language.get();
            if let Some(m) = mounted.borrow_mut().as_mut() {
                if m.language != language {
                    m.editor.set_language(language.name());
                    m.language = language;
                }
            }
        });
    }
    let kept = SendWrapper::new((mounted, id));
    on_cleanup(move || {
        let (mounted, id) = kept.take();
        // Taken out first: destroying the view may blur it, which calls back into Rust.
        let taken = mounted.borrow_mut().take();
        if let Some(m) = taken {
            open_editors::remove(&id, &m.editor);
            m.editor.destroy();
        }
    });
    view! { <div class="editor" node_ref=host></div> }
}

/// What a key pressed in `id`'s editor does (see [`key_routing`]), done.
fn on_key(
    session: Session,
    id: &CellId,
    kernel_assists: bool,
    ev: &web_sys::KeyboardEvent,
) -> KeyVerdict {
    if ev.is_composing() {
        return KeyVerdict::Editor;
    }
    let key = Key::of_event(ev);
    let (popup, tooltip) = session.assist.with_untracked(|a| match &a.shown {
        Shown::Completion { completion, .. } => (completion.cell_id == *id, false),
        Shown::Tooltip { cell_id, .. } => (false, cell_id == id),
        Shown::Nothing => (false, false),
    });
    let bound_in_notebook = key.stroke(&ev.code()).is_some_and(|stroke| {
        session
            .keymap
            .with_untracked(|k| k.lookup(Mode::Edit, &[stroke]) != Lookup::Unbound)
    });
    let context = open_editors::with(id, |e| {
        let (start, end) = (e.selection_start(), e.selection_end());
        KeyContext {
            popup,
            tooltip,
            kernel_assists,
            selection: start != end,
            blank_before_cursor: key.key == "Tab"
                && key_routing::blank_before(&e.text(), start as usize),
            on_first_line: key.key == "ArrowUp" && e.cursor_on_first_line(),
            on_last_line: key.key == "ArrowDown" && e.cursor_on_last_line(),
            bound_in_notebook,
            search_panel: key.key == "Escape" && e.search_panel_open(),
        }
    });
    let Some(context) = context else {
        return KeyVerdict::Editor;
    };
    let (close, action) = key_routing::route(&key, context);
    if close {
        session.assist.update(|a| a.close());
    }
    match action {
        KeyAction::Editor => KeyVerdict::Editor,
        KeyAction::Notebook => KeyVerdict::Notebook,
        KeyAction::Complete => {
            ask(session, id, Ask::Complete);
            KeyVerdict::Handled
        }
        KeyAction::Inspect => {
            ask(session, id, Ask::Inspect);
            KeyVerdict::Handled
        }
        KeyAction::Step(by) => {
            session.assist.update(|a| {
                if let Some(c) = a.completion_in(id) {
                    c.step(by)
                }
            });
            KeyVerdict::Handled
        }
        KeyAction::Accept => {
            accept(session, id);
            KeyVerdict::Handled
        }
        KeyAction::Close => {
            session.assist.update(|a| a.close());
            KeyVerdict::Handled
        }
        KeyAction::PreviousCell | KeyAction::NextCell => {
            let up = action == KeyAction::PreviousCell;
            if edit_neighbour(session, id, up) {
                KeyVerdict::Handled
            } else {
                KeyVerdict::Editor
            }
        }
    }
}

/// Sends the kernel a completion or inspection request for the cursor in `id`'s editor.
fn ask(session: Session, id: &CellId, what: Ask) {
    let Some((code, cursor, anchor)) = open_editors::with(id, |e| {
        let b = e.cursor_box();
        let anchor = match b.as_slice() {
            [left, top, bottom] => Anchor {
                left: *left,
                top: *top,
                bottom: *bottom,
            },
            _ => Anchor::default(),
        };
        (e.text(), e.selection_start() as usize, anchor)
    }) else {
        return;
    };
    let msg = session
        .assist
        .try_update(|a| a.ask(what, id.clone(), &code, cursor, anchor));
    if let Some(msg) = msg {
        session.send(msg);
    }
}

/// Accepts the popup's selected match into `id`'s editor.
fn accept(session: Session, id: &str) {
    let edit = session
        .assist
        .try_update(|a| {
            let edit = a.completion_in(id).map(|c| c.accepted());
            a.close();
            edit
        })
        .flatten();
    if let Some(edit) = edit {
        open_editors::with(id, |e| {
            e.replace(to_u32(edit.from), to_u32(edit.to), &edit.text)
        });
    }
}

/// Edits the cell above (`up`) or below `id`, the cursor on its last or first line; false
/// when there is none.
fn edit_neighbour(session: Session, id: &str, up: bool) -> bool {
    let neighbour = session.notebook.with_untracked(|n| {
        let cells = n.cells();
        let at = cells.iter().position(|c| c.id == id)?;
        let to = if up { at.checked_sub(1)? } else { at + 1 };
        cells
            .get(to)
            .map(|c| (c.id.clone(), c.source.encode_utf16().count()))
    });
    let Some((neighbour, len)) = neighbour else {
        return false;
    };
    open_editors::with(&neighbour, |e| {
        e.set_cursor(if up { to_u32(len) } else { 0 })
    });
    session.dispatch(Command::Select(neighbour));
    session.dispatch(Command::EnterEditMode);
    true
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Session {
    /// The server sent a request to the kernel as `msg_id`: whether it was the editor's
    /// (then the user needs no notice of it).
    pub fn assist_sent(self, msg_type: &str, msg_id: &str) -> bool {
        self.assist
            .try_update(|a| a.sent(msg_type, msg_id))
            .unwrap_or(false)
    }

    /// A shell message from the kernel: the reply to the editor's request shows its popup or
    /// tooltip, or completes at once when there is one match.
    pub fn assist_reply(
        self,
        parent_msg_id: Option<&str>,
        msg_type: &str,
        content: &serde_json::Value,
    ) {
        if !matches!(msg_type, "complete_reply" | "inspect_reply") {
            return;
        }
        let outcome = self.assist.try_update(|a| {
            a.reply(parent_msg_id, msg_type, content, |cell| {
                open_editors::with(cell, |e| e.text())
            })
        });
        match outcome {
            Some(Outcome::Insert { cell_id, edit }) => {
                open_editors::with(&cell_id, |e| {
                    e.replace(to_u32(edit.from), to_u32(edit.to), &edit.text)
                });
            }
            Some(Outcome::Failed(why)) => self.notices.update(|n| n.push(why)),
            Some(Outcome::NotOurs | Outcome::Shown | Outcome::Nothing) | None => {}
        }
    }
}

/// The completion popup or the inspection tooltip, under the cursor that asked for it.
#[component]
pub fn AssistPopup(session: Session) -> impl IntoView {
    let assist = session.assist;
    // Keeps the selected match in view as the arrows move it.
    Effect::new(move |_| {
        let selected = assist.with(|a| match &a.shown {
            Shown::Completion { completion, .. } => Some(completion.selected),
            _ => None,
        });
        if selected.is_some() {
            request_animation_frame(|| {
                if let Some(item) = crate::dom::element::<web_sys::Element>(
                    "[data-testid=completion] [aria-selected=true]",
                ) {
                    let options = web_sys::ScrollIntoViewOptions::new();
                    options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                    item.scroll_into_view_with_scroll_into_view_options(&options);
                }
            });
        }
    });
    // A click on the popup must not take the focus from the editor (its blur closes it).
    let keep_focus = |ev: ev::MouseEvent| ev.prevent_default();
    move || {
        assist.with(|a| match &a.shown {
            Shown::Nothing => ().into_any(),
            Shown::Completion { completion, anchor } => {
                let cell_id = completion.cell_id.clone();
                let items = completion
                    .matches
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let selected = i == completion.selected;
                        let cell_id = cell_id.clone();
                        let on_click = move |_| {
                            assist.update(|a| {
                                if let Some(c) = a.completion_in(&cell_id) {
                                    c.select(i)
                                }
                            });
                            accept(session, &cell_id);
                        };
                        view! {
                            <li
                                role="option"
                                data-testid="completion-item"
                                aria-selected=selected.to_string()
                                class:selected=selected
                                on:click=on_click
                            >
                                <span class="completion-text">{m.text.clone()}</span>
                                {m.kind.clone().map(|k| view! {
                                    <span class="completion-type" data-testid="completion-type">{k}</span>
                                })}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <ul
                        class="completion"
                        data-testid="completion"
                        role="listbox"
                        aria-label="Completions: ↑/↓ choose, Enter or Tab accept, Esc close"
                        style=placement(anchor)
                        on:mousedown=keep_focus
                    >
                        {items}
                    </ul>
                }
                .into_any()
            }
            Shown::Tooltip { text, anchor, .. } => {
                let spans = ansi::spans(text);
                view! {
                    <div
                        class="inspection"
                        data-testid="inspection"
                        role="tooltip"
                        style=placement(anchor)
                        on:mousedown=keep_focus
                    >
                        <pre>{ansi_spans(spans)}</pre>
                    </div>
                }
                .into_any()
            }
        })
    }
}

/// Just below the cursor, in viewport pixels.
fn placement(anchor: &Anchor) -> String {
    format!(
        "left: {:.0}px; top: {:.0}px",
        anchor.left.max(0.0),
        (anchor.bottom + 2.0).max(0.0)
    )
}

/// Whether `kernel` completes and inspects a cell of `kind`: a Jupyter kernel's code cells
/// (not before the server has said which kernel it is).
pub fn kernel_assists(kind: CellKind, kernel: Option<&KernelInfo>) -> bool {
    kind == CellKind::Code && kernel.is_some_and(|k| !k.choice.takes_formats())
}
