//! Downloads of the capture: `GET /api/capture.har` (HAR 1.2 with the fields Chrome DevTools
//! writes and reads for WebSockets) and `GET /api/capture.jsonl` (every record as one JSON
//! object per line, for jq). Both need the token, like the UI, and take `?conn=ID` to export a
//! single connection.
//!
//! HAR has one entry per WebSocket connection whose handshake was captured: the request and
//! response are the upgrade, and `_webSocketMessages` holds its whole data messages (`send`
//! is what the connection's client sent). Control frames and frame-level detail are only in
//! the JSONL export. Payloads are the capture's previews: a message longer than
//! `--preview-bytes` is cut, and marked with `_truncated` and its full `_length`.
//!
//! Kernel traffic: JSONL has every record, kernel messages and heartbeats included, with every
//! field (the wire parts as sent, the signature check, findings). HAR describes HTTP and
//! WebSocket exchanges, and a local kernel's ZeroMQ sockets are neither, so they get no
//! `entries`: each kernel launch goes in the custom `log._jupyterKernels` list instead (who,
//! where, and its messages in `_webSocketMessages`' shape plus the Jupyter fields), and a
//! kernel reached over a gateway's WebSocket keeps its ordinary entry, with its decoded
//! messages beside the frames in `_jupyterMessages`. Heartbeats are left to JSONL.

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Value};
use wirebook_shared::capture::unhex;
use wirebook_shared::{
    CaptureBody, CaptureRecord, ConnId, Direction, HttpHeadRecord, KernelMessageRecord, Opcode,
};

use crate::{auth, ui, App};

/// `GET /api/capture.har`
pub async fn har(State(app): State<App>, request: Request) -> Response {
    let conn = match authorized(&app, &request) {
        Ok(conn) => conn,
        Err(refused) => return refused.into_response(),
    };
    let document = har_document(&app.capture.snapshot(), conn);
    let body = serde_json::to_string_pretty(&document).unwrap_or_default();
    download(body, "application/json", &file_name(conn, "har"))
}

/// `GET /api/capture.jsonl`
pub async fn jsonl(State(app): State<App>, request: Request) -> Response {
    let conn = match authorized(&app, &request) {
        Ok(conn) => conn,
        Err(refused) => return refused.into_response(),
    };
    let body = jsonl_lines(&app.capture.snapshot(), conn);
    download(body, "application/x-ndjson", &file_name(conn, "jsonl"))
}

/// Why an export was refused.
enum Refused {
    Token,
    Conn(String),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Token => ui::forbidden(),
            Refused::Conn(value) => (
                StatusCode::BAD_REQUEST,
                format!("conn must be a connection id (a number), not {value:?}\n"),
            )
                .into_response(),
        }
    }
}

/// Checks the token and reads `?conn=`.
fn authorized(app: &App, request: &Request) -> Result<Option<ConnId>, Refused> {
    let query = request.uri().query();
    if auth::check_token(&app.config.token, query, request.headers()).is_none() {
        return Err(Refused::Token);
    }
    let conn = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == "conn")
        .map(|(_, value)| value.into_owned());
    match conn {
        None => Ok(None),
        Some(value) => value.parse().map(Some).map_err(|_| Refused::Conn(value)),
    }
}

fn file_name(conn: Option<ConnId>, extension: &str) -> String {
    match conn {
        Some(conn) => format!("wirebook-conn-{conn}.{extension}"),
        None => format!("wirebook-capture.{extension}"),
    }
}

fn download(body: String, content_type: &str, name: &str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// One JSON object per record, each on its own line.
pub fn jsonl_lines(records: &[CaptureRecord], conn: Option<ConnId>) -> String {
    let mut out = String::new();
    for record in records.iter().filter(|r| conn.is_none_or(|c| r.conn == c)) {
        // Plain data: serialising cannot fail.
        if let Ok(line) = serde_json::to_string(record) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The HAR document of the captured WebSocket connections (or of `conn` only).
pub fn har_document(records: &[CaptureRecord], conn: Option<ConnId>) -> Value {
    let mut conns: Vec<ConnId> = Vec::new();
    for record in records {
        if conn.is_none_or(|c| record.conn == c) && !conns.contains(&record.conn) {
            conns.push(record.conn);
        }
    }
    let mut entries = Vec::new();
    let mut kernels = Vec::new();
    for id in conns {
        let of_conn: Vec<&CaptureRecord> = records.iter().filter(|r| r.conn == id).collect();
        if let Some(entry) = entry(&of_conn) {
            entries.push(entry);
        } else if let Some(kernel) = kernel_launch(&of_conn) {
            kernels.push(kernel);
        }
    }
    let mut log = json!({
        "version": "1.2",
        "creator": { "name": "wirebook", "version": env!("CARGO_PKG_VERSION") },
        "pages": [],
        "entries": entries,
        "comment": "WebSocket connections captured by wirebook; message payloads are cut at --preview-bytes (see _truncated, _length). Jupyter kernels reached over ZeroMQ are in _jupyterKernels.",
    });
    if !kernels.is_empty() {
        log["_jupyterKernels"] = Value::Array(kernels);
    }
    json!({ "log": log })
}

/// A kernel launch without a WebSocket handshake (ZeroMQ): its open record and messages.
fn kernel_launch(records: &[&CaptureRecord]) -> Option<Value> {
    let messages: Vec<Value> = records.iter().filter_map(|r| kernel_message(r)).collect();
    if messages.is_empty() {
        return None;
    }
    let first = records.first()?;
    let (kernel, target) = records
        .iter()
        .find_map(|r| match &r.body {
            CaptureBody::Open { server, target, .. } => Some((server.as_str(), target.as_str())),
            _ => None,
        })
        .unwrap_or(("", ""));
    let closed = records.iter().find_map(|r| match &r.body {
        CaptureBody::Closed { reason, .. } => Some(reason.as_str()),
        _ => None,
    });
    let mut value = json!({
        "connection": first.conn.to_string(),
        "startedDateTime": iso8601(first.time_us),
        "kernel": kernel,
        "target": target,
        "messages": messages,
    });
    if let Some(reason) = closed {
        value["closed"] = json!(reason);
    }
    Some(value)
}

/// A kernel message: `send` went to the kernel, `receive` came from it; the JSON parts parsed
/// (or as sent, when they do not parse).
fn kernel_message(record: &CaptureRecord) -> Option<Value> {
    let CaptureBody::KernelMessage(m) = &record.body else {
        return None;
    };
    let KernelMessageRecord {
        channel,
        direction,
        msg_type,
        msg_id,
        parent_msg_id,
        size,
        parts,
        findings,
        ..
    } = m.as_ref();
    let dict = |text: &str| serde_json::from_str::<Value>(text).unwrap_or_else(|_| json!(text));
    let mut value = json!({
        "type": match direction {
            Direction::ToServer => "send",
            Direction::ToClient => "receive",
        },
        "time": record.time_us as f64 / 1_000_000.0,
        "channel": channel.name(),
        "msg_type": msg_type,
        "msg_id": msg_id,
        "parent_msg_id": parent_msg_id,
        "size": size,
        "format": parts.format,
        "signature": parts.signature_check,
        "header": dict(&parts.header),
        "parent_header": dict(&parts.parent_header),
        "metadata": dict(&parts.metadata),
        "content": if parts.content_truncated { json!(parts.content) } else { dict(&parts.content) },
        "buffers": parts.buffers.iter().map(|b| b.len).collect::<Vec<_>>(),
    });
    if parts.content_truncated {
        value["_truncated"] = json!(true);
        value["_length"] = json!(parts.content_len);
    }
    if !findings.is_empty() {
        value["findings"] = json!(findings);
    }
    Some(value)
}

/// The entry of one connection, if its handshake was captured.
fn entry(records: &[&CaptureRecord]) -> Option<Value> {
    let (handshake_record, handshake) = records.iter().find_map(|r| match &r.body {
        CaptureBody::Handshake(h) => Some((*r, h)),
        _ => None,
    })?;
    let first = records
        .first()
        .map_or(handshake_record.time_us, |r| r.time_us);
    let last = records.last().map_or(first, |r| r.time_us);
    let target = records.iter().find_map(|r| match &r.body {
        CaptureBody::Open { target, .. } => Some(target.as_str()),
        _ => None,
    });
    let mut parts = handshake.request.start_line.splitn(3, ' ');
    let method = parts.next().unwrap_or("GET");
    let request_target = parts.next().unwrap_or("/");
    let version = parts.next().unwrap_or("HTTP/1.1");
    let url = if request_target.contains("://") {
        request_target.to_string()
    } else if let Some(url) = target.filter(|t| t.contains("://")) {
        url.to_string()
    } else {
        let host = header(&handshake.request, "Host").unwrap_or("localhost");
        format!("ws://{host}{request_target}")
    };
    let response = match &handshake.response {
        Some(response) => {
            let mut parts = response.start_line.splitn(3, ' ');
            let version = parts.next().unwrap_or("HTTP/1.1");
            let status: u16 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            json!({
                "status": status,
                "statusText": parts.next().unwrap_or(""),
                "httpVersion": version,
                "cookies": [],
                "headers": headers(response),
                "content": { "size": 0, "mimeType": "x-unknown" },
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": 0,
            })
        }
        None => json!({
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": { "size": 0, "mimeType": "x-unknown" },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 0,
            "_error": "no response was captured",
        }),
    };
    let query: Vec<Value> = request_target
        .split_once('?')
        .map(|(_, q)| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect()
        })
        .unwrap_or_default();
    let messages: Vec<Value> = records.iter().filter_map(|r| message(r)).collect();
    let jupyter: Vec<Value> = records.iter().filter_map(|r| kernel_message(r)).collect();
    let wait_ms = (handshake_record.time_us.saturating_sub(first)) as f64 / 1000.0;
    let mut entry = json!({
        "startedDateTime": iso8601(first),
        "time": (last.saturating_sub(first)) as f64 / 1000.0,
        "request": {
            "method": method,
            "url": url,
            "httpVersion": version,
            "cookies": [],
            "headers": headers(&handshake.request),
            "queryString": query,
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": response,
        "cache": {},
        "timings": { "blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": wait_ms, "receive": 0 },
        "connection": handshake_record.conn.to_string(),
        "_resourceType": "websocket",
        "_webSocketMessages": messages,
    });
    if !jupyter.is_empty() {
        entry["_jupyterMessages"] = Value::Array(jupyter);
    }
    Some(entry)
}

/// A whole data message in Chrome's `_webSocketMessages` form: text as text, binary as base64.
fn message(record: &CaptureRecord) -> Option<Value> {
    let CaptureBody::Frame(frame) = &record.body else {
        return None;
    };
    let summary = frame.message.as_ref()?;
    let data = match summary.opcode {
        Opcode::Text => summary.preview.clone(),
        Opcode::Binary => base64::engine::general_purpose::STANDARD
            .encode(unhex(&summary.preview).unwrap_or_default()),
        _ => return None,
    };
    let mut value = json!({
        "type": match frame.direction {
            Direction::ToServer => "send",
            Direction::ToClient => "receive",
        },
        "time": record.time_us as f64 / 1_000_000.0,
        "opcode": summary.opcode.as_u8(),
        "data": data,
    });
    if summary.truncated {
        value["_truncated"] = json!(true);
        value["_length"] = json!(summary.len);
    }
    Some(value)
}

fn headers(head: &HttpHeadRecord) -> Vec<Value> {
    head.headers
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

fn header<'a>(head: &'a HttpHeadRecord, name: &str) -> Option<&'a str> {
    head.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `2024-05-01T12:00:00.123Z` for microseconds since the UNIX epoch.
pub fn iso8601(time_us: u64) -> String {
    let secs = time_us / 1_000_000;
    let millis = (time_us % 1_000_000) / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::jupyter::{Channel, SignatureCheck, WireFormat, WireParts};

    fn kernel_records() -> Vec<CaptureRecord> {
        let record = |seq, body| CaptureRecord {
            seq,
            conn: 4,
            hop: wirebook_shared::Hop::Kernel,
            time_us: 1_700_000_000_000_000 + seq,
            body,
        };
        let message = |direction, msg_type: &str, content: &str, truncated| {
            CaptureBody::KernelMessage(Box::new(KernelMessageRecord {
                channel: Channel::Shell,
                direction,
                msg_type: msg_type.into(),
                msg_id: format!("{msg_type}-id"),
                parent_msg_id: None,
                size: 300,
                parts: WireParts {
                    format: WireFormat::Zmq,
                    identities: vec![],
                    signature: "ab".into(),
                    signature_check: SignatureCheck::Verified,
                    offsets: vec![],
                    header: r#"{"msg_type":"x"}"#.into(),
                    parent_header: "{}".into(),
                    metadata: "{}".into(),
                    content: content.into(),
                    content_len: 999,
                    content_truncated: truncated,
                    buffers: vec![],
                },
                findings: vec!["odd".into()],
                caused_by: Some(1),
            }))
        };
        vec![
            record(
                1,
                CaptureBody::Open {
                    client: "wirebook".into(),
                    server: "Python 3 (pid 7)".into(),
                    target: "tcp://127.0.0.1 shell=1".into(),
                },
            ),
            record(
                2,
                message(Direction::ToServer, "kernel_info_request", "{}", false),
            ),
            record(
                3,
                CaptureBody::Heartbeat {
                    ok: true,
                    rtt_us: Some(90),
                },
            ),
            record(
                4,
                message(
                    Direction::ToClient,
                    "kernel_info_reply",
                    r#"{"status":"o"#,
                    true,
                ),
            ),
        ]
    }

    #[test]
    fn kernel_launches_go_beside_the_entries_in_har() {
        let har = har_document(&kernel_records(), None);
        assert_eq!(har["log"]["entries"], json!([]));
        let kernel = &har["log"]["_jupyterKernels"][0];
        assert_eq!(kernel["kernel"], "Python 3 (pid 7)");
        assert_eq!(kernel["connection"], "4");
        let messages = kernel["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2, "heartbeats are left to JSONL");
        assert_eq!(messages[0]["type"], "send");
        assert_eq!(messages[0]["channel"], "shell");
        assert_eq!(messages[0]["signature"], "verified");
        assert_eq!(messages[0]["header"], json!({"msg_type": "x"}));
        assert_eq!(messages[0]["content"], json!({}));
        assert_eq!(messages[0]["findings"], json!(["odd"]));
        // A cut content stays the text it was, marked.
        assert_eq!(messages[1]["content"], r#"{"status":"o"#);
        assert_eq!(messages[1]["_truncated"], true);
        assert_eq!(messages[1]["_length"], 999);
        // Without kernel traffic the log has no such list.
        assert!(har_document(&[], None)["log"]
            .get("_jupyterKernels")
            .is_none());
    }

    #[test]
    fn jsonl_has_every_kernel_record_with_every_field() {
        let records = kernel_records();
        let text = jsonl_lines(&records, Some(4));
        let back: Vec<CaptureRecord> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back, records);
        assert!(jsonl_lines(&records, Some(5)).is_empty());
    }

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000_123_456), "2023-11-14T22:13:20.123Z");
    }
}
