//! Writing data to stdout (never diagnostics) and formatting sizes, CSV fields and names.
//!
//! File names are chosen by whoever can write into a scanned folder, so human-readable output
//! never prints one raw: [`safe`] escapes everything a terminal acts on (newlines, escape
//! sequences, bidi overrides), so a name cannot erase, reorder or forge lines such as
//! `remove …`. JSON and CSV carry names exactly (their formats quote them).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

/// Writes `text` to stdout. A reader that went away (`declutter dupes | head`) ends the
/// output quietly: that is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Styles of human output: colour only on a terminal, and never with `NO_COLOR` set.
#[derive(Debug, Clone, Copy)]
pub struct Styles {
    /// Headings and totals.
    pub strong: anstyle::Style,
    /// What stays.
    pub keep: anstyle::Style,
    /// What goes.
    pub remove: anstyle::Style,
    /// Secondary detail.
    pub dim: anstyle::Style,
}

impl Styles {
    /// Styles for stdout as it is now.
    pub fn stdout() -> Self {
        use std::io::IsTerminal as _;
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self::new(colour)
    }

    /// With colour, or all plain.
    pub fn new(colour: bool) -> Self {
        use anstyle::{AnsiColor, Style};
        if !colour {
            return Self {
                strong: Style::new(),
                keep: Style::new(),
                remove: Style::new(),
                dim: Style::new(),
            };
        }
        Self {
            strong: Style::new().bold(),
            keep: Style::new().fg_color(Some(AnsiColor::Green.into())),
            remove: Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            dim: Style::new().dimmed(),
        }
    }
}

/// `text` in `style` (nothing added for a plain style).
pub fn paint(style: anstyle::Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Writes a JSON value and a newline to stdout.
pub fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    print(&s)
}

pub use declutter_core::units::human_bytes as human;

/// One RFC 4180 CSV field.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Prints one line of diagnostics to stderr, escaped with [`safe`] (notes carry paths and
/// provider messages).
pub fn note(text: &str) {
    eprintln!("{}", safe(text));
}

/// `s` for a terminal: control characters (C0, DEL, C1), line and paragraph separators, bidi
/// controls and the backslash itself are written as escapes (`\n`, `\t`, `\r`, `\\`,
/// `\u{1b}`), so what is shown is unambiguous and one line; everything else is unchanged.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters a terminal interprets rather than shows, or that reorder what follows.
fn needs_escape(c: char) -> bool {
    c == '\\'
        || c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn names_cannot_break_or_rewrite_lines() {
        assert_eq!(safe("plain name (1).jpg"), "plain name (1).jpg");
        assert_eq!(safe("x\n remove /etc/passwd"), "x\\n remove /etc/passwd");
        assert_eq!(safe("\u{1b}[2Kevil\r"), "\\u{1b}[2Kevil\\r");
        assert_eq!(safe("a\u{9b}b\u{7f}"), "a\\u{9b}b\\u{7f}");
        assert_eq!(safe("gpj.\u{202e}exe"), "gpj.\\u{202e}exe");
        assert_eq!(safe("\u{2067}x\u{2069}"), "\\u{2067}x\\u{2069}");
        assert_eq!(
            safe(r"a\n"),
            r"a\\n",
            "a literal backslash is not a newline"
        );
        assert_eq!(safe("café ✓ 日本"), "café ✓ 日本");
    }
}
