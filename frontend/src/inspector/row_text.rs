//! How a capture record reads in a line of text: the preview column, a kernel message's
//! msg_type and short ids, a heartbeat, a handshake's request and status, the findings in
//! plain words, payloads with their control characters made visible, and times.

use wirebook_shared::capture::{CaptureBody, Direction, HandshakeRecord, Opcode};
pub use wirebook_shared::capture_filter::{heartbeat_line, intercept_line};
use wirebook_shared::jupyter::KernelMessageRecord;

/// The first 8 characters of a msg_id: enough to tell messages apart in a row (ipykernel's
/// ids start with a random uuid4 hex), the detail shows it whole.
pub fn short_id(id: &str) -> &str {
    match id.char_indices().nth(8) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

/// What an unanswered heartbeat means, for the findings list.
pub const HEARTBEAT_MISSED: &str = "the kernel did not answer this heartbeat in time";

/// `data-direction` of a row.
pub fn direction_name(direction: Direction) -> &'static str {
    direction.name()
}

/// `data-event` of a row: `handshake`, `frame`, `open`, `closed`, `kernel_message` or
/// `heartbeat`.
pub fn event_name(body: &CaptureBody) -> &'static str {
    body.event_name()
}

/// Violations and oddities on a record, in plain words: the frame's, then its message's.
pub fn findings(body: &CaptureBody) -> Vec<&str> {
    match body {
        CaptureBody::Frame(f) => f
            .findings
            .iter()
            .chain(f.message.iter().flat_map(|m| m.findings.iter()))
            .map(String::as_str)
            .collect(),
        CaptureBody::Handshake(h) => h.findings.iter().map(String::as_str).collect(),
        CaptureBody::KernelMessage(m) => m.findings.iter().map(String::as_str).collect(),
        CaptureBody::Heartbeat { ok: false, .. } => vec![HEARTBEAT_MISSED],
        _ => Vec::new(),
    }
}

/// A kernel message's preview: msg_type, short ids, then the content on one line.
pub fn kernel_line(m: &KernelMessageRecord) -> String {
    let mut text = if m.msg_type.is_empty() {
        "(no msg_type)".to_string()
    } else {
        m.msg_type.clone()
    };
    text.push_str(&format!(" · {}", short_id(&m.msg_id)));
    if let Some(parent) = &m.parent_msg_id {
        text.push_str(&format!(" ↳ {}", short_id(parent)));
    }
    let content = m.parts.content.trim();
    if !content.is_empty() && content != "{}" {
        text.push_str("  ");
        text.push_str(&visible_controls(content));
        if m.parts.content_truncated {
            text.push('…');
        }
    }
    text
}

/// The handshake's one line: request line, then the status the server answered.
pub fn handshake_line(h: &HandshakeRecord) -> String {
    match &h.response {
        Some(response) => format!(
            "{} → {}",
            h.request.start_line,
            status_of(&response.start_line)
        ),
        None => format!("{} → (no response)", h.request.start_line),
    }
}

/// `101 Switching Protocols` out of `HTTP/1.1 101 Switching Protocols`.
fn status_of(start_line: &str) -> &str {
    start_line
        .split_once(' ')
        .map_or(start_line, |(_, status)| status)
}

/// The row's preview column.
///
/// A frame that completes a message previews the message (text as text, the rest as hex, close
/// frames as their code and reason); a frame in the middle of a message shows its own payload
/// in hex, since its bytes may end inside a character.
pub fn summary(body: &CaptureBody) -> String {
    match body {
        CaptureBody::Open {
            client,
            server,
            target,
        } => format!("{client} ⇄ {server} {target}"),
        CaptureBody::Closed { code, reason } => match code {
            Some(code) => format!("{code} {reason}"),
            None => reason.clone(),
        },
        CaptureBody::Handshake(h) => handshake_line(h),
        CaptureBody::KernelMessage(m) => kernel_line(m),
        CaptureBody::Heartbeat { ok, rtt_us } => heartbeat_line(*ok, *rtt_us),
        CaptureBody::Intercept(record) => intercept_line(record),
        CaptureBody::Frame(frame) => match &frame.message {
            Some(message) => {
                let mut text = match &message.close {
                    Some(close) => {
                        let code = close.code.map_or("(no code)".into(), |c| c.to_string());
                        if close.reason.is_empty() {
                            format!("{code} {}", close.name)
                        } else {
                            format!(
                                "{code} {} · {}",
                                close.name,
                                visible_controls(&close.reason)
                            )
                        }
                    }
                    // Binary and control payloads come as hex: spaced, like a frame's own bytes.
                    None if message.opcode == Opcode::Text => visible_controls(&message.preview),
                    None => spaced_hex(&message.preview),
                };
                if message.truncated && message.close.is_none() {
                    text.push('…');
                }
                text
            }
            None => {
                let mut text = spaced_hex(&frame.payload_hex);
                if frame.truncated {
                    text.push('…');
                }
                text
            }
        },
    }
}

/// `48656c` as `48 65 6c`.
pub fn spaced_hex(hex: &str) -> String {
    let mut out = String::with_capacity(hex.len() * 3 / 2);
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.extend(pair.iter().map(|&b| b as char));
    }
    out
}

/// A one-line rendering of a payload: line breaks, tabs and other control characters become
/// visible symbols instead of collapsing into spaces, since on the wire they are bytes like
/// any other.
pub fn visible_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => '↵',
            '\r' => '␍',
            '\t' => '⇥',
            // U+2400.. are the "symbol for NUL..US" pictures.
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('�'),
            '\u{7f}' => '␡',
            c => c,
        })
        .collect()
}

/// Wall-clock time of day `HH:MM:SS.mmm`; `utc_offset_minutes` is the local zone's offset
/// east of UTC (JavaScript's `-getTimezoneOffset()`).
pub fn clock(time_us: u64, utc_offset_minutes: i32) -> String {
    let ms = (time_us / 1000) as i64 + i64::from(utc_offset_minutes) * 60_000;
    let day_ms = ms.rem_euclid(86_400_000);
    let (h, m, s, milli) = (
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

/// Time since `origin_us` in seconds with millisecond digits, e.g. `+1.500`.
pub fn relative(time_us: u64, origin_us: u64) -> String {
    let (sign, delta) = if time_us >= origin_us {
        ("+", time_us - origin_us)
    } else {
        ("-", origin_us - time_us)
    };
    let ms = delta / 1000;
    format!("{sign}{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::capture::{CloseSummary, Hop};
    use wirebook_shared::capture_filter::has_findings;

    use crate::session::test_records::*;
    use wirebook_shared::capture_filter::direction_of;

    #[test]
    fn row_text() {
        let open = CaptureBody::Open {
            client: "127.0.0.1:5000".into(),
            server: "wirebook".into(),
            target: "/session".into(),
        };
        assert_eq!(event_name(&open), "open");
        assert_eq!(summary(&open), "127.0.0.1:5000 ⇄ wirebook /session");
        let closed = CaptureBody::Closed {
            code: None,
            reason: "reset".into(),
        };
        assert_eq!(event_name(&closed), "closed");
        assert_eq!(summary(&closed), "reset");

        let lines = msg(1, Hop::Browser, "a\r\nb\tc\u{0}\u{7f}");
        assert_eq!(event_name(&lines.body), "frame");
        assert_eq!(summary(&lines.body), "a␍↵b⇥c␀␡");

        let cut = with_frame(msg(2, Hop::Browser, "abc"), |f| {
            f.message.as_mut().unwrap().truncated = true
        });
        assert_eq!(summary(&cut.body), "abc…");

        // A frame that does not complete its message shows its own bytes.
        let middle = with_frame(msg(3, Hop::Browser, "hé"), |f| {
            f.fin = false;
            f.message = None;
            f.truncated = true;
        });
        assert_eq!(summary(&middle.body), "68 c3 a9…");

        let close = with_frame(msg(4, Hop::Kernel, ""), |f| {
            f.opcode = Opcode::Close;
            let message = f.message.as_mut().unwrap();
            message.opcode = Opcode::Close;
            message.preview = "03e8".into();
            message.close = Some(CloseSummary {
                code: Some(1000),
                reason: "bye\n".into(),
                name: "Normal Closure".into(),
                meaning: "the purpose of the connection was fulfilled".into(),
            });
        });
        assert_eq!(summary(&close.body), "1000 Normal Closure · bye↵");

        let ping = with_frame(msg(6, Hop::Kernel, ""), |f| {
            f.opcode = Opcode::Ping;
            let message = f.message.as_mut().unwrap();
            message.opcode = Opcode::Ping;
            message.preview = "6869".into();
        });
        assert_eq!(summary(&ping.body), "68 69");

        let hs = handshake_record(5, 1, Hop::Kernel);
        assert_eq!(event_name(&hs.body), "handshake");
        assert_eq!(
            summary(&hs.body),
            "GET /echo HTTP/1.1 → 101 Switching Protocols"
        );
    }

    #[test]
    fn findings_collect_frame_and_message_words() {
        let clean = msg(1, Hop::Browser, "x");
        assert!(!has_findings(&clean.body));
        assert!(findings(&clean.body).is_empty());
        let bad = with_frame(msg(2, Hop::Browser, "x"), |f| {
            f.findings.push("client frame is not masked".into());
            f.message
                .as_mut()
                .unwrap()
                .findings
                .push("text message is not valid UTF-8".into());
        });
        assert!(has_findings(&bad.body));
        assert_eq!(
            findings(&bad.body),
            vec![
                "client frame is not masked",
                "text message is not valid UTF-8"
            ]
        );
        let mut hs = handshake_record(3, 1, Hop::Kernel);
        if let CaptureBody::Handshake(h) = &mut hs.body {
            h.findings.push("server answered 404".into());
        }
        assert!(has_findings(&hs.body));
    }

    #[test]
    fn kernel_messages_read_as_rows() {
        let [request, busy, reply] = execute_thread();
        assert_eq!(event_name(&request.body), "kernel_message");
        assert_eq!(direction_of(&request.body), Some(Direction::ToServer));
        assert_eq!(
            summary(&request.body),
            r#"execute_request · 01234567  {"code":"print('hi')↵"}"#
        );
        assert!(summary(&busy.body).starts_with("status · busy-1 ↳ 01234567"));
        assert_eq!(
            summary(&reply.body),
            "execute_reply · reply-1 ↳ 01234567",
            "empty content is left out"
        );
        assert_eq!(short_id("abc"), "abc");
        assert_eq!(short_id("ééééééééé"), "éééééééé");
    }

    #[test]
    fn heartbeats_are_compact_and_a_miss_is_a_finding() {
        let ok = beat(1, 9, true);
        assert_eq!(event_name(&ok.body), "heartbeat");
        assert_eq!(summary(&ok.body), "♥ ok · 1.25 ms");
        assert!(!has_findings(&ok.body));
        let missed = beat(2, 9, false);
        assert_eq!(summary(&missed.body), "♥ missed: no answer");
        assert!(has_findings(&missed.body));
        assert_eq!(findings(&missed.body), vec![HEARTBEAT_MISSED]);
    }

    #[test]
    fn clock_and_relative_times() {
        // 2023-11-14T22:13:20.123456Z
        let t = 1_700_000_000_123_456;
        assert_eq!(clock(t, 0), "22:13:20.123");
        assert_eq!(clock(t, 120), "00:13:20.123");
        assert_eq!(clock(t, -23 * 60), "23:13:20.123");
        assert_eq!(relative(t, t - 1_500_000), "+1.500");
        assert_eq!(relative(t, t), "+0.000");
        assert_eq!(relative(t - 2_000, t), "-0.002");
    }
}
