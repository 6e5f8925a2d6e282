//! Importing a HAR file's WebSocket traffic as a notebook: Chrome DevTools' "Save all as HAR"
//! (and wirebook's own `/api/capture.har`) keep each socket's messages in `_webSocketMessages`.
//! The socket's URL becomes the notebook's kernel, each sent message a cell that sends it again
//! (in the format that fits it, see [`wirebook_shared::cell_format::detect`]), and the messages received
//! after it that cell's recorded outputs.

use std::collections::HashSet;

use base64::Engine;
use serde_json::Value;

use wirebook_shared::cell_format::{detect, CellMessage};
use wirebook_shared::ipynb::{
    new_cell_id, IpynbCell, IpynbCellKind, IpynbNotebook, IpynbOutput, JsonMap, WirebookKernel,
    WirebookMetadata,
};
use wirebook_shared::session::WireData;

/// One WebSocket connection found in a HAR file.
#[derive(Debug, Clone, PartialEq)]
pub struct HarSocket {
    pub url: String,
    pub messages: Vec<HarMessage>,
    /// Messages that could not be read (unknown opcode, bad base64), in words.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HarMessage {
    /// `type: "send"`: sent by the client (the page, or wirebook's side of the hop).
    pub sent: bool,
    /// Seconds since the UNIX epoch.
    pub time: f64,
    pub message: CellMessage,
}

/// The WebSocket connections of a HAR document, in file order.
pub fn websockets(har: &str) -> Result<Vec<HarSocket>, String> {
    let document: Value =
        serde_json::from_str(har).map_err(|e| format!("not a HAR file: not JSON ({e})"))?;
    let entries = document
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or("not a HAR file: no log.entries")?;
    let sockets: Vec<HarSocket> = entries
        .iter()
        .filter(|entry| {
            entry.get("_resourceType").and_then(Value::as_str) == Some("websocket")
                || entry.get("_webSocketMessages").is_some()
        })
        .map(socket)
        .collect();
    if sockets.is_empty() {
        return Err("the HAR file has no WebSocket connections (entries with _webSocketMessages); in Chrome DevTools, record with the Network panel open, then \"Save all as HAR (with content)\"".into());
    }
    Ok(sockets)
}

fn socket(entry: &Value) -> HarSocket {
    let url = entry
        .pointer("/request/url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut messages = Vec::new();
    let mut skipped = Vec::new();
    let listed = entry
        .get("_webSocketMessages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, item) in listed.iter().enumerate() {
        match har_message(item) {
            Ok(message) => messages.push(message),
            Err(why) => skipped.push(format!("message {}: {why}", i + 1)),
        }
    }
    HarSocket {
        url,
        messages,
        skipped,
    }
}

fn har_message(item: &Value) -> Result<HarMessage, String> {
    let sent = match item.get("type").and_then(Value::as_str) {
        Some("send") => true,
        Some("receive") => false,
        other => {
            return Err(format!(
                "type {other:?} is neither \"send\" nor \"receive\""
            ))
        }
    };
    let time = item.get("time").and_then(Value::as_f64).unwrap_or_default();
    let data = item.get("data").and_then(Value::as_str).unwrap_or_default();
    let opcode = item.get("opcode").and_then(Value::as_u64).unwrap_or(1);
    let message = match opcode {
        1 => CellMessage::Text(data.to_string()),
        2 => CellMessage::Binary(
            base64::engine::general_purpose::STANDARD
                .decode(data.as_bytes())
                .map_err(|e| format!("binary data is not base64: {e}"))?,
        ),
        other => return Err(format!("opcode {other} is not a data message")),
    };
    Ok(HarMessage {
        sent,
        time,
        message,
    })
}

/// A notebook that replays `socket`: its URL as the kernel, a cell per sent message with the
/// received messages that followed as its outputs.
pub fn to_notebook(socket: &HarSocket) -> IpynbNotebook {
    let mut notebook = IpynbNotebook::new();
    notebook.metadata.wirebook = Some(WirebookMetadata {
        kernel: Some(WirebookKernel::websocket(socket.url.clone())),
        extra: JsonMap::new(),
    });
    let mut taken = HashSet::new();
    let mut cell = |kind: IpynbCellKind, source: String, format: Option<Value>| {
        let id = new_cell_id(taken.len(), &source, &taken);
        taken.insert(id.clone());
        let mut cell = IpynbCell::new(id, kind, source);
        if let Some(format) = format {
            let mut wirebook = JsonMap::new();
            wirebook.insert("format".into(), format);
            cell.metadata
                .insert("wirebook".into(), Value::Object(wirebook));
        }
        cell
    };
    let sent = socket.messages.iter().filter(|m| m.sent).count();
    let mut summary = format!(
        "Imported from a HAR file: `{}` — {} sent, {} received.",
        socket.url,
        sent,
        socket.messages.len() - sent
    );
    let before_first: Vec<&HarMessage> = socket.messages.iter().take_while(|m| !m.sent).collect();
    if !before_first.is_empty() {
        summary.push_str(&format!(
            "\n\nReceived before anything was sent ({}):\n",
            before_first.len()
        ));
        for message in &before_first {
            summary.push_str(&format!("\n    {}", one_line(&message.message)));
        }
    }
    if !socket.skipped.is_empty() {
        summary.push_str(&format!(
            "\n\nNot imported ({}): {}",
            socket.skipped.len(),
            socket.skipped.join("; ")
        ));
    }
    notebook.cells.push(cell(
        IpynbCellKind::Markdown { attachments: None },
        summary,
        None,
    ));
    let mut rest = socket.messages[before_first.len()..].iter().peekable();
    while let Some(message) = rest.next() {
        let mut outputs = Vec::new();
        while let Some(received) = rest.next_if(|m| !m.sent) {
            outputs.push(IpynbOutput::from_wire(&wire_data(&received.message)));
        }
        let (format, source) = detect(&message.message);
        let format = serde_json::to_value(format).unwrap_or(Value::Null);
        notebook.cells.push(cell(
            IpynbCellKind::Code {
                execution_count: None,
                outputs,
            },
            source,
            Some(format),
        ));
    }
    notebook
}

fn wire_data(message: &CellMessage) -> WireData {
    match message {
        CellMessage::Binary(bytes) => WireData::binary(bytes),
        other => WireData::Text {
            text: detect(other).1,
        },
    }
}

fn one_line(message: &CellMessage) -> String {
    match message {
        CellMessage::Binary(bytes) => format!("binary, {} bytes", bytes.len()),
        other => detect(other).1.replace('\n', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::cell_format::CellFormat;

    /// Saved the way Chrome DevTools writes it (Network panel, "Save all as HAR"): a websocket
    /// entry with `_resourceType`, the upgrade as request/response, and `_webSocketMessages`.
    const CHROME: &str = include_str!("../../shared/fixtures/har/chrome_websocket.har");

    #[test]
    fn a_chrome_har_becomes_a_notebook_that_replays_it() {
        let sockets = websockets(CHROME).unwrap();
        assert_eq!(sockets.len(), 1, "the XHR entry is not a socket");
        let socket = &sockets[0];
        assert_eq!(socket.url, "wss://stream.example.test/feed?room=7");
        assert_eq!(socket.messages.len(), 6);
        assert!(socket.skipped.is_empty());
        let notebook = to_notebook(socket);
        let kernel = notebook.metadata.wirebook.clone().unwrap().kernel.unwrap();
        assert_eq!(kernel.url.as_deref(), Some(socket.url.as_str()));
        // A summary, then one cell per sent message.
        assert_eq!(notebook.cells.len(), 4);
        assert!(notebook.cells[0].source.contains("3 sent, 3 received"));
        assert!(
            notebook.cells[0].source.contains("welcome"),
            "{}",
            notebook.cells[0].source
        );
        let format = |cell: &IpynbCell| -> CellFormat {
            serde_json::from_value(cell.metadata["wirebook"]["format"].clone()).unwrap()
        };
        assert_eq!(
            format(&notebook.cells[1]),
            CellFormat::Json { compact: false }
        );
        assert_eq!(
            notebook.cells[1].source,
            r#"{"op":"subscribe","topic":"prices"}"#
        );
        let IpynbCellKind::Code { outputs, .. } = &notebook.cells[1].kind else {
            panic!("a code cell")
        };
        assert_eq!(outputs.len(), 2);
        assert_eq!(
            outputs[0].wire_data(),
            Some(WireData::Text {
                text: r#"{"ok":true}"#.into()
            })
        );
        assert_eq!(format(&notebook.cells[2]), CellFormat::Hex);
        assert_eq!(notebook.cells[2].source, "deadbeef");
        assert_eq!(format(&notebook.cells[3]), CellFormat::Text);
        let IpynbCellKind::Code { outputs, .. } = &notebook.cells[3].kind else {
            panic!("a code cell")
        };
        assert!(outputs.is_empty());
        // The notebook is a valid document: it writes and reads back.
        let text = notebook.to_json();
        assert_eq!(IpynbNotebook::parse(&text).unwrap().cells.len(), 4);
    }

    #[test]
    fn bad_files_say_why() {
        assert!(websockets("<html>").unwrap_err().contains("not JSON"));
        assert!(websockets("{}").unwrap_err().contains("no log.entries"));
        let no_socket = r#"{"log":{"entries":[{"request":{"url":"http://x/"}}]}}"#;
        assert!(websockets(no_socket).unwrap_err().contains("no WebSocket"));
        let odd = r#"{"log":{"entries":[{"_resourceType":"websocket","request":{"url":"ws://x/"},
            "_webSocketMessages":[{"type":"send","time":1,"opcode":9,"data":""},
                                  {"type":"send","time":2,"opcode":2,"data":"!!"},
                                  {"type":"sideways","time":3,"opcode":1,"data":"a"}]}]}}"#;
        let socket = &websockets(odd).unwrap()[0];
        assert!(socket.messages.is_empty());
        assert_eq!(socket.skipped.len(), 3);
        let notebook = to_notebook(socket);
        assert!(notebook.cells[0].source.contains("Not imported (3)"));
    }
}
