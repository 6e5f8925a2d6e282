//! Which records an export holds, as its URL asks: all of them, the rows a user selected
//! (`?seqs=3,7-12`: seqs and inclusive ranges), or the rows the inspector's filter shows
//! (`?filter=` the JSON of a [`FilterSpec`], compiled by the code the browser filters with).
//!
//! Both come from a peer, so both are bounded: at most [`MAX_SEQ_RANGES`] items, and a filter
//! within the spec's own limits (`FilterSpec::compile`). A range is kept as a range, never
//! expanded, so `1-18446744073709551615` costs two numbers.

use wirebook_shared::capture_filter::{Filter, FilterSpec};
use wirebook_shared::CaptureRecord;

use crate::capture::ring::Capture;

/// The most seqs and ranges a `seqs=` list may hold.
pub const MAX_SEQ_RANGES: usize = 10_000;

/// The records an export holds.
#[derive(Debug, Clone, Default)]
pub enum ExportRows {
    #[default]
    All,
    /// Sorted, merged, inclusive ranges of seqs.
    Seqs(Vec<(u64, u64)>),
    Filter(Box<Filter>),
}

impl ExportRows {
    /// The rows `seqs=` and `filter=` ask for (at most one of them), or what is wrong.
    pub fn asked(seqs: Option<&str>, filter: Option<&str>) -> Result<ExportRows, String> {
        match (seqs, filter) {
            (None, None) => Ok(ExportRows::All),
            (Some(_), Some(_)) => Err("ask for seqs or for a filter, not both".to_string()),
            (Some(list), None) => parse_seqs(list).map(ExportRows::Seqs),
            (None, Some(json)) => {
                let spec: FilterSpec = serde_json::from_str(json)
                    .map_err(|e| format!("filter must be the inspector's filter as JSON: {e}"))?;
                Ok(ExportRows::Filter(Box::new(spec.compile()?)))
            }
        }
    }

    /// Whether every record is in.
    pub fn is_all(&self) -> bool {
        match self {
            ExportRows::All => true,
            ExportRows::Seqs(_) => false,
            ExportRows::Filter(filter) => filter.is_everything(),
        }
    }

    /// Whether the export holds `record`, one of `capture`'s (whose lens index a filter that
    /// names a lens's field reads).
    pub fn keeps(&self, capture: &Capture, record: &CaptureRecord) -> bool {
        match self {
            ExportRows::All => true,
            ExportRows::Seqs(ranges) => {
                // The last range starting at or before the seq.
                let after = ranges.partition_point(|(start, _)| *start <= record.seq);
                after > 0 && record.seq <= ranges[after - 1].1
            }
            ExportRows::Filter(filter) if filter.reads_lenses() => {
                capture.lens_facts(record.seq, |facts| filter.matches_with(record, facts))
            }
            ExportRows::Filter(filter) => filter.matches(record),
        }
    }
}

/// `3,7-12,5` → `[(3, 3), (5, 5), (7, 12)]`: sorted and merged.
fn parse_seqs(list: &str) -> Result<Vec<(u64, u64)>, String> {
    let mut ranges = Vec::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if ranges.len() == MAX_SEQ_RANGES {
            return Err(format!(
                "seqs may list at most {MAX_SEQ_RANGES} seqs and ranges (a range is FIRST-LAST)"
            ));
        }
        let number = |text: &str| {
            text.trim().parse::<u64>().map_err(|_| {
                format!(
                    "seqs is a list of record seqs and FIRST-LAST ranges, and {item:?} is neither"
                )
            })
        };
        let range = match item.split_once('-') {
            Some((first, last)) => (number(first)?, number(last)?),
            None => (number(item)?, number(item)?),
        };
        if range.0 > range.1 {
            return Err(format!("the range {item:?} ends before it starts"));
        }
        ranges.push(range);
    }
    if ranges.is_empty() {
        return Err("seqs lists no record: leave it out to export everything".to_string());
    }
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (first, last) in ranges {
        match merged.last_mut() {
            Some(previous) if first <= previous.1.saturating_add(1) => {
                previous.1 = previous.1.max(last);
            }
            _ => merged.push((first, last)),
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::{CaptureBody, Hop};

    fn record(seq: u64, reason: &str) -> CaptureRecord {
        CaptureRecord {
            seq,
            conn: 1,
            hop: Hop::Endpoint,
            time_us: 0,
            body: CaptureBody::Closed {
                code: None,
                reason: reason.into(),
            },
        }
    }

    #[test]
    fn seq_lists_are_sorted_merged_ranges() {
        assert_eq!(parse_seqs("9, 3,7-8,4"), Ok(vec![(3, 4), (7, 9)]));
        assert_eq!(parse_seqs("5-5,1-10"), Ok(vec![(1, 10)]));
        assert_eq!(
            parse_seqs("0-18446744073709551615,3"),
            Ok(vec![(0, u64::MAX)])
        );
        for bad in ["", ",", "x", "3-", "-3", "5-4", "1-2-3", "1.5"] {
            assert!(parse_seqs(bad).is_err(), "{bad:?}");
        }
        let many = vec!["1"; MAX_SEQ_RANGES + 1].join(",");
        assert!(parse_seqs(&many).unwrap_err().contains("at most"));
        assert!(parse_seqs(&many[2..]).is_ok());
    }

    #[test]
    fn rows_keep_the_seqs_listed_or_what_the_filter_shows() {
        let capture = Capture::new(10, 64);
        let rows = ExportRows::asked(Some("2,5-6"), None).unwrap();
        let kept: Vec<u64> = (0..9)
            .filter(|&seq| rows.keeps(&capture, &record(seq, "")))
            .collect();
        assert_eq!(kept, [2, 5, 6]);
        assert!(!rows.is_all());

        let rows = ExportRows::asked(None, Some(r#"{"search":"gone"}"#)).unwrap();
        assert!(rows.keeps(&capture, &record(1, "peer gone")));
        assert!(!rows.keeps(&capture, &record(1, "normal")));
        assert!(ExportRows::asked(None, Some("{}")).unwrap().is_all());
        assert!(ExportRows::asked(None, None).unwrap().is_all());

        let refused = |seqs, filter| ExportRows::asked(seqs, filter).unwrap_err();
        assert!(refused(Some("1"), Some("{}")).contains("not both"));
        assert!(refused(None, Some("[")).contains("as JSON"));
        assert!(
            refused(None, Some(r#"{"search":"(","regex":true}"#)).contains("regular expression")
        );
    }
}
