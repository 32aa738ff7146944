//! Progress on stderr: a bar (done/total, rate, ETA, counts by status and
//! verdict) when stderr is a terminal, a plain line every ten seconds when
//! it is not, nothing with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mitmwatch::model::{Status, Verdict};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where progress goes.
enum Display {
    Bar(ProgressBar),
    Lines { last: Instant },
    Silent,
}

/// Progress of a scan, fed by the output writer.
pub struct Progress {
    display: Display,
    start: Instant,
    done: u64,
    total: Arc<AtomicU64>,
    statuses: BTreeMap<Status, u64>,
    verdicts: BTreeMap<Verdict, u64>,
}

/// Total not known yet (stdin, or still counting).
const UNKNOWN: u64 = u64::MAX;

impl Progress {
    /// Chooses the display from `--quiet` and whether stderr is a terminal.
    pub fn new(quiet: bool) -> Self {
        let display = if quiet {
            Display::Silent
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {pos}/{len} [{bar:30}] {per_sec} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            Display::Bar(bar)
        } else {
            Display::Lines {
                last: Instant::now(),
            }
        };
        Progress {
            display,
            start: Instant::now(),
            done: 0,
            total: Arc::new(AtomicU64::new(UNKNOWN)),
            statuses: BTreeMap::new(),
            verdicts: BTreeMap::new(),
        }
    }

    /// A handle through which another thread can set the total once known.
    pub fn total_handle(&self) -> Arc<AtomicU64> {
        self.total.clone()
    }

    fn counts(&self) -> String {
        let mut parts: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        parts.extend(self.verdicts.iter().map(|(v, n)| format!("{v} {n}")));
        parts.join(", ")
    }

    /// Records one finished target.
    pub fn record(&mut self, status: Status, verdict: Option<Verdict>) {
        self.done += 1;
        *self.statuses.entry(status).or_default() += 1;
        if let Some(v) = verdict {
            *self.verdicts.entry(v).or_default() += 1;
        }
        let total = self.total.load(Ordering::Relaxed);
        match &mut self.display {
            Display::Silent => {}
            Display::Bar(bar) => {
                if total != UNKNOWN && bar.length() != Some(total) {
                    bar.set_length(total);
                }
                bar.set_position(self.done);
                if self.done % 16 == 1 {
                    let counts = self.counts();
                    if let Display::Bar(bar) = &self.display {
                        bar.set_message(counts);
                    }
                }
            }
            Display::Lines { last } => {
                if last.elapsed() >= Duration::from_secs(10) {
                    *last = Instant::now();
                    let line = self.line(total);
                    eprintln!("{line}");
                }
            }
        }
    }

    fn line(&self, total: u64) -> String {
        let rate = self.done as f64 / self.start.elapsed().as_secs_f64().max(1e-3);
        let of = if total == UNKNOWN {
            String::new()
        } else {
            format!("/{total}")
        };
        format!(
            "mitmwatch: {}{of} done, {rate:.0}/s, {}",
            self.done,
            self.counts()
        )
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
        }
    }
}
