//! The page's start in the order the user needs it: the first cell's editor first, the rest of
//! the page ([`after_first_paint`]) once the frame that shows that cell has been painted; and
//! the steps as `performance.mark`s named `wirebook:…` ([`mark`]), which
//! `e2e/bench/open.mjs` reports beside its own timings.

use std::sync::atomic::{AtomicBool, Ordering};

use leptos::prelude::*;

/// Marks `step` on the page's performance timeline as `wirebook:{step}` (a no-op where the
/// browser has no `performance`).
pub fn mark(step: &str) {
    if let Some(performance) = window().performance() {
        let _ = performance.mark(&format!("wirebook:{step}"));
    }
}

/// Marks the page's first cell editor as created (`wirebook:editor`), once: not every editor
/// a notebook opens.
pub fn editor_created() {
    static MARKED: AtomicBool = AtomicBool::new(false);
    if !MARKED.swap(true, Ordering::Relaxed) {
        mark("editor");
    }
}

/// Runs `then` after the next frame has been painted: a task queued from an animation frame
/// callback runs after that frame's layout and paint.
pub fn after_first_paint(then: impl FnOnce() + 'static) {
    request_animation_frame(move || set_timeout(then, std::time::Duration::ZERO));
}
