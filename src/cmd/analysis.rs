//! Setting up the analyzer from flags, handing inputs to the library's
//! judge ([`mitmwatch_core::judge`]), and mapping results to exit codes.

use super::exit;
use crate::cli::{AnalysisArgs, FailOn};
use anyhow::{Context, Result};
use mitmwatch_core::analysis_data::baseline::Baseline;
use mitmwatch_core::analysis_data::catalog::Catalog;
use mitmwatch_core::analysis_data::intermediates::IntermediatePool;
use mitmwatch_core::analysis_data::static_pins::PinStore;
use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::ct::LogList;
use mitmwatch_core::import::InputFormat;
use mitmwatch_core::judge::{Input, Judge, JudgedScan, Notice, ObservationFile};
use mitmwatch_core::model::DataUsed;
use mitmwatch_core::model::{Assessment, Observation, ScanSummary, Verdict};
use mitmwatch_report::terminal::escape;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The default validation time of commands that judge recorded data:
/// each observation as of when its chain was served, with the roots, pins
/// and logs of then.
pub const RECORDED: &str = "observed";

/// The default validation time of live measurements.
pub const LIVE: &str = "now";

/// The validation time `--at` asks for, or `default` ([`RECORDED`] or
/// [`LIVE`]), with the text it was read from.
pub fn validation_time(
    args: &AnalysisArgs,
    default: &'static str,
) -> Result<(ValidationTime, String)> {
    let text = args.at.clone().unwrap_or_else(|| default.to_string());
    let when = parse_validation_time(&text)?;
    // `now` is recorded as the instant it was, to the second.
    let text = match when {
        ValidationTime::At(t) if text == "now" => {
            format!("{} (now)", mitmwatch_core::encoding::rfc3339_seconds(t))
        }
        _ => text,
    };
    Ok((when, text))
}

/// Parses `--at`.
fn parse_validation_time(text: &str) -> Result<ValidationTime> {
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

/// The shipped issuing CAs (`pool`), with those `mitmwatch update` saved in
/// the data directory and those of `--intermediates` files.
fn intermediates(
    mut pool: IntermediatePool,
    paths: &[PathBuf],
    data_dir: Option<&Path>,
) -> Result<IntermediatePool> {
    if let Some(saved) = data_dir
        .map(|d| d.join(mitmwatch_collect::update::data_dir::INTERMEDIATES_FILE))
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
    analyzer_and_data(args, ValidationTime::Observed).map(|(analyzer, _)| analyzer)
}

/// Builds the analyzer the flags ask for, from the library's defaults
/// ([`AnalysisData::builtin`]), and says which data it uses, judged `when`.
/// The CT log list is `--ct-log-list` if given, else the list `mitmwatch
/// update` saved in the data directory if it is newer than the built-in
/// one, else the built-in list; the intermediates are the shipped set, any
/// `mitmwatch update` saved and `--intermediates`.
pub fn analyzer_and_data(
    args: &AnalysisArgs,
    when: ValidationTime,
) -> Result<(Analyzer, DataUsed)> {
    let builtin = AnalysisData::builtin()?;
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
        None => builtin.pins.clone(),
        Some(path) => PinStore::from_json(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| path.display().to_string())?,
    };
    let baseline = match &args.baseline {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let b: Baseline = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a mitmwatch baseline", path.display()))?;
            if !mitmwatch_core::analysis_data::baseline::BASELINE_SCHEMAS_READ.contains(&b.schema) {
                anyhow::bail!(
                    "{}: unsupported baseline schema {}",
                    path.display(),
                    b.schema
                );
            }
            Some(b)
        }
    };
    let data_dir = mitmwatch_collect::update::data_dir::resolve(args.data_dir.as_deref());
    let ct_list = match &args.ct_log_list {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(LogList::from_json(&text, &path.display().to_string())?)
        }
        None => {
            let (saved, warning) =
                mitmwatch_collect::update::data_dir::current_log_list(data_dir.as_deref());
            if let Some(w) = warning {
                eprintln!("mitmwatch: {}", escape(&w));
            }
            saved
        }
    };
    let ct_logs = ct_list.map_or(builtin.ct_logs.clone(), std::sync::Arc::new);
    let at = match when {
        ValidationTime::At(t) => Some(t),
        ValidationTime::Observed => None,
    };
    let data = DataUsed::new(
        &ct_logs,
        &pins,
        &pins_source,
        &catalog,
        &catalog_source,
        &store,
        at,
    );
    let analyzer = Analyzer::new(AnalysisData {
        catalog,
        trust: store,
        pins,
        baseline,
        ct_logs,
        intermediates: intermediates(
            builtin.intermediates,
            &args.intermediates,
            data_dir.as_deref(),
        )?,
        ..builtin
    })
    .remember(!caches_disabled());
    Ok((analyzer, data))
}

/// Refuses a file that holds something other than observations (a target
/// list, a baseline, pins, a report, …), naming the command that fits.
/// Standard input and files that cannot be opened are left to the reader.
pub fn refuse_wrong_kind(path: &Path) -> Result<()> {
    use mitmwatch_core::file_kind::{FileKind, SNIFF_BYTES};
    use std::io::Read;
    if path.as_os_str() == "-" || path.is_dir() {
        return Ok(());
    }
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let mut head = Vec::with_capacity(4096);
    if file
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .is_err()
    {
        return Ok(());
    }
    match FileKind::sniff(&head).refusal(&super::output_files::shown(path)) {
        Some(why) => anyhow::bail!("{why}"),
        None => Ok(()),
    }
}

/// `MITMWATCH_NO_CACHES=1` makes the analyzer remember nothing across
/// observations (README, Performance): the output must be the same, only
/// slower; the benchmark and `tests/cache_equivalence.rs` compare the two.
fn caches_disabled() -> bool {
    std::env::var_os("MITMWATCH_NO_CACHES").is_some_and(|v| v == "1")
}

/// Reads observations, one JSON object per line. Bad lines are reported on
/// stderr as `FILE:LINE: why` and skipped. Returns the observations and the
/// number of bad lines.
pub fn read_observations(path: &Path) -> Result<(Vec<Observation>, usize)> {
    let mut observations = Vec::new();
    let bad = for_each_observation(path, |obs| observations.push(obs))?;
    Ok((observations, bad))
}

/// Shows one of the judge's notices (a skipped line, a count) on stderr,
/// above the progress bar if one is shown.
pub fn print_notice(notice: Notice<'_>) {
    super::progress::warn(&format!("mitmwatch: {}", escape(&notice.to_string())));
}

/// Reads observations one at a time and hands each to `f`, so that a
/// caller need not hold the file in memory. Bad lines are reported on
/// stderr as `FILE:LINE: why` and skipped. Returns the number of bad lines.
pub fn for_each_observation(path: &Path, f: impl FnMut(Observation)) -> Result<usize> {
    refuse_wrong_kind(path)?;
    let counts = ObservationFile::open(path)?.for_each(&mut print_notice, f)?;
    Ok(counts.bad)
}

/// Judges the input at `path`, read in `format`, on `jobs` threads, the
/// observations kept if `keep_observations`; bad records are shown on
/// stderr as they come. A mitmwatch file's summary says how it was made.
pub fn judge_input(
    analyzer: &Analyzer,
    when: ValidationTime,
    (path, format): (&Path, InputFormat),
    jobs: usize,
    keep_observations: bool,
    provenance: (&str, &DataUsed),
) -> Result<JudgedScan> {
    if format == InputFormat::Mitmwatch {
        refuse_wrong_kind(path)?;
    }
    let input = Input::open(path, format)?;
    let mut judged = Judge::new(analyzer, when)
        .jobs(jobs)
        .keep_observations(keep_observations)
        .judge(input, &mut print_notice)?;
    if format == InputFormat::Mitmwatch {
        let (at, data) = provenance;
        judged.summary.provenance = Some(judged.provenance(at, data));
    }
    Ok(judged)
}

/// Writes assessments, then the summary, as JSON Lines.
pub fn write_json_lines(
    out: &mut dyn std::io::Write,
    assessments: &[Assessment],
    summary: &ScanSummary,
) -> std::io::Result<()> {
    for a in assessments {
        mitmwatch_core::model::json::write_line(&mut *out, a)?;
    }
    mitmwatch_core::model::json::write_line(&mut *out, summary)
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
