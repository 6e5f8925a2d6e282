//! Terminal colour escapes (ANSI SGR) in kernel output, turned into styled text spans.
//!
//! IPython writes tracebacks (and many libraries their logs) with SGR escapes: the 16 colours
//! (30–37, 90–97 and their backgrounds), the 256-colour palette (`38;5;n`), 24-bit colour
//! (`38;2;r;g;b`), bold and reset. [`spans`] keeps the text and its style and drops every other
//! escape (cursor movement, erase, OSC titles and hyperlinks), so nothing from the kernel is
//! ever interpreted as markup: the view puts span text into text nodes.
//!
//! [`collapse_carriage_returns`] does what a terminal does with `\r` (progress bars rewrite
//! their line), as Jupyter does before showing stream output; [`plain`] is the text alone
//! (what `wirebook run` prints of a traceback).

/// A colour as the escape named it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// One of the 16 terminal colours (0–7 normal, 8–15 bright): styled by the stylesheet's
    /// palette, like Jupyter's `ansi-red-fg`.
    Named(u8),
    /// Any other colour, as RGB.
    Rgb(u8, u8, u8),
}

/// The style of a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub fg: Option<Color>,
    pub bg: Option<Color>,
    pub bold: bool,
    pub faint: bool,
    pub italic: bool,
    pub underline: bool,
    /// Foreground and background swapped (SGR 7).
    pub inverse: bool,
}

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

const ESC: char = '\u{1b}';

/// `text` without its escapes.
pub fn plain(text: &str) -> String {
    spans(text).into_iter().map(|span| span.text).collect()
}

/// `text` split into styled spans, escapes removed. Adjacent text with the same style is one
/// span; empty spans are left out.
pub fn spans(text: &str) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut style = Style::default();
    let mut chars = text.char_indices().peekable();
    let mut run_start = 0;
    let push = |out: &mut Vec<Span>, text: &str, style: Style| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.style == style => last.text.push_str(text),
            _ => out.push(Span {
                text: text.to_string(),
                style,
            }),
        }
    };
    while let Some((at, c)) = chars.next() {
        if c != ESC {
            continue;
        }
        push(&mut out, &text[run_start..at], style);
        match chars.peek().map(|&(_, c)| c) {
            Some('[') => {
                chars.next();
                // CSI: parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, final 0x40–0x7E.
                let params_start = chars.peek().map_or(text.len(), |&(i, _)| i);
                let mut params_end = params_start;
                let mut last = None;
                for (i, c) in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        last = Some(c);
                        break;
                    }
                    if !('\u{20}'..='\u{3f}').contains(&c) {
                        // Not a CSI after all: drop what was read.
                        break;
                    }
                    params_end = i + c.len_utf8();
                }
                if last == Some('m') {
                    apply_sgr(&mut style, &text[params_start..params_end]);
                }
            }
            Some(']') => {
                // OSC (window titles, hyperlinks): up to BEL or ESC \.
                chars.next();
                while let Some((_, c)) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == ESC {
                        if chars.peek().map(|&(_, c)| c) == Some('\\') {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            // Any other escape: intermediate bytes (0x20–0x2F, as in `ESC ( B`) and one final
            // character.
            Some(_) => {
                for (_, c) in chars.by_ref() {
                    if !('\u{20}'..='\u{2f}').contains(&c) {
                        break;
                    }
                }
            }
            None => {}
        }
        run_start = chars.peek().map_or(text.len(), |&(i, _)| i);
    }
    push(&mut out, &text[run_start..], style);
    out
}

/// Applies an SGR parameter string such as `0;31` or `38;5;208` (empty means reset).
fn apply_sgr(style: &mut Style, params: &str) {
    // Only plain numeric parameters: private sequences (`?…`) and colon forms are skipped.
    let mut codes = Vec::new();
    for part in params.split(';') {
        if part.is_empty() {
            codes.push(0);
        } else if let Ok(n) = part.parse::<u32>() {
            codes.push(n);
        } else {
            return;
        }
    }
    let mut codes = codes.into_iter();
    while let Some(code) = codes.next() {
        match code {
            0 => *style = Style::default(),
            1 => style.bold = true,
            2 => style.faint = true,
            3 => style.italic = true,
            4 => style.underline = true,
            7 => style.inverse = true,
            22 => {
                style.bold = false;
                style.faint = false;
            }
            23 => style.italic = false,
            24 => style.underline = false,
            27 => style.inverse = false,
            30..=37 => style.fg = Some(Color::Named((code - 30) as u8)),
            90..=97 => style.fg = Some(Color::Named((code - 90 + 8) as u8)),
            40..=47 => style.bg = Some(Color::Named((code - 40) as u8)),
            100..=107 => style.bg = Some(Color::Named((code - 100 + 8) as u8)),
            39 => style.fg = None,
            49 => style.bg = None,
            38 | 48 => {
                let color = match codes.next() {
                    Some(5) => codes.next().and_then(|n| u8::try_from(n).ok()).map(indexed),
                    Some(2) => {
                        let mut channel = || codes.next().and_then(|n| u8::try_from(n).ok());
                        match (channel(), channel(), channel()) {
                            (Some(r), Some(g), Some(b)) => Some(Color::Rgb(r, g, b)),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                // A malformed extended colour ends the sequence: what follows is its garbage.
                let Some(color) = color else { return };
                if code == 38 {
                    style.fg = Some(color);
                } else {
                    style.bg = Some(color);
                }
            }
            _ => {}
        }
    }
}

/// A colour of the 256-colour palette: the 16 named ones, the 6×6×6 cube, the grey ramp.
fn indexed(n: u8) -> Color {
    match n {
        0..=15 => Color::Named(n),
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let n = n - 16;
            Color::Rgb(level(n / 36), level(n / 6 % 6), level(n % 6))
        }
        232..=255 => {
            let v = 8 + 10 * (n - 232);
            Color::Rgb(v, v, v)
        }
    }
}

impl Style {
    /// The foreground and background as drawn: swapped when inverse (SGR 7).
    fn drawn_colors(&self) -> (Option<Color>, Option<Color>) {
        if self.inverse {
            (self.bg, self.fg)
        } else {
            (self.fg, self.bg)
        }
    }

    /// CSS classes for the named colours and text attributes (`ansi-fg-1 ansi-bold`).
    pub fn classes(&self) -> String {
        let (fg, bg) = self.drawn_colors();
        let mut classes = Vec::new();
        if let Some(Color::Named(n)) = fg {
            classes.push(format!("ansi-fg-{n}"));
        }
        if let Some(Color::Named(n)) = bg {
            classes.push(format!("ansi-bg-{n}"));
        }
        if self.inverse && fg.is_none() {
            classes.push("ansi-fg-inverse".to_string());
        }
        if self.inverse && bg.is_none() {
            classes.push("ansi-bg-inverse".to_string());
        }
        for (on, class) in [
            (self.bold, "ansi-bold"),
            (self.faint, "ansi-faint"),
            (self.italic, "ansi-italic"),
            (self.underline, "ansi-underline"),
        ] {
            if on {
                classes.push(class.to_string());
            }
        }
        classes.join(" ")
    }

    /// Inline CSS for RGB colours, which have no class.
    pub fn css(&self) -> String {
        let (fg, bg) = self.drawn_colors();
        let mut css = String::new();
        if let Some(Color::Rgb(r, g, b)) = fg {
            css.push_str(&format!("color:rgb({r},{g},{b});"));
        }
        if let Some(Color::Rgb(r, g, b)) = bg {
            css.push_str(&format!("background-color:rgb({r},{g},{b});"));
        }
        css
    }

    pub fn is_plain(&self) -> bool {
        *self == Style::default()
    }
}

/// Text as a terminal leaves it after carriage returns: on each line only what was written
/// after the last `\r` stays (`\r\n` is a plain line end).
pub fn collapse_carriage_returns(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_string();
    }
    text.split('\n')
        .map(|line| {
            let line = line.trim_end_matches('\r');
            line.rsplit('\r').next().unwrap_or(line)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn styled(text: &str, f: impl FnOnce(&mut Style)) -> Span {
        let mut style = Style::default();
        f(&mut style);
        Span {
            text: text.into(),
            style,
        }
    }

    fn plain(text: &str) -> Span {
        styled(text, |_| {})
    }

    #[test]
    fn plain_text_is_one_span() {
        assert_eq!(spans("a < b & c"), vec![plain("a < b & c")]);
        assert_eq!(spans(""), vec![]);
    }

    #[test]
    fn the_text_alone_has_no_escapes() {
        let traceback =
            "\u{1b}[0;31mNameError\u{1b}[0m: name \u{1b}]8;;http://x\u{7}'x'\u{1b}]8;;\u{7}";
        assert_eq!(super::plain(traceback), "NameError: name 'x'");
    }

    #[test]
    fn an_ipython_traceback_line() {
        let line = "\u{1b}[0;31mZeroDivisionError\u{1b}[0m: division by zero \
                    \u{1b}[1;32m----> 1\u{1b}[0m \u{1b}[38;5;241m1\u{1b}[39m";
        assert_eq!(
            spans(line),
            vec![
                styled("ZeroDivisionError", |s| s.fg = Some(Color::Named(1))),
                plain(": division by zero "),
                styled("----> 1", |s| {
                    s.fg = Some(Color::Named(2));
                    s.bold = true
                }),
                plain(" "),
                styled("1", |s| s.fg = Some(Color::Rgb(98, 98, 98))),
            ]
        );
    }

    #[test]
    fn bright_background_and_default_colours() {
        assert_eq!(
            spans("\u{1b}[91;44mx\u{1b}[39my\u{1b}[49mz"),
            vec![
                styled("x", |s| {
                    s.fg = Some(Color::Named(9));
                    s.bg = Some(Color::Named(4))
                }),
                styled("y", |s| s.bg = Some(Color::Named(4))),
                plain("z"),
            ]
        );
        assert_eq!(
            spans("\u{1b}[104mb\u{1b}[mc"),
            vec![styled("b", |s| s.bg = Some(Color::Named(12))), plain("c")]
        );
    }

    #[test]
    fn the_256_colour_palette_and_truecolour() {
        assert_eq!(indexed(3), Color::Named(3));
        assert_eq!(indexed(16), Color::Rgb(0, 0, 0));
        assert_eq!(indexed(196), Color::Rgb(255, 0, 0));
        assert_eq!(indexed(231), Color::Rgb(255, 255, 255));
        assert_eq!(indexed(232), Color::Rgb(8, 8, 8));
        assert_eq!(indexed(255), Color::Rgb(238, 238, 238));
        assert_eq!(
            spans("\u{1b}[48;2;1;2;3mx"),
            vec![styled("x", |s| s.bg = Some(Color::Rgb(1, 2, 3)))]
        );
        // A broken extended colour is ignored, with the rest of its sequence.
        assert_eq!(spans("\u{1b}[38;5;999;1mx"), vec![plain("x")]);
        assert_eq!(spans("\u{1b}[38;2;1mx"), vec![plain("x")]);
    }

    #[test]
    fn bold_and_normal_intensity() {
        assert_eq!(
            spans("\u{1b}[1ma\u{1b}[22mb"),
            vec![styled("a", |s| s.bold = true), plain("b")]
        );
    }

    #[test]
    fn other_escapes_are_stripped() {
        assert_eq!(spans("a\u{1b}[2Kb\u{1b}[1Ac"), vec![plain("abc")]);
        assert_eq!(
            spans("\u{1b}]0;title\u{7}x\u{1b}]8;;http://e.x\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            vec![plain("xlink")]
        );
        assert_eq!(spans("a\u{1b}(Bb\u{1b}"), vec![plain("ab")]);
        assert_eq!(spans("a\u{1b}7b"), vec![plain("ab")]);
        assert_eq!(spans("\u{1b}[?25lx"), vec![plain("x")]);
        // An unterminated CSI swallows nothing it should not and never panics.
        assert_eq!(spans("x\u{1b}["), vec![plain("x")]);
        assert_eq!(spans("x\u{1b}[31"), vec![plain("x")]);
        assert_eq!(
            spans("é\u{1b}[31mü"),
            vec![plain("é"), styled("ü", |s| s.fg = Some(Color::Named(1)))]
        );
    }

    #[test]
    fn classes_and_css() {
        let mut style = Style {
            fg: Some(Color::Named(1)),
            bold: true,
            ..Style::default()
        };
        assert_eq!(style.classes(), "ansi-fg-1 ansi-bold");
        assert_eq!(style.css(), "");
        style.bg = Some(Color::Rgb(1, 2, 3));
        assert_eq!(style.css(), "background-color:rgb(1,2,3);");
        style.inverse = true;
        assert_eq!(style.classes(), "ansi-bg-1 ansi-bold");
        assert_eq!(style.css(), "color:rgb(1,2,3);");
        let inverse = Style {
            inverse: true,
            ..Style::default()
        };
        assert_eq!(inverse.classes(), "ansi-fg-inverse ansi-bg-inverse");
        assert!(Style::default().is_plain());
    }

    #[test]
    fn inverse_and_combined_codes_as_ipykernel_writes_them() {
        let out = spans("\u{1b}[1;31mE\u{1b}[7mI\u{1b}[27mN\u{1b}[0m.");
        assert_eq!(
            out,
            vec![
                styled("E", |s| {
                    s.bold = true;
                    s.fg = Some(Color::Named(1));
                }),
                styled("I", |s| {
                    s.bold = true;
                    s.fg = Some(Color::Named(1));
                    s.inverse = true;
                }),
                styled("N", |s| {
                    s.bold = true;
                    s.fg = Some(Color::Named(1));
                }),
                plain("."),
            ]
        );
        // Inverse swaps the colours: red text becomes red background.
        assert_eq!(
            out[1].style.classes(),
            "ansi-bg-1 ansi-fg-inverse ansi-bold"
        );
        // 256-colour index 208 (orange) lies in the 6×6×6 cube.
        let orange = spans("\u{1b}[38;5;208mo");
        assert_eq!(orange[0].style.fg, Some(Color::Rgb(255, 135, 0)));
    }

    #[test]
    fn carriage_returns_rewrite_the_line() {
        assert_eq!(
            collapse_carriage_returns("10%\r50%\r100%\ndone\r\n"),
            "100%\ndone\n"
        );
        assert_eq!(collapse_carriage_returns("no returns"), "no returns");
        assert_eq!(collapse_carriage_returns("a\r"), "a");
    }
}
