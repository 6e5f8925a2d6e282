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

/// The view that `load` fetches from its chunk; `fallback` while it comes; if it does not,
/// [`missing_line`] with a retry.
pub fn chunk_view<Load, Fut, Fallback>(
    what: &'static str,
    fallback: Fallback,
    load: Load,
) -> impl IntoView
where
    Load: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, ChunkMissing>> + 'static,
    Fallback: Fn() -> AnyView + Clone + Send + Sync + 'static,
{
    let attempt = RwSignal::new(0u32);
    view! {
        <Suspense fallback=fallback>
            {move || {
                attempt.track();
                let load = load.clone();
                // The page has one thread: the loader's future need not be Send.
                Suspend::new(SendWrapper::new(async move {
                    match load().await {
                        Ok(view) => view,
                        Err(ChunkMissing) => {
                            missing_line(what, move || attempt.update(|n| *n += 1)).into_any()
                        }
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
