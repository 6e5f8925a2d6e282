//! The top bar (session and kernel status) and the banner for errors that belong to no cell.

use leptos::prelude::*;
use wirebook_notebook::Command;

use crate::session::connection::{
    activity, kernel_data_state, kernel_label, kernel_problem, Connection,
};
use crate::session::Session;

#[component]
pub fn StatusBar(session: Session) -> impl IntoView {
    let connection = session.connection;
    let kernel = session.kernel;
    // A notebook whose kernel is offered nowhere shows that kernel, not found, whatever the
    // session is connected to meanwhile (nothing runs there).
    let missing = move || session.kernel_missing.get();
    let kernel_name = move || {
        if let Some(spec) = missing() {
            return spec.name;
        }
        session
            .kernel_info
            .with(|k| k.as_ref().map(|k| k.name.clone()))
            .unwrap_or_else(|| "kernel".into())
    };
    let kernel_url = move || {
        if missing().is_some() {
            return None;
        }
        session
            .kernel_info
            .with(|k| k.as_ref().map(|k| k.url.clone()))
    };
    let closed = move || matches!(connection.get(), Connection::Closed { .. });
    let language = move || {
        session
            .kernel_info
            .with(|k| k.as_ref().and_then(|k| k.language.clone()))
    };
    let shown_activity = Memo::new(move |_| {
        kernel.with(|state| {
            session
                .execution_state
                .with(|execution| activity(state, execution.as_deref(), session.restarting.get()))
        })
    });
    // A command of the notebook's (the palette's and the keys' too) as a link in the bar.
    let command_link =
        move |testid: &'static str, title: &'static str, command: Command, label: &'static str| {
            view! {
                <button
                    class="link-button"
                    data-testid=testid
                    title=title
                    on:click=move |_| session.dispatch(command.clone())
                >
                    {label}
                </button>
            }
        };
    view! {
        <header class="topbar">
            <h1 class="brand">"wirebook"</h1>
            <div
                class="status"
                data-testid="connection-status"
                data-state=move || connection.with(|c| c.data_state())
                role="status"
                aria-live="polite"
                title="The browser's WebSocket to the wirebook server (/session)"
            >
                <span class="dot" aria-hidden="true"></span>
                <span class="status-name">"session"</span>
                <span class="status-text">{move || connection.with(|c| c.label())}</span>
            </div>
            <Show when=closed>
                <button class="link-button" on:click=move |_| session.retry_now.set(true)>
                    "Retry now"
                </button>
            </Show>
            <div
                class="status"
                data-testid="kernel-status"
                data-state=move || if missing().is_some() { "failed" } else { kernel.with(kernel_data_state) }
                role="status"
                aria-live="polite"
                title=move || {
                    let url = kernel_url().map(|u| format!("wirebook ⇄ {u}")).unwrap_or_default();
                    match kernel.with(kernel_problem) {
                        Some(problem) => format!("{url}\n{problem}"),
                        None => url,
                    }
                }
            >
                <span class="dot" aria-hidden="true"></span>
                <span class="status-name">{kernel_name}</span>
                {move || language().map(|l| view! { <span class="kernel-language" data-testid="kernel-language">{l}</span> })}
                <span class="status-text">{move || match missing() {
                    Some(_) => "not found: choose a kernel".to_string(),
                    None => kernel.with(kernel_label),
                }}</span>
            </div>
            <div
                class="activity"
                style:display=move || if missing().is_some() { "none" } else { "" }
                data-testid="kernel-activity"
                data-state=move || shown_activity.get().state
                role="status"
                aria-live="polite"
                title="What the kernel is doing (Jupyter's ○ idle, ● busy)"
            >
                <span class="activity-symbol" aria-hidden="true">{move || shown_activity.get().symbol}</span>
                <span class="activity-word">{move || shown_activity.get().word}</span>
            </div>
            {command_link("status-change-kernel", "Choose another kernel", Command::ChangeKernel, "Change…")}
            {command_link("status-running-kernels", "The kernels the server keeps, each notebook's; shut any down", Command::ShowRunningKernels, "Kernels…")}
            <span class="kernel-url">{kernel_url}</span>
            {move || session.kernel_info.with(|k| {
                k.as_ref().is_some_and(|k| crate::kernel::ws_settings::insecure(&k.choice)).then(|| view! {
                    <span class="insecure-flag" title="TLS certificate checks are off for this kernel">
                        "certificate not verified"
                    </span>
                })
            })}
            {command_link("status-tap-routes", "The tap proxy's routes: relay outside clients through /tap/NAME", Command::ShowTapRoutes, "Tap routes…")}
            {command_link("status-intercept", "Hold, edit, drop and inject messages on the tap's routes", Command::ShowIntercept, "Intercept…")}
            <span class="version">
                {move || session.server_version.get().map(|v| format!("server {v}"))}
            </span>
        </header>
    }
}

#[component]
pub fn NoticeBanner(session: Session) -> impl IntoView {
    let notices = session.notices;
    let problem = Memo::new(move |_| session.kernel.with(kernel_problem));
    // Only after the session is open: a dropped session says so in the top bar already.
    let shown_problem = move || {
        problem.get().filter(|_| {
            // A restart closes the old kernel on purpose.
            session.connection.with(|c| *c == Connection::Open) && !session.restarting.get()
        })
    };
    view! {
        <div class="notices" role="alert">
            {move || shown_problem().map(|message| view! {
                <div class="notice kernel-problem" data-testid="kernel-problem">
                    <span class="notice-text">{message}</span>
                    <button
                        class="restart"
                        data-testid="kernel-restart"
                        on:click=move |_| session.restart_kernel(false)
                    >
                        "Restart kernel"
                    </button>
                    <button
                        class="link-button"
                        on:click=move |_| session.dispatch(Command::ChangeKernel)
                    >
                        "Choose another kernel…"
                    </button>
                </div>
            })}
            <For
                each=move || notices.with(|n| n.items().to_vec())
                key=|n| (n.id, n.repeats)
                let:notice
            >
                <div class="notice" data-testid="notice">
                    <span class="notice-text">{notice.message.clone()}</span>
                    {(notice.repeats > 1).then(|| view! { <span class="repeats">{format!("×{}", notice.repeats)}</span> })}
                    <button
                        class="dismiss"
                        aria-label="Dismiss"
                        title="Dismiss"
                        on:click=move |_| notices.update(|n| n.dismiss(notice.id))
                    >
                        "✕"
                    </button>
                </div>
            </For>
        </div>
    }
}
