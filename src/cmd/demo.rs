//! `mitmwatch demo`: start the simulated network, scan the popular-domain
//! list through its interception box, analyse and show the verdicts.

use super::analysis::exit_code;
use crate::cli::DemoArgs;
use anyhow::Result;
use mitmwatch::analyze::{Analyzer, ValidationTime};
use mitmwatch::catalog::Catalog;
use mitmwatch::collect::{Collector, ProbeTls, Router, Timeouts};
use mitmwatch::model::Target;
use mitmwatch::report::text;
use mitmwatch::sim::{domains, SimConfig, SimNetwork};
use std::time::Duration;

/// Runs the demo; returns the exit code (2: the simulation intercepts).
pub async fn run(args: DemoArgs) -> Result<i32> {
    let sim = SimNetwork::start(SimConfig::default())
        .await
        .map_err(|e| anyhow::anyhow!("starting the simulated network: {e}"))?;
    let names = domains::popular();
    println!(
        "mitmwatch demo: a simulated network on 127.0.0.1 in which a box re-signs TLS for the"
    );
    println!(
        "{} domains Kazakhtelecom's box intercepted in 2019 and passes everything else through.",
        sim.intercepted.len()
    );
    println!("  origin server (genuine certificates): {}", sim.origin);
    println!(
        "  interception box (every name goes through it): {}",
        sim.interceptor
    );
    println!("  trust store: the simulated public root only; the box's root is not trusted");
    println!("  static pins: the built-in pinned hosts, pinned to the simulated public root");
    println!("  CT log list: the simulation's two CT logs, whose SCTs the genuine leaves carry");
    println!();
    println!("Scanning {} domains through the box...", names.len());
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
    let options = mitmwatch::collect::ScanOptions {
        concurrency: 32,
        ..Default::default()
    };
    let observations = super::io::collect_all(collector, targets, &options).await;
    if let Some(path) = &args.output {
        super::io::save_observations(path, &observations)?;
        println!("Observations written to {}", super::io::shown(path));
    }
    let analyzer = Analyzer::new(Catalog::builtin()?, store, sim.pins(), None)
        .with_ct_log_list(sim.ct_log_list.clone());
    let (assessments, summary) = analyzer.assess_scan(&observations, ValidationTime::Observed);
    println!();
    for (obs, a) in observations.iter().zip(&assessments) {
        if args.verbose {
            print!("{}", text::chain_listing(obs));
            println!("{}", text::assessment_detail(a));
        } else {
            println!("{}", text::assessment_line(a));
        }
    }
    println!();
    print!("{}", text::summary_text(&summary));
    println!();
    println!("Try `mitmwatch demo -v` for every finding, or `mitmwatch sim` to probe the simulation yourself.");
    Ok(exit_code(&summary, 1, crate::cli::FailOn::Intercepted))
}
