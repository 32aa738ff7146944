//! Terminal output: `--color` and verdict colours.
//!
//! Colour codes are written through anstream, which removes them when the
//! stream is not a terminal, when `NO_COLOR` is set (<https://no-color.org>)
//! or with `--color never`, and keeps them with `--color always`.

use crate::cli::ColorWhen;
use anstyle::{AnsiColor, Style};
use mitmwatch_core::model::{Assessment, Verdict};
use mitmwatch_report::text;

/// Applies `--color` to every anstream stream of the process.
pub fn set_color(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// Whether text written to stdout is coloured: `--color`, `NO_COLOR`,
/// `CLICOLOR_FORCE` and whether stdout is a terminal decide.
pub fn stdout_coloured() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// The style of a verdict label.
pub fn verdict_style(v: Verdict) -> Style {
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

/// `text::assessment_line` with its verdict label styled. The codes are
/// only placed around the label mitmwatch wrote; text from the network in
/// the rest of the line was escaped by `assessment_line`.
pub fn coloured_assessment_line(a: &Assessment) -> String {
    let line = text::assessment_line(a);
    let label = text::verdict_label(a.verdict);
    // The label follows the target column (padded to 32) and one space.
    let target_width = mitmwatch_report::terminal::escape(&a.target.to_string())
        .chars()
        .count()
        .max(32);
    let Some((at, _)) = line.char_indices().nth(target_width + 1) else {
        return line;
    };
    if !line[at..].starts_with(label) {
        return line;
    }
    let style = verdict_style(a.verdict);
    format!(
        "{}{style}{label}{style:#}{}",
        &line[..at],
        &line[at + label.len()..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_label_is_styled() {
        let mut a: Assessment = serde_json::from_str(
            r#"{"type":"assessment","schema":2,"target":{"host":"example.com","port":443,"sni":"example.com"},
            "address":null,"observed_at":"2026-12-01T22:55:42Z","validated_at":"2026-12-01T22:55:42Z",
            "status":"connect-refused","failure":"refused","verdict":"error","chain_trust":null,
            "interceptor":null,"leaf":null,"findings":[]}"#,
        )
        .unwrap();
        assert!(coloured_assessment_line(&a).contains("\u{1b}[35merror\u{1b}[0m"));
        a.verdict = Verdict::Intercepted;
        let line = coloured_assessment_line(&a);
        let plain = text::assessment_line(&a);
        assert!(
            line.contains("\u{1b}[1m\u{1b}[31mINTERCEPTED\u{1b}[0m"),
            "{line:?}"
        );
        let stripped: String = anstream::adapter::strip_str(&line).to_string();
        assert_eq!(stripped, plain);
    }
}
