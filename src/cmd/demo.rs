//! `mitmwatch demo`: start the simulated network, scan the popular-domain
//! list through its interception box, and show what came back.

use crate::cli::DemoArgs;
use anyhow::{Context, Result};
use mitmwatch::collect::{scan, Collector, ProbeTls, Router, Timeouts};
use mitmwatch::model::{Observation, Target};
use mitmwatch::report::terminal::escape;
use mitmwatch::sim::{domains, SimConfig, SimNetwork};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Runs the demo; returns the exit code.
pub async fn run(args: DemoArgs) -> Result<i32> {
    let sim = SimNetwork::start(SimConfig::default())
        .await
        .map_err(|e| anyhow::anyhow!("starting the simulated network: {e}"))?;
    let names = domains::popular();
    println!("mitmwatch demo: a simulated network on loopback in which a box re-signs TLS");
    println!(
        "for the {} domains Kazakhtelecom's box intercepted in 2019, and passes the rest through.",
        sim.intercepted.len()
    );
    println!("  origin server (genuine certificates): {}", sim.origin);
    println!(
        "  interception box (every name goes through it): {}",
        sim.interceptor
    );
    println!("  trust store: the simulated public root only (the box's root is not trusted)");
    println!();
    println!("Scanning {} domains through the box...", names.len());
    let observations = scan_through_box(&sim, &names).await;
    if let Some(path) = &args.output {
        let mut out = super::io::open_output(Some(path))?;
        for obs in &observations {
            super::scan::write_observation(&mut out, obs).context("writing observations")?;
        }
        out.flush().context("writing observations")?;
        println!("Observations written to {}", path.display());
    }
    println!();
    print_table(&observations);
    Ok(super::exit::OK)
}

use std::io::Write;

/// Scans `names` through the simulated box and returns the observations in
/// the order of `names`.
pub async fn scan_through_box(sim: &SimNetwork, names: &[String]) -> Vec<Observation> {
    let store = sim.trust_store();
    let collector = Arc::new(Collector::new(
        ProbeTls::new(&store),
        Router::new(vec![sim.via_interceptor()], vec![]),
        Timeouts {
            connect: Duration::from_secs(5),
            handshake: Duration::from_secs(5),
        },
    ));
    let (target_tx, target_rx) = mpsc::channel(names.len().max(1));
    for name in names {
        let _ = target_tx.send(Target::new(name.clone(), 443)).await;
    }
    drop(target_tx);
    let (tx, mut rx) = mpsc::channel(names.len().max(1));
    let task = tokio::spawn(scan(collector, target_rx, 32, tx));
    let mut observations = Vec::with_capacity(names.len());
    while let Some(obs) = rx.recv().await {
        observations.push(obs);
    }
    let _ = task.await;
    observations.sort_by_key(|o| names.iter().position(|n| *n == o.target.host));
    observations
}

fn print_table(observations: &[Observation]) {
    println!(
        "{:<24} {:<8} {:<8} {:<36} STOCK VERIFICATION",
        "DOMAIN", "STATUS", "TLS", "LEAF ISSUER"
    );
    for obs in observations {
        let issuer = obs
            .chain
            .first()
            .and_then(|c| c.issuer.clone())
            .unwrap_or_else(|| "-".into());
        let tls = obs.tls.as_ref().map(|t| t.version.as_str()).unwrap_or("-");
        let stock = match &obs.stock_verification {
            Some(v) if v.ok => "valid".to_string(),
            Some(v) => format!("failed: {}", v.error.as_deref().unwrap_or("?")),
            None => obs.failure.clone().unwrap_or_else(|| "-".into()),
        };
        println!(
            "{:<24} {:<8} {:<8} {:<36} {}",
            escape(&obs.target.host),
            obs.status.as_str(),
            tls,
            escape(&issuer),
            escape(&stock)
        );
    }
}
