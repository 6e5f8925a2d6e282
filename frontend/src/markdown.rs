//! Markdown cells as HTML that is safe to put into the page.
//!
//! A notebook comes from anywhere (a colleague, a bug report, the internet), so its markdown is
//! untrusted: [`render`] turns CommonMark (plus the GitHub extensions Jupyter users write:
//! tables, strikethrough, task lists, and `$…$` maths kept as text) into HTML in which
//!
//! - raw HTML from the source is shown as text, never interpreted (so no `<script>`, no `on…=`
//!   handlers, no `<iframe>`); HTML comments are left out, as Jupyter shows them;
//! - link targets are `http:`, `https:`, `mailto:` or relative; anything else (`javascript:`,
//!   `data:`, `vbscript:`, …) loses its link and keeps its text. Links open in a new tab, so
//!   following one never leaves the notebook;
//! - image sources are `http:`, `https:`, relative, raster/SVG `data:image/…` URIs, or
//!   `attachment:NAME`, resolved from the cell's attachments into a `data:` URI. An image
//!   whose source is refused shows its alt text.
//!
//! Everything else is escaped by pulldown-cmark's HTML writer.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use wirebook_shared::ipynb::Attachments;

/// Image types an `<img>` may show from a `data:` URI or an attachment. Browsers never run
/// scripts inside an SVG shown by `<img>`.
const IMAGE_TYPES: [&str; 6] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/svg+xml",
];

/// The source of a markdown cell as sanitized HTML. `attachments` are the cell's own.
pub fn render(source: &str, attachments: Option<&Attachments>) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_FOOTNOTES;
    let mut sanitizer = Sanitizer {
        attachments,
        links: Vec::new(),
        images: Vec::new(),
    };
    let events = Parser::new_ext(source, options).filter_map(|event| sanitizer.event(event));
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

struct Sanitizer<'a> {
    attachments: Option<&'a Attachments>,
    /// For each open link: whether its tags were written (a refused link keeps only its text).
    links: Vec<bool>,
    /// For each open image: whether it is shown (a refused image shows its alt text instead).
    images: Vec<bool>,
}

impl<'a> Sanitizer<'a> {
    fn event<'e>(&mut self, event: Event<'e>) -> Option<Event<'e>> {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                if is_comment(&html) {
                    None
                } else {
                    // Shown as written: the HTML writer escapes text.
                    Some(Event::Text(html))
                }
            }
            Event::Start(Tag::Link {
                dest_url, title, ..
            }) => {
                // Inside an image the link is only alt text; a link there would end up as
                // escaped markup in the `alt` attribute.
                let shown = self.images.is_empty() && safe_link(&dest_url);
                self.links.push(shown);
                shown.then(|| Event::InlineHtml(link_start(&dest_url, &title).into()))
            }
            Event::End(TagEnd::Link) => self
                .links
                .pop()
                .unwrap_or(false)
                .then(|| Event::InlineHtml("</a>".into())),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let source = self.image_source(&dest_url);
                self.images.push(source.is_some());
                source.map(|dest_url| {
                    Event::Start(Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })
                })
            }
            Event::End(TagEnd::Image) => {
                if self.images.pop().unwrap_or(false) {
                    Some(Event::End(TagEnd::Image))
                } else {
                    None
                }
            }
            other => Some(other),
        }
    }

    /// What an image may load, or `None` to show its alt text instead.
    fn image_source<'e>(&self, url: &CowStr<'e>) -> Option<CowStr<'e>> {
        if let Some(name) = url.strip_prefix("attachment:") {
            return self.attachment(name).map(CowStr::from);
        }
        match scheme(url).as_deref() {
            None | Some("http" | "https") => Some(url.clone()),
            Some("data") => data_image(url).then(|| url.clone()),
            Some(_) => None,
        }
    }

    /// The attachment `name` as a `data:` URI, when it is an image.
    fn attachment(&self, name: &str) -> Option<String> {
        let name = wirebook_shared::notebook_files::decode_path(name)?;
        let bundle = self.attachments?.get(&name)?;
        IMAGE_TYPES.iter().find_map(|mime| {
            let data = bundle.get(*mime)?.as_text()?;
            image_data_uri(mime, data)
        })
    }
}

/// A `data:` URI for an image as the `.ipynb` stores it: base64 (possibly with line breaks),
/// or for SVG (a text type to nbformat) the markup itself. `None` when the base64 is not base64.
pub fn image_data_uri(mime: &str, data: &str) -> Option<String> {
    use base64::Engine;
    if mime == "image/svg+xml" {
        // Encoded, so that no character of the markup can end the attribute early.
        let encoded = base64::engine::general_purpose::STANDARD.encode(data.as_bytes());
        return Some(format!("data:{mime};base64,{encoded}"));
    }
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let valid = !compact.is_empty()
        && compact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    valid.then(|| format!("data:{mime};base64,{compact}"))
}

fn is_comment(html: &str) -> bool {
    let html = html.trim();
    html.starts_with("<!--") && html.ends_with("-->")
}

/// A URL's scheme, lower-cased, after removing what browsers ignore inside one (ASCII
/// whitespace and control characters: `java\tscript:` is `javascript:` to a browser).
/// `None` for a relative URL.
fn scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .chars()
        .filter(|c| !(c.is_ascii_whitespace() || c.is_ascii_control()))
        .collect();
    let end = cleaned.find([':', '/', '?', '#'])?;
    if cleaned.as_bytes()[end] != b':' {
        return None;
    }
    Some(cleaned[..end].to_ascii_lowercase())
}

fn safe_link(url: &str) -> bool {
    matches!(
        scheme(url).as_deref(),
        None | Some("http" | "https" | "mailto")
    )
}

/// A `data:` URI of an image type `<img>` can show without running anything.
fn data_image(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    IMAGE_TYPES.iter().any(|mime| {
        lower
            .strip_prefix("data:")
            .and_then(|rest| rest.strip_prefix(mime))
            .is_some_and(|rest| rest.starts_with([';', ',']))
    })
}

fn link_start(url: &str, title: &str) -> String {
    let mut html = format!(
        "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\"",
        escape_attribute(url)
    );
    if !title.is_empty() {
        html.push_str(&format!(" title=\"{}\"", escape_attribute(title)));
    }
    html.push('>');
    html
}

/// Escapes text for a double-quoted attribute value.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::ipynb::{MimeBundle, MimeData};

    fn md(source: &str) -> String {
        render(source, None)
    }

    /// Checks every tag of a rendering (text `<` is escaped, so each `<` starts a tag the
    /// renderer wrote): only elements and attributes markdown produces, and only safe URLs.
    fn assert_inert(html: &str) {
        const ELEMENTS: [&str; 37] = [
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "em",
            "strong",
            "code",
            "pre",
            "a",
            "img",
            "ul",
            "ol",
            "li",
            "blockquote",
            "hr",
            "br",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "del",
            "input",
            "span",
            "div",
            "sup",
            "sub",
            "dl",
            "dt",
            "dd",
            "section",
            "footer",
            "s",
        ];
        const ATTRIBUTES: [&str; 11] = [
            "href", "src", "alt", "title", "target", "rel", "class", "type", "disabled", "checked",
            "style",
        ];
        for tag in html.split('<').skip(1) {
            let tag = &tag[..tag
                .find('>')
                .unwrap_or_else(|| panic!("unclosed tag in {html}"))];
            let tag = tag.trim_start_matches('/').trim_end_matches('/');
            let mut parts = tag.split_whitespace();
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            assert!(ELEMENTS.contains(&name.as_str()), "<{name}> in {html}");
            // Attribute values are quoted and escaped: split on `="…"`.
            let rest = tag[name.len()..].to_string();
            let mut rest = rest.as_str();
            while let Some(eq) = rest.find('=') {
                let attribute = rest[..eq].trim().to_ascii_lowercase();
                assert!(
                    ATTRIBUTES.contains(&attribute.as_str()),
                    "{attribute} in {html}"
                );
                let value_start = eq + 2;
                let value_end = value_start + rest[value_start..].find('"').unwrap();
                let value = rest[value_start..value_end].to_ascii_lowercase();
                if attribute == "href" {
                    assert!(safe_link(&value), "href {value} in {html}");
                }
                if attribute == "src" {
                    assert!(
                        value.starts_with("https:") || value.starts_with("data:image/"),
                        "src {value} in {html}"
                    );
                }
                if attribute == "style" {
                    assert!(value.starts_with("text-align:"), "style {value} in {html}");
                }
                rest = &rest[value_end + 1..];
            }
        }
    }

    #[test]
    fn commonmark_and_extensions_render() {
        assert_eq!(md("# Title"), "<h1>Title</h1>\n");
        assert_eq!(
            md("some *em* and **strong** `code`"),
            "<p>some <em>em</em> and <strong>strong</strong> <code>code</code></p>\n"
        );
        let table = md("| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(
            table.contains("<table>") && table.contains("<td>2</td>"),
            "{table}"
        );
        assert!(md("~~gone~~").contains("<del>gone</del>"));
        assert!(md("- [x] done").contains("checkbox"));
        assert_eq!(
            md("```python\nprint(1 < 2)\n```"),
            "<pre><code class=\"language-python\">print(1 &lt; 2)\n</code></pre>\n"
        );
        assert!(md("$e^{i\\pi}$").contains("<span class=\"math math-inline\">e^{i\\pi}</span>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = md("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> there");
        assert_inert(&html);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("hi &lt;img src=x onerror=alert(1)&gt; there"),
            "{html}"
        );
        let block = md("<div onclick=\"x()\">\n<iframe src=\"https://evil\"></iframe>\n</div>");
        assert_inert(&block);
        assert!(block.contains("&lt;iframe"), "{block}");
    }

    #[test]
    fn html_comments_are_left_out() {
        assert_eq!(md("<!-- note to self -->\n\ntext"), "<p>text</p>\n");
    }

    #[test]
    fn only_safe_links_keep_their_target() {
        let html = md("[ok](https://example.com/a?b=1&c=\"2\" \"the title\")");
        assert_eq!(
            html,
            "<p><a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\" target=\"_blank\" \
             rel=\"noopener noreferrer\" title=\"the title\">ok</a></p>\n"
        );
        assert!(md("[rel](other.ipynb#x)").contains("href=\"other.ipynb#x\""));
        assert!(md("<mailto:me@example.com>").contains("href=\"mailto:me@example.com\""));
        for evil in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](<java\tscript:alert(1)>)",
            "[x](vbscript:msgbox)",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<javascript:alert(1)>",
            "[x][r]\n\n[r]: javascript:alert(1)",
        ] {
            let html = md(evil);
            assert_inert(&html);
            assert!(!html.contains("<a"), "{evil}: {html}");
        }
        // The refused link keeps its text.
        assert_eq!(md("[click me](javascript:x)"), "<p>click me</p>\n");
    }

    #[test]
    fn images_load_only_from_safe_sources() {
        assert!(md("![a](https://example.com/a.png)")
            .contains("<img src=\"https://example.com/a.png\" alt=\"a\" />"));
        assert!(
            md("![a](data:image/png;base64,iVBO)").contains("src=\"data:image/png;base64,iVBO\"")
        );
        for evil in [
            "![alt text](javascript:alert(1))",
            "![alt text](data:text/html,<script>alert(1)</script>)",
            "![alt text](data:image/svg)",
        ] {
            let html = md(evil);
            assert_inert(&html);
            assert!(!html.contains("<img"), "{evil}: {html}");
            assert!(html.contains("alt text"), "{evil}: {html}");
        }
    }

    #[test]
    fn a_link_inside_an_image_is_only_alt_text() {
        let html = md("![see [docs](https://x.org)](https://x.org/i.png)");
        assert!(html.contains("alt=\"see docs\""), "{html}");
        assert!(!html.contains("&lt;a"), "{html}");
    }

    fn attachments() -> Attachments {
        let mut png = MimeBundle::new();
        png.insert(
            "image/png".into(),
            MimeData::Text("iVBORw0K\nGgo=\n".into()),
        );
        let mut svg = MimeBundle::new();
        svg.insert(
            "image/svg+xml".into(),
            MimeData::Text("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".into()),
        );
        let mut text = MimeBundle::new();
        text.insert("text/plain".into(), MimeData::Text("hi".into()));
        let mut bad = MimeBundle::new();
        bad.insert("image/png".into(), MimeData::Text("\"><script>".into()));
        let mut all = Attachments::new();
        all.insert("dot.png".into(), png);
        all.insert("my pic.svg".into(), svg);
        all.insert("notes.txt".into(), text);
        all.insert("bad.png".into(), bad);
        all
    }

    #[test]
    fn attachments_become_data_uris() {
        let attachments = attachments();
        let html = render("![dot](attachment:dot.png)", Some(&attachments));
        assert_eq!(
            html,
            "<p><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\" /></p>\n"
        );
        let svg = render("![v](attachment:my%20pic.svg)", Some(&attachments));
        assert!(
            svg.contains("src=\"data:image/svg+xml;base64,PHN2Zy"),
            "{svg}"
        );
        assert_inert(&svg);
        for missing in [
            "![gone](attachment:nope.png)",
            "![txt](attachment:notes.txt)",
            "![bad](attachment:bad.png)",
        ] {
            let html = render(missing, Some(&attachments));
            assert!(!html.contains("<img"), "{missing}: {html}");
            assert_inert(&html);
        }
        assert!(
            !md("![x](attachment:dot.png)").contains("<img"),
            "no attachments"
        );
    }

    #[test]
    fn data_uris_for_images() {
        assert_eq!(
            image_data_uri("image/png", "iVBO\nRw==\n").as_deref(),
            Some("data:image/png;base64,iVBORw==")
        );
        assert_eq!(image_data_uri("image/png", "not base64!"), None);
        assert_eq!(image_data_uri("image/png", ""), None);
        let svg = image_data_uri("image/svg+xml", "<svg/>").unwrap();
        assert_eq!(svg, "data:image/svg+xml;base64,PHN2Zy8+");
    }
}
