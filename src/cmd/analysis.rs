//! Setting up the analyzer from flags, reading observation files, and
//! mapping results to exit codes.

use super::exit;
use crate::cli::AnalysisArgs;
use anyhow::{Context, Result};
use mitmwatch::analyze::{Analyzer, ValidationTime};
use mitmwatch::baseline::Baseline;
use mitmwatch::catalog::Catalog;
use mitmwatch::ct::LogList;
use mitmwatch::import::{self, InputFormat};
use mitmwatch::model::{Observation, ScanSummary, Verdict, OBSERVATION_SCHEMA};
use mitmwatch::pins::PinStore;
use mitmwatch::report::terminal::escape;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Parses `--at`.
pub fn validation_time(text: &str) -> Result<ValidationTime> {
    match text {
        "now" => Ok(ValidationTime::At(OffsetDateTime::now_utc())),
        "observed" => Ok(ValidationTime::Observed),
        t => OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .map(ValidationTime::At)
            .map_err(|e| {
                anyhow::anyhow!(
                    "--at {t:?}: expected RFC 3339 (2024-03-01T00:00:00Z), now or observed: {e}"
                )
            }),
    }
}

/// The built-in catalog plus the entries of `--catalog` files.
pub fn catalog(paths: &[PathBuf]) -> Result<Catalog> {
    let mut catalog = Catalog::builtin().context("the built-in catalog")?;
    for path in paths {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let extra = Catalog::from_json(&text, &path.display().to_string(), &|name| {
            // PEM names are relative to the catalog file; no path components allowed.
            if name.contains('/') || name.contains('\\') || name.starts_with('.') {
                return None;
            }
            std::fs::read(dir.join(name)).ok()
        })?;
        catalog.extend(extra)?;
    }
    Ok(catalog)
}

/// Builds the analyzer the flags ask for.
pub fn analyzer(args: &AnalysisArgs) -> Result<Analyzer> {
    let store = super::io::trust_store(&args.trust)?;
    let catalog = catalog(&args.catalog)?;
    let pins = match &args.pins {
        None => PinStore::builtin(),
        Some(path) => PinStore::from_json(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .map_err(|e| format!("{}: {e}", path.display())),
    }
    .map_err(anyhow::Error::msg)?;
    let baseline = match &args.baseline {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let b: Baseline = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a mitmwatch baseline", path.display()))?;
            if b.schema != mitmwatch::baseline::BASELINE_SCHEMA {
                anyhow::bail!(
                    "{}: unsupported baseline schema {}",
                    path.display(),
                    b.schema
                );
            }
            Some(b)
        }
    };
    let analyzer = Analyzer::new(catalog, store, pins, baseline);
    Ok(match &args.ct_log_list {
        None => analyzer,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            analyzer.with_ct_log_list(LogList::from_json(&text, &path.display().to_string())?)
        }
    })
}

/// Why one line of an observation file was skipped.
fn line_error(line: &str, e: serde_json::Error) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
        if let Some(schema) = value.get("schema").and_then(|s| s.as_u64()) {
            if schema != OBSERVATION_SCHEMA as u64 {
                return format!("unsupported observation schema {schema} (this mitmwatch reads {OBSERVATION_SCHEMA})");
            }
        }
        return format!("not a mitmwatch observation: {e}");
    }
    if e.is_eof() {
        return "truncated JSON (the file may have been cut off)".into();
    }
    format!("not valid JSON: {e}")
}

/// Reads observations, one JSON object per line. Bad lines are reported on
/// stderr as `FILE:LINE: why` and skipped. Returns the observations and the
/// number of bad lines.
pub fn read_observations(path: &Path) -> Result<(Vec<Observation>, usize)> {
    let name = path.display().to_string();
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("opening {name}"))?,
        ))
    };
    let mut observations = Vec::new();
    let mut bad = 0;
    for (i, line) in reader.split(b'\n').enumerate() {
        let bytes = line.with_context(|| format!("reading {name}"))?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            bad += 1;
            eprintln!(
                "mitmwatch: skipped {}:{}: not UTF-8 text",
                escape(&name),
                i + 1
            );
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Observation>(text) {
            Ok(obs) if obs.schema != OBSERVATION_SCHEMA => {
                bad += 1;
                eprintln!(
                    "mitmwatch: skipped {}:{}: unsupported observation schema {} (this mitmwatch reads {OBSERVATION_SCHEMA})",
                    escape(&name),
                    i + 1,
                    obs.schema
                );
            }
            Ok(obs) => observations.push(obs),
            Err(e) => {
                bad += 1;
                eprintln!(
                    "mitmwatch: skipped {}:{}: {}",
                    escape(&name),
                    i + 1,
                    escape(&line_error(text, e))
                );
            }
        }
    }
    Ok((observations, bad))
}

/// The exit code for a set of verdicts: 2 if anything was intercepted, 3 if
/// fewer than `min_judged` targets could be judged, else 0.
pub fn exit_code(summary: &ScanSummary, min_judged: usize) -> i32 {
    let count = |v: Verdict| summary.verdicts.get(&v).copied().unwrap_or(0);
    if count(Verdict::Intercepted) > 0 {
        exit::INTERCEPTED
    } else if summary.targets - count(Verdict::Error) < min_judged.max(1) {
        exit::INCONCLUSIVE
    } else {
        exit::OK
    }
}

/// Reads observations in the given format: mitmwatch's own (see
/// [`read_observations`]), OONI measurements, or a directory of PEM chains.
/// Records that cannot be read are reported on stderr as `FILE:LINE: why`
/// (or `FILE: why`) and skipped. Returns the observations and the number
/// of records skipped.
pub fn load_observations(path: &Path, format: InputFormat) -> Result<(Vec<Observation>, usize)> {
    let name = path.display().to_string();
    let result = match format {
        InputFormat::Mitmwatch => return read_observations(path),
        InputFormat::Ooni => {
            let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
                Box::new(std::io::BufReader::new(std::io::stdin()))
            } else {
                Box::new(std::io::BufReader::new(
                    std::fs::File::open(path).with_context(|| format!("opening {name}"))?,
                ))
            };
            import::ooni::read(reader, &name)
        }
        InputFormat::PemDir => {
            if !path.is_dir() {
                anyhow::bail!("{name}: --from pem-dir needs a directory of PEM files");
            }
            import::pem_dir::read_dir(path).map_err(anyhow::Error::new)?
        }
    };
    for e in &result.errors {
        eprintln!("mitmwatch: skipped {}", escape(&e.to_string()));
    }
    if result.without_tls > 0 {
        eprintln!(
            "mitmwatch: {}: {} measurement(s) held no TLS handshake (plain HTTP, or no connection)",
            escape(&name),
            result.without_tls
        );
    }
    Ok((result.observations, result.errors.len()))
}
