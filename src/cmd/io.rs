//! File and terminal plumbing shared by the subcommands: trust stores from
//! files, collectors from flags, target streams and output files.

use crate::cli::{CollectArgs, TrustArgs};
use anyhow::{bail, Context, Result};
use mitmwatch::collect::targets::TargetLineError;
use mitmwatch::collect::{
    parse_target, Collector, ConnectTo, DomainListReader, ProbeTls, ProxyFlags, ProxySettings,
    Resolve, Router, Timeouts,
};
use mitmwatch::model::Target;
use mitmwatch::report::terminal::escape;
use mitmwatch::trust_store::TrustStore;
use std::io::Write;
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
    if args.system_roots {
        let (_, errors) = store.add_system_roots(rustls_native_certs::load_native_certs());
        for e in errors.iter().take(5) {
            eprintln!(
                "mitmwatch: warning: system roots: {}",
                mitmwatch::report::terminal::escape(e)
            );
        }
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
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        bail!("--rate must be a positive number of handshakes per second");
    }
    let proxy = proxy_settings(args)?;
    let collector = Collector::new(
        ProbeTls::new(store),
        Router::new(connect_to, resolve),
        timeouts,
    )
    .with_per_address_limit(args.per_address.max(1))
    .with_proxy(proxy)
    .with_starttls(args.starttls);
    Ok(match args.no_aia {
        true => collector,
        false => collector.with_aia(mitmwatch::collect::AiaLimits::default()),
    })
}

/// The proxy the flags and the environment ask for (curl's rules).
pub fn proxy_settings(args: &CollectArgs) -> Result<ProxySettings> {
    let flags = ProxyFlags {
        proxy: args.proxy.clone(),
        noproxy: args.noproxy.clone(),
        ignore_env: args.no_proxy_env,
    };
    ProxySettings::resolve(&flags, |k| std::env::var(k).ok())
        .map_err(|m| anyhow::anyhow!("{}", escape(&m)))
}

/// The pacing options the flags ask for.
pub fn scan_options(args: &CollectArgs) -> mitmwatch::collect::ScanOptions {
    mitmwatch::collect::ScanOptions {
        concurrency: args.concurrency,
        rate: args.rate,
        retries: args.retries,
        backoff: Duration::from_millis(500),
    }
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

/// How many bad lines of one input are shown on stderr; the rest are
/// counted (a binary file would otherwise flood the terminal).
pub const SHOWN_BAD_LINES: usize = 20;

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
    pub shard: Option<mitmwatch::batch::shard::Shard>,
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
        .map(move |t| t.map(|t| apply_sni(t, &sni_args)))
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
            let key = mitmwatch::batch::target_key(&target);
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
        .map(|t| mitmwatch::batch::target_key(&t))
        .filter(|k| seen.insert(*k) && !filter.done.contains(k))
        .count();
    Some(n as u64)
}

/// A path as shown on the terminal: escaped, since a file name can hold
/// control characters.
pub fn shown(path: &Path) -> String {
    escape(&path.display().to_string())
}

/// Writes a whole file, created without group or other write permission.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut out = open_output(Some(path))?;
    out.write_all(contents)
        .and_then(|_| out.flush())
        .with_context(|| format!("writing {}", path.display()))
}

/// Options for writing a file that, if created, gets mode 0644: no group
/// or other write permission.
pub fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    options
}

/// Opens an output file (or stdout for `-`/none). Files are created without
/// group or other write permission.
pub fn open_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    match path {
        None => Ok(Box::new(std::io::stdout())),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(std::io::stdout())),
        Some(p) => {
            let f = private_file_options()
                .create(true)
                .truncate(true)
                .open(p)
                .with_context(|| format!("creating {}", p.display()))?;
            Ok(Box::new(std::io::BufWriter::new(f)))
        }
    }
}

/// Checks, before any work, that an output file can be written, without
/// creating or truncating it: an existing file must open for writing, a
/// new one's directory must take a file. `-` and none are stdout.
pub fn check_writable(path: Option<&Path>) -> Result<()> {
    let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
        return Ok(());
    };
    let result = if path.is_dir() {
        Err(std::io::Error::other("it is a directory"))
    } else if path.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
    } else {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        tempfile::NamedTempFile::new_in(dir).map(drop)
    };
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Opens an existing output file for appending (`--resume`), creating it
/// if missing, without group or other write permission.
pub fn open_append(path: &Path) -> Result<Box<dyn Write + Send>> {
    let f = private_file_options()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("opening {} to append", path.display()))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

/// Probes every target and returns the observations in the targets' order.
pub async fn collect_all(
    collector: Collector,
    targets: Vec<Target>,
    options: &mitmwatch::collect::ScanOptions,
) -> Vec<mitmwatch::model::Observation> {
    let collector = Arc::new(collector);
    let (target_tx, target_rx) = mpsc::channel(targets.len().max(1));
    for t in &targets {
        let _ = target_tx.send(t.clone()).await;
    }
    drop(target_tx);
    let (tx, mut rx) = mpsc::channel(targets.len().max(1));
    let options = options.clone();
    let task = tokio::spawn(async move {
        mitmwatch::collect::scan_with(collector, target_rx, &options, tx).await
    });
    let mut observations = Vec::with_capacity(targets.len());
    while let Some(obs) = rx.recv().await {
        observations.push(obs);
    }
    let _ = task.await;
    observations.sort_by_key(|o| targets.iter().position(|t| *t == o.target));
    observations
}

/// Writes observations as JSON Lines to an output already opened for `path`.
pub fn write_observations(
    out: &mut dyn Write,
    path: &Path,
    observations: &[mitmwatch::model::Observation],
) -> Result<()> {
    for obs in observations {
        mitmwatch::report::json::write_line(&mut *out, obs)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}
