//! Key presses on the page to notebook commands: which keymap a press goes to (a cell
//! editor's edit mode, command mode, or none for dialogs and text fields), Ctrl+S that saves
//! from anywhere, and Esc in the inspector that goes back to the notebook. The notebook's
//! shortcuts work wherever the focus is but in text fields: in the inspector its list keeps
//! the keys that move in it.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wirebook_notebook::chords::Press;
use wirebook_notebook::commands::EditorSelection;
use wirebook_notebook::{Command, Mode};

use crate::keys::keymap::{Key, Keyboard};
use crate::session::{Overlay, Session};

/// Routes the page's key presses to the keymap for as long as the calling component lives.
pub fn listen(session: Session) {
    // The keymap and the keys of a sequence (`D D`) pressed so far: key presses update it
    // without telling anyone; a new keymap drops a sequence half typed.
    let keyboard = StoredValue::new(Keyboard::new(session.keymap.get_untracked()));
    leptos::prelude::Effect::new(move |_| {
        let keymap = session.keymap.get();
        keyboard.update_value(|k| k.set_keymap(keymap));
    });
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
        if key.key == "Escape" && in_inspector(ev.target()) {
            ev.prevent_default();
            session.dispatch(Command::EnterCommandMode);
            return;
        }
        let Some(mode) = key_mode(ev.target(), &key.key) else {
            return;
        };
        let press = keyboard
            .try_update_value(|keyboard| keyboard.press(mode, &key, &ev.code(), ev.time_stamp()));
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
}

/// The cell editor's selection when `target` is one (a split needs it).
fn editor_selection(target: Option<web_sys::EventTarget>) -> Option<EditorSelection> {
    let element = target?.dyn_into::<web_sys::Element>().ok()?;
    let cell = element.closest("[data-cell-id]").ok()??;
    let cell_id = cell.get_attribute("data-cell-id")?;
    let (start, end) = crate::codemirror::open_editors::with(&cell_id, |e| {
        (e.selection_start() as usize, e.selection_end() as usize)
    })?;
    Some(EditorSelection {
        cell_id,
        start,
        end,
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

fn is_inspector(element: &web_sys::Element) -> bool {
    element
        .closest("[data-pane=inspector]")
        .ok()
        .flatten()
        .is_some()
}

/// Whether `target` is in the inspector pane.
fn in_inspector(target: Option<web_sys::EventTarget>) -> bool {
    target
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| is_inspector(&element))
}

/// Which keymap, if any, a key press on `target` goes to.
pub fn key_mode(target: Option<web_sys::EventTarget>, key: &str) -> Option<Mode> {
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
    // Other text fields (the inspector's filter) keep their keys.
    let tag = element.tag_name();
    if matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT") {
        return None;
    }
    // The inspector's list moves and opens with these; the rest are the notebook's.
    if is_inspector(&element)
        && matches!(
            key,
            "ArrowUp" | "ArrowDown" | "PageUp" | "PageDown" | "Home" | "End" | "Enter" | " "
        )
    {
        return None;
    }
    // Enter and Space activate buttons.
    if matches!(tag.as_str(), "BUTTON" | "A") && matches!(key, "Enter" | " ") {
        return None;
    }
    Some(Mode::Command)
}
