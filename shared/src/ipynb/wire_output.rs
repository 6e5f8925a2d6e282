//! Outputs that hold a WebSocket kernel's message, so that a saved notebook keeps what a
//! WebSocket kernel sent and gives it back as the message on load.

use base64::Engine as _;
use serde_json::Value;

use crate::session::WireData;

use super::{IpynbOutput, IpynbOutputKind, JsonMap, MimeBundle, MimeData, WIREBOOK_KEY};

impl IpynbOutput {
    /// A WebSocket message a kernel sent, stored as `display_data`: text as `text/plain`;
    /// binary as `application/octet-stream` (base64, as Jupyter stores binary data) with a
    /// `text/plain` summary that Jupyter can show. `metadata.wirebook.message` marks it so
    /// that [`IpynbOutput::wire_data`] gets the message back.
    pub fn from_wire(data: &WireData) -> Self {
        let mut bundle = MimeBundle::new();
        let message = match data {
            WireData::Text { text } => {
                bundle.insert("text/plain".into(), MimeData::Text(text.clone()));
                "text"
            }
            WireData::Binary { hex } => {
                let bytes = crate::hex::unhex(hex).unwrap_or_default();
                bundle.insert(
                    "application/octet-stream".into(),
                    MimeData::Text(base64::engine::general_purpose::STANDARD.encode(&bytes)),
                );
                let (preview, cut) = crate::hex::binary_preview(&bytes, 64);
                bundle.insert(
                    "text/plain".into(),
                    MimeData::Text(format!(
                        "binary message, {} bytes: {preview}{}",
                        bytes.len(),
                        if cut { " …" } else { "" }
                    )),
                );
                "binary"
            }
        };
        let mut marker = JsonMap::new();
        marker.insert("message".into(), Value::from(message));
        let mut metadata = JsonMap::new();
        metadata.insert(WIREBOOK_KEY.into(), Value::Object(marker));
        IpynbOutput::new(IpynbOutputKind::DisplayData {
            data: bundle,
            metadata,
        })
    }

    /// The WebSocket message this output stores, if wirebook wrote it with
    /// [`IpynbOutput::from_wire`].
    pub fn wire_data(&self) -> Option<WireData> {
        let IpynbOutputKind::DisplayData { data, metadata } = &self.kind else {
            return None;
        };
        let message = metadata.get(WIREBOOK_KEY)?.get("message")?.as_str()?;
        match message {
            "text" => Some(WireData::Text {
                text: data.get("text/plain")?.as_text()?.to_string(),
            }),
            "binary" => {
                let encoded = data.get("application/octet-stream")?.as_text()?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok()?;
                Some(WireData::binary(&bytes))
            }
            _ => None,
        }
    }
}
