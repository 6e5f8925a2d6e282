//! The bodies of `POST /api/capture/page`: a page of the capture for an inspector scrolling
//! back. It is an HTTP call, not a `/session` message, because the session socket is itself
//! captured: a query sent there would add a row to the capture it pages through.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /api/capture/page` | [`PageQuery`] | `200` [`CapturePage`] |
//!
//! Errors are `{"error": "..."}`: `400` for a bad query (a filter that does not compile, a body
//! that is not a query), `403` without the token.

use serde::{Deserialize, Serialize};

use crate::capture::CaptureRecord;
use crate::capture_filter::FilterSpec;

pub const CAPTURE_PAGE_API: &str = "/api/capture/page";

/// Up to `limit` records with `seq < before_seq` (the newest records without it) that pass
/// `filter`, oldest first. The server looks at a bounded number of records per query, so a
/// rare match in a large capture comes over several queries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<u64>,
    #[serde(default)]
    pub filter: FilterSpec,
    pub limit: u32,
}

/// The answer: up to the query's `limit` records with `scanned_from <= seq < before_seq` that
/// pass its filter, oldest first. Every record in that range was looked at (or is gone from the
/// ring), so the next older page asks for `before_seq = scanned_from`; `older` records older
/// than that are still in the ring (0: the start of the capture). `instance` is the server
/// process's (as in the session's `Hello`): sequence numbers of another instance mean nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturePage {
    pub records: Vec<CaptureRecord>,
    pub scanned_from: u64,
    pub older: u64,
    pub instance: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_names_where_a_filter_and_a_limit() {
        let newest: PageQuery = serde_json::from_str(r#"{"limit":200}"#).unwrap();
        assert_eq!(
            newest,
            PageQuery {
                before_seq: None,
                filter: FilterSpec::default(),
                limit: 200,
            }
        );
        let older: PageQuery =
            serde_json::from_str(r#"{"before_seq":900,"filter":{"search":"x"},"limit":50}"#)
                .unwrap();
        assert_eq!(
            (older.before_seq, older.filter.search.as_str()),
            (Some(900), "x")
        );
        assert!(serde_json::from_str::<PageQuery>(r#"{"limit":-1}"#).is_err());
        assert!(serde_json::from_str::<PageQuery>(r#"{}"#).is_err());
    }

    #[test]
    fn an_answer_round_trips() {
        let page = CapturePage {
            records: vec![],
            scanned_from: 120,
            older: 119,
            instance: "ab".into(),
        };
        let json = serde_json::to_string(&page).unwrap();
        assert_eq!(
            json,
            r#"{"records":[],"scanned_from":120,"older":119,"instance":"ab"}"#
        );
        assert_eq!(serde_json::from_str::<CapturePage>(&json).unwrap(), page);
    }
}
