//! Markdown, maths and kernel HTML as safe HTML ([`crate::outputs::markdown`],
//! [`crate::outputs::html_sanitizer`]) come in a wasm chunk of their own: pulldown-cmark and
//! pulldown-latex are a seventh of the UI's code, and an empty notebook, or one of code cells,
//! never needs them. The chunk is fetched after the first paint ([`preload`]), or as soon as
//! something asks for it ([`current`]); views show [`Shown::Rendering`] meanwhile and are drawn
//! again when it has come, since [`current`] is read through a signal.
//!
//! [`Shown::Rendering`]: crate::outputs::rich_output::Shown::Rendering

use std::cell::Cell;

use leptos::prelude::*;
use wirebook_shared::ipynb::Attachments;

use crate::outputs::remote_content::{Remote, SafeHtml};
use crate::outputs::{html_sanitizer, markdown};

/// The renderers, as plain functions: calling one runs the chunk's code.
#[derive(Clone, Copy)]
pub struct RichText {
    /// [`markdown::render`].
    pub markdown: fn(&str, Option<&Attachments>, Remote) -> SafeHtml,
    /// [`html_sanitizer::sanitize`].
    pub html: fn(&str, Remote) -> SafeHtml,
}

impl RichText {
    /// The renderers themselves. Called only inside the chunk ([`load_rich_text`]) and by tests: a call
    /// anywhere else would pull the renderers back into the first paint's module.
    pub fn here() -> Self {
        Self {
            markdown: markdown::render,
            html: html_sanitizer::sanitize,
        }
    }
}

impl std::fmt::Debug for RichText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RichText")
    }
}

#[lazy]
fn load_rich_text() -> RichText {
    RichText::here()
}

thread_local! {
    static LOADED: ArcRwSignal<Option<RichText>> = ArcRwSignal::new(None);
    static ASKED: Cell<bool> = const { Cell::new(false) };
}

/// The renderers if their chunk has come, `None` (and the chunk asked for) if not. Read in a
/// reactive context, it is read again when the chunk comes.
pub fn current() -> Option<RichText> {
    asked_for(LOADED.with(|loaded| loaded.get()))
}

/// [`current`] without subscribing to it.
pub fn now() -> Option<RichText> {
    asked_for(LOADED.with(|loaded| loaded.get_untracked()))
}

fn asked_for(loaded: Option<RichText>) -> Option<RichText> {
    if loaded.is_none() {
        preload();
    }
    loaded
}

/// Fetches the chunk unless it has been asked for already.
pub fn preload() {
    if ASKED.with(|asked| asked.replace(true)) {
        return;
    }
    leptos::task::spawn_local(async {
        let renderers = load_rich_text().await;
        LOADED.with(|loaded| loaded.set(Some(renderers)));
    });
}
