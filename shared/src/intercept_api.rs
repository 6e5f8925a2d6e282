//! The bodies of `/api/intercept`: breakpoints on the tap's routes, the messages they hold,
//! what the user decides for each, and messages injected into a live tapped connection.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /api/intercept` | | `200` [`InterceptState`] |
//! | `PUT /api/intercept/breakpoints` | [`Breakpoints`] | `200` [`InterceptState`] |
//! | `POST /api/intercept/held/ID` | [`Decision`] | `204` |
//! | `POST /api/intercept/inject` | [`Injection`] | `204` |
//!
//! Errors are `{"error": "..."}`: `400` for a filter that does not parse, a route that does not
//! exist or an edit that is not text or hex; `404` for a held message that was released
//! already or a connection that ended.

use serde::{Deserialize, Serialize};

pub const INTERCEPT_API: &str = "/api/intercept";

/// The most a held message may be: a longer one is relayed as it streams, never held.
pub const MAX_HELD_BYTES: usize = 1024 * 1024;

/// Which way a message goes through the tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    /// From the client to the route's upstream (as the client sends it).
    ToUpstream,
    /// From upstream to the client (as the server sends it).
    ToClient,
}

impl Way {
    pub fn label(self) -> &'static str {
        match self {
            Way::ToUpstream => "client → upstream",
            Way::ToClient => "upstream → client",
        }
    }
}

/// Holds every data message on `route` going `ways` that `filter` matches (the inspector's
/// filter language, on the message alone; empty matches every message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakpoint {
    pub route: String,
    pub ways: Vec<Way>,
    #[serde(default)]
    pub filter: String,
}

/// What `PUT /api/intercept/breakpoints` takes: the whole set, and how long a message is held
/// before it goes on by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakpoints {
    pub breakpoints: Vec<Breakpoint>,
    pub release_after_s: u64,
}

/// A message held at a breakpoint, waiting for a [`Decision`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldMessage {
    pub id: u64,
    pub route: String,
    /// The tap-hop connection of the relay (its `conn` in the capture).
    pub conn: u64,
    pub way: Way,
    /// The capture record of the message's first frame as it arrived, when it was recorded.
    pub record: Option<u64>,
    /// `true`: a text message, in `text`; else a binary one, in `hex`.
    pub is_text: bool,
    pub text: String,
    pub hex: String,
    /// Microseconds since the UNIX epoch when it was held, and when it goes on by itself.
    pub held_at_us: u64,
    pub release_at_us: u64,
}

/// A live relay through the tap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRelay {
    /// Its tap-hop connection (`conn` in the capture).
    pub conn: u64,
    pub route: String,
    /// Opened while no breakpoint was armed and negotiated permessage-deflate: its messages
    /// depend on each other's compression state, so none of them is held (a drop or an edit
    /// would corrupt every later one).
    pub compressed: bool,
}

/// `GET /api/intercept`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterceptState {
    pub breakpoints: Vec<Breakpoint>,
    pub release_after_s: u64,
    pub held: Vec<HeldMessage>,
    pub relays: Vec<LiveRelay>,
}

/// What happens to a held message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Decision {
    /// Sent on as it came.
    Forward,
    /// Sent on with this payload instead, in one frame of the message's type.
    Edit(Payload),
    /// Not sent.
    Drop,
}

/// A message's payload as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    Text(String),
    /// Hex digits, spaces allowed: a binary message.
    Hex(String),
}

/// `POST /api/intercept/inject`: a message sent into a live relay as if `way`'s sender sent
/// it (`to_upstream`: as the client, masked; `to_client`: as the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Injection {
    /// The relay's tap-hop connection (`conn` in the capture).
    pub conn: u64,
    pub way: Way,
    pub payload: Payload,
}

/// What happened to a message at the tap: the capture's `intercept` records and the `mark`
/// of the frames wirebook sent in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterceptAction {
    /// Held by a breakpoint (the message as it arrived is the record `of`).
    Held,
    /// Sent on unchanged, by the user.
    Forwarded,
    /// Sent on with a payload the user wrote.
    Edited,
    /// Not sent, by the user.
    Dropped,
    /// Sent on unchanged when its hold timed out.
    Released,
    /// Not sent: the peer it was going to left while it was held.
    Discarded,
    /// Sent by the user into the connection; no peer sent it.
    Injected,
}

impl InterceptAction {
    pub fn name(self) -> &'static str {
        match self {
            InterceptAction::Held => "held",
            InterceptAction::Forwarded => "forwarded",
            InterceptAction::Edited => "edited",
            InterceptAction::Dropped => "dropped",
            InterceptAction::Released => "released",
            InterceptAction::Discarded => "discarded",
            InterceptAction::Injected => "injected",
        }
    }
}

/// The capture's note of a held message's fate, recorded on the hop it arrived on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterceptRecord {
    pub action: InterceptAction,
    /// The record of the message's first frame as it arrived.
    pub of: Option<u64>,
    pub way: Way,
    /// In plain words: the breakpoint's filter, how long it was held.
    pub detail: String,
}

impl Payload {
    /// The bytes to send, and whether they are text.
    pub fn bytes(&self) -> Result<(Vec<u8>, bool), String> {
        match self {
            Payload::Text(text) => Ok((text.as_bytes().to_vec(), true)),
            Payload::Hex(hex) => crate::hex::unhex(hex)
                .map(|bytes| (bytes, false))
                .map_err(|why| format!("the payload is not hex: {why}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_pinned() {
        let set: Breakpoints = serde_json::from_str(
            r#"{"breakpoints":[{"route":"chat","ways":["to_upstream"],"filter":"text contains \"buy\""}],"release_after_s":30}"#,
        )
        .unwrap();
        assert_eq!(set.breakpoints[0].ways, [Way::ToUpstream]);
        let edit: Decision =
            serde_json::from_str(r#"{"action":"edit","text":"{\"qty\":2}"}"#).unwrap();
        assert_eq!(edit, Decision::Edit(Payload::Text("{\"qty\":2}".into())));
        let drop: Decision = serde_json::from_str(r#"{"action":"drop"}"#).unwrap();
        assert_eq!(drop, Decision::Drop);
        let inject: Injection =
            serde_json::from_str(r#"{"conn":3,"way":"to_client","payload":{"hex":"01 ff"}}"#)
                .unwrap();
        assert_eq!(inject.payload.bytes().unwrap(), (vec![1, 255], false));
        assert!(Payload::Hex("zz".into()).bytes().is_err());
        assert_eq!(
            serde_json::to_string(&InterceptAction::Discarded).unwrap(),
            r#""discarded""#
        );
    }
}
