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

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Value};
use wirebook_shared::capture::unhex;
use wirebook_shared::{CaptureBody, CaptureRecord, ConnId, Direction, HttpHeadRecord, Opcode};

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
    let entries: Vec<Value> = conns
        .into_iter()
        .filter_map(|id| {
            let of_conn: Vec<&CaptureRecord> = records.iter().filter(|r| r.conn == id).collect();
            entry(&of_conn)
        })
        .collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "wirebook", "version": env!("CARGO_PKG_VERSION") },
            "pages": [],
            "entries": entries,
            "comment": "WebSocket connections captured by wirebook; message payloads are cut at --preview-bytes (see _truncated, _length).",
        }
    })
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
    let wait_ms = (handshake_record.time_us.saturating_sub(first)) as f64 / 1000.0;
    Some(json!({
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
    }))
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

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000_123_456), "2023-11-14T22:13:20.123Z");
    }
}
