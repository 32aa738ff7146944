//! `mitmwatch baseline`: domain -> accepted issuing CAs, from a scan made
//! from a trusted vantage.

use super::analysis::read_observations;
use crate::cli::BaselineArgs;
use anyhow::{Context, Result};
use mitmwatch::baseline::Baseline;
use std::io::Write;

/// Builds and writes the baseline; returns the exit code.
pub fn run(args: BaselineArgs) -> Result<i32> {
    let (observations, _bad) = read_observations(&args.input)?;
    let mut baseline = Baseline::new(
        format!("mitmwatch baseline {}", args.input.display()),
        time::OffsetDateTime::now_utc(),
    );
    let used = observations.iter().filter(|o| baseline.add(o)).count();
    let mut out = super::io::open_output(args.output.as_deref())?;
    mitmwatch::report::json::write_pretty(&mut out, &baseline)?;
    out.flush().context("writing the baseline")?;
    eprintln!(
        "mitmwatch: baseline of {} domains from {used} of {} observations (only chains that verified were used)",
        baseline.domains.len(),
        observations.len()
    );
    Ok(if used == 0 {
        super::exit::INCONCLUSIVE
    } else {
        super::exit::OK
    })
}
