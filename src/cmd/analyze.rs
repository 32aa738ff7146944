//! `mitmwatch analyze`: verdicts for saved observations.
//!
//! mitmwatch's own files can be large, so they are judged as they are read
//! (on `--jobs` threads) and each assessment goes to a temporary file, with
//! only what the scan-level check and the summary need kept in memory.
//! When the file has been read, the assessments that check amends are
//! rewritten on the way from the temporary file to the output.

use super::analysis::{
    analyzer, assess_input, exit_code, load_observations, open_observations, validation_time,
    SkippedLines,
};
use super::parallel::{default_jobs, judge_lines};
use crate::cli::{AnalyzeArgs, Format};
use anyhow::{Context, Result};
use mitmwatch::analyze::scan_traits::{self, KeyReuse};
use mitmwatch::analyze::summary::SummaryBuilder;
use mitmwatch::analyze::{Analyzer, ValidationTime};
use mitmwatch::import::InputFormat;
use mitmwatch::model::{Assessment, FindingCode, Observation, ScanSummary};
use mitmwatch::report::{json, text};
use std::io::{BufRead, Seek, Write};

/// Runs the analysis; returns the exit code.
pub fn run(args: AnalyzeArgs) -> Result<i32> {
    let when = validation_time(&args.analysis.at)?;
    let analyzer = analyzer(&args.analysis)?;
    let format = args.from.format();
    let (summary, bad) = match format {
        InputFormat::Mitmwatch => analyze_stream(&args, &analyzer, when)?,
        _ => {
            let (observations, bad) = load_observations(&args.input, format)?;
            let (assessments, summary) = assess_input(&analyzer, &observations, format, when);
            let mut report = Report::open(&args)?;
            for a in &assessments {
                report.assessment(a)?;
            }
            report.finish(&summary)?;
            (summary, bad)
        }
    };
    if bad > 0 {
        let what = match format {
            InputFormat::Mitmwatch => "bad line(s)",
            _ => "unreadable record(s)",
        };
        eprintln!("mitmwatch: {bad} {what} in the input were skipped");
    }
    Ok(exit_code(&summary, 1))
}

/// Judges a mitmwatch observation file and writes the report; returns the
/// summary and the number of bad lines.
fn analyze_stream(
    args: &AnalyzeArgs,
    analyzer: &Analyzer,
    when: ValidationTime,
) -> Result<(ScanSummary, usize)> {
    let reader = open_observations(&args.input)?;
    let mut skipped = SkippedLines::new(reader.input());
    let mut spill = std::io::BufWriter::new(
        tempfile::tempfile().context("creating a temporary file for the assessments")?,
    );
    let mut spill_error = None;
    let mut summary = SummaryBuilder::default();
    let mut reuse = KeyReuse::default();
    let mut count = 0usize;
    // Each worker also writes its assessment's JSON, so that the thread
    // collecting results only copies bytes.
    let judge = |obs: Observation| {
        let (a, names) = analyzer.assess_with_leaf_names(&obs, when);
        let mut line = Vec::with_capacity(2048);
        let written = json::write_line(&mut line, &a).map(|_| line);
        (a, names, written)
    };
    judge_lines(
        reader,
        args.jobs.map_or_else(default_jobs, usize::from),
        judge,
        |judged| match judged {
            Ok((a, names, line)) => {
                skipped.saw_observation();
                summary.add(&a);
                reuse.add(count, &a, names);
                count += 1;
                if let Err(e) = line.and_then(|line| spill.write_all(&line)) {
                    spill_error.get_or_insert(e);
                }
            }
            Err(e) => skipped.skipped(&e),
        },
    );
    let bad = skipped.finish()?;
    if let Some(e) = spill_error {
        return Err(e).context("writing the assessments to a temporary file");
    }
    let mut spill = spill
        .into_inner()
        .map_err(|e| e.into_error())
        .context("writing the assessments to a temporary file")?;
    spill.rewind().context("reading back the assessments")?;

    let mut amendments = reuse.findings();
    let mut report = Report::open(args)?;
    for (index, line) in std::io::BufReader::new(spill).split(b'\n').enumerate() {
        let line = line.context("reading back the assessments")?;
        let amendment = amendments.remove(&index);
        if amendment.is_none() && report.copies_json() {
            report.json_line(&line)?;
            continue;
        }
        let mut a: Assessment =
            serde_json::from_slice(&line).context("reading back the assessments")?;
        if let Some(found) = amendment {
            summary.remove(&a);
            scan_traits::amend(&mut a, found);
            summary.add(&a);
        }
        report.assessment(&a)?;
    }
    let summary = summary.finish(true);
    report.finish(&summary)?;
    Ok((summary, bad))
}

/// The report being written: assessments one at a time, then the summary.
struct Report {
    out: std::io::BufWriter<Box<dyn Write + Send>>,
    format: Format,
    verbose: bool,
    leaf_only: usize,
}

impl Report {
    fn open(args: &AnalyzeArgs) -> Result<Self> {
        Ok(Report {
            out: std::io::BufWriter::with_capacity(
                1 << 16,
                super::io::open_output(args.output.as_deref())?,
            ),
            format: args.format,
            verbose: args.verbose,
            leaf_only: 0,
        })
    }

    /// Whether an assessment's JSON line is written as it is.
    fn copies_json(&self) -> bool {
        matches!(self.format, Format::Json)
    }

    /// Writes an assessment already serialised by [`json::write_line`]
    /// (JSON format only), without its newline.
    fn json_line(&mut self, line: &[u8]) -> Result<()> {
        self.out.write_all(line)?;
        self.out.write_all(b"\n").context("writing the report")
    }

    fn assessment(&mut self, a: &Assessment) -> Result<()> {
        match self.format {
            Format::Json => json::write_line(&mut self.out, a)?,
            Format::Text => {
                if a.has(FindingCode::LeafOnlyChain) {
                    self.leaf_only += 1;
                }
                if self.verbose {
                    writeln!(self.out, "{}", text::assessment_detail(a))?;
                } else {
                    writeln!(self.out, "{}", text::assessment_line(a))?;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self, summary: &ScanSummary) -> Result<()> {
        match self.format {
            Format::Json => json::write_line(&mut self.out, summary)?,
            Format::Text => {
                writeln!(self.out)?;
                write!(self.out, "{}", text::summary_text(summary))?;
                if self.leaf_only > 0 {
                    write!(self.out, "{}", text::leaf_only_note(self.leaf_only))?;
                }
            }
        }
        self.out.flush().context("writing the report")
    }
}
