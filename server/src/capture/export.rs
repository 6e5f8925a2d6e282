//! Downloads of the capture: `GET /api/capture.har` (HAR 1.2 with the fields Chrome DevTools
//! writes and reads for WebSockets), `GET /api/capture.jsonl` (every record as one JSON
//! object per line, for jq) and `GET /api/capture.pcapng` (the WebSocket connections as TCP
//! streams for Wireshark, written by [`crate::capture::pcapng`]). All need the token, like the
//! UI, and take `?conn=ID` to export a single connection, and `?seqs=` (the rows selected) or
//! `?filter=` (the rows the inspector's filter shows) to export only those (see
//! [`crate::capture::export_rows`]). A pcapng of some rows keeps their connections' opening,
//! upgrade and closing around them, so Wireshark still dissects the frames; HAR lists the
//! connections with a row kept and those rows' messages.
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
//!
//! Intercept on the tap: a message the tap sent in place of a held one, or injected, has
//! `_mark` (`forwarded`, `edited`, `released`, `injected`) in HAR and `mark` in JSONL; the
//! `intercept` records (held, dropped, discarded…, pointing at the message as it arrived) are
//! in JSONL, like heartbeats.

use chrono::{DateTime, SecondsFormat};
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Value};
use wirebook_shared::hex::unhex;
use wirebook_shared::{
    CaptureBody, CaptureRecord, ConnId, Direction, HttpHeadRecord, KernelMessageRecord, Opcode,
};

use crate::auth;
use crate::capture::export_rows::ExportRows;
use crate::capture::pcapng::{self, PcapngWriter};
use crate::capture::redaction::Sensitive;
use crate::capture::ring::{Capture, ConnectionIndex};

/// Records converted and written per chunk of a download: the export holds this many at a
/// time, not the capture.
const CHUNK_RECORDS: usize = 256;

/// What the downloads read of the server's state: the capture and the token they check. The
/// server's state implements it, so the capture stays below the handlers' state.
pub trait Exporting: Clone + Send + Sync + 'static {
    fn capture(&self) -> &Arc<Capture>;
    fn token(&self) -> &str;
}

/// `GET /api/capture/stats`: what the capture holds, and its memory against its budget.
pub async fn stats<S: Exporting>(State(app): State<S>, request: Request) -> Response {
    if let Err(refused) = authorized(&app, &request) {
        return refused.into_response();
    }
    axum::Json(app.capture().stats()).into_response()
}

/// `GET /api/capture.har`
pub async fn har<S: Exporting>(State(app): State<S>, request: Request) -> Response {
    let asked = match authorized(&app, &request) {
        Ok(asked) => asked,
        Err(refused) => return refused.into_response(),
    };
    let name = file_name(asked.conn, "har");
    let chunks = HarChunks::new(Arc::clone(app.capture()), asked);
    download(chunks, "application/json", &name)
}

/// `GET /api/capture.jsonl`
pub async fn jsonl<S: Exporting>(State(app): State<S>, request: Request) -> Response {
    let asked = match authorized(&app, &request) {
        Ok(asked) => asked,
        Err(refused) => return refused.into_response(),
    };
    let name = file_name(asked.conn, "jsonl");
    let chunks = JsonlChunks::new(Arc::clone(app.capture()), asked);
    download(chunks, "application/x-ndjson", &name)
}

/// `GET /api/capture.pcapng`
pub async fn pcapng<S: Exporting>(State(app): State<S>, request: Request) -> Response {
    let asked = match authorized(&app, &request) {
        Ok(asked) => asked,
        Err(refused) => return refused.into_response(),
    };
    let name = file_name(asked.conn, "pcapng");
    let chunks = pcapng_chunks(Arc::clone(app.capture()), asked);
    download(chunks, "application/x-pcapng", &name)
}

/// What an export was asked for.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    /// One connection's records only.
    pub conn: Option<ConnId>,
    pub sensitive: Sensitive,
    pub rows: ExportRows,
}

/// Why an export was refused.
enum Refused {
    Token,
    Conn(String),
    Sensitive(String),
    Rows(String),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Token => auth::forbidden(),
            Refused::Conn(value) => (
                StatusCode::BAD_REQUEST,
                format!("conn must be a connection id (a number), not {value:?}\n"),
            )
                .into_response(),
            Refused::Sensitive(value) => (
                StatusCode::BAD_REQUEST,
                format!("sensitive must be 1 (keep credentials) or 0, not {value:?}\n"),
            )
                .into_response(),
            Refused::Rows(message) => {
                (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response()
            }
        }
    }
}

/// Checks the token and reads `?conn=`, `?sensitive=` (1: keep the credential headers'
/// values; by default they are removed, see `crate::capture::redaction`), and `?seqs=` or
/// `?filter=`.
fn authorized(app: &impl Exporting, request: &Request) -> Result<Asked, Refused> {
    let query = request.uri().query();
    if auth::check_token(app.token(), query, request.headers()).is_none() {
        return Err(Refused::Token);
    }
    let param = |name: &str| {
        form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let conn = match param("conn") {
        None => None,
        Some(value) => Some(value.parse().map_err(|_| Refused::Conn(value))?),
    };
    let sensitive = match param("sensitive").as_deref() {
        None | Some("0") => Sensitive::Hidden,
        Some("1") => Sensitive::Included,
        Some(other) => return Err(Refused::Sensitive(other.to_string())),
    };
    let rows = ExportRows::asked(param("seqs").as_deref(), param("filter").as_deref())
        .map_err(Refused::Rows)?;
    Ok(Asked {
        conn,
        sensitive,
        rows,
    })
}

fn file_name(conn: Option<ConnId>, extension: &str) -> String {
    match conn {
        Some(conn) => format!("wirebook-conn-{conn}.{extension}"),
        None => format!("wirebook-capture.{extension}"),
    }
}

/// A streamed download of `chunks`: each is made when the client is ready for it.
fn download<I>(chunks: I, content_type: &str, name: &str) -> Response
where
    I: Iterator + Send + 'static,
    I::Item: AsRef<[u8]> + Into<Bytes>,
{
    let stream = futures_util::stream::iter(
        chunks
            .filter(|chunk| !chunk.as_ref().is_empty())
            .map(|chunk| Ok::<_, Infallible>(chunk.into())),
    );
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The records an export reads, a batch of `CHUNK_RECORDS` at a time: the records there were
/// when the export began (newer ones are left out), all of them or one connection's.
pub struct RecordBatches {
    capture: Arc<Capture>,
    sensitive: Sensitive,
    records: Selection,
}

/// Which records an export reads.
enum Selection {
    /// All of them, in batches from the ring, up to `end`.
    All { cursor: u64, end: u64 },
    /// One connection's, by their seqs (read from the ring once, when the export began).
    Of(std::vec::IntoIter<u64>),
}

impl RecordBatches {
    pub fn new(capture: Arc<Capture>, conn: Option<ConnId>, sensitive: Sensitive) -> Self {
        let records = match conn {
            None => Selection::All {
                cursor: 0,
                end: capture.stats().latest_seq,
            },
            Some(conn) => Selection::Of(
                capture
                    .connections(Some(conn))
                    .into_iter()
                    .flat_map(|c| c.seqs)
                    .collect::<Vec<_>>()
                    .into_iter(),
            ),
        };
        RecordBatches {
            capture,
            sensitive,
            records,
        }
    }
}

impl Iterator for RecordBatches {
    type Item = Vec<CaptureRecord>;

    fn next(&mut self) -> Option<Vec<CaptureRecord>> {
        match &mut self.records {
            Selection::All { cursor, end } => {
                if *cursor >= *end {
                    return None;
                }
                let mut batch = self.capture.read(*cursor, CHUNK_RECORDS, self.sensitive);
                *cursor = batch.records.last()?.seq;
                let end = *end;
                batch.records.retain(|r| r.seq <= end);
                Some(batch.records)
            }
            Selection::Of(seqs) => {
                let chunk: Vec<u64> = seqs.by_ref().take(CHUNK_RECORDS).collect();
                if chunk.is_empty() {
                    return None;
                }
                Some(self.capture.records(&chunk, self.sensitive))
            }
        }
    }
}

/// The JSONL export, a chunk of records at a time: one JSON object per record and line.
pub struct JsonlChunks {
    records: RecordBatches,
    rows: ExportRows,
}

impl JsonlChunks {
    pub fn new(capture: Arc<Capture>, asked: Asked) -> Self {
        JsonlChunks {
            records: RecordBatches::new(capture, asked.conn, asked.sensitive),
            rows: asked.rows,
        }
    }
}

impl Iterator for JsonlChunks {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let records = self.records.next()?;
        let mut out = String::new();
        let capture = &self.records.capture;
        for record in records.iter().filter(|r| self.rows.keeps(capture, r)) {
            // Plain data: serialising cannot fail.
            if let Ok(line) = serde_json::to_string(record) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        Some(out)
    }
}

/// The pcapng export: the file's header, then the packets of a chunk of records at a time
/// (see [`crate::capture::pcapng`]).
pub fn pcapng_chunks(
    capture: Arc<Capture>,
    asked: Asked,
) -> impl Iterator<Item = Vec<u8>> + Send + 'static {
    let mut writer = PcapngWriter::new();
    let rows = asked.rows;
    let batches = RecordBatches::new(Arc::clone(&capture), asked.conn, asked.sensitive);
    std::iter::once(pcapng::file_header()).chain(
        batches.map(move |records| writer.write(&records, |record| rows.keeps(&capture, record))),
    )
}

/// The HAR export of the captured WebSocket connections (or of one), a piece at a time: the
/// ring is indexed by connection once, then each connection's records are read a chunk at a
/// time, so the export holds one chunk of records, never the capture.
pub struct HarChunks {
    capture: Arc<Capture>,
    sensitive: Sensitive,
    rows: ExportRows,
    /// Connections with a handshake (HAR entries), then kernels reached over ZeroMQ.
    entries: std::vec::IntoIter<ConnectionIndex>,
    kernels: std::vec::IntoIter<ConnectionIndex>,
    phase: HarPhase,
    /// A list item has been written in the current list (the next one needs a comma).
    listed: bool,
}

enum HarPhase {
    Start,
    Entries,
    /// Inside an entry or a kernel: its messages (`seqs` left), and what closes it.
    Messages {
        seqs: std::vec::IntoIter<u64>,
        kind: MessageKind,
        listed: bool,
        after: Option<Vec<u64>>,
        kernel: bool,
    },
    Kernels,
    Done,
}

#[derive(Clone, Copy)]
enum MessageKind {
    WebSocket,
    Jupyter,
}

impl HarChunks {
    pub fn new(capture: Arc<Capture>, asked: Asked) -> Self {
        let Asked {
            conn,
            sensitive,
            rows,
        } = asked;
        // Some rows asked for: the connections with one (read once, a chunk at a time).
        let kept: Option<HashSet<ConnId>> = (!rows.is_all()).then(|| {
            RecordBatches::new(Arc::clone(&capture), conn, sensitive)
                .flatten()
                .filter(|record| rows.keeps(&capture, record))
                .map(|record| record.conn)
                .collect()
        });
        let (entries, kernels): (Vec<_>, Vec<_>) = capture
            .connections(conn)
            .into_iter()
            .filter(|c| c.handshake.is_some() || c.kernel_messages)
            .filter(|c| kept.as_ref().is_none_or(|kept| kept.contains(&c.conn)))
            .partition(|c| c.handshake.is_some());
        HarChunks {
            capture,
            sensitive,
            rows,
            entries: entries.into_iter(),
            kernels: kernels.into_iter(),
            phase: HarPhase::Start,
            listed: false,
        }
    }

    fn comma(listed: &mut bool) -> &'static str {
        if std::mem::replace(listed, true) {
            ","
        } else {
            ""
        }
    }

    /// The head of the next entry (all but its message lists, left open), or `None` when
    /// there are no more.
    fn next_entry(&mut self) -> Option<String> {
        for connection in self.entries.by_ref() {
            let Some(handshake) = connection.handshake else {
                continue;
            };
            let (first, last) = (
                connection.seqs[0],
                connection.seqs[connection.seqs.len() - 1],
            );
            let ends = self
                .capture
                .records(&[first, handshake, last], self.sensitive);
            let Some(handshake) = ends.iter().find(|r| r.seq == handshake) else {
                // Evicted since the index was made.
                continue;
            };
            let target = ends.iter().find_map(|r| match &r.body {
                CaptureBody::Open { target, .. } => Some(target.as_str()),
                _ => None,
            });
            let first_us = ends.first().map_or(handshake.time_us, |r| r.time_us);
            let last_us = ends.last().map_or(first_us, |r| r.time_us);
            let Some(head) = entry_head(handshake, first_us, last_us, target) else {
                continue;
            };
            let comma = Self::comma(&mut self.listed);
            let mut out = format!("{comma}{}", open_object(&head));
            out.push_str(",\"_webSocketMessages\":[");
            let seqs = connection.seqs;
            self.phase = HarPhase::Messages {
                seqs: seqs.clone().into_iter(),
                kind: MessageKind::WebSocket,
                listed: false,
                after: connection.kernel_messages.then_some(seqs),
                kernel: false,
            };
            return Some(out);
        }
        None
    }

    /// The head of the next kernel launch, as [`HarChunks::next_entry`].
    fn next_kernel(&mut self) -> Option<String> {
        for connection in self.kernels.by_ref() {
            let (first, last) = (
                connection.seqs[0],
                connection.seqs[connection.seqs.len() - 1],
            );
            let ends = self.capture.records(&[first, last], self.sensitive);
            let Some(head) = kernel_launch_head(&ends) else {
                continue;
            };
            let comma = Self::comma(&mut self.listed);
            let mut out = format!("{comma}{}", open_object(&head));
            out.push_str(",\"messages\":[");
            self.phase = HarPhase::Messages {
                seqs: connection.seqs.into_iter(),
                kind: MessageKind::Jupyter,
                listed: false,
                after: None,
                kernel: true,
            };
            return Some(out);
        }
        None
    }
}

/// An object's JSON without its closing brace, for fields streamed after it.
fn open_object(value: &Value) -> String {
    let mut text = value.to_string();
    text.pop();
    text
}

impl Iterator for HarChunks {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        match &mut self.phase {
            HarPhase::Start => {
                self.phase = HarPhase::Entries;
                let creator = json!({ "name": "wirebook", "version": env!("CARGO_PKG_VERSION") });
                let comment = "WebSocket connections captured by wirebook; message payloads are cut at --preview-bytes (see _truncated, _length). Jupyter kernels reached over ZeroMQ are in _jupyterKernels.";
                Some(format!(
                    "{{\"log\":{{\"version\":\"1.2\",\"creator\":{creator},\"pages\":[],\"comment\":{},\"entries\":[",
                    json!(comment)
                ))
            }
            HarPhase::Entries => Some(self.next_entry().unwrap_or_else(|| {
                self.listed = false;
                if self.kernels.len() > 0 {
                    self.phase = HarPhase::Kernels;
                    "],\"_jupyterKernels\":[".to_string()
                } else {
                    self.phase = HarPhase::Done;
                    "]}}".to_string()
                }
            })),
            HarPhase::Kernels => Some(self.next_kernel().unwrap_or_else(|| {
                self.phase = HarPhase::Done;
                "]}}".to_string()
            })),
            HarPhase::Messages {
                seqs,
                kind,
                listed,
                after,
                kernel,
            } => {
                let chunk: Vec<u64> = seqs.by_ref().take(CHUNK_RECORDS).collect();
                if chunk.is_empty() {
                    // This list is done: the next one, or the end of the object.
                    if let Some(next) = after.take() {
                        *seqs = next.into_iter();
                        *kind = MessageKind::Jupyter;
                        *listed = false;
                        return Some("],\"_jupyterMessages\":[".to_string());
                    }
                    let kernel = *kernel;
                    self.phase = if kernel {
                        HarPhase::Kernels
                    } else {
                        HarPhase::Entries
                    };
                    return Some("]}".to_string());
                }
                let mut out = String::new();
                let records = self.capture.records(&chunk, self.sensitive);
                let capture = &self.capture;
                for record in records.iter().filter(|r| self.rows.keeps(capture, r)) {
                    let value = match kind {
                        MessageKind::WebSocket => message(record),
                        MessageKind::Jupyter => kernel_message(record),
                    };
                    if let Some(value) = value {
                        out.push_str(Self::comma(listed));
                        out.push_str(&value.to_string());
                    }
                }
                Some(out)
            }
            HarPhase::Done => None,
        }
    }
}

/// A kernel launch without a WebSocket handshake (ZeroMQ), from its first and last records:
/// who, where, and how it ended (its messages follow).
fn kernel_launch_head(ends: &[CaptureRecord]) -> Option<Value> {
    let first = ends.first()?;
    let (kernel, target) = ends
        .iter()
        .find_map(|r| match &r.body {
            CaptureBody::Open { server, target, .. } => Some((server.as_str(), target.as_str())),
            _ => None,
        })
        .unwrap_or(("", ""));
    let closed = ends.iter().find_map(|r| match &r.body {
        CaptureBody::Closed { reason, .. } => Some(reason.as_str()),
        _ => None,
    });
    let mut value = json!({
        "connection": first.conn.to_string(),
        "startedDateTime": iso8601(first.time_us),
        "kernel": kernel,
        "target": target,
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

/// The entry of one connection but its message lists: the handshake record, the times of its
/// first and last records, and the target of its `Open` record.
fn entry_head(
    handshake_record: &CaptureRecord,
    first: u64,
    last: u64,
    target: Option<&str>,
) -> Option<Value> {
    let CaptureBody::Handshake(handshake) = &handshake_record.body else {
        return None;
    };
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
    if let Some(mark) = frame.mark {
        value["_mark"] = json!(mark.name());
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

/// `2024-05-01T12:00:00.123Z` for microseconds since the UNIX epoch (HAR's ISO 8601, in
/// milliseconds as Chrome writes it).
pub fn iso8601(time_us: u64) -> String {
    i64::try_from(time_us)
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
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

    /// The records, recorded in a capture (their seqs are the same: 1, 2, …).
    fn captured(records: &[CaptureRecord]) -> Arc<Capture> {
        let capture = Arc::new(Capture::new(1000, 1024));
        for record in records {
            capture.record(record.conn, record.hop, record.body.clone());
        }
        capture
    }

    fn har_document(capture: &Arc<Capture>, conn: Option<ConnId>) -> Value {
        let text: String = HarChunks::new(
            Arc::clone(capture),
            Asked {
                conn,
                ..Asked::default()
            },
        )
        .collect();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    #[test]
    fn kernel_launches_go_beside_the_entries_in_har() {
        let har = har_document(&captured(&kernel_records()), None);
        assert_eq!(har["log"]["entries"], json!([]));
        assert_eq!(har["log"]["version"], "1.2");
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
        let empty = har_document(&captured(&[]), None);
        assert!(empty["log"].get("_jupyterKernels").is_none());
        assert_eq!(empty["log"]["entries"], json!([]));
    }

    #[test]
    fn har_entries_stream_their_messages_in_chunks() {
        let capture = Arc::new(Capture::new(100_000, 64));
        let recorder = crate::capture::recorder::Recorder::open(
            &capture,
            wirebook_shared::Hop::Endpoint,
            "127.0.0.1:5".into(),
            "wirebook".into(),
            "/echo".into(),
        );
        let (request, response) =
            wirebook_shared::wire::minimal_upgrade("dGhlIHNhbXBsZSBub25jZQ==");
        let mut trace = crate::capture::trace::Trace::new(
            recorder.clone(),
            Arc::new(crate::capture::links::Links::default()),
            Direction::ToClient,
        );
        trace.feed(Direction::ToServer, request.as_bytes());
        trace.feed(Direction::ToClient, response.as_bytes());
        let total = CHUNK_RECORDS * 2 + 7;
        for i in 0..total {
            let text = format!("m{i}");
            let frame = wirebook_shared::wire::encode_frame(
                &wirebook_shared::wire::FrameSpec::new(Opcode::Text).masked([1, 2, 3, 4]),
                text.as_bytes(),
            );
            trace.feed(Direction::ToServer, &frame);
        }
        trace.end();
        drop(trace);
        drop(recorder);
        let chunks: Vec<String> = HarChunks::new(Arc::clone(&capture), Asked::default()).collect();
        assert!(chunks.len() > 3, "written in pieces: {}", chunks.len());
        let har: Value = serde_json::from_str(&chunks.concat()).unwrap();
        let entry = &har["log"]["entries"][0];
        assert_eq!(entry["request"]["url"], "ws://h/");
        let messages = entry["_webSocketMessages"].as_array().unwrap();
        assert_eq!(messages.len(), total);
        assert_eq!(messages[total - 1]["data"], format!("m{}", total - 1));
        assert!(entry.get("_jupyterMessages").is_none());
        // One connection asked for, and one that is not there.
        assert_eq!(har_document(&capture, Some(1))["log"]["entries"][0], *entry);
        assert_eq!(har_document(&capture, Some(9))["log"]["entries"], json!([]));
    }

    #[test]
    fn jsonl_has_every_kernel_record_with_every_field() {
        let records = kernel_records();
        let capture = captured(&records);
        let text: String = JsonlChunks::new(
            Arc::clone(&capture),
            Asked {
                conn: Some(4),
                ..Asked::default()
            },
        )
        .collect();
        let back: Vec<CaptureRecord> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let bodies = |records: &[CaptureRecord]| -> Vec<CaptureBody> {
            records.iter().map(|r| r.body.clone()).collect()
        };
        assert_eq!(bodies(&back), bodies(&records));
        assert_eq!(back.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        let none: String = JsonlChunks::new(
            Arc::clone(&capture),
            Asked {
                conn: Some(5),
                ..Asked::default()
            },
        )
        .collect();
        assert!(none.is_empty());
        // What is recorded after the export began is not in it.
        let mut chunks = JsonlChunks::new(Arc::clone(&capture), Asked::default());
        capture.record(4, wirebook_shared::Hop::Kernel, records[2].body.clone());
        assert_eq!(chunks.by_ref().collect::<String>().lines().count(), 4);
    }

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000_123_456), "2023-11-14T22:13:20.123Z");
    }
}
