//! Markdown, maths and kernel HTML as safe HTML ([`crate::outputs::markdown`],
//! [`crate::outputs::html_sanitizer`]) come in a wasm chunk of their own: with pulldown-cmark
//! and pulldown-latex they are 105 KB of the UI's brotli'd code, which an empty notebook, or
//! one of code cells, never needs. The chunk is fetched once the inspector has been drawn
//! ([`preload`], from `crate::app`; at once for a notebook opened from a file), or as soon as
//! something asks for it ([`current`]); views show [`Shown::Rendering`] meanwhile
//! and are drawn again when it has come, since [`current`] is read through a signal. If it
//! does not come, [`missing`] says so and [`retry`] asks again (`crate::chunk`).
//!
//! [`Shown::Rendering`]: crate::outputs::rich_output::Shown::Rendering

use std::cell::Cell;

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use wirebook_shared::ipynb::Attachments;

use crate::chunk::ChunkMissing;
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
    /// The renderers themselves. Called only inside the chunk ([`load_rich_text`]) and by
    /// tests: a call anywhere else would pull the renderers back into the first paint's module.
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

#[wasm_split(rich_text, wasm_split_path = ::leptos::wasm_split, fallible)]
fn load_rich_text() -> Result<RichText, ChunkMissing> {
    Ok(RichText::here())
}

/// Where the chunk is.
#[derive(Clone, Copy)]
enum Chunk {
    Waiting,
    Loaded(RichText),
    Missing,
}

thread_local! {
    static CHUNK: ArcRwSignal<Chunk> = ArcRwSignal::new(Chunk::Waiting);
    static ASKED: Cell<bool> = const { Cell::new(false) };
}

/// The renderers if their chunk has come, `None` (and the chunk asked for) if not. Read in a
/// reactive context, it is read again when the chunk comes.
pub fn current() -> Option<RichText> {
    asked_for(CHUNK.with(|chunk| chunk.get()))
}

/// [`current`] without subscribing to it.
pub fn now() -> Option<RichText> {
    asked_for(CHUNK.with(|chunk| chunk.get_untracked()))
}

fn asked_for(chunk: Chunk) -> Option<RichText> {
    match chunk {
        Chunk::Loaded(renderers) => Some(renderers),
        Chunk::Waiting => {
            preload();
            None
        }
        Chunk::Missing => None,
    }
}

/// Whether the chunk could not be fetched (tracked).
pub fn missing() -> bool {
    CHUNK.with(|chunk| matches!(chunk.get(), Chunk::Missing))
}

/// Fetches the chunk unless it has been asked for already.
pub fn preload() {
    if ASKED.with(|asked| asked.replace(true)) {
        return;
    }
    leptos::task::spawn_local(async {
        let chunk = match load_rich_text().await {
            Ok(renderers) => Chunk::Loaded(renderers),
            Err(ChunkMissing) => Chunk::Missing,
        };
        CHUNK.with(|signal| signal.set(chunk));
    });
}

/// Asks for the chunk again after it did not come.
pub fn retry() {
    ASKED.with(|asked| asked.set(false));
    CHUNK.with(|chunk| chunk.set(Chunk::Waiting));
    preload();
}
