//! `-q` and `-v`: one meaning for every subcommand.
//!
//! `-q` keeps stderr for warnings and errors; `-v` adds detail to text
//! output and notes on stderr. Given together, the output is detailed and
//! stderr quiet. Neither changes machine-readable output. The choice is
//! made once, from the command line, before the subcommand runs (as
//! `--color` is).

use crate::cli::Verbosity;
use std::sync::OnceLock;

static CHOSEN: OnceLock<Verbosity> = OnceLock::new();

/// Records `-q`/`-v` for the rest of the process (the first call wins).
pub fn set(v: Verbosity) {
    let _ = CHOSEN.set(v);
}

fn chosen() -> Verbosity {
    CHOSEN.get().copied().unwrap_or_default()
}

/// `-q`: print no notes (progress, summaries, "written to …").
pub fn quiet() -> bool {
    chosen().quiet
}

/// `-v`: print the detail the default leaves out.
pub fn verbose() -> bool {
    chosen().verbose
}

/// A note on stderr (`mitmwatch: …`), left out with `-q`. It goes through
/// the progress display, so no stale frame of a bar stays above it.
pub fn note(text: &str) {
    if !quiet() {
        super::progress::warn(&format!("mitmwatch: {text}"));
    }
}

/// A note printed only with `-v` (and, being a note, not with `-q`).
pub fn detail(text: &str) {
    if verbose() && !quiet() {
        super::progress::warn(&format!("mitmwatch: {text}"));
    }
}
