//! A code cell's outputs: messages the kernel sent in this page, and outputs saved in the
//! notebook file (shown as [`crate::rich_output`] decides).

use leptos::prelude::*;
use wirebook_shared::ipynb::IpynbOutput;
use wirebook_shared::notebook::CellOutput;
use wirebook_shared::session::WireData;

use crate::ansi::Span;
use crate::rich_output::{execution_count, show, Shown};

/// One message the kernel sent, as it arrived (text shown as-is).
pub fn wire_output(data: &WireData) -> AnyView {
    match data {
        WireData::Text { text } => view! {
            <pre class="output-item" data-testid="output-item" data-kind="text">{text.clone()}</pre>
        }
        .into_any(),
        WireData::Binary { hex } => view! {
            <pre class="output-item binary" data-testid="output-item" data-kind="binary">
                <span class="binary-label">{format!("binary, {} bytes", hex.len() / 2)}</span>
                {hex.clone()}
            </pre>
        }
        .into_any(),
    }
}

/// One output of the cell's last run in this page: a WebSocket kernel's message as it arrived,
/// a Jupyter output as a saved one is shown.
pub fn cell_output(output: &CellOutput) -> AnyView {
    match output {
        CellOutput::Message(data) => wire_output(data),
        CellOutput::Jupyter { output, .. } => saved_output(output),
    }
}

/// Text with its terminal colours, as spans; the text always goes into text nodes.
fn ansi(spans: Vec<Span>) -> impl IntoView {
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

/// An output read from the notebook file.
pub fn saved_output(output: &IpynbOutput) -> AnyView {
    let count = execution_count(output);
    let prompt = count.map(|n| view! { <span class="out-prompt">{format!("Out[{n}]:")}</span> });
    let body = match show(output) {
        Shown::Wire(data) => return wire_output(&data),
        Shown::Stream { stderr, text } => view! {
            <pre
                class="output-item stream"
                class:stderr=stderr
                data-testid="output-item"
                data-kind=if stderr { "stderr" } else { "stdout" }
            >
                {ansi(text)}
            </pre>
        }
        .into_any(),
        Shown::Text { text, mime, note } => view! {
            <div class="output-item rich" data-testid="output-item" data-kind="text" data-mime=mime>
                {prompt}
                {note.map(|note| view! { <div class="output-note">{note}</div> })}
                <pre class="output-text">{ansi(text)}</pre>
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
                <div class="markdown-body" inner_html=html></div>
            </div>
        }
        .into_any(),
        Shown::Error { text } => view! {
            <pre class="output-item error" data-testid="output-item" data-kind="error">
                {ansi(text)}
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
