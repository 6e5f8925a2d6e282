//! The file browser beside the notebook (open on `/`, toggled by the toolbar's "Files"):
//! lists the notebook directory, creates, opens, renames and deletes notebooks.

use leptos::ev;
use leptos::prelude::*;
use wirebook_notebook::har::HarSocket;
use wirebook_shared::notebook_files::{page_url, CreateRequest, Entry, EntryKind, Listing};

use crate::api;
use crate::files::browser::{breadcrumbs, format_age, format_size, parent, renamed_path};
use crate::files::har_import;
use crate::page_base::at;
use crate::question::Question;
use crate::session::Session;

/// Whether the page is the scratch notebook with changes no file has.
fn scratch_changes(session: Session) -> bool {
    let files = session.files;
    files.dirty.get_untracked() && files.file.with_untracked(|f| f.path().is_none())
}

/// Runs `go` (which leaves this page) at once, or once the user agrees to leave the scratch
/// notebook's unsaved changes behind. A notebook with a file asks through the browser's own
/// unload prompt instead.
fn leave_then(session: Session, go: impl Fn() + Send + Sync + 'static) {
    if !scratch_changes(session) {
        go();
        return;
    }
    session.question.set(Some(Question {
        title: "Leave the scratch notebook?".into(),
        text: "It has changes that are not saved in any file: leaving loses them. Cancel and \
               save it first (Ctrl+S) to keep them."
            .into(),
        yes: "Leave it",
        then: Callback::new(move |()| go()),
    }));
}

#[component]
pub fn FileBrowser(session: Session) -> impl IntoView {
    let files = session.files;
    let open_path = Memo::new(move |_| files.file.with(|f| f.path().map(str::to_string)));
    let exists = Memo::new(move |_| files.file.with(|f| f.exists()));
    let directory = RwSignal::new(
        open_path
            .get_untracked()
            .map(|p| parent(&p).to_string())
            .unwrap_or_default(),
    );
    let listing: RwSignal<Option<Result<Listing, String>>> = RwSignal::new(None);
    let action_error: RwSignal<Option<String>> = RwSignal::new(None);
    let renaming: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);

    let refresh = move || {
        let dir = directory.get_untracked();
        leptos::task::spawn_local(async move {
            let answer = api::list(&dir).await.map_err(|f| f.describe());
            // A late answer for a directory the user already left is dropped.
            if directory.get_untracked() == dir {
                listing.set(Some(answer));
            }
        });
    };
    // Sync with the server: on opening, on changing directory, and when the open notebook
    // becomes a file or changes name.
    Effect::new(move |_| {
        directory.track();
        open_path.track();
        exists.track();
        if files.browser_open.get() {
            refresh();
        }
    });

    let create_new = move || {
        busy.set(true);
        action_error.set(None);
        let request = CreateRequest {
            directory: directory.get_untracked(),
            content: None,
        };
        leptos::task::spawn_local(async move {
            match api::create(&request).await {
                Ok(saved) => {
                    let _ = window().location().assign(&at(&page_url(&saved.path)));
                }
                Err(failure) => action_error.set(Some(format!(
                    "cannot create a notebook: {}",
                    failure.describe()
                ))),
            }
            busy.set(false);
        });
    };
    let new_notebook = move |_| {
        if !busy.get_untracked() {
            leave_then(session, create_new);
        }
    };

    // HAR import: a HAR with several WebSocket connections asks which one.
    let har_choices: RwSignal<Vec<HarSocket>> = RwSignal::new(Vec::new());
    let create_from_now = move |socket: HarSocket| {
        har_choices.set(Vec::new());
        let (content, note) = har_import::notebook(&socket);
        if let Some(note) = note {
            session.notices.update(|n| n.push(note));
        }
        busy.set(true);
        action_error.set(None);
        let request = CreateRequest {
            directory: directory.get_untracked(),
            content: Some(content),
        };
        // Created as Untitled like a new notebook; opening it connects to the socket's URL
        // (its metadata.wirebook.kernel).
        leptos::task::spawn_local(async move {
            match api::create(&request).await {
                Ok(saved) => {
                    let _ = window().location().assign(&at(&page_url(&saved.path)));
                }
                Err(failure) => action_error.set(Some(format!(
                    "cannot create the imported notebook: {}",
                    failure.describe()
                ))),
            }
            busy.set(false);
        });
    };
    let create_from = move |socket: HarSocket| {
        if busy.get_untracked() {
            return;
        }
        leave_then(session, move || create_from_now(socket.clone()));
    };
    let on_har_file = move |ev: ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // The same file can be chosen again after an error.
        input.set_value("");
        action_error.set(None);
        leptos::task::spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(text) => text.as_string().unwrap_or_default(),
                Err(_) => {
                    action_error.set(Some(format!("cannot read {}", file.name())));
                    return;
                }
            };
            match har_import::sockets(&text) {
                Ok(mut sockets) if sockets.len() == 1 => create_from(sockets.remove(0)),
                Ok(sockets) => {
                    har_choices.set(sockets);
                    crate::dom::focus_after_render("[data-testid=har-socket]");
                }
                Err(why) => action_error.set(Some(why)),
            }
        });
    };
    let choose_har_file = move |_| {
        if let Some(input) =
            crate::dom::element::<web_sys::HtmlInputElement>("[data-testid=har-file]")
        {
            input.click();
        }
    };

    let commit_rename = move |entry: Entry, new_name: String| {
        renaming.set(None);
        let to = match renamed_path(&entry.path, entry.kind, &new_name) {
            Ok(to) if to == entry.path => return,
            Ok(to) => to,
            Err(why) => {
                action_error.set(Some(format!("cannot rename {}: {why}", entry.name)));
                return;
            }
        };
        action_error.set(None);
        leptos::task::spawn_local(async move {
            match api::rename(&entry.path, &to).await {
                Ok(_) => {
                    files.renamed(&entry.path, &to);
                    refresh();
                }
                Err(failure) => action_error.set(Some(format!(
                    "cannot rename {}: {}",
                    entry.name,
                    failure.describe()
                ))),
            }
        });
    };

    let delete_now = move |entry: Entry| {
        action_error.set(None);
        leptos::task::spawn_local(async move {
            match api::delete(&entry.path).await {
                Ok(()) => refresh(),
                Err(failure) => action_error.set(Some(format!(
                    "cannot delete {}: {}",
                    entry.name,
                    failure.describe()
                ))),
            }
        });
    };
    let delete = move |entry: Entry| {
        let what = match entry.kind {
            EntryKind::Notebook => "notebook",
            EntryKind::Directory => "empty directory",
        };
        session.question.set(Some(Question {
            title: format!("Delete the {what} “{}”?", entry.path),
            text: "This cannot be undone.".into(),
            yes: "Delete",
            then: Callback::new(move |()| delete_now(entry.clone())),
        }));
    };

    let now_ms = move || js_sys::Date::now() as u64;
    let entry_view = move |entry: Entry| {
        // Tracked: a row outlives refreshes (see the list's key), the open notebook may change.
        let is_open = {
            let path = entry.path.clone();
            move || open_path.with(|open| open.as_deref() == Some(path.as_str()))
        };
        let editing = {
            let path = entry.path.clone();
            move || renaming.get().as_deref() == Some(path.as_str())
        };
        let meta = match entry.kind {
            EntryKind::Directory => String::new(),
            EntryKind::Notebook => {
                let age = entry.mtime_ms.map(|ms| format_age(ms, now_ms()));
                let size = entry.size.map(format_size);
                [age, size]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · ")
            }
        };
        let name_view = {
            let entry = entry.clone();
            move || {
                if editing() {
                    let entry = entry.clone();
                    let on_key = {
                        let entry = entry.clone();
                        move |ev: ev::KeyboardEvent| match ev.key().as_str() {
                            "Enter" => {
                                ev.prevent_default();
                                commit_rename(entry.clone(), event_target_value(&ev));
                            }
                            "Escape" => {
                                ev.prevent_default();
                                renaming.set(None);
                            }
                            _ => {}
                        }
                    };
                    view! {
                        <input
                            class="rename-input"
                            data-testid="rename-input"
                            aria-label=format!("New name for {}", entry.name)
                            prop:value=entry.name.clone()
                            on:keydown=on_key
                            on:blur=move |_| renaming.set(None)
                            autofocus
                        />
                    }
                    .into_any()
                } else {
                    match entry.kind {
                        EntryKind::Notebook => {
                            let href = at(&page_url(&entry.path));
                            let target = href.clone();
                            view! {
                                <a
                                    class="file-name"
                                    href=href
                                    on:click={
                                        let href = target;
                                        move |ev| {
                                            if scratch_changes(session) {
                                                ev.prevent_default();
                                                let href = href.clone();
                                                leave_then(session, move || {
                                                    let _ = window().location().assign(&href);
                                                });
                                            }
                                        }
                                    }
                                >
                                    {entry.name.clone()}
                                </a>
                            }
                            .into_any()
                        }
                        EntryKind::Directory => {
                            let path = entry.path.clone();
                            view! {
                                <button class="file-name link" on:click=move |_| directory.set(path.clone())>
                                    {entry.name.clone()}"/"
                                </button>
                            }
                            .into_any()
                        }
                    }
                }
            }
        };
        let start_rename = {
            let path = entry.path.clone();
            move |_| {
                renaming.set(Some(path.clone()));
                focus_rename_input();
            }
        };
        let on_delete = {
            let entry = entry.clone();
            move |_| delete(entry.clone())
        };
        view! {
            <li
                class="file-entry"
                class:current=is_open.clone()
                data-testid="file-entry"
                data-path=entry.path.clone()
                data-kind=match entry.kind {
                    EntryKind::Notebook => "notebook",
                    EntryKind::Directory => "directory",
                }
            >
                {entry_icon(entry.kind)}
                <span class="file-main">
                    {name_view}
                    <span class="file-meta">{meta}</span>
                </span>
                <span class="file-actions">
                    <button
                        class="icon-button"
                        title=format!("Rename {}", entry.name)
                        aria-label=format!("Rename {}", entry.name)
                        on:click=start_rename
                    >
                        "✎"
                    </button>
                    <button
                        class="icon-button danger"
                        title={
                            let is_open = is_open.clone();
                            let name = entry.name.clone();
                            move || if is_open() {
                                "This notebook is open here: open another one to delete it".to_string()
                            } else {
                                format!("Delete {name}")
                            }
                        }
                        aria-label=format!("Delete {}", entry.name)
                        disabled=is_open.clone()
                        on:click=on_delete
                    >
                        "✕"
                    </button>
                </span>
            </li>
        }
    };

    view! {
        <aside class="file-browser" data-testid="file-browser" aria-label="Notebook files">
            <div class="file-browser-header">
                <nav class="crumbs" aria-label="Directory">
                    {move || {
                        let crumbs = breadcrumbs(&directory.get());
                        let last = crumbs.len() - 1;
                        crumbs
                            .into_iter()
                            .enumerate()
                            .map(|(i, (name, path))| {
                                let sep = (i > 0).then_some(view! { <span class="crumb-sep">"/"</span> });
                                let here = i == last;
                                view! {
                                    {sep}
                                    <button
                                        class="crumb link"
                                        class:here=here
                                        disabled=here
                                        on:click=move |_| directory.set(path.clone())
                                    >
                                        {name}
                                    </button>
                                }
                            })
                            .collect_view()
                    }}
                </nav>
                <button
                    class="icon-button"
                    title="Refresh the list"
                    aria-label="Refresh the list"
                    on:click=move |_| refresh()
                >
                    "⟳"
                </button>
            </div>
            <button
                class="new-notebook"
                data-testid="new-notebook"
                title="Create Untitled.ipynb here and open it"
                disabled=move || busy.get()
                on:click=new_notebook
            >
                "+ New notebook"
            </button>
            <button
                class="new-notebook"
                data-testid="import-har"
                title="Make a notebook from a WebSocket connection recorded in a HAR file (Chrome DevTools: Save all as HAR)"
                disabled=move || busy.get()
                on:click=choose_har_file
            >
                "Import HAR…"
            </button>
            <input
                type="file"
                accept=".har,application/json"
                data-testid="har-file"
                hidden=true
                tabindex="-1"
                on:change=on_har_file
            />
            {move || {
                let sockets = har_choices.get();
                (!sockets.is_empty()).then(|| view! {
                    <div class="har-choice" role="group" aria-label="WebSocket connections in the HAR file">
                        <p>"The HAR file has several WebSocket connections; import which?"</p>
                        {sockets
                            .into_iter()
                            .map(|socket| {
                                let text = har_import::label(&socket);
                                view! {
                                    <button
                                        class="link har-socket"
                                        data-testid="har-socket"
                                        on:click=move |_| create_from(socket.clone())
                                    >
                                        {text}
                                    </button>
                                }
                            })
                            .collect_view()}
                        <button on:click=move |_| har_choices.set(Vec::new())>"Cancel"</button>
                    </div>
                })
            }}
            {move || action_error.get().map(|message| view! {
                <div class="file-error" role="alert">
                    <span>{message}</span>
                    <button class="dismiss" aria-label="Dismiss" on:click=move |_| action_error.set(None)>
                        "✕"
                    </button>
                </div>
            })}
            <ul class="file-list">
                {move || match listing.get() {
                    None => view! { <li class="file-empty">"Loading…"</li> }.into_any(),
                    Some(Err(message)) => view! {
                        <li class="file-error" role="alert">
                            {format!("cannot list the notebooks: {message}")}
                        </li>
                    }
                    .into_any(),
                    Some(Ok(listing)) if listing.entries.is_empty() => view! {
                        <li class="file-empty">"No notebooks here yet."</li>
                    }
                    .into_any(),
                    Some(Ok(_)) => ().into_any(),
                }}
                // Keyed by the entry as listed: a refresh that finds an entry unchanged keeps
                // its row, so a rename being typed in survives it.
                <For
                    each=move || listing.with(|l| match l {
                        Some(Ok(listing)) => listing.entries.clone(),
                        _ => Vec::new(),
                    })
                    key=|entry| (entry.path.clone(), entry.name.clone(), entry.size, entry.mtime_ms)
                    children=entry_view
                />
            </ul>
        </aside>
    }
}

/// Focuses the rename field once it is on the page.
fn focus_rename_input() {
    request_animation_frame(|| {
        if let Some(input) =
            crate::dom::element::<web_sys::HtmlInputElement>("[data-testid=rename-input]")
        {
            let _ = input.focus();
            // Select the name without its extension, as file managers do.
            let name = input.value();
            let end = name.strip_suffix(".ipynb").map_or(name.len(), str::len);
            let _ = input.set_selection_range(0, end as u32);
        }
    });
}

fn entry_icon(kind: EntryKind) -> impl IntoView {
    match kind {
        EntryKind::Directory => view! {
            <svg class="file-icon folder" viewBox="0 0 16 16" aria-hidden="true">
                <path d="M1.5 3.5h4.5l1.5 1.5h7v8h-13z" />
            </svg>
        }
        .into_any(),
        EntryKind::Notebook => view! {
            <svg class="file-icon notebook-icon" viewBox="0 0 16 16" aria-hidden="true">
                <rect x="3" y="1.5" width="10.5" height="13" rx="1" />
                <path d="M5.5 5h5.5M5.5 8h5.5M5.5 11h3.5" />
            </svg>
        }
        .into_any(),
    }
}
