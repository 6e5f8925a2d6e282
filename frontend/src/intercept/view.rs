//! The intercept dialog: the breakpoints (route, ways, filter; the release time), the messages
//! they hold with Forward / Send edited / Drop, and a form that injects a message into a live
//! relay (typed, or the selected cell's source). Lists `/api/intercept` again every half
//! second while open, so held messages show up as they are held; rows are keyed by id, so an
//! editor being typed in stays. The rules are [`crate::intercept::form`]'s. Esc closes.

use std::collections::HashMap;

use gloo_net::http::Request;
use leptos::prelude::*;
use wirebook_notebook::Command;
use wirebook_shared::intercept_api::{
    Breakpoints, Decision, HeldMessage, Injection, InterceptState, Way, INTERCEPT_API,
};
use wirebook_shared::route_api::{RouteInfo, ROUTES_API};

use crate::api::{get_json, json_call, json_send, ApiFailure};
use crate::dialog::Modal;
use crate::intercept::form::{
    breakpoints, countdown, drafts_of, editable, edited, injection, BreakpointDraft,
};
use crate::page_base::at;
use crate::session::{Overlay, Session};

/// How often the open dialog lists the held messages again.
const POLL_MS: u32 = 500;

async fn fetch_state() -> Result<InterceptState, ApiFailure> {
    get_json(&at(INTERCEPT_API)).await
}

async fn put_breakpoints(set: &Breakpoints) -> Result<InterceptState, ApiFailure> {
    json_call(
        Request::put(&at(&format!("{INTERCEPT_API}/breakpoints"))),
        set,
    )
    .await
}

async fn post_decision(id: u64, decision: &Decision) -> Result<(), ApiFailure> {
    json_send(
        Request::post(&at(&format!("{INTERCEPT_API}/held/{id}"))),
        decision,
    )
    .await
}

async fn post_injection(injection: &Injection) -> Result<(), ApiFailure> {
    json_send(
        Request::post(&at(&format!("{INTERCEPT_API}/inject"))),
        injection,
    )
    .await
}

fn now_us() -> u64 {
    (js_sys::Date::now() * 1000.0) as u64
}

#[component]
pub fn InterceptDialog(session: Session) -> impl IntoView {
    let open = Memo::new(move |_| session.overlay.get() == Overlay::Intercept);
    let state = RwSignal::new(None::<InterceptState>);
    let routes = RwSignal::new(Vec::<RouteInfo>::new());
    let drafts = RwSignal::new(Vec::<BreakpointDraft>::new());
    let release_after = RwSignal::new(String::from("30"));
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    let now = RwSignal::new(now_us());
    // What each held message's editor holds, by id.
    let edits = RwSignal::new(HashMap::<u64, String>::new());
    let inject_conn = RwSignal::new(None::<u64>);
    let inject_way = RwSignal::new(Way::ToClient);
    let inject_text = RwSignal::new(String::new());
    let inject_hex = RwSignal::new(false);

    // A new state comes with the time it was seen, so that a countdown never starts from a
    // stale clock.
    let show = move |got: InterceptState| {
        now.set(now_us());
        state.set(Some(got));
    };
    // Which opening a polling loop belongs to: one from an earlier opening stops.
    let opening = StoredValue::new(0u64);
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        error.set(None);
        saved.set(None);
        let mine = opening.get_value() + 1;
        opening.set_value(mine);
        leptos::task::spawn_local(async move {
            match get_json::<Vec<RouteInfo>>(&at(ROUTES_API)).await {
                Ok(list) => routes.set(list),
                Err(failure) => error.set(Some(failure.describe())),
            }
            match fetch_state().await {
                Ok(got) => {
                    drafts.set(drafts_of(&got));
                    release_after.set(got.release_after_s.to_string());
                    show(got);
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
            crate::dom::focus_after_render("[data-testid=intercept-add]");
            let current = move || {
                open.try_get_untracked() == Some(true) && opening.try_get_value() == Some(mine)
            };
            while current() {
                gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
                if !current() {
                    return;
                }
                now.set(now_us());
                if let Ok(got) = fetch_state().await {
                    if state.try_with_untracked(|s| s.as_ref() != Some(&got)) == Some(true) {
                        show(got);
                    }
                }
            }
        });
    });

    let close = move || {
        session.overlay.set(Overlay::None);
        session.dispatch(Command::EnterCommandMode);
    };
    let apply = move || {
        let set = match breakpoints(&drafts.get_untracked(), &release_after.get_untracked()) {
            Ok(set) => set,
            Err(problem) => {
                error.set(Some(problem));
                return;
            }
        };
        error.set(None);
        leptos::task::spawn_local(async move {
            match put_breakpoints(&set).await {
                Ok(got) => {
                    let armed = got.breakpoints.len();
                    show(got);
                    saved.set(Some(match armed {
                        0 => "No breakpoint is armed: every message goes through.".to_string(),
                        1 => "1 breakpoint armed.".to_string(),
                        n => format!("{n} breakpoints armed."),
                    }));
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    let decide = move |id: u64, decision: Decision| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match post_decision(id, &decision).await {
                Ok(()) => {
                    edits.update(|e| {
                        e.remove(&id);
                    });
                    if let Ok(got) = fetch_state().await {
                        show(got);
                    }
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    let inject = move || {
        let checked = injection(
            inject_conn.get_untracked(),
            inject_way.get_untracked(),
            &inject_text.get_untracked(),
            inject_hex.get_untracked(),
        );
        let request = match checked {
            Ok(request) => request,
            Err(problem) => {
                error.set(Some(problem));
                return;
            }
        };
        error.set(None);
        leptos::task::spawn_local(async move {
            match post_injection(&request).await {
                Ok(()) => saved.set(Some(format!(
                    "Injected into connection {} ({}).",
                    request.conn,
                    request.way.label()
                ))),
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    let use_cell = move || {
        let source = session
            .notebook
            .with_untracked(|nb| nb.selected_cell().source.clone());
        inject_text.set(source);
    };

    let draft_row = move |index: usize| {
        let set = move |change: Box<dyn Fn(&mut BreakpointDraft)>| {
            drafts.update(|d| {
                if let Some(draft) = d.get_mut(index) {
                    change(draft);
                }
            })
        };
        let row = index + 1;
        // A checkbox for one direction of the breakpoint.
        let way_box = move |way: Way, testid: &'static str| {
            let on = move |d: &BreakpointDraft| match way {
                Way::ToUpstream => d.to_upstream,
                Way::ToClient => d.to_client,
            };
            view! {
                <label>
                    <input
                        type="checkbox"
                        data-testid=testid
                        prop:checked=move || drafts.with(|d| d.get(index).is_some_and(on))
                        on:change=move |ev| {
                            let checked = event_target_checked(&ev);
                            set(Box::new(move |d| match way {
                                Way::ToUpstream => d.to_upstream = checked,
                                Way::ToClient => d.to_client = checked,
                            }));
                        }
                    />
                    {way.label()}
                </label>
            }
        };
        view! {
            <li class="breakpoint" data-testid="breakpoint">
                <label class="breakpoint-route">
                    "Route "
                    <select
                        data-testid="breakpoint-route"
                        aria-label=format!("Breakpoint {row}: route")
                        on:change=move |ev| {
                            let route = event_target_value(&ev);
                            set(Box::new(move |d| d.route = route.clone()));
                        }
                    >
                        {move || routes.get().into_iter().map(|r| {
                            let name = r.name.clone();
                            let selected = drafts.with(|d| d.get(index).is_some_and(|d| d.route == name));
                            view! { <option value=r.name.clone() selected=selected>{format!("/tap/{}", r.name)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                {way_box(Way::ToUpstream, "breakpoint-to-upstream")}
                {way_box(Way::ToClient, "breakpoint-to-client")}
                <input
                    type="text"
                    class="breakpoint-filter"
                    data-testid="breakpoint-filter"
                    aria-label=format!("Breakpoint {row}: filter")
                    placeholder="every message, or a filter: text contains \"buy\""
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || drafts.with(|d| d.get(index).map(|d| d.filter.clone()).unwrap_or_default())
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        set(Box::new(move |d| d.filter = text.clone()));
                    }
                />
                <button
                    type="button"
                    class="link-button"
                    aria-label=format!("Remove breakpoint {row}")
                    on:click=move |_| drafts.update(|d| {
                        if index < d.len() {
                            d.remove(index);
                        }
                    })
                >
                    "Remove"
                </button>
            </li>
        }
    };

    let held_row = move |held: HeldMessage| {
        let id = held.id;
        let start = editable(&held);
        let for_edit = held.clone();
        let for_countdown = held.clone();
        let what = if held.is_text { "text" } else { "binary (hex)" };
        let origin = held
            .record
            .map(|seq| format!(" · arrived as #{seq}"))
            .unwrap_or_default();
        view! {
            <li class="held" data-testid="held" data-id=id.to_string()>
                <div class="held-head">
                    <strong>{format!("Held {id}")}</strong>
                    <span>{format!("/tap/{} · {} · connection {}{origin} · {what}", held.route, held.way.label(), held.conn)}</span>
                    <span class="held-countdown" data-testid="held-countdown">
                        {move || countdown(&for_countdown, now.get())}
                    </span>
                </div>
                <textarea
                    class="held-editor"
                    data-testid="held-editor"
                    aria-label=format!("Held message {id}")
                    spellcheck="false"
                    rows="3"
                    prop:value=move || edits.with(|e| e.get(&id).cloned().unwrap_or_else(|| start.clone()))
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        edits.update(|e| {
                            e.insert(id, text);
                        });
                    }
                ></textarea>
                <div class="dialog-actions">
                    <button type="button" data-testid="held-drop" class="danger" on:click=move |_| decide(id, Decision::Drop)>
                        "Drop"
                    </button>
                    <button
                        type="button"
                        data-testid="held-send-edited"
                        on:click=move |_| {
                            let content = edits.with_untracked(|e| e.get(&id).cloned())
                                .unwrap_or_else(|| editable(&for_edit));
                            decide(id, edited(&for_edit, &content));
                        }
                    >
                        "Send edited"
                    </button>
                    <button type="button" data-testid="held-forward" on:click=move |_| decide(id, Decision::Forward)>
                        "Forward"
                    </button>
                </div>
            </li>
        }
    };

    view! {
        <Modal
            open=open
            overlay="intercept"
            class="intercept"
            testid="intercept-dialog"
            label="Intercept on the tap"
            on_close=move |()| close()
        >
            <div class="dialog-header">
                <h2>"Intercept on the tap"</h2>
                <span class="dialog-hint">
                    "A breakpoint holds each message on its route that its filter matches, until you \
                     forward, edit or drop it, or its time runs out. The capture keeps every message \
                     as it arrived, and marks what the tap sent instead."
                </span>
            </div>
            <section class="intercept-section" aria-label="Breakpoints">
                <h3>"Breakpoints"</h3>
                <ul class="breakpoint-list">
                    {move || (0..drafts.with(Vec::len)).map(draft_row).collect_view()}
                </ul>
                {move || drafts.with(Vec::is_empty).then(|| view! {
                    <p class="routes-empty" data-testid="breakpoints-empty">
                        "No breakpoints: every message goes through."
                    </p>
                })}
                <div class="intercept-row">
                    <button
                        type="button"
                        data-testid="intercept-add"
                        disabled=move || routes.with(Vec::is_empty)
                        title=move || if routes.with(Vec::is_empty) { "Add a tap route first (Tap routes…)" } else { "" }
                        on:click=move |_| {
                            let first = routes.with_untracked(|r| r.first().map(|r| r.name.clone()).unwrap_or_default());
                            drafts.update(|d| d.push(BreakpointDraft::new(&first)));
                        }
                    >
                        "+ Breakpoint"
                    </button>
                    <label>
                        "Release held messages after "
                        <input
                            type="number"
                            min="1"
                            max="3600"
                            class="release-after"
                            data-testid="release-after"
                            prop:value=move || release_after.get()
                            on:input=move |ev| release_after.set(event_target_value(&ev))
                        />
                        " s"
                    </label>
                    <button type="button" class="primary" data-testid="intercept-apply" on:click=move |_| apply()>
                        "Apply"
                    </button>
                </div>
                <p class="route-note">
                    "While a route has a breakpoint, its new connections are opened without \
                     permessage-deflate: with context takeover, dropping or editing one compressed \
                     message would corrupt every later one."
                </p>
                {move || state.with(|s| {
                    let compressed: Vec<String> = s.iter()
                        .flat_map(|s| &s.relays)
                        .filter(|r| r.compressed)
                        .map(|r| format!("{} (/tap/{})", r.conn, r.route))
                        .collect();
                    (!compressed.is_empty()).then(|| view! {
                        <p class="route-note" data-testid="intercept-compressed">
                            {format!(
                                "Not held: connections {} compress with permessage-deflate (opened before a breakpoint was armed).",
                                compressed.join(", ")
                            )}
                        </p>
                    })
                })}
            </section>
            <p class="route-copied" role="status" aria-live="polite" data-testid="intercept-status">
                {move || saved.get()}
            </p>
            <p class="route-error" data-testid="intercept-error" role="alert">{move || error.get()}</p>
            <section class="intercept-section" aria-label="Held messages">
                <h3>{move || format!("Held ({})", state.with(|s| s.as_ref().map_or(0, |s| s.held.len())))}</h3>
                <ul class="held-list">
                    <For
                        each=move || state.with(|s| s.as_ref().map(|s| s.held.clone()).unwrap_or_default())
                        key=|held| held.id
                        children=held_row
                    />
                </ul>
            </section>
            <section class="intercept-section" aria-label="Inject">
                <h3>"Inject a message"</h3>
                <div class="intercept-row">
                    <label>
                        "Connection "
                        <select
                            data-testid="inject-conn"
                            on:change=move |ev| inject_conn.set(event_target_value(&ev).parse().ok())
                        >
                            <option value="" selected=move || inject_conn.get().is_none()>"choose…"</option>
                            {move || state.with(|s| s.iter().flat_map(|s| s.relays.clone()).map(|r| {
                                let conn = r.conn;
                                view! {
                                    <option value=conn.to_string() selected=move || inject_conn.get() == Some(conn)>
                                        {format!("{conn} · /tap/{}", r.route)}
                                    </option>
                                }
                            }).collect_view())}
                        </select>
                    </label>
                    <label>
                        "As "
                        <select
                            data-testid="inject-way"
                            on:change=move |ev| inject_way.set(if event_target_value(&ev) == "to_upstream" { Way::ToUpstream } else { Way::ToClient })
                        >
                            <option value="to_client" selected=move || inject_way.get() == Way::ToClient>"the server (to the client)"</option>
                            <option value="to_upstream" selected=move || inject_way.get() == Way::ToUpstream>"the client (to upstream)"</option>
                        </select>
                    </label>
                    <label>
                        <input
                            type="checkbox"
                            data-testid="inject-hex"
                            prop:checked=move || inject_hex.get()
                            on:change=move |ev| inject_hex.set(event_target_checked(&ev))
                        />
                        "binary (hex)"
                    </label>
                    <button type="button" class="link-button" data-testid="inject-use-cell" on:click=move |_| use_cell()>
                        "Use the selected cell"
                    </button>
                </div>
                <textarea
                    class="held-editor"
                    data-testid="inject-text"
                    aria-label="Message to inject"
                    spellcheck="false"
                    rows="2"
                    prop:value=move || inject_text.get()
                    on:input=move |ev| inject_text.set(event_target_value(&ev))
                ></textarea>
                <div class="dialog-actions">
                    <button type="button" on:click=move |_| close()>"Close"</button>
                    <button type="button" data-testid="inject-send" on:click=move |_| inject()>"Inject"</button>
                </div>
            </section>
        </Modal>
    }
}
