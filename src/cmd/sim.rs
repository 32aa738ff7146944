//! `mitmwatch sim`: run the simulated network in the foreground.

use crate::cli::SimArgs;
use anyhow::Result;
use mitmwatch::sim::{SimConfig, SimNetwork};
use std::time::Duration;

/// Runs until Ctrl-C (or `--duration`); returns the exit code.
pub async fn run(args: SimArgs) -> Result<i32> {
    let config = SimConfig {
        bind: args.bind,
        origin_port: args.origin_port,
        interceptor_port: args.interceptor_port,
        ..SimConfig::default()
    };
    let sim = SimNetwork::start(config)
        .await
        .map_err(|e| anyhow::anyhow!("starting the simulated network: {e}"))?;
    println!("origin (genuine certificates for any name): {}", sim.origin);
    println!(
        "interception box ({} names intercepted):   {}",
        sim.intercepted.len(),
        sim.interceptor
    );
    println!();
    let box_rule = format!("::{}:{}", sim.interceptor.ip(), sim.interceptor.port());
    let origin_rule = format!("::{}:{}", sim.origin.ip(), sim.origin.port());
    match &args.roots_out {
        Some(path) => {
            super::io::write_file(path, sim.public_root_pem().as_bytes())?;
            println!(
                "simulated public root written to {}",
                super::io::shown(path)
            );
            println!("try:");
            println!(
                "  mitmwatch scan facebook.com wikipedia.org --connect-to {box_rule} --roots {}",
                super::io::shown(path)
            );
            println!(
                "  curl -v --connect-to {box_rule} --cacert {} https://facebook.com/",
                super::io::shown(path)
            );
        }
        None => {
            println!("(give --roots-out FILE.pem to save the simulated public root)");
            println!("try: mitmwatch scan facebook.com wikipedia.org --connect-to {box_rule}");
        }
    }
    if let Some(path) = &args.pins_out {
        super::io::write_file(path, sim.pins_json().as_bytes())?;
        println!(
            "pins for the simulation written to {}: analyse with --pins {} so that the simulated public CA counts as the pinned one",
            super::io::shown(path),
            super::io::shown(path)
        );
    }
    if let Some(path) = &args.ct_log_list_out {
        super::io::write_file(path, sim.ct_log_list_json().as_bytes())?;
        println!(
            "CT log list of the simulated logs written to {}: analyse with --ct-log-list {} to verify the SCTs of genuine leaves",
            super::io::shown(path),
            super::io::shown(path)
        );
    }
    println!("direct to the origin instead: --connect-to {origin_rule}");
    println!("running; press Ctrl-C to stop");
    match args.duration {
        Some(secs) if secs.is_finite() && secs > 0.0 => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    drop(sim);
    Ok(super::exit::OK)
}
