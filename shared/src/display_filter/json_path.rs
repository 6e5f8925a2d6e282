//! Reads the value at a dotted path (`json.payload.tags.0`) out of a JSON text without building
//! the document: serde_json walks the text, this keeps only the one value the path names and
//! skips the rest (`IgnoredAny`), so a filter over 100k payloads allocates nothing for the
//! parts it does not look at. Keys are compared as they come (escaped ones are unescaped by
//! serde_json first).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The value at a path: a leaf as it is, an object or array only as "there".
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Null,
    Bool(bool),
    /// Whole numbers that fit exactly, and every number as a float.
    Number(Option<u64>, f64),
    Text(String),
    Container,
}

/// The value at `path` in `text`; `None` when the text is not JSON or the path leads nowhere.
pub fn find(text: &str, path: &[String]) -> Option<Found> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let found = Seek { path }.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    found
}

struct Seek<'p> {
    path: &'p [String],
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = Option<Found>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = Option<Found>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then_some(Found::Bool(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self
            .path
            .is_empty()
            .then_some(Found::Number(Some(v), v as f64)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self
            .path
            .is_empty()
            .then_some(Found::Number(u64::try_from(v).ok(), v as f64)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then_some(Found::Number(None, v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| Found::Text(v.to_string())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then_some(Found::Null))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(here) = map.next_key_seed(KeyIs(self.path.first()))? {
            if here && found.is_none() {
                found = map.next_value_seed(Seek {
                    path: &self.path[1..],
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(if self.path.is_empty() {
            Some(Found::Container)
        } else {
            found
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let wanted = self
            .path
            .first()
            .and_then(|step| step.parse::<usize>().ok());
        let mut found = None;
        let mut index = 0;
        loop {
            let more = if Some(index) == wanted {
                seq.next_element_seed(Seek {
                    path: &self.path[1..],
                })?
                .map(|value| found = value)
            } else {
                seq.next_element::<IgnoredAny>()?.map(|_| ())
            };
            if more.is_none() {
                break;
            }
            index += 1;
        }
        Ok(if self.path.is_empty() {
            Some(Found::Container)
        } else {
            found
        })
    }
}

/// Whether an object's key is the path's next step.
struct KeyIs<'p>(Option<&'p String>);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(self.0.is_some_and(|step| step == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, path: &str) -> Option<Found> {
        let steps: Vec<String> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('.').map(str::to_string).collect()
        };
        find(text, &steps)
    }

    #[test]
    fn a_path_reaches_one_value_and_skips_the_rest() {
        let doc = r#"{"type":"sub\"scribe","id":-3,"n":7,"f":1.5,"ok":false,"none":null,
            "payload":{"tags":["a",{"deep":[10,20]}]},"k\u0065y":"escaped key"}"#;
        assert_eq!(at(doc, "type"), Some(Found::Text("sub\"scribe".into())));
        assert_eq!(at(doc, "id"), Some(Found::Number(None, -3.0)));
        assert_eq!(at(doc, "n"), Some(Found::Number(Some(7), 7.0)));
        assert_eq!(at(doc, "f"), Some(Found::Number(None, 1.5)));
        assert_eq!(at(doc, "ok"), Some(Found::Bool(false)));
        assert_eq!(at(doc, "none"), Some(Found::Null));
        assert_eq!(at(doc, "payload"), Some(Found::Container));
        assert_eq!(at(doc, "payload.tags.0"), Some(Found::Text("a".into())));
        assert_eq!(
            at(doc, "payload.tags.1.deep.1"),
            Some(Found::Number(Some(20), 20.0))
        );
        assert_eq!(at(doc, "key"), Some(Found::Text("escaped key".into())));
        assert_eq!(at(doc, ""), Some(Found::Container));
        for nowhere in [
            "missing",
            "type.x",
            "payload.tags.2",
            "payload.tags.x",
            "n.0",
        ] {
            assert_eq!(at(doc, nowhere), None, "{nowhere}");
        }
        // Not JSON, or JSON with something after it.
        assert_eq!(at("{\"a\":1", "a"), None);
        assert_eq!(at("{\"a\":1} x", "a"), None);
        assert_eq!(at("hello", "a"), None);
        assert_eq!(at("[1,[2,3]]", "1.0"), Some(Found::Number(Some(2), 2.0)));
    }
}
