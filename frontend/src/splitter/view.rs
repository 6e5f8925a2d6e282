//! A divider between two panes, as the WAI-ARIA window splitter: `role="separator"`, focusable,
//! dragged with the pointer (captured, so a fast drag does not lose it), moved with the keys
//! [`Split::key`] knows; a double click or Enter hides the second pane (or, given `on_toggle`,
//! does what hiding means there). [`persisted_split`] keeps the split in `localStorage`.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::splitter::{Split, SplitKey, SplitLimits};

/// A split that the page lays out and a lazily loaded pane draws the divider of (the inspector
/// is a wasm chunk: its divider, in the chunk too, costs the first paint nothing). The page
/// provides it as a context; `hide` hides the second pane and `show` brings it back.
#[derive(Clone, Copy)]
pub struct PaneLayout {
    pub split: RwSignal<Split>,
    pub limits: SplitLimits,
    pub hide: Callback<()>,
    pub show: Callback<()>,
}

/// A split as an earlier visit left it, kept in `localStorage` under `storage_key` whenever it
/// changes (by the divider or by anything else, such as a hide button), for as long as the
/// calling view lives.
pub fn persisted_split(storage_key: &'static str, limits: SplitLimits) -> RwSignal<Split> {
    let split = RwSignal::new(Split::from_storage(
        crate::dom::stored_setting(storage_key).as_deref(),
        limits,
    ));
    Effect::new(move |_| {
        crate::dom::store_setting(storage_key, &split.get().to_storage());
    });
    split
}

#[component]
pub fn Splitter(
    split: RwSignal<Split>,
    limits: SplitLimits,
    /// The panes stand side by side (a vertical bar, ←/→), else one above the other (↑/↓).
    horizontal: bool,
    label: &'static str,
    testid: &'static str,
    /// What Enter and a double click do instead of hiding the second pane.
    #[prop(optional)]
    on_toggle: Option<Callback<()>>,
) -> impl IntoView {
    let bar = NodeRef::<html::Div>::new();
    // While dragging: where in the bar the pointer took it, so the bar does not jump to it.
    let grip = StoredValue::new(None::<f64>);
    // The container's size along the split, as last measured: for the aria values.
    let total_px = RwSignal::new(0.0f64);

    // The container's start and size along the split.
    let measure = move || -> Option<(f64, f64)> {
        let container = bar.get_untracked()?.parent_element()?;
        let rect = container.get_bounding_client_rect();
        let span = if horizontal {
            (rect.left(), rect.width())
        } else {
            (rect.top(), rect.height())
        };
        total_px.set(span.1);
        Some(span)
    };
    // Measured by a ResizeObserver once the container is laid out, and whenever its size
    // changes (the window, the other split): the aria values stay true, and the splitter's
    // build does not force a layout of the page to measure it (16 ms of the inspector's).
    let observer = StoredValue::new_local(None::<(web_sys::ResizeObserver, Closure<dyn Fn()>)>);
    Effect::new(move |_| {
        let Some(container) = bar.get().and_then(|bar| bar.parent_element()) else {
            return;
        };
        if observer.with_value(Option::is_some) {
            return;
        }
        let callback = Closure::<dyn Fn()>::new(move || {
            measure();
        });
        if let Ok(resize) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            resize.observe(&container);
            observer.set_value(Some((resize, callback)));
        }
    });
    on_cleanup(move || {
        if let Some((resize, _callback)) = observer.try_update_value(Option::take).flatten() {
            resize.disconnect();
        }
    });
    let toggle = move || match on_toggle {
        Some(callback) => callback.run(()),
        None => split.update(|s| s.collapsed = !s.collapsed),
    };

    let along = move |ev: &ev::PointerEvent| {
        f64::from(if horizontal {
            ev.client_x()
        } else {
            ev.client_y()
        })
    };
    let on_pointer_down = move |ev: ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        let Some(el) = bar.get_untracked() else {
            return;
        };
        let _ = el.set_pointer_capture(ev.pointer_id());
        let _ = el.focus();
        let rect = el.get_bounding_client_rect();
        let bar_start = if horizontal { rect.left() } else { rect.top() };
        grip.set_value(Some(along(&ev) - bar_start));
        // No text selection while dragging.
        ev.prevent_default();
    };
    let on_pointer_move = move |ev: ev::PointerEvent| {
        let Some(grip) = grip.get_value() else {
            return;
        };
        if let Some((start, size)) = measure() {
            split.update(|s| s.drag_to(along(&ev) - grip - start, size, limits));
        }
    };
    let on_pointer_up = move |ev: ev::PointerEvent| {
        grip.set_value(None);
        if let Some(el) = bar.get_untracked() {
            let _ = el.release_pointer_capture(ev.pointer_id());
        }
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        if ev.ctrl_key() || ev.alt_key() || ev.meta_key() || ev.shift_key() {
            return;
        }
        let Some((_, size)) = measure() else {
            return;
        };
        let mut next = split.get_untracked();
        match next.key(&ev.key(), horizontal, size, limits) {
            SplitKey::Ignored => return,
            SplitKey::Moved => split.set(next),
            SplitKey::Toggle => toggle(),
        }
        // Handled here: the notebook's keymap does not see it.
        ev.prevent_default();
    };

    view! {
        <div
            class="splitter"
            class:horizontal=horizontal
            node_ref=bar
            role="separator"
            tabindex="0"
            aria-label=label
            aria-orientation=if horizontal { "vertical" } else { "horizontal" }
            aria-valuenow=move || split.with(|s| s.aria_values(total_px.get(), limits).0)
            aria-valuemin=move || split.with(|s| s.aria_values(total_px.get(), limits).1)
            aria-valuemax=move || split.with(|s| s.aria_values(total_px.get(), limits).2)
            data-testid=testid
            title=if horizontal {
                "Drag, or focus and press ←/→, Home, End, to resize; double-click or Enter to hide"
            } else {
                "Drag, or focus and press ↑/↓, Home, End, to resize; double-click or Enter to close"
            }
            on:pointerdown=on_pointer_down
            on:pointermove=on_pointer_move
            on:pointerup=on_pointer_up
            on:pointercancel=on_pointer_up
            on:dblclick=move |_| toggle()
            on:keydown=on_key
        ></div>
    }
}
