//! A code cell's outputs: messages the kernel sent in this page, and outputs saved in the
//! notebook file (shown as [`crate::outputs::rich_output`] decides).
//!
//! An output whose HTML or markdown names images on other hosts is drawn without them, under a
//! line that says how many and from where, with a button that draws that output again with
//! them (per output, as a mail client asks per message; see [`crate::outputs::remote_content`]).

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wirebook_notebook::{CellId, CellOutput, InputPrompt};
use wirebook_shared::ipynb::IpynbOutput;
use wirebook_shared::session::WireData;

use crate::chunk::missing_line;
use crate::json_tree::tree::parse_document;
use crate::json_tree::view::JsonTree;
use crate::outputs::remote_content::{AllowedOutputs, BlockedImages, Remote};
use crate::outputs::rich_output::{execution_count, show, Shown};
use crate::outputs::rich_text;
use crate::session::Session;
use wirebook_notebook::ansi::Span;

/// One message the kernel sent: a JSON object or array as a tree, other text as it arrived,
/// binary as hex (16 bytes a line).
pub fn wire_output(data: &WireData) -> AnyView {
    match data {
        WireData::Text { text } => match parse_document(text) {
            Some(doc) => view! {
                <div class="output-item output-json" data-testid="output-item" data-kind="json">
                    <JsonTree doc=doc />
                </div>
            }
            .into_any(),
            None => view! {
            <pre class="output-item" data-testid="output-item" data-kind="text">{text.clone()}</pre>
            }
            .into_any(),
        },
        WireData::Binary { hex } => view! {
            <pre class="output-item binary" data-testid="output-item" data-kind="binary">
                <span class="binary-label">{format!("binary, {} bytes", hex.len() / 2)}</span>
                {crate::outputs::rich_output::hex_rows(hex)}
            </pre>
        }
        .into_any(),
    }
}

/// One output of the cell's last run in this page: a WebSocket kernel's message as it arrived,
/// a Jupyter output as a saved one is shown.
/// `allowed` holds the remote images the user chose to load in this cell.
pub fn cell_output(output: &CellOutput, allowed: RwSignal<AllowedOutputs>) -> AnyView {
    match output {
        CellOutput::Message(data) => wire_output(data),
        CellOutput::Jupyter { output, .. } => saved_output(output, allowed),
    }
}

/// The line over an output (or a markdown cell) whose remote images were left out: how many,
/// from which hosts (all of them in the tooltip), and a button that loads them.
pub fn remote_blocked_line(
    blocked: BlockedImages,
    allowed: RwSignal<AllowedOutputs>,
) -> impl IntoView {
    let summary = blocked.summary();
    let tooltip = blocked.tooltip();
    let load = move |ev: web_sys::MouseEvent| {
        let cell_id = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|button| button.closest("[data-testid=cell]").ok().flatten())
            .and_then(|cell| cell.get_attribute("data-cell-id"))
            .filter(|id| {
                id.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        allowed.update(|a| a.allow(&blocked));
        // The button goes with its line (and the cell is drawn again): the keyboard stays on
        // the cell, command mode's place, instead of falling to the page.
        if let Some(id) = cell_id {
            request_animation_frame(move || {
                let selector = format!("[data-testid=cell][data-cell-id=\"{id}\"]");
                if let Some(cell) = crate::dom::element::<web_sys::HtmlElement>(&selector) {
                    let _ = cell.focus();
                }
            });
        }
    };
    view! {
        <div class="remote-blocked" data-testid="remote-blocked" role="status" title=tooltip>
            <span class="remote-blocked-text" data-testid="remote-blocked-text">{summary}</span>
            <span class="remote-blocked-sep" aria-hidden="true">"·"</span>
            <button
                type="button"
                class="remote-load"
                data-testid="remote-load"
                title="Load these remote images (their hosts will see the requests)"
                on:click=load
            >
                "Load images"
            </button>
        </div>
    }
}

/// A byte count in words: `812 bytes`, `14.2 KiB`, `3.0 MiB`.
pub fn byte_count(n: u64) -> String {
    match n {
        0..1024 => format!("{n} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

/// The kernel's `input_request` under its cell: the prompt and a field (masked for
/// passwords) that takes the keyboard focus; Enter sends the answer. Once answered, the
/// prompt shows the answer, passwords as dots, as Jupyter does.
pub fn input_prompt(session: Session, cell_id: CellId, prompt: InputPrompt) -> AnyView {
    if let Some(shown) = prompt.shown_answer() {
        return view! {
            <div class="input-prompt answered" data-testid="input-prompt" data-state="answered">
                <span class="input-prompt-text">{prompt.prompt.clone()}</span>
                <span class="input-answer" data-testid="input-answer">{shown}</span>
            </div>
        }
        .into_any();
    }
    let selector = format!("[data-cell-id=\"{cell_id}\"] [data-testid=input-field]");
    request_animation_frame(move || {
        if let Some(field) = crate::dom::element::<web_sys::HtmlElement>(&selector) {
            let _ = field.focus();
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.is_composing() {
            ev.prevent_default();
            let value = event_target_value(&ev);
            session.answer_input(&cell_id, value);
        }
    };
    view! {
        <div class="input-prompt" data-testid="input-prompt" data-state="waiting">
            <label class="input-prompt-text">
                {prompt.prompt.clone()}
                <input
                    class="input-field"
                    data-testid="input-field"
                    type=if prompt.password { "password" } else { "text" }
                    autocomplete="off"
                    spellcheck="false"
                    aria-label=if prompt.prompt.trim().is_empty() { "Input for the kernel".to_string() } else { prompt.prompt.clone() }
                    on:keydown=on_key
                />
            </label>
            <span class="input-hint">"Enter sends it to the kernel"</span>
        </div>
    }
    .into_any()
}

/// Text with its terminal colours, as spans; the text always goes into text nodes.
pub fn ansi_spans(spans: Vec<Span>) -> impl IntoView {
    spans
        .into_iter()
        .map(|span| {
            if span.style.is_plain() {
                view! { <span>{span.text}</span> }.into_any()
            } else {
                let css = span.style.css();
                view! {
                    <span class=span.style.classes() style=(!css.is_empty()).then_some(css)>
                        {span.text}
                    </span>
                }
                .into_any()
            }
        })
        .collect_view()
}

/// An output read from the notebook file (or a Jupyter kernel's, shown the same way): without
/// its remote images, under [`remote_blocked_line`], until the user loads them; HTML and
/// markdown once their renderers have come ([`rich_text`]).
pub fn saved_output(output: &IpynbOutput, allowed: RwSignal<AllowedOutputs>) -> AnyView {
    let count = execution_count(output);
    let shown = show(output, Remote::Blocked, rich_text::now());
    if shown != Shown::Rendering && blocked_images(&shown).is_empty() {
        return shown_output(shown, count, None);
    }
    let output = output.clone();
    (move || {
        let rich = rich_text::current();
        let shown = show(&output, Remote::Blocked, rich);
        let blocked = blocked_images(&shown);
        if blocked.is_empty() {
            shown_output(shown, count, None)
        } else if allowed.with(|a| a.allows(&blocked)) {
            shown_output(show(&output, Remote::Allowed, rich), count, None)
        } else {
            let line = remote_blocked_line(blocked, allowed).into_any();
            shown_output(shown, count, Some(line))
        }
    })
    .into_any()
}

/// The remote images `shown` leaves out.
fn blocked_images(shown: &Shown) -> BlockedImages {
    match shown {
        Shown::Html(html) | Shown::Markdown(html) => html.blocked.clone(),
        _ => BlockedImages::default(),
    }
}

/// The line under an output or a markdown cell whose renderers' chunk did not come.
pub fn renderers_missing() -> impl IntoView {
    move || rich_text::missing().then(|| missing_line("Markdown, maths and HTML", rich_text::retry))
}

/// An output as [`show`] decided, with its `Out[n]` count and, over HTML or markdown, `notice`.
fn shown_output(shown: Shown, count: Option<u32>, notice: Option<AnyView>) -> AnyView {
    let prompt = count.map(|n| view! { <span class="out-prompt">{format!("Out[{n}]:")}</span> });
    let body = match shown {
        Shown::Wire(data) => return wire_output(&data),
        Shown::Stream { stderr, text } => view! {
            <pre
                class="output-item stream"
                class:stderr=stderr
                data-testid="output-item"
                data-kind=if stderr { "stderr" } else { "stdout" }
            >
                {ansi_spans(text)}
            </pre>
        }
        .into_any(),
        Shown::Text { text, mime, note } => view! {
            <div class="output-item rich" data-testid="output-item" data-kind="text" data-mime=mime>
                {prompt}
                {note.map(|note| view! { <div class="output-note">{note}</div> })}
                <pre class="output-text">{ansi_spans(text)}</pre>
            </div>
        }
        .into_any(),
        Shown::Image { src, mime } => view! {
            <div class="output-item rich" data-testid="output-item" data-kind="image" data-mime=mime.clone()>
                {prompt}
                <img class="output-image" src=src alt=format!("{mime} output") />
            </div>
        }
        .into_any(),
        Shown::Markdown(html) => view! {
            <div class="output-item rich" data-testid="output-item" data-kind="markdown">
                {prompt}
                {notice}
                <div class="markdown-body" inner_html=html.html></div>
            </div>
        }
        .into_any(),
        Shown::Rendering => view! {
            <div class="output-item rich rendering" data-testid="output-item" data-kind="rendering" aria-busy="true">
                {prompt}
                {renderers_missing()}
            </div>
        }
        .into_any(),
        Shown::Html(html) => view! {
            <div class="output-item rich" data-testid="output-item" data-kind="html">
                {prompt}
                {notice}
                <div class="output-html" inner_html=html.html></div>
            </div>
        }
        .into_any(),
        Shown::Json { mime, text } => {
            let tree = parse_document(&text);
            view! {
                <div class="output-item rich" data-testid="output-item" data-kind="json" data-mime=mime>
                    {prompt}
                    {match tree {
                        Some(doc) => view! { <div class="output-json"><JsonTree doc=doc /></div> }.into_any(),
                        None => view! { <pre class="output-text">{text}</pre> }.into_any(),
                    }}
                </div>
            }
            .into_any()
        }
        Shown::Error { text } => view! {
            <pre class="output-item error" data-testid="output-item" data-kind="error">
                {ansi_spans(text)}
            </pre>
        }
        .into_any(),
        Shown::Unsupported { mimes } => view! {
            <div class="output-item unsupported" data-testid="output-item" data-kind="unsupported">
                {prompt}
                <span class="output-note">
                    {format!("output of type {} — wirebook cannot show it", mimes.join(", "))}
                </span>
            </div>
        }
        .into_any(),
    };
    body
}
