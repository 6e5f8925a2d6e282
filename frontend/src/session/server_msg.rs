//! Reads the server's session messages ([`ServerMsg`]) tag-first ([`super::tag_first`]),
//! without serde's buffering of internally tagged enums: the message itself (`"type"`), a
//! kernel's state (`"state"`), an output's data and a kernel choice (`"kind"`), a capture
//! record's body (`"event"`, also in the capture pages of [`CapturePageJson`]); and the running
//! kernels' keys and states ([`RunningKernelsJson`]). The JSON is the
//! protocol's; the `…Fields` types are the shared types again as serde's `remote` derive sees
//! them, so the compiler checks their variants and fields and the tests check they read what
//! the server writes.

use serde::{Deserialize, Deserializer};
use wirebook_shared::capture::{
    CaptureBody, CaptureRecord, ConnId, FrameRecord, HandshakeRecord, Hop,
};
use wirebook_shared::capture_page::CapturePage;
use wirebook_shared::intercept_api::InterceptRecord;
use wirebook_shared::jupyter::{Channel, KernelMessageRecord};
use wirebook_shared::kept_kernels::{KernelKey, RunningKernel, RunningKernels};
use wirebook_shared::session::{
    KernelChoice, KernelInfo, KernelMessage, KernelOffer, KernelState, WebSocketSettings, WireData,
};
use wirebook_shared::ServerMsg;

use super::tag_first::TagFirst;

/// One message from the server's text, `"type"` first.
pub fn parse(text: &str) -> Result<ServerMsg, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let msg = ServerMsgFields::deserialize(TagFirst::new(&mut deserializer, "type"))?;
    deserializer.end()?;
    Ok(msg)
}

#[derive(Deserialize)]
#[serde(remote = "ServerMsg", rename_all = "snake_case")]
enum ServerMsgFields {
    Hello {
        protocol: u32,
        server_version: String,
        instance: String,
        session_conn: ConnId,
        #[serde(with = "KernelInfoFields")]
        kernel: KernelInfo,
    },
    Kernel {
        #[serde(deserialize_with = "kernel_state")]
        state: KernelState,
    },
    Executed {
        cell_id: String,
        execution_count: u32,
    },
    Output {
        cell_id: String,
        #[serde(deserialize_with = "wire_data")]
        data: WireData,
    },
    Capture {
        #[serde(deserialize_with = "capture_records")]
        records: Vec<CaptureRecord>,
        evicted: u64,
        #[serde(default)]
        older: u64,
        #[serde(default)]
        skipped: u64,
    },
    CapturePaused {
        paused: bool,
    },
    Kernels {
        #[serde(deserialize_with = "kernel_offers")]
        kernels: Vec<KernelOffer>,
        #[serde(default)]
        gateway: Option<String>,
    },
    KernelSelected {
        #[serde(with = "KernelInfoFields")]
        kernel: KernelInfo,
    },
    KernelMessage(KernelMessage),
    KernelMessageSent {
        channel: Channel,
        msg_type: String,
        msg_id: String,
    },
    Error {
        message: String,
        #[serde(default)]
        cell_id: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(remote = "KernelState", rename_all = "snake_case")]
enum KernelStateFields {
    Connecting,
    Open {
        #[serde(default)]
        protocol: Option<String>,
        #[serde(default)]
        extensions: Vec<String>,
    },
    Reconnecting {
        attempt: u32,
        delay_ms: u64,
        reason: String,
        #[serde(default)]
        lost: String,
    },
    Closed {
        code: Option<u16>,
        reason: String,
    },
    Failed {
        message: String,
    },
}

fn kernel_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<KernelState, D::Error> {
    KernelStateFields::deserialize(TagFirst::new(deserializer, "state"))
}

#[derive(Deserialize)]
#[serde(remote = "WireData", rename_all = "snake_case")]
enum WireDataFields {
    Text { text: String },
    Binary { hex: String },
}

fn wire_data<'de, D: Deserializer<'de>>(deserializer: D) -> Result<WireData, D::Error> {
    WireDataFields::deserialize(TagFirst::new(deserializer, "kind"))
}

#[derive(Deserialize)]
#[serde(remote = "KernelChoice", rename_all = "snake_case")]
enum KernelChoiceFields {
    Startup,
    WebSocket {
        url: String,
        #[serde(default)]
        settings: WebSocketSettings,
    },
    Jupyter {
        name: String,
    },
    Gateway {
        name: String,
    },
}

fn kernel_choice<'de, D: Deserializer<'de>>(deserializer: D) -> Result<KernelChoice, D::Error> {
    KernelChoiceFields::deserialize(TagFirst::new(deserializer, "kind"))
}

#[derive(Deserialize)]
#[serde(remote = "KernelInfo")]
struct KernelInfoFields {
    name: String,
    url: String,
    #[serde(default, deserialize_with = "kernel_choice")]
    choice: KernelChoice,
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize)]
#[serde(remote = "KernelOffer")]
struct KernelOfferFields {
    #[serde(deserialize_with = "kernel_choice")]
    choice: KernelChoice,
    display_name: String,
    #[serde(default)]
    language: Option<String>,
    source: String,
}

fn kernel_offers<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<KernelOffer>, D::Error> {
    #[derive(Deserialize)]
    struct Offer(#[serde(with = "KernelOfferFields")] KernelOffer);
    let offers = Vec::<Offer>::deserialize(deserializer)?;
    Ok(offers.into_iter().map(|Offer(offer)| offer).collect())
}

/// A capture page (`POST /api/capture/page`) as the server writes it, its records read
/// tag-first.
#[derive(Deserialize)]
pub struct CapturePageJson(#[serde(with = "CapturePageFields")] pub CapturePage);

#[derive(Deserialize)]
#[serde(remote = "CapturePage")]
struct CapturePageFields {
    #[serde(deserialize_with = "capture_records")]
    records: Vec<CaptureRecord>,
    scanned_from: u64,
    older: u64,
    instance: String,
}

#[derive(Deserialize)]
#[serde(remote = "CaptureRecord")]
struct CaptureRecordFields {
    seq: u64,
    conn: ConnId,
    hop: Hop,
    time_us: u64,
    #[serde(deserialize_with = "capture_body")]
    body: CaptureBody,
}

fn capture_records<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<CaptureRecord>, D::Error> {
    #[derive(Deserialize)]
    struct Record(#[serde(with = "CaptureRecordFields")] CaptureRecord);
    let records = Vec::<Record>::deserialize(deserializer)?;
    Ok(records.into_iter().map(|Record(record)| record).collect())
}

#[derive(Deserialize)]
#[serde(remote = "CaptureBody", rename_all = "snake_case")]
enum CaptureBodyFields {
    Open {
        client: String,
        server: String,
        target: String,
    },
    Closed {
        code: Option<u16>,
        reason: String,
    },
    Handshake(Box<HandshakeRecord>),
    Frame(Box<FrameRecord>),
    KernelMessage(Box<KernelMessageRecord>),
    Heartbeat {
        ok: bool,
        rtt_us: Option<u64>,
    },
    Intercept(Box<InterceptRecord>),
}

fn capture_body<'de, D: Deserializer<'de>>(deserializer: D) -> Result<CaptureBody, D::Error> {
    CaptureBodyFields::deserialize(TagFirst::new(deserializer, "event"))
}

/// `GET /api/kernels` as the server writes it, its keys and states read tag-first.
#[derive(Deserialize)]
pub struct RunningKernelsJson(#[serde(with = "RunningKernelsFields")] pub RunningKernels);

#[derive(Deserialize)]
#[serde(remote = "RunningKernels")]
struct RunningKernelsFields {
    #[serde(deserialize_with = "running_kernels")]
    kernels: Vec<RunningKernel>,
    cull_idle_timeout_seconds: u64,
}

#[derive(Deserialize)]
#[serde(remote = "RunningKernel")]
struct RunningKernelFields {
    id: u64,
    #[serde(default, deserialize_with = "kernel_key")]
    key: Option<KernelKey>,
    kernel: String,
    #[serde(default, deserialize_with = "some_kernel_state")]
    state: Option<KernelState>,
    attached: u32,
    idle_seconds: u64,
}

fn running_kernels<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<RunningKernel>, D::Error> {
    #[derive(Deserialize)]
    struct Kernel(#[serde(with = "RunningKernelFields")] RunningKernel);
    let kernels = Vec::<Kernel>::deserialize(deserializer)?;
    Ok(kernels.into_iter().map(|Kernel(kernel)| kernel).collect())
}

#[derive(Deserialize)]
#[serde(remote = "KernelKey", rename_all = "snake_case")]
enum KernelKeyFields {
    Notebook { path: String },
    Tab { id: String },
}

fn kernel_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<KernelKey>, D::Error> {
    #[derive(Deserialize)]
    struct Key(#[serde(deserialize_with = "tagged_kernel_key")] KernelKey);
    Ok(Option::<Key>::deserialize(deserializer)?.map(|Key(key)| key))
}

fn tagged_kernel_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<KernelKey, D::Error> {
    KernelKeyFields::deserialize(TagFirst::new(deserializer, "kind"))
}

fn some_kernel_state<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<KernelState>, D::Error> {
    #[derive(Deserialize)]
    struct State(#[serde(deserialize_with = "kernel_state")] KernelState);
    Ok(Option::<State>::deserialize(deserializer)?.map(|State(state)| state))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wirebook_shared::capture::{CaptureBody, Hop};
    use wirebook_shared::session::PROTOCOL_VERSION;

    use super::*;

    /// Every variant, with and without its optional fields: what the server serialises, this
    /// reads back the same.
    fn every_variant() -> Vec<ServerMsg> {
        vec![
            ServerMsg::Hello {
                protocol: PROTOCOL_VERSION,
                server_version: "0.1.0".into(),
                instance: "abc".into(),
                session_conn: 1,
                kernel: KernelInfo {
                    name: "echo".into(),
                    url: "ws://127.0.0.1:1/echo".into(),
                    choice: KernelChoice::Startup,
                    language: Some("python".into()),
                },
            },
            ServerMsg::Kernel {
                state: KernelState::Reconnecting {
                    attempt: 2,
                    delay_ms: 500,
                    reason: "refused".into(),
                    lost: "dropped".into(),
                },
            },
            ServerMsg::Kernel {
                state: KernelState::open(),
            },
            ServerMsg::Kernel {
                state: KernelState::Open {
                    protocol: Some("v2".into()),
                    extensions: vec!["permessage-deflate".into()],
                },
            },
            ServerMsg::Kernel {
                state: KernelState::Connecting,
            },
            ServerMsg::Kernel {
                state: KernelState::Closed {
                    code: None,
                    reason: "dropped".into(),
                },
            },
            ServerMsg::Kernel {
                state: KernelState::Failed {
                    message: "refused".into(),
                },
            },
            ServerMsg::Output {
                cell_id: "c2".into(),
                data: WireData::Text { text: "hai".into() },
            },
            ServerMsg::KernelSelected {
                kernel: KernelInfo {
                    name: "ws".into(),
                    url: "wss://h/x".into(),
                    choice: KernelChoice::WebSocket {
                        url: "wss://h/x".into(),
                        settings: WebSocketSettings {
                            subprotocols: vec!["v2".into()],
                            reconnect: true,
                            ..WebSocketSettings::default()
                        },
                    },
                    language: None,
                },
            },
            ServerMsg::KernelSelected {
                kernel: KernelInfo {
                    name: "ws".into(),
                    url: "ws://h/".into(),
                    choice: KernelChoice::WebSocket {
                        url: "ws://h/".into(),
                        settings: WebSocketSettings::default(),
                    },
                    language: None,
                },
            },
            ServerMsg::Executed {
                cell_id: "c1".into(),
                execution_count: 3,
            },
            ServerMsg::Output {
                cell_id: "c1".into(),
                data: WireData::binary(&[0xde, 0xad]),
            },
            ServerMsg::Capture {
                records: vec![CaptureRecord {
                    seq: 7,
                    conn: 2,
                    hop: Hop::Kernel,
                    time_us: 1_700_000_000_000_000,
                    body: CaptureBody::Closed {
                        code: Some(1000),
                        reason: "bye".into(),
                    },
                }],
                evicted: 1,
                older: 40,
                skipped: 9,
            },
            ServerMsg::Capture {
                records: vec![],
                evicted: 0,
                older: 0,
                skipped: 0,
            },
            ServerMsg::CapturePaused { paused: true },
            ServerMsg::Kernels {
                kernels: vec![KernelOffer {
                    choice: KernelChoice::Jupyter {
                        name: "python3".into(),
                    },
                    display_name: "Python 3 (ipykernel)".into(),
                    language: None,
                    source: "/usr/share/jupyter/kernels/python3".into(),
                }],
                gateway: Some("http://127.0.0.1:8888".into()),
            },
            ServerMsg::Kernels {
                kernels: vec![],
                gateway: None,
            },
            ServerMsg::KernelSelected {
                kernel: KernelInfo {
                    name: "ws".into(),
                    url: "ws://h/".into(),
                    choice: KernelChoice::Gateway { name: "py".into() },
                    language: None,
                },
            },
            ServerMsg::KernelMessage(KernelMessage {
                cell_id: Some("c1".into()),
                channel: Channel::Iopub,
                msg_type: "stream".into(),
                msg_id: "m2".into(),
                parent_msg_id: Some("m1".into()),
                content: json!({"name": "stdout", "text": "hi\n"}),
                metadata: json!({"type": "not the tag"}),
                date: Some("2026-12-03T07:45:12.123456Z".into()),
            }),
            ServerMsg::KernelMessage(KernelMessage {
                cell_id: None,
                channel: Channel::Shell,
                msg_type: "kernel_info_reply".into(),
                msg_id: "m3".into(),
                parent_msg_id: None,
                content: json!({}),
                metadata: serde_json::Value::Null,
                date: None,
            }),
            ServerMsg::KernelMessageSent {
                channel: Channel::Control,
                msg_type: "kernel_info_request".into(),
                msg_id: "m3".into(),
            },
            ServerMsg::Error {
                message: "nope".into(),
                cell_id: Some("c2".into()),
            },
            ServerMsg::Error {
                message: "nope".into(),
                cell_id: None,
            },
        ]
    }

    #[test]
    fn reads_what_the_server_writes() {
        for msg in every_variant() {
            let text = msg.to_json();
            assert_eq!(parse(&text).unwrap(), msg, "{text}");
        }
    }

    #[test]
    fn reads_every_capture_body_and_the_capture_pages() {
        use crate::session::test_records::{beat, handshake_record, kernel_record, text_frame};
        use wirebook_shared::Direction;
        let record = |seq, body| CaptureRecord {
            seq,
            conn: 4,
            hop: Hop::Upstream,
            time_us: 5,
            body,
        };
        let records = vec![
            record(
                1,
                CaptureBody::Open {
                    client: "a".into(),
                    server: "b".into(),
                    target: "/tap/x".into(),
                },
            ),
            handshake_record(2, 4, Hop::Tap),
            text_frame(3, Hop::Tap, Direction::ToServer, "hi"),
            kernel_record(
                4,
                Channel::Shell,
                Direction::ToClient,
                "execute_reply",
                "m2",
                Some("m1"),
                r#"{"status":"ok"}"#,
            ),
            beat(5, 4, true),
            beat(6, 4, false),
            record(
                7,
                CaptureBody::Closed {
                    code: None,
                    reason: "dropped".into(),
                },
            ),
            record(
                8,
                CaptureBody::Intercept(Box::new(InterceptRecord {
                    action: wirebook_shared::intercept_api::InterceptAction::Edited,
                    of: Some(3),
                    way: wirebook_shared::intercept_api::Way::ToUpstream,
                    detail: "held 2 s".into(),
                })),
            ),
        ];
        let msg = ServerMsg::Capture {
            records: records.clone(),
            evicted: 0,
            older: 0,
            skipped: 0,
        };
        assert_eq!(parse(&msg.to_json()).unwrap(), msg);
        let page = CapturePage {
            records,
            scanned_from: 3,
            older: 9,
            instance: "i".into(),
        };
        let json = serde_json::to_string(&page).unwrap();
        let CapturePageJson(read) = serde_json::from_str(&json).unwrap();
        assert_eq!(read, page);
        let late = serde_json::from_str::<CapturePageJson>(
            r#"{"records":[{"seq":1,"conn":1,"hop":"tap","time_us":0,"body":{"ok":true,"rtt_us":null,"event":"heartbeat"}}],"scanned_from":0,"older":0,"instance":"i"}"#,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(late.contains("\"event\" as the first field"), "{late}");
    }

    #[test]
    fn reads_the_running_kernels() {
        let listed = RunningKernels {
            kernels: vec![
                RunningKernel {
                    id: 1,
                    key: Some(KernelKey::Notebook {
                        path: "a.ipynb".into(),
                    }),
                    kernel: "Python 3".into(),
                    state: Some(KernelState::open()),
                    attached: 2,
                    idle_seconds: 0,
                },
                RunningKernel {
                    id: 2,
                    key: Some(KernelKey::Tab { id: "t1".into() }),
                    kernel: "echo".into(),
                    state: Some(KernelState::Failed {
                        message: "gone".into(),
                    }),
                    attached: 0,
                    idle_seconds: 30,
                },
                RunningKernel {
                    id: 3,
                    key: None,
                    kernel: "echo".into(),
                    state: None,
                    attached: 1,
                    idle_seconds: 5,
                },
            ],
            cull_idle_timeout_seconds: 3600,
        };
        let json = serde_json::to_string(&listed).unwrap();
        let RunningKernelsJson(read) = serde_json::from_str(&json).unwrap();
        assert_eq!(read, listed);
        let RunningKernelsJson(nulls) = serde_json::from_str(
            r#"{"kernels":[{"id":4,"key":null,"kernel":"k","state":null,"attached":0,"idle_seconds":1}],"cull_idle_timeout_seconds":0}"#,
        )
        .unwrap();
        assert_eq!(
            (nulls.kernels[0].key.clone(), nulls.kernels[0].state.clone()),
            (None, None)
        );
    }

    #[test]
    fn reads_the_capture_feeds_batches() {
        // As the server's capture feed writes a batch by hand (server/src/capture/fanout.rs).
        let text = r#"{"type":"capture","records":[],"evicted":5}"#;
        assert_eq!(
            parse(text).unwrap(),
            ServerMsg::Capture {
                records: vec![],
                evicted: 5,
                older: 0,
                skipped: 0
            }
        );
    }

    #[test]
    fn says_what_is_wrong() {
        let error = |text: &str| parse(text).unwrap_err().to_string();
        assert!(
            error(r#"{"type":"explode"}"#).contains("unknown variant `explode`"),
            "{}",
            error(r#"{"type":"explode"}"#)
        );
        let late = error(r#"{"paused":true,"type":"capture_paused"}"#);
        assert!(late.contains("\"type\" as the first field"), "{late}");
        assert!(error("{}").contains("missing field `type`"));
        assert!(error("[1]").contains("invalid type"));
        assert!(error(r#"{"type":"executed","cell_id":"c"}"#).contains("missing field"));
        assert!(error(r#"{"type":"capture_paused","paused":true} x"#).contains("trailing"));
        assert!(error(r#"{"type":3}"#).contains("invalid type"));
    }

    #[test]
    fn nested_tags_come_first_too() {
        let late = parse(r#"{"type":"kernel","state":{"reason":"x","state":"failed"}}"#)
            .unwrap_err()
            .to_string();
        assert!(late.contains("\"state\" as the first field"), "{late}");
        let unknown = parse(r#"{"type":"output","cell_id":"c","data":{"kind":"morse"}}"#)
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("unknown variant `morse`"), "{unknown}");
        // A Hello from before kernel choices still reads.
        let old = parse(
            r#"{"type":"hello","protocol":1,"server_version":"0","instance":"a","session_conn":1,"kernel":{"name":"echo","url":"ws://x"}}"#,
        )
        .unwrap();
        assert!(
            matches!(old, ServerMsg::Hello { kernel, .. } if kernel.choice == KernelChoice::Startup)
        );
        // A unit variant ignores what else its object holds, as serde's tagged enums do.
        assert_eq!(
            parse(r#"{"type":"kernel","state":{"state":"connecting","since":3}}"#).unwrap(),
            ServerMsg::Kernel {
                state: KernelState::Connecting
            }
        );
    }

    #[test]
    fn unknown_fields_are_ignored_as_before() {
        assert_eq!(
            parse(r#"{"type":"capture_paused","later":[1,{"a":2}],"paused":false}"#).unwrap(),
            ServerMsg::CapturePaused { paused: false }
        );
    }
}
