//! `mitmwatch demo`: start the simulated network, scan the popular-domain
//! list through its interception box, analyse and show the verdicts.

use super::analysis::exit_code;
use crate::cli::{DemoArgs, Format};
use anyhow::Result;
use mitmwatch_collect::{Collector, ProbeTls, Router, Timeouts};
use mitmwatch_core::analysis_data::domains;
use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::model::Target;
use mitmwatch_report::text;
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::io::Write;
use std::time::Duration;

/// Runs the demo; returns the exit code (2: the simulation intercepts).
pub async fn run(args: DemoArgs) -> Result<i32> {
    let json = args.format == Format::Json;
    // With --format json, stdout holds only the JSON Lines: the narration
    // is not written.
    let mut out: Box<dyn Write> = match json {
        true => Box::new(std::io::sink()),
        false => Box::new(anstream::stdout()),
    };
    // The narration around the verdicts (what the simulation is, what to
    // try next) is left out with -q, as notes are everywhere.
    let mut say: Box<dyn Write> = match json || super::verbosity::quiet() {
        true => Box::new(std::io::sink()),
        false => Box::new(anstream::stdout()),
    };
    // The output file is created before any work, so a bad path fails at once.
    let mut saved = match &args.output {
        Some(path) => Some((path, super::output_files::open_output(Some(path))?)),
        None => None,
    };
    let sim = SimNetwork::start(SimConfig::default())
        .await
        .map_err(|e| anyhow::anyhow!("starting the simulated network: {e}"))?;
    let names = domains::popular();
    writeln!(
        say,
        "mitmwatch demo: a simulated network on 127.0.0.1 in which a box re-signs TLS for the"
    )?;
    writeln!(
        say,
        "{} domains Kazakhtelecom's box intercepted in 2019 and passes everything else through.",
        sim.intercepted.len()
    )?;
    writeln!(
        say,
        "  origin server (genuine certificates): {}",
        sim.origin
    )?;
    writeln!(
        say,
        "  interception box (every name goes through it): {}",
        sim.interceptor
    )?;
    writeln!(
        say,
        "  trust store: the simulated public root only; the box's root is not trusted"
    )?;
    writeln!(
        say,
        "  static pins: the built-in pinned hosts, pinned to the simulated public root"
    )?;
    writeln!(
        say,
        "  CT log list: the simulation's two CT logs, whose SCTs the genuine leaves carry"
    )?;
    writeln!(say)?;
    writeln!(say, "Scanning {} domains through the box...", names.len())?;
    let store = sim.trust_store();
    let collector = Collector::new(
        ProbeTls::new(&store),
        Router::new(vec![sim.via_interceptor()], vec![]),
        Timeouts {
            connect: Duration::from_secs(5),
            handshake: Duration::from_secs(5),
        },
    );
    let targets = names.iter().map(|n| Target::new(n.clone(), 443)).collect();
    let options = mitmwatch_collect::ScanOptions {
        concurrency: 32,
        ..Default::default()
    };
    let observations = super::output_files::collect_all(collector, targets, &options).await;
    if let Some((path, file)) = &mut saved {
        super::output_files::write_observations(file.as_mut(), path, &observations)?;
        writeln!(
            say,
            "Observations written to {}",
            super::output_files::shown(path)
        )?;
    }
    let analyzer = Analyzer::new(AnalysisData {
        pins: sim.pins(),
        ct_logs: std::sync::Arc::new(sim.ct_log_list.clone()),
        ..AnalysisData::with_trust(store)?
    });
    let (assessments, summary) = analyzer.assess_scan(&observations, ValidationTime::Observed);
    if json {
        let mut stdout = std::io::stdout().lock();
        super::analysis::write_json_lines(&mut stdout, &assessments, &summary)?;
        stdout.flush()?;
        return Ok(exit_code(&summary, 1, crate::cli::FailOn::Intercepted));
    }
    writeln!(say)?;
    for (obs, a) in observations.iter().zip(&assessments) {
        if super::verbosity::verbose() {
            // The target's verdict and findings, then the chain it served.
            write!(out, "{}", text::assessment_detail(a))?;
            writeln!(out, "{}", text::chain_listing(obs))?;
        } else {
            writeln!(out, "{}", super::output::coloured_assessment_line(a))?;
        }
    }
    writeln!(out)?;
    write!(out, "{}", text::summary_text(&summary))?;
    writeln!(say)?;
    if super::verbosity::verbose() {
        writeln!(say, "Try `mitmwatch sim` to probe the simulation yourself.")?;
    } else {
        writeln!(say, "Try `mitmwatch demo -v` for every finding, or `mitmwatch sim` to probe the simulation yourself.")?;
    }
    Ok(exit_code(&summary, 1, crate::cli::FailOn::Intercepted))
}
