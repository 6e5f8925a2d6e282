//! Today's replies against yesterday's: the differences between two lists of replies (the
//! outputs a notebook saved, and a new run's), JSON-aware, with fields to ignore (timestamps,
//! ids), for `wirebook run --compare`.
//!
//! Replies are paired in order. Two JSON replies are compared value by value, each difference
//! named by its path (`$.data.price`, `$.items[2]`); other replies as text. A field to ignore
//! is a key (`ts`: that key at any depth) or a path from the root (`data.ts`, `$.data.ts`).

use serde_json::Value;

/// The most differences one comparison reports (the rest are counted).
pub const MAX_DIFFERENCES: usize = 50;

/// One difference: which reply (from 1), where in it (`$` for the whole), before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub reply: usize,
    pub path: String,
    pub before: String,
    pub after: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reply {} {}: {} → {}",
            self.reply, self.path, self.before, self.after
        )
    }
}

/// What differs between `before` and `after`, at most [`MAX_DIFFERENCES`], and how many
/// there were in all.
pub fn diff(before: &[String], after: &[String], ignore: &[String]) -> (Vec<Difference>, usize) {
    let ignore: Vec<Vec<&str>> = ignore
        .iter()
        .map(|field| {
            let field = field.trim();
            let path = field.strip_prefix("$.").unwrap_or(field);
            path.split('.').filter(|s| !s.is_empty()).collect()
        })
        .filter(|steps: &Vec<&str>| !steps.is_empty())
        .collect();
    let mut found = Differences::default();
    for i in 0..before.len().max(after.len()) {
        let reply = i + 1;
        match (before.get(i), after.get(i)) {
            (Some(b), Some(a)) => {
                match (
                    serde_json::from_str::<Value>(b),
                    serde_json::from_str::<Value>(a),
                ) {
                    (Ok(bv), Ok(av)) if bv.is_object() || bv.is_array() => {
                        compare(reply, &mut vec![], &bv, &av, &ignore, &mut found)
                    }
                    _ if a != b => found.push(reply, "$".into(), show_text(b), show_text(a)),
                    _ => {}
                }
            }
            (Some(b), None) => found.push(reply, "$".into(), show_text(b), "(no reply)".into()),
            (None, Some(a)) => found.push(reply, "$".into(), "(no reply)".into(), show_text(a)),
            (None, None) => {}
        }
    }
    (found.list, found.total)
}

#[derive(Default)]
struct Differences {
    list: Vec<Difference>,
    total: usize,
}

impl Differences {
    fn push(&mut self, reply: usize, path: String, before: String, after: String) {
        self.total += 1;
        if self.list.len() < MAX_DIFFERENCES {
            self.list.push(Difference {
                reply,
                path,
                before,
                after,
            });
        }
    }
}

fn ignored(path: &[String], ignore: &[Vec<&str>]) -> bool {
    let Some(last) = path.last() else {
        return false;
    };
    ignore.iter().any(|steps| match steps.as_slice() {
        [key] => key == last,
        steps => steps.len() == path.len() && steps.iter().zip(path).all(|(s, p)| s == p),
    })
}

fn show_path(path: &[String]) -> String {
    let mut out = String::from("$");
    for step in path {
        if step.parse::<usize>().is_ok() {
            out.push_str(&format!("[{step}]"));
        } else {
            out.push('.');
            out.push_str(step);
        }
    }
    out
}

fn compare(
    reply: usize,
    path: &mut Vec<String>,
    before: &Value,
    after: &Value,
    ignore: &[Vec<&str>],
    found: &mut Differences,
) {
    if ignored(path, ignore) {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                path.push(key.clone());
                match (b.get(key), a.get(key)) {
                    (Some(bv), Some(av)) => compare(reply, path, bv, av, ignore, found),
                    (Some(bv), None) if !ignored(path, ignore) => {
                        found.push(reply, show_path(path), show(bv), "(absent)".into())
                    }
                    (None, Some(av)) if !ignored(path, ignore) => {
                        found.push(reply, show_path(path), "(absent)".into(), show(av))
                    }
                    _ => {}
                }
                path.pop();
            }
        }
        (Value::Array(b), Value::Array(a)) => {
            for i in 0..b.len().max(a.len()) {
                path.push(i.to_string());
                match (b.get(i), a.get(i)) {
                    (Some(bv), Some(av)) => compare(reply, path, bv, av, ignore, found),
                    (Some(bv), None) => {
                        found.push(reply, show_path(path), show(bv), "(absent)".into())
                    }
                    (None, Some(av)) => {
                        found.push(reply, show_path(path), "(absent)".into(), show(av))
                    }
                    (None, None) => {}
                }
                path.pop();
            }
        }
        (Value::Number(b), Value::Number(a)) if b.as_f64() == a.as_f64() => {}
        _ if before == after => {}
        _ => found.push(reply, show_path(path), show(before), show(after)),
    }
}

fn show(value: &Value) -> String {
    show_text(&value.to_string())
}

fn show_text(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn json_replies_differ_by_path_and_ignored_fields_do_not_count() {
        let before = texts(&[
            r#"{"type":"quote","price":3,"ts":100,"data":{"ts":1,"items":[1,2]}}"#,
            "plain",
        ]);
        let after = texts(&[
            r#"{"type":"quote","price":4,"ts":200,"data":{"ts":2,"items":[1,2,3]},"new":true}"#,
            "plain",
        ]);
        let (found, total) = diff(&before, &after, &[]);
        let shown: Vec<String> = found.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            shown,
            [
                "reply 1 $.data.items[2]: (absent) → 3",
                "reply 1 $.data.ts: 1 → 2",
                "reply 1 $.new: (absent) → true",
                "reply 1 $.price: 3 → 4",
                "reply 1 $.ts: 100 → 200",
            ]
        );
        assert_eq!(total, 5);
        // A key ignores it everywhere; a path only there.
        let (found, _) = diff(&before, &after, &texts(&["ts", "$.new", "data.items"]));
        let shown: Vec<String> = found.iter().map(|d| d.to_string()).collect();
        assert_eq!(shown, ["reply 1 $.price: 3 → 4"]);
    }

    #[test]
    fn text_replies_and_missing_ones() {
        let (found, _) = diff(&texts(&["a", "b"]), &texts(&["a", "c", "d"]), &[]);
        let shown: Vec<String> = found.iter().map(|d| d.to_string()).collect();
        assert_eq!(shown, ["reply 2 $: b → c", "reply 3 $: (no reply) → d"]);
        assert!(diff(&texts(&["1.0"]), &texts(&["1.0"]), &[]).0.is_empty());
        assert_eq!(
            diff(&texts(&["{\"n\":1.0}"]), &texts(&["{\"n\":1}"]), &[]).1,
            0
        );
        let many: Vec<String> = (0..200).map(|i| i.to_string()).collect();
        let (found, total) = diff(&many, &[], &[]);
        assert_eq!((found.len(), total), (MAX_DIFFERENCES, 200));
    }
}
