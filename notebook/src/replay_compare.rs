//! A cell made from a recorded session (To cells, a HAR import, a saved notebook) against its
//! run in this page: the recorded replies beside this run's, and what differs, JSON-aware and
//! without the fields the notebook ignores (`metadata.wirebook.ignore`), as `wirebook run
//! --compare` judges them (`wirebook_shared::reply_diff`).

use serde_json::Value;
use wirebook_shared::expect::outcome_of;
use wirebook_shared::reply_diff::{diff, Difference};

use crate::cell::{Cell, RunState};
use crate::Notebook;

/// The key under `metadata.wirebook` that lists the fields comparisons ignore.
pub const IGNORE_KEY: &str = "ignore";

/// A cell's recorded replies and this run's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub recorded: Vec<String>,
    pub now: Vec<String>,
    /// At most `reply_diff::MAX_DIFFERENCES`; `total` counts them all.
    pub differences: Vec<Difference>,
    pub total: usize,
}

impl Cell {
    /// The comparison, once the cell has run in this page and if it came with replies.
    pub fn compared(&self, ignore: &[String]) -> Option<Comparison> {
        let ran = self.state == RunState::Executed || !self.outputs.is_empty();
        if self.recorded.is_empty() || !ran {
            return None;
        }
        let recorded = outcome_of(&self.recorded, false, None).texts;
        let outputs: Vec<_> = self.outputs.iter().map(|o| o.to_ipynb()).collect();
        let now = outcome_of(&outputs, false, None).texts;
        let (differences, total) = diff(&recorded, &now, ignore);
        Some(Comparison {
            recorded,
            now,
            differences,
            total,
        })
    }
}

impl Notebook {
    /// The fields comparisons ignore (`metadata.wirebook.ignore`).
    pub fn compare_ignore(&self) -> Vec<String> {
        self.metadata()
            .wirebook
            .as_ref()
            .and_then(|w| w.extra.get(IGNORE_KEY))
            .and_then(Value::as_array)
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets the fields comparisons ignore; none removes the key.
    pub fn set_compare_ignore(&mut self, fields: Vec<String>) {
        let mut metadata = self.metadata().clone();
        let wirebook = metadata.wirebook.get_or_insert_with(Default::default);
        if fields.is_empty() {
            wirebook.extra.remove(IGNORE_KEY);
        } else {
            let list = fields.into_iter().map(Value::from).collect();
            wirebook.extra.insert(IGNORE_KEY.into(), Value::Array(list));
        }
        self.set_metadata(metadata);
    }
}

#[cfg(test)]
mod tests {
    use wirebook_shared::ipynb::{IpynbCell, IpynbCellKind, IpynbNotebook, IpynbOutput};
    use wirebook_shared::session::WireData;

    use super::*;

    #[test]
    fn a_recorded_cell_is_compared_with_its_run_in_the_page() {
        let mut document = IpynbNotebook::new();
        let recorded = IpynbOutput::from_wire(&WireData::Text {
            text: r#"{"price":3,"ts":1}"#.into(),
        });
        document.cells.push(IpynbCell::new(
            "q",
            IpynbCellKind::Code {
                execution_count: Some(1),
                outputs: vec![recorded],
            },
            "quote",
        ));
        let mut nb = Notebook::from_ipynb(document);
        assert_eq!(
            nb.cells()[0].compared(&[]),
            None,
            "not run in this page yet"
        );
        nb.apply(crate::Command::RunCell("q".into()));
        nb.sent("q");
        nb.executed("q", 1);
        nb.output(
            "q",
            WireData::Text {
                text: r#"{"price":4,"ts":2}"#.into(),
            },
        );
        let ignore = vec!["ts".to_string()];
        nb.set_compare_ignore(ignore.clone());
        assert_eq!(nb.compare_ignore(), ignore);
        let c = nb.cells()[0].compared(&nb.compare_ignore()).unwrap();
        assert_eq!(c.recorded, [r#"{"price":3,"ts":1}"#]);
        assert_eq!(c.now, [r#"{"price":4,"ts":2}"#]);
        assert_eq!(c.total, 1);
        assert_eq!(c.differences[0].to_string(), "reply 1 $.price: 3 → 4");
        // Saved, the notebook keeps what it ignores and this run's outputs, not the recording.
        assert_eq!(
            nb.to_ipynb().metadata.wirebook.unwrap().extra["ignore"],
            serde_json::json!(["ts"])
        );
        nb.set_compare_ignore(Vec::new());
        assert!(nb.compare_ignore().is_empty());
    }
}
