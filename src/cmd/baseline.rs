//! `mitmwatch baseline`: domain -> accepted issuing CAs, from a scan made
//! from a trusted vantage.

use super::analysis::read_observations;
use crate::cli::BaselineArgs;
use anyhow::{Context, Result};
use mitmwatch::analysis_data::baseline::Baseline;
use mitmwatch::model::{Observation, Status};
use std::io::Write;

use super::scan::plural;

/// Why no observation could be used, by what happened to them.
fn why_none(observations: &[Observation]) -> String {
    if observations.is_empty() {
        return "the input holds no observation".into();
    }
    let failed = observations
        .iter()
        .filter(|o| o.status != Status::Ok)
        .count();
    let unverified = observations.len() - failed;
    let mut parts = Vec::new();
    if failed > 0 {
        parts.push(format!(
            "{failed} handshake(s) failed, so there is no chain"
        ));
    }
    if unverified > 0 {
        parts.push(format!(
            "{unverified} chain(s) did not verify against the scan's trust store"
        ));
    }
    format!(
        "{}. Build a baseline from a scan made from a trusted network with the trust store that \
         verifies the sites' chains (Mozilla's by default, or --roots).",
        parts.join("; ")
    )
}

/// Builds and writes the baseline; returns the exit code.
pub fn run(args: BaselineArgs) -> Result<i32> {
    // Created first: a bad path fails before the input is read.
    let mut out = super::output_files::open_output(args.output.as_deref())?;
    let (observations, _bad) = read_observations(&args.input)?;
    let mut baseline = Baseline::new(
        format!("mitmwatch baseline {}", args.input.display()),
        time::OffsetDateTime::now_utc(),
    );
    let used = observations.iter().filter(|o| baseline.add(o)).count();
    mitmwatch::report::json::write_pretty(&mut out, &baseline)?;
    out.flush().context("writing the baseline")?;
    let domains = baseline.domains.len();
    if !args.quiet {
        eprintln!(
        "mitmwatch: baseline of {domains} {} from {used} of {} {} (only chains that verified were used)",
        plural(domains, "domain", "domains"),
        observations.len(),
        plural(observations.len(), "observation", "observations"),
        );
    }
    if used == 0 {
        eprintln!(
            "mitmwatch: the baseline is empty: {}",
            why_none(&observations)
        );
    }
    Ok(if used == 0 {
        super::exit::INCONCLUSIVE
    } else {
        super::exit::OK
    })
}
