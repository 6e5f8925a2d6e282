//! The kernel message composer, in the inspector: pick a template (or type any msg_type),
//! edit the content as JSON (checked as you type), send with the button or Ctrl+Enter, and
//! watch the replies thread under what you sent.
//!
//! The server answers a send with `KernelMessageSent`, and records the message it sent in the
//! capture like any other; the composer finds its message there (the first capture record
//! after the send on that channel with that msg_type, going to the kernel), so the replies it
//! lists are exactly the inspector's rows whose parent is that message, one click from their
//! detail.

use crate::inspector::message_templates::{MessageTemplate, TEMPLATES};
use leptos::ev;
use leptos::prelude::*;
use wirebook_shared::capture::Direction;
use wirebook_shared::jupyter::Channel;
use wirebook_shared::session::ClientMsg;

use crate::inspector::composer::{availability, Draft, SEND_CHANNELS};
use crate::inspector::row_text::{short_id, visible_controls};
use crate::session::records;
use crate::session::Session;

/// How many sends the composer keeps listing.
const SENT_KEPT: usize = 5;

/// One message the user sent from here.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    /// Unique per page: the list's key.
    id: u64,
    channel: Channel,
    msg_type: String,
    /// The newest capture record when it was sent: its own record comes after.
    after_seq: Option<u64>,
}

#[component]
pub fn Composer(session: Session, on_select: Callback<u64>) -> impl IntoView {
    let inspector = session.records;
    let draft = RwSignal::new(Draft::default());
    let sent = RwSignal::new(Vec::<Sent>::new());
    let next_id = StoredValue::new(0u64);
    let status = RwSignal::new(None::<String>);
    let available = Memo::new(move |_| session.kernel_info.with(|k| availability(k.as_ref())));
    let content_error = Memo::new(move |_| draft.with(|d| d.parsed_content().err()));
    let message = Memo::new(move |_| draft.with(|d| d.to_message()));

    let send = move || {
        if let Err(why) = available.get_untracked() {
            status.set(Some(why));
            return;
        }
        match message.get_untracked() {
            Ok(msg) => {
                let ClientMsg::SendKernelMessage {
                    channel, msg_type, ..
                } = &msg
                else {
                    return;
                };
                let entry = Sent {
                    id: next_id.get_value(),
                    channel: *channel,
                    msg_type: msg_type.clone(),
                    after_seq: inspector.with_untracked(|i| i.rows().next_back().map(|r| r.seq)),
                };
                next_id.update_value(|n| *n += 1);
                if session.send(msg) {
                    status.set(Some(format!(
                        "sent {} on {}",
                        entry.msg_type,
                        entry.channel.name()
                    )));
                    sent.update(|s| {
                        s.insert(0, entry);
                        s.truncate(SENT_KEPT);
                    });
                }
            }
            Err(why) => status.set(Some(why)),
        }
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            ev.stop_propagation();
            send();
        }
    };
    let on_template = move |ev| {
        if let Some(template) = MessageTemplate::find(&event_target_value(&ev)) {
            draft.set(Draft::from_template(template));
            status.set(None);
        }
    };

    view! {
        <section class="composer" data-testid="composer" aria-label="Kernel message composer" on:keydown=on_key>
            {move || available.get().err().map(|why| view! {
                <p class="note composer-off" data-testid="composer-unavailable">{why}</p>
            })}
            <div class="composer-line">
                <label>
                    "Template "
                    <select
                        data-testid="composer-template"
                        title="Start from a filled-in request"
                        prop:value=move || draft.with(|d| d.msg_type.clone())
                        on:change=on_template
                    >
                        {TEMPLATES.into_iter().map(|t| view! {
                            <option value=t.msg_type title=t.description>{t.msg_type}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "channel "
                    <select
                        data-testid="composer-channel"
                        prop:value=move || draft.with(|d| d.channel.name())
                        on:change=move |ev| {
                            if let Some(c) = Channel::from_name(&event_target_value(&ev)) {
                                draft.update(|d| d.channel = c);
                            }
                        }
                    >
                        {SEND_CHANNELS.into_iter().map(|c| view! {
                            <option value=c.name()>{c.name()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "msg_type "
                    <input
                        type="text"
                        class="composer-msg-type"
                        data-testid="composer-msg-type"
                        spellcheck="false"
                        prop:value=move || draft.with(|d| d.msg_type.clone())
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            draft.update(|d| d.msg_type = text);
                        }
                    />
                </label>
            </div>
            <textarea
                class="composer-content mono"
                data-testid="composer-content"
                aria-label="Content (JSON)"
                aria-invalid=move || content_error.with(|e| e.is_some()).to_string()
                spellcheck="false"
                rows="6"
                prop:value=move || draft.with(|d| d.content.clone())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    draft.update(|d| d.content = text);
                }
            ></textarea>
            <div class="composer-line">
                {move || content_error.get().map(|e| view! {
                    <span class="composer-error" data-testid="composer-error" role="alert">{e.to_string()}</span>
                })}
                <span class="spacer-flex"></span>
                <span class="composer-status" role="status" data-testid="composer-status">{move || status.get()}</span>
                <button
                    data-testid="composer-format"
                    title="Re-indent the content"
                    disabled=move || content_error.with(|e| e.is_some())
                    on:click=move |_| {
                        if let Some(text) = draft.with_untracked(|d| d.formatted()) {
                            draft.update(|d| d.content = text);
                        }
                    }
                >
                    "Format"
                </button>
                <button
                    class="primary"
                    data-testid="composer-send"
                    title=format!("Send to the kernel ({})", crate::palette::shortcuts::display("Ctrl+Enter"))
                    disabled=move || available.with(|a| a.is_err()) || message.with(|m| m.is_err())
                    on:click=move |_| send()
                >
                    "Send"
                </button>
            </div>
            <ol class="composer-sent" data-testid="composer-sent">
                <For each=move || sent.get() key=|s| s.id let:entry>
                    <SentThread session=session entry=entry on_select=on_select />
                </For>
            </ol>
        </section>
    }
}

/// One sent message and the replies threaded under it.
#[component]
fn SentThread(session: Session, entry: Sent, on_select: Callback<u64>) -> impl IntoView {
    let inspector = session.records;
    let (channel, msg_type, after) = (entry.channel, entry.msg_type.clone(), entry.after_seq);
    // The capture record of what the server sent for us, once it has arrived.
    let own = Memo::new(move |_| {
        inspector.with(|i| {
            i.rows_after(after).find_map(|r| {
                let m = records::kernel_message(&r.body)?;
                (m.direction == Direction::ToServer
                    && m.channel == channel
                    && m.msg_type == msg_type)
                    .then(|| (r.seq, m.msg_id.clone()))
            })
        })
    });
    let replies = Memo::new(move |_| {
        own.with(|own| {
            own.as_ref()
                .map(|(_, msg_id)| {
                    inspector.with(|i| {
                        i.kernel_children(msg_id)
                            .iter()
                            .filter_map(|&seq| {
                                let m = records::kernel_message(&i.get(seq)?.body)?;
                                Some((seq, m.channel.name(), m.msg_type.clone(), summary(m)))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .unwrap_or_default()
        })
    });
    view! {
        <li class="sent" data-testid="composer-thread">
            <div class="sent-head">
                {move || match own.get() {
                    Some((seq, msg_id)) => view! {
                        <button class="link" data-testid="composer-own" on:click=move |_| on_select.run(seq)>
                            {format!("→ {} {} · {}", channel.name(), entry.msg_type, short_id(&msg_id))}
                        </button>
                    }
                    .into_any(),
                    None => {
                        // Replies are found in the capture: a paused capture records none.
                        let why = if session.capture_paused.get() == Some(true) {
                            "the capture is paused, so neither it nor its replies are recorded"
                        } else {
                            "waiting for the capture…"
                        };
                        view! {
                            <span class="note">{format!("→ {} {} · {why}", channel.name(), entry.msg_type)}</span>
                        }
                        .into_any()
                    }
                }}
            </div>
            <ul class="replies">
                {move || replies.get().into_iter().map(|(seq, channel, msg_type, text)| view! {
                    <li>
                        <button
                            class="link reply"
                            data-testid="composer-reply"
                            data-msg-type=msg_type.clone()
                            on:click=move |_| on_select.run(seq)
                        >
                            <span class="thread-mark">"└ "</span>
                            <span class="k-chan">{channel}</span>" "
                            <span class="k-type">{msg_type.clone()}</span>" "
                            <span class="reply-text">{text}</span>
                        </button>
                    </li>
                }).collect_view()}
            </ul>
        </li>
    }
}

/// A reply's content on one line, cut short.
fn summary(m: &wirebook_shared::jupyter::KernelMessageRecord) -> String {
    const SHOWN: usize = 120;
    let text = visible_controls(m.parts.content.trim());
    match text.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}
