//! One row of the inspector's list, as a [`ListRow`] says it: its cells, and whether it is
//! selected, picked for "To cells" or a counterpart of the selected row on the other hop.

use leptos::ev;
use leptos::prelude::*;

use crate::inspector::list::Selection;
use crate::inspector::list_row::ListRow;

#[component]
pub fn CaptureRow(
    row: ListRow,
    selected: Memo<Option<u64>>,
    selection: RwSignal<Selection>,
    counterparts: Memo<Vec<u64>>,
    on_click: Callback<(u64, bool, bool)>,
) -> impl IntoView {
    let seq = row.seq;
    let is_picked = move || selection.with(|s| s.is_picked(seq));
    let msg_type = row.kernel.as_ref().map(|k| k.msg_type.clone());
    let is_selected = move || selected.get() == Some(seq);
    let is_counterpart = move || counterparts.with(|c| c.contains(&seq));
    let has_bits = row.fin.is_some();
    // The tree's indent: a few steps, so that deep threads still show their msg_type.
    let indent = (row.depth > 0).then(|| format!("{}px", 4 + 10 * row.depth.min(6)));
    let bit = |b: Option<bool>| match b {
        Some(true) => "1",
        Some(false) => "0",
        None => "",
    };
    view! {
        <div
            class=format!(
                "vrow event-{} hop-{} {}",
                row.event,
                row.hop,
                row.direction.map(|d| format!("dir-{d}")).unwrap_or_default(),
            )
            class:selected=is_selected
            class:frame-selected=is_picked
            data-picked=move || is_picked().then_some("true")
            class:counterpart=is_counterpart
            class:has-findings=row.findings
            role="row"
            aria-selected=move || is_selected().to_string()
            data-testid="capture-row"
            data-seq=seq
            data-conn=row.conn
            data-hop=row.hop
            data-direction=row.direction
            data-event=row.event
            data-opcode=row.opcode
            data-msg-type=msg_type
            data-depth=row.depth
            data-counterpart=move || is_counterpart().then_some("true")
            title=row.title
            on:click=move |ev: ev::MouseEvent| {
                on_click.run((seq, ev.shift_key(), ev.ctrl_key() || ev.meta_key()))
            }
        >
            <span class="c-time" role="gridcell">{row.time}</span>
            <span class="c-conn" role="gridcell">
                <span class="hop">{row.hop}</span>
                {format!(" {}", row.conn)}
            </span>
            <span class="c-dir" role="gridcell" aria-label=row.direction.unwrap_or(row.event)>{row.arrow}</span>
            // Rows without a frame (kernel messages, heartbeats, opens, handshakes) have no
            // FIN and MASK bits: their kind takes those columns too. A kernel message's kind is
            // its msg_type, in its channel's colour (the tree indents it there), so that the
            // narrow Data column keeps the parent id and the content.
            <span
                class=format!("c-op op-{}", row.kind)
                class:no-bits=!has_bits
                role="gridcell"
                title=row.kernel.as_ref().map(|k| format!("{} on the {} channel", k.msg_type, row.kind))
                style:padding-left=indent
            >
                {match &row.kernel {
                    Some(k) => view! {
                        {(row.depth > 0).then_some(view! { <span class="thread-mark">"└ "</span> })}
                        <span class="k-type" data-testid="kernel-msg-type">{k.msg_type.clone()}</span>
                    }
                    .into_any(),
                    None => row.kind.into_any(),
                }}
            </span>
            {has_bits.then(|| view! {
                <span class="c-fin" class:zero=row.fin == Some(false) role="gridcell">{bit(row.fin)}</span>
                <span class="c-mask" class:zero=row.masked == Some(false) role="gridcell">{bit(row.masked)}</span>
            })}
            <span class="c-len" role="gridcell">{row.len}</span>
            <span class="c-warn" role="gridcell">{row.findings.then_some("⚠")}</span>
            <span class="c-proto" role="gridcell" data-testid="protocol-cell">{row.protocol}</span>
            <span class="c-lat" role="gridcell" data-testid="latency-cell">{row.latency}</span>
            <span class="c-data" role="gridcell">
                {row.kernel.and_then(|k| k.parent.map(|parent| view! {
                    <span
                        class="k-parent"
                        class:orphan=k.orphan
                        title=if k.orphan {
                            "The parent msg_id (the message this one answers), not among the rows shown"
                        } else {
                            "The parent msg_id: the message this one answers"
                        }
                    >
                        {parent}
                    </span>
                    " "
                }))}
                {row.preview}
            </span>
        </div>
    }
}
