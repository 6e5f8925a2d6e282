//! The list's column header: the Time column's mode menu, each column's name and resizing
//! edge ([`ColumnEdge`]), and what each column means, in its tooltip.

use leptos::prelude::*;

use crate::inspector::column_edge::ColumnEdge;
use crate::inspector::column_widths::{Column, ColumnWidths};
use crate::inspector::time_column::{TimeColumn, TimeMode, STORAGE_KEY as TIME_MODE_KEY};

/// The header row above the records; choosing a time mode sets `time_mode` and remembers it.
#[component]
pub fn ColumnHead(
    time_mode: RwSignal<TimeMode>,
    time_column: Memo<TimeColumn>,
    widths: RwSignal<ColumnWidths>,
) -> impl IntoView {
    view! {
        <div class="capture-head">
            <span class="c-time">
                <select
                    class="time-mode"
                    data-testid="time-mode"
                    aria-label="What the Time column shows"
                    title=move || time_column.with(|c| c.title())
                    on:change=move |ev| {
                        let mode = TimeMode::from_key(Some(&event_target_value(&ev)));
                        time_mode.set(mode);
                        crate::dom::store_setting(TIME_MODE_KEY, mode.key());
                    }
                >
                    {TimeMode::ALL.map(|mode| view! {
                        <option value=mode.key() selected=move || time_mode.get() == mode>
                            {mode.label()}
                        </option>
                    })}
                </select>
                <ColumnEdge column=Column::Time widths=widths />
            </span>
            <span class="c-conn">"Conn"<ColumnEdge column=Column::Conn widths=widths /></span>
            <span class="c-dir" title="→ toward the server · ← toward the client"></span>
            <span class="c-op" title="The WebSocket opcode; for a kernel message, its msg_type in its channel's colour (shell black, iopub purple, control orange; the row's tooltip names the channel)">"Opcode · type"<ColumnEdge column=Column::Opcode widths=widths /></span>
            <span class="c-fin" title="FIN: the frame ends its message">"FIN"</span>
            <span class="c-mask" title="MASK: the payload is masked (client to server)">"M"</span>
            <span class="c-len">"Length"<ColumnEdge column=Column::Length widths=widths /></span>
            <span class="c-warn" title="Findings: protocol violations and oddities">"⚠"</span>
            <span class="c-proto" title="The message read through its connection's protocol lens (Socket.IO, GraphQL, JSON-RPC, STOMP, SignalR, WAMP, MQTT, Jupyter)">"Protocol"<ColumnEdge column=Column::Protocol widths=widths /></span>
            <span class="c-lat" title="For a response: the time since the request it answers; … for a request not answered yet">"Latency"<ColumnEdge column=Column::Latency widths=widths /></span>
            <span class="c-data">"Data"</span>
        </div>
    }
}
