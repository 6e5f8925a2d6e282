//! The key bindings changed by the user ([`Session::change_keymap`]) and kept in the browser's
//! `localStorage` across visits, as the changes to Jupyter's defaults (`Keymap::to_json`).

use leptos::prelude::*;
use wirebook_notebook::bindings::Keymap;

use crate::keys::rebind::STORAGE_KEY;
use crate::session::notices::Notices;
use crate::session::Session;

impl Session {
    /// Changes the key bindings in effect and saves the user's changes to the defaults in
    /// `localStorage`, so they come back on the next visit.
    pub fn change_keymap<R>(self, change: impl FnOnce(&mut Keymap) -> R) -> R {
        let mut keymap = self.keymap.get_untracked();
        let result = change(&mut keymap);
        let json = keymap.to_json();
        self.keymap.set(keymap);
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

/// The browser's `localStorage`, where the user's key bindings live.
fn local_storage() -> Result<web_sys::Storage, String> {
    match window().local_storage() {
        Ok(Some(storage)) => Ok(storage),
        Ok(None) => Err("this browser has no localStorage".into()),
        Err(_) => Err("localStorage is disabled for this page".into()),
    }
}

fn store_keymap(json: &str) -> Result<(), String> {
    local_storage()?
        .set_item(STORAGE_KEY, json)
        .map_err(|_| "localStorage refused to store them (full or disabled)".to_string())
}

/// The keymap saved by an earlier visit, or Jupyter's defaults. What cannot be applied is
/// reported once, in a notice: the saved form is then rewritten without it.
pub fn load_keymap(notices: RwSignal<Notices>) -> Keymap {
    let saved = local_storage()
        .ok()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten());
    let Some(saved) = saved else {
        return Keymap::jupyter();
    };
    let (keymap, problems) = Keymap::from_json(&saved);
    if !problems.is_empty() {
        notices.update(|n| {
            n.push(format!(
                "some saved key bindings were not applied: {}",
                problems.join("; ")
            ))
        });
        let _ = store_keymap(&keymap.to_json());
    }
    keymap
}
