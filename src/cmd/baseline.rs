//! `mitmwatch baseline`: domain -> accepted issuing CAs, from a scan made
//! from a trusted vantage.

use super::analysis::read_observations;
use crate::cli::{BaselineArgs, BaselineFormat};
use anyhow::{Context, Result};
use mitmwatch_core::analysis_data::baseline::Baseline;
use mitmwatch_core::model::{Observation, Status};
use mitmwatch_core::plural::count;
use mitmwatch_report::terminal::escape;
use std::io::Write;

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
            "{} failed, so there is no chain",
            count(failed, "handshake", "handshakes")
        ));
    }
    if unverified > 0 {
        parts.push(format!(
            "{} not verify against the scan's trust store",
            count(unverified, "chain did", "chains did")
        ));
    }
    format!(
        "{}. Build a baseline from a scan made from a trusted network with the trust store that \
         verifies the sites' chains (Mozilla's by default, or --roots).",
        parts.join("; ")
    )
}

/// Why one observation added nothing to the baseline.
fn why_not_used(obs: &Observation) -> String {
    if obs.status != Status::Ok {
        return format!("the handshake failed ({})", obs.status.as_str());
    }
    match &obs.stock_verification {
        _ if obs.chain.is_empty() => "no certificate was recorded".into(),
        Some(v) => format!(
            "the chain did not verify against {}{}",
            escape(&v.trust_store),
            v.error
                .as_deref()
                .map(|e| format!(" ({})", escape(e)))
                .unwrap_or_default()
        ),
        None => "the chain was not verified when it was recorded".into(),
    }
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
    let mut used = 0;
    for obs in &observations {
        if baseline.add(obs) {
            used += 1;
        } else {
            // `-v`: each observation left out, and why.
            super::verbosity::detail(&format!(
                "{}: not used: {}",
                escape(&obs.target.to_string()),
                why_not_used(obs)
            ));
        }
    }
    match args.format {
        BaselineFormat::Json => mitmwatch_core::model::json::write_pretty(&mut out, &baseline)?,
        BaselineFormat::Text => {
            out.write_all(mitmwatch_report::baseline_text::render(&baseline).as_bytes())?
        }
    }
    out.flush().context("writing the baseline")?;
    super::verbosity::note(&format!(
        "baseline of {} from {used} of {} (only chains that verified were used)",
        count(baseline.domains.len(), "domain", "domains"),
        count(observations.len(), "observation", "observations"),
    ));
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
