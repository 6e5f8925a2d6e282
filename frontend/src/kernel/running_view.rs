//! The "Running kernels" dialog: every kernel the server runs (each notebook's, kept after its
//! page closes, and pages' own), with its notebook, state, pages and idle time, and a button
//! that shuts it down. Talks to `/api/kernels`, listing again every two seconds while open
//! (pages come and go, idle times grow); the words are [`crate::kernel::running`]'s. Esc
//! closes; Tab reaches every button.

use leptos::prelude::*;
use wirebook_notebook::Command;
use wirebook_shared::kept_kernels::{RunningKernel, RunningKernels, KERNELS_API};

use crate::api::{delete_at, get_json, ApiFailure, REFRESH_MS};
use crate::dialog::Modal;
use crate::kernel::running::{
    attached_text, cull_text, duration_text, is_this_page, key_label, state_text,
};
use crate::page_base::at;
use crate::session::server_msg::RunningKernelsJson;
use crate::session::socket::page_kernel_key;
use crate::session::{Overlay, Session};

/// `GET /api/kernels`.
async fn fetch_kernels() -> Result<RunningKernels, ApiFailure> {
    get_json(&at(KERNELS_API))
        .await
        .map(|RunningKernelsJson(kernels)| kernels)
}

/// `DELETE /api/kernels/ID`.
async fn shut_down(id: u64) -> Result<(), ApiFailure> {
    delete_at(&at(&format!("{KERNELS_API}/{id}"))).await
}

#[component]
pub fn RunningKernelsDialog(session: Session) -> impl IntoView {
    let open = Memo::new(move |_| session.overlay.get() == Overlay::RunningKernels);
    let listed = RwSignal::new(None::<RunningKernels>);
    let error = RwSignal::new(None::<String>);

    let reload = move || {
        leptos::task::spawn_local(async move {
            match fetch_kernels().await {
                Ok(list) => {
                    if listed.try_with_untracked(|l| l.as_ref() != Some(&list)) == Some(true) {
                        listed.set(Some(list));
                    }
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        })
    };
    // Which opening a refresh loop belongs to: one from an earlier opening stops.
    let opening = StoredValue::new(0u64);
    Effect::new(move |_| {
        if open.get() {
            error.set(None);
            listed.set(None);
            reload();
            crate::dom::focus_after_render("[data-testid=running-kernels] .dialog-actions button");
            let mine = opening.get_value() + 1;
            opening.set_value(mine);
            leptos::task::spawn_local(async move {
                loop {
                    gloo_timers::future::TimeoutFuture::new(REFRESH_MS).await;
                    let current = open.try_get_untracked() == Some(true)
                        && opening.try_get_value() == Some(mine);
                    if !current {
                        return;
                    }
                    reload();
                }
            });
        }
    });

    let close = move || {
        session.overlay.set(Overlay::None);
        session.dispatch(Command::EnterCommandMode);
    };
    let stop = move |id: u64| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match shut_down(id).await {
                Ok(()) => reload(),
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };

    let row = move |kernel: RunningKernel, cull_after: u64| {
        let page = page_kernel_key(session);
        let this_page = is_this_page(&kernel, &page);
        let label = key_label(kernel.key.as_ref());
        let id = kernel.id;
        let state = kernel.state.as_ref().map_or("starting", |s| {
            crate::session::connection::kernel_data_state(s)
        });
        view! {
            <li class="running-kernel" data-testid="running-kernel" data-id=id.to_string() data-state=state>
                <div class="running-kernel-head">
                    <span class="running-kernel-key" data-testid="running-kernel-key" title=label.clone()>
                        {label.clone()}
                    </span>
                    {this_page.then(|| view! { <span class="running-kernel-mine">"this page"</span> })}
                    <button
                        type="button"
                        class="danger"
                        data-testid="running-kernel-shut-down"
                        aria-label=format!("Shut down the kernel of {label}")
                        on:click=move |_| stop(id)
                    >
                        "Shut down"
                    </button>
                </div>
                <div class="running-kernel-facts">
                    <span class="running-kernel-name">{kernel.kernel.clone()}</span>
                    <span data-testid="running-kernel-state">{state_text(&kernel)}</span>
                    <span data-testid="running-kernel-pages">{attached_text(kernel.attached)}</span>
                    <span data-testid="running-kernel-idle">
                        {format!("idle {}", duration_text(kernel.idle_seconds))}
                    </span>
                </div>
                {cull_text(&kernel, cull_after).map(|text| view! {
                    <div class="running-kernel-cull">{text}</div>
                })}
            </li>
        }
    };

    view! {
        <Modal
            open=open
            overlay="running-kernels"
            class="running-kernels"
            testid="running-kernels"
            label="Running kernels"
            on_close=move |()| close()
        >
            <div class="dialog-header">
                <h2>"Running kernels"</h2>
                <span class="dialog-hint">
                    {move || listed.with(|l| l.as_ref().map(|l| format!(
                        "A notebook's kernel stays after its page closes, for {} without a page; \
                         reopening the notebook reattaches to it.",
                        duration_text(l.cull_idle_timeout_seconds).replace("just now", "no time")
                    )))}
                </span>
            </div>
            {move || match listed.get() {
                None => view! { <p class="routes-empty">"Loading the kernels…"</p> }.into_any(),
                Some(list) if list.kernels.is_empty() => view! {
                    <p class="routes-empty" data-testid="running-kernels-empty">"No kernels are running."</p>
                }
                .into_any(),
                Some(list) => {
                    let cull_after = list.cull_idle_timeout_seconds;
                    view! {
                        <ul class="running-kernel-list" aria-label="Running kernels">
                            {list.kernels.into_iter().map(|k| row(k, cull_after)).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
            <p class="route-error" data-testid="running-kernels-error" role="alert">
                {move || error.get()}
            </p>
            <div class="dialog-actions">
                <button type="button" on:click=move |_| close()>"Close"</button>
            </div>
        </Modal>
    }
}
