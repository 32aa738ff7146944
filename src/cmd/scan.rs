//! `mitmwatch scan`: observations as JSON Lines, streamed as they complete.

use super::io;
use crate::cli::ScanArgs;
use anyhow::{Context, Result};
use mitmwatch::collect::scan;
use mitmwatch::model::{Observation, Status};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Runs the scan; returns the exit code.
pub async fn run(args: ScanArgs) -> Result<i32> {
    if args.targets.is_empty() && args.input.is_none() {
        anyhow::bail!("no targets: give HOST[:PORT] arguments or --input FILE (see --help)");
    }
    let store = io::trust_store(&args.trust)?;
    let collector = Arc::new(io::collector(&args.collect, &store)?);
    let out = io::open_output(args.output.as_deref())?;
    let (targets, bad_lines) = io::stream_targets(
        args.targets.clone(),
        args.input.clone(),
        args.collect.clone(),
        args.collect.concurrency * 2,
    )?;
    let (tx, rx) = mpsc::channel::<Observation>(args.collect.concurrency.max(16));
    let scanner = tokio::spawn(scan(collector, targets, args.collect.concurrency, tx));
    // Writing may block (a slow pipe, a full disk): it runs off the async
    // workers, on the blocking pool.
    let writer = tokio::task::spawn_blocking(move || write_all(rx, out));
    let (total, by_status) = writer.await.context("writer task")??;
    scanner.await.context("scan task")?;
    if !args.quiet {
        let counts: Vec<String> = by_status.iter().map(|(s, n)| format!("{s} {n}")).collect();
        let bad = bad_lines.load(Ordering::Relaxed);
        let skipped = if bad > 0 {
            format!("; {bad} bad input lines skipped")
        } else {
            String::new()
        };
        eprintln!(
            "mitmwatch: {total} observations ({}){skipped}",
            counts.join(", ")
        );
    }
    Ok(super::exit::OK)
}

/// Writes observations as they arrive, flushing whenever the queue is
/// empty. Returns the count and the count per status.
fn write_all(
    mut rx: mpsc::Receiver<Observation>,
    mut out: Box<dyn Write + Send>,
) -> Result<(usize, BTreeMap<Status, usize>)> {
    let mut by_status: BTreeMap<Status, usize> = BTreeMap::new();
    let mut total = 0usize;
    while let Some(obs) = rx.blocking_recv() {
        write_observation(&mut out, &obs).context("writing observations")?;
        *by_status.entry(obs.status).or_default() += 1;
        total += 1;
        if rx.is_empty() {
            out.flush().context("writing observations")?;
        }
    }
    out.flush().context("writing observations")?;
    Ok((total, by_status))
}

/// Writes one observation as one JSON line.
pub fn write_observation(out: &mut dyn Write, obs: &Observation) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, obs)?;
    out.write_all(b"\n")
}
