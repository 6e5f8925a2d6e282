//! The JUnit XML report of a `wirebook run` (`--junit FILE`), as CI systems read it (GitLab,
//! Jenkins, GitHub's test reporters): one `<testsuite>` for the notebook, one `<testcase>` per
//! code cell, a `<failure>` for a cell whose run failed or whose expectations did not hold.
//! Written by hand: it is five elements and their escaping, which a crate (quick-junit brings
//! quick-xml, uuid and more) would not make simpler.

use std::fmt::Write;

/// One cell's result for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `cell 3 (id)`.
    pub name: String,
    pub seconds: f64,
    /// What failed, when it did: a one-line message and the details.
    pub failure: Option<(String, String)>,
}

/// The report of the notebook named `suite`.
pub fn report(suite: &str, cases: &[Case]) -> String {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let seconds: f64 = cases.iter().map(|c| c.seconds).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"wirebook run\" tests=\"{}\" failures=\"{failures}\" time=\"{seconds:.3}\">",
        cases.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">",
        escape(suite),
        cases.len()
    );
    for case in cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(suite),
            escape(&case.name),
            case.seconds
        );
        match &case.failure {
            None => out.push_str("/>\n"),
            Some((message, details)) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escape(message),
                    escape(details)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Text for an attribute or element: the five XML escapes, and characters XML 1.0 cannot
/// hold (control characters from a peer) as U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_and_failures_are_escaped_elements() {
        let xml = report(
            "api <v2>.ipynb",
            &[
                Case {
                    name: "cell 1 (a)".into(),
                    seconds: 0.25,
                    failure: None,
                },
                Case {
                    name: "cell 2 (b)".into(),
                    seconds: 1.0,
                    failure: Some(("expected close 1000".into(), "saw \"x\" & \u{1}".into())),
                },
            ],
        );
        assert!(xml.contains(r#"<testsuite name="api &lt;v2&gt;.ipynb" tests="2" failures="1" errors="0" time="1.250">"#), "{xml}");
        assert!(xml.contains(
            r#"<testcase classname="api &lt;v2&gt;.ipynb" name="cell 1 (a)" time="0.250"/>"#
        ));
        assert!(xml.contains(
            "<failure message=\"expected close 1000\">saw &quot;x&quot; &amp; \u{fffd}</failure>"
        ));
        assert!(xml.ends_with("</testsuites>\n"));
    }
}
