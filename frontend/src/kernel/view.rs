//! The kernel picker dialog: the kernels the server offers and a WebSocket URL field. Arrows
//! move, Enter chooses, Esc closes; the rules live in [`crate::kernel::picker`].

use leptos::ev;
use leptos::prelude::*;
use wirebook_notebook::Command;
use wirebook_shared::session::{ClientMsg, HeaderSetting, KernelChoice};

use crate::checkbox::LabelledCheckbox;
use crate::dialog::Modal;
use crate::kernel::picker::{
    entries, initial_highlight, is_current, not_found, websocket_url, Entry,
};
use crate::kernel::ws_settings::{missing_secrets, Field, SettingsForm};
use crate::palette::search::step;
use crate::session::{Overlay, Session};

#[component]
pub fn KernelPicker(session: Session) -> impl IntoView {
    let open = Memo::new(move |_| session.overlay.get() == Overlay::KernelPicker);
    let list = Memo::new(move |_| session.kernels.with(|k| entries(k)));
    let highlighted = RwSignal::new(0usize);
    let url = RwSignal::new(String::new());
    let url_error = RwSignal::new(None::<String>);
    // The URL field shows once its entry is chosen (or when the current kernel is a URL).
    let url_open = RwSignal::new(false);
    let form = RwSignal::new(SettingsForm::default());
    let problems = RwSignal::new(Vec::<(Field, String)>::new());
    // Why the form was opened for the user (a notebook whose secret headers need values).
    let note = RwSignal::new(None::<String>);
    // The Jupyter Server form: shown once its entry is chosen.
    let gateway_open = RwSignal::new(false);
    let gateway_url = RwSignal::new(String::new());
    let gateway_token = RwSignal::new(String::new());

    Effect::new(move |_| {
        if open.get() {
            let current = session.kernel_info.get_untracked();
            let rows = list.get_untracked();
            highlighted.set(initial_highlight(&rows, current.as_ref()));
            url_error.set(None);
            problems.set(Vec::new());
            note.set(None);
            gateway_open.set(false);
            gateway_url.set(session.gateway.get_untracked().unwrap_or_default());
            gateway_token.set(String::new());
            if let Some((wanted, settings, why)) = session.kernel_prefill.get_untracked() {
                // A notebook asks for its WebSocket kernel and needs something typed first.
                session.kernel_prefill.set(None);
                url.set(wanted);
                form.set(SettingsForm::from_settings(&settings));
                note.set(why);
                url_open.set(true);
                highlighted.set(rows.len().saturating_sub(1));
                crate::dom::focus_after_render("[data-testid=kernel-url]");
                return;
            }
            match current.map(|k| k.choice) {
                Some(KernelChoice::WebSocket {
                    url: current,
                    settings,
                }) => {
                    url.set(current);
                    form.set(SettingsForm::from_settings(&settings));
                    url_open.set(true);
                }
                _ => url_open.set(false),
            }
            crate::dom::focus_after_render("[data-testid=kernel-picker] [role=listbox]");
        }
    });

    let close = move || {
        session.overlay.set(Overlay::None);
        session.dispatch(Command::EnterCommandMode);
    };
    let choose_url = move || {
        let checked_url = websocket_url(&url.get_untracked());
        let checked_settings = form.with_untracked(SettingsForm::settings);
        url_error.set(checked_url.as_ref().err().cloned());
        problems.set(checked_settings.as_ref().err().cloned().unwrap_or_default());
        let missing = checked_settings
            .as_ref()
            .map(missing_secrets)
            .unwrap_or_default();
        if !missing.is_empty() {
            note.set(Some(format!(
                "type the value of the secret header {} (secret values are not saved)",
                missing.join(", ")
            )));
            return;
        }
        if let (Ok(valid), Ok(settings)) = (checked_url, checked_settings) {
            close();
            session.choose_kernel(KernelChoice::WebSocket {
                url: valid,
                settings,
            });
        }
    };
    // A list that changes under the open gateway form (its kernels came or went) keeps the
    // form's row highlighted.
    Effect::new(move |_| {
        let rows = list.get();
        if gateway_open.get_untracked() {
            if let Some(at) = rows.iter().position(|e| *e == Entry::Gateway) {
                highlighted.set(at);
            }
        }
    });
    // The new gateway's kernels join the list when the server answers; the picker stays open
    // so that one of them can be chosen. The token is not kept in the page.
    let set_gateway = move |url: Option<String>| {
        let token = Some(gateway_token.get_untracked()).filter(|t| !t.is_empty());
        gateway_token.set(String::new());
        session.send(ClientMsg::SetGateway { url, token });
    };
    let choose = move |index: usize| match list.with_untracked(|l| l.get(index).cloned()) {
        Some(Entry::Offer(offer)) => {
            close();
            session.choose_kernel(offer.choice);
        }
        Some(Entry::WebSocketUrl) => {
            highlighted.set(index);
            url_open.set(true);
            crate::dom::focus_after_render("[data-testid=kernel-url]");
        }
        Some(Entry::Gateway) => {
            highlighted.set(index);
            gateway_open.set(true);
            crate::dom::focus_after_render("[data-testid=gateway-url]");
        }
        None => {}
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        // Keys in the URL forms (their fields and buttons) are the forms'.
        let target = event_target::<web_sys::Element>(&ev);
        let in_form = |selector: &str| target.closest(selector).ok().flatten().is_some();
        let in_gateway = in_form(".gateway-form");
        let in_field = in_gateway || in_form(".kernel-url-form");
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                close();
            }
            "ArrowDown" | "ArrowUp" if !in_field => {
                ev.prevent_default();
                let len = list.with_untracked(Vec::len);
                let down = ev.key() == "ArrowDown";
                highlighted.update(|h| *h = step(*h, len, down));
            }
            // A form's buttons take Enter themselves.
            "Enter" if event_target::<web_sys::Element>(&ev).tag_name() == "BUTTON" => {}
            "Enter" if in_gateway => {
                ev.prevent_default();
                set_gateway(Some(gateway_url.get_untracked()));
            }
            "Enter" if in_field => {
                ev.prevent_default();
                choose_url();
            }
            "Enter" => {
                ev.prevent_default();
                choose(highlighted.get_untracked());
            }
            _ => {}
        }
    };

    let rows = move || {
        // While the notebook's own kernel is missing, nothing it runs on is current.
        let current = session.kernel_info.get().filter(|_| session.runs_cells());
        list.get()
            .into_iter()
            .enumerate()
            .map(|(index, entry)| {
                let current = is_current(&entry, current.as_ref());
                let selected = move || highlighted.get() == index;
                let (language, source) = match &entry {
                    Entry::Offer(offer) => (offer.language.clone(), Some(offer.source.clone())),
                    Entry::WebSocketUrl => (None, None),
                    Entry::Gateway => (None, session.gateway.get()),
                };
                view! {
                    <li
                        class="kernel-option"
                        class:highlighted=selected
                        class:current=current
                        role="option"
                        aria-selected=move || selected().to_string()
                        data-testid="kernel-option"
                        data-current=current.to_string()
                        on:mousemove=move |_| highlighted.set(index)
                        on:click=move |_| choose(index)
                    >
                        <span class="kernel-option-name">{entry.label()}</span>
                        <span class="kernel-option-kind">{entry.kind()}</span>
                        {language.map(|l| view! { <span class="kernel-option-language">{l}</span> })}
                        {current.then(|| view! { <span class="kernel-option-current">"current"</span> })}
                        {source.map(|s| {
                            let title = s.clone();
                            view! { <span class="kernel-option-source" title=title>{s}</span> }
                        })}
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <Modal
            open=open
            overlay="kernel-picker"
            class="kernel-picker"
            testid="kernel-picker"
            label="Choose a kernel"
            on_close=move |()| close()
            on_key=on_key
        >
                    <h2 class="dialog-title">
                        {move || if session.runs_cells() { "Choose a kernel" } else { "Kernel not found" }}
                    </h2>
                    {move || session.kernel_missing.get().map(|spec| view! {
                        <p class="dialog-note" role="alert" data-testid="kernel-not-found">
                            {format!(
                                "{}. Choose one of the kernels below: no cell runs until you do, \
                                 and the notebook keeps its kernelspec until then.",
                                not_found(&spec),
                            )}
                        </p>
                    })}
                    <ul class="kernel-list" role="listbox" tabindex="0" aria-label="Kernels">
                        {rows}
                    </ul>
                    <Show when=move || url_open.get()>
                        <form
                            class="kernel-url-form"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                choose_url();
                            }
                        >
                            <label for="kernel-url">"WebSocket URL"</label>
                            <input
                                id="kernel-url"
                                type="text"
                                data-testid="kernel-url"
                                placeholder="ws://127.0.0.1:9000/socket"
                                autocomplete="off"
                                spellcheck="false"
                                aria-invalid=move || url_error.with(|e| e.is_some()).to_string()
                                aria-describedby="kernel-url-error"
                                prop:value=move || url.get()
                                on:input=move |ev| {
                                    url.set(event_target_value(&ev));
                                    url_error.set(None);
                                }
                            />
                            <button type="submit">"Connect"</button>
                            <div
                                id="kernel-url-error"
                                class="field-error"
                                data-testid="kernel-url-error"
                                role="alert"
                            >
                                {move || url_error.get()}
                            </div>
                            {move || note.get().map(|n| view! {
                                <div class="field-error" data-testid="kernel-settings-note" role="alert">{n}</div>
                            })}
                            <SettingsFields form=form problems=problems />
                        </form>
                    </Show>
                    <Show when=move || gateway_open.get()>
                        <form
                            class="kernel-url-form gateway-form"
                            data-testid="gateway-form"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                set_gateway(Some(gateway_url.get_untracked()));
                            }
                        >
                            <label for="gateway-url">"Jupyter Server URL"</label>
                            <input
                                id="gateway-url"
                                type="text"
                                data-testid="gateway-url"
                                placeholder="http://127.0.0.1:8888"
                                autocomplete="off"
                                spellcheck="false"
                                prop:value=move || gateway_url.get()
                                on:input=move |ev| gateway_url.set(event_target_value(&ev))
                            />
                            <label for="gateway-token">"Token"</label>
                            <input
                                id="gateway-token"
                                type="password"
                                data-testid="gateway-token"
                                placeholder="the server's token (not saved)"
                                autocomplete="off"
                                prop:value=move || gateway_token.get()
                                on:input=move |ev| gateway_token.set(event_target_value(&ev))
                            />
                            <button type="submit" data-testid="gateway-connect">"Use its kernels"</button>
                            {move || session.gateway.get().map(|now| view! {
                                <p class="dialog-hint" data-testid="gateway-now">
                                    "Offering the kernels of "{now}". "
                                    <button
                                        type="button"
                                        class="link-button"
                                        data-testid="gateway-forget"
                                        on:click=move |_| set_gateway(None)
                                    >
                                        "Stop offering them"
                                    </button>
                                </p>
                            })}
                        </form>
                    </Show>
                    <p class="dialog-hint">"↑ ↓ to move, Enter to choose, Esc to close"</p>
        </Modal>
    }
}

/// The WebSocket kernel's settings below the URL: headers (a secret one is never saved),
/// Origin, subprotocols, TLS, timeouts, size limit and reconnect. Each problem shows under its
/// field; the rules are [`SettingsForm::settings`].
#[component]
fn SettingsFields(
    form: RwSignal<SettingsForm>,
    problems: RwSignal<Vec<(Field, String)>>,
) -> impl IntoView {
    let problem = move |field: Field| {
        move || {
            problems.with(|p| {
                p.iter()
                    .find(|(f, _)| *f == field)
                    .map(|(_, why)| view! { <div class="field-error" data-testid="kernel-setting-error" role="alert">{why.clone()}</div> })
            })
        }
    };
    let text = move |label: &'static str,
                     testid: &'static str,
                     placeholder: &'static str,
                     get: fn(&SettingsForm) -> String,
                     set: fn(&mut SettingsForm, String),
                     field: Field| {
        view! {
            <label for=testid>{label}</label>
            <div>
                <input
                    id=testid
                    type="text"
                    data-testid=testid
                    placeholder=placeholder
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || form.with(get)
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        form.update(|f| set(f, value));
                        problems.set(Vec::new());
                    }
                />
                {problem(field)}
            </div>
        }
    };
    let header_rows = move || {
        let count = form.with(|f| f.headers.len());
        (0..count)
            .map(|index| {
                let get = move |pick: fn(&HeaderSetting) -> String| {
                    move || form.with(|f| f.headers.get(index).map(pick).unwrap_or_default())
                };
                // Typing in the name or the value: store it and drop the shown problems.
                let edit = move |put: fn(&mut HeaderSetting, String)| {
                    move |ev: ev::Event| {
                        let value = event_target_value(&ev);
                        form.update(|f| put(&mut f.headers[index], value));
                        problems.set(Vec::new());
                    }
                };
                let secret = move || form.with(|f| f.headers.get(index).is_some_and(|h| h.secret));
                view! {
                    <div class="ws-header-row" data-testid="kernel-header">
                        <input
                            type="text"
                            aria-label="Header name"
                            placeholder="Authorization"
                            data-testid="kernel-header-name"
                            prop:value=get(|h| h.name.clone())
                            on:input=edit(|h, v| h.name = v)
                        />
                        <input
                            type=move || if secret() { "password" } else { "text" }
                            aria-label="Header value"
                            placeholder=move || if secret() { "secret: not saved" } else { "value" }
                            data-testid="kernel-header-value"
                            autocomplete="off"
                            prop:value=get(|h| h.value.clone())
                            on:input=edit(|h, v| h.value = v)
                        />
                        <LabelledCheckbox
                            testid="kernel-header-secret"
                            title="A secret header's value is never written to the notebook file"
                            checked=Signal::derive(secret)
                            on_toggle=move |on| form.update(|f| f.headers[index].secret = on)
                        >
                            "secret"
                        </LabelledCheckbox>
                        <button
                            type="button"
                            aria-label="Remove this header"
                            on:click=move |_| form.update(|f| { f.headers.remove(index); })
                        >
                            "✕"
                        </button>
                        {problem(Field::Header(index))}
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        // Open from the start when a secret header waits for its value (a notebook just opened).
        <details
            class="ws-settings-box"
            data-testid="kernel-settings"
            open=form.with_untracked(|f| !f.headers.iter().all(|h| !h.secret || !h.value.is_empty()))
        >
            <summary>
                "Connection settings"
                {move || form.with(|f| f.skip_verification).then(|| view! {
                    <span class="insecure-flag" data-testid="insecure-flag">"certificate checks off"</span>
                })}
            </summary>
            <div class="ws-settings">
                <span>"Headers"</span>
                <div class="ws-headers">
                    {header_rows}
                    <button
                        type="button"
                        data-testid="kernel-add-header"
                        on:click=move |_| form.update(|f| f.headers.push(HeaderSetting::default()))
                    >
                        "+ header"
                    </button>
                </div>
                {text("Origin", "kernel-origin", "https://app.example", |f| f.origin.clone(), |f, v| f.origin = v, Field::Origin)}
                {text("Subprotocols", "kernel-subprotocols", "v2, v1", |f| f.subprotocols.clone(), |f, v| f.subprotocols = v, Field::Subprotocols)}
                <label for="kernel-ca">"Extra CA (PEM)"</label>
                <div>
                    <textarea
                        id="kernel-ca"
                        data-testid="kernel-ca"
                        placeholder="-----BEGIN CERTIFICATE-----"
                        spellcheck="false"
                        prop:value=move || form.with(|f| f.ca_pem.clone())
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            form.update(|f| f.ca_pem = value);
                            problems.set(Vec::new());
                        }
                    ></textarea>
                    {problem(Field::CaPem)}
                </div>
                <span>"TLS"</span>
                <LabelledCheckbox
                    testid="kernel-skip-verification"
                    checked=Signal::derive(move || form.with(|f| f.skip_verification))
                    on_toggle=move |on| form.update(|f| f.skip_verification = on)
                    {..}
                    class:insecure-flag=move || form.with(|f| f.skip_verification)
                >
                    "skip certificate verification (insecure)"
                </LabelledCheckbox>
                {text("Connect timeout (ms)", "kernel-connect-timeout", "server default", |f| f.connect_timeout_ms.clone(), |f, v| f.connect_timeout_ms = v, Field::ConnectTimeout)}
                {text("Ping interval (ms)", "kernel-ping-interval", "no pings", |f| f.ping_interval_ms.clone(), |f, v| f.ping_interval_ms = v, Field::PingInterval)}
                {text("Pong timeout (ms)", "kernel-pong-timeout", "server default", |f| f.pong_timeout_ms.clone(), |f, v| f.pong_timeout_ms = v, Field::PongTimeout)}
                {text("Max message (bytes)", "kernel-max-message", "server default", |f| f.max_message_size.clone(), |f, v| f.max_message_size = v, Field::MaxMessageSize)}
                <span>"Reconnect"</span>
                <LabelledCheckbox
                    testid="kernel-reconnect"
                    checked=Signal::derive(move || form.with(|f| f.reconnect))
                    on_toggle=move |on| form.update(|f| f.reconnect = on)
                >
                    "reconnect by itself when the connection is lost (nothing is resent)"
                </LabelledCheckbox>
            </div>
        </details>
    }
}
