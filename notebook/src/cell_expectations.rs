//! A cell's expectations (`metadata.wirebook.expect`, see `wirebook_shared::expect`) as the
//! cell's panel edits them, and how the cell's last run measured up: in the page as after
//! `wirebook run`, from the same outputs and the same checks.

use serde_json::Value;
use wirebook_shared::expect::{self, outcome_of, Checked, Expectation, EXPECT_KEY};
use wirebook_shared::ipynb::JsonMap;
use wirebook_shared::reply_wait::Awaited;

use crate::cell::Cell;

impl Cell {
    /// The expectations its metadata holds, or what is wrong with them.
    pub fn expectations(&self) -> Result<Vec<Expectation>, String> {
        expect::read(self.file.metadata.get("wirebook"))
    }

    /// Each expectation checked against the last run's outputs (this page's, else those
    /// saved in the file): `None` before any run or without expectations. `jupyter`: the
    /// cell ran on a Jupyter kernel (its status counts); `close`: the kernel connection's
    /// close code, when it closed after this cell.
    pub fn checked_expectations(&self, jupyter: bool, close: Option<u16>) -> Option<Vec<Checked>> {
        let expectations = self.expectations().ok().filter(|e| !e.is_empty())?;
        let outputs = if self.outputs.is_empty() && self.execution_count.is_none() {
            self.saved_outputs.clone()
        } else {
            self.outputs.iter().map(|o| o.to_ipynb()).collect()
        };
        let ran = self.execution_count.is_some() || !outputs.is_empty();
        ran.then(|| expect::check(&expectations, &outcome_of(&outputs, jupyter, close)))
    }

    /// What a run of this cell on a WebSocket kernel waits for before the next cell goes
    /// (`wirebook_shared::reply_wait`): the page's Run All paces by it as `wirebook run` does.
    /// Reads whether there are expectations without checking them: no regex engine here.
    pub fn awaited(&self) -> Awaited {
        let wirebook = self.file.metadata.get("wirebook");
        let has_expectations = expect::any(wirebook);
        let sent = self
            .format()
            .sends_source_as_text()
            .then_some(self.source.as_str());
        Awaited::for_cell(has_expectations, sent, wirebook, self.recorded.len())
    }
}

/// `metadata` with `expectations` recorded under `wirebook.expect` (none: the key goes, and a
/// `wirebook` object left empty); other keys are kept.
pub fn with_expectations(metadata: &JsonMap, expectations: &[Expectation]) -> JsonMap {
    let mut metadata = metadata.clone();
    let mut wirebook = match metadata.remove("wirebook") {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if expectations.is_empty() {
        wirebook.remove(EXPECT_KEY);
    } else {
        let list = expectations.iter().map(Expectation::to_json).collect();
        wirebook.insert(EXPECT_KEY.into(), Value::Array(list));
    }
    if !wirebook.is_empty() {
        metadata.insert("wirebook".into(), Value::Object(wirebook));
    }
    metadata
}
