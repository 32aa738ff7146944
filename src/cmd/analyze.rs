//! `mitmwatch analyze`: verdicts for saved observations.

use super::analysis::{
    analyzer, assess_input, exit_code, for_each_observation, load_observations, validation_time,
    write_json_lines,
};
use crate::cli::{AnalyzeArgs, Format};
use anyhow::{Context, Result};
use mitmwatch::import::InputFormat;
use mitmwatch::model::FindingCode;
use mitmwatch::report::text;
use std::io::Write;

/// Runs the analysis; returns the exit code.
pub fn run(args: AnalyzeArgs) -> Result<i32> {
    let when = validation_time(&args.analysis.at)?;
    let analyzer = analyzer(&args.analysis)?;
    let format = args.from.format();
    let (assessments, summary, bad) = match format {
        // mitmwatch's own files can be large: judge each observation as it
        // is read and keep only its assessment and leaf names.
        InputFormat::Mitmwatch => {
            let mut assessments = Vec::new();
            let mut names = Vec::new();
            let bad = for_each_observation(&args.input, |obs| {
                let (a, n) = analyzer.assess_with_leaf_names(&obs, when);
                assessments.push(a);
                names.push(n);
            })?;
            let summary = analyzer.finish_scan(&mut assessments, &names, true);
            (assessments, summary, bad)
        }
        _ => {
            let (observations, bad) = load_observations(&args.input, format)?;
            let (assessments, summary) = assess_input(&analyzer, &observations, format, when);
            (assessments, summary, bad)
        }
    };
    let mut out = super::io::open_output(args.output.as_deref())?;
    match args.format {
        Format::Json => write_json_lines(&mut out, &assessments, &summary)?,
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
            let leaf_only = assessments
                .iter()
                .filter(|a| a.has(FindingCode::LeafOnlyChain))
                .count();
            if leaf_only > 0 {
                write!(out, "{}", text::leaf_only_note(leaf_only))?;
            }
        }
    }
    out.flush().context("writing the report")?;
    if bad > 0 {
        let what = match format {
            InputFormat::Mitmwatch => "bad line(s)",
            _ => "unreadable record(s)",
        };
        eprintln!("mitmwatch: {bad} {what} in the input were skipped");
    }
    Ok(exit_code(&summary, 1))
}
