//! The expectations' checks need the filter's regex engine (`wirebook_shared::expect` checks
//! `{"text": REGEX}`), which is 88 KB of brotli'd wasm: they come with the inspector's chunk,
//! fetched after the first paint, as plain functions ([`ExpectationKit`], as
//! `crate::outputs::rich_text` brings its renderers), rather than in the first paint's module.
//! The line under a cell ([`crate::notebook::expectations_view`]) shows once they have come,
//! and so does a recorded cell's comparison (`crate::notebook::comparison_view`), whose diff
//! comes the same way.
//! Nothing outside [`ExpectationKit::here`] may call them, or the engine comes back into the
//! first paint.

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use wirebook_notebook::replay_compare::Comparison;
use wirebook_notebook::Cell;
use wirebook_shared::expect::{from_form, Checked, Expectation};

use crate::chunk::ChunkMissing;

/// The checks, as plain functions: calling one runs the chunk's code.
#[derive(Clone, Copy)]
pub struct ExpectationKit {
    /// `Cell::expectations`.
    pub read: fn(&Cell) -> Result<Vec<Expectation>, String>,
    /// `Cell::checked_expectations`.
    pub checked: fn(&Cell, bool, Option<u16>) -> Option<Vec<Checked>>,
    /// `wirebook_shared::expect::from_form`.
    pub from_form: fn(&str, &str) -> Result<Expectation, String>,
    /// `Cell::compared`.
    pub compared: fn(&Cell, &[String]) -> Option<Comparison>,
}

impl ExpectationKit {
    /// The functions themselves. Called only inside the chunk ([`load`]) and by tests.
    pub fn here() -> Self {
        ExpectationKit {
            read: Cell::expectations,
            checked: Cell::checked_expectations,
            from_form,
            compared: Cell::compared,
        }
    }
}

impl std::fmt::Debug for ExpectationKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExpectationKit")
    }
}

#[wasm_split(inspector_and_dialogs, wasm_split_path = ::leptos::wasm_split, fallible)]
fn load_kit() -> Result<ExpectationKit, ChunkMissing> {
    Ok(ExpectationKit::here())
}

thread_local! {
    static KIT: ArcRwSignal<Option<ExpectationKit>> = ArcRwSignal::new(None);
}

/// The checks once their chunk has come (tracked: read again when it comes).
pub fn current() -> Option<ExpectationKit> {
    KIT.with(|kit| kit.get())
}

/// The checks once their chunk has come, read outside any view (not tracked).
pub fn current_untracked() -> Option<ExpectationKit> {
    KIT.with(|kit| kit.get_untracked())
}

/// Asks for the chunk (the app does, after the first paint, with the inspector's).
pub fn load() {
    leptos::task::spawn_local(async {
        if let Ok(kit) = load_kit().await {
            KIT.with(|signal| signal.set(Some(kit)));
        }
    });
}
