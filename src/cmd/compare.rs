//! `mitmwatch compare`: two scans from different vantage points, domain by
//! domain.

use super::analysis::read_observations;
use crate::cli::CompareArgs;
use anyhow::{Context, Result};
use mitmwatch_core::analyze::vantage_compare;
use mitmwatch_core::model::tool_name;
use mitmwatch_core::model::{VantageComparison, VantageInfo};
use mitmwatch_report::compare_text;
use std::io::Write;

/// Runs the comparison; returns the exit code.
pub fn run(args: CompareArgs) -> Result<i32> {
    let (a, bad_a) = read_observations(&args.a)?;
    let (b, bad_b) = read_observations(&args.b)?;
    let info = |label: &str, path: &std::path::Path, n: usize| VantageInfo {
        label: label.to_string(),
        file: path.display().to_string(),
        observations: n,
    };
    let comparison = vantage_compare::compare(
        &a,
        &b,
        info(&args.label_a, &args.a, a.len()),
        info(&args.label_b, &args.b, b.len()),
        tool_name(),
    );
    let mut out = super::output_files::open_verdict_output(args.output.as_deref())?;
    if args.json() {
        let mut text = serde_json::to_string_pretty(&comparison)?;
        text.push('\n');
        out.write_all(text.as_bytes())?;
    } else {
        write!(
            out,
            "{}",
            compare_text::comparison(&comparison, super::verbosity::verbose())
        )?;
    }
    out.flush().context("writing the comparison")?;
    if bad_a + bad_b > 0 {
        eprintln!(
            "mitmwatch: {} in the inputs {} skipped",
            mitmwatch_core::plural::count(bad_a + bad_b, "bad line", "bad lines"),
            mitmwatch_core::plural::noun(bad_a + bad_b, "was", "were")
        );
    }
    Ok(exit_code(&comparison))
}

/// 2 if some domain was served chains under a root the other side never
/// saw, 3 if no domain got a chain on both sides, else 0.
fn exit_code(c: &VantageComparison) -> i32 {
    if c.domains.iter().any(|d| d.diff.is_root_difference()) {
        super::exit::INTERCEPTED
    } else if !c.domains.iter().any(|d| d.a.chains > 0 && d.b.chains > 0) {
        super::exit::INCONCLUSIVE
    } else {
        super::exit::OK
    }
}
