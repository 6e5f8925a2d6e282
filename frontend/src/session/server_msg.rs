//! Reads the server's session messages ([`ServerMsg`]) without serde's buffering of internally
//! tagged enums.
//!
//! `ServerMsg`'s derived `Deserialize` cannot know where `"type"` is in the object, so it
//! parses every message into serde's `Content` first and each variant again from that: a
//! second copy of every message's code in the wasm, and every capture batch parsed twice.
//! The server always writes `"type"` first (serde's derived `Serialize` does, and so does the
//! capture feed's hand-written batch), so here the first key is read as the tag and the rest of
//! the object goes straight to the variant's fields. [`ServerMsgFields`] is `ServerMsg` again
//! as serde's `remote` derive sees it: the compiler checks its variants and fields against
//! the shared type, and the tests check it reads what `ServerMsg` serialises.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, EnumAccess, IgnoredAny, MapAccess, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer};
use wirebook_shared::capture::{CaptureRecord, ConnId};
use wirebook_shared::jupyter::Channel;
use wirebook_shared::session::{KernelInfo, KernelMessage, KernelOffer, KernelState, WireData};
use wirebook_shared::ServerMsg;

/// One message from the server's text, `"type"` first.
pub fn parse(text: &str) -> Result<ServerMsg, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let msg = ServerMsgFields::deserialize(TagFirst(&mut deserializer))?;
    deserializer.end()?;
    Ok(msg)
}

/// [`ServerMsg`]'s variants and fields, as serde's `remote` derive mirrors them.
#[derive(Deserialize)]
#[serde(remote = "ServerMsg", rename_all = "snake_case")]
enum ServerMsgFields {
    Hello {
        protocol: u32,
        server_version: String,
        instance: String,
        session_conn: ConnId,
        kernel: KernelInfo,
    },
    Kernel {
        state: KernelState,
    },
    Executed {
        cell_id: String,
        execution_count: u32,
    },
    Output {
        cell_id: String,
        data: WireData,
    },
    Capture {
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
        kernels: Vec<KernelOffer>,
        #[serde(default)]
        gateway: Option<String>,
    },
    KernelSelected {
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

/// A JSON object `{"type": TAG, ...fields}` presented to an externally tagged enum's visitor
/// as the variant `TAG` with those fields.
struct TagFirst<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for TagFirst<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(TaggedObject(visitor))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct TaggedObject<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for TaggedObject<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a session message: an object whose first field is \"type\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        match map.next_key::<TypeKey>()? {
            Some(TypeKey) => {}
            None => return Err(de::Error::missing_field("type")),
        }
        let tag: String = map.next_value()?;
        self.0.visit_enum(Variant { tag, fields: map })
    }
}

/// The key `"type"`; any other first key is an error that says so.
struct TypeKey;

impl<'de> Deserialize<'de> for TypeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = TypeKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"type\" as the first field")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<TypeKey, E> {
                if key == "type" {
                    Ok(TypeKey)
                } else {
                    Err(E::custom(format_args!(
                        "expected \"type\" as the first field, found `{key}`"
                    )))
                }
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The tag read, the object's other fields still to read.
struct Variant<A> {
    tag: String,
    fields: A,
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Variant<A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), A::Error> {
        let variant = seed.deserialize(StrDeserializer::<A::Error>::new(&self.tag))?;
        Ok((variant, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    fn unit_variant(mut self) -> Result<(), A::Error> {
        while self
            .fields
            .next_entry::<IgnoredAny, IgnoredAny>()?
            .is_some()
        {}
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        seed.deserialize(MapAccessDeserializer::new(self.fields))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(de::Error::custom(format_args!(
            "session message `{}` cannot be a tuple",
            self.tag
        )))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.fields)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wirebook_shared::capture::{CaptureBody, Hop};
    use wirebook_shared::session::{KernelChoice, PROTOCOL_VERSION};

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
    fn unknown_fields_are_ignored_as_before() {
        assert_eq!(
            parse(r#"{"type":"capture_paused","later":[1,{"a":2}],"paused":false}"#).unwrap(),
            ServerMsg::CapturePaused { paused: false }
        );
    }
}
