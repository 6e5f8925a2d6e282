//! The tap routes dialog: the routes of `/tap/NAME` (from the command line, fixed, and those
//! added here), the URL a client connects to with a copy button, a form to add one and delete
//! buttons. Talks to `/api/routes`, listing again every two seconds while open (routes can change
//! from another tab); the rules live in [`crate::routes::form`]. Esc closes.

use gloo_net::http::Request;
use leptos::prelude::*;
use wirebook_notebook::Command;
use wirebook_shared::route_api::{RouteInfo, RouteRequest, ROUTES_API};

use crate::api::{delete_at, get_json, json_call, ApiFailure, REFRESH_MS};
use crate::checkbox::LabelledCheckbox;
use crate::dialog::Modal;
use crate::dom::copy;
use crate::page_base::at;
use crate::routes::form::{client_url, listed, request, FormProblems};
use crate::session::{Overlay, Session};

/// `GET /api/routes`.
async fn fetch_routes() -> Result<Vec<RouteInfo>, ApiFailure> {
    get_json(&at(ROUTES_API)).await
}

/// `PUT /api/routes/NAME` (names are checked to need no escaping).
async fn put_route(name: &str, body: &RouteRequest) -> Result<RouteInfo, ApiFailure> {
    json_call(Request::put(&at(&format!("{ROUTES_API}/{name}"))), body).await
}

/// `DELETE /api/routes/NAME`.
async fn delete_route(name: &str) -> Result<(), ApiFailure> {
    delete_at(&at(&format!("{ROUTES_API}/{name}"))).await
}

/// Lists the routes again every [`REFRESH_MS`] while the dialog stays open, so that routes
/// added or deleted elsewhere (another tab, a script on `/api/routes`) show up. A failed
/// refresh changes nothing: adding and deleting report their own errors.
async fn refresh_while_open(
    mine: u64,
    opening: StoredValue<u64>,
    open: Memo<bool>,
    routes: RwSignal<Option<Vec<RouteInfo>>>,
) {
    let current =
        move || open.try_get_untracked() == Some(true) && opening.try_get_value() == Some(mine);
    loop {
        gloo_timers::future::TimeoutFuture::new(REFRESH_MS).await;
        if !current() {
            return;
        }
        let Ok(list) = fetch_routes().await else {
            continue;
        };
        let list = Some(listed(list));
        // Unchanged lists are not set again: the rows (and a focused delete button) stay.
        if current() && routes.try_with_untracked(|shown| *shown != list) == Some(true) {
            routes.set(list);
        }
    }
}

#[component]
pub fn RoutesDialog(session: Session) -> impl IntoView {
    let open = Memo::new(move |_| session.overlay.get() == Overlay::Routes);
    let routes = RwSignal::new(None::<Vec<RouteInfo>>);
    // The last failure of a list, add or delete, as the server said it.
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let public = RwSignal::new(false);
    let problems = RwSignal::new(FormProblems::default());
    // The form's text fields: id (also the test id; its error's is `{id}-error`), label,
    // placeholder, value, and where its problem is.
    type Problem = fn(&FormProblems) -> Option<String>;
    let text_fields: [(&str, &str, &str, RwSignal<String>, Problem); 2] = [
        ("route-name", "Name", "chat", name, |p| p.name.clone()),
        (
            "route-url",
            "Upstream URL",
            "ws://127.0.0.1:9000/ws",
            url,
            |p| p.url.clone(),
        ),
    ];
    let busy = RwSignal::new(false);
    let copied = RwSignal::new(None::<String>);

    let reload = move || {
        leptos::task::spawn_local(async move {
            match fetch_routes().await {
                Ok(list) => routes.set(Some(listed(list))),
                Err(failure) => error.set(Some(failure.describe())),
            }
        })
    };
    // Which opening of the dialog a refresh loop belongs to: a loop from an earlier opening
    // stops rather than run beside the new one.
    let opening = StoredValue::new(0u64);
    Effect::new(move |_| {
        if open.get() {
            error.set(None);
            problems.set(FormProblems::default());
            routes.set(None);
            reload();
            crate::dom::focus_after_render("[data-testid=route-name]");
            let mine = opening.get_value() + 1;
            opening.set_value(mine);
            leptos::task::spawn_local(refresh_while_open(mine, opening, open, routes));
        }
    });

    let close = move || {
        session.overlay.set(Overlay::None);
        session.dispatch(Command::EnterCommandMode);
    };
    let add = move || {
        if busy.get_untracked() {
            return;
        }
        let checked = request(
            &name.get_untracked(),
            &url.get_untracked(),
            public.get_untracked(),
        );
        let (route_name, body) = match checked {
            Ok(checked) => checked,
            Err(found) => {
                problems.set(found);
                return;
            }
        };
        problems.set(FormProblems::default());
        error.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            match put_route(&route_name, &body).await {
                Ok(_) => {
                    name.set(String::new());
                    url.set(String::new());
                    public.set(false);
                    reload();
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
            busy.set(false);
        });
    };
    let remove = move |route_name: String| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match delete_route(&route_name).await {
                Ok(()) => reload(),
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };

    let location = window().location();
    let protocol = location.protocol().unwrap_or_default();
    let host = location.host().unwrap_or_default();
    let base = crate::page_base::base();
    let token = crate::api::page_token(&location.search().unwrap_or_default()).map(str::to_string);
    let row = move |route: RouteInfo| {
        let client = client_url(&protocol, &host, &base, &route, token.as_deref());
        let to_copy = client.url.clone();
        let full_url = client.url.clone();
        let route_name = route.name.clone();
        view! {
            <li
                class="route"
                data-testid="route"
                data-name=route.name.clone()
                data-public=route.public.to_string()
                data-command-line=route.from_command_line.to_string()
            >
                <div class="route-head">
                    <span class="route-name">{format!("/tap/{}", route.name)}</span>
                    <span class="route-arrow" aria-hidden="true">"→"</span>
                    <span class="route-upstream" data-testid="route-upstream" title="The upstream it relays to">
                        {route.url.clone()}
                    </span>
                    {if route.public {
                        view! {
                            <span class="route-access public" title="Anyone who can reach wirebook can reach the upstream through it">
                                "public"
                            </span>
                        }
                    } else {
                        view! {
                            <span class="route-access" title="Clients must send wirebook's token (query or header)">
                                "token"
                            </span>
                        }
                    }}
                    {if route.from_command_line {
                        view! {
                            <span class="route-fixed" title="Given with --route at startup: it stays as started">
                                "command line"
                            </span>
                        }
                        .into_any()
                    } else {
                        view! {
                            <button
                                type="button"
                                class="danger route-delete"
                                data-testid="route-delete"
                                aria-label=format!("Delete route {}", route.name)
                                on:click=move |_| remove(route_name.clone())
                            >
                                "Delete"
                            </button>
                        }
                        .into_any()
                    }}
                </div>
                <div class="route-client">
                    <span class="route-client-label">"Clients connect to"</span>
                    <code class="route-client-url" data-testid="route-client-url" title=full_url>
                        {client.url}
                    </code>
                    <button
                        type="button"
                        class="link-button"
                        data-testid="route-copy"
                        aria-label=format!("Copy the client URL of {}", route.name)
                        on:click=move |_| copy(to_copy.clone(), "the client URL", copied)
                    >
                        "Copy"
                    </button>
                </div>
                {client.token_missing.then(|| view! {
                    <div class="route-note">
                        "Append the token wirebook printed at startup (or send it as an \
                         Authorization: token … header)."
                    </div>
                })}
            </li>
        }
    };

    view! {
        <Modal
            open=open
            overlay="routes"
            class="routes"
            testid="routes-dialog"
            label="Tap routes"
            on_close=move |()| close()
        >
                    <div class="dialog-header">
                        <h2>"Tap routes"</h2>
                        <span class="dialog-hint">
                            "A WebSocket client connecting to /tap/NAME is relayed to the route's \
                             URL; both hops show in the inspector."
                        </span>
                    </div>
                    {
                        let row = row.clone();
                        move || match routes.get() {
                            None => view! { <p class="routes-empty">"Loading the routes…"</p> }.into_any(),
                            Some(list) if list.is_empty() => view! {
                                <p class="routes-empty" data-testid="routes-empty">
                                    "No routes yet: add one below, or start wirebook with --route NAME=URL."
                                </p>
                            }
                            .into_any(),
                            Some(list) => view! {
                                <ul class="route-list" aria-label="Routes">
                                    {list.into_iter().map(row.clone()).collect_view()}
                                </ul>
                            }
                            .into_any(),
                        }
                    }
                    <p class="route-copied" role="status" aria-live="polite">{move || copied.get()}</p>
                    <p class="route-error" data-testid="route-error" role="alert">
                        {move || error.get()}
                    </p>
                    <form
                        class="route-form"
                        data-testid="route-form"
                        on:submit=move |ev| {
                            ev.prevent_default();
                            add();
                        }
                    >
                        <h3>"Add a route"</h3>
                        {text_fields.into_iter().map(|(id, label, placeholder, value, problem)| view! {
                            <label for=id>{label}</label>
                            <input
                                id=id
                                type="text"
                                data-testid=id
                                placeholder=placeholder
                                autocomplete="off"
                                spellcheck="false"
                                prop:value=move || value.get()
                                on:input=move |ev| value.set(event_target_value(&ev))
                            />
                            <span class="field-error" data-testid=format!("{id}-error")>
                                {move || problems.with(problem)}
                            </span>
                        }).collect_view()}
                        <LabelledCheckbox
                            testid="route-public"
                            class="route-public"
                            checked=public
                            on_toggle=move |on| public.set(on)
                        >
                            "Public: no token needed"
                        </LabelledCheckbox>
                        <p class="route-warning" class:armed=move || public.get() data-testid="route-public-warning">
                            "An open relay: anyone who can reach wirebook can reach this URL through \
                             it, without the token. Leave it off unless wirebook listens on loopback \
                             only."
                        </p>
                        <div class="dialog-actions">
                            <button type="button" on:click=move |_| close()>"Close"</button>
                            <button type="submit" data-testid="route-add" disabled=move || busy.get()>
                                "Add route"
                            </button>
                        </div>
                    </form>
        </Modal>
    }
}
