//! The inspector pane: a DevTools-like table of what crossed both hops, newest at the bottom.

use leptos::html;
use leptos::prelude::*;
use wirebook_shared::capture::{CaptureBody, CaptureRecord, Hop};

use crate::app::Session;
use crate::inspector::{clock, event_name, relative, summary, Filter, Follow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeMode {
    Clock,
    Relative,
}

#[component]
pub fn InspectorPane(session: Session) -> impl IntoView {
    let inspector = session.inspector;
    let filter = RwSignal::new(Filter::default());
    let follow = RwSignal::new(Follow::default());
    let time_mode = RwSignal::new(TimeMode::Clock);
    let scroller = NodeRef::<html::Div>::new();
    // JavaScript gives minutes *west* of UTC.
    let utc_offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    let origin = Memo::new(move |_| inspector.with(|i| i.rows().next().map(|r| r.time_us)));

    let scroll_to_bottom = move || {
        request_animation_frame(move || {
            if let Some(el) = scroller.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        })
    };
    // Keep the newest row in view unless the user scrolled up to read.
    Effect::new(move |seen: Option<u64>| {
        let received = inspector.with(|i| i.received());
        let added = received.saturating_sub(seen.unwrap_or(0)) as usize;
        if added > 0 && follow.try_update(|f| f.rows_added(added)).unwrap_or(false) {
            scroll_to_bottom();
        }
        received
    });
    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            let (top, height, client) = (
                f64::from(el.scroll_top()),
                f64::from(el.scroll_height()),
                f64::from(el.client_height()),
            );
            let before = follow.get_untracked();
            let mut after = before;
            after.scrolled(top, height, client);
            // Only what the view shows counts; `last_top` alone changes on every event.
            if (after.following(), after.unseen()) != (before.following(), before.unseen()) {
                follow.set(after);
            } else {
                follow.update_untracked(|f| *f = after);
            }
        }
    };
    let jump = move |_| {
        follow.update(|f| f.jump());
        scroll_to_bottom();
    };

    let rows = move || filter.with(|f| inspector.with(|i| i.visible(f)));
    let count = move || {
        let shown = filter.with(|f| inspector.with(|i| i.rows().filter(|r| f.matches(r)).count()));
        let total = inspector.with(|i| i.len());
        if filter.with(|f| f.is_active()) {
            format!("{shown} of {total} rows")
        } else {
            format!("{total} rows")
        }
    };
    let evicted = move || inspector.with(|i| i.evicted());
    let trimmed = move || inspector.with(|i| i.trimmed());
    let on_hop = move |ev| {
        let hop = match event_target_value(&ev).as_str() {
            "browser" => Some(Hop::Browser),
            "kernel" => Some(Hop::Kernel),
            _ => None,
        };
        filter.update(|f| f.hop = hop);
    };
    let on_text = move |ev| filter.update(|f| f.text = event_target_value(&ev));
    let toggle_time = move |_| {
        time_mode.update(|m| {
            *m = match m {
                TimeMode::Clock => TimeMode::Relative,
                TimeMode::Relative => TimeMode::Clock,
            }
        })
    };

    view! {
        <section class="pane inspector" data-pane="inspector" aria-label="Inspector">
            <div class="pane-header">
                <h2>"Inspector"</h2>
                <div class="toolbar" role="toolbar" aria-label="Inspector filters">
                    <select aria-label="Hop" title="Show one hop or both" on:change=on_hop>
                        <option value="">"Both hops"</option>
                        <option value="browser">"Browser hop"</option>
                        <option value="kernel">"Kernel hop"</option>
                    </select>
                    <input
                        type="search"
                        class="filter"
                        placeholder="Filter"
                        aria-label="Filter rows"
                        spellcheck="false"
                        on:input=on_text
                    />
                    <button
                        title="Show wall-clock times or times since the first row"
                        aria-pressed=move || (time_mode.get() == TimeMode::Relative).to_string()
                        on:click=toggle_time
                    >
                        {move || match time_mode.get() {
                            TimeMode::Clock => "Clock",
                            TimeMode::Relative => "Relative",
                        }}
                    </button>
                    <button
                        title="Clear the rows seen so far"
                        on:click=move |_| inspector.update(|i| i.clear())
                    >
                        "Clear"
                    </button>
                </div>
                <span class="counts">
                    <span data-testid="capture-count">{count}</span>
                    {move || {
                        let n = evicted();
                        (n > 0).then(|| view! {
                            <span
                                class="evicted"
                                data-testid="capture-evicted"
                                title="Records the server's bounded capture dropped before this page saw them"
                            >
                                {format!(" · {n} evicted")}
                            </span>
                        })
                    }}
                    {move || {
                        let n = trimmed();
                        (n > 0).then(|| view! {
                            <span class="evicted" title="Oldest rows this page let go of to stay fast">
                                {format!(" · {n} older rows dropped")}
                            </span>
                        })
                    }}
                </span>
            </div>
            <div class="table-scroll" node_ref=scroller on:scroll=on_scroll tabindex="0" aria-label="Captured traffic">
                <table class="capture">
                    <thead>
                        <tr>
                            <th class="c-seq" scope="col">"#"</th>
                            <th class="c-time" scope="col">"Time"</th>
                            <th class="c-hop" scope="col">"Hop"</th>
                            <th class="c-dir" scope="col" title="→ toward the kernel · ← toward the browser"></th>
                            <th class="c-op" scope="col">"Opcode"</th>
                            <th class="c-len" scope="col">"Length"</th>
                            <th class="c-data" scope="col">"Data"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=rows key=|r| r.seq let:record>
                            <CaptureRow record=record time_mode=time_mode origin=origin utc_offset=utc_offset />
                        </For>
                    </tbody>
                </table>
                <Show when=move || inspector.with(|i| i.is_empty())>
                    <p class="empty">"Nothing captured yet. Run a cell: its message shows here on both hops, browser ⇄ wirebook and wirebook ⇄ kernel."</p>
                </Show>
            </div>
            <Show when=move || !follow.with(|f| f.following())>
                <button class="jump" on:click=jump>
                    {move || match follow.with(|f| f.unseen()) {
                        0 => "↓ Jump to latest".to_string(),
                        n => format!("↓ {n} new — jump to latest"),
                    }}
                </button>
            </Show>
        </section>
    }
}

#[component]
fn CaptureRow(
    record: CaptureRecord,
    time_mode: RwSignal<TimeMode>,
    origin: Memo<Option<u64>>,
    utc_offset: i32,
) -> impl IntoView {
    let time_us = record.time_us;
    let time = move || match time_mode.get() {
        TimeMode::Clock => clock(time_us, utc_offset),
        TimeMode::Relative => relative(time_us, origin.get().unwrap_or(time_us)),
    };
    let event = event_name(&record.body);
    let text = summary(&record.body);
    let (direction, arrow, opcode, len, caused_by) = match &record.body {
        CaptureBody::Message {
            direction,
            opcode,
            len,
            caused_by,
            ..
        } => {
            let dir = match direction {
                wirebook_shared::capture::Direction::ToServer => "to_server",
                wirebook_shared::capture::Direction::ToClient => "to_client",
            };
            (
                Some(dir),
                direction.arrow(),
                Some(opcode.name()),
                len.to_string(),
                *caused_by,
            )
        }
        CaptureBody::Open { .. } => (None, "●", None, String::new(), None),
        CaptureBody::Closed { .. } => (None, "■", None, String::new(), None),
        CaptureBody::Handshake(_) => (None, "⇅", None, String::new(), None),
        CaptureBody::Frame(frame) => {
            let dir = match frame.direction {
                wirebook_shared::capture::Direction::ToServer => "to_server",
                wirebook_shared::capture::Direction::ToClient => "to_client",
            };
            (
                Some(dir),
                frame.direction.arrow(),
                Some(frame.opcode.name()),
                frame.len.to_string(),
                frame.caused_by,
            )
        }
    };
    let hop = record.hop.label();
    let title = match caused_by {
        Some(seq) => format!(
            "#{} on connection {} (relays #{seq})\n{text}",
            record.seq, record.conn
        ),
        None => format!("#{} on connection {}\n{text}", record.seq, record.conn),
    };
    view! {
        <tr
            class=format!("row event-{event} hop-{hop} {}", direction.map(|d| format!("dir-{d}")).unwrap_or_default())
            data-testid="capture-row"
            data-seq=record.seq
            data-hop=hop
            data-direction=direction
            data-event=event
            data-opcode=opcode
            title=title
        >
            <td class="c-seq">{record.seq}</td>
            <td class="c-time">{time}</td>
            <td class="c-hop"><span class="hop">{hop}</span></td>
            <td class="c-dir" aria-label=direction.unwrap_or(event)>{arrow}</td>
            <td class="c-op">{opcode.unwrap_or(event)}</td>
            <td class="c-len">{len}</td>
            <td class="c-data">{text}</td>
        </tr>
    }
}
