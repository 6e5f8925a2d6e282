//! The detail of the selected inspector row, in the inspector's bottom split: a frame's
//! header bit by bit, a hex dump with the header parts marked, the payload as text or a JSON
//! tree (a binary one as MessagePack or CBOR, `packed_view`), close codes explained, findings
//! in plain words, and copy buttons; a handshake's request and response headers; the message
//! through its protocol's lens, with the request it answers or the responses that answer it; a
//! relayed message's latency per hop.

use leptos::prelude::*;
use wirebook_shared::capture::{CaptureBody, CaptureRecord, FrameRecord, HandshakeRecord};
use wirebook_shared::capture_filter::direction_of;

use crate::checkbox::LabelledCheckbox;
use crate::dom::{copy, CopyButton};
use crate::inspector::frame_layout::{header_layout, hex_dump, ByteClass, FrameBytes};
use crate::inspector::hop_timeline_view::hop_timeline_view;
use crate::inspector::kernel_message_view::kernel_message_view;
use crate::inspector::packed_view::PackedViews;
use crate::inspector::protocol_lens::{latency_text, Partner, ProtocolDetail, ProtocolTracker};
use crate::inspector::record_facts::{
    byte_count, close_explained, content, handshake_facts, handshake_transcript, CloseExplained,
    Content, CopyAs,
};
use crate::inspector::row_text::{
    clock, direction_name, event_name, findings, heartbeat_line, relative, spaced_hex,
};
use crate::json_tree::tree::parse_document;
use crate::json_tree::view::JsonTree;
use crate::session::records;
use crate::session::Session;

#[component]
pub fn FrameDetail(
    session: Session,
    seq: Signal<Option<u64>>,
    on_close: Callback<()>,
    on_select: Callback<u64>,
) -> impl IntoView {
    let inspector = session.records;
    let record = Memo::new(move |_| {
        seq.get()
            .and_then(|s| inspector.with(|i| i.get(s).cloned()))
    });
    // Counterparts with what the link says about them.
    let related = Memo::new(move |_| {
        seq.get()
            .map(|s| {
                inspector.with(|i| {
                    i.counterparts(s)
                        .into_iter()
                        .filter_map(|c| {
                            let r = i.get(c)?;
                            let arrow = direction_of(&r.body).map_or("", |d| d.arrow());
                            Some((c, format!("#{c} {} {} {arrow}", r.hop.label(), r.conn)))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default()
    });
    let masked = RwSignal::new(false);
    let utc_offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);

    // Short enough for the bar; the tooltip says it in full.
    let title = move || {
        record.with(|r| {
            r.as_ref().map(|r| {
                let start = inspector.with(|i| i.conn(r.conn).map_or(r.time_us, |c| c.start_us));
                let what = match (&r.body, records::frame(&r.body)) {
                    (_, Some(f)) => format!("{} frame", f.opcode.name()),
                    (CaptureBody::KernelMessage(m), None) => {
                        format!("{} {}", m.channel.name(), m.msg_type)
                    }
                    (_, None) => event_name(&r.body).to_string(),
                };
                let direction = direction_of(&r.body)
                    .map(|d| format!(" {} {}", d.arrow(), direction_name(d).replace('_', " ")))
                    .unwrap_or_default();
                let short = format!(
                    "#{} {what} · {} {}{direction} · {} s",
                    r.seq,
                    r.hop.label(),
                    r.conn,
                    relative(r.time_us, start),
                );
                let long = format!(
                    "#{} {what} on {} connection {}{direction}, at {} ({} s after the connection opened)",
                    r.seq,
                    r.hop.label(),
                    r.conn,
                    clock(r.time_us, utc_offset),
                    relative(r.time_us, start),
                );
                (short, long)
            })
        })
    };

    view! {
        <div class="detail" data-testid="frame-detail" role="region" aria-label="Frame detail">
            <div class="detail-bar">
                <span
                    class="detail-title"
                    title=move || title().map(|(_, long)| long)
                >
                    {move || title().map(|(short, _)| short)}
                </span>
                <button
                    class="detail-close"
                    data-testid="detail-close"
                    title="Close the detail (Esc)"
                    aria-label="Close the detail"
                    on:click=move |_| on_close.run(())
                >
                    "×"
                </button>
            </div>
            <div class="detail-body">
                {move || {
                    let links = related.get();
                    (!links.is_empty()).then(|| view! {
                        <div class="related" data-testid="detail-related">
                            <span class="label">"On the other hop: "</span>
                            {links.into_iter().map(|(seq, text)| view! {
                                <button class="link" on:click=move |_| on_select.run(seq)>{text}</button>
                            }).collect_view()}
                        </div>
                    })
                }}
                {move || record.get().map(|r| record_view(session, r, masked, on_select))}
            </div>
        </div>
    }
}

fn record_view(
    session: Session,
    record: CaptureRecord,
    masked: RwSignal<bool>,
    on_select: Callback<u64>,
) -> AnyView {
    // Per record: "copied" feedback belongs to the row it was copied from.
    let copy_status = RwSignal::new(None::<String>);
    let findings: Vec<String> = findings(&record.body)
        .into_iter()
        .map(str::to_string)
        .collect();
    let close = close_explained(&record.body);
    // Dissected once when the record is shown, then fed only the records that come after,
    // so a response arriving while the pane is open shows up.
    let tracker = StoredValue::new(ProtocolTracker::new(record.seq, record.conn));
    let protocol = RwSignal::new(None::<ProtocolDetail>);
    let records_signal = session.records;
    Effect::new(move |_| {
        records_signal.with(|i| {
            let changed = tracker
                .try_update_value(|t| {
                    let after = t.last_fed();
                    t.feed(i.rows_after(after))
                })
                .unwrap_or(false);
            if changed {
                protocol.set(tracker.with_value(|t| t.detail().cloned()));
            }
        });
    });
    let main = match &record.body {
        CaptureBody::Frame(frame) => frame_view(frame, masked, copy_status).into_any(),
        CaptureBody::Handshake(h) => handshake_view(h, copy_status).into_any(),
        CaptureBody::Open {
            client,
            server,
            target,
        } => view! {
            <dl class="facts">
                <dt>"client"</dt><dd>{client.clone()}</dd>
                <dt>"server"</dt><dd>{server.clone()}</dd>
                <dt>"target"</dt><dd>{target.clone()}</dd>
            </dl>
        }
        .into_any(),
        CaptureBody::Closed { code, reason } => view! {
            <dl class="facts">
                <dt>"ended"</dt><dd>{reason.clone()}</dd>
                <dt>"close code"</dt>
                <dd>{code.map_or("none (no close frame was seen)".to_string(), |c| c.to_string())}</dd>
            </dl>
        }
        .into_any(),
        CaptureBody::KernelMessage(message) => {
            kernel_message_view(session, message, on_select, copy_status).into_any()
        }
        CaptureBody::Heartbeat { ok, rtt_us } => view! {
            <dl class="facts">
                <dt>"heartbeat"</dt>
                <dd data-testid="heartbeat-line">{heartbeat_line(*ok, *rtt_us)}</dd>
                <dt>"what it is"</dt>
                <dd>"wirebook sent bytes on the kernel's hb socket; a live kernel echoes them back at once"</dd>
            </dl>
        }
        .into_any(),
        CaptureBody::Intercept(intercept) => {
            let of = intercept.of;
            view! {
                <dl class="facts">
                    <dt>"intercept"</dt>
                    <dd data-testid="intercept-action">{intercept.action.name()}</dd>
                    <dt>"way"</dt><dd>{intercept.way.label()}</dd>
                    <dt>"message"</dt>
                    <dd>{match of {
                        Some(seq) => view! {
                            <button class="link" on:click=move |_| on_select.run(seq)>
                                {format!("#{seq} as it arrived")}
                            </button>
                        }.into_any(),
                        None => "not recorded (the capture was paused)".into_any(),
                    }}</dd>
                    <dt>"detail"</dt><dd>{intercept.detail.clone()}</dd>
                </dl>
            }
            .into_any()
        }
    };
    view! {
        {(!findings.is_empty()).then(|| view! {
            <ul class="findings" data-testid="detail-findings">
                {findings.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
            </ul>
        })}
        {close.map(close_view)}
        {hop_timeline_view(session, record.seq, on_select)}
        {move || protocol.get().map(|p| protocol_view(p, on_select))}
        {main}
    }
    .into_any()
}

fn protocol_view(p: ProtocolDetail, on_select: Callback<u64>) -> impl IntoView {
    let links = move |partners: Vec<Partner>, what: &'static str| {
        partners
            .into_iter()
            .map(|partner| {
                let text = format!(
                    "#{} {what} {}{}",
                    partner.seq,
                    latency_text(partner.latency_us),
                    if partner.last { "" } else { " (more to come)" }
                );
                view! {
                    <button class="link" on:click=move |_| on_select.run(partner.seq)>{text}</button>
                    " "
                }
            })
            .collect_view()
    };
    let has_answers = !p.answers.is_empty();
    let has_answered_by = !p.answered_by.is_empty();
    let tree = parse_document(&p.tree);
    view! {
        <div class="section-head">
            <h3>"Protocol"</h3>
            <span class="content-label" data-testid="protocol-name">{p.protocol}</span>
        </div>
        <dl class="facts" data-testid="protocol-facts">
            <dt>"message"</dt>
            <dd data-testid="protocol-summary">{p.summary}</dd>
            {has_answers.then(|| view! {
                <dt>"answers"</dt>
                <dd data-testid="protocol-answers">{links(p.answers, "request, after")}</dd>
            })}
            {has_answered_by.then(|| view! {
                <dt>"answered by"</dt>
                <dd data-testid="protocol-answered-by">{links(p.answered_by, "after")}</dd>
            })}
            {p.unanswered.then(|| view! {
                <dt>"answered by"</dt>
                <dd data-testid="protocol-unanswered">"nothing yet (no response in the capture)"</dd>
            })}
            {(!p.fields.is_empty()).then(|| view! {
                <dt>"fields"</dt>
                <dd class="mono">{p.fields.join(" · ")}</dd>
            })}
        </dl>
        {(!p.findings.is_empty()).then(|| view! {
            <ul class="findings" data-testid="protocol-findings">
                {p.findings.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
            </ul>
        })}
        {tree.map(|doc| view! { <JsonTree doc=doc /> })}
    }
}

fn close_view(close: CloseExplained) -> impl IntoView {
    let code = close
        .code
        .map_or("no status code (reported as 1005)".to_string(), |c| {
            c.to_string()
        });
    view! {
        <div class="close-explained" data-testid="close-explained">
            <div>
                <strong>{code}</strong>" "
                <span class="close-name">{close.name}</span>
                {(!close.reason.is_empty()).then(|| view! {
                    <span class="close-reason">" · reason: "<q>{close.reason}</q></span>
                })}
            </div>
            <div class="close-meaning">{close.meaning}</div>
        </div>
    }
}

fn frame_view(
    frame: &FrameRecord,
    masked: RwSignal<bool>,
    copy_status: RwSignal<Option<String>>,
) -> impl IntoView {
    let bytes = match FrameBytes::of(frame) {
        Ok(bytes) => bytes,
        Err(e) => {
            return view! { <p class="error">{format!("The recorded frame is unreadable: {e}")}</p> }
                .into_any()
        }
    };
    let key = frame
        .mask_key
        .map(|k| spaced_hex(&wirebook_shared::hex::hex(&k)));
    let has_key = key.is_some();
    let mut flags = Vec::new();
    for (on, name) in [
        (frame.rsv1, "RSV1"),
        (frame.rsv2, "RSV2"),
        (frame.rsv3, "RSV3"),
    ] {
        if on {
            flags.push(name);
        }
    }
    let message = frame.message.as_ref().map(|m| {
        let mut text = format!(
            "{} · {} frame(s) · {}",
            m.opcode.name(),
            m.frames,
            byte_count(m.len)
        );
        if m.compressed {
            text.push_str(&format!(
                " (compressed: {} on the wire)",
                byte_count(m.wire_len)
            ));
        }
        text
    });
    let layout = header_layout(&bytes.header);
    let content = content(frame);
    // A one-frame binary or control message is exactly the payload in the dump above.
    let same_as_dump = content
        .as_ref()
        .is_ok_and(|c| !c.text && c.bytes == bytes.payload);
    let bytes_for_dump = bytes.clone();
    let dump = move || hex_dump(&bytes_for_dump, masked.get());
    let payload_note = (frame.truncated).then(|| {
        format!(
            "The capture kept the first {} of {} payload bytes.",
            bytes.payload.len(),
            frame.len
        )
    });
    view! {
        <dl class="facts">
            <dt>"payload"</dt>
            <dd>{format!("{} ({} length form)", byte_count(frame.len), frame.length_form)}</dd>
            <dt>"masking key"</dt>
            <dd data-testid="mask-key" class="mono">{key.unwrap_or_else(|| "none (not masked)".into())}</dd>
            <dt>"stream offset"</dt>
            <dd class="mono">{format!("{} (bytes after the handshake in this direction)", frame.offset)}</dd>
            {(!flags.is_empty()).then(|| view! {
                <dt>"reserved bits"</dt><dd>{flags.join(", ")}</dd>
            })}
            <dt>"message"</dt>
            <dd>{message.unwrap_or_else(|| "continues in later frames (FIN is 0)".into())}</dd>
        </dl>
        <h3>"Header"</h3>
        {match layout {
            Ok(rows) => bit_table(rows).into_any(),
            Err(e) => view! { <p class="error">{e}</p> }.into_any(),
        }}
        <div class="section-head">
            <h3>"Bytes"</h3>
            <span class="legend">
                {[ByteClass::Header, ByteClass::ExtendedLength, ByteClass::MaskKey, ByteClass::Payload]
                    .into_iter()
                    .map(|c| view! { <span class=format!("swatch {}", c.css())>{c.describe()}</span> })
                    .collect_view()}
            </span>
            {has_key.then(|| view! {
                <LabelledCheckbox
                    testid="mask-toggle"
                    class="check"
                    title="Show the payload masked, exactly as it crossed the wire"
                    checked=masked
                    on_toggle=move |on| masked.set(on)
                >
                    "masked (as on the wire)"
                </LabelledCheckbox>
            })}
        </div>
        <pre class="hex-dump" data-testid="hex-dump" data-masked=move || masked.get().to_string()>
            {move || dump().into_iter().map(|line| {
                let ascii = line.ascii();
                view! {
                    <div class="hex-line">
                        <span class="hex-offset">{format!("{:04x}", line.offset)}</span>
                        // Real spaces between the bytes, so that a copied dump reads as one.
                        <span class="hex-bytes">
                            {line.bytes.iter().enumerate().map(|(i, &(b, class))| view! {
                                <span class=class.css()>{format!("{b:02x}")}</span>
                                {if i == 7 { "  " } else { " " }}
                            }).collect_view()}
                        </span>
                        <span class="hex-ascii">{ascii}</span>
                    </div>
                }
            }).collect_view()}
        </pre>
        {payload_note.map(|n| view! { <p class="note">{n}</p> })}
        {match content {
            Ok(content) => content_view(content, same_as_dump, copy_status).into_any(),
            Err(e) => view! { <p class="error">{e}</p> }.into_any(),
        }}
    }
    .into_any()
}

fn bit_table(rows: Vec<crate::inspector::frame_layout::BitRow>) -> impl IntoView {
    view! {
        <table class="bits" data-testid="header-bits">
            <thead>
                <tr>
                    <th class="bit-offset" scope="col">"byte"</th>
                    {(0..16).map(|i| view! { <th scope="col">{i % 8}</th> }).collect_view()}
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let width = row.bits.len();
                    view! {
                        <tr class="bit-values">
                            <th class="bit-offset" scope="row" rowspan="2">{row.offset}</th>
                            {row.bits.iter().enumerate().map(|(i, &on)| {
                                let class = row
                                    .fields
                                    .iter()
                                    .find(|f| f.bits.contains(&i))
                                    .map_or("", |f| f.class.css());
                                view! { <td class=format!("bit {class}")>{if on { "1" } else { "0" }}</td> }
                            }).collect_view()}
                            {(width < 16).then(|| view! { <td colspan=16 - width></td> })}
                        </tr>
                        <tr class="bit-fields">
                            {row.fields.iter().map(|f| view! {
                                <td colspan=f.bits.len() class=format!("field {}", f.class.css()) title=format!("{}: {}", f.name, f.value)>
                                    <span class="field-name">{f.name}</span>
                                    <span class="field-value">{f.value.clone()}</span>
                                </td>
                            }).collect_view()}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentView {
    Tree,
    Text,
}

fn content_view(
    content: Content,
    same_as_dump: bool,
    copy_status: RwSignal<Option<String>>,
) -> impl IntoView {
    let doc = content
        .text
        .then(|| content.utf8().and_then(parse_document))
        .flatten()
        .filter(|_| !content.truncated());
    let has_tree = doc.is_some();
    let mode = RwSignal::new(if has_tree {
        ContentView::Tree
    } else {
        ContentView::Text
    });
    let shown = if content.truncated() {
        format!(
            "{} · first {} of {}",
            content.label,
            byte_count(content.bytes.len() as u64),
            byte_count(content.len)
        )
    } else {
        format!("{} · {}", content.label, byte_count(content.len))
    };
    let text = if content.text {
        content.as_text()
    } else {
        spaced_hex(&wirebook_shared::hex::hex(&content.bytes))
    };
    let bytes = StoredValue::new(content.bytes.clone());
    // Binary payloads may be MessagePack or CBOR: offered under the bytes (packed_view).
    let packed = (!content.text).then(|| (content.bytes.clone(), content.truncated()));
    let copy_buttons = CopyAs::ALL
        .into_iter()
        .map(|format| {
            view! {
                <button
                    data-testid=format!("copy-{}", format.label())
                    title=format!("Copy the {} as {}", if content.text { "text" } else { "bytes" }, format.label())
                    on:click=move |_| copy(bytes.with_value(|b| format.render(b)), format.label(), copy_status)
                >
                    {format.label()}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="section-head">
            <h3>"Content"</h3>
            <span class="content-label">{shown}</span>
            {has_tree.then(|| view! {
                <span class="seg" role="group" aria-label="Content view">
                    <button
                        aria-pressed=move || (mode.get() == ContentView::Tree).to_string()
                        on:click=move |_| mode.set(ContentView::Tree)
                    >"JSON"</button>
                    <button
                        aria-pressed=move || (mode.get() == ContentView::Text).to_string()
                        on:click=move |_| mode.set(ContentView::Text)
                    >"Text"</button>
                </span>
            })}
            <span class="copy" role="group" aria-label="Copy">
                <span class="label">"Copy "</span>
                {copy_buttons}
                <span class="copy-status" data-testid="copy-status" role="status">
                    {move || copy_status.get()}
                </span>
            </span>
        </div>
        {match doc {
            Some(doc) => view! {
                <Show when=move || mode.get() == ContentView::Tree fallback={
                    let text = text.clone();
                    move || view! { <pre class="payload-text" data-testid="payload-text">{text.clone()}</pre> }
                }>
                    <JsonTree doc=doc.clone() />
                </Show>
            }
            .into_any(),
            None if same_as_dump && !text.is_empty() => view! {
                <p class="note">"The payload bytes are in the dump above."</p>
            }
            .into_any(),
            None => view! {
                <pre class="payload-text" class:hex=!content.text data-testid="payload-text">
                    {if text.is_empty() { "(empty)".to_string() } else { text }}
                </pre>
            }
            .into_any(),
        }}
        {packed.map(|(bytes, truncated)| view! { <PackedViews bytes truncated /> })}
    }
}

fn handshake_view(h: &HandshakeRecord, copy_status: RwSignal<Option<String>>) -> impl IntoView {
    let transcript = handshake_transcript(h);
    let for_copy = transcript.clone();
    view! {
        <dl class="facts">
            {handshake_facts(h).into_iter().map(|(name, value)| view! {
                <dt>{name}</dt><dd>{value}</dd>
            }).collect_view()}
        </dl>
        <div class="section-head">
            <h3>"Headers"</h3>
            <CopyButton
                text=for_copy
                what="headers"
                label="Copy"
                testid="copy-headers"
                status=copy_status
            />
        </div>
        <pre class="handshake" data-testid="handshake-headers">{transcript}</pre>
    }
}
