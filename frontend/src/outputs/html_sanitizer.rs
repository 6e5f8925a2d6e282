//! Kernel HTML (`text/html` outputs: pandas tables, IPython's `HTML(...)`) made safe to put in
//! the page: an allowlist of elements and attributes, re-serialized by wirebook itself.
//!
//! The input is tokenized leniently and every kept piece is written out again in canonical
//! form — text and attribute values escaped, every element closed — so what the browser parses
//! is exactly what this module decided to keep; there is no way for the kernel's markup to be
//! read differently by the browser than here. Scripts, styles, frames, objects, forms and
//! templates go with their content; event handlers, `style`, `id` and `class` are never kept
//! (a class or style of the page's own could lay the output over the page); `href`
//! and `src` keep only http(s), mailto (links), `data:image/…` (images) and relative URLs —
//! after removing what browsers ignore inside a scheme, so `java&#9;script:` is caught. Links
//! open in a new tab without an opener. Inline SVG keeps its drawing elements; images of type
//! `image/svg+xml` are shown through `<img>`, which never runs their scripts.
//!
//! Remote images are a tracking pixel's way in, so unless told [`Remote::Allowed`] an `<img>`
//! whose source is on another host (see [`crate::outputs::remote_content`]) becomes a placeholder that
//! loads nothing and shows its `alt` text, and a `fill`/`stroke` `url(…)` that points at another
//! host is dropped; [`SafeHtml::blocked`] says what was left out. `srcset`, `background`,
//! `style` and the other ways to name a URL are never kept at all.

use crate::outputs::remote_content::{
    blocked_image_title, remote_host, BlockedImages, Remote, SafeHtml, BLOCKED_IMAGE_CLASS,
};

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
    "math",
    "foreignobject",
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
];

/// `text/html` from a kernel as HTML that can be set as `innerHTML`, with remote images left
/// out unless `remote` allows them.
pub fn sanitize(html: &str, remote: Remote) -> SafeHtml {
    let mut writer = Writer {
        out: String::with_capacity(html.len()),
        remote,
        blocked: BlockedImages::default(),
    };
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            escape_text(&mut writer.out, rest);
            break;
        };
        escape_text(&mut writer.out, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
            continue;
        }
        let Some(tag) = Tag::parse(rest) else {
            // A `<` that opens no tag is text.
            writer.out.push_str("&lt;");
            rest = &rest[1..];
            continue;
        };
        rest = &rest[tag.len..];
        if tag.end {
            if let Some(depth) = open.iter().rposition(|name| *name == tag.name) {
                for name in open.drain(depth..).rev() {
                    close(&mut writer.out, &name);
                }
            }
            continue;
        }
        if DROPPED_WITH_CONTENT.contains(&tag.name.as_str()) {
            if !tag.self_closing {
                rest = skip_element(rest, &tag.name);
            }
            continue;
        }
        if !ELEMENTS.contains(&tag.name.as_str()) {
            // Unknown elements go; their text stays.
            continue;
        }
        writer.start(&tag);
        if VOID.contains(&tag.name.as_str()) {
            continue;
        }
        if tag.self_closing {
            close(&mut writer.out, &tag.name);
        } else {
            open.push(tag.name);
        }
    }
    for name in open.into_iter().rev() {
        close(&mut writer.out, &name);
    }
    SafeHtml {
        html: writer.out,
        blocked: writer.blocked,
    }
}

/// The output being written, and the remote images left out of it so far.
struct Writer {
    out: String,
    remote: Remote,
    blocked: BlockedImages,
}

/// A start or end tag.
struct Tag {
    name: String,
    end: bool,
    self_closing: bool,
    attributes: Vec<(String, String)>,
    /// Bytes of the input it took, from its `<` to its `>`.
    len: usize,
}

impl Tag {
    /// The tag at the start of `input` (which starts with `<`), or `None` if the `<` opens none.
    fn parse(input: &str) -> Option<Tag> {
        let bytes = input.as_bytes();
        let mut i = 1;
        let end = bytes.get(i) == Some(&b'/');
        if end {
            i += 1;
        }
        if !bytes.get(i)?.is_ascii_alphabetic() {
            return None;
        }
        let name_start = i;
        while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
            i += 1;
        }
        let name = input[name_start..i].to_ascii_lowercase();
        let mut attributes = Vec::new();
        let mut self_closing = false;
        loop {
            while i < bytes.len() && (is_space(bytes[i]) || bytes[i] == b'/') {
                self_closing = bytes[i] == b'/';
                i += 1;
            }
            match bytes.get(i) {
                // An unterminated tag: the rest of the input is the tag.
                None => {
                    return Some(Tag {
                        name,
                        end,
                        self_closing,
                        attributes,
                        len: input.len(),
                    })
                }
                Some(b'>') => {
                    return Some(Tag {
                        name,
                        end,
                        self_closing,
                        attributes,
                        len: i + 1,
                    })
                }
                Some(_) => {}
            }
            self_closing = false;
            let attr_start = i;
            while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=')
            {
                i += 1;
            }
            // `=` at the start of a name is part of it, as the HTML tokenizer reads it.
            if i == attr_start {
                i += 1;
            }
            let attr_name = input[attr_start..i].to_ascii_lowercase();
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            let mut value = String::new();
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                while i < bytes.len() && is_space(bytes[i]) {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(&quote @ (b'"' | b'\'')) => {
                        let start = i + 1;
                        let stop = input[start..]
                            .find(quote as char)
                            .map_or(input.len(), |n| start + n);
                        value = decode_entities(&input[start..stop]);
                        i = (stop + 1).min(input.len());
                    }
                    _ => {
                        let start = i;
                        while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'>' {
                            i += 1;
                        }
                        value = decode_entities(&input[start..i]);
                    }
                }
            }
            attributes.push((attr_name, value));
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// What follows an element dropped with its content: the input after its end tag (or nothing,
/// when it has none).
fn skip_element<'a>(rest: &'a str, name: &str) -> &'a str {
    let lower = rest.to_ascii_lowercase();
    let end_tag = format!("</{name}");
    let mut from = 0;
    while let Some(at) = lower[from..].find(&end_tag) {
        let at = from + at;
        let after = at + end_tag.len();
        // `</scriptx` does not end a script.
        if lower[after..]
            .bytes()
            .next()
            .is_none_or(|b| is_space(b) || b == b'>' || b == b'/')
        {
            return rest[after..]
                .find('>')
                .map_or("", |n| &rest[after + n + 1..]);
        }
        from = after;
    }
    ""
}

impl Writer {
    /// Writes a kept element's start tag with its kept attributes, or, for a remote image that
    /// is blocked, the placeholder in its place.
    fn start(&mut self, tag: &Tag) {
        if tag.name == "img" {
            if let Some(src) = first(tag, "src") {
                if self.remote == Remote::Blocked
                    && safe_url(src, true)
                    && remote_host(src).is_some()
                {
                    self.blocked_image(src, first(tag, "alt").unwrap_or_default());
                    return;
                }
            }
        }
        let out = &mut self.out;
        out.push('<');
        out.push_str(&tag.name);
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in &tag.attributes {
            // The first of duplicate attributes wins, as in the browser.
            if seen.contains(&name.as_str()) {
                continue;
            }
            seen.push(name);
            let kept = match name.as_str() {
                "href" if tag.name == "a" => safe_url(value, false),
                "src" if tag.name == "img" => safe_url(value, true),
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
                name if ATTRIBUTES.contains(&name) => true,
                _ => false,
            };
            if kept {
                out.push(' ');
                out.push_str(name);
                out.push_str("=\"");
                escape_attribute(out, value);
                out.push('"');
            }
        }
        if tag.name == "a" {
            out.push_str(" target=\"_blank\" rel=\"noopener noreferrer\"");
        }
        out.push('>');
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

/// The value of a tag's attribute `name` (the first, as the browser reads it).
fn first<'t>(tag: &'t Tag, name: &str) -> Option<&'t str> {
    tag.attributes
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
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

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Whether a link (or, with `image`, an image source) may point there.
fn safe_url(url: &str, image: bool) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !(c.is_ascii_whitespace() || c.is_ascii_control()))
        .collect();
    let lower = cleaned.to_ascii_lowercase();
    let scheme_end = lower.find([':', '/', '?', '#']);
    match scheme_end {
        Some(end) if lower.as_bytes()[end] == b':' => {
            let scheme = &lower[..end];
            match scheme {
                "http" | "https" => true,
                "mailto" => !image,
                "data" => image && lower.starts_with("data:image/"),
                _ => false,
            }
        }
        // Relative.
        _ => true,
    }
}

/// Text as HTML: `<`, `>` and `&` escaped, except that a well-formed character reference
/// (`&amp;`, `&nbsp;`, `&#8212;`) stays one.
fn escape_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['<', '>', '&']) {
        out.push_str(&rest[..at]);
        match rest.as_bytes()[at] {
            b'<' => out.push_str("&lt;"),
            b'>' => out.push_str("&gt;"),
            _ => {
                if character_reference_len(&rest[at..]).is_some() {
                    out.push('&');
                } else {
                    out.push_str("&amp;");
                }
            }
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
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

/// The length of the character reference `&…;` at the start of `text`, if it is one.
fn character_reference_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix('&')?;
    let end = body.find(';')?;
    let name = &body[..end];
    let valid = if let Some(number) = name.strip_prefix('#') {
        match number.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
        }
    } else {
        !name.is_empty() && name.len() <= 32 && name.chars().all(|c| c.is_ascii_alphanumeric())
    };
    valid.then_some(end + 2)
}

/// Attribute values with their character references decoded (numeric ones and the named ones
/// that matter to a URL's scheme), so that the URL check sees what the browser will.
fn decode_entities(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // References without their `;` decode too (`&#106` is `j` in an attribute).
        let body = &rest[1..];
        let (decoded, len) = if let Some(number) = body.strip_prefix('#') {
            let (digits, radix) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            let count = digits.chars().take_while(|c| c.is_digit(radix)).count();
            let prefix = body.len() - number.len() + (number.len() - digits.len());
            let code = u32::from_str_radix(&digits[..count], radix).ok();
            let semicolon = usize::from(digits[count..].starts_with(';'));
            match code.and_then(char::from_u32) {
                Some(c) if count > 0 => (Some(c), 1 + prefix + count + semicolon),
                _ => (None, 0),
            }
        } else {
            const NAMED: &[(&str, char)] = &[
                ("amp", '&'),
                ("lt", '<'),
                ("gt", '>'),
                ("quot", '"'),
                ("apos", '\''),
                ("colon", ':'),
                ("tab", '\t'),
                ("newline", '\n'),
                ("nbsp", '\u{a0}'),
            ];
            NAMED
                .iter()
                .find(|(name, _)| {
                    body.len() >= name.len() && body[..name.len()].eq_ignore_ascii_case(name)
                })
                .map_or((None, 0), |(name, c)| {
                    let semicolon = usize::from(body[name.len()..].starts_with(';'));
                    (Some(*c), 1 + name.len() + semicolon)
                })
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HTML kept with remote images blocked (the default).
    fn clean(html: &str) -> String {
        sanitize(html, Remote::Blocked).html
    }

    #[test]
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

    #[test]
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
    }

    #[test]
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

    #[test]
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
    }

    #[test]
    fn output_is_canonical_so_the_browser_reads_what_was_kept() {
        // Quotes cannot break out of an attribute; stray `<` and `>` become text.
        assert_eq!(
            clean("<div title='a\"><script>x</script>'>1 < 2 > 0</div>"),
            "<div title=\"a&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">1 &lt; 2 &gt; 0</div>"
        );
        // Unclosed elements are closed, stray end tags dropped, unknown tags unwrapped.
        assert_eq!(clean("<p><b>x</p>y</i>"), "<p><b>x</b></p>y");
        assert_eq!(clean("<custom-el>text</custom-el>"), "text");
        assert_eq!(clean("<!-- c --><!DOCTYPE html>ok"), "ok");
        assert_eq!(clean("a < b"), "a &lt; b");
        assert_eq!(clean("AT&T &copy; &#x27;"), "AT&amp;T &copy; &#x27;");
        assert_eq!(clean("<br/><hr>"), "<br><hr>");
        assert_eq!(clean("<div"), "<div></div>");
    }

    /// The placeholder a blocked remote image becomes.
    fn placeholder(host: &str, alt: &str) -> String {
        format!(
            "<span class=\"remote-image-blocked\" title=\"Remote image from {host}, not loaded\">{alt}</span>"
        )
    }

    #[test]
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

    #[test]
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

    #[test]
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

    #[test]
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

    #[test]
    fn svg_paint_urls_on_other_hosts_are_blocked() {
        let local = "<svg><rect fill=\"url(#grad)\" stroke=\"url( '#g2' )\"></rect></svg>";
        assert_eq!(clean(local), local);
        assert_eq!(
            clean("<svg><rect fill=\"red\" stroke=\"rgb(1, 2, 3)\"></rect></svg>"),
            "<svg><rect fill=\"red\" stroke=\"rgb(1, 2, 3)\"></rect></svg>"
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
