//! A list column's right edge in the header: dragged (the pointer captured, so a fast drag does
//! not lose it) or focused and moved with the keys [`ColumnWidths::key`] knows, it resizes its
//! column; a double click gives the column its default back. [`persisted_widths`] keeps the
//! widths in `localStorage` and on the list as CSS variables.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;

use crate::inspector::column_widths::{Column, ColumnWidths, EdgeKey};

const WIDTHS_KEY: &str = "wirebook.inspector.columns";

/// The widths an earlier visit left, stored whenever they change, and set as CSS variables on
/// `list` (the element holding the header and the rows) for as long as the calling view lives.
pub fn persisted_widths(list: NodeRef<html::Div>) -> RwSignal<ColumnWidths> {
    let widths = RwSignal::new(ColumnWidths::from_storage(
        crate::dom::stored_setting(WIDTHS_KEY).as_deref(),
    ));
    Effect::new(move |_| {
        let Some(list) = list.get() else {
            return;
        };
        let style = web_sys::HtmlElement::style(&list);
        widths.with(|w| {
            for (name, value) in w.variables() {
                let _ = match value {
                    Some(value) => style.set_property(&name, &value),
                    None => style.remove_property(&name).map(|_| ()),
                };
            }
            crate::dom::store_setting(WIDTHS_KEY, &w.to_storage());
        });
    });
    widths
}

#[component]
pub fn ColumnEdge(column: Column, widths: RwSignal<ColumnWidths>) -> impl IntoView {
    let edge = NodeRef::<html::Div>::new();
    // While dragging: where the pointer started and the column's width then.
    let start = StoredValue::new(None::<(f64, f64)>);
    // The header cell's width as shown (a default width is the stylesheet's).
    let shown_px = move || {
        edge.get_untracked()
            .and_then(|e| e.parent_element())
            .map_or(0.0, |cell| cell.get_bounding_client_rect().width())
    };
    let on_pointer_down = move |ev: ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        let Some(el) = edge.get_untracked() else {
            return;
        };
        let _ = el.set_pointer_capture(ev.pointer_id());
        let _ = el.focus();
        start.set_value(Some((f64::from(ev.client_x()), shown_px())));
        // No text selection, and the header's own controls do not see it.
        ev.prevent_default();
        ev.stop_propagation();
    };
    let on_pointer_move = move |ev: ev::PointerEvent| {
        if let Some((x, width)) = start.get_value() {
            let px = width + f64::from(ev.client_x()) - x;
            widths.update(|w| w.set(column, px));
        }
    };
    let on_pointer_up = move |ev: ev::PointerEvent| {
        start.set_value(None);
        if let Some(el) = edge.get_untracked() {
            let _ = el.release_pointer_capture(ev.pointer_id());
        }
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        if ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
            return;
        }
        let mut next = widths.get_untracked();
        if next.key(column, &ev.key(), ev.shift_key(), shown_px()) == EdgeKey::Resized {
            widths.set(next);
            // Handled here: the notebook's keymap does not see it.
            ev.prevent_default();
            ev.stop_propagation();
        }
    };
    let (min, max) = column.bounds();
    view! {
        <div
            class="col-edge"
            node_ref=edge
            role="separator"
            tabindex="0"
            aria-orientation="vertical"
            aria-label=format!("Resize the {} column", column.label())
            aria-valuemin=min
            aria-valuemax=max
            aria-valuenow=move || widths.with(|w| w.get(column)).map(|px| px.to_string())
            title="Drag, or focus and press ←/→ (Shift: faster), Home, End, to resize; double-click or Delete for the default width"
            data-testid="column-edge"
            data-column=column.key()
            on:pointerdown=on_pointer_down
            on:pointermove=on_pointer_move
            on:pointerup=on_pointer_up
            on:pointercancel=on_pointer_up
            on:dblclick=move |ev| {
                ev.stop_propagation();
                widths.update(|w| w.reset(column));
            }
            on:keydown=on_key
        ></div>
    }
}
