//! The wasm chunks the page fetches after its first paint: the functions marked
//! `#[wasm_split(…, fallible)]` (cut out by scripts/split_wasm.py) and what the page shows when
//! one cannot be fetched — a server that went away, or one that now serves another build.
//! leptos's `#[lazy]` would panic then, and a panic stops the whole page; here the part that
//! did not come says so and offers to try again (a failed fetch is not remembered).

use std::future::Future;

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use send_wrapper::SendWrapper;

/// A chunk that could not be fetched or instantiated (the browser's console has the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMissing;

impl From<SplitLoaderError> for ChunkMissing {
    fn from(_: SplitLoaderError) -> Self {
        ChunkMissing
    }
}

/// Whose failure to come a [`chunk_view`] shows: views loaded from one chunk share one
/// `attempt` counter, and one of them says what did not come, so that the page shows one line
/// and one "Try again", which retries them all.
#[derive(Clone, Copy)]
pub struct Attempts {
    attempt: RwSignal<u32>,
}

impl Attempts {
    pub fn new() -> Self {
        Self {
            attempt: RwSignal::new(0),
        }
    }
}

/// The view that `load` fetches from its chunk; `fallback` while it comes; if it does not,
/// [`missing_line`] naming `what`, or nothing when `what` is `None` (another view of the same
/// `attempts` says it).
pub fn chunk_view<Load, Fut, Fallback>(
    what: Option<&'static str>,
    attempts: Attempts,
    fallback: Fallback,
    load: Load,
) -> impl IntoView
where
    Load: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, ChunkMissing>> + 'static,
    Fallback: Fn() -> AnyView + Clone + Send + Sync + 'static,
{
    let attempt = attempts.attempt;
    view! {
        <Suspense fallback=fallback>
            {move || {
                attempt.track();
                let load = load.clone();
                // The page has one thread: the loader's future need not be Send.
                Suspend::new(SendWrapper::new(async move {
                    match (load().await, what) {
                        (Ok(view), _) => view,
                        (Err(ChunkMissing), Some(what)) => {
                            missing_line(what, move || attempt.update(|n| *n += 1)).into_any()
                        }
                        (Err(ChunkMissing), None) => ().into_any(),
                    }
                }))
            }}
        </Suspense>
    }
}

/// The line that says `what` (e.g. "The inspector") could not be loaded, and a button that
/// calls `retry`.
pub fn missing_line(what: &'static str, retry: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    view! {
        <div class="chunk-missing" data-testid="chunk-missing" role="alert">
            <span>{format!("{what} could not be loaded from the server.")}</span>
            <button type="button" data-testid="chunk-retry" on:click=move |_| retry()>
                "Try again"
            </button>
        </div>
    }
}
