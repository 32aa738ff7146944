//! Progress on stderr: a bar (finished/total, rate, ETA, counts by status
//! and verdict) when stderr is a terminal and the total is known, a
//! spinner with the count and rate while it is not (stdin, or still
//! counting), a plain line every ten seconds when stderr is not a
//! terminal, nothing with `--quiet`.
//!
//! The count is of finished handshakes (one per record written). The bar
//! ticks on its own, so it moves while handshakes hang, and warnings
//! printed while it is shown go through [`warn`], which clears it first.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use mitmwatch_core::model::{Status, Verdict};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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

/// The bar being shown, if any, for [`warn`].
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Prints a warning line on stderr without leaving a stale frame of the
/// progress bar above it.
pub fn warn(line: &str) {
    let shown = SHOWN.lock().ok().and_then(|b| b.clone());
    match shown {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// A rate with at most one decimal: `0.4/s`, `12.5/s`, `230/s`.
pub fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "0/s".into()
    } else if per_sec >= 100.0 {
        format!("{per_sec:.0}/s")
    } else {
        format!("{per_sec:.1}/s")
    }
}

/// Counts by status, most common first: "60 ok, 40 connect-refused".
pub fn status_counts(statuses: &BTreeMap<Status, u64>) -> String {
    let mut counts: Vec<(&Status, &u64)> = statuses.iter().collect();
    counts.sort_by_key(|c| std::cmp::Reverse(*c.1));
    counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rate_key(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let elapsed = state.elapsed().as_secs_f64().max(1e-3);
    let _ = w.write_str(&rate_text(state.pos() as f64 / elapsed));
}

/// The bar, once the total is known.
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {pos}/{len} [{bar:30}] {rate} ETA {eta} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", rate_key)
        .progress_chars("=> ")
}

/// A spinner with the count and rate, without a bar or ETA.
fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {pos} done, {rate} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("rate", rate_key)
}

impl Progress {
    /// Chooses the display from `--quiet` and whether stderr is a terminal.
    pub fn new(quiet: bool) -> Self {
        let display = if quiet {
            Display::Silent
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(spinner_style());
            bar.enable_steady_tick(Duration::from_millis(250));
            if let Ok(mut shown) = SHOWN.lock() {
                *shown = Some(bar.clone());
            }
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
        let mut parts = vec![status_counts(&self.statuses)];
        parts.extend(self.verdicts.iter().map(|(v, n)| format!("{n} {v}")));
        parts.retain(|p| !p.is_empty());
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
                    bar.set_style(bar_style());
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
            "mitmwatch: {}{of} done, {}, {}",
            self.done,
            rate_text(rate),
            self.counts()
        )
    }

    /// Clears the bar; returns the counts by status for the final line.
    pub fn finish(&self) -> String {
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
            if let Ok(mut shown) = SHOWN.lock() {
                *shown = None;
            }
        }
        status_counts(&self.statuses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_at_most_one_decimal() {
        assert_eq!(rate_text(0.0), "0/s");
        assert_eq!(rate_text(f64::NAN), "0/s");
        assert_eq!(rate_text(0.4321), "0.4/s");
        assert_eq!(rate_text(12.3456), "12.3/s");
        assert_eq!(rate_text(229.87), "230/s");
    }

    #[test]
    fn final_counts_name_every_status_most_common_first() {
        let mut statuses = BTreeMap::new();
        statuses.insert(Status::Ok, 60);
        statuses.insert(Status::ConnectRefused, 40);
        statuses.insert(Status::DnsFailed, 1);
        assert_eq!(
            status_counts(&statuses),
            "60 ok, 40 connect-refused, 1 dns-failed"
        );
    }

    #[test]
    fn the_line_without_a_terminal_counts_finished_targets() {
        let mut p = Progress::new(true);
        p.record(Status::Ok, None);
        p.record(Status::ConnectRefused, Some(Verdict::Error));
        let line = p.line(UNKNOWN);
        assert!(line.starts_with("mitmwatch: 2 done, "), "{line}");
        assert!(line.ends_with("1 ok, 1 connect-refused, 1 error"), "{line}");
        assert!(p.line(5).starts_with("mitmwatch: 2/5 done"));
    }
}
