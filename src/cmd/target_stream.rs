//! Feeding targets to a scan: command-line targets and a list file, read
//! on a plain thread into a channel, with bad lines reported and
//! duplicates, finished targets and other shards counted and skipped.

use crate::cli::CollectArgs;
use anyhow::Result;
use mitmwatch_core::model::Target;
use mitmwatch_core::target_spec::TargetLineError;
use mitmwatch_core::target_spec::{parse_target, DomainListReader};
use mitmwatch_report::terminal::escape;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// How many bad lines of one input are shown on stderr; the rest are
/// counted (a binary file would otherwise flood the terminal). The same
/// bound as the judge's for observation files.
pub use mitmwatch_core::judge::SHOWN_BAD_LINES;

/// Reports a bad input line on stderr (escaped: it may hold anything).
/// `seen` counts the bad lines so far, this one included.
pub fn report_bad_line(e: &TargetLineError, seen: usize) {
    if seen <= SHOWN_BAD_LINES {
        super::progress::warn(&format!("mitmwatch: skipped {}", escape(&e.to_string())));
    } else if seen == SHOWN_BAD_LINES + 1 {
        super::progress::warn("mitmwatch: more bad input lines are counted but not shown");
    }
}

/// Which targets a scan takes, and counters of those it did not.
#[derive(Debug, Default)]
pub struct TargetFilter {
    /// Only this shard.
    pub shard: Option<mitmwatch_collect::batch::shard::Shard>,
    /// Keys of targets already done (from `--resume`).
    pub done: std::collections::HashSet<u64>,
}

/// What the target reader skipped.
#[derive(Debug, Default)]
pub struct SkipCounts {
    /// Lines or arguments that are not targets.
    pub bad: AtomicUsize,
    /// Targets listed more than once.
    pub duplicate: AtomicUsize,
    /// Targets already in the output (`--resume`).
    pub done: AtomicUsize,
    /// Targets of other shards.
    pub other_shard: AtomicUsize,
}

fn open_input(
    input: &Option<PathBuf>,
) -> Result<Option<(Box<dyn std::io::BufRead + Send>, String)>> {
    input.as_deref().map(super::target_input::open).transpose()
}

/// Every target the arguments and the file give, in order, with errors.
fn all_targets(
    specs: Vec<String>,
    reader: Option<(Box<dyn std::io::BufRead + Send>, String)>,
    args: CollectArgs,
) -> impl Iterator<Item = Result<Target, TargetLineError>> {
    let port = args.port;
    let from_args = specs.into_iter().enumerate().map(move |(i, spec)| {
        parse_target(&spec, port).map_err(|message| TargetLineError {
            input: "argument".into(),
            line: i + 1,
            message: format!("{spec:?}: {message}"),
        })
    });
    let from_file = reader
        .into_iter()
        .flat_map(move |(r, name)| DomainListReader::new(r, name, port));
    let sni_args = args.clone();
    from_args
        .chain(from_file)
        .map(move |t| t.map(|t| super::flags_setup::apply_sni(t, &sni_args)))
}

/// Streams targets (command-line ones first, then the file) into a channel
/// from a plain thread, so reading never blocks the runtime and memory does
/// not grow with the list (beyond 8 bytes a target for de-duplication).
/// Bad lines are reported on stderr; duplicates, done targets and other
/// shards are skipped and counted.
pub fn stream_targets(
    specs: Vec<String>,
    input: Option<PathBuf>,
    args: CollectArgs,
    capacity: usize,
    filter: TargetFilter,
) -> Result<(mpsc::Receiver<Target>, Arc<SkipCounts>)> {
    let reader = open_input(&input)?;
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let skipped = Arc::new(SkipCounts::default());
    let counts = skipped.clone();
    std::thread::spawn(move || {
        let mut seen = std::collections::HashSet::new();
        for item in all_targets(specs, reader, args) {
            let target = match item {
                Ok(t) => t,
                Err(e) => {
                    let seen = counts.bad.fetch_add(1, Ordering::Relaxed) + 1;
                    report_bad_line(&e, seen);
                    continue;
                }
            };
            if filter.shard.is_some_and(|s| !s.contains(&target)) {
                counts.other_shard.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let key = mitmwatch_collect::batch::target_key(&target);
            if !seen.insert(key) {
                counts.duplicate.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if filter.done.contains(&key) {
                counts.done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if tx.blocking_send(target).is_err() {
                return;
            }
        }
    });
    Ok((rx, skipped))
}

/// Counts, without reporting errors, how many targets a file-based scan
/// will probe (for the progress bar's total). `None` for stdin.
pub fn count_targets(
    specs: &[String],
    input: &Option<PathBuf>,
    args: &CollectArgs,
    filter: &TargetFilter,
) -> Option<u64> {
    if input.as_ref().is_some_and(|p| p.as_os_str() == "-") {
        return None;
    }
    let reader = open_input(input).ok()?;
    let mut seen = std::collections::HashSet::new();
    let n = all_targets(specs.to_vec(), reader, args.clone())
        .filter_map(Result::ok)
        .filter(|t| filter.shard.is_none_or(|s| s.contains(t)))
        .map(|t| mitmwatch_collect::batch::target_key(&t))
        .filter(|k| seen.insert(*k) && !filter.done.contains(k))
        .count();
    Some(n as u64)
}
