//! What a code cell's saved output (read from a `.ipynb`) shows, decided without the DOM.
//!
//! Jupyter picks one representation per output from its mime bundle, richest first, and so
//! does wirebook (JupyterLab's order): HTML (through the allowlist of
//! [`crate::outputs::html_sanitizer`]: no scripts, event handlers or `javascript:` URLs), markdown
//! (through the sanitizing [`crate::outputs::markdown`] renderer), images (SVG, PNG, JPEG, GIF — as
//! `data:` URIs in `<img>`, which never runs scripts), JSON (a tree) and text with its ANSI
//! colours. LaTeX (`text/latex`) is typeset as MathML like markdown's maths. JavaScript is never
//! run: an output that has only that shows its source as text, marked as such. Saved outputs (from a `.ipynb`) and live ones (a Jupyter kernel's
//! iopub messages) go through the same choice.
//!
//! HTML and markdown are the only representations that can name a URL on another host (image
//! outputs are `data:` URIs made here); they leave remote images out unless the output is shown
//! with [`Remote::Allowed`], and say what they left out (see [`crate::outputs::remote_content`]).

use wirebook_shared::ipynb::{IpynbOutput, IpynbOutputKind, MimeBundle, MimeData};
use wirebook_shared::session::WireData;

use crate::outputs::markdown;
use crate::outputs::remote_content::{Remote, SafeHtml};
use crate::outputs::rich_text::RichText;
use wirebook_notebook::ansi::{collapse_carriage_returns, spans, Span};

/// How to show one saved output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A message a kernel sent through wirebook, shown like one that arrives live.
    Wire(WireData),
    /// `stdout`/`stderr` text.
    Stream {
        stderr: bool,
        text: Vec<Span>,
    },
    /// A text representation (`text/plain`, pretty JSON, or source of something not rendered).
    Text {
        text: Vec<Span>,
        /// The mime type it came from.
        mime: String,
        /// Set when this is the source of a type wirebook does not render (`text/html`).
        note: Option<String>,
    },
    Image {
        src: String,
        mime: String,
    },
    /// Sanitized HTML from `text/markdown`.
    Markdown(SafeHtml),
    /// Sanitized HTML from `text/html`.
    Html(SafeHtml),
    /// HTML, markdown or LaTeX, shown once the renderers' chunk has come
    /// ([`crate::outputs::rich_text`]).
    Rendering,
    /// A JSON representation (`application/json`, `application/*+json`), pretty-printed; the
    /// view shows objects and arrays as a tree.
    Json {
        mime: String,
        text: String,
    },
    /// An exception: its traceback (with colours), or `ename: evalue` without one.
    Error {
        text: Vec<Span>,
    },
    /// Nothing wirebook can show (e.g. only `application/vnd.*` types).
    Unsupported {
        mimes: Vec<String>,
    },
}

/// The `Out[n]` count of an `execute_result`, which Jupyter shows beside it.
pub fn execution_count(output: &IpynbOutput) -> Option<u32> {
    match &output.kind {
        IpynbOutputKind::ExecuteResult {
            execution_count, ..
        } => *execution_count,
        _ => None,
    }
}

/// How to show `output`, loading remote images only when `remote` allows them, with `rich`'s
/// renderers if they have come.
pub fn show(output: &IpynbOutput, remote: Remote, rich: Option<RichText>) -> Shown {
    if let Some(wire) = output.wire_data() {
        return Shown::Wire(wire);
    }
    match &output.kind {
        IpynbOutputKind::Stream { name, text } => Shown::Stream {
            stderr: name == "stderr",
            text: spans(&collapse_carriage_returns(text)),
        },
        IpynbOutputKind::DisplayData { data, .. } | IpynbOutputKind::ExecuteResult { data, .. } => {
            show_bundle(data, remote, rich)
        }
        IpynbOutputKind::Error {
            ename,
            evalue,
            traceback,
        } => {
            let text = if traceback.is_empty() {
                format!("{ename}: {evalue}")
            } else {
                traceback.join("\n")
            };
            Shown::Error { text: spans(&text) }
        }
    }
}

/// Image types shown as `<img>`, in JupyterLab's order of preference.
const IMAGES: [&str; 4] = ["image/svg+xml", "image/png", "image/jpeg", "image/gif"];

fn show_bundle(data: &MimeBundle, remote: Remote, rich: Option<RichText>) -> Shown {
    if let Some(html) = data.get("text/html").and_then(MimeData::as_text) {
        return rich.map_or(Shown::Rendering, |r| Shown::Html((r.html)(html, remote)));
    }
    // `text/latex` (`$\displaystyle x^{2}$` from SymPy and the like) is maths in markdown's
    // delimiters, which JupyterLab typesets where it finds them, as the markdown renderer does.
    let markdown = data.get("text/markdown").and_then(MimeData::as_text);
    if let Some(md) = markdown.or_else(|| data.get("text/latex").and_then(MimeData::as_text)) {
        return rich.map_or(Shown::Rendering, |r| {
            Shown::Markdown((r.markdown)(md, None, remote))
        });
    }
    for mime in IMAGES {
        if let Some(src) = data
            .get(mime)
            .and_then(MimeData::as_text)
            .and_then(|d| markdown::image_data_uri(mime, d))
        {
            return Shown::Image {
                src,
                mime: mime.to_string(),
            };
        }
    }
    if let Some((mime, MimeData::Json(value))) = data
        .iter()
        .find(|(mime, _)| wirebook_shared::ipynb::is_json_mime(mime))
    {
        return Shown::Json {
            mime: mime.clone(),
            text: serde_json::to_string_pretty(value).unwrap_or_default(),
        };
    }
    if let Some(plain) = data.get("text/plain").and_then(MimeData::as_text) {
        return text("text/plain", plain, None);
    }
    for (mime, why) in [(
        "application/javascript",
        "JavaScript output, shown as source: wirebook does not run it",
    )] {
        if let Some(source) = data.get(mime).and_then(MimeData::as_text) {
            return text(mime, source, Some(why.to_string()));
        }
    }
    Shown::Unsupported {
        mimes: data.keys().cloned().collect(),
    }
}

fn text(mime: &str, text: &str, note: Option<String>) -> Shown {
    Shown::Text {
        text: spans(text),
        mime: mime.to_string(),
        note,
    }
}

/// Hex digits (two a byte, as the session carries binary) as rows of 16 bytes separated by
/// spaces, the way hex editors show them.
pub fn hex_rows(hex: &str) -> String {
    let bytes: Vec<&str> = hex
        .as_bytes()
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).unwrap_or("??"))
        .collect();
    bytes
        .chunks(16)
        .map(|row| row.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_is_shown_as_rows_of_sixteen_bytes() {
        assert_eq!(hex_rows("0aff"), "0a ff");
        assert_eq!(hex_rows(""), "");
        let long = "00".repeat(17);
        assert_eq!(hex_rows(&long), format!("{}\n00", ["00"; 16].join(" ")));
    }
    use wirebook_notebook::ansi::Color;
    use wirebook_shared::ipynb::JsonMap;

    fn show_blocked(output: &IpynbOutput) -> Shown {
        show(output, Remote::Blocked, Some(RichText::here()))
    }

    #[test]
    fn html_markdown_and_latex_wait_for_their_renderers() {
        for mime in ["text/html", "text/markdown", "text/latex"] {
            let out = bundle(&[(mime, t("<b>x</b>")), ("text/plain", t("x"))]);
            assert_eq!(
                show(&out, Remote::Blocked, None),
                Shown::Rendering,
                "{mime}"
            );
        }
        // What needs no renderer is shown at once.
        let plain = bundle(&[("text/plain", t("x"))]);
        assert!(matches!(
            show(&plain, Remote::Blocked, None),
            Shown::Text { .. }
        ));
    }

    fn bundle(items: &[(&str, MimeData)]) -> IpynbOutput {
        IpynbOutput::new(IpynbOutputKind::DisplayData {
            data: items
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            metadata: JsonMap::new(),
        })
    }

    fn t(s: &str) -> MimeData {
        MimeData::Text(s.into())
    }

    fn joined(spans: &[Span]) -> String {
        spans.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn streams_keep_their_name_and_collapse_progress_lines() {
        let out = IpynbOutput::new(IpynbOutputKind::Stream {
            name: "stderr".into(),
            text: "1/3\r3/3\nwarn".into(),
        });
        let Shown::Stream { stderr, text } = show_blocked(&out) else {
            panic!()
        };
        assert!(stderr);
        assert_eq!(joined(&text), "3/3\nwarn");
    }

    #[test]
    fn images_win_over_text_and_bad_base64_falls_back() {
        let out = bundle(&[
            ("image/png", t("iVBO\nRw==")),
            ("text/plain", t("<Figure>")),
        ]);
        assert_eq!(
            show_blocked(&out),
            Shown::Image {
                src: "data:image/png;base64,iVBORw==".into(),
                mime: "image/png".into()
            }
        );
        let out = bundle(&[("image/jpeg", t("%%%")), ("text/plain", t("<Figure>"))]);
        assert!(matches!(show_blocked(&out), Shown::Text { mime, .. } if mime == "text/plain"));
    }

    // `text/html` goes through the browser's DOMParser: this runs in Chromium (`make unit`).
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test, ignore = "runs in the browser")]
    fn html_is_rendered_sanitized_and_javascript_never_runs() {
        let out = bundle(&[
            (
                "text/html",
                t("<b onclick=\"x()\">x</b><script>alert(1)</script>"),
            ),
            ("text/plain", t("x")),
        ]);
        assert_eq!(
            show_blocked(&out),
            Shown::Html(SafeHtml {
                html: "<b>x</b>".into(),
                blocked: Default::default()
            })
        );
        let js = bundle(&[("application/javascript", t("alert(1)"))]);
        let Shown::Text { text, mime, note } = show_blocked(&js) else {
            panic!()
        };
        assert_eq!(mime, "application/javascript");
        assert!(note.unwrap().contains("does not run it"));
        assert_eq!(joined(&text), "alert(1)");
    }

    #[test]
    fn svg_is_only_ever_an_image() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script></svg>";
        let out = bundle(&[("image/svg+xml", t(svg)), ("text/plain", t("<Figure>"))]);
        let Shown::Image { src, mime } = show_blocked(&out) else {
            panic!()
        };
        assert_eq!(mime, "image/svg+xml");
        // A base64 data URI in <img>: the markup cannot reach the page, and images run no
        // scripts.
        assert!(src.starts_with("data:image/svg+xml;base64,"));
        assert!(!src.contains('<') && !src.contains('"'));
    }

    // Markdown's raw HTML goes through the browser's DOMParser: this runs in Chromium.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test, ignore = "runs in the browser")]
    fn markdown_is_rendered_with_its_html_sanitized() {
        let out = bundle(&[
            ("text/markdown", t("**b** <i>x</i><script>y</script> $x^2$")),
            ("text/plain", t("<IPython.core.display.Markdown object>")),
        ]);
        assert_eq!(
            show_blocked(&out),
            Shown::Markdown(SafeHtml {
                html: "<p><strong>b</strong> <i>x</i> <math display=\"inline\">\
                       <msup><mi>x</mi><mn>2</mn></msup></math></p>\n"
                    .into(),
                blocked: Default::default()
            })
        );
    }

    // Through the markdown renderer, which needs the browser's DOMParser.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test, ignore = "runs in the browser")]
    fn latex_is_typeset_before_images_and_text() {
        let out = bundle(&[
            ("text/latex", t("$\\displaystyle x^{2}$")),
            ("image/png", t("iVBORw==")),
            ("text/plain", t("x**2")),
        ]);
        let Shown::Markdown(html) = show_blocked(&out) else {
            panic!("{:?}", show_blocked(&out))
        };
        assert!(
            html.html.contains("<math display=\"inline\">"),
            "{}",
            html.html
        );
        assert!(html.html.contains("<msup "), "{}", html.html);
        assert!(!html.html.contains("merror"), "{}", html.html);
    }

    #[test]
    fn json_and_unsupported() {
        let out = bundle(&[
            (
                "application/json",
                MimeData::Json(serde_json::json!({"a": 1})),
            ),
            ("text/plain", t("{'a': 1}")),
        ]);
        assert_eq!(
            show_blocked(&out),
            Shown::Json {
                mime: "application/json".into(),
                text: "{\n  \"a\": 1\n}".into()
            }
        );
        let out = bundle(&[("application/vnd.x", t("?"))]);
        assert_eq!(
            show_blocked(&out),
            Shown::Unsupported {
                mimes: vec!["application/vnd.x".into()]
            }
        );
    }

    #[test]
    fn errors_show_the_coloured_traceback() {
        let out = IpynbOutput::new(IpynbOutputKind::Error {
            ename: "ZeroDivisionError".into(),
            evalue: "division by zero".into(),
            traceback: vec![
                "\u{1b}[0;31m----\u{1b}[0m".into(),
                "\u{1b}[0;31mZeroDivisionError\u{1b}[0m: division by zero".into(),
            ],
        });
        let Shown::Error { text } = show_blocked(&out) else {
            panic!()
        };
        assert_eq!(joined(&text), "----\nZeroDivisionError: division by zero");
        assert_eq!(text[0].style.fg, Some(Color::Named(1)));
        let bare = IpynbOutput::new(IpynbOutputKind::Error {
            ename: "E".into(),
            evalue: "v".into(),
            traceback: vec![],
        });
        assert!(matches!(show_blocked(&bare), Shown::Error { text } if joined(&text) == "E: v"));
    }

    #[test]
    fn wire_messages_come_back_as_wire_data_and_counts_are_read() {
        let wire = WireData::Text { text: "hi".into() };
        assert_eq!(
            show_blocked(&IpynbOutput::from_wire(&wire)),
            Shown::Wire(wire)
        );
        let result = IpynbOutput::new(IpynbOutputKind::ExecuteResult {
            execution_count: Some(4),
            data: MimeBundle::new(),
            metadata: JsonMap::new(),
        });
        assert_eq!(execution_count(&result), Some(4));
        assert_eq!(show_blocked(&result), Shown::Unsupported { mimes: vec![] });
    }

    // `text/html` goes through the browser's DOMParser: this runs in Chromium (`make unit`).
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test, ignore = "runs in the browser")]
    fn remote_images_in_html_and_markdown_wait_for_allowed() {
        for out in [
            bundle(&[
                (
                    "text/html",
                    t("<img src=\"https://tracker.example/p.png\">"),
                ),
                ("text/plain", t("<IPython.core.display.Image object>")),
            ]),
            bundle(&[("text/markdown", t("![p](https://tracker.example/p.png)"))]),
        ] {
            let (Shown::Html(blocked) | Shown::Markdown(blocked)) =
                show(&out, Remote::Blocked, Some(RichText::here()))
            else {
                panic!()
            };
            assert_eq!(blocked.blocked.hosts(), ["tracker.example"]);
            assert!(!blocked.html.contains("<img"), "{}", blocked.html);
            let (Shown::Html(allowed) | Shown::Markdown(allowed)) =
                show(&out, Remote::Allowed, Some(RichText::here()))
            else {
                panic!()
            };
            assert!(allowed.blocked.is_empty());
            assert!(
                allowed
                    .html
                    .contains("src=\"https://tracker.example/p.png\""),
                "{}",
                allowed.html
            );
        }
    }
}
