//! The inspector pane: a DevTools-like list of every frame and handshake on every hop, with
//! filters, export links, and the detail of the selected row in a bottom split.
//!
//! The list is virtualized: rows have a fixed height, and only the rows in view (plus some
//! overscan) exist in the DOM, between two spacers, so 100 000 rows scroll like 100.
//!
//! Kernel traffic shows in the same list (channel in the opcode column, msg_type and ids in the
//! data column); the "Tree" view shows only the kernel messages that pass the filter, threaded
//! by parent msg_id ([`crate::inspector::kernel_tree`]), in the same virtualized list.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wirebook_shared::capture::CaptureRecord;
use wirebook_shared::capture_page::PageQuery;
use wirebook_shared::session::ClientMsg;

use crate::api;
use crate::inspector::capture_export_view::ExportControls;
use crate::inspector::column_edge::persisted_widths;
use crate::inspector::column_head::ColumnHead;
use crate::inspector::composer_view::Composer;
use crate::inspector::filter_bar::FilterBar;
use crate::inspector::follow::Follow;
use crate::inspector::kernel_tree::KernelTree;
use crate::inspector::list::{
    count_label, empty_list_text, kernel_threads, KeyOutcome, ListMode, Selection, Shown,
};
use crate::inspector::list_row::ListRow;
use crate::inspector::protocol_column::ProtocolColumn;
use crate::inspector::record_view::FrameDetail;
use crate::inspector::row_filter::{Filter, FilterSpec, FilteredRows};
use crate::inspector::row_view::CaptureRow;
use crate::inspector::time_column::{TimeColumn, TimeMode, STORAGE_KEY as TIME_MODE_KEY};
use crate::inspector::virtual_list::ListGeometry;
use crate::session::capture_pages::TopRow;
use crate::session::records;
use crate::session::server_msg::CapturePageJson;
use crate::session::Session;
use crate::splitter::view::{persisted_split, PaneLayout, Splitter};
use crate::splitter::SplitLimits;

/// Must match `.vrow { height }` in style.css.
const ROW_PX: f64 = 20.0;
/// Records per older page asked of the server.
const PAGE_ROWS: u32 = 200;
/// Scrolled this close to the top, the list fetches the next older page.
const NEAR_TOP_PX: f64 = 4.0 * ROW_PX;
// Five rows each side cover a wheel notch (about 100 px) a frame. The rows are most of the
// inspector's DOM (44 rows were 558 of its 649 elements with 15), and the first build, which
// the opening waits for, draws them all.
const GEOMETRY: ListGeometry = ListGeometry {
    row_px: ROW_PX,
    overscan: 5,
};

/// The list | detail split: the list keeps its header and a few rows, the detail its bar and
/// a few lines.
const DETAIL: SplitLimits = SplitLimits {
    default_percent: 36.0,
    min_first_px: 100.0,
    min_second_px: 140.0,
    step_px: 20.0,
    divider_px: 6.0,
};
const DETAIL_KEY: &str = "wirebook.split.detail";

/// The inspector's frame while the page starts (`crate::startup`): its place and title, so
/// that nothing moves when [`InspectorPane`] takes its place a frame later.
#[component]
pub fn InspectorPaneStarting() -> impl IntoView {
    // The divider's place, until the chunk brings the divider.
    view! {
        <div class="splitter horizontal" aria-hidden="true"></div>
        <section class="pane inspector" data-pane="inspector" aria-label="Inspector" aria-busy="true">
            <div class="pane-header">
                <h2>"Inspector"</h2>
            </div>
        </section>
    }
}

/// The divider between the notebook and the inspector, or, with the inspector hidden, the tab
/// that brings it back (the page lays them out: `crate::app`).
#[component]
pub fn InspectorDivider() -> impl IntoView {
    let Some(layout) = use_context::<PaneLayout>() else {
        return ().into_any();
    };
    let show = layout.show;
    view! {
        <Show
            when=move || layout.split.with(|s| s.collapsed)
            fallback=move || view! {
                <Splitter
                    split=layout.split
                    limits=layout.limits
                    horizontal=true
                    label="Resize the notebook and the inspector"
                    testid="panes-splitter"
                    on_toggle=layout.hide
                />
            }
        >
            <button
                class="pane-restore"
                data-testid="inspector-show"
                title="Show the inspector again (it went on recording while hidden)"
                on:click=move |_| show.run(())
            >
                "Inspector"
            </button>
        </Show>
    }
    .into_any()
}

#[component]
pub fn InspectorPane(session: Session) -> impl IntoView {
    let inspector = session.records;
    let spec = RwSignal::new(FilterSpec::default());
    let compiled = StoredValue::new(Filter::default());
    // The spec `compiled` came from (the box may hold a pattern that does not compile): what
    // page queries send.
    let applied = StoredValue::new(FilterSpec::default());
    let filter_rev = RwSignal::new(0u64);
    let filter_error = RwSignal::new(None::<String>);
    let follow = RwSignal::new(Follow::default());
    let selection = RwSignal::new(Selection::default());
    // Rows and the counterparts follow the selected row alone, not every pick.
    let selected = Memo::new(move |_| selection.with(|s| s.selected()));
    let scroll_top = RwSignal::new(0.0f64);
    // Until the list is measured: the window's height, which the list's cannot exceed, so the
    // first build draws every row that will show (the measure drops the extra ones).
    let viewport = RwSignal::new(
        window()
            .inner_height()
            .ok()
            .and_then(|h| h.as_f64())
            .unwrap_or(400.0),
    );
    let scroller = NodeRef::<html::Div>::new();
    // JavaScript gives minutes *west* of UTC.
    let utc_offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    let time_mode = RwSignal::new(TimeMode::from_key(
        crate::dom::stored_setting(TIME_MODE_KEY).as_deref(),
    ));
    let time_column =
        Memo::new(move |_| inspector.with(|i| TimeColumn::new(time_mode.get(), utc_offset, i)));

    let set_filter = move |change: &dyn Fn(&mut FilterSpec)| {
        spec.update(|s| change(s));
        match spec.with_untracked(|s| s.compile()) {
            Ok(filter) => {
                compiled.set_value(filter);
                applied.set_value(spec.get_untracked());
                filter_error.set(None);
                filter_rev.update(|r| *r += 1);
                // Older pages are fetched again, with this filter, by the server.
                let rev = filter_rev.get_untracked();
                let active = spec.with_untracked(|s| s.is_active());
                inspector.update(|i| {
                    i.pages_mut().set_filter(rev, active);
                });
            }
            // The rows stay as the last valid filter left them; the box says what is wrong.
            Err(message) => filter_error.set(Some(message)),
        }
    };

    // Each record read through its connection's lens once, as it arrives.
    let protocol_column = Memo::new_owning(move |previous: Option<ProtocolColumn>| {
        let mut column = previous.unwrap_or_default();
        let changed = inspector.with(|i| column.refresh(i));
        (column, changed)
    });
    let filtered = Memo::new_owning(move |previous: Option<FilteredRows>| {
        let mut rows = previous.unwrap_or_default();
        let rev = filter_rev.get();
        let changed = inspector.with(|i| {
            compiled.with_value(|f| {
                if f.reads_lenses() {
                    // Read after the lenses have read the same records.
                    protocol_column.with(|lenses| rows.refresh(i, f, rev, lenses))
                } else {
                    rows.refresh(i, f, rev, &ProtocolColumn::default())
                }
            })
        });
        (rows, changed)
    });
    let list_area = NodeRef::<leptos::html::Div>::new();
    let column_widths = persisted_widths(list_area);
    let mode = RwSignal::new(ListMode::List);
    // The tree is rebuilt from the filtered rows whenever they change while it is shown.
    let tree = Memo::new(move |_| {
        (mode.get() == ListMode::Tree)
            .then(|| inspector.with(|records| filtered.with(|f| kernel_threads(records, f))))
    });
    // What the list shows, in either mode.
    let shown_index_of = move |seq: u64| with_shown(tree, filtered, |shown| shown.index_of(seq));
    let total =
        Memo::new(move |_| tree.with(|t| filtered.with(|f| Shown::new(f, t.as_ref()).len())));
    // The row above the records (older records not loaded, loading, the start of the capture)
    // is one row tall when shown; the records start below it.
    let top_row = Memo::new(move |_| inspector.with(|i| i.pages().top_row()));
    let head_px = Memo::new(move |_| {
        if top_row.get() == TopRow::Hidden {
            0.0
        } else {
            ROW_PX
        }
    });
    let window = Memo::new(move |_| {
        GEOMETRY.window(
            total.get(),
            scroll_top.get() - head_px.get(),
            viewport.get(),
        )
    });

    // The scroll that shows the newest rows.
    let bottom = move || {
        (GEOMETRY.total_px(total.get_untracked()) + head_px.get_untracked()
            - viewport.get_untracked())
        .max(0.0)
    };
    // The list opens following the newest rows: its window starts at the bottom, so the first
    // build draws the rows that will show instead of the oldest ones and then those.
    scroll_top.set(bottom());

    let set_scroll = move |top: f64| {
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(top.round() as i32);
            scroll_top.set(f64::from(el.scroll_top()));
        }
    };
    let scroll_to_bottom = move || {
        let wanted = bottom();
        set_scroll(wanted);
        // A list that grew by more than a screen at once (a filter cleared, a page of older
        // rows), or one just built and not laid out yet, may not have its new spacer heights,
        // and the browser clamps the scroll: the rows drawn stay the newest (not the ones at
        // the clamped place, drawn for one frame), and the scroll is set once more after the
        // layout.
        if scroll_top.get_untracked() + 1.0 < wanted {
            scroll_top.set(wanted);
            request_animation_frame(move || {
                if follow.with_untracked(|f| f.following()) {
                    set_scroll(bottom());
                } else if let Some(el) = scroller.get_untracked() {
                    // Scrolled away meanwhile: the rows follow the list's own place.
                    scroll_top.set(f64::from(el.scroll_top()));
                }
            });
        }
    };

    // Keep the newest row in view unless the user scrolled up to read. The spacers already
    // have their new heights when this runs, so the scroll lands before the next paint.
    Effect::new(move |seen: Option<(u64, usize)>| {
        let received = inspector.with(|i| i.received());
        let len = total.get();
        let added = match seen {
            Some((before, _)) => received.saturating_sub(before) as usize,
            None => 0,
        };
        let grew = seen.is_none_or(|(_, before_len)| len != before_len);
        let follows = if added > 0 {
            follow.try_update(|f| f.rows_added(added)).unwrap_or(false)
        } else {
            follow.with_untracked(|f| f.following())
        };
        if grew && follows {
            scroll_to_bottom();
        }
        (received, len)
    });

    let reveal = move |index: usize| {
        let head = head_px.get_untracked();
        let top = scroll_top.get_untracked() - head;
        if let Some(top) = GEOMETRY.reveal(index, top, viewport.get_untracked()) {
            set_scroll(top + head);
        }
    };
    // A new viewport height (the window, or the detail split opening or closing) keeps the
    // selected row in view, or the newest rows when following.
    let resized = move |height: f64| {
        viewport.set(height);
        let selected_index = selected.get_untracked().and_then(shown_index_of);
        if let Some(index) = selected_index {
            reveal(index);
        } else if follow.with_untracked(|f| f.following()) {
            scroll_to_bottom();
        }
    };
    // The viewport's height decides how many rows to render; it changes with the window and
    // when the detail split opens or closes.
    Effect::new(move |observer: Option<Option<web_sys::ResizeObserver>>| {
        if let Some(Some(observer)) = observer {
            return Some(observer);
        }
        let el = scroller.get()?;
        // Not laid out yet (the list was just built), it measures 0: the estimate stands until
        // the observer's first measure.
        let height = el.client_height();
        if height > 0 {
            viewport.set(f64::from(height));
        }
        let callback = Closure::<dyn Fn()>::new(move || {
            if let Some(el) = scroller.get_untracked() {
                resized(f64::from(el.client_height()));
            }
        });
        let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        // The observer lives as long as the page; so does its callback.
        callback.forget();
        observer.observe(&el);
        Some(observer)
    });

    // The next older page, filtered by the server with the list's filter.
    let fetch_older = move || {
        if !inspector.with_untracked(|i| i.pages().can_request()) {
            return;
        }
        let request = inspector.try_update(|i| i.pages_mut().request()).flatten();
        if let Some((id, before)) = request {
            // Over HTTP, not `/session`: the session socket is captured, and paging must not
            // add rows to what it pages through.
            let query = PageQuery {
                before_seq: Some(before),
                filter: applied.get_value(),
                limit: PAGE_ROWS,
            };
            leptos::task::spawn_local(async move {
                let answer = api::capture_page(&query)
                    .await
                    .map(|CapturePageJson(page)| page)
                    .map_err(|f| f.describe());
                inspector.try_update(|i| i.page(id, answer));
            });
        }
    };
    // A list that does not fill its viewport fetches older pages until it does (on opening,
    // after a new filter), as scrolling to the top would.
    Effect::new(move |_| {
        let rows = total.get();
        let can = inspector.with(|i| i.pages().can_request());
        if can && GEOMETRY.total_px(rows) <= viewport.get() + NEAR_TOP_PX {
            fetch_older();
        }
    });
    // Rows that arrive above the ones in view keep those where they were on screen.
    Effect::new(move |shown_first: Option<Option<u64>>| {
        let first = filtered.with(|f| f.get(0));
        if let (Some(Some(before)), false) = (shown_first, follow.with_untracked(|f| f.following()))
        {
            let above = filtered.with_untracked(|f| f.index_of(before)).unwrap_or(0);
            if above > 0 && first != Some(before) {
                set_scroll(scroll_top.get_untracked() + above as f64 * ROW_PX);
            }
        }
        first
    });

    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            let (top, height, client) = (
                f64::from(el.scroll_top()),
                f64::from(el.scroll_height()),
                f64::from(el.client_height()),
            );
            scroll_top.set(top);
            if top <= NEAR_TOP_PX {
                fetch_older();
            }
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

    // Rows picked for "To cells": a click picks one, Ctrl/Cmd+click adds or removes one,
    // Shift+click the range from the selected row; Space and Shift+↑/↓ do the same by keys.
    // The selection is set only when it changed: every row watches it.
    let change_selection = move |change: &dyn Fn(&mut Selection, Shown) -> KeyOutcome| {
        let mut next = selection.get_untracked();
        let outcome = with_shown(tree, filtered, |shown| change(&mut next, shown));
        if selection.with_untracked(|s| *s != next) {
            selection.set(next);
        }
        outcome
    };
    let select = move |seq: u64| {
        selection.update(|s| s.select(seq));
        if let Some(index) = shown_index_of(seq) {
            reveal(index);
        }
    };
    let on_list_key = move |ev: ev::KeyboardEvent| {
        if ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
            return;
        }
        let (key, shift) = (ev.key(), ev.shift_key());
        let height = viewport.get_untracked();
        let page_rows = GEOMETRY.page_rows(height);
        // The rows in view, below the row above the records when it shows.
        let top = scroll_top.get_untracked() - head_px.get_untracked();
        let visible = GEOMETRY.visible(total.get_untracked(), top, height + top.min(0.0));
        let change =
            |s: &mut Selection, shown: Shown| s.key(&key, shift, shown, page_rows, visible.clone());
        match change_selection(&change) {
            KeyOutcome::Ignored => {}
            KeyOutcome::Handled => ev.prevent_default(),
            KeyOutcome::Reveal(index) => {
                ev.prevent_default();
                // The newest row chosen follows the newest again; any other stays put.
                if index + 1 == total.get_untracked() {
                    follow.update(|f| f.jump());
                } else {
                    follow.update(|f| f.hold());
                }
                reveal(index);
            }
        }
    };
    // Escape closes the detail from anywhere in the pane (the list, the detail's buttons).
    let on_pane_key = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Escape" && selection.with_untracked(|s| s.detail_open()) {
            ev.prevent_default();
            selection.update(|s| s.close_detail());
            if let Some(el) = scroller.get_untracked() {
                let _ = el.focus();
            }
        }
    };

    let rows = move || {
        let w = window.get();
        let column = time_column.get();
        // Each row with the row shown above it (the first one's is above the window).
        let placed = tree.with(|t| {
            filtered.with(|f| {
                let shown = Shown::new(f, t.as_ref());
                let placed = shown.placed(w.start..w.end);
                let before = (w.start..).map(|i| i.checked_sub(1).and_then(|j| shown.get(j)));
                placed.into_iter().zip(before).collect::<Vec<_>>()
            })
        });
        inspector.with(|records| {
            protocol_column.with(|protocol| {
                filtered.with(|f| {
                    placed
                        .into_iter()
                        .filter_map(|(p, before)| {
                            let record = records.get(p.seq)?;
                            Some(
                                ListRow::new(
                                    record,
                                    records,
                                    utc_offset,
                                    p,
                                    f.folded(p.seq),
                                    column.cell(records, record, before),
                                )
                                .with_protocol(protocol.cell(p.seq)),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
        })
    };
    let counterparts = Memo::new(move |_| {
        selected
            .get()
            .map(|seq| inspector.with(|i| i.counterparts(seq)))
            .unwrap_or_default()
    });
    let on_row_click = Callback::new(move |(seq, range, toggle): (u64, bool, bool)| {
        // The clicked row stays where it is while new rows arrive.
        if follow.with_untracked(|f| f.following()) {
            follow.update(|f| f.hold());
        }
        change_selection(&|s, shown| {
            s.click(seq, range, toggle, shown);
            KeyOutcome::Handled
        });
    });
    let to_cells = move |_| {
        let seqs = selection.with_untracked(|s| s.for_cells());
        let (cells, skipped) = inspector.with_untracked(|i| {
            let records: Vec<&CaptureRecord> = seqs.iter().filter_map(|s| i.get(*s)).collect();
            crate::inspector::replay::cells_for(&records)
        });
        if !skipped.is_empty() {
            session.notices.update(|n| {
                n.push(format!(
                    "{} picked rows made no cell: {}",
                    skipped.len(),
                    skipped.join("; ")
                ))
            });
        }
        if !cells.is_empty() {
            session.dispatch(wirebook_notebook::Command::PasteCells {
                cells,
                above: false,
            });
        }
    };
    let on_detail_select = Callback::new(move |seq: u64| {
        if filtered.with_untracked(|f| f.index_of(seq)).is_none() {
            // The row is filtered out: show everything so that it can be shown.
            set_filter(&|s| *s = FilterSpec::default());
        }
        // Frames and heartbeats are not in the tree: the list shows them.
        let in_tree = inspector.with_untracked(|i| {
            i.get(seq)
                .is_some_and(|r| records::kernel_message(&r.body).is_some())
        });
        if !in_tree {
            mode.set(ListMode::List);
        }
        select(seq);
    });
    let composing = RwSignal::new(false);
    let on_composer_select = Callback::new(move |seq: u64| {
        on_detail_select.run(seq);
        selection.update(|s| s.open_detail());
    });
    let on_detail_close = Callback::new(move |()| {
        selection.update(|s| s.close_detail());
        if let Some(el) = scroller.get_untracked() {
            let _ = el.focus();
        }
    });
    // A selected row that the server instance or a clear took away closes the detail.
    Effect::new(move |_| {
        let gone = selected
            .get()
            .is_some_and(|seq| inspector.with(|i| i.get(seq).is_none()));
        if gone {
            selection.update(|s| s.forget_selected());
        }
    });

    let count = move || {
        count_label(
            total.get(),
            inspector.with(|i| i.len()),
            spec.with(|s| s.is_active()),
        )
    };
    // Records the list lacks, beside the count: each kind shown only when there are some.
    let missing = |n: u64, testid: &'static str, title: String, what: &'static str| {
        (n > 0).then(|| view! {
            <span class="evicted" data-testid=testid title=title>{format!(" · {n} {what}")}</span>
        })
    };
    let evicted = move || {
        missing(
            inspector.with(|i| i.evicted()),
            "capture-evicted",
            "Records the server's bounded capture dropped before this page saw them".into(),
            "evicted by the server",
        )
    };
    let older_on_server = move || {
        missing(
            inspector.with(|i| i.pages().older()),
            "capture-older",
            "The server has these records, older than the rows loaded: scroll up to load them \
             (the HAR, JSONL and pcapng exports have them all)"
                .into(),
            "older not loaded",
        )
    };
    let limit = inspector.with_untracked(|i| i.limit());
    let trimmed = move || {
        missing(
            inspector.with(|i| i.trimmed()),
            "capture-trimmed",
            format!("This page keeps the newest {limit} rows and let the oldest go"),
            "oldest dropped",
        )
    };

    let paused = session.capture_paused;
    let pause_pending = RwSignal::new(false);
    Effect::new(move |_| {
        paused.track();
        pause_pending.set(false);
    });
    let toggle_pause = move |_| {
        let want = !paused.get_untracked().unwrap_or(false);
        pause_pending.set(true);
        session.send(ClientMsg::SetCapturePaused { paused: want });
    };

    let detail_split = persisted_split(DETAIL_KEY, DETAIL);
    let detail_shown = move || selection.with(|s| s.detail_shown());
    let hide_pane = use_context::<PaneLayout>().map(|PaneLayout { hide, .. }| {
        view! {
            <button
                class="pane-hide"
                data-testid="inspector-hide"
                title="Hide the inspector (the capture goes on; the Inspector tab at the right brings it back)"
                on:click=move |_| hide.run(())
            >
                "Hide"
            </button>
        }
    });

    view! {
        <section
            class="pane inspector"
            class:with-detail=move || selection.with(|s| s.detail_shown())
            data-pane="inspector"
            aria-label="Inspector"
            on:keydown=on_pane_key
        >
            <div class="pane-header">
                <h2>"Inspector"</h2>
                {hide_pane}
                <span class="counts">
                    <span data-testid="capture-count">{count}</span>
                    {evicted}
                    {older_on_server}
                    {trimmed}
                </span>
                <div class="toolbar" role="toolbar" aria-label="Capture">
                    <button
                        data-testid="capture-pause"
                        class:paused=move || paused.get() == Some(true)
                        aria-pressed=move || (paused.get() == Some(true)).to_string()
                        data-state=move || match paused.get() {
                            Some(true) => "paused",
                            Some(false) => "live",
                            None => "unknown",
                        }
                        title="Pause or resume recording on the server (for every page)"
                        on:click=toggle_pause
                    >
                        {move || match (paused.get(), pause_pending.get()) {
                            (_, true) => "…",
                            (Some(true), _) => "Resume",
                            _ => "Pause",
                        }}
                    </button>
                    <button
                        data-testid="capture-clear"
                        title="Hide the rows seen so far (the server keeps them; exports still have them)"
                        on:click=move |_| inspector.update(|i| i.clear())
                    >
                        "Clear"
                    </button>
                    <span class="seg" role="group" aria-label="Rows as">
                        <button
                            data-testid="view-list"
                            aria-pressed=move || (mode.get() == ListMode::List).to_string()
                            title="Every row in the order captured"
                            on:click=move |_| mode.set(ListMode::List)
                        >
                            "List"
                        </button>
                        <button
                            data-testid="view-tree"
                            aria-pressed=move || (mode.get() == ListMode::Tree).to_string()
                            title="Kernel messages threaded by parent msg_id: each request with its replies and iopub traffic under it"
                            on:click=move |_| mode.set(ListMode::Tree)
                        >
                            "Tree"
                        </button>
                    </span>
                    <button
                        data-testid="composer-toggle"
                        aria-pressed=move || composing.get().to_string()
                        aria-expanded=move || composing.get().to_string()
                        title="Compose a Jupyter message and send it to the kernel"
                        on:click=move |_| composing.update(|c| *c = !*c)
                    >
                        "Compose"
                    </button>
                    <button
                        data-testid="frames-to-cells"
                        title="Insert cells after the current one that resend the picked frames (click, Ctrl+click, Shift+click; Space and Shift+↑/↓ in the list)"
                        disabled=move || selection.with(|s| s.for_cells().is_empty())
                        on:click=to_cells
                    >
                        {move || selection.with(|s| s.to_cells_label())}
                    </button>
                    <ExportControls spec=spec selection=selection />
                </div>
            </div>
            <Show when=move || paused.get() == Some(true)>
                <div class="paused-banner" data-testid="capture-paused" role="status">
                    "Capture paused: nothing is being recorded. Resume to record again."
                </div>
            </Show>
            <FilterBar session=session spec=spec error=filter_error set_filter=set_filter />
            <Show when=move || composing.get()>
                <Composer session=session on_select=on_composer_select />
            </Show>
            <div class="split-body">
            <div
                class="list-area"
                node_ref=list_area
                class:no-protocol=move || protocol_column.with(|column| !column.any())
                style:flex-basis=move || detail_shown().then(|| detail_split.with(|d| d.css_size(DETAIL)))
            >
            <ColumnHead time_mode=time_mode time_column=time_column widths=column_widths />
            <div
                class="capture-scroll"
                node_ref=scroller
                on:scroll=on_scroll
                on:keydown=on_list_key
                tabindex="0"
                role="grid"
                aria-label="Captured frames: ↑/↓ select, Enter opens the detail, Esc closes it, Space or Shift+↑/↓ pick rows for To cells"
                aria-rowcount=move || total.get().to_string()
                data-testid="capture-list"
                data-time-mode=move || time_mode.get().key()
            >
                <Show when=move || top_row.get() != TopRow::Hidden>
                    <button
                        class="older-row"
                        data-testid="capture-older-row"
                        data-state=move || match top_row.get() {
                            TopRow::Older(_) => "older",
                            TopRow::Loading(_) => "loading",
                            TopRow::Start => "start",
                            TopRow::Failed(_) => "failed",
                            TopRow::Hidden => "hidden",
                        }
                        title="Older records are fetched from the server as the list scrolls to the top"
                        on:click=move |_| fetch_older()
                    >
                        {move || match top_row.get() {
                            TopRow::Older(n) => format!("{n} older records not loaded"),
                            TopRow::Loading(n) => format!("Loading older records… ({n} not loaded)"),
                            TopRow::Start => "Start of capture".to_string(),
                            TopRow::Failed(error) => format!("Older records could not be loaded: {error}"),
                            TopRow::Hidden => String::new(),
                        }}
                    </button>
                </Show>
                <div class="spacer" style:height=move || format!("{}px", window.get().top_px)></div>
                <For each=rows key=|r| (r.generation, r.seq, r.depth, r.folded, r.time.clone(), r.protocol.clone(), r.latency.clone()) let:row>
                    <CaptureRow
                        row=row
                        selected=selected
                        selection=selection
                        counterparts=counterparts
                        on_click=on_row_click
                    />
                </For>
                <div class="spacer" style:height=move || format!("{}px", window.get().bottom_px)></div>
                <Show when=move || total.get() == 0>
                    <p class="empty">
                        {move || empty_list_text(inspector.with(|i| i.is_empty()), mode.get())}
                    </p>
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
            </div>
            <Show when=detail_shown>
                <Splitter
                    split=detail_split
                    limits=DETAIL
                    horizontal=false
                    label="Resize the list and the detail"
                    testid="detail-splitter"
                    on_toggle=on_detail_close
                />
                <FrameDetail
                    session=session
                    seq=Signal::derive(move || selected.get())
                    on_close=on_detail_close
                    on_select=on_detail_select
                />
            </Show>
            </div>
        </section>
    }
}

/// Runs `shown` on the rows the list shows (the tree when built, else the filtered rows),
/// untracked: for event handlers.
fn with_shown<R>(
    tree: Memo<Option<KernelTree>>,
    filtered: Memo<FilteredRows>,
    shown: impl FnOnce(Shown) -> R,
) -> R {
    tree.with_untracked(|t| filtered.with_untracked(|f| shown(Shown::new(f, t.as_ref()))))
}
