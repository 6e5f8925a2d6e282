//! Jupyter messages on ZeroMQ: signing what wirebook sends, checking what the kernel sends
//! against the connection key (HMAC-SHA256), and the capture record of each message.
//!
//! The multipart layout is split by the pure `wirebook_shared::jupyter::zmq`; the key lives
//! here, on the server.

use ring::hmac;
use serde_json::Value;
use wirebook_shared::capture::Direction;
use wirebook_shared::jupyter::spec::SpecCheck;
use wirebook_shared::jupyter::zmq::{self, SplitMessage};
use wirebook_shared::jupyter::{Channel, KernelMessageRecord, SignatureCheck};

use super::client::Outgoing;

/// The connection's signing key (`key` in the connection file); `None` when it is empty.
#[derive(Clone)]
pub struct Signer {
    key: Option<hmac::Key>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Signer")
            .field("signed", &self.key.is_some())
            .finish()
    }
}

impl Signer {
    pub fn new(key: &str) -> Self {
        Signer {
            key: (!key.is_empty()).then(|| hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes())),
        }
    }

    /// Lowercase hex HMAC of the parts, empty without a key.
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        let Some(key) = &self.key else {
            return String::new();
        };
        let mut context = hmac::Context::with_key(key);
        for part in parts {
            context.update(part);
        }
        wirebook_shared::hex::hex(context.sign().as_ref())
    }

    /// Checks a received message's signature over its four JSON parts.
    pub fn check(&self, frames: &[&[u8]], signature: &str) -> SignatureCheck {
        let Some(key) = &self.key else {
            return SignatureCheck::Unsigned;
        };
        let signed = zmq::signed_parts(frames);
        let Ok(tag) = wirebook_shared::hex::unhex(signature) else {
            return SignatureCheck::Bad;
        };
        if signed.len() < 4 {
            return SignatureCheck::Bad;
        }
        let joined: Vec<u8> = signed.concat();
        match hmac::verify(key, &joined, &tag) {
            Ok(()) => SignatureCheck::Verified,
            Err(_) => SignatureCheck::Bad,
        }
    }
}

/// The multipart frames of an outgoing message: `<IDS|MSG>`, signature, the four JSON parts.
/// The DEALER socket adds no identity; the kernel's ROUTER prepends ours.
pub fn frames(outgoing: &Outgoing, signer: &Signer) -> Vec<Vec<u8>> {
    let json = |value: &Value| serde_json::to_vec(value).unwrap_or_default();
    let parts = [
        json(&outgoing.header),
        json(&outgoing.parent_header),
        json(&outgoing.metadata),
        json(&outgoing.content),
    ];
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let signature = signer.sign(&refs);
    let mut frames = vec![zmq::DELIMITER.to_vec(), signature.into_bytes()];
    frames.extend(parts);
    frames
}

/// A received message: split, its signature checked, and its record; `refused` says why the
/// notebook may not be given it (`None`: the signature is good or not carried, and all four
/// parts are JSON objects).
pub struct Received {
    pub split: SplitMessage,
    pub record: KernelMessageRecord,
    pub refused: Option<&'static str>,
}

const BAD_SIGNATURE: &str = "the signature does not match the connection key";
const INCOMPLETE: &str = "not a complete Jupyter message";

/// Splits and checks one message the kernel sent on `channel` (against the messaging spec
/// too, with the connection's `spec`).
pub fn received(
    channel: Channel,
    frames: &[&[u8]],
    signer: &Signer,
    preview: usize,
    spec: &mut SpecCheck,
) -> Received {
    let mut split = zmq::split(frames, preview);
    let check = signer.check(frames, &split.parts.signature);
    split.parts.signature_check = check;
    let mut findings = split.findings.clone();
    findings.extend(spec_findings(spec, channel, Direction::ToClient, &split));
    let refused = if check == SignatureCheck::Bad {
        Some(BAD_SIGNATURE)
    } else if !split.is_complete() {
        Some(INCOMPLETE)
    } else {
        None
    };
    if let Some(why) = refused {
        findings.push(format!(
            "{why}: recorded here but not relayed to the notebook"
        ));
    }
    let record = record(channel, Direction::ToClient, &split, findings, None);
    Received {
        split,
        record,
        refused,
    }
}

/// The record of a message wirebook sends (signed by wirebook, so `Verified` when keyed).
pub fn sent(
    channel: Channel,
    frames: &[Vec<u8>],
    signer: &Signer,
    preview: usize,
    caused_by: Option<u64>,
    spec: &mut SpecCheck,
) -> KernelMessageRecord {
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let mut split = zmq::split(&refs, preview);
    split.parts.signature_check = signer.check(&refs, &split.parts.signature);
    let mut findings = split.findings.clone();
    findings.extend(spec_findings(spec, channel, Direction::ToServer, &split));
    record(channel, Direction::ToServer, &split, findings, caused_by)
}

/// What the messaging spec says of a message whose parts parsed (one that did not has its
/// findings already).
fn spec_findings(
    spec: &mut SpecCheck,
    channel: Channel,
    direction: Direction,
    split: &SplitMessage,
) -> Vec<String> {
    if !split.is_complete() {
        return Vec::new();
    }
    spec.observe(
        channel,
        direction,
        &split.header,
        &split.parent_header,
        &split.content,
    )
}

fn record(
    channel: Channel,
    direction: Direction,
    split: &SplitMessage,
    findings: Vec<String>,
    caused_by: Option<u64>,
) -> KernelMessageRecord {
    let text = |value: &Value, key: &str| value[key].as_str().unwrap_or_default().to_string();
    KernelMessageRecord {
        channel,
        direction,
        msg_type: text(&split.header, "msg_type"),
        msg_id: text(&split.header, "msg_id"),
        parent_msg_id: split.parent_header["msg_id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_string),
        size: split.size,
        parts: split.parts.clone(),
        findings,
        caused_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::jupyter::client::JupyterClient;

    fn outgoing() -> Outgoing {
        JupyterClient::new("s").request(
            Channel::Shell,
            "kernel_info_request",
            serde_json::json!({}),
        )
    }

    #[test]
    fn what_wirebook_signs_verifies() {
        let signer = Signer::new("secret");
        let frames = frames(&outgoing(), &signer);
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let got = received(
            Channel::Shell,
            &refs,
            &signer,
            1024,
            &mut SpecCheck::default(),
        );
        assert_eq!(got.record.parts.signature_check, SignatureCheck::Verified);
        assert_eq!(got.refused, None);
        assert!(got.record.findings.is_empty(), "{:?}", got.record.findings);
        assert_eq!(got.record.msg_type, "kernel_info_request");
        assert_eq!(got.record.direction, Direction::ToClient);
        assert_eq!(
            sent(
                Channel::Shell,
                &frames,
                &signer,
                1024,
                Some(9),
                &mut SpecCheck::default()
            )
            .caused_by,
            Some(9)
        );
    }

    #[test]
    fn a_tampered_part_is_bad_and_not_trusted() {
        let signer = Signer::new("secret");
        let mut frames = frames(&outgoing(), &signer);
        frames[5] = br#"{"tampered":true}"#.to_vec();
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let got = received(
            Channel::Shell,
            &refs,
            &signer,
            1024,
            &mut SpecCheck::default(),
        );
        assert_eq!(got.record.parts.signature_check, SignatureCheck::Bad);
        assert_eq!(got.refused, Some(BAD_SIGNATURE));
        assert!(got.record.findings[0].contains("does not match the connection key"));
        // Another key is bad too.
        let frames = super::frames(&outgoing(), &Signer::new("other"));
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        assert_eq!(
            signer.check(&refs, std::str::from_utf8(refs[1]).unwrap()),
            SignatureCheck::Bad
        );
    }

    #[test]
    fn without_a_key_nothing_is_signed() {
        let signer = Signer::new("");
        let frames = frames(&outgoing(), &signer);
        assert!(frames[1].is_empty());
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let got = received(
            Channel::Iopub,
            &refs,
            &signer,
            1024,
            &mut SpecCheck::default(),
        );
        assert_eq!(got.record.parts.signature_check, SignatureCheck::Unsigned);
        assert_eq!(got.refused, None);
    }

    #[test]
    fn garbage_is_recorded_but_not_trusted() {
        let signer = Signer::new("k");
        let frames: Vec<&[u8]> = vec![b"\xff\xfe"];
        let got = received(
            Channel::Iopub,
            &frames,
            &signer,
            16,
            &mut SpecCheck::default(),
        );
        assert_eq!(got.record.parts.signature_check, SignatureCheck::Bad);
        assert!(got.refused.is_some());
        assert_eq!(got.record.size, 2);
    }
}
