//! `mitmwatch analyze`: verdicts for saved observations.

use super::analysis::{analyzer, exit_code, read_observations, validation_time};
use crate::cli::{AnalyzeArgs, Format};
use anyhow::{Context, Result};
use mitmwatch::report::text;
use std::io::Write;

/// Runs the analysis; returns the exit code.
pub fn run(args: AnalyzeArgs) -> Result<i32> {
    let when = validation_time(&args.analysis.at)?;
    let analyzer = analyzer(&args.analysis)?;
    let (observations, bad) = read_observations(&args.input)?;
    let (assessments, summary) = analyzer.assess_scan(&observations, when);
    let mut out = super::io::open_output(args.output.as_deref())?;
    match args.format {
        Format::Json => {
            for a in &assessments {
                mitmwatch::report::json::write_line(&mut out, a)?;
            }
            mitmwatch::report::json::write_line(&mut out, &summary)?;
        }
        Format::Text => {
            for a in &assessments {
                if args.verbose {
                    writeln!(out, "{}", text::assessment_detail(a))?;
                } else {
                    writeln!(out, "{}", text::assessment_line(a))?;
                }
            }
            writeln!(out)?;
            write!(out, "{}", text::summary_text(&summary))?;
        }
    }
    out.flush().context("writing the report")?;
    if bad > 0 {
        eprintln!("mitmwatch: {bad} bad line(s) in the input were skipped");
    }
    Ok(exit_code(&summary, 1))
}
