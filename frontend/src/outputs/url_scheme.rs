//! A link's or image's URL in kernel output and markdown, read for its scheme the way the
//! browser's URL parser will read it: the sanitizers and the remote-image check decide on the
//! same reading, so that none of them can be fooled by `java\tscript:` or `HTTPS:`.

/// `url` with ASCII whitespace and control characters removed (the URL parser drops tabs and
/// newlines anywhere, and trims the rest; removing every one only ever finds more schemes) and
/// in lower case.
pub fn normalized(url: &str) -> String {
    url.chars()
        .filter(|c| !(c.is_ascii_whitespace() || c.is_ascii_control()))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The scheme of a [`normalized`] URL, or `None` for a relative one (a `/`, `?` or `#` comes
/// before any `:`).
pub fn scheme(normalized: &str) -> Option<&str> {
    let end = normalized.find([':', '/', '?', '#'])?;
    (normalized.as_bytes()[end] == b':').then(|| &normalized[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_read_as_the_browser_reads_it() {
        for (url, expected) in [
            ("https://h/x", Some("https")),
            ("HTTPS://H", Some("https")),
            (" java\tscript:alert(1)", Some("javascript")),
            ("java\u{0}script:x", Some("javascript")),
            ("mailto:a@b", Some("mailto")),
            ("data:image/png;base64,AA", Some("data")),
            ("/a:b", None),
            ("x/y:z", None),
            ("?q=a:b", None),
            ("#a:b", None),
            ("relative.png", None),
            ("", None),
        ] {
            assert_eq!(scheme(&normalized(url)), expected, "{url:?}");
        }
    }
}
