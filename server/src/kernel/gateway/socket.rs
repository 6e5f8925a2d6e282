//! A kernel's `/api/kernels/{id}/channels` WebSocket: opened through the byte tap (so the
//! capture has its handshake, with the token redacted, and every frame), offering the
//! `v1.kernel.websocket.jupyter.org` subprotocol and falling back to the JSON protocol when
//! the server does not choose it. Each Jupyter message sent or received is also recorded as a
//! [`CaptureBody::KernelMessage`] on the same connection.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use wirebook_shared::jupyter::spec::SpecCheck;
use wirebook_shared::jupyter::websocket::{
    decode_json_binary, decode_json_text, decode_v1, encode_json, encode_v1, DecodedMessage,
    MessageFields, OutgoingMessage, V1_SUBPROTOCOL,
};
use wirebook_shared::jupyter::WireFormat;
use wirebook_shared::{CaptureBody, Direction, Hop};

use crate::capture::links::{Links, Tag};
use crate::capture::recorder::Recorder;
use crate::capture::ring::Capture;
use crate::capture::tap::Tap;
use crate::kernel::jupyter::client::Outgoing;
use crate::kernel::websocket::handshake_failure;
use crate::upstream::url::UpstreamUrl;
use crate::upstream::{connect as connect_upstream, UpstreamIo};
use crate::websocket::close::{drain, CLOSE_GRACE};
use crate::websocket::read_ahead::ReadAhead;

use super::rest::Endpoint;

/// One open channels socket and what records on it.
#[derive(Debug)]
pub struct Channels {
    socket: WebSocketStream<ReadAhead<Tap<UpstreamIo>>>,
    pub recorder: Recorder,
    links: Arc<Links>,
    /// What the server chose: the v1 binary frames or the JSON protocol.
    pub format: WireFormat,
    preview: usize,
    /// This kernel's messages, both ways, against the messaging spec.
    spec_check: SpecCheck,
}

/// One message from the kernel, decoded and recorded.
#[derive(Debug)]
pub struct Received {
    pub decoded: DecodedMessage,
    pub fields: MessageFields,
    /// The `KernelMessage` record.
    pub seq: Option<u64>,
}

/// What reading the socket gave.
#[derive(Debug)]
pub enum Read {
    Message(Box<Received>),
    /// A control frame or nothing of note.
    Nothing,
    /// The connection ended; the words say how.
    Ended(String),
}

/// Connects to the kernel `kernel_id`'s channels as the client session `session_id`, offering
/// the v1 subprotocol. A server that does not choose it still answers 101 (and tungstenite then
/// refuses the connection, as RFC 6455 asks); the link then connects again without the offer
/// and speaks the JSON protocol. Both connections are in the capture.
pub async fn open(
    endpoint: &Endpoint,
    token: Option<&str>,
    kernel_id: &str,
    session_id: &str,
    capture: &Arc<Capture>,
    config: WebSocketConfig,
) -> Result<Channels, String> {
    let target = Target {
        endpoint,
        token,
        url: endpoint.ws_url(&format!(
            "/api/kernels/{kernel_id}/channels?session_id={session_id}"
        )),
    };
    match connect(&target, true, capture, config).await {
        Err(Attempt::NoSubprotocol(recorder)) => {
            recorder.finish(format!(
                "the server did not choose {V1_SUBPROTOCOL}: connecting again with the JSON protocol"
            ));
            match connect(&target, false, capture, config).await {
                Ok(channels) => Ok(channels),
                Err(Attempt::NoSubprotocol(_)) => unreachable!("no subprotocol offered"),
                Err(Attempt::Failed(message)) => Err(message),
            }
        }
        Err(Attempt::Failed(message)) => Err(message),
        Ok(channels) => Ok(channels),
    }
}

struct Target<'a> {
    endpoint: &'a Endpoint,
    token: Option<&'a str>,
    url: UpstreamUrl,
}

enum Attempt {
    /// The server answered 101 without choosing the offered subprotocol.
    NoSubprotocol(Recorder),
    Failed(String),
}

async fn connect(
    target: &Target<'_>,
    offer_v1: bool,
    capture: &Arc<Capture>,
    config: WebSocketConfig,
) -> Result<Channels, Attempt> {
    let url = &target.url;
    let mut request = url.handshake_request().map_err(Attempt::Failed)?;
    let headers = request.headers_mut();
    if offer_v1 {
        headers.insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(V1_SUBPROTOCOL),
        );
    }
    if let Some(token) = target.token {
        let value = HeaderValue::from_str(&format!("token {token}")).map_err(|_| {
            Attempt::Failed("the gateway token is not a valid header value".to_string())
        })?;
        headers.insert("Authorization", value);
    }
    let endpoint = target.endpoint;
    let (tap, recorder) =
        connect_upstream(endpoint.upstream(), capture, Hop::Kernel, url.text.clone())
            .await
            .map_err(|e| {
                Attempt::Failed(format!(
                    "cannot reach the gateway at {}: {e}",
                    endpoint.address()
                ))
            })?;
    let tap = tap.redacting(target.token.map(Arc::from));
    let links = tap.handle().links();
    match tokio_tungstenite::client_async_with_config(request, ReadAhead::new(tap), Some(config))
        .await
    {
        Ok((socket, response)) => {
            let chosen = response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok());
            let format = if chosen == Some(V1_SUBPROTOCOL) {
                WireFormat::WebSocketV1
            } else {
                WireFormat::WebSocketJson
            };
            Ok(Channels {
                socket,
                recorder,
                links,
                format,
                preview: capture.preview_bytes(),
                spec_check: SpecCheck::default(),
            })
        }
        Err(WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::NoSubProtocol,
        ))) if offer_v1 => Err(Attempt::NoSubprotocol(recorder)),
        Err(error) => {
            let message = match &error {
                WsError::Http(response) if matches!(response.status().as_u16(), 401 | 403) => {
                    format!(
                        "the gateway refused the token ({} on the channels WebSocket)",
                        response.status().as_u16()
                    )
                }
                other => handshake_failure(other),
            };
            recorder.finish(format!("the WebSocket handshake failed: {message}"));
            Err(Attempt::Failed(message))
        }
    }
}

impl Channels {
    /// Adds what the messaging spec says of a message to its findings (one whose parts did
    /// not parse, or whose channel is not Jupyter's, has its findings already).
    fn check_spec(
        &mut self,
        decoded: &mut DecodedMessage,
        fields: &MessageFields,
        direction: Direction,
    ) {
        let Some(channel) = decoded.channel else {
            return;
        };
        let parsed = [&fields.header, &fields.parent_header, &fields.content]
            .iter()
            .all(|part| part.is_object());
        if parsed {
            decoded.findings.extend(self.spec_check.observe(
                channel,
                direction,
                &fields.header,
                &fields.parent_header,
                &fields.content,
            ));
        }
    }

    /// Records `outgoing` as a kernel message (relaying the browser's record `caused_by`) and
    /// sends it in the negotiated format. Returns the record's seq.
    pub async fn send(
        &mut self,
        outgoing: &Outgoing,
        caused_by: Option<u64>,
    ) -> Result<Option<u64>, String> {
        let message = OutgoingMessage {
            channel: outgoing.channel,
            header: outgoing.header.to_string(),
            parent_header: outgoing.parent_header.to_string(),
            metadata: outgoing.metadata.to_string(),
            content: outgoing.content.to_string(),
            buffers: Vec::new(),
        };
        let frame = match self.format {
            WireFormat::WebSocketV1 => Message::Binary(encode_v1(&message).into()),
            _ => Message::Text(encode_json(&message)?.into()),
        };
        let mut decoded = match &frame {
            Message::Binary(bytes) => decode_v1(bytes),
            Message::Text(text) => decode_json_text(text),
            _ => unreachable!("built above"),
        };
        let fields = decoded.fields();
        self.check_spec(&mut decoded, &fields, Direction::ToServer);
        let record = decoded.record(&fields, Direction::ToServer, caused_by, self.preview);
        let seq = self
            .recorder
            .record(CaptureBody::KernelMessage(Box::new(record)));
        self.links
            .tag_next(caused_by.map_or(Tag::Plain, Tag::CausedBy));
        self.socket
            .send(frame)
            .await
            .map_err(|e| format!("sending {} failed: {e}", outgoing.msg_type()))?;
        Ok(seq)
    }

    /// Waits for the next message from the kernel.
    pub async fn read(&mut self) -> Read {
        let message = match self.socket.next().await {
            Some(Ok(message)) => message,
            Some(Err(WsError::Capacity(error))) => {
                return Read::Ended(format!(
                    "a message from the kernel is over the size limit (--max-message-size): {error}"
                ))
            }
            Some(Err(error)) => return Read::Ended(format!("the connection failed: {error}")),
            None => return Read::Ended("the gateway closed the connection".into()),
        };
        let mut decoded = match (&message, self.format) {
            (Message::Binary(bytes), WireFormat::WebSocketV1) => decode_v1(bytes),
            (Message::Binary(bytes), _) => decode_json_binary(bytes),
            (Message::Text(text), WireFormat::WebSocketV1) => {
                // Not what v1 sends, but still a message the JSON way: show it, say so.
                let mut decoded = decode_json_text(text);
                decoded
                    .findings
                    .push("a text frame on the v1 protocol, which sends binary frames".into());
                decoded
            }
            (Message::Text(text), _) => decode_json_text(text),
            (Message::Close(frame), _) => {
                return Read::Ended(match frame {
                    Some(frame) => format!(
                        "the gateway closed the connection ({} {})",
                        u16::from(frame.code),
                        frame.reason
                    ),
                    None => "the gateway closed the connection".into(),
                })
            }
            _ => return Read::Nothing,
        };
        let fields = decoded.fields();
        self.check_spec(&mut decoded, &fields, Direction::ToClient);
        let record = decoded.record(&fields, Direction::ToClient, None, self.preview);
        let seq = self
            .recorder
            .record(CaptureBody::KernelMessage(Box::new(record)));
        Read::Message(Box::new(Received {
            decoded,
            fields,
            seq,
        }))
    }

    /// Closes the socket politely (close frame, a short wait for the answer), recording `why`.
    pub async fn close(mut self, frame: CloseFrame, why: String) {
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            if self.socket.close(Some(frame)).await.is_ok() {
                while let Some(Ok(_)) = self.socket.next().await {}
            }
        })
        .await;
        drain(self.socket.get_mut()).await;
        self.recorder.finish(why);
    }

    /// Ends a connection that is already broken, recording `why`.
    pub fn lost(self, why: String) {
        self.recorder.finish(why);
    }
}
