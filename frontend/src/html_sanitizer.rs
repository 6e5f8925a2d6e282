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

/// `text/html` from a kernel as HTML that can be set as `innerHTML`.
pub fn sanitize(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            escape_text(&mut out, rest);
            break;
        };
        escape_text(&mut out, &rest[..lt]);
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
            out.push_str("&lt;");
            rest = &rest[1..];
            continue;
        };
        rest = &rest[tag.len..];
        if tag.end {
            if let Some(depth) = open.iter().rposition(|name| *name == tag.name) {
                for name in open.drain(depth..).rev() {
                    close(&mut out, &name);
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
        write_start(&mut out, &tag);
        if VOID.contains(&tag.name.as_str()) {
            continue;
        }
        if tag.self_closing {
            close(&mut out, &tag.name);
        } else {
            open.push(tag.name);
        }
    }
    for name in open.into_iter().rev() {
        close(&mut out, &name);
    }
    out
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

fn write_start(out: &mut String, tag: &Tag) {
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

    #[test]
    fn tables_and_text_formatting_survive() {
        let html = "<table border=\"1\"><thead><tr><th>a</th></tr></thead>\
                    <tbody><tr><td>1 &amp; 2</td></tr></tbody></table>";
        assert_eq!(sanitize(html), html);
        assert_eq!(
            sanitize("<table class=\"overlay-backdrop\"></table>"),
            "<table></table>"
        );
        assert_eq!(
            sanitize("<b>bold</b> <i>it</i>&nbsp;<code>x</code>"),
            "<b>bold</b> <i>it</i>&nbsp;<code>x</code>"
        );
    }

    #[test]
    fn scripts_styles_and_frames_go_with_their_content() {
        assert_eq!(sanitize("a<script>alert(1)</script>b"), "ab");
        assert_eq!(sanitize("a<SCRIPT type=x>alert('</b>')</SCRIPT >b"), "ab");
        assert_eq!(sanitize("<style>body{display:none}</style>x"), "x");
        assert_eq!(sanitize("<iframe src=\"http://x\"></iframe>y"), "y");
        assert_eq!(sanitize("<script>never closed"), "");
        assert_eq!(
            sanitize("<svg><foreignObject><script>x</script></foreignObject></svg>"),
            "<svg></svg>"
        );
        // `</scriptx>` does not end the script.
        assert_eq!(sanitize("<script>a</scriptx>b</script>c"), "c");
    }

    #[test]
    fn event_handlers_styles_and_ids_are_dropped() {
        assert_eq!(
            sanitize("<img src=\"a.png\" onerror=\"alert(1)\" style=\"position:fixed\" id=\"x\">"),
            "<img src=\"a.png\">"
        );
        assert_eq!(
            sanitize("<div onclick=alert(1) title='t'>x</div>"),
            "<div title=\"t\">x</div>"
        );
        assert_eq!(
            sanitize("<svg onload=\"alert(1)\"><circle r=\"2\" onmouseover=\"x\"/></svg>"),
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
                sanitize(&html),
                "<a target=\"_blank\" rel=\"noopener noreferrer\">x</a>",
                "{href}"
            );
        }
        assert_eq!(
            sanitize("<a href=\"https://example.com/?a=1&amp;b=2\">x</a>"),
            "<a href=\"https://example.com/?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener noreferrer\">x</a>"
        );
        assert_eq!(
            sanitize("<img src=\"data:image/png;base64,AAAA\">"),
            "<img src=\"data:image/png;base64,AAAA\">"
        );
        assert_eq!(sanitize("<img src=\"data:text/html,x\">"), "<img>");
    }

    #[test]
    fn output_is_canonical_so_the_browser_reads_what_was_kept() {
        // Quotes cannot break out of an attribute; stray `<` and `>` become text.
        assert_eq!(
            sanitize("<div title='a\"><script>x</script>'>1 < 2 > 0</div>"),
            "<div title=\"a&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">1 &lt; 2 &gt; 0</div>"
        );
        // Unclosed elements are closed, stray end tags dropped, unknown tags unwrapped.
        assert_eq!(sanitize("<p><b>x</p>y</i>"), "<p><b>x</b></p>y");
        assert_eq!(sanitize("<custom-el>text</custom-el>"), "text");
        assert_eq!(sanitize("<!-- c --><!DOCTYPE html>ok"), "ok");
        assert_eq!(sanitize("a < b"), "a &lt; b");
        assert_eq!(sanitize("AT&T &copy; &#x27;"), "AT&amp;T &copy; &#x27;");
        assert_eq!(sanitize("<br/><hr>"), "<br><hr>");
        assert_eq!(sanitize("<div"), "<div></div>");
    }
}
