//! The detail of a kernel message (inside the frame detail's pane): its facts, the signature
//! check as a badge, a link to the request it answers, then every wire part in wire order with
//! the four JSON dicts as trees, and copy buttons.

use leptos::prelude::*;
use wirebook_shared::jupyter::{KernelMessageRecord, SignatureCheck};

use crate::dom::{copy, CopyButton};
use crate::inspector::record_facts::{byte_count, kernel_transcript, kernel_wire_parts, WirePart};
use crate::inspector::row_text::short_id;
use crate::json_tree::tree::parse_document;
use crate::json_tree::view::JsonTree;
use crate::session::Session;

/// The badge's CSS class and text for a signature check.
fn badge(check: SignatureCheck) -> (&'static str, &'static str) {
    match check {
        SignatureCheck::Verified => ("badge ok", "verified"),
        SignatureCheck::Bad => ("badge bad", "bad signature"),
        SignatureCheck::Unsigned => ("badge neutral", "unsigned"),
        SignatureCheck::NotCarried => ("badge neutral", "no signature in this format"),
    }
}

pub fn kernel_message_view(
    session: Session,
    message: &KernelMessageRecord,
    on_select: Callback<u64>,
    copy_status: RwSignal<Option<String>>,
) -> impl IntoView {
    let inspector = session.records;
    let (badge_class, badge_text) = badge(message.parts.signature_check);
    let parent_id = message.parent_msg_id.clone();
    let parent_link = parent_id.clone().map(|parent| {
        let found = inspector.with_untracked(|i| {
            i.kernel_by_msg_id(&parent).and_then(|seq| {
                let record = i.get(seq)?;
                let m = crate::session::records::kernel_message(&record.body)?;
                Some((seq, format!("#{seq} {} {}", m.channel.name(), m.msg_type)))
            })
        });
        let short = short_id(&parent).to_string();
        match found {
            Some((seq, label)) => view! {
                <button
                    class="link"
                    data-testid="kernel-parent-link"
                    title=format!("Select the message this one answers ({parent})")
                    on:click=move |_| on_select.run(seq)
                >
                    {format!("{short}… · {label}")}
                </button>
            }
            .into_any(),
            None => view! {
                <span class="mono" title="Not among the rows this page has">{parent}</span>
            }
            .into_any(),
        }
    });
    let transcript = kernel_transcript(message);
    let parts = kernel_wire_parts(message);
    view! {
        <dl class="facts" data-testid="kernel-facts">
            <dt>"channel"</dt>
            <dd>{format!("{} {} {}", message.channel.name(), message.direction.arrow(),
                match message.direction {
                    wirebook_shared::capture::Direction::ToServer => "to the kernel",
                    wirebook_shared::capture::Direction::ToClient => "from the kernel",
                })}</dd>
            <dt>"msg_type"</dt><dd data-testid="kernel-msg-type">{message.msg_type.clone()}</dd>
            <dt>"msg_id"</dt><dd class="mono">{message.msg_id.clone()}</dd>
            <dt>"parent"</dt>
            <dd>{parent_link.unwrap_or_else(|| view! { <span>"none"</span> }.into_any())}</dd>
            <dt>"format"</dt><dd>{message.parts.format.label()}</dd>
            <dt>"size"</dt><dd>{byte_count(message.size)}</dd>
            <dt>"signature"</dt>
            <dd>
                <span class=badge_class data-testid="signature-badge">{badge_text}</span>
            </dd>
        </dl>
        <div class="section-head">
            <h3>"Wire parts"</h3>
            <CopyButton
                text=transcript
                what="message"
                label="Copy message"
                testid="copy-kernel-message"
                title="Copy every part of the message as text"
                status=copy_status
            />
        </div>
        <ol class="wire-parts" data-testid="wire-parts">
            {parts.into_iter().map(|part| part_view(part, copy_status)).collect_view()}
        </ol>
    }
}

fn part_view(part: WirePart, copy_status: RwSignal<Option<String>>) -> impl IntoView {
    let tree = part
        .json
        .then(|| parse_document(&part.text))
        .flatten()
        .filter(|_| !part.note.starts_with("first "));
    let for_copy = part.text.clone();
    let name = part.name.clone();
    let empty_dict = part.json && part.text.trim() == "{}";
    view! {
        <li class="wire-part" data-testid="wire-part" data-part=part.name.clone()>
            <div class="part-head">
                <span class="part-name">{part.name.clone()}</span>
                <span class="part-note">{part.note.clone()}</span>
                <button
                    class="part-copy"
                    title=format!("Copy {name}")
                    aria-label=format!("Copy {name}")
                    on:click=move |_| copy(for_copy.clone(), "part", copy_status)
                >
                    "copy"
                </button>
            </div>
            {match tree {
                Some(doc) if !empty_dict => view! { <JsonTree doc=doc /> }.into_any(),
                _ => view! { <pre class="part-text mono">{part.text}</pre> }.into_any(),
            }}
        </li>
    }
}
