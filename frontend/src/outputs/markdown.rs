//! Markdown cells and `text/markdown` outputs as HTML that is safe to put into the page, as
//! Jupyter renders them: CommonMark plus the GitHub extensions Jupyter users write (tables,
//! strikethrough, task lists, footnotes), maths, and the author's raw HTML, sanitized.
//!
//! A notebook comes from anywhere (a colleague, a bug report, the internet), so its markdown is
//! untrusted. Rendering is two steps:
//!
//! 1. [`markup`] (pure, tested on the host) turns the source into HTML: `$…$` and `$$…$$`
//!    become MathML (pulldown-latex; the browser lays it out, nothing runs); raw HTML is passed
//!    on as written, HTML comments left out; link targets are `http:`, `https:`, `mailto:` or
//!    relative (anything else loses its link and keeps its text) and open in a new tab; image
//!    sources are `http:`, `https:`, relative, raster/SVG `data:image/…` URIs, or
//!    `attachment:NAME`, resolved from the cell's attachments into a `data:` URI (an image
//!    whose source is refused shows its alt text); an image on another host (see
//!    [`crate::outputs::remote_content`]) is, unless told [`Remote::Allowed`], a placeholder
//!    with its alt text that loads nothing, counted in [`SafeHtml::blocked`], as mail clients
//!    hold back remote images.
//! 2. [`render`] puts the whole of it through [`html_sanitizer`] — the allowlist kernel HTML
//!    goes through, the browser's own parser — as JupyterLab sanitizes rendered markdown: no
//!    `<script>`, no `on…=` handlers, no `<iframe>`, no `javascript:`, whatever the raw HTML
//!    says, and its remote images held back too.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use pulldown_latex::config::DisplayMode;
use wirebook_shared::ipynb::Attachments;

use crate::outputs::html_sanitizer;

use crate::outputs::remote_content::{
    blocked_image_title, remote_host, BlockedImages, Remote, SafeHtml, BLOCKED_IMAGE_CLASS,
};
use crate::outputs::url_scheme;

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

/// Markdown (a cell's source or a `text/markdown` output) as sanitized HTML, with remote
/// images left out unless `remote` allows them. `attachments` are the cell's own. Needs the
/// browser's DOM (see [`html_sanitizer`]).
pub fn render(source: &str, attachments: Option<&Attachments>, remote: Remote) -> SafeHtml {
    let markup = markup(source, attachments, remote);
    html_sanitizer::sanitize_markdown(&markup.html, markup.blocked, remote)
}

/// The HTML of `source` before sanitizing (step 1 above): raw HTML in it is as the author
/// wrote it, so this must never reach the page without [`render`]'s second step.
pub fn markup(source: &str, attachments: Option<&Attachments>, remote: Remote) -> SafeHtml {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_FOOTNOTES;
    let mut sanitizer = Sanitizer {
        attachments,
        remote,
        blocked: BlockedImages::default(),
        links: Vec::new(),
        images: Vec::new(),
    };
    let events = Parser::new_ext(source, options).filter_map(|event| sanitizer.event(event));
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    SafeHtml {
        html,
        blocked: sanitizer.blocked,
    }
}

struct Sanitizer<'a> {
    attachments: Option<&'a Attachments>,
    remote: Remote,
    blocked: BlockedImages,
    /// For each open link: whether its tags were written (a refused link keeps only its text).
    links: Vec<bool>,
    /// For each open image: how it is shown.
    images: Vec<ImageShown>,
}

/// How an image is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ImageShown {
    /// As an `<img>` (its alt text goes into `alt`).
    Image,
    /// As its alt text: its source is refused, or it is inside another image's alt text.
    AltText,
    /// As the placeholder for a remote image, holding its alt text.
    Blocked,
}

impl<'a> Sanitizer<'a> {
    fn event<'e>(&mut self, event: Event<'e>) -> Option<Event<'e>> {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                // Passed on for the sanitizer, which sees the whole document, as a browser
                // would: a tag here may close in another event.
                (!is_comment(&html)).then_some(Event::InlineHtml(html))
            }
            Event::InlineMath(tex) => Some(math(tex, DisplayMode::Inline)),
            Event::DisplayMath(tex) => Some(math(tex, DisplayMode::Block)),
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
                // Inside an image another image is only alt text.
                let source = self
                    .images
                    .is_empty()
                    .then(|| self.image_source(&dest_url))
                    .flatten();
                let Some(dest_url) = source else {
                    self.images.push(ImageShown::AltText);
                    return None;
                };
                if self.remote == Remote::Blocked {
                    if let Some(host) = remote_host(&dest_url) {
                        self.blocked.record(&dest_url);
                        self.images.push(ImageShown::Blocked);
                        return Some(Event::InlineHtml(
                            format!(
                                "<span class=\"{BLOCKED_IMAGE_CLASS}\" title=\"{}\">",
                                escape_attribute(&blocked_image_title(&host))
                            )
                            .into(),
                        ));
                    }
                }
                self.images.push(ImageShown::Image);
                Some(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }))
            }
            Event::End(TagEnd::Image) => match self.images.pop() {
                Some(ImageShown::Image) => Some(Event::End(TagEnd::Image)),
                Some(ImageShown::Blocked) => Some(Event::InlineHtml("</span>".into())),
                Some(ImageShown::AltText) | None => None,
            },
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

/// LaTeX maths as MathML. pulldown-latex shows what it cannot read as a red `<merror>` with
/// the reason, in place, as MathJax does; should it fail outright, the TeX source is shown as
/// pulldown-cmark shows it (escaped, in a `math` span).
fn math(tex: CowStr<'_>, display: DisplayMode) -> Event<'_> {
    let storage = pulldown_latex::Storage::new();
    let parser = pulldown_latex::Parser::new(&tex, &storage);
    let config = pulldown_latex::RenderConfig {
        display_mode: display,
        ..Default::default()
    };
    let mut mathml = String::new();
    match pulldown_latex::push_mathml(&mut mathml, parser, config) {
        Ok(()) => Event::InlineHtml(mathml.into()),
        Err(_) => match display {
            DisplayMode::Inline => Event::InlineMath(tex),
            DisplayMode::Block => Event::DisplayMath(tex),
        },
    }
}

fn is_comment(html: &str) -> bool {
    let html = html.trim();
    html.starts_with("<!--") && html.ends_with("-->")
}

/// A URL's scheme as the browser reads it (see [`url_scheme`]); `None` for a relative URL.
fn scheme(url: &str) -> Option<String> {
    url_scheme::scheme(&url_scheme::normalized(url)).map(str::to_string)
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

    /// The rendering with remote images blocked (the default).
    fn md(source: &str) -> String {
        markup(source, None, Remote::Blocked).html
    }

    fn md_allowed(source: &str) -> String {
        markup(source, None, Remote::Allowed).html
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
                        value.starts_with("https:")
                            || value.starts_with("data:image/")
                            || scheme(&value).is_none(),
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
    fn commonmark_and_extensions_markup() {
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
        assert!(
            md("$e^{i\\pi}$").contains("<msup><mi>e</mi><mrow><mi>i</mi><mi>π</mi></mrow></msup>")
        );
    }

    #[test]
    fn raw_html_is_passed_on_whole_for_the_sanitizer() {
        // The markup keeps the author's HTML (a tag may close in a later event); `render`
        // sanitizes the whole document (see the browser tests below).
        let html =
            md("hi <b>bold <i>both</i></b> there\n\n<div align=\"center\">\n\n*md*\n\n</div>");
        assert!(html.contains("hi <b>bold <i>both</i></b> there"), "{html}");
        assert!(html.contains("<div align=\"center\">"), "{html}");
        assert!(html.contains("<em>md</em>"), "{html}");
    }

    #[test]
    fn maths_become_mathml() {
        let inline = md("energy: $E = mc^2$.");
        assert!(
            inline.starts_with("<p>energy: <math display=\"inline\">"),
            "{inline}"
        );
        assert!(
            inline.contains("<mi>E</mi><mo>=</mo><mi>m</mi><msup><mi>c</mi><mn>2</mn></msup>"),
            "{inline}"
        );
        let display = md("$$\\frac{a}{b}$$");
        assert!(display.contains("<math display=\"block\">"), "{display}");
        assert!(display.contains("<mfrac>"), "{display}");
        // What pulldown-latex cannot read is an error in place, not a failure of the cell.
        let unknown = md("$\\nosuchcommand{x}$");
        assert!(unknown.contains("<merror"), "{unknown}");
        // Markup in TeX text is text.
        let text = md("$\\text{<b>x</b>}$");
        assert!(text.contains("&lt;b&gt;x&lt;/b&gt;"), "{text}");
        // Dollars that are not maths stay dollars.
        assert_eq!(md("costs $5 and $6"), "<p>costs $5 and $6</p>\n");
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
        assert!(md_allowed("![a](https://example.com/a.png)")
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
    fn remote_images_are_placeholders_until_allowed() {
        let source = "![logo](https://tracker.example/p.png?u=1) and \
                      ![](//cdn.example/a.png) and ![local](pic.png)";
        let blocked = markup(source, None, Remote::Blocked);
        assert_inert(&blocked.html);
        assert_eq!(
            blocked.html,
            "<p><span class=\"remote-image-blocked\" title=\"Remote image from tracker.example, \
             not loaded\">logo</span> and <span class=\"remote-image-blocked\" title=\"Remote \
             image from cdn.example, not loaded\"></span> and <img src=\"pic.png\" alt=\"local\" \
             /></p>\n"
        );
        assert_eq!(blocked.blocked.count(), 2);
        assert_eq!(blocked.blocked.hosts(), ["tracker.example", "cdn.example"]);
        let allowed = markup(source, None, Remote::Allowed);
        assert!(allowed.blocked.is_empty());
        assert!(allowed
            .html
            .contains("<img src=\"https://tracker.example/p.png?u=1\" alt=\"logo\" />"));
        assert!(allowed
            .html
            .contains("<img src=\"//cdn.example/a.png\" alt=\"\" />"));
    }

    #[test]
    fn remote_images_are_blocked_however_their_url_is_spelt() {
        for source in [
            "![a](HTTPS://TRACKER.example/p.png)",
            "![a](<https://tracker.example/my pic.png>)",
            "![a](ht&#116;ps://tracker.example/p.png)",
            // `\\` is an escaped backslash: the URL is `/\tracker…`, to a browser `//tracker…`.
            "![a](/\\\\tracker.example/p.png)",
            "![a][r]\n\n[r]: http://tracker.example/p.png",
            "![a](http://tracker.example/p.png \"title\")",
            "[![a](https://tracker.example/badge.svg)](https://example.com)",
        ] {
            let rendered = markup(source, None, Remote::Blocked);
            assert_inert(&rendered.html);
            assert!(
                !rendered.html.contains("<img"),
                "{source}: {}",
                rendered.html
            );
            assert!(
                rendered.html.contains(">a</span>"),
                "{source}: {}",
                rendered.html
            );
            assert_eq!(rendered.blocked.hosts(), ["tracker.example"], "{source}");
        }
        // An image inside another's alt text is only text, and loads nothing either way.
        let nested = markup(
            "![outer ![inner](https://tracker.example/i.png)](https://cdn.example/o.png)",
            None,
            Remote::Blocked,
        );
        assert_eq!(nested.blocked.hosts(), ["cdn.example"]);
        assert!(
            nested.html.contains(">outer inner</span>"),
            "{}",
            nested.html
        );
    }

    #[test]
    fn a_link_inside_an_image_is_only_alt_text() {
        let html = md_allowed("![see [docs](https://x.org)](https://x.org/i.png)");
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
        let html = markup(
            "![dot](attachment:dot.png)",
            Some(&attachments),
            Remote::Blocked,
        )
        .html;
        assert_eq!(
            html,
            "<p><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\" /></p>\n"
        );
        let svg = markup(
            "![v](attachment:my%20pic.svg)",
            Some(&attachments),
            Remote::Blocked,
        )
        .html;
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
            let html = markup(missing, Some(&attachments), Remote::Blocked).html;
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

/// [`render`]: the markup through the browser's parser and the allowlist; these run in
/// Chromium (`make unit`).
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::*;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    fn rendered(source: &str) -> String {
        render(source, None, Remote::Blocked).html
    }

    #[wasm_bindgen_test]
    fn raw_html_is_sanitized_as_jupyter_does() {
        let html = rendered("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> there");
        assert!(
            !html.contains("script") && !html.contains("onerror"),
            "{html}"
        );
        assert!(html.contains("hi <img src=\"x\"> there"), "{html}");
        let block =
            rendered("<div onclick=\"x()\">\n<iframe src=\"https://evil\"></iframe>\n</div>");
        assert!(block.contains("<div>"), "{block}");
        assert!(
            !block.contains("iframe") && !block.contains("onclick"),
            "{block}"
        );
        assert_eq!(
            rendered("<b>bold</b> <span class=\"overlay\" style=\"position:fixed\">x</span>"),
            "<p><b>bold</b> <span>x</span></p>\n"
        );
        let details = rendered("<details><summary>more</summary>\n\n*inside*\n\n</details>");
        assert!(
            details.contains("<details><summary>more</summary>"),
            "{details}"
        );
        assert!(details.contains("<em>inside</em>"), "{details}");
        // A link written as HTML is checked like a markdown one.
        let link =
            rendered("<a href=\"javascript:alert(1)\">x</a> <a href=\"https://a.example/\">y</a>");
        assert!(!link.contains("javascript"), "{link}");
        assert!(
            link.contains("<a href=\"https://a.example/\" target=\"_blank\" rel=\"noopener noreferrer\">y</a>"),
            "{link}"
        );
    }

    #[wasm_bindgen_test]
    fn maths_survive_the_sanitizer() {
        let inline = rendered("$E = mc^2$");
        assert!(
            inline.contains(
                "<math display=\"inline\"><mi>E</mi><mo>=</mo><mi>m</mi>\
                 <msup><mi>c</mi><mn>2</mn></msup></math>"
            ),
            "{inline}"
        );
        let matrix = rendered("$$\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}$$");
        assert!(
            matrix.contains("<mtable class=\"menv-arraylike\">"),
            "{matrix}"
        );
        let colour = rendered("$\\color{red} x$");
        assert!(colour.contains("style=\"color: rgb(255 0 0)\""), "{colour}");
        // MathML written as raw HTML: no way back into HTML, no images, no links.
        let raw = rendered(
            "<math><mi href=\"javascript:alert(1)\">x</mi><mglyph src=\"https://t.example/p\"/>\
             <annotation-xml encoding=\"text/html\"><img src=x onerror=alert(1)></annotation-xml>\
             <mtext style=\"background:url(https://t.example/p)\" class=\"overlay\">t</mtext></math>",
        );
        assert_eq!(raw, "<p><math><mi>x</mi><mtext>t</mtext></math></p>\n");
    }

    #[wasm_bindgen_test]
    fn markdown_keeps_its_own_markup() {
        let tasks = rendered("- [x] done\n- [ ] not");
        assert!(
            tasks.contains("<input disabled=\"\" type=\"checkbox\" checked=\"\">"),
            "{tasks}"
        );
        // An author's checkbox cannot be ticked either; other inputs go.
        let raw = rendered("<input type=checkbox> <input type=text value=x>");
        assert_eq!(raw, "<p><input type=\"checkbox\" disabled=\"\"> </p>\n");
        let table = rendered("| a | b |\n|:-:|--:|\n| 1 | 2 |");
        assert!(
            table.contains("<td style=\"text-align: center\">1</td>"),
            "{table}"
        );
        assert!(
            !rendered("<td style=\"text-align: center; position: fixed\">x</td>").contains("style"),
        );
        let note = rendered("A note[^n].\n\n[^n]: the note");
        assert!(
            note.contains("<sup class=\"footnote-reference\"><a href=\"#footnote-n\">1</a></sup>"),
            "{note}"
        );
        assert!(
            note.contains("<div class=\"footnote-definition\" id=\"footnote-n\">"),
            "{note}"
        );
        // Other ids never, not even an author's footnote-looking one on another element.
        let ids = rendered(
            "<p id=\"restart-title\">x</p><span class=\"footnote-definition\" id=\"y\">z</span>",
        );
        assert!(!ids.contains("id="), "{ids}");
        // Remote images, written in markdown or in HTML, are held back and counted.
        let both = render(
            "![a](https://t.example/a.png) <img src=\"https://u.example/b.png\" alt=\"b\">",
            None,
            Remote::Blocked,
        );
        assert_eq!(both.blocked.hosts(), ["t.example", "u.example"]);
        assert!(!both.html.contains("<img"), "{}", both.html);
        assert!(both.html.contains(BLOCKED_IMAGE_CLASS), "{}", both.html);
        let allowed = render(
            "<img src=\"https://u.example/b.png\" alt=\"b\">",
            None,
            Remote::Allowed,
        );
        assert!(allowed
            .html
            .contains("<img src=\"https://u.example/b.png\""));
    }
}
