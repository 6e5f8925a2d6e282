//! Kernel HTML (`text/html` outputs: pandas tables, IPython's `HTML(...)`) made safe to put in
//! the page: an allowlist of elements and attributes, re-serialized by wirebook itself.
//!
//! The browser's own `DOMParser` parses the input, so the tree walked here is exactly the tree
//! the browser would build from it — unclosed and misnested tags, character references, raw
//! text (`<script>`, `<style>`), foreign content (SVG) all read as the browser reads them,
//! which no hand-written tokenizer can promise. Its documents are inert (no browsing context:
//! nothing in them loads or runs), and it adds nothing to the wasm, where ammonia would bring
//! html5ever and its tables. Every kept piece is written out again in canonical form — text and
//! attribute values escaped, every element closed — so what the page parses is what this module
//! decided to keep.
//!
//! Scripts, styles, frames, objects, forms and templates go with their content; unknown
//! elements go and their text stays; event handlers, `style`, `id` and `class` are never kept (a
//! class or style of the page's own could lay the output over the page); `href` and `src` keep
//! only http(s), mailto (links), `data:image/…` (images) and relative URLs — after removing what
//! browsers ignore inside a scheme, so `java&#9;script:` is caught. Links open in a new tab
//! without an opener. Inline SVG keeps its drawing elements; images of type `image/svg+xml` are
//! shown through `<img>`, which never runs their scripts. MathML Core keeps its layout elements
//! (not `annotation-xml` or `mglyph`, MathML's ways back into HTML and to an image), the
//! classes pulldown-latex writes and, on MathML only, colour and spacing styles that cannot
//! name a URL. A markdown rendering ([`sanitize_markdown`]) also keeps its own classes, table
//! alignment and task-list checkboxes (always disabled).
//!
//! Remote images are a tracking pixel's way in, so unless told [`Remote::Allowed`] an `<img>`
//! whose source is on another host (see [`crate::outputs::remote_content`]) becomes a placeholder that
//! loads nothing and shows its `alt` text, and a `fill`/`stroke` `url(…)` that points at another
//! host is dropped; [`SafeHtml::blocked`] says what was left out. `srcset`, `background`,
//! `style` and the other ways to name a URL are never kept at all.
//!
//! The allowlist, the URL checks and the writing are plain Rust, tested on the host; only the
//! walk over the parsed tree touches the DOM, and the tests of whole documents run in Chromium
//! under `wasm-bindgen-test` (`make unit`).

use wasm_bindgen::JsCast;
use web_sys::{DomParser, Element, Node, SupportedType};

use crate::outputs::remote_content::{
    blocked_image_title, remote_host, BlockedImages, Remote, SafeHtml, BLOCKED_IMAGE_CLASS,
};
use crate::outputs::url_scheme;

/// Elements kept (HTML and inline SVG, lower-case as the HTML parser reports them).
const ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr", // inline SVG
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "defs",
    "lineargradient",
    "radialgradient",
    "stop",
    "clippath",
    "symbol",
    "marker",
    "pattern",
    "mask",
    "desc",
];

/// MathML Core's elements (what `$…$` in markdown compiles to, and what kernels may send),
/// allowed beside [`ELEMENTS`]; they may carry the classes and styles math needs.
const MATHML: &[&str] = &[
    "math",
    "semantics",
    "annotation",
    "merror",
    "mfrac",
    "mi",
    "mmultiscripts",
    "mn",
    "mo",
    "mover",
    "mpadded",
    "mphantom",
    "mprescripts",
    "mroot",
    "mrow",
    "ms",
    "mspace",
    "msqrt",
    "mstyle",
    "msub",
    "msubsup",
    "msup",
    "mtable",
    "mtd",
    "mtext",
    "mtr",
    "munder",
    "munderover",
    "menclose",
    "none",
];

/// Elements dropped together with everything inside them.
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "noscript",
    "noembed",
    "noframes",
    "template",
    "textarea",
    "title",
    "xmp",
    "plaintext",
    "form",
    "select",
    "option",
    "button",
    "foreignobject",
    // MathML's ways back into HTML, or to load an image.
    "annotation-xml",
    "mglyph",
    "audio",
    "video",
    "canvas",
    "head",
    "meta",
    "link",
    "base",
];

/// Elements without an end tag.
const VOID: &[&str] = &["br", "col", "hr", "img", "wbr"];

/// Attributes kept on any kept element.
const ATTRIBUTES: &[&str] = &[
    "title",
    "lang",
    "dir",
    "align",
    "valign",
    "colspan",
    "rowspan",
    "span",
    "width",
    "height",
    "alt",
    "start",
    "reversed",
    "border",
    "cellpadding",
    "cellspacing",
    "scope",
    "headers",
    "open",
    "color",
    "size",
    "face",
    "datetime",
    "cite", // SVG presentation
    "viewbox",
    "xmlns",
    "version",
    "d",
    "fill",
    "fill-rule",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-dasharray",
    "opacity",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "dx",
    "dy",
    "points",
    "transform",
    "font-size",
    "font-family",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientunits",
    "preserveaspectratio",
    // MathML
    "display",
    "displaystyle",
    "scriptlevel",
    "mathvariant",
    "mathsize",
    "mathcolor",
    "mathbackground",
    "stretchy",
    "symmetric",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "largeop",
    "movablelimits",
    "accent",
    "accentunder",
    "minsize",
    "maxsize",
    "linethickness",
    "depth",
    "voffset",
    "form",
    "notation",
    "encoding",
    "columnalign",
    "rowalign",
    "columnlines",
    "rowlines",
    "columnspacing",
    "rowspacing",
    "frame",
];

/// What a document is, which decides what it may keep beyond the common allowlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// `text/html` from a kernel.
    KernelHtml,
    /// A markdown rendering (`markdown::markup`), whose own markup needs a little more: the
    /// classes it writes, table alignment, task-list checkboxes.
    Markdown,
}

/// What the ids of a markdown rendering's footnotes start with (and its in-page links point
/// at): none of the page's own ids does.
const FOOTNOTE_ID_PREFIX: &str = "footnote-";

/// Classes a markdown rendering writes (and this page's stylesheet styles for it).
const MARKDOWN_CLASSES: &[&str] = &[
    "math",
    "math-inline",
    "math-display",
    "footnote-reference",
    "footnote-definition",
    "footnote-definition-label",
    BLOCKED_IMAGE_CLASS,
];

/// Classes pulldown-latex puts on MathML (alignment, lines, negation; styled by this page):
/// its own `menv-` prefix, or one of these.
const MATH_CLASSES: &[&str] = &["cell-left", "cell-right", "mop-negated", "small"];

/// `text/html` from a kernel as HTML that can be set as `innerHTML`, with remote images left
/// out unless `remote` allows them.
pub fn sanitize(html: &str, remote: Remote) -> SafeHtml {
    sanitize_as(html, Writer::new(remote, html.len()))
}

/// A markdown rendering (its own markup and the raw HTML its author wrote, as Jupyter allows)
/// sanitized like kernel HTML, keeping what the rendering itself needs. The images the
/// rendering already held back stay counted.
pub fn sanitize_markdown(html: &str, already_blocked: BlockedImages, remote: Remote) -> SafeHtml {
    let mut writer = Writer::new(remote, html.len());
    writer.origin = Origin::Markdown;
    writer.blocked = already_blocked;
    sanitize_as(html, writer)
}

fn sanitize_as(html: &str, mut writer: Writer) -> SafeHtml {
    // A browser always has a DOMParser; were it missing, nothing is kept.
    if let Some(body) = parse(html) {
        writer.children(&body);
    }
    writer.finish()
}

/// The body of `html` parsed as the browser parses a page. What the parser puts in the head
/// (`<style>`, `<meta>`, `<title>`, … before any content) is dropped anyway.
fn parse(html: &str) -> Option<web_sys::HtmlElement> {
    DomParser::new()
        .ok()?
        .parse_from_string(html, SupportedType::TextHtml)
        .ok()?
        .body()
}

/// The output being written, and the remote images left out of it so far.
struct Writer {
    out: String,
    remote: Remote,
    blocked: BlockedImages,
    origin: Origin,
}

/// What a kept element's start tag became.
#[derive(Debug, PartialEq, Eq)]
enum Started {
    /// The element, whose content and end tag follow.
    Element,
    /// A blocked remote image's placeholder, complete in itself.
    Placeholder,
}

impl Writer {
    fn new(remote: Remote, capacity: usize) -> Writer {
        Writer {
            out: String::with_capacity(capacity),
            remote,
            blocked: BlockedImages::default(),
            origin: Origin::KernelHtml,
        }
    }

    fn finish(self) -> SafeHtml {
        SafeHtml {
            html: self.out,
            blocked: self.blocked,
        }
    }

    /// Writes what is kept of `parent`'s children, in order.
    fn children(&mut self, parent: &Node) {
        let mut child = parent.first_child();
        while let Some(node) = child {
            match node.node_type() {
                Node::TEXT_NODE | Node::CDATA_SECTION_NODE => {
                    escape_text(&mut self.out, &node.node_value().unwrap_or_default());
                }
                Node::ELEMENT_NODE => {
                    if let Some(element) = node.dyn_ref::<Element>() {
                        self.element(element);
                    }
                }
                // Comments, processing instructions.
                _ => {}
            }
            child = node.next_sibling();
        }
    }

    fn element(&mut self, element: &Element) {
        // SVG's names are mixed case in the DOM (`linearGradient`); the page's parser adjusts
        // the lower-case ones written here back.
        let name = element.local_name().to_ascii_lowercase();
        if DROPPED_WITH_CONTENT.contains(&name.as_str()) {
            return;
        }
        let checkbox = self.origin == Origin::Markdown
            && name == "input"
            && element
                .get_attribute("type")
                .is_some_and(|t| t.eq_ignore_ascii_case("checkbox"));
        if !ELEMENTS.contains(&name.as_str()) && !MATHML.contains(&name.as_str()) && !checkbox {
            self.children(element);
            return;
        }
        let map = element.attributes();
        // The parser already kept the first of duplicate attributes, as the page's would.
        let attributes: Vec<(String, String)> = (0..map.length())
            .filter_map(|i| map.item(i))
            // The qualified name: `xlink:href` is not `href`.
            .map(|attr| (attr.name().to_ascii_lowercase(), attr.value()))
            .collect();
        if self.start(&name, &attributes) == Started::Placeholder
            || VOID.contains(&name.as_str())
            || checkbox
        {
            return;
        }
        self.children(element);
        self.out.push_str("</");
        self.out.push_str(&name);
        self.out.push('>');
    }

    /// Writes a kept element's start tag with its kept attributes (names lower-case, values
    /// as the parser decoded them), or, for a remote image that is blocked, the placeholder in
    /// its place.
    fn start(&mut self, name: &str, attributes: &[(String, String)]) -> Started {
        let value = |wanted: &str| {
            attributes
                .iter()
                .find(|(n, _)| n == wanted)
                .map(|(_, v)| v.as_str())
        };
        if name == "img" {
            if let Some(src) = value("src") {
                if self.remote == Remote::Blocked
                    && safe_url(src, true)
                    && remote_host(src).is_some()
                {
                    self.blocked_image(src, value("alt").unwrap_or_default());
                    return Started::Placeholder;
                }
            }
        }
        // A markdown footnote's reference and definition (`[^n]`) link within the page; their
        // ids are prefixed so that no author can take one of the page's own.
        let markdown = self.origin == Origin::Markdown;
        let in_page_link =
            markdown && name == "a" && value("href").is_some_and(|h| h.starts_with('#'));
        let footnote = markdown && name == "div" && value("class") == Some("footnote-definition");
        let out = &mut self.out;
        out.push('<');
        out.push_str(name);
        for (attribute, value) in attributes {
            let anchor = match attribute.as_str() {
                "href" if in_page_link => Some("=\"#"),
                "id" if footnote => Some("=\""),
                _ => None,
            };
            if let Some(start) = anchor {
                out.push(' ');
                out.push_str(attribute);
                out.push_str(start);
                out.push_str(FOOTNOTE_ID_PREFIX);
                escape_attribute(out, value.trim_start_matches('#'));
                out.push('"');
                continue;
            }
            let kept = match attribute.as_str() {
                "href" if name == "a" => safe_url(value, false),
                "src" if name == "img" => safe_url(value, true),
                "fill" | "stroke" => match paint_references(value) {
                    PaintReferences::Local => true,
                    PaintReferences::Remote(urls) => match self.remote {
                        Remote::Allowed => true,
                        Remote::Blocked => {
                            for url in urls {
                                self.blocked.record(&url);
                            }
                            false
                        }
                    },
                    PaintReferences::Refused => false,
                },
                "class" => allowed_classes(name, value, self.origin),
                "style" => allowed_style(name, value, self.origin),
                "type" | "checked" | "disabled" => name == "input",
                attribute => ATTRIBUTES.contains(&attribute),
            };
            if kept {
                out.push(' ');
                out.push_str(attribute);
                out.push_str("=\"");
                escape_attribute(out, value);
                out.push('"');
            }
        }
        if name == "a" && !in_page_link {
            out.push_str(" target=\"_blank\" rel=\"noopener noreferrer\"");
        }
        // A task list's box shows the state the source wrote; clicking it changes nothing.
        if name == "input" && !attributes.iter().any(|(n, _)| n == "disabled") {
            out.push_str(" disabled=\"\"");
        }
        out.push('>');
        Started::Element
    }

    /// A placeholder for a remote image: its alt text in a box, loading nothing.
    fn blocked_image(&mut self, src: &str, alt: &str) {
        self.blocked.record(src);
        let host = remote_host(src).unwrap_or_default();
        let out = &mut self.out;
        out.push_str("<span class=\"");
        out.push_str(BLOCKED_IMAGE_CLASS);
        out.push_str("\" title=\"");
        escape_attribute(out, &blocked_image_title(&host));
        out.push_str("\">");
        escape_attribute(out, alt);
        out.push_str("</span>");
    }
}

/// Whether an element keeps its `class`: only the classes a markdown rendering writes (in a
/// markdown document) and pulldown-latex's on MathML — never one of the page's own, which could
/// lay the output over the page.
fn allowed_classes(element: &str, value: &str, origin: Origin) -> bool {
    let math = MATHML.contains(&element);
    value.split_ascii_whitespace().all(|class| {
        (origin == Origin::Markdown && MARKDOWN_CLASSES.contains(&class))
            || (math && (class.starts_with("menv-") || MATH_CLASSES.contains(&class)))
    })
}

/// Whether an element keeps its `style`: table alignment in a markdown document
/// (`text-align: center`), and on MathML the colours, borders and spacing pulldown-latex
/// writes (`color: rgb(255 0 0)`, `margin-left: 0.2em`). Nothing that can name a URL (no
/// `url(`, no escapes) or move the element out of its place.
fn allowed_style(element: &str, value: &str, origin: Origin) -> bool {
    let declarations = || {
        value
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.split_once(':').map(|(p, v)| (p.trim(), v.trim())))
    };
    if origin == Origin::Markdown && matches!(element, "th" | "td") {
        return declarations()
            .all(|d| matches!(d, Some(("text-align", "left" | "center" | "right"))));
    }
    if !MATHML.contains(&element) {
        return false;
    }
    declarations().all(|d| {
        let Some((property, value)) = d else {
            return false;
        };
        match property {
            "color" | "background-color" | "border-color" | "border" => {
                value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " .#%(),-".contains(c))
                    && !value.to_ascii_lowercase().contains("url")
            }
            // Spacing as TeX sets it, and small: a formula cannot push the page about.
            "margin-left" | "margin-right" | "height" | "width" => [
                ("em", 20.0),
                ("ex", 40.0),
                ("mu", 20.0),
                ("pt", 200.0),
                ("mm", 70.0),
            ]
            .iter()
            .any(|(unit, max)| {
                value
                    .strip_suffix(unit)
                    .and_then(|n| n.parse::<f32>().ok())
                    .is_some_and(|n| n.abs() <= *max)
            }),
            _ => false,
        }
    })
}

/// What a paint attribute (`fill`, `stroke`: a colour, or `url(…)` of a gradient or pattern)
/// would make the browser load.
#[derive(Debug, PartialEq, Eq)]
enum PaintReferences {
    /// Nothing from elsewhere: colours, `url(#id)` in this document, relative URLs.
    Local,
    /// These URLs, on other hosts.
    Remote(Vec<String>),
    /// A value the browser could read differently than here (CSS escapes) or a URL of another
    /// scheme: never kept.
    Refused,
}

fn paint_references(value: &str) -> PaintReferences {
    let lower = value.to_ascii_lowercase();
    // CSS escapes can spell `url(` and any URL (`\75 rl(`, `\68 ttp:`); paint needs none.
    if lower.contains('\\') {
        return PaintReferences::Refused;
    }
    let mut remote = Vec::new();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("url(") {
        rest = &rest[at + 4..];
        let end = rest.find(')').unwrap_or(rest.len());
        let url =
            rest[..end].trim_matches(|c: char| c.is_ascii_whitespace() || c == '"' || c == '\'');
        rest = &rest[end..];
        if url.starts_with('#') {
            continue;
        }
        if !safe_url(url, true) {
            return PaintReferences::Refused;
        }
        if remote_host(url).is_some() {
            remote.push(url.to_string());
        }
    }
    if remote.is_empty() {
        PaintReferences::Local
    } else {
        PaintReferences::Remote(remote)
    }
}

/// Whether a link (or, with `image`, an image source) may point there.
fn safe_url(url: &str, image: bool) -> bool {
    let url = url_scheme::normalized(url);
    match url_scheme::scheme(&url) {
        Some("http" | "https") => true,
        Some("mailto") => !image,
        Some("data") => image && url.starts_with("data:image/"),
        Some(_) => false,
        // Relative.
        None => true,
    }
}

/// Text as HTML, escaped as the browser's own serializer escapes it (`innerHTML`).
fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The allowlist, the URL checks and the writing, without a DOM.
#[cfg(test)]
mod tests {
    use super::*;

    /// The start tag written for an element named `name` with these attributes (as the
    /// parser reports them: names lower-case, values decoded), and what it left out.
    fn started(name: &str, attributes: &[(&str, &str)], remote: Remote) -> (Started, SafeHtml) {
        let attributes: Vec<(String, String)> = attributes
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let mut writer = Writer::new(remote, 0);
        let started = writer.start(name, &attributes);
        (started, writer.finish())
    }

    /// The start tag with remote images blocked (the default).
    fn start(name: &str, attributes: &[(&str, &str)]) -> String {
        started(name, attributes, Remote::Blocked).1.html
    }

    const LINK: &str = " target=\"_blank\" rel=\"noopener noreferrer\"";

    #[test]
    fn only_allowlisted_attributes_are_kept() {
        assert_eq!(
            start(
                "img",
                &[
                    ("src", "a.png"),
                    ("onerror", "alert(1)"),
                    ("style", "position:fixed"),
                    ("id", "x")
                ]
            ),
            "<img src=\"a.png\">"
        );
        assert_eq!(
            start("div", &[("onclick", "alert(1)"), ("title", "t")]),
            "<div title=\"t\">"
        );
        assert_eq!(
            start("table", &[("class", "overlay-backdrop"), ("border", "1")]),
            "<table border=\"1\">"
        );
        assert_eq!(
            start("circle", &[("r", "2"), ("onmouseover", "x")]),
            "<circle r=\"2\">"
        );
        // `href` only on links, `src` only on images; a namespaced `xlink:href` is not `href`.
        assert_eq!(
            start("div", &[("href", "http://x/"), ("src", "http://x/")]),
            "<div>"
        );
        assert_eq!(
            start("a", &[("xlink:href", "http://x/"), ("href", "b.html")]),
            format!("<a href=\"b.html\"{LINK}>")
        );
    }

    #[test]
    fn srcset_and_other_url_attributes_are_never_kept() {
        assert_eq!(
            start(
                "img",
                &[
                    ("src", "a.png"),
                    ("srcset", "https://tracker.example/2x.png 2x"),
                    ("lowsrc", "http://t.example/l.png"),
                    ("dynsrc", "http://t.example/d"),
                ]
            ),
            "<img src=\"a.png\">"
        );
        assert_eq!(
            start(
                "td",
                &[
                    ("background", "http://t.example/bg.png"),
                    ("style", "background:url(http://t.example/s)")
                ]
            ),
            "<td>"
        );
        assert_eq!(
            start(
                "a",
                &[
                    ("href", "http://t.example/"),
                    ("ping", "http://t.example/ping")
                ]
            ),
            format!("<a href=\"http://t.example/\"{LINK}>")
        );
    }

    #[test]
    fn links_and_images_keep_only_safe_schemes() {
        // Values as the parser decoded them (`java&#9;script:` is a tab).
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java\u{1}script:alert(1)",
            "vbscript:x",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
        ] {
            assert!(!safe_url(url, false), "{url:?}");
            assert!(!safe_url(url, true), "{url:?}");
        }
        for url in [
            "https://example.com/?a=1&b=2",
            "HTTP://x/",
            "b.html",
            "/x",
            "?q",
            "#top",
        ] {
            assert!(safe_url(url, false), "{url:?}");
            assert!(safe_url(url, true), "{url:?}");
        }
        assert!(safe_url("mailto:a@example.com", false));
        assert!(!safe_url("mailto:a@example.com", true));
        assert!(safe_url("data:image/png;base64,AAAA", true));
        assert!(!safe_url("data:image/png;base64,AAAA", false));
        assert_eq!(
            start("a", &[("href", "javascript:alert(1)")]),
            format!("<a{LINK}>")
        );
        assert_eq!(start("img", &[("src", "data:text/html,x")]), "<img>");
    }

    #[test]
    fn text_and_values_are_escaped_so_the_page_reads_what_was_kept() {
        assert_eq!(
            start("div", &[("title", "a\"><script>x</script>")]),
            "<div title=\"a&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">"
        );
        assert_eq!(
            start("a", &[("href", "https://example.com/?a=1&b=2")]),
            format!("<a href=\"https://example.com/?a=1&amp;b=2\"{LINK}>")
        );
        let mut out = String::new();
        escape_text(&mut out, "1 < 2 > 0, AT&T\u{a0}© '");
        assert_eq!(out, "1 &lt; 2 &gt; 0, AT&amp;T&nbsp;© '");
    }

    /// The placeholder a blocked remote image becomes.
    fn placeholder(host: &str, alt: &str) -> String {
        format!(
            "<span class=\"remote-image-blocked\" title=\"Remote image from {host}, not loaded\">{alt}</span>"
        )
    }

    #[test]
    fn remote_images_are_placeholders_unless_allowed() {
        let image = [
            ("src", "http://tracker.example/p.png?u=1"),
            ("alt", "logo"),
            ("width", "1"),
        ];
        let (kind, blocked) = started("img", &image, Remote::Blocked);
        assert_eq!(kind, Started::Placeholder);
        assert_eq!(blocked.html, placeholder("tracker.example", "logo"));
        assert_eq!(blocked.blocked.hosts(), ["tracker.example"]);
        let (kind, allowed) = started("img", &image, Remote::Allowed);
        assert_eq!(kind, Started::Element);
        assert_eq!(
            allowed.html,
            "<img src=\"http://tracker.example/p.png?u=1\" alt=\"logo\" width=\"1\">"
        );
        assert!(allowed.blocked.is_empty());
        // The alt text is text in the placeholder, never markup.
        assert_eq!(
            start("img", &[("src", "https://t.example/p"), ("alt", "<b>\"")]),
            placeholder("t.example", "&lt;b&gt;&quot;")
        );
    }

    #[test]
    fn remote_images_are_blocked_however_their_url_is_spelt() {
        // Values as the parser decoded them (`ht&#9;tps`, `https&colon;`, `&NewLine;`).
        for src in [
            "HTTPS://TRACKER.example/p.png",
            "hTtP://tracker.example/p.png",
            " \thttps://tracker.example/p.png ",
            "ht\ttps://tracker.example/p.png",
            "https:\n//tracker.example/p.png",
            "//tracker.example/p.png",
            "\\\\tracker.example\\p.png",
            "/\\tracker.example/p.png",
            "https://user@tracker.example/p.png",
        ] {
            let (kind, sanitized) = started("img", &[("src", src), ("alt", "a")], Remote::Blocked);
            assert_eq!(kind, Started::Placeholder, "{src:?}");
            assert_eq!(
                sanitized.html,
                placeholder("tracker.example", "a"),
                "{src:?}"
            );
            assert_eq!(sanitized.blocked.hosts(), ["tracker.example"], "{src:?}");
        }
        for src in [
            "pixel.png",
            "/files/pixel.png",
            "data:image/png;base64,AAAA",
            "?x=//tracker.example",
        ] {
            let (kind, sanitized) = started("img", &[("src", src)], Remote::Blocked);
            assert_eq!(kind, Started::Element, "{src:?}");
            assert_eq!(sanitized.html, format!("<img src=\"{src}\">"));
            assert!(sanitized.blocked.is_empty(), "{src:?}");
        }
    }

    #[test]
    fn svg_paint_urls_on_other_hosts_are_blocked() {
        for local in [
            "url(#grad)",
            "url( '#g2' )",
            "red",
            "rgb(1, 2, 3)",
            "url(p.svg#g)",
        ] {
            assert_eq!(paint_references(local), PaintReferences::Local, "{local}");
        }
        for fill in [
            "url(http://tracker.example/p.svg#g)",
            "URL('https://tracker.example/p.svg#g')",
            "url( //tracker.example/p.svg#g ) red",
            "url(#ok) url(https://tracker.example/p.svg#g)",
        ] {
            assert!(
                matches!(paint_references(fill), PaintReferences::Remote(urls) if urls.len() == 1),
                "{fill}"
            );
            let attributes = [("fill", fill), ("r", "1")];
            let blocked = started("rect", &attributes, Remote::Blocked).1;
            assert_eq!(blocked.html, "<rect r=\"1\">", "{fill}");
            assert_eq!(blocked.blocked.hosts(), ["tracker.example"], "{fill}");
            let allowed = started("rect", &attributes, Remote::Allowed).1;
            assert!(allowed.html.contains("fill="), "{fill}");
        }
        // CSS escapes could spell `url(` or a scheme; other schemes are refused outright.
        for fill in [
            "\\75 rl(http://tracker.example/p.svg)",
            "url(\\68 ttp://tracker.example/p.svg)",
            "url(javascript:x)",
        ] {
            assert_eq!(paint_references(fill), PaintReferences::Refused, "{fill}");
            for remote in [Remote::Blocked, Remote::Allowed] {
                assert_eq!(started("rect", &[("fill", fill)], remote).1.html, "<rect>");
            }
        }
    }

    #[test]
    fn classes_are_kept_only_where_markdown_or_maths_wrote_them() {
        use Origin::{KernelHtml, Markdown};
        assert!(allowed_classes("span", "math math-inline", Markdown));
        assert!(!allowed_classes("span", "math math-inline", KernelHtml));
        assert!(!allowed_classes("span", "math overlay-backdrop", Markdown));
        assert!(allowed_classes(
            "mtable",
            "menv-arraylike menv-matrix",
            KernelHtml
        ));
        assert!(allowed_classes("mtd", "cell-left", Markdown));
        assert!(!allowed_classes("div", "menv-arraylike", Markdown));
        assert!(!allowed_classes("mtd", "cell-left dialog", Markdown));
    }

    #[test]
    fn styles_are_kept_only_for_alignment_and_maths() {
        use Origin::{KernelHtml, Markdown};
        assert!(allowed_style("td", "text-align: center", Markdown));
        assert!(!allowed_style("td", "text-align: center", KernelHtml));
        assert!(!allowed_style(
            "td",
            "text-align: center; position: fixed",
            Markdown
        ));
        assert!(!allowed_style("div", "text-align: center", Markdown));
        assert!(allowed_style("mi", "color: rgb(255 0 0)", KernelHtml));
        assert!(allowed_style("merror", "border-color: #b22222", Markdown));
        assert!(allowed_style("mspace", "margin-left: 0.1667em", Markdown));
        for refused in [
            "background-color: url(https://t.example/p)",
            "color: red; position: fixed",
            "width: 100vw; height: 100vh",
            "margin-left: -500em",
            "color: \\72 ed",
            "color: \"red\"",
            "background: image-set('x')",
            "color",
        ] {
            assert!(!allowed_style("mi", refused, Markdown), "{refused}");
        }
    }
}

/// Whole documents through the browser's parser: these run in Chromium (`make unit`).
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::*;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    /// The HTML kept with remote images blocked (the default).
    fn clean(html: &str) -> String {
        sanitize(html, Remote::Blocked).html
    }

    #[wasm_bindgen_test]
    fn tables_and_text_formatting_survive() {
        let html = "<table border=\"1\"><thead><tr><th>a</th></tr></thead>\
                    <tbody><tr><td>1 &amp; 2</td></tr></tbody></table>";
        assert_eq!(clean(html), html);
        assert_eq!(
            clean("<table class=\"overlay-backdrop\"></table>"),
            "<table></table>"
        );
        assert_eq!(
            clean("<b>bold</b> <i>it</i>&nbsp;<code>x</code>"),
            "<b>bold</b> <i>it</i>&nbsp;<code>x</code>"
        );
    }

    #[wasm_bindgen_test]
    fn scripts_styles_and_frames_go_with_their_content() {
        assert_eq!(clean("a<script>alert(1)</script>b"), "ab");
        assert_eq!(clean("a<SCRIPT type=x>alert('</b>')</SCRIPT >b"), "ab");
        assert_eq!(clean("<style>body{display:none}</style>x"), "x");
        assert_eq!(clean("<iframe src=\"http://x\"></iframe>y"), "y");
        assert_eq!(clean("<script>never closed"), "");
        assert_eq!(
            clean("<svg><foreignObject><script>x</script></foreignObject></svg>"),
            "<svg></svg>"
        );
        // `</scriptx>` does not end the script.
        assert_eq!(clean("<script>a</scriptx>b</script>c"), "c");
        // DOMParser's documents run no scripts, so markup in a `<noscript>` is read as a
        // browser without scripts reads it (here: an image after an empty `<noscript>` in the
        // head), and sanitized like any other.
        assert_eq!(
            clean("<noscript><img src=x onerror=alert(1)></noscript>z"),
            "<img src=\"x\">z"
        );
        assert_eq!(clean("x<noscript><b>y</b></noscript>z"), "xz");
    }

    #[wasm_bindgen_test]
    fn event_handlers_styles_and_ids_are_dropped() {
        assert_eq!(
            clean("<img src=\"a.png\" onerror=\"alert(1)\" style=\"position:fixed\" id=\"x\">"),
            "<img src=\"a.png\">"
        );
        assert_eq!(
            clean("<div onclick=alert(1) title='t'>x</div>"),
            "<div title=\"t\">x</div>"
        );
        assert_eq!(
            clean("<svg onload=\"alert(1)\"><circle r=\"2\" onmouseover=\"x\"/></svg>"),
            "<svg><circle r=\"2\"></circle></svg>"
        );
    }

    #[wasm_bindgen_test]
    fn javascript_urls_are_dropped_however_they_are_spelt() {
        for href in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " java\tscript:alert(1)",
            "java&#9;script:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;avascript:alert(1)",
            "javascript&colon;alert(1)",
            "vbscript:x",
            "data:text/html,<script>alert(1)</script>",
        ] {
            let html = format!("<a href=\"{href}\">x</a>");
            assert_eq!(
                clean(&html),
                "<a target=\"_blank\" rel=\"noopener noreferrer\">x</a>",
                "{href}"
            );
        }
        assert_eq!(
            clean("<a href=\"https://example.com/?a=1&amp;b=2\">x</a>"),
            "<a href=\"https://example.com/?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener noreferrer\">x</a>"
        );
        assert_eq!(
            clean("<img src=\"data:image/png;base64,AAAA\">"),
            "<img src=\"data:image/png;base64,AAAA\">"
        );
        assert_eq!(clean("<img src=\"data:text/html,x\">"), "<img>");
        // An SVG link's `xlink:href` is not its `href`.
        assert_eq!(
            clean("<svg><a xlink:href=\"javascript:alert(1)\">x</a></svg>"),
            "<svg><a target=\"_blank\" rel=\"noopener noreferrer\">x</a></svg>"
        );
    }

    #[wasm_bindgen_test]
    fn output_is_canonical_so_the_browser_reads_what_was_kept() {
        // Quotes cannot break out of an attribute; stray `<` and `>` become text.
        assert_eq!(
            clean("<div title='a\"><script>x</script>'>1 < 2 > 0</div>"),
            "<div title=\"a&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">1 &lt; 2 &gt; 0</div>"
        );
        // Misnested and unclosed elements as the browser repairs them (the `<b>` open when the
        // `<p>` closed is reopened for the text after it), stray end tags dropped, unknown tags
        // unwrapped.
        assert_eq!(clean("<p><b>x</p>y</i>"), "<p><b>x</b></p><b>y</b>");
        assert_eq!(clean("<custom-el>text</custom-el>"), "text");
        assert_eq!(clean("<!-- c --><!DOCTYPE html>ok"), "ok");
        assert_eq!(clean("a < b"), "a &lt; b");
        // Character references are read as the browser reads them and written canonically.
        assert_eq!(clean("AT&T &copy; &#x27;"), "AT&amp;T © '");
        assert_eq!(clean("<br/><hr>"), "<br><hr>");
        // A tag the input never finishes is no tag (the HTML tokenizer drops it at the end).
        assert_eq!(clean("<div"), "");
        assert_eq!(
            clean("<table><tr><td>1</td></tr></table>"),
            "<table><tbody><tr><td>1</td></tr></tbody></table>"
        );
    }

    #[wasm_bindgen_test]
    fn markup_that_reparses_differently_stays_inert() {
        // Namespace confusion (mutation XSS): whatever the tree, no handler and no script
        // survives, and the output read again is the output.
        for html in [
            "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<svg><p><style><img src=x onerror=alert(1)></style></p></svg>",
            "<form><math><mtext></form><form><mglyph><svg><mtext><style><path id=\"</style><img onerror=alert(1) src>\">",
        ] {
            let once = clean(html);
            assert!(!once.contains("onerror") && !once.contains("<style"), "{html}: {once}");
            assert_eq!(clean(&once), once, "{html}");
        }
    }

    /// The placeholder a blocked remote image becomes.
    fn placeholder(host: &str, alt: &str) -> String {
        format!(
            "<span class=\"remote-image-blocked\" title=\"Remote image from {host}, not loaded\">{alt}</span>"
        )
    }

    #[wasm_bindgen_test]
    fn remote_images_are_blocked_and_counted_by_default() {
        let html = "<p>hi<img src=\"http://tracker.example/p.png?u=1\" alt=\"logo\" width=\"1\">\
                    <img src='https://cdn.example/a.png'></p>";
        let blocked = sanitize(html, Remote::Blocked);
        assert_eq!(
            blocked.html,
            format!(
                "<p>hi{}{}</p>",
                placeholder("tracker.example", "logo"),
                placeholder("cdn.example", "")
            )
        );
        assert_eq!(blocked.blocked.count(), 2);
        assert_eq!(blocked.blocked.hosts(), ["tracker.example", "cdn.example"]);
        // Allowed, the images are kept as they were, and nothing is reported.
        let allowed = sanitize(html, Remote::Allowed);
        assert_eq!(
            allowed.html,
            "<p>hi<img src=\"http://tracker.example/p.png?u=1\" alt=\"logo\" width=\"1\">\
             <img src=\"https://cdn.example/a.png\"></p>"
        );
        assert!(allowed.blocked.is_empty());
    }

    #[wasm_bindgen_test]
    fn remote_images_are_blocked_however_their_url_is_spelt() {
        for src in [
            "HTTPS://TRACKER.example/p.png",
            "hTtP://tracker.example/p.png",
            " \thttps://tracker.example/p.png ",
            "ht&#9;tps://tracker.example/p.png",
            "https&colon;//tracker.example/p.png",
            "&#104;ttps://tracker.example/p.png",
            "&#x68;ttps://tracker.example/p.png",
            "https:&NewLine;//tracker.example/p.png",
            "//tracker.example/p.png",
            "\\\\tracker.example\\p.png",
            "/\\tracker.example/p.png",
            "https://user@tracker.example/p.png",
        ] {
            for html in [
                format!("<img src=\"{src}\" alt=\"a\">"),
                format!("<img src='{src}' alt=a>"),
                format!("<IMG SRC=\"{src}\" alt=\"a\"/>"),
            ] {
                let sanitized = sanitize(&html, Remote::Blocked);
                assert_eq!(
                    sanitized.html,
                    placeholder("tracker.example", "a"),
                    "{html}"
                );
                assert_eq!(sanitized.blocked.hosts(), ["tracker.example"], "{html}");
            }
        }
        // The first `src` is the one the browser loads; a second one cannot hide it.
        let twice = sanitize(
            "<img src=\"https://tracker.example/p.png\" src=\"ok.png\">",
            Remote::Blocked,
        );
        assert_eq!(twice.blocked.count(), 1);
        assert!(!twice.html.contains("<img"), "{}", twice.html);
    }

    #[wasm_bindgen_test]
    fn relative_and_data_images_are_not_remote() {
        for html in [
            "<img src=\"pixel.png\">",
            "<img src=\"/files/pixel.png\">",
            "<img src=\"data:image/png;base64,AAAA\">",
            "<img src=\"?x=//tracker.example\">",
        ] {
            let sanitized = sanitize(html, Remote::Blocked);
            assert_eq!(sanitized.html, html);
            assert!(sanitized.blocked.is_empty(), "{html}");
        }
    }

    #[wasm_bindgen_test]
    fn srcset_and_other_url_attributes_are_never_kept() {
        let sanitized = sanitize(
            "<img src=\"a.png\" srcset=\"https://tracker.example/2x.png 2x\" \
             lowsrc=\"http://t.example/l.png\" dynsrc=\"http://t.example/d\">\
             <table background=\"http://t.example/bg.png\"><tr><td style=\"background:url(http://t.example/s)\">x</td></tr></table>\
             <picture><source srcset=\"http://t.example/p.png\"></picture>\
             <svg><image href=\"http://t.example/i.png\"/><use href=\"http://t.example/u.svg#x\"/>\
             <a href=\"http://t.example/\" ping=\"http://t.example/ping\">l</a></svg>",
            Remote::Blocked,
        );
        // Only the link's own `href` names the host (a link loads nothing until followed).
        assert_eq!(
            sanitized.html.matches("t.example").count(),
            1,
            "{}",
            sanitized.html
        );
        assert!(sanitized.html.contains("<a href=\"http://t.example/\""));
        assert!(!sanitized.html.contains("srcset") && !sanitized.html.contains("ping"));
        assert!(sanitized.blocked.is_empty());
    }

    #[wasm_bindgen_test]
    fn svg_paint_urls_on_other_hosts_are_blocked() {
        let local = "<svg><rect fill=\"url(#grad)\" stroke=\"url( '#g2' )\"></rect></svg>";
        assert_eq!(clean(local), local);
        assert_eq!(
            clean("<svg><rect fill=\"red\" stroke=\"rgb(1, 2, 3)\"></rect></svg>"),
            "<svg><rect fill=\"red\" stroke=\"rgb(1, 2, 3)\"></rect></svg>"
        );
        // SVG's mixed-case names are written lower-case; the page's parser adjusts them back.
        assert_eq!(
            clean("<svg viewBox=\"0 0 1 1\"><linearGradient><stop offset=\"0\"/></linearGradient></svg>"),
            "<svg viewbox=\"0 0 1 1\"><lineargradient><stop offset=\"0\"></stop></lineargradient></svg>"
        );
        for fill in [
            "url(http://tracker.example/p.svg#g)",
            "URL('https://tracker.example/p.svg#g')",
            "url( //tracker.example/p.svg#g ) red",
            "url(#ok) url(https://tracker.example/p.svg#g)",
            "url(&#104;ttps://tracker.example/p.svg#g)",
        ] {
            let html = format!("<svg><rect fill=\"{fill}\" r=\"1\"></rect></svg>");
            let blocked = sanitize(&html, Remote::Blocked);
            assert_eq!(blocked.html, "<svg><rect r=\"1\"></rect></svg>", "{fill}");
            assert_eq!(blocked.blocked.hosts(), ["tracker.example"], "{fill}");
            let allowed = sanitize(&html, Remote::Allowed);
            assert!(allowed.html.contains("fill="), "{fill}");
        }
        // CSS escapes could spell `url(` or a scheme; other schemes are refused outright.
        for fill in [
            "\\75 rl(http://tracker.example/p.svg)",
            "url(\\68 ttp://tracker.example/p.svg)",
            "url(javascript:x)",
        ] {
            let html = format!("<svg><rect fill=\"{fill}\"></rect></svg>");
            for remote in [Remote::Blocked, Remote::Allowed] {
                assert_eq!(
                    sanitize(&html, remote).html,
                    "<svg><rect></rect></svg>",
                    "{fill}"
                );
            }
        }
    }
}
