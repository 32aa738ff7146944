//! Escaping untrusted text (certificate names come from the network) for
//! HTML element content and attribute values, shared by every part of the
//! HTML report.

use std::fmt::Write;

/// Escapes text for HTML element content and attribute values. Control
/// and bidi characters become visible `\u{…}` text, as on the terminal.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Shown as visible text: a character reference would still
            // reorder the page (bidi) or be dropped silently (controls).
            c if c != '\n' && super::terminal::is_dangerous(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}
