//! Terminal output: `--color` and verdict colours.
//!
//! Colour codes are written through anstream, which removes them when the
//! stream is not a terminal, when `NO_COLOR` is set (<https://no-color.org>)
//! or with `--color never`, and keeps them with `--color always`.

use crate::cli::ColorWhen;
use mitmwatch_core::model::Assessment;
use mitmwatch_report::text;
use std::io::Write;

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

/// The width text is wrapped to: the terminal's when stdout is one, else
/// `$COLUMNS` when set, else 80. Never below 40.
pub fn text_width() -> usize {
    use std::io::IsTerminal;
    let stdout = std::io::stdout();
    let terminal = stdout
        .is_terminal()
        .then(|| terminal_size::terminal_size_of(&stdout))
        .flatten()
        .map(|(w, _)| usize::from(w.0));
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
    };
    terminal
        .or_else(columns)
        .filter(|w| *w > 0)
        .unwrap_or(80)
        .max(40)
}

/// A writer for output whose reader may go away early (`mitmwatch … |
/// head -1`): on a broken pipe it stops writing and takes the rest without
/// a word, so that a command whose exit code is a verdict can finish
/// judging and exit with it.
pub struct PipeSafe<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> PipeSafe<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        PipeSafe {
            inner,
            closed: false,
        }
    }

    /// Flushes what is left; a broken pipe is not an error.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.flush()
    }

    fn absorb<T>(&mut self, result: std::io::Result<T>, value: T) -> std::io::Result<T> {
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(value)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for PipeSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.absorb(result, buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.absorb(result, ())
    }
}

/// Standard output for text: styles kept or dropped by anstream (`--color`,
/// `NO_COLOR`, a terminal or not), and a closed pipe absorbed.
pub type Stdout = PipeSafe<anstream::AutoStream<std::io::StdoutLock<'static>>>;

impl Stdout {
    /// Locks standard output.
    pub fn text() -> Stdout {
        PipeSafe::new(anstream::AutoStream::auto(std::io::stdout().lock()))
    }
}

/// `text::assessment_line` with its verdict label styled (the report
/// crate's `styled_assessment_line`); anstream drops the styles where
/// colour is off.
pub fn coloured_assessment_line(a: &Assessment) -> String {
    text::styled_assessment_line(a)
}

#[cfg(test)]
mod pipe_tests {
    use super::PipeSafe;
    use std::io::Write;

    /// Takes `limit` bytes, then fails as a closed pipe does.
    struct ClosesAfter {
        limit: usize,
        taken: Vec<u8>,
    }

    impl Write for ClosesAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.taken.len() >= self.limit {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.limit - self.taken.len());
            self.taken.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_absorbed_and_other_errors_are_not() {
        let mut out = PipeSafe::new(ClosesAfter {
            limit: 4,
            taken: Vec::new(),
        });
        writeln!(out, "first line").unwrap();
        assert!(out.closed);
        writeln!(out, "everything after is taken without a word").unwrap();
        assert_eq!(out.inner.taken, b"firs");
        out.finish().unwrap();

        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        assert!(writeln!(PipeSafe::new(Full), "x").is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitmwatch_core::model::Verdict;

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
