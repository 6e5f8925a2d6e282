//! The record pane's "Hops" section: the selected message's records on both hops
//! ([`crate::inspector::hop_timeline`]), the time at each and each step's latency, followed
//! live so an answer that arrives while the pane is open shows up.

use leptos::prelude::*;

use crate::inspector::hop_timeline::{hop_timeline, HopTimeline};
use crate::inspector::protocol_lens::latency_text;
use crate::inspector::row_text::clock;
use crate::session::Session;

/// The section for record `seq`; nothing when the record is not a relayed message.
pub fn hop_timeline_view(session: Session, seq: u64, on_select: Callback<u64>) -> impl IntoView {
    let records = session.records;
    // A complete timeline cannot change until the rows are rebuilt (a new generation) or its
    // oldest record is trimmed, so batches that only append are not walked again.
    let walked = Memo::new(move |previous: Option<&(u64, Option<HopTimeline>)>| {
        records.with(|r| {
            let generation = r.generation();
            match previous {
                Some((g, Some(t)))
                    if *g == generation
                        && t.missing.is_empty()
                        && t.steps.first().is_some_and(|s| r.get(s.seq).is_some()) =>
                {
                    (generation, Some(t.clone()))
                }
                _ => (generation, hop_timeline(r, seq)),
            }
        })
    });
    let timeline = Memo::new(move |_| walked.with(|(_, t)| t.clone()));
    let utc_offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    move || timeline.get().map(|t| section(t, utc_offset, on_select))
}

fn section(t: HopTimeline, utc_offset: i32, on_select: Callback<u64>) -> impl IntoView {
    let round_trip = t
        .round_trip_us
        .map(|us| format!("round trip {}", latency_text(us)));
    let rows = t
        .steps
        .into_iter()
        .map(|step| {
            let seq = step.seq;
            let record = format!(
                "#{} {} {}",
                step.seq,
                step.hop.label(),
                step.direction.arrow()
            );
            let latency = step
                .latency_us
                .map(|us| format!("+{} {}", latency_text(us), step.latency_is));
            view! {
                <tr data-testid="hop-step">
                    <td>
                        <button class="link" on:click=move |_| on_select.run(seq)>{record}</button>
                    </td>
                    <td>{step.path}</td>
                    <td class="mono">{clock(step.time_us, utc_offset)}</td>
                    <td data-testid="hop-latency">{latency}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="section-head">
            <h3>"Hops"</h3>
            <span class="content-label" data-testid="hop-round-trip">{round_trip}</span>
        </div>
        <table class="hops" data-testid="hop-timeline">
            <tbody>{rows}</tbody>
        </table>
        {t.paired_by.map(|how| view! {
            <p class="hops-note" data-testid="hop-paired-by">{format!("answer paired by {how}")}</p>
        })}
        {(!t.missing.is_empty()).then(|| view! {
            <ul class="findings" data-testid="hop-missing">
                {t.missing.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
        })}
    }
}
