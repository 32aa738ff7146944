//! Terminal output helpers. Certificate text comes from the network and is
//! attacker-controlled: everything shown on a terminal goes through
//! [`escape`], so an ANSI escape in a subject never reaches the terminal raw.

/// Whether a terminal could act on `c`: control characters (C0, DEL, C1)
/// and bidi controls.
pub(crate) fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Escapes control characters (C0, DEL, C1) and bidi overrides as `\u{…}`
/// (and backslashes as `\\`), leaving printable text as it is.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let dangerous = is_dangerous(c);
        if c == '\\' {
            out.push_str("\\\\");
        } else if dangerous {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The style of a verdict label: red and bold for `intercepted`, yellow
/// for `suspicious`, green for `clean`, magenta for `error`.
pub fn verdict_style(v: mitmwatch_core::model::Verdict) -> anstyle::Style {
    use anstyle::{AnsiColor, Style};
    use mitmwatch_core::model::Verdict;
    let colour = match v {
        Verdict::Clean => AnsiColor::Green,
        Verdict::Suspicious => AnsiColor::Yellow,
        Verdict::Intercepted => AnsiColor::Red,
        Verdict::Error => AnsiColor::Magenta,
    };
    let style = Style::new().fg_color(Some(colour.into()));
    match v {
        Verdict::Intercepted => style.bold(),
        _ => style,
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn ansi_and_bidi_are_neutralised() {
        assert_eq!(escape("CN=\x1b[31mred"), "CN=\\u{1b}[31mred");
        assert_eq!(escape("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(escape("plain, O=Ünïcode"), "plain, O=Ünïcode");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
    }
}
