//! The inspector pane: a DevTools-like list of every frame and handshake on every hop, with
//! filters, export links, and the detail of the selected row in a bottom split.
//!
//! The list is virtualized: rows have a fixed height, and only the rows in view (plus some
//! overscan) exist in the DOM, between two spacers, so 100 000 rows scroll like 100.
//!
//! Kernel traffic shows in the same list (channel in the opcode column, msg_type and ids in the
//! data column); the "Tree" view shows only the kernel messages that pass the filter, threaded
//! by parent msg_id ([`crate::kernel_tree`]), in the same virtualized list.

use std::collections::BTreeSet;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wirebook_shared::capture::{CaptureBody, CaptureRecord, Direction, Hop};
use wirebook_shared::jupyter::Channel;
use wirebook_shared::session::ClientMsg;

use crate::app::Session;
use crate::capture_export::{export_url, Credentials, ExportFormat};
use crate::inspector::{
    self, clock, direction_name, event_name, heartbeat_line, relative, short_id, summary,
    visible_controls, Follow, Inspector,
};
use crate::kernel_tree::{KernelTree, Message, ThreadRow};
use crate::row_filter::{Filter, FilterSpec, FilteredRows, RowKind, Scope};
use crate::view::composer::Composer;
use crate::view::frame_detail::FrameDetail;
use crate::virtual_list::{ListGeometry, Move};

/// Must match `.vrow { height }` in style.css.
const ROW_PX: f64 = 20.0;
const GEOMETRY: ListGeometry = ListGeometry {
    row_px: ROW_PX,
    overscan: 15,
};

/// What one list row shows, computed once when the row enters the window.
#[derive(Debug, Clone, PartialEq)]
struct RowData {
    /// The model generation: a new server instance reuses `seq`s, so it is part of the key.
    generation: u64,
    seq: u64,
    conn: u64,
    hop: &'static str,
    event: &'static str,
    direction: Option<&'static str>,
    arrow: &'static str,
    opcode: Option<&'static str>,
    kind: &'static str,
    fin: Option<bool>,
    masked: Option<bool>,
    len: String,
    preview: String,
    findings: bool,
    time: String,
    title: String,
    /// Kernel messages: msg_type and the short ids, shown before the preview.
    kernel: Option<KernelCells>,
    /// The tree view's indent (0 in the list).
    depth: u32,
    /// Answered heartbeats this row stands for (part of the key: the count changes the text).
    folded: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct KernelCells {
    msg_type: String,
    ids: String,
    /// In the tree: the parent is not among the rows shown.
    orphan: bool,
}

/// Where a row sits in what the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placed {
    seq: u64,
    depth: u32,
    orphan: bool,
}

/// Chronological list or threaded tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListMode {
    List,
    Tree,
}

impl RowData {
    fn new(
        record: &CaptureRecord,
        model: &Inspector,
        utc_offset: i32,
        placed: Placed,
        folded: u64,
    ) -> RowData {
        let frame = inspector::frame(&record.body);
        let direction = inspector::direction(&record.body);
        let start = model
            .conn(record.conn)
            .map_or(record.time_us, |c| c.start_us);
        let preview = summary(&record.body);
        let mut title = format!(
            "#{} · {} connection {} · {} (connection opened {})",
            record.seq,
            record.hop.label(),
            record.conn,
            clock(record.time_us, utc_offset),
            clock(start, utc_offset),
        );
        if let Some(cause) = inspector::caused_by(&record.body) {
            title.push_str(&format!("\nrelays #{cause}"));
        }
        let findings = inspector::findings(&record.body);
        for finding in &findings {
            title.push_str(&format!("\n⚠ {finding}"));
        }
        let mut preview = preview;
        let mut kind = frame.map_or(event_name(&record.body), |f| f.opcode.name());
        let mut len = frame.map(|f| f.len.to_string()).unwrap_or_default();
        let mut kernel = None;
        match &record.body {
            CaptureBody::KernelMessage(m) => {
                kind = m.channel.name();
                len = m.size.to_string();
                let mut ids = short_id(&m.msg_id).to_string();
                if let Some(parent) = &m.parent_msg_id {
                    ids.push_str(&format!(" ↳ {}", short_id(parent)));
                }
                title.push_str(&format!(
                    "\n{} {} on {}\nmsg_id {}\nparent {}",
                    m.msg_type,
                    m.direction.arrow(),
                    m.channel.name(),
                    m.msg_id,
                    m.parent_msg_id.as_deref().unwrap_or("none"),
                ));
                let content = m.parts.content.trim();
                preview = if content.is_empty() || content == "{}" {
                    String::new()
                } else {
                    let mut text = visible_controls(content);
                    if m.parts.content_truncated {
                        text.push('…');
                    }
                    text
                };
                kernel = Some(KernelCells {
                    msg_type: if m.msg_type.is_empty() {
                        "(no msg_type)".into()
                    } else {
                        m.msg_type.clone()
                    },
                    ids,
                    orphan: placed.orphan,
                });
            }
            CaptureBody::Heartbeat { ok, rtt_us } => {
                kind = "hb";
                preview = heartbeat_line(*ok, *rtt_us);
                if folded > 1 {
                    preview.push_str(&format!(
                        " · ×{folded} answered in a row (the newest shown)"
                    ));
                }
            }
            _ => {}
        }
        RowData {
            generation: model.generation(),
            seq: record.seq,
            conn: record.conn,
            hop: record.hop.label(),
            event: event_name(&record.body),
            direction: direction.map(direction_name),
            arrow: match (direction, event_name(&record.body)) {
                (Some(d), _) => d.arrow(),
                (None, "handshake") => "⇅",
                (None, "open") => "●",
                (None, _) => "■",
            },
            opcode: frame.map(|f| f.opcode.name()),
            kind,
            fin: frame.map(|f| f.fin),
            masked: frame.map(|f| f.mask_key.is_some()),
            len,
            preview,
            findings: !findings.is_empty(),
            time: relative(record.time_us, start),
            title,
            kernel,
            depth: placed.depth,
            folded,
        }
    }
}

#[component]
pub fn InspectorPane(session: Session) -> impl IntoView {
    let inspector = session.inspector;
    let spec = RwSignal::new(FilterSpec::default());
    // The compiled filter holds the browser's RegExp, which stays on this thread.
    let compiled = StoredValue::new_local(Filter::default());
    let filter_rev = RwSignal::new(0u64);
    let filter_error = RwSignal::new(None::<String>);
    let follow = RwSignal::new(Follow::default());
    let selected = RwSignal::new(None::<u64>);
    let picked = RwSignal::new(BTreeSet::<u64>::new());
    let detail_open = RwSignal::new(false);
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(400.0f64);
    let scroller = NodeRef::<html::Div>::new();
    // JavaScript gives minutes *west* of UTC.
    let utc_offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);

    let set_filter = move |change: &dyn Fn(&mut FilterSpec)| {
        spec.update(|s| change(s));
        match spec.with_untracked(|s| s.compile(crate::pattern::compile)) {
            Ok(filter) => {
                compiled.set_value(filter);
                filter_error.set(None);
                filter_rev.update(|r| *r += 1);
            }
            // The rows stay as the last valid filter left them; the box says what is wrong.
            Err(message) => filter_error.set(Some(message)),
        }
    };

    let filtered = Memo::new_owning(move |previous: Option<FilteredRows>| {
        let mut rows = previous.unwrap_or_default();
        let rev = filter_rev.get();
        let changed = inspector.with(|i| compiled.with_value(|f| rows.refresh(i, f, rev)));
        (rows, changed)
    });
    let mode = RwSignal::new(ListMode::List);
    // The tree is rebuilt from the filtered rows whenever they change while it is shown.
    let tree = Memo::new(move |_| {
        (mode.get() == ListMode::Tree).then(|| {
            inspector.with(|model| {
                filtered.with(|f| {
                    let messages = f
                        .range(0..f.len())
                        .filter_map(|seq| {
                            let m = inspector::kernel_message(&model.get(seq)?.body)?;
                            Some(Message {
                                seq,
                                msg_id: m.msg_id.clone(),
                                parent: m.parent_msg_id.clone(),
                            })
                        })
                        .collect();
                    KernelTree::build(messages)
                })
            })
        })
    });
    // What the list shows, in either mode.
    let shown_len = move || {
        tree.with(|t| match t {
            Some(t) => t.len(),
            None => filtered.with(|f| f.len()),
        })
    };
    let shown_index_of = move |seq: u64| {
        tree.with_untracked(|t| match t {
            Some(t) => t.index_of(seq),
            None => filtered.with_untracked(|f| f.index_of(seq)),
        })
    };
    let shown_get = move |index: usize| {
        tree.with_untracked(|t| match t {
            Some(t) => t.get(index).map(|r| r.seq),
            None => filtered.with_untracked(|f| f.get(index)),
        })
    };
    let total = Memo::new(move |_| shown_len());
    let window = Memo::new(move |_| GEOMETRY.window(total.get(), scroll_top.get(), viewport.get()));

    let set_scroll = move |top: f64| {
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(top.round() as i32);
            scroll_top.set(f64::from(el.scroll_top()));
        }
    };
    let scroll_to_bottom = move || {
        let bottom = (GEOMETRY.total_px(total.get_untracked()) - viewport.get_untracked()).max(0.0);
        set_scroll(bottom);
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
        if let Some(top) =
            GEOMETRY.reveal(index, scroll_top.get_untracked(), viewport.get_untracked())
        {
            set_scroll(top);
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
        viewport.set(f64::from(el.client_height()));
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

    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            let (top, height, client) = (
                f64::from(el.scroll_top()),
                f64::from(el.scroll_height()),
                f64::from(el.client_height()),
            );
            scroll_top.set(top);
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
    let pick = move |seq: u64, range: bool, toggle: bool| {
        let anchor = selected.get_untracked().and_then(shown_index_of);
        match (range, anchor, shown_index_of(seq)) {
            (true, Some(a), Some(b)) => {
                let rows: Vec<u64> = (a.min(b)..=a.max(b)).filter_map(shown_get).collect();
                picked.update(|p| p.extend(rows));
            }
            _ if toggle => picked.update(|p| {
                if !p.remove(&seq) {
                    p.insert(seq);
                }
            }),
            _ => picked.set(BTreeSet::from([seq])),
        }
    };
    let select = move |seq: u64| {
        selected.set(Some(seq));
        if let Some(index) = shown_index_of(seq) {
            reveal(index);
        }
    };
    let on_list_key = move |ev: ev::KeyboardEvent| {
        if ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
            return;
        }
        let key = ev.key();
        if key == " " {
            if let Some(seq) = selected.get_untracked() {
                ev.prevent_default();
                pick(seq, false, true);
            }
            return;
        }
        if let Some(step) = Move::from_key(&key) {
            ev.prevent_default();
            let extend = ev.shift_key();
            if extend {
                picked.update(|p| p.extend(selected.get_untracked()));
            }
            let current = selected.get_untracked().and_then(shown_index_of);
            let next = step
                .apply(
                    current,
                    total.get_untracked(),
                    GEOMETRY.page_rows(viewport.get_untracked()),
                )
                .and_then(shown_get);
            if let Some(seq) = next {
                select(seq);
                if extend {
                    picked.update(|p| {
                        p.insert(seq);
                    });
                }
            }
        } else if key == "Enter" && selected.get_untracked().is_some() {
            ev.prevent_default();
            detail_open.set(true);
        }
    };
    // Escape closes the detail from anywhere in the pane (the list, the detail's buttons).
    let on_pane_key = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Escape" && detail_open.get_untracked() {
            ev.prevent_default();
            detail_open.set(false);
            if let Some(el) = scroller.get_untracked() {
                let _ = el.focus();
            }
        }
    };

    let rows = move || {
        let w = window.get();
        let placed: Vec<Placed> = tree.with(|t| match t {
            Some(t) => t
                .range(w.start..w.end)
                .iter()
                .map(|&ThreadRow { seq, depth, orphan }| Placed { seq, depth, orphan })
                .collect(),
            None => filtered.with(|f| {
                f.range(w.start..w.end)
                    .map(|seq| Placed {
                        seq,
                        depth: 0,
                        orphan: false,
                    })
                    .collect()
            }),
        });
        inspector.with(|model| {
            filtered.with(|f| {
                placed
                    .into_iter()
                    .filter_map(|p| {
                        let record = model.get(p.seq)?;
                        Some(RowData::new(record, model, utc_offset, p, f.folded(p.seq)))
                    })
                    .collect::<Vec<_>>()
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
        pick(seq, range, toggle);
        if !range {
            selected.set(Some(seq));
        }
        if !range && !toggle {
            detail_open.set(true);
        }
    });
    let to_cells = move |_| {
        let mut seqs: Vec<u64> = picked.get_untracked().into_iter().collect();
        if seqs.is_empty() {
            seqs.extend(selected.get_untracked());
        }
        let (cells, skipped) = inspector.with_untracked(|i| {
            let records: Vec<&CaptureRecord> = seqs.iter().filter_map(|s| i.get(*s)).collect();
            crate::replay::cells_for(&records)
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
                .is_some_and(|r| inspector::kernel_message(&r.body).is_some())
        });
        if !in_tree {
            mode.set(ListMode::List);
        }
        select(seq);
    });
    let composing = RwSignal::new(false);
    let on_composer_select = Callback::new(move |seq: u64| {
        on_detail_select.run(seq);
        detail_open.set(true);
    });
    let on_detail_close = Callback::new(move |()| {
        detail_open.set(false);
        if let Some(el) = scroller.get_untracked() {
            let _ = el.focus();
        }
    });
    // A selected row that the server instance or a clear took away closes the detail.
    Effect::new(move |_| {
        if let Some(seq) = selected.get() {
            if inspector.with(|i| i.get(seq).is_none()) {
                selected.set(None);
                detail_open.set(false);
            }
        }
    });

    let count = move || {
        let shown = total.get();
        let kept = inspector.with(|i| i.len());
        if spec.with(|s| s.is_active()) {
            format!("{shown} of {kept} rows")
        } else {
            format!("{kept} rows")
        }
    };
    let evicted = move || inspector.with(|i| i.evicted());
    let older_on_server = move || inspector.with(|i| i.older_on_server());
    let trimmed = move || inspector.with(|i| i.trimmed());
    let limit = inspector.with_untracked(|i| i.limit());

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

    let search = window_search();
    let export_conn = move || match spec.with(|s| s.scope) {
        Scope::Conn(conn) => Some(conn),
        _ => None,
    };
    let credentials = RwSignal::new(Credentials::Removed);
    let export_link = move |format: ExportFormat| {
        let search = search.clone();
        view! {
            <a
                class="button export"
                data-testid=format!("export-{}", format.label().to_lowercase())
                href=move || export_url(format, export_conn(), credentials.get(), &search)
                download=move || format.file_name(export_conn())
                title=move || match export_conn() {
                    Some(conn) => format!("Download connection {conn}'s capture as {}", format.label()),
                    None => format!("Download the whole capture as {}", format.label()),
                }
            >
                {format.label()}
            </a>
        }
    };

    view! {
        <section
            class="pane inspector"
            class:with-detail=move || detail_open.get() && selected.get().is_some()
            data-pane="inspector"
            aria-label="Inspector"
            on:keydown=on_pane_key
        >
            <div class="pane-header">
                <h2>"Inspector"</h2>
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
                                {format!(" · {n} evicted by the server")}
                            </span>
                        })
                    }}
                    {move || {
                        let n = older_on_server();
                        (n > 0).then(|| view! {
                            <span
                                class="evicted"
                                data-testid="capture-older"
                                title="The server has these records, older than the ones it sends a page that opens; the HAR and JSONL exports have them all"
                            >
                                {format!(" · {n} older in the export")}
                            </span>
                        })
                    }}
                    {move || {
                        let n = trimmed();
                        (n > 0).then(|| view! {
                            <span
                                class="evicted"
                                data-testid="capture-trimmed"
                                title=format!("This page keeps the newest {limit} rows and let the oldest go")
                            >
                                {format!(" · {n} oldest dropped")}
                            </span>
                        })
                    }}
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
                        disabled=move || picked.with(|p| p.is_empty()) && selected.with(|s| s.is_none())
                        on:click=to_cells
                    >
                        {move || match picked.with(|p| p.len()) {
                            0 | 1 => "To cells".to_string(),
                            n => format!("To cells ({n})"),
                        }}
                    </button>
                    {export_link(ExportFormat::Har)}
                    {export_link(ExportFormat::Jsonl)}
                    <label
                        class="export-credentials"
                        title="Keep the values of Authorization, Cookie and Set-Cookie headers in the exports (removed by default, as in Chrome's sanitized HAR export). wirebook's own token is never exported."
                    >
                        <input
                            type="checkbox"
                            data-testid="export-credentials"
                            prop:checked=move || credentials.get() == Credentials::Kept
                            on:change=move |ev| credentials.set(if event_target_checked(&ev) {
                                Credentials::Kept
                            } else {
                                Credentials::Removed
                            })
                        />
                        "with credentials"
                    </label>
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
            <div class="list-area">
            <div class="capture-head" aria-hidden="true">
                <span class="c-time">"Time"</span>
                <span class="c-conn">"Conn"</span>
                <span class="c-dir" title="→ toward the server · ← toward the client"></span>
                <span class="c-op" title="The WebSocket opcode, or a kernel message's channel (shell, iopub, stdin, control, hb)">"Opcode"</span>
                <span class="c-fin" title="FIN: the frame ends its message">"FIN"</span>
                <span class="c-mask" title="MASK: the payload is masked (client to server)">"M"</span>
                <span class="c-len">"Length"</span>
                <span class="c-warn" title="Findings: protocol violations and oddities">"⚠"</span>
                <span class="c-data">"Data"</span>
            </div>
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
            >
                <div class="spacer" style:height=move || format!("{}px", window.get().top_px)></div>
                <For each=rows key=|r| (r.generation, r.seq, r.depth, r.folded) let:row>
                    <CaptureRow
                        row=row
                        selected=selected
                        picked=picked
                        counterparts=counterparts
                        on_click=on_row_click
                    />
                </For>
                <div class="spacer" style:height=move || format!("{}px", window.get().bottom_px)></div>
                <Show when=move || total.get() == 0>
                    <p class="empty">
                        {move || if inspector.with(|i| i.is_empty()) {
                            "Nothing captured yet. Run a cell: its frames show here on every hop, browser ⇄ wirebook and wirebook ⇄ kernel."
                        } else if mode.get() == ListMode::Tree {
                            "No kernel messages match the filter (the tree shows Jupyter messages only)."
                        } else {
                            "No rows match the filter."
                        }}
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
            <Show when=move || detail_open.get() && selected.get().is_some()>
                <FrameDetail
                    session=session
                    seq=Signal::derive(move || selected.get())
                    on_close=on_detail_close
                    on_select=on_detail_select
                />
            </Show>
        </section>
    }
}

/// The page's query string, for the export links' token.
fn window_search() -> String {
    window().location().search().unwrap_or_default()
}

#[component]
fn FilterBar(
    session: Session,
    spec: RwSignal<FilterSpec>,
    error: RwSignal<Option<String>>,
    set_filter: impl Fn(&dyn Fn(&mut FilterSpec)) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let inspector = session.inspector;
    let scope_options = move || {
        inspector.with(|i| {
            let mut options: Vec<(String, String)> = i
                .hops()
                .into_iter()
                .map(|hop| {
                    (
                        format!("hop:{}", hop.label()),
                        format!("{} hop", hop.label()),
                    )
                })
                .collect();
            options.extend(i.conns().map(|(id, info)| {
                (
                    format!("conn:{id}"),
                    format!(
                        "#{id} {} {}",
                        info.hop.label(),
                        info.target.as_deref().unwrap_or("")
                    ),
                )
            }));
            options
        })
    };
    let scope_value = move || match spec.with(|s| s.scope) {
        Scope::All => "all".to_string(),
        Scope::Hop(hop) => format!("hop:{}", hop.label()),
        Scope::Conn(conn) => format!("conn:{conn}"),
    };
    let on_scope = move |ev| {
        let value = event_target_value(&ev);
        let hops: Vec<Hop> = inspector.with_untracked(|i| i.hops());
        let scope = if let Some(label) = value.strip_prefix("hop:") {
            hops.into_iter()
                .find(|h| h.label() == label)
                .map_or(Scope::All, Scope::Hop)
        } else if let Some(conn) = value.strip_prefix("conn:") {
            conn.parse().map_or(Scope::All, Scope::Conn)
        } else {
            Scope::All
        };
        set_filter(&|s| s.scope = scope);
    };
    let on_direction = move |ev| {
        let direction = match event_target_value(&ev).as_str() {
            "to_server" => Some(Direction::ToServer),
            "to_client" => Some(Direction::ToClient),
            _ => None,
        };
        set_filter(&|s| s.direction = direction);
    };
    let on_search = move |ev| {
        let text = event_target_value(&ev);
        set_filter(&|s| s.search = text.clone());
    };
    let on_channel = move |ev| {
        let channel = Channel::from_name(&event_target_value(&ev));
        set_filter(&|s| s.channel = channel);
    };
    let on_msg_type = move |ev| {
        let text = event_target_value(&ev);
        set_filter(&|s| s.msg_type = text.clone());
    };
    let kind_chip = move |kind: RowKind| {
        let shown = move || !spec.with(|s| s.hidden.contains(kind));
        view! {
            <button
                class="chip"
                class:off=move || !shown()
                data-testid="filter-kind"
                data-kind=kind.label()
                aria-pressed=move || shown().to_string()
                title=move || format!("{} {}", if shown() { "Hide" } else { "Show" }, kind.describe())
                on:click=move |_| set_filter(&|s| s.hidden = s.hidden.toggled(kind))
            >
                {kind.label()}
            </button>
        }
    };
    view! {
        <div class="filter-bar" role="toolbar" aria-label="Inspector filters">
            <div class="filter-line">
                <select
                    aria-label="Connection or hop"
                    title="Show one hop, one connection, or everything"
                    data-testid="filter-scope"
                    prop:value=scope_value
                    on:change=on_scope
                >
                    <option value="all">"All connections"</option>
                    <For each=scope_options key=|(value, label)| (value.clone(), label.clone()) let:option>
                        <option value=option.0.clone()>{option.1.clone()}</option>
                    </For>
                </select>
                <select
                    aria-label="Direction"
                    title="Frames in one direction only"
                    data-testid="filter-direction"
                    prop:value=move || spec.with(|s| s.direction.map(direction_name).unwrap_or(""))
                    on:change=on_direction
                >
                    <option value="">"⇄ both"</option>
                    <option value="to_server">"→ to server"</option>
                    <option value="to_client">"← to client"</option>
                </select>
                <div class="search" class:invalid=move || error.with(|e| e.is_some())>
                    <input
                        type="search"
                        class="filter"
                        placeholder=move || if spec.with(|s| s.regex) { "Regex (ignores case)" } else { "Search payloads" }
                        aria-label="Search payloads"
                        aria-invalid=move || error.with(|e| e.is_some()).to_string()
                        spellcheck="false"
                        data-testid="filter-search"
                        prop:value=move || spec.with(|s| s.search.clone())
                        on:input=on_search
                    />
                    <button
                        class="regex-toggle"
                        data-testid="filter-regex"
                        aria-pressed=move || spec.with(|s| s.regex).to_string()
                        title="Use a regular expression"
                        on:click=move |_| set_filter(&|s| s.regex = !s.regex)
                    >
                        ".*"
                    </button>
                </div>
                <label class="check" title="Only rows with protocol violations or oddities">
                    <input
                        type="checkbox"
                        data-testid="filter-findings"
                        prop:checked=move || spec.with(|s| s.findings_only)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            set_filter(&|s| s.findings_only = on)
                        }
                    />
                    "⚠ only"
                </label>
            </div>
            <div class="filter-line chips">
                <select
                    aria-label="Kernel channel"
                    title="Kernel records on one channel only"
                    data-testid="filter-channel"
                    prop:value=move || spec.with(|s| s.channel.map_or("", |c| c.name()))
                    on:change=on_channel
                >
                    <option value="">"any channel"</option>
                    {Channel::ALL.into_iter().map(|c| view! {
                        <option value=c.name()>{c.name()}</option>
                    }).collect_view()}
                </select>
                <input
                    type="search"
                    class="filter msg-type"
                    placeholder="msg_type"
                    aria-label="Kernel message types"
                    title="Kernel messages whose msg_type contains one of these words (comma or space separated), e.g. execute, stream"
                    spellcheck="false"
                    data-testid="filter-msg-type"
                    prop:value=move || spec.with(|s| s.msg_type.clone())
                    on:input=on_msg_type
                />
                {RowKind::ALL.into_iter().map(kind_chip).collect_view()}
                {move || error.get().map(|message| view! {
                    <span class="filter-error" data-testid="filter-error" role="alert">{message}</span>
                })}
            </div>
        </div>
    }
}

#[component]
fn CaptureRow(
    row: RowData,
    selected: RwSignal<Option<u64>>,
    picked: RwSignal<BTreeSet<u64>>,
    counterparts: Memo<Vec<u64>>,
    on_click: Callback<(u64, bool, bool)>,
) -> impl IntoView {
    let seq = row.seq;
    let is_picked = move || picked.with(|p| p.contains(&seq));
    let msg_type = row.kernel.as_ref().map(|k| k.msg_type.clone());
    let is_selected = move || selected.get() == Some(seq);
    let is_counterpart = move || counterparts.with(|c| c.contains(&seq));
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
            <span class=format!("c-op op-{}", row.kind) role="gridcell">{row.kind}</span>
            <span class="c-fin" class:zero=row.fin == Some(false) role="gridcell">{bit(row.fin)}</span>
            <span class="c-mask" class:zero=row.masked == Some(false) role="gridcell">{bit(row.masked)}</span>
            <span class="c-len" role="gridcell">{row.len}</span>
            <span class="c-warn" role="gridcell">{row.findings.then_some("⚠")}</span>
            <span
                class="c-data"
                role="gridcell"
                style:padding-left=(row.depth > 0).then(|| format!("{}px", 4 + 16 * row.depth.min(12)))
            >
                {(row.depth > 0).then_some(view! { <span class="thread-mark">"└ "</span> })}
                {row.kernel.map(|k| view! {
                    <span class="k-type" data-testid="kernel-msg-type">{k.msg_type}</span>
                    " "
                    <span class="k-ids" class:orphan=k.orphan title=k.orphan.then_some("its parent is not among the rows shown")>{k.ids}</span>
                    " "
                })}
                {row.preview}
            </span>
        </div>
    }
}
