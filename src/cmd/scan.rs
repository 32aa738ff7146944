//! `mitmwatch scan`: observations (or, with `--analyze`, assessments) as
//! JSON Lines, streamed as they complete; resumable, shardable, paced.

use super::analysis::{analyzer, print_notice, validation_time};
use super::progress::Progress;
use crate::cli::ScanArgs;
use anyhow::{Context, Result};
use mitmwatch_collect::batch::resume;
use mitmwatch_collect::batch::scheduler::{self, ShardSpec};
use mitmwatch_collect::batch::shard::Shard;
use mitmwatch_collect::scan_with;
use mitmwatch_core::analyze::summary::SummaryBuilder;
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::judge::{BadLines, Judge};
use mitmwatch_core::model::{Assessment, Observation};
use mitmwatch_core::plural::{count, noun};
use mitmwatch_report::terminal::escape;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;

/// How a live scan's observations are named in messages about them.
const SCAN_INPUT: &str = "the scan";

/// With `--analyze`: the analyzer, the validation time and the summary so far.
struct Analysis {
    analyzer: Analyzer,
    when: ValidationTime,
    summary: SummaryBuilder,
}

/// Runs the scan; returns the exit code.
pub async fn run(args: ScanArgs) -> Result<i32> {
    if args.targets.is_empty() && args.input.is_none() {
        anyhow::bail!("no targets: give HOST[:PORT] arguments or --input FILE (see --help)");
    }
    if !args.analyze {
        let flags = analysis_only_flags(&args.analysis);
        if !flags.is_empty() {
            anyhow::bail!(
                "{} {} judge observations: add --analyze, or leave {} out",
                flags.join(", "),
                noun(
                    flags.len(),
                    "applies only when the scan goes on to",
                    "apply only when the scan goes on to"
                ),
                noun(flags.len(), "it", "them")
            );
        }
    }
    let store = super::flags_setup::trust_store(&args.analysis.trust)?;
    let collector = Arc::new(super::flags_setup::collector(&args.collect, &store)?);
    let mut analysis = match args.analyze {
        false => None,
        true => Some(Analysis {
            analyzer: analyzer(&args.analysis)?,
            when: validation_time(&args.analysis, super::analysis::LIVE)?.0,
            summary: SummaryBuilder::default(),
        }),
    };

    let mut filter = super::target_stream::TargetFilter {
        shard: shard(&args)?,
        done: Default::default(),
    };
    if args.resume && args.output.as_deref().is_none_or(|p| p.as_os_str() == "-") {
        anyhow::bail!(
            "--resume continues the file an interrupted scan wrote: give that file with -o FILE \
             (standard output cannot be resumed)"
        );
    }
    let out = match (&args.output, args.resume) {
        (Some(path), true) => {
            let state = resume::prepare(path, analysis.is_some())?;
            if let Some(a) = &mut analysis {
                for line in &state.records {
                    if let Ok(assessment) = serde_json::from_str::<Assessment>(line) {
                        a.summary.add(&assessment);
                    }
                }
            }
            if !super::verbosity::quiet() {
                eprintln!(
                    "mitmwatch: resuming {}: {} kept{}",
                    super::output_files::shown(path),
                    mitmwatch_core::plural::count(state.kept_lines, "record", "records"),
                    if state.truncated_bytes > 0 {
                        format!(
                            ", {} bytes of an unfinished line removed",
                            state.truncated_bytes
                        )
                    } else {
                        String::new()
                    }
                );
            }
            filter.done = state.done;
            super::output_files::open_append(path)?
        }
        // Assessments: the exit code is a verdict, kept if the reader of
        // stdout goes away. Observations: a closed pipe ends the scan.
        _ if analysis.is_some() => {
            super::output_files::open_verdict_output(args.output.as_deref())?
        }
        _ => super::output_files::open_output(args.output.as_deref())?,
    };

    let progress = Progress::new(super::verbosity::quiet());
    let total = progress.total_handle();
    {
        let (specs, input, collect) = (
            args.targets.clone(),
            args.input.clone(),
            args.collect.clone(),
        );
        let filter_copy = super::target_stream::TargetFilter {
            shard: filter.shard,
            done: filter.done.clone(),
        };
        std::thread::spawn(move || {
            if let Some(n) =
                super::target_stream::count_targets(&specs, &input, &collect, &filter_copy)
            {
                total.store(n, Ordering::Relaxed);
            }
        });
    }
    let (targets, skipped) = super::target_stream::stream_targets(
        args.targets.clone(),
        args.input.clone(),
        args.collect.clone(),
        args.collect.concurrency * 2,
        filter,
    )?;
    let (tx, rx) = mpsc::channel::<Observation>(args.collect.concurrency.max(16));
    let options = super::flags_setup::scan_options(&args.collect);
    let scanner = tokio::spawn(async move { scan_with(collector, targets, &options, tx).await });
    // Ctrl-C stops the scan: the handshakes in flight are dropped, the
    // records already made are written out whole, and the scan says how
    // far it got and how to go on. A second Ctrl-C ends at once.
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = scanner.abort_handle();
    let watcher = {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, Ordering::SeqCst);
                stop.abort();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(INTERRUPTED);
                }
            }
        })
    };
    // Writing (and analysing) may block or take CPU: it runs on the blocking
    // pool, off the async workers.
    let writer = tokio::task::spawn_blocking(move || write_all(rx, out, progress, analysis));
    let (total, by_status, analysis) = writer.await.context("writer task")??;
    watcher.abort();
    match scanner.await {
        Err(e) if e.is_cancelled() => {}
        other => other.context("scan task")?,
    }
    if interrupted.load(Ordering::SeqCst) {
        eprintln!("{}", interrupted_message(&args, total));
        return Ok(INTERRUPTED);
    }
    if !super::verbosity::quiet() {
        let s = &skipped;
        let mut notes = Vec::new();
        for (n, one, many) in [
            (
                s.bad.load(Ordering::Relaxed),
                "bad input line",
                "bad input lines",
            ),
            (
                s.duplicate.load(Ordering::Relaxed),
                "duplicate target",
                "duplicate targets",
            ),
            (
                s.done.load(Ordering::Relaxed),
                "target already done",
                "targets already done",
            ),
            (
                s.other_shard.load(Ordering::Relaxed),
                "target of another shard",
                "targets of other shards",
            ),
        ] {
            if n > 0 {
                notes.push(format!("{} skipped", count(n, one, many)));
            }
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("; {}", notes.join(", "))
        };
        let by_status = match by_status.is_empty() {
            true => String::new(),
            false => format!(" ({by_status})"),
        };
        eprintln!(
            "mitmwatch: {} scanned{by_status}{notes}",
            count(total, "target", "targets")
        );
        if let Some(summary) = &analysis {
            eprintln!(
                "{}",
                mitmwatch_report::text::summary_text(summary).trim_end()
            );
        }
    }
    let s = &skipped;
    let none_read = total == 0
        && s.duplicate.load(Ordering::Relaxed) == 0
        && s.done.load(Ordering::Relaxed) == 0
        && s.other_shard.load(Ordering::Relaxed) == 0;
    if none_read {
        let bad = s.bad.load(Ordering::Relaxed);
        let from = match &args.input {
            Some(p) if p.as_os_str() == "-" => "standard input".to_string(),
            Some(p) => super::output_files::shown(p),
            None => "the arguments".to_string(),
        };
        let why = match bad {
            0 => "it is empty".to_string(),
            n => count(n, "bad line", "bad lines"),
        };
        anyhow::bail!(
            "no targets read from {from} ({why}): {}",
            super::target_input::LIST_HINT
        );
    }
    Ok(match &analysis {
        Some(summary) => super::analysis::exit_code(summary, 1, args.analysis.fail_on),
        None => super::exit::OK,
    })
}

/// The exit code of a scan stopped by Ctrl-C (128 + SIGINT, as shells
/// report a process the signal ended).
const INTERRUPTED: i32 = 130;

/// What an interrupted scan says: how far it got, and how to go on.
fn interrupted_message(args: &ScanArgs, written: usize) -> String {
    let records = count(written, "record", "records");
    match args.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            // The same command line, with --resume.
            let mut words: Vec<String> = std::env::args().collect();
            if let Some(first) = words.first_mut() {
                *first = "mitmwatch".into();
            }
            if !args.resume {
                words.push("--resume".into());
            }
            let command = shlex::try_join(words.iter().map(String::as_str))
                .unwrap_or_else(|_| words.join(" "));
            format!(
                "mitmwatch: interrupted: {records} written to {}{}; to scan the rest, run\n  {}",
                super::output_files::shown(path),
                if args.resume { " in this run" } else { "" },
                escape(&command)
            )
        }
        None => format!(
            "mitmwatch: interrupted: {records} written to standard output; a scan written to a \
             file (-o FILE) can be resumed with --resume"
        ),
    }
}

/// The shard `--shard` asks for, reading the scheduler's environment for
/// `--shard auto`.
fn shard(args: &ScanArgs) -> Result<Option<Shard>> {
    let shard = match args.shard {
        None if args.shard_count.is_some() => {
            anyhow::bail!("--shard-count is for --shard auto")
        }
        None => None,
        Some(ShardSpec::Fixed(shard)) => {
            if args.shard_count.is_some_and(|n| n != shard.count) {
                anyhow::bail!("--shard-count disagrees with --shard {shard}");
            }
            Some(shard)
        }
        Some(ShardSpec::Auto) => {
            let found = scheduler::from_env(|name| std::env::var(name).ok(), args.shard_count)
                .map_err(anyhow::Error::msg)?;
            if !super::verbosity::quiet() {
                let from = match found.scheduler {
                    scheduler::Scheduler::Slurm => "the Slurm array task",
                    scheduler::Scheduler::Kubernetes => "the Kubernetes completion index",
                };
                eprintln!("mitmwatch: shard {} (from {from})", found.shard);
            }
            Some(found.shard)
        }
    };
    Ok(shard)
}

/// Writes records as they arrive, flushing whenever the queue is empty;
/// with analysis, writes assessments and a final summary line.
fn write_all(
    mut rx: mpsc::Receiver<Observation>,
    mut out: Box<dyn Write + Send>,
    mut progress: Progress,
    mut analysis: Option<Analysis>,
) -> Result<(usize, String, Option<mitmwatch_core::model::ScanSummary>)> {
    let mut total = 0usize;
    // Each observation is judged on its own as it arrives, by the judge
    // every subcommand uses; one the analyzer fails on is a bad record.
    let mut unjudged = BadLines::new(SCAN_INPUT);
    while let Some(obs) = rx.blocking_recv() {
        let verdict = match &mut analysis {
            Some(a) => {
                match Judge::new(&a.analyzer, a.when).assess_one(&obs, SCAN_INPUT, total + 1) {
                    Ok(assessment) => {
                        mitmwatch_core::model::json::write_line(&mut out, &assessment)
                            .context("writing assessments")?;
                        a.summary.add(&assessment);
                        Some(assessment.verdict)
                    }
                    Err(bad) => {
                        unjudged.bad(bad, &mut print_notice);
                        None
                    }
                }
            }
            None => {
                mitmwatch_core::model::json::write_line(&mut out, &obs)
                    .context("writing observations")?;
                None
            }
        };
        progress.record(obs.status, verdict);
        if obs.status != mitmwatch_core::model::Status::Ok {
            // `-v`: each target that failed, above the bar.
            super::verbosity::detail(&format!(
                "{}: {}{}",
                escape(&obs.target.to_string()),
                obs.status.as_str(),
                obs.failure
                    .as_deref()
                    .map(|f| format!(" ({})", escape(f)))
                    .unwrap_or_default()
            ));
        }
        total += 1;
        if rx.is_empty() {
            out.flush().context("writing the output")?;
        }
    }
    let by_status = progress.finish();
    unjudged.finish(false, &mut print_notice);
    let summary = match analysis {
        None => None,
        Some(a) => {
            let summary = a.summary.finish(true);
            mitmwatch_core::model::json::write_line(&mut out, &summary)
                .context("writing the summary")?;
            Some(summary)
        }
    };
    out.flush().context("writing the output")?;
    Ok((total, by_status, summary))
}

/// The analysis flags given that only `--analyze` uses (the trust-store
/// flags also verify chains while scanning, so they are not among them).
fn analysis_only_flags(a: &crate::cli::AnalysisArgs) -> Vec<&'static str> {
    let mut flags = Vec::new();
    for (given, flag) in [
        (!a.catalog.is_empty(), "--catalog"),
        (a.baseline.is_some(), "--baseline"),
        (a.pins.is_some(), "--pins"),
        (a.ct_log_list.is_some(), "--ct-log-list"),
        (!a.intermediates.is_empty(), "--intermediates"),
        (a.at.as_deref().is_some_and(|at| at != "now"), "--at"),
        (a.fail_on != crate::cli::FailOn::Intercepted, "--fail-on"),
        (a.data_dir.is_some(), "--data-dir"),
    ] {
        if given {
            flags.push(flag);
        }
    }
    flags
}
