//! `mitmwatch report`: HTML, CSV or text from saved observations.

use super::analysis::{analyzer, exit_code, read_observations, validation_time};
use crate::cli::{ReportArgs, ReportFormat};
use anyhow::{Context, Result};
use mitmwatch::report::{csv, html, text};
use std::io::Write;

/// Writes the report(s); returns the exit code (as for `analyze`).
pub fn run(args: ReportArgs) -> Result<i32> {
    let when = validation_time(&args.analysis.at)?;
    let analyzer = analyzer(&args.analysis)?;
    let (observations, bad) = read_observations(&args.input)?;
    let (assessments, summary) = analyzer.assess_scan(&observations, when);
    if let Some(path) = &args.html {
        let generated = mitmwatch::certinfo::rfc3339(time::OffsetDateTime::now_utc());
        let page = html::render(&observations, &assessments, &summary, &generated);
        let mut out = super::io::open_output(Some(path))?;
        out.write_all(page.as_bytes())
            .and_then(|_| out.flush())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "mitmwatch: HTML report written to {}",
            super::io::shown(path)
        );
    }
    if args.html.is_none() || args.output.is_some() || args.format != ReportFormat::Text {
        let mut out = super::io::open_output(args.output.as_deref())?;
        match args.format {
            ReportFormat::Csv => {
                writeln!(out, "{}", csv::HEADER)?;
                for a in &assessments {
                    writeln!(out, "{}", csv::row(a))?;
                }
            }
            ReportFormat::Text => {
                for a in &assessments {
                    writeln!(out, "{}", text::assessment_line(a))?;
                }
                writeln!(out)?;
                write!(out, "{}", text::summary_text(&summary))?;
            }
        }
        out.flush().context("writing the report")?;
    }
    if bad > 0 {
        eprintln!("mitmwatch: {bad} bad line(s) in the input were skipped");
    }
    Ok(exit_code(&summary, 1))
}
