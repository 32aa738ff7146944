//! `mitmwatch report`: HTML, CSV or text from saved observations, judged
//! without holding the file in memory ([`mitmwatch_core::judge`]). The
//! summary carries how the report was made (its provenance block); a CSV
//! written to a file gets it beside it, as `FILE.summary.json`.

use super::analysis::{analyzer_and_data, exit_code, judge_input, validation_time, RECORDED};
use crate::cli::{ReportArgs, ReportDetails, ReportFormat};
use anyhow::{Context, Result};
use mitmwatch_core::import::InputFormat;
use mitmwatch_core::judge::{default_jobs, JudgeError, JudgedScan};
use mitmwatch_core::model::json;
use mitmwatch_core::model::Verdict;
use mitmwatch_core::plural::{count, noun};
use mitmwatch_report::{csv, html, text};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes the report(s); returns the exit code (as for `analyze`).
pub fn run(args: ReportArgs) -> Result<i32> {
    let (when, at) = validation_time(&args.analysis, RECORDED)?;
    let (analyzer, data) = analyzer_and_data(&args.analysis, when)?;
    let jobs = args.jobs.map_or_else(default_jobs, usize::from);
    if args.summary && args.format == ReportFormat::Csv {
        anyhow::bail!("--summary is for --format text or json: a CSV report has a row per target");
    }
    // Both outputs are checked before the input is judged.
    super::output_files::check_writable(args.html.as_deref())?;
    super::output_files::check_writable(args.output.as_deref())?;
    // From a history database: its observations, exported to a private
    // temporary file, are the input (the same report as from a file).
    let exported = match &args.db {
        Some(db) => Some(export_history(db, args.since.as_deref())?),
        None => None,
    };
    let input = match (&exported, &args.input) {
        (Some(file), _) => file.path().to_path_buf(),
        (None, Some(path)) => path.clone(),
        (None, None) => anyhow::bail!("give observations (FILE.jsonl) or --db"),
    };
    // The HTML report shows each chain, so it needs the observations back.
    let mut judged = judge_input(
        &analyzer,
        when,
        (&input, InputFormat::Mitmwatch),
        jobs,
        args.html.is_some(),
        (&at, &data),
    )?;
    if let Some(path) = &args.html {
        write_html(&mut judged, path, args.details)
            .with_context(|| format!("writing {}", path.display()))?;
        super::verbosity::note(&format!(
            "HTML report written to {}",
            super::output_files::shown(path)
        ));
    }
    if args.html.is_none() || args.output.is_some() || args.format != ReportFormat::Text {
        let mut out = BufWriter::new(super::output_files::open_verdict_output(
            args.output.as_deref(),
        )?);
        if args.format == ReportFormat::Csv {
            writeln!(out, "{}", csv::HEADER)?;
        }
        let verbose = super::verbosity::verbose();
        // The text report starts with its conclusion.
        if args.format == ReportFormat::Text {
            write!(out, "{}", text::summary_text(&judged.summary))?;
            if !args.summary {
                writeln!(out)?;
            }
        }
        judged.each_in_order(false, |j| {
            if args.summary {
                return Ok(());
            }
            match args.format {
                ReportFormat::Csv => writeln!(out, "{}", csv::row(&j.assessment, &j.cas))?,
                // `-v`: every finding of every target explained.
                ReportFormat::Text if verbose => {
                    writeln!(out, "{}", text::assessment_detail(&j.assessment))?
                }
                ReportFormat::Text => writeln!(out, "{}", text::assessment_line(&j.assessment))?,
                ReportFormat::Json => json::write_line(&mut out, &j.assessment)?,
            }
            Ok::<(), anyhow::Error>(())
        })?;
        if args.format == ReportFormat::Json {
            json::write_line(&mut out, &judged.summary)?;
        }
        if args.format == ReportFormat::Text {
            // A long list ends with the counts again, where the reader is.
            if !args.summary && judged.index().len() > 20 {
                writeln!(out)?;
                write!(out, "{}", text::counts_line(&judged.summary))?;
            }
            write!(out, "{}", text::data_used_text(&data, 96))?;
        }
        out.flush().context("writing the report")?;
        if let (ReportFormat::Csv, Some(path)) = (args.format, &args.output) {
            if path.as_os_str() != "-" {
                let sidecar = summary_sidecar(path);
                let mut out = super::output_files::open_output(Some(&sidecar))?;
                json::write_line(&mut out, &judged.summary)
                    .and_then(|_| out.flush())
                    .with_context(|| format!("writing {}", sidecar.display()))?;
            }
        }
    }
    if judged.counts.bad > 0 {
        eprintln!(
            "mitmwatch: {} in the input {} skipped",
            count(judged.counts.bad, "bad line", "bad lines"),
            noun(judged.counts.bad, "was", "were")
        );
    }
    Ok(exit_code(&judged.summary, 1, args.analysis.fail_on))
}

/// The observations of the history at `db` (since `since`) in a temporary
/// JSON Lines file, removed when dropped.
fn export_history(db: &Path, since: Option<&str>) -> Result<tempfile::NamedTempFile> {
    let history = mitmwatch_watch::History::open(db, mitmwatch_watch::Access::ReadOnly)?;
    let since = super::history_db::parse_since(since)?;
    let mut file = tempfile::NamedTempFile::new().context("creating a temporary file")?;
    let n = {
        let mut out = BufWriter::new(file.as_file_mut());
        let n = history.observations(since, None, |o| json::write_line(&mut out, &o))?;
        out.flush().context("writing the temporary file")?;
        n
    };
    if n == 0 {
        anyhow::bail!("{}: no observations stored for this period", db.display());
    }
    Ok(file)
}

/// Where the summary of a CSV report written to `csv` goes: `csv` with
/// `.summary.json` appended.
pub fn summary_sidecar(csv: &Path) -> PathBuf {
    let mut name = csv.as_os_str().to_owned();
    name.push(".summary.json");
    PathBuf::from(name)
}

fn write_html(judged: &mut JudgedScan, path: &Path, details: ReportDetails) -> Result<()> {
    let generated = mitmwatch_core::encoding::rfc3339_seconds(time::OffsetDateTime::now_utc());
    let mut out = BufWriter::new(super::output_files::open_output(Some(path))?);
    out.write_all(html::head(&judged.summary, &judged.facts, &generated).as_bytes())?;
    let index = judged.index();
    let mut order: Vec<usize> = (0..index.len()).collect();
    html::row_order(&mut order, |i| {
        (index[*i].verdict, judged.host(*i).to_string())
    });
    let mut rows = html::Rows::new(&judged.summary);
    for i in order {
        let shown = match details {
            ReportDetails::All => true,
            ReportDetails::Flagged => judged.index()[i].verdict != Verdict::Clean,
        };
        let j = judged.read(i, shown)?;
        let obs = match shown {
            false => None,
            true => Some(j.observation.ok_or(JudgeError::MissingObservation)?),
        };
        out.write_all(rows.row(&j.assessment, obs.as_ref()).as_bytes())?;
    }
    out.write_all(rows.finish(&judged.summary).as_bytes())?;
    Ok(out.flush()?)
}
