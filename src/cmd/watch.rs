//! `mitmwatch watch`: the `check` measurement on a schedule, every run
//! kept in the history database ([`mitmwatch_watch`]), and at the start of
//! each episode its evidence and one notification
//! ([`super::watch_deliver`]).
//!
//! The schedule runs on the wall clock: a machine that slept through a
//! run time measures as soon as it wakes (after a short grace for the
//! network to come back), and that run is marked `resumed`. SIGTERM or
//! Ctrl-C stop the watch at once: between runs nothing is lost; during one,
//! that run is dropped whole (the database holds only whole runs).

use super::watch_deliver::Deliver;
use super::watch_measure::{measure, setup};
use crate::cli::WatchArgs;
use anyhow::Result;
use mitmwatch_core::model::tool_name;
use mitmwatch_report::terminal::escape;
use mitmwatch_watch::lock::MeasurementLock;
use mitmwatch_watch::network::NetworkFacts;
use mitmwatch_watch::record::RunInput;
use mitmwatch_watch::schedule::{random_unit, Schedule};
use mitmwatch_watch::{Access, History};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// How long a watch waits after the machine wakes before measuring, so
/// that Wi-Fi and DNS are back and the run is not inconclusive for nothing.
const RESUME_GRACE: Duration = Duration::from_secs(5);

/// The longest single sleep: the wall clock is checked at least this often.
const TICK: Duration = Duration::from_secs(5);

/// Runs until `--runs` runs are done or a signal stops it.
pub async fn run(args: WatchArgs) -> Result<i32> {
    let db = super::history_db::db_path(args.db.as_deref())?;
    let mut history = History::open(&db, Access::ReadWrite)?;
    let setup = setup(&args)?;
    let deliver = Deliver {
        evidence_root: args.evidence_dir.clone().unwrap_or_else(|| {
            db.parent()
                .map(|p| p.join("evidence"))
                .unwrap_or_else(|| PathBuf::from("evidence"))
        }),
        on_change: args.on_change.clone(),
        desktop: args.desktop_notify,
    };
    let stop = stop_signal();
    // Evidence or notifications a killed watch left undone, under the
    // lock, so that two watches never deliver the same episode.
    match lock(&db, &stop).await? {
        Some(held) => {
            settle(&deliver, &history, &setup);
            drop(held);
        }
        None => return Ok(super::exit::OK),
    }
    let schedule = Schedule {
        every: args.every,
        jitter: args.jitter.unwrap_or(args.every / 10),
    };
    super::verbosity::note(&format!(
        "watching {} every {} (history in {})",
        mitmwatch_core::plural::count(setup.targets.len(), "site", "sites"),
        mitmwatch_watch::duration::display(args.every),
        super::output_files::shown(&db)
    ));
    let mut next = SystemTime::now();
    let mut done = 0usize;
    loop {
        let Some(resumed) = wait_until(next, &stop).await else {
            break;
        };
        let Some(lock) = lock(&db, &stop).await? else {
            break;
        };
        let network = NetworkFacts::gather();
        let mut stopped = stop.clone();
        let measured = tokio::select! {
            m = measure(&setup) => m?,
            _ = stopped.wait_for(|s| *s) => {
                super::verbosity::note("stopped during a run: that run is not recorded");
                break;
            }
        };
        let tool = tool_name();
        let recorded = history.record_run(
            &RunInput {
                started_at: measured.started_at,
                finished_at: measured.finished_at,
                network: &network,
                observations: &measured.observations,
                assessments: &measured.assessments,
                outcome: measured.outcome,
                local_roots: measured.local_roots.as_deref(),
                baseline: setup.baseline,
                resumed,
                tool: &tool,
            },
            args.close_after,
        )?;
        let intercepted = measured
            .assessments
            .iter()
            .filter(|a| a.verdict == mitmwatch_core::model::Verdict::Intercepted)
            .count();
        super::verbosity::note(&format!(
            "{}: run {}: {} ({} of {} intercepted; {})",
            super::history_db::second(measured.started_at),
            recorded.run_id,
            measured.outcome.as_str(),
            intercepted,
            mitmwatch_core::plural::count(measured.assessments.len(), "site", "sites"),
            escape(&network.brief())
        ));
        if let Some(keep) = args.keep {
            let cut = mitmwatch_watch::duration::before(time::OffsetDateTime::now_utc(), keep);
            let pruned = history.prune(cut)?;
            if pruned.runs > 0 {
                super::verbosity::detail(&format!(
                    "pruned {} older than {}",
                    mitmwatch_core::plural::count(pruned.runs, "run", "runs"),
                    mitmwatch_watch::duration::display(keep)
                ));
            }
        }
        settle(&deliver, &history, &setup);
        drop(lock);
        done += 1;
        if args.runs.is_some_and(|n| done >= n) {
            break;
        }
        next = schedule.next(SystemTime::from(measured.started_at), random_unit());
    }
    Ok(super::exit::OK)
}

/// Writes due evidence and sends due notifications. A failure (a full
/// disk, an unwritable evidence directory) is reported and tried again
/// after the next run: the runs themselves are safe in the database.
fn settle(deliver: &Deliver, history: &History, setup: &super::watch_measure::Setup) {
    if let Err(e) = deliver.settle(history, &setup.analyzer, &setup.data_used) {
        eprintln!(
            "mitmwatch: warning: an episode's evidence or notification is not done yet (tried again after the next run): {}",
            escape(&format!("{e:#}"))
        );
    }
}

/// A channel that turns true on SIGTERM or Ctrl-C.
fn stop_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        let _ = tx.send(true);
    });
    rx
}

/// Sleeps until the wall clock reaches `next`. `None` when stopped;
/// otherwise whether the machine slept (or the clock jumped) meanwhile.
async fn wait_until(next: SystemTime, stop: &watch::Receiver<bool>) -> Option<bool> {
    let mut stop = stop.clone();
    let mut slept = false;
    loop {
        if *stop.borrow() {
            return None;
        }
        let now = SystemTime::now();
        let Ok(left) = next.duration_since(now) else {
            break;
        };
        let tick = left.min(TICK);
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.wait_for(|s| *s) => return None,
        }
        let woke = SystemTime::now().duration_since(now).unwrap_or_default();
        if Schedule::slept(tick, woke) {
            slept = true;
        }
    }
    if slept {
        super::verbosity::note(&format!(
            "the machine slept past a run time; measuring in {}s",
            RESUME_GRACE.as_secs()
        ));
        tokio::select! {
            _ = tokio::time::sleep(RESUME_GRACE) => {}
            _ = stop.wait_for(|s| *s) => return None,
        }
    }
    Some(slept)
}

/// Takes the database's measurement lock, waiting while another watch
/// measures. `None` when stopped meanwhile.
async fn lock(db: &Path, stop: &watch::Receiver<bool>) -> Result<Option<MeasurementLock>> {
    let mut stop = stop.clone();
    let mut said = false;
    loop {
        if let Some(lock) = MeasurementLock::try_acquire(db)? {
            return Ok(Some(lock));
        }
        if !said {
            super::verbosity::note(&format!(
                "another watch is measuring on {}: waiting for it",
                super::output_files::shown(db)
            ));
            said = true;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = stop.wait_for(|s| *s) => return Ok(None),
        }
    }
}
