//! Setting up the analyzer from flags, reading observation files, and
//! mapping results to exit codes.

use super::exit;
use super::input_digest::InputDigest;
use crate::cli::{AnalysisArgs, FailOn};
use anyhow::{Context, Result};
use mitmwatch::analysis_data::baseline::Baseline;
use mitmwatch::analysis_data::catalog::Catalog;
use mitmwatch::analysis_data::data_used::DataUsed;
use mitmwatch::analysis_data::intermediates::IntermediatePool;
use mitmwatch::analysis_data::static_pins::PinStore;
use mitmwatch::analyze::{Analyzer, ValidationTime};
use mitmwatch::ct::LogList;
use mitmwatch::import::{self, InputFormat};
use mitmwatch::model::{Assessment, Observation, Provenance, ScanSummary, SkippedLine, Verdict};
use mitmwatch::observation_file::{ObservationLineError, ObservationReader, READ_ERROR};
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

/// The shipped issuing CAs, those `mitmwatch update` saved in the data
/// directory, and those of `--intermediates` files.
pub fn intermediates(paths: &[PathBuf], data_dir: Option<&Path>) -> Result<IntermediatePool> {
    let mut pool = IntermediatePool::shipped().context("the shipped intermediates")?;
    if let Some(saved) = data_dir
        .map(|d| d.join(mitmwatch::update::data_dir::INTERMEDIATES_FILE))
        .filter(|f| f.is_file())
    {
        let pem = std::fs::read(&saved).with_context(|| format!("reading {}", saved.display()))?;
        if let Err(e) = pool.add_pem(&pem, &saved.display().to_string()) {
            eprintln!(
                "mitmwatch: warning: {} not used: {}",
                escape(&saved.display().to_string()),
                escape(&e.to_string())
            );
        }
    }
    for path in paths {
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        pool.add_pem(&pem, &path.display().to_string())?;
    }
    Ok(pool)
}

/// Builds the analyzer the flags ask for.
pub fn analyzer(args: &AnalysisArgs) -> Result<Analyzer> {
    analyzer_and_data(args).map(|(analyzer, _)| analyzer)
}

/// Builds the analyzer the flags ask for, and says which data it uses.
/// The CT log list is `--ct-log-list` if given, else the list `mitmwatch
/// update` saved in the data directory if it is newer than the built-in
/// one, else the built-in list.
pub fn analyzer_and_data(args: &AnalysisArgs) -> Result<(Analyzer, DataUsed)> {
    let store = super::flags_setup::trust_store(&args.trust)?;
    let catalog = catalog(&args.catalog)?;
    let catalog_source = std::iter::once("built-in catalog".to_string())
        .chain(args.catalog.iter().map(|p| p.display().to_string()))
        .collect::<Vec<_>>()
        .join(" + ");
    let pins_source = match &args.pins {
        None => "built-in certs/pins.json".to_string(),
        Some(path) => path.display().to_string(),
    };
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
            if b.schema != mitmwatch::analysis_data::baseline::BASELINE_SCHEMA {
                anyhow::bail!(
                    "{}: unsupported baseline schema {}",
                    path.display(),
                    b.schema
                );
            }
            Some(b)
        }
    };
    let data_dir = mitmwatch::update::data_dir::resolve(args.data_dir.as_deref());
    let ct_list = match &args.ct_log_list {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(LogList::from_json(&text, &path.display().to_string())?)
        }
        None => {
            let (saved, warning) =
                mitmwatch::update::data_dir::current_log_list(data_dir.as_deref());
            if let Some(w) = warning {
                eprintln!("mitmwatch: {}", escape(&w));
            }
            saved
        }
    };
    let data = DataUsed::new(
        ct_list.as_ref().unwrap_or(&LogList::builtin()),
        &pins,
        &pins_source,
        &catalog,
        &catalog_source,
        &store,
    );
    let analyzer = Analyzer::new(catalog, store, pins, baseline)
        .with_intermediates(intermediates(&args.intermediates, data_dir.as_deref())?)
        .with_removed_roots(
            mitmwatch::analysis_data::removed_roots::RemovedRoots::builtin()
                .map_err(anyhow::Error::msg)?,
        );
    let analyzer = match ct_list {
        None => analyzer,
        Some(list) => analyzer.with_ct_log_list(list),
    };
    Ok((analyzer, data))
}

/// Reads observations, one JSON object per line. Bad lines are reported on
/// stderr as `FILE:LINE: why` and skipped. Returns the observations and the
/// number of bad lines.
pub fn read_observations(path: &Path) -> Result<(Vec<Observation>, usize)> {
    let mut observations = Vec::new();
    let bad = for_each_observation(path, |obs| observations.push(obs))?;
    Ok((observations, bad))
}

/// Opens an observation file (`-` for stdin) for reading line by line.
pub fn open_observations(path: &Path) -> Result<ObservationReader<Box<dyn BufRead + Send>>> {
    open_observations_hashed(path).map(|(reader, _)| reader)
}

/// [`open_observations`], and the SHA-256 of the bytes as they are read.
pub fn open_observations_hashed(
    path: &Path,
) -> Result<(ObservationReader<Box<dyn BufRead + Send>>, InputDigest)> {
    let name = path.display().to_string();
    let digest = InputDigest::new(&name);
    let mut reader: Box<dyn BufRead + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(digest.reader(std::io::stdin())))
    } else {
        if path.is_dir() {
            anyhow::bail!(
                "{} is a directory, not a file of observations",
                escape(&name)
            );
        }
        Box::new(std::io::BufReader::new(digest.reader(
            std::fs::File::open(path).with_context(|| format!("opening {}", escape(&name)))?,
        )))
    };
    super::observation_input::refuse_non_observations(&mut reader, &escape(&name))?;
    Ok((ObservationReader::new(reader, name), digest))
}

/// Tells the user about the lines of an observation file that were
/// skipped: the first few on stderr as `FILE:LINE: why`, then a count.
pub struct SkippedLines {
    input: String,
    seen: usize,
    bad: usize,
    first: Vec<SkippedLine>,
    read_error: Option<String>,
}

impl SkippedLines {
    /// For the file named `input`.
    pub fn new(input: &str) -> Self {
        SkippedLines {
            input: input.to_string(),
            seen: 0,
            bad: 0,
            first: Vec::new(),
            read_error: None,
        }
    }

    /// Counts one line that held an observation.
    pub fn saw_observation(&mut self) {
        self.seen += 1;
    }

    /// Reports one line that did not. A read error is kept for
    /// [`SkippedLines::finish`], which fails with it.
    pub fn skipped(&mut self, e: &ObservationLineError) {
        if e.message.starts_with(READ_ERROR) {
            self.read_error = Some(e.message.clone());
            return;
        }
        self.bad += 1;
        if self.first.len() < Provenance::SHOWN_SKIPPED {
            self.first.push(SkippedLine {
                line: e.line,
                message: e.message.clone(),
            });
        }
        if self.bad <= super::target_stream::SHOWN_BAD_LINES {
            eprintln!("mitmwatch: skipped {}", escape(&e.to_string()));
        }
    }

    /// The number of bad lines, after the count of those not shown; an
    /// error if the file could not be read to its end.
    pub fn finish(self) -> Result<usize> {
        self.finish_with_positions().map(|(bad, _)| bad)
    }

    /// [`SkippedLines::finish`], with the first few bad lines (at most
    /// [`Provenance::SHOWN_SKIPPED`]) by position.
    pub fn finish_with_positions(self) -> Result<(usize, Vec<SkippedLine>)> {
        if let Some(message) = self.read_error {
            anyhow::bail!("reading {}: {}", escape(&self.input), message);
        }
        if self.bad > super::target_stream::SHOWN_BAD_LINES {
            eprintln!(
                "mitmwatch: skipped {} of {} (not shown)",
                mitmwatch::plural::count(
                    self.bad - super::target_stream::SHOWN_BAD_LINES,
                    "more bad line",
                    "more bad lines"
                ),
                escape(&self.input)
            );
        }
        if self.seen == 0 && self.bad == 0 {
            eprintln!(
                "mitmwatch: {}: no observations in the file",
                escape(&self.input)
            );
        }
        Ok((self.bad, self.first))
    }
}

/// Reads observations one at a time and hands each to `f`, so that a
/// caller need not hold the file in memory. Bad lines are reported on
/// stderr as `FILE:LINE: why` and skipped. Returns the number of bad lines.
pub fn for_each_observation(path: &Path, mut f: impl FnMut(Observation)) -> Result<usize> {
    let reader = open_observations(path)?;
    let mut skipped = SkippedLines::new(reader.input());
    for item in reader {
        match item {
            Ok(obs) => {
                skipped.saw_observation();
                f(obs)
            }
            Err(e) => skipped.skipped(&e),
        }
    }
    skipped.finish()
}

/// Judges observations read in `format`. A scan of mitmwatch's own gets
/// the blanket/targeted conclusion; imported records, which may come from
/// many networks and times, do not.
pub fn assess_input(
    analyzer: &Analyzer,
    observations: &[Observation],
    format: InputFormat,
    when: ValidationTime,
) -> (Vec<Assessment>, ScanSummary) {
    match format {
        InputFormat::Mitmwatch => analyzer.assess_scan(observations, when),
        _ => analyzer.assess_files(observations, when),
    }
}

/// Writes assessments, then the summary, as JSON Lines.
pub fn write_json_lines(
    out: &mut dyn std::io::Write,
    assessments: &[Assessment],
    summary: &ScanSummary,
) -> std::io::Result<()> {
    for a in assessments {
        mitmwatch::report::json::write_line(&mut *out, a)?;
    }
    mitmwatch::report::json::write_line(&mut *out, summary)
}

/// The exit code for a set of verdicts: 2 if anything was intercepted (or,
/// with `--fail-on suspicious`, looked suspicious), 3 if fewer than
/// `min_judged` targets could be judged, else 0.
pub fn exit_code(summary: &ScanSummary, min_judged: usize, fail_on: FailOn) -> i32 {
    let count = |v: Verdict| summary.verdicts.get(&v).copied().unwrap_or(0);
    let alarming = match fail_on {
        FailOn::Intercepted => count(Verdict::Intercepted),
        FailOn::Suspicious => count(Verdict::Intercepted) + count(Verdict::Suspicious),
    };
    if alarming > 0 {
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
            "mitmwatch: {}: {} no TLS handshake (plain HTTP, or no connection)",
            escape(&name),
            mitmwatch::plural::count(result.without_tls, "measurement held", "measurements held")
        );
    }
    Ok((result.observations, result.errors.len()))
}
