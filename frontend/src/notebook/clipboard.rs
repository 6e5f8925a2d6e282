//! Cells through the system clipboard: cells copied with `C`/`X` mirrored to it, and Ctrl+C,
//! Ctrl+X and Ctrl+V in command mode carrying whole cells in every form the notebook tools
//! read (wirebook's JSON type, the classic Notebook's HTML, JupyterLab's type, plain text).

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wirebook_notebook::clipboard::{
    cells_from_clipboard, ClipboardCells, ClipboardError, CELLS_MIME, JUPYTER_CELLS_MIME,
};
use wirebook_notebook::{Command, Effect, Mode};

use crate::keys::listener::key_mode;
use crate::session::{Overlay, Session};

/// Listens to the page's `copy`, `cut` and `paste` events for as long as the calling
/// component lives.
pub fn listen(session: Session) {
    let copy = window_event_listener(ev::copy, move |ev| {
        cells_to_clipboard_event(session, Command::Copy, &ev)
    });
    let cut = window_event_listener(ev::cut, move |ev| {
        cells_to_clipboard_event(session, Command::Cut, &ev)
    });
    let paste = window_event_listener(ev::paste, move |ev| {
        cells_from_clipboard_event(session, &ev)
    });
    on_cleanup(move || {
        copy.remove();
        cut.remove();
        paste.remove();
    });
}

/// Mirrors cells copied with `C`/`X` to the system clipboard in the same three forms as
/// Ctrl+C: plain text, the classic Notebook's HTML and wirebook's JSON type, which the async
/// clipboard API takes as a "web custom format" (`web application/x-wirebook-cells+json`)
/// where the browser supports those (`ClipboardItem.supports`). The browser may refuse (no
/// permission, page not focused): the notebook's own clipboard still has the cells, so that
/// is not worth an error.
pub fn write_clipboard(cells: ClipboardCells) {
    let ClipboardCells { plain, html, json } = cells;
    let clipboard = window().navigator().clipboard();
    let custom = format!("web {CELLS_MIME}");
    let mut forms = vec![("text/plain", plain.clone()), ("text/html", html)];
    if clipboard_supports(&custom) {
        forms.push((custom.as_str(), json));
    }
    let item = (|| {
        let parts = js_sys::Object::new();
        for (mime, text) in &forms {
            let options = web_sys::BlobPropertyBag::new();
            options.set_type(mime);
            let blob = web_sys::Blob::new_with_str_sequence_and_options(
                &js_sys::Array::of1(&text.into()),
                &options,
            )
            .ok()?;
            js_sys::Reflect::set(&parts, &(*mime).into(), &blob).ok()?;
        }
        web_sys::ClipboardItem::new_with_record_from_str_to_blob_promise(&parts).ok()
    })();
    let promise = match item {
        Some(item) => clipboard.write(&js_sys::Array::of1(&item).into()),
        None => clipboard.write_text(&plain),
    };
    leptos::task::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    });
}

/// `ClipboardItem.supports(mime)`, false where the browser has no such method (it came with
/// web custom formats).
fn clipboard_supports(mime: &str) -> bool {
    let item = js_sys::Reflect::get(&js_sys::global(), &"ClipboardItem".into()).ok();
    let supports = item
        .as_ref()
        .and_then(|item| js_sys::Reflect::get(item, &"supports".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    match (item, supports) {
        (Some(item), Some(supports)) => supports
            .call1(&item, &mime.into())
            .ok()
            .and_then(|answer| answer.as_bool())
            .unwrap_or(false),
        _ => false,
    }
}

/// Whether a `copy`, `cut` or `paste` event is about cells: the notebook is in command mode,
/// no dialog is open, the event is not aimed at a text field or the inspector, and no text is
/// selected on the page (selected output text is copied as text, as anywhere else).
fn clipboard_is_for_cells(session: Session, ev: &web_sys::ClipboardEvent) -> bool {
    if session.overlay.get_untracked() != Overlay::None
        || session.notebook.with_untracked(|n| n.mode()) != Mode::Command
        || key_mode(ev.target(), "") != Some(Mode::Command)
    {
        return false;
    }
    let text_selected = window()
        .get_selection()
        .ok()
        .flatten()
        .is_some_and(|s| !s.is_collapsed());
    !text_selected
}

/// Ctrl+C / Ctrl+X in command mode: the selected cells go on the system clipboard in every
/// form (plain text, the classic Notebook's HTML and wirebook's JSON type), written into the
/// event itself, which needs no permission.
fn cells_to_clipboard_event(session: Session, command: Command, ev: &web_sys::ClipboardEvent) {
    if !clipboard_is_for_cells(session, ev) {
        return;
    }
    let Some(data) = ev.clipboard_data() else {
        return;
    };
    ev.prevent_default();
    let effects = session
        .notebook
        .try_update(|notebook| notebook.apply(command))
        .unwrap_or_default();
    for effect in effects {
        match effect {
            Effect::WriteClipboard(cells) => {
                for (mime, text) in [
                    ("text/plain", &cells.plain),
                    ("text/html", &cells.html),
                    (CELLS_MIME, &cells.json),
                ] {
                    let _ = data.set_data(mime, text);
                }
            }
            other => session.carry_out(other),
        }
    }
}

/// Ctrl+V in command mode: cells on the system clipboard (from another wirebook tab, the
/// classic Notebook, a JupyterLab cells type or a whole `.ipynb` as text) are pasted below
/// the selection. Anything else is left to the browser.
fn cells_from_clipboard_event(session: Session, ev: &web_sys::ClipboardEvent) {
    if !clipboard_is_for_cells(session, ev) {
        return;
    }
    let Some(data) = ev.clipboard_data() else {
        return;
    };
    let mut invalid = None;
    for mime in [CELLS_MIME, JUPYTER_CELLS_MIME, "text/html", "text/plain"] {
        let text = data.get_data(mime).unwrap_or_default();
        if text.is_empty() {
            continue;
        }
        match cells_from_clipboard(&text) {
            Ok(cells) => {
                ev.prevent_default();
                session.dispatch(Command::PasteCells {
                    cells,
                    above: false,
                });
                return;
            }
            Err(ClipboardError::Invalid(why)) => {
                invalid.get_or_insert(why);
            }
            Err(ClipboardError::NotCells) => {}
        }
    }
    if let Some(why) = invalid {
        ev.prevent_default();
        session.notices.update(|n| {
            n.push(format!(
                "nothing pasted: the clipboard's cells are invalid: {why}"
            ))
        });
    }
}
