//! `mitmwatch analyze`: verdicts for saved observations, judged by the
//! library's judge ([`mitmwatch_core::judge`]) as they are read, on `--jobs`
//! threads, without being held in memory.

use super::analysis::{analyzer_and_data, exit_code, judge_input, validation_time, RECORDED};
use crate::cli::{AnalyzeArgs, Format};
use anyhow::{Context, Result};
use mitmwatch_core::import::InputFormat;
use mitmwatch_core::judge::default_jobs;
use mitmwatch_core::model::json;
use mitmwatch_core::model::DataUsed;
use mitmwatch_core::model::{Assessment, FindingCode, ScanSummary};
use mitmwatch_report::text;
use std::io::Write;

/// Runs the analysis; returns the exit code.
pub fn run(args: AnalyzeArgs) -> Result<i32> {
    let (when, at) = validation_time(&args.analysis, RECORDED)?;
    let (analyzer, data) = analyzer_and_data(&args.analysis, when)?;
    super::output_files::check_writable(args.output.as_deref())?;
    let format = args.from.format();
    let jobs = args.jobs.map_or_else(default_jobs, usize::from);
    let mut judged = judge_input(
        &analyzer,
        when,
        (&args.input, format),
        jobs,
        false,
        (&at, &data),
    )?;
    let mut report = Report::open(&args)?;
    if report.copies_json() {
        judged.each_json_line(|line| report.json_line(line))?;
    } else {
        judged.each_in_order(false, |j| report.assessment(&j.assessment))?;
    }
    report.finish(&judged.summary, &data)?;
    let bad = judged.counts.bad;
    if bad > 0 {
        let (one, many) = match format {
            InputFormat::Mitmwatch => ("bad line", "bad lines"),
            _ => ("unreadable record", "unreadable records"),
        };
        eprintln!(
            "mitmwatch: {} in the input {} skipped",
            mitmwatch_core::plural::count(bad, one, many),
            mitmwatch_core::plural::noun(bad, "was", "were")
        );
    }
    Ok(exit_code(&judged.summary, 1, args.analysis.fail_on))
}

/// The report being written: assessments one at a time, then the summary.
struct Report {
    out: std::io::BufWriter<Box<dyn Write + Send>>,
    format: Format,
    verbose: bool,
    /// Colour verdicts: stdout on a colour terminal (or `--color always`).
    coloured: bool,
    leaf_only: usize,
}

impl Report {
    fn open(args: &AnalyzeArgs) -> Result<Self> {
        Ok(Report {
            out: std::io::BufWriter::with_capacity(
                1 << 16,
                super::output_files::open_output(args.output.as_deref())?,
            ),
            format: args.format,
            verbose: super::verbosity::verbose(),
            coloured: args.output.as_deref().is_none_or(|p| p.as_os_str() == "-")
                && super::output::stdout_coloured(),
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
                } else if self.coloured {
                    let line = super::output::coloured_assessment_line(a);
                    writeln!(self.out, "{line}")?;
                } else {
                    writeln!(self.out, "{}", text::assessment_line(a))?;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self, summary: &ScanSummary, data: &DataUsed) -> Result<()> {
        match self.format {
            Format::Json => json::write_line(&mut self.out, summary)?,
            Format::Text => {
                writeln!(self.out)?;
                write!(self.out, "{}", text::summary_text(summary))?;
                if self.leaf_only > 0 {
                    write!(self.out, "{}", text::leaf_only_note(self.leaf_only))?;
                }
                write!(self.out, "{}", text::data_used_text(data, 96))?;
            }
        }
        self.out.flush().context("writing the report")
    }
}
