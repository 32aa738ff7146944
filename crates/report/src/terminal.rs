//! Terminal output helpers. Certificate text comes from the network and is
//! attacker-controlled: everything shown on a terminal goes through
//! [`escape`], so an ANSI escape in a subject never reaches the terminal raw.

/// Escapes control characters (C0, DEL, C1) and bidi overrides as `\u{…}`
/// (and backslashes as `\\`), leaving printable text as it is
/// ([`mitmwatch_core::encoding::escape_controls`]).
pub fn escape(text: &str) -> String {
    mitmwatch_core::encoding::escape_controls(text)
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
