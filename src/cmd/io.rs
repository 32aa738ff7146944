//! File and terminal plumbing shared by the subcommands: trust stores from
//! files, collectors from flags, target streams and output files.

use crate::cli::{CollectArgs, TrustArgs};
use anyhow::{bail, Context, Result};
use mitmwatch::collect::targets::TargetLineError;
use mitmwatch::collect::{
    parse_target, Collector, ConnectTo, DomainListReader, ProbeTls, Resolve, Router, Timeouts,
};
use mitmwatch::model::Target;
use mitmwatch::report::terminal::escape;
use mitmwatch::trust_store::TrustStore;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Builds the trust store the flags ask for.
pub fn trust_store(args: &TrustArgs) -> Result<TrustStore> {
    let mut store = match &args.roots {
        Some(path) => {
            let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            TrustStore::from_pem(&pem, &path.display().to_string())?
        }
        None => TrustStore::mozilla(),
    };
    for path in &args.extra_roots {
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        store.add_pem(&pem, &path.display().to_string())?;
    }
    Ok(store)
}

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 3600.0) {
        bail!("{flag} must be between 0 and 3600 seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

/// Builds the collector the flags ask for.
pub fn collector(args: &CollectArgs, store: &TrustStore) -> Result<Collector> {
    let connect_to = args
        .connect_to
        .iter()
        .map(|s| ConnectTo::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let resolve = args
        .resolve
        .iter()
        .map(|s| Resolve::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let timeouts = Timeouts {
        connect: seconds(
            args.connect_timeout.unwrap_or(args.timeout),
            "--connect-timeout",
        )?,
        handshake: seconds(
            args.handshake_timeout.unwrap_or(args.timeout),
            "--handshake-timeout",
        )?,
    };
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    if let Some(sni) = &args.sni {
        mitmwatch::collect::targets::normalise_host(sni)
            .map_err(|m| anyhow::anyhow!("--sni {sni:?}: {m}"))?;
    }
    Ok(Collector::new(
        ProbeTls::new(store),
        Router::new(connect_to, resolve),
        timeouts,
    ))
}

/// Applies `--sni` / `--no-sni` to a target.
pub fn apply_sni(mut target: Target, args: &CollectArgs) -> Target {
    if args.no_sni {
        target.sni = None;
    } else if let Some(sni) = &args.sni {
        target.sni = Some(sni.to_ascii_lowercase());
    }
    target
}

/// Reports a bad input line on stderr (escaped: it may hold anything).
pub fn report_bad_line(e: &TargetLineError) {
    eprintln!("mitmwatch: skipped {}", escape(&e.to_string()));
}

/// Streams targets (command-line ones first, then the file) into a channel
/// from a plain thread, so reading never blocks the runtime and memory does
/// not grow with the list. Returns the receiver and a counter of bad lines.
pub fn stream_targets(
    specs: Vec<String>,
    input: Option<PathBuf>,
    args: CollectArgs,
    capacity: usize,
) -> Result<(mpsc::Receiver<Target>, Arc<AtomicUsize>)> {
    let reader: Option<(Box<dyn std::io::BufRead + Send>, String)> = match &input {
        None => None,
        Some(p) if p.as_os_str() == "-" => {
            Some((Box::new(BufReader::new(std::io::stdin())), "-".into()))
        }
        Some(p) => {
            let f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
            Some((Box::new(BufReader::new(f)), p.display().to_string()))
        }
    };
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let bad = Arc::new(AtomicUsize::new(0));
    let bad_in_thread = bad.clone();
    std::thread::spawn(move || {
        for (i, spec) in specs.iter().enumerate() {
            match parse_target(spec, args.port) {
                Ok(t) => {
                    if tx.blocking_send(apply_sni(t, &args)).is_err() {
                        return;
                    }
                }
                Err(message) => {
                    bad_in_thread.fetch_add(1, Ordering::Relaxed);
                    report_bad_line(&TargetLineError {
                        input: "argument".into(),
                        line: i + 1,
                        message: format!("{spec:?}: {message}"),
                    });
                }
            }
        }
        if let Some((reader, name)) = reader {
            for item in DomainListReader::new(reader, name, args.port) {
                match item {
                    Ok(t) => {
                        if tx.blocking_send(apply_sni(t, &args)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        bad_in_thread.fetch_add(1, Ordering::Relaxed);
                        report_bad_line(&e);
                    }
                }
            }
        }
    });
    Ok((rx, bad))
}

/// Opens an output file (or stdout for `-`/none). Files are created without
/// group or other write permission.
pub fn open_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    match path {
        None => Ok(Box::new(std::io::stdout())),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(std::io::stdout())),
        Some(p) => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o644);
            }
            let f = options
                .open(p)
                .with_context(|| format!("creating {}", p.display()))?;
            Ok(Box::new(std::io::BufWriter::new(f)))
        }
    }
}

/// Probes every target and returns the observations in the targets' order.
pub async fn collect_all(
    collector: Collector,
    targets: Vec<Target>,
    concurrency: usize,
) -> Vec<mitmwatch::model::Observation> {
    let collector = Arc::new(collector);
    let (target_tx, target_rx) = mpsc::channel(targets.len().max(1));
    for t in &targets {
        let _ = target_tx.send(t.clone()).await;
    }
    drop(target_tx);
    let (tx, mut rx) = mpsc::channel(targets.len().max(1));
    let task = tokio::spawn(mitmwatch::collect::scan(
        collector,
        target_rx,
        concurrency,
        tx,
    ));
    let mut observations = Vec::with_capacity(targets.len());
    while let Some(obs) = rx.recv().await {
        observations.push(obs);
    }
    let _ = task.await;
    observations.sort_by_key(|o| targets.iter().position(|t| *t == o.target));
    observations
}

/// Writes observations as JSON Lines to a file.
pub fn save_observations(
    path: &Path,
    observations: &[mitmwatch::model::Observation],
) -> Result<()> {
    let mut out = open_output(Some(path))?;
    for obs in observations {
        super::scan::write_observation(&mut out, obs)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}
