//! `-p NAME VALUE`: papermill's parameters for `wirebook run`, filled into a cell's source
//! where it says `{{NAME}}` before it is sent (the notebook written keeps `{{NAME}}`).

use std::collections::BTreeMap;

/// The parameters given, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parameters(BTreeMap<String, String>);

impl Parameters {
    /// From the command line's `-p NAME VALUE` pairs, in order (a name given twice: the last).
    pub fn from_pairs(flat: &[String]) -> Result<Parameters, String> {
        let mut map = BTreeMap::new();
        for pair in flat.chunks(2) {
            let [name, value] = pair else {
                return Err("-p takes a NAME and a VALUE".into());
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "-p {name:?}: a parameter's name is letters, digits and _"
                ));
            }
            map.insert(name.clone(), value.clone());
        }
        Ok(Parameters(map))
    }

    /// `source` with each `{{NAME}}` (spaces inside the braces allowed) replaced by its value;
    /// a name without a value is an error that names it.
    pub fn fill(&self, source: &str) -> Result<String, String> {
        let mut out = String::with_capacity(source.len());
        let mut rest = source;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start + 2..].find("}}") else {
                break;
            };
            let name = rest[start + 2..start + 2 + len].trim();
            let is_name =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            out.push_str(&rest[..start]);
            if is_name {
                let value = self.0.get(name).ok_or_else(|| {
                    format!("{{{{{name}}}}} has no value: give one with -p {name} VALUE")
                })?;
                out.push_str(value);
            } else {
                // `{{` that does not hold a name (JSON, templates of the service) is text.
                out.push_str(&rest[start..start + 2 + len + 2]);
            }
            rest = &rest[start + 2 + len + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

impl Parameters {
    /// Every string in `value` filled as [`Parameters::fill`] fills a source (a cell's
    /// expectations may name a parameter too: `{"text": "^hello {{user}}$"}`).
    pub fn fill_json(&self, value: &serde_json::Value) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        Ok(match value {
            Value::String(text) => Value::String(self.fill(text)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.fill_json(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.fill_json(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[&str]) -> Parameters {
        Parameters::from_pairs(&pairs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn names_in_braces_are_filled_and_missing_ones_named() {
        let p = params(&["user", "ada", "n", "3", "n", "4"]);
        assert_eq!(
            p.fill(r#"{"user":"{{user}}","n":{{ n }}}"#).unwrap(),
            r#"{"user":"ada","n":4}"#
        );
        assert_eq!(p.fill("no braces").unwrap(), "no braces");
        assert_eq!(
            p.fill("{{ not a name! }} and {{").unwrap(),
            "{{ not a name! }} and {{"
        );
        assert_eq!(
            p.fill("{{token}}").unwrap_err(),
            "{{token}} has no value: give one with -p token VALUE"
        );
        assert_eq!(
            p.fill_json(&serde_json::json!({"expect": [{"text": "^{{user}}$"}, {"count": 2}]}))
                .unwrap(),
            serde_json::json!({"expect": [{"text": "^ada$"}, {"count": 2}]})
        );
        assert!(Parameters::from_pairs(&["a-b".into(), "x".into()]).is_err());
        assert!(Parameters::from_pairs(&["odd".into()]).is_err());
    }
}
