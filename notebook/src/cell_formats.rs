//! A cell's WebSocket message format as the notebook file keeps it: `metadata.wirebook.format`
//! holds the serde form of [`CellFormat`] (e.g. `{"kind":"json","compact":true}`). Text, the
//! default, is written as no key at all, so a notebook that never used formats stays as
//! Jupyter wrote it. Pretty-printing a JSON cell lives here too: it is a format's action.

use serde_json::Value;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::ipynb::JsonMap;

/// The format `metadata` names; text when it names none, or one this version does not know.
pub fn format_of(metadata: &JsonMap) -> CellFormat {
    metadata
        .get("wirebook")
        .and_then(|w| w.get("format"))
        .and_then(|f| serde_json::from_value(f.clone()).ok())
        .unwrap_or_default()
}

/// `metadata` with `format` recorded; other keys (of `wirebook` too) are kept. Text removes
/// the key, and a `wirebook` object left empty.
pub fn with_format(metadata: &JsonMap, format: CellFormat) -> JsonMap {
    let mut metadata = metadata.clone();
    let mut wirebook = match metadata.remove("wirebook") {
        Some(Value::Object(map)) => map,
        // Something else under our key is not ours to keep: it would hide the format.
        _ => serde_json::Map::new(),
    };
    if format.is_text() {
        wirebook.remove("format");
    } else if let Ok(value) = serde_json::to_value(format) {
        wirebook.insert("format".into(), value);
    }
    if !wirebook.is_empty() {
        metadata.insert("wirebook".into(), Value::Object(wirebook));
    }
    metadata
}

/// The metadata of a new cell sending `format`.
pub fn metadata_for(format: CellFormat) -> JsonMap {
    with_format(&JsonMap::new(), format)
}

/// `source` as indented JSON (two spaces), or `None` when it is not JSON (the format's error
/// says where) or is already printed that way.
pub fn pretty_json(source: &str) -> Option<String> {
    let value: Value = serde_json::from_str(source).ok()?;
    let pretty = serde_json::to_string_pretty(&value).ok()?;
    (pretty != source).then_some(pretty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> JsonMap {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn formats_round_trip_through_metadata_and_text_writes_nothing() {
        for format in CellFormat::ALL {
            assert_eq!(format_of(&metadata_for(format)), format);
        }
        assert!(metadata_for(CellFormat::Text).is_empty());
        assert_eq!(
            Value::Object(metadata_for(CellFormat::Json { compact: true })),
            json!({"wirebook": {"format": {"kind": "json", "compact": true}}})
        );
    }

    #[test]
    fn other_metadata_is_kept_and_unknown_formats_read_as_text() {
        let before =
            map(json!({"tags": ["a"], "wirebook": {"later": 1, "format": {"kind": "hex"}}}));
        assert_eq!(format_of(&before), CellFormat::Hex);
        let text = with_format(&before, CellFormat::Text);
        assert_eq!(
            Value::Object(text.clone()),
            json!({"tags": ["a"], "wirebook": {"later": 1}})
        );
        let json = with_format(&text, CellFormat::Json { compact: false });
        assert_eq!(json["tags"], json!(["a"]));
        assert_eq!(json["wirebook"]["later"], 1);
        assert_eq!(
            format_of(&map(
                json!({"wirebook": {"format": {"kind": "smoke-signal"}}})
            )),
            CellFormat::Text
        );
        assert_eq!(format_of(&map(json!({"wirebook": 3}))), CellFormat::Text);
        assert_eq!(
            Value::Object(with_format(&map(json!({"wirebook": 3})), CellFormat::Ping)),
            json!({"wirebook": {"format": {"kind": "ping"}}})
        );
    }

    #[test]
    fn pretty_printing_indents_json_and_leaves_the_rest() {
        assert_eq!(
            pretty_json(r#"{"a":[1,2]}"#).as_deref(),
            Some("{\n  \"a\": [\n    1,\n    2\n  ]\n}")
        );
        assert_eq!(pretty_json("{\"a\": 1"), None);
        assert_eq!(pretty_json("1"), None);
    }
}
