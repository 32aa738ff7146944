//! Putting untrusted text into Markdown. Certificate names, domains and
//! ids come from the network; in Markdown they could open links, mention
//! people, inject HTML or break a table. They are therefore only ever
//! written as inline code spans, whose content Markdown shows verbatim,
//! after control characters are escaped as on the terminal.

use crate::terminal::escape;

/// `text` as an inline code span: control and bidi characters escaped
/// (so no newline can end the span), and a backtick fence longer than any
/// run of backticks inside.
pub(crate) fn code(text: &str) -> String {
    let text = escape(text);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    // A space on each side keeps a leading or trailing backtick (or space)
    // from joining the fence; Markdown strips one space from each side.
    let pad = if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// [`code`] for a table cell: `|` would end the cell even inside a code
/// span in GitHub's tables, so it is escaped as `\|`.
pub(crate) fn cell(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// A line of the user's own note as a quoted line: their Markdown is kept,
/// control characters are escaped.
pub(crate) fn quote(note: &str) -> String {
    note.lines().map(|l| format!("> {}\n", escape(l))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cannot_be_broken_out_of() {
        assert_eq!(
            code("C=KZ, CN=Security Certificate"),
            "`C=KZ, CN=Security Certificate`"
        );
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("x\n# heading"), "`x\\u{a}# heading`");
        assert_eq!(
            code("<img src=x onerror=alert(1)>"),
            "`<img src=x onerror=alert(1)>`"
        );
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(code(""), "`  `");
    }
}
