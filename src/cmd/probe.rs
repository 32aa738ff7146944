//! `mitmwatch probe`: the control-SNI differential. For each host, one
//! handshake with a control name, then one with the host's own name to the
//! address the control reached; the chains' issuing CAs are compared.

use crate::cli::{CollectArgs, ProbeArgs, TrustArgs};
use anyhow::{bail, Context, Result};
use mitmwatch_collect::Collector;
use mitmwatch_core::analyze::{sni_diff, AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::judge::Judge;
use mitmwatch_core::model::tool_name;
use mitmwatch_core::model::{Observation, Verdict};
use mitmwatch_core::model::{SniOutcome, SniProbe, Target, SNI_PROBE_SCHEMA};
use mitmwatch_core::target_spec::{normalise_host, TargetLineError};
use mitmwatch_core::target_spec::{parse_target, DomainListReader};
use mitmwatch_report::probe_text;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The collector options `probe` offers, in the form `scan` uses.
fn collect_args(args: &ProbeArgs) -> CollectArgs {
    CollectArgs {
        connect_to: args.connect_to.clone(),
        resolve: args.resolve.clone(),
        sni: None,
        no_sni: false,
        port: args.port,
        timeout: args.timeout,
        connect_timeout: None,
        handshake_timeout: None,
        concurrency: args.concurrency.max(1),
        rate: None,
        per_address: 8,
        retries: 0,
        // `probe` looks at protocol versions, not at chains.
        no_aia: true,
        // Its second handshake goes to the address of the first, which
        // through a proxy would be the proxy's: `probe` always goes direct.
        proxy: None,
        noproxy: None,
        no_proxy_env: true,
        starttls: None,
    }
}

/// Hosts from the arguments, then the file. Bad entries are reported on
/// stderr and skipped; returns the hosts and how many were bad.
fn read_targets(args: &ProbeArgs) -> Result<(Vec<Target>, usize)> {
    let mut items: Vec<Result<Target, TargetLineError>> = args
        .targets
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            parse_target(spec, args.port).map_err(|message| TargetLineError {
                input: "argument".into(),
                line: i + 1,
                message: format!("{spec:?}: {message}"),
            })
        })
        .collect();
    if let Some(path) = &args.input {
        let (reader, name) = super::target_input::open(path)?;
        items.extend(DomainListReader::new(reader, name, args.port));
    }
    let mut targets = Vec::new();
    let mut bad = 0;
    for item in items {
        match item {
            Ok(t) if t.sni.is_none() => {
                bad += 1;
                eprintln!(
                    "mitmwatch: skipped {}: an IP address has no name to send as SNI; \
                     give the name and pin the address with --resolve NAME:PORT:ADDR",
                    mitmwatch_report::terminal::escape(&t.to_string())
                );
            }
            Ok(t) if !targets.contains(&t) => targets.push(t),
            Ok(_) => {}
            Err(e) => {
                bad += 1;
                super::target_stream::report_bad_line(&e, bad);
            }
        }
    }
    Ok((targets, bad))
}

/// The verdict on one handshake of a probe, judged by the judge every
/// subcommand uses (one connection: no scan-level check). Should the
/// analyzer fail on it (a bug), the failure is shown and the verdict is
/// `error`.
fn probe_verdict(analyzer: &Analyzer, obs: &Observation, which: &str) -> Verdict {
    let input = format!("the {which} handshake with {}", obs.target.expected_name());
    match Judge::new(analyzer, ValidationTime::Observed).assess_one(obs, &input, 1) {
        Ok(a) => a.verdict,
        Err(bad) => {
            eprintln!(
                "mitmwatch: {}",
                mitmwatch_report::terminal::escape(&bad.to_string())
            );
            Verdict::Error
        }
    }
}

/// Control first, then the target at the control's address (or routed
/// normally when the control never connected).
async fn probe_pair(
    collector: &Collector,
    analyzer: &Analyzer,
    target: Target,
    control_sni: String,
) -> SniProbe {
    let control_target = Target {
        host: target.host.clone(),
        port: target.port,
        sni: Some(control_sni.clone()),
    };
    let control = collector.probe(&control_target).await;
    let address = control
        .address
        .as_deref()
        .and_then(|a| a.parse::<SocketAddr>().ok());
    let target_obs = match address {
        Some(addr) => collector.probe_at(&target, addr).await,
        None => collector.probe(&target).await,
    };
    SniProbe {
        record_type: "sni-probe".into(),
        schema: SNI_PROBE_SCHEMA,
        tool: tool_name(),
        host: target.host.clone(),
        port: target.port,
        target_sni: target.expected_name().to_string(),
        control_sni,
        address: control.address.clone().or(target_obs.address.clone()),
        comparison: sni_diff::compare(
            &control,
            &target_obs,
            sni_diff::Verdicts {
                control: probe_verdict(analyzer, &control, "control"),
                target: probe_verdict(analyzer, &target_obs, "target"),
            },
        ),
        control,
        target: target_obs,
    }
}

/// Runs the probes; returns the exit code.
pub async fn run(args: ProbeArgs) -> Result<i32> {
    let control_sni = normalise_host(&args.control_sni)
        .map_err(|m| anyhow::anyhow!("--control-sni {:?}: {m}", args.control_sni))?;
    if control_sni.parse::<std::net::IpAddr>().is_ok() {
        bail!("--control-sni must be a host name, not an IP address");
    }
    let (targets, bad) = read_targets(&args)?;
    if targets.is_empty() {
        match &args.input {
            Some(path) => bail!(
                "no hosts read from {} ({}): {}",
                super::output_files::shown(path),
                match bad {
                    0 => "it is empty".to_string(),
                    n => format!(
                        "{n} bad {}",
                        mitmwatch_core::plural::noun(n, "entry", "entries")
                    ),
                },
                super::target_input::LIST_HINT
            ),
            None if bad > 0 => bail!("no usable host among the arguments"),
            None => {
                bail!("no hosts to probe: give HOST[:PORT] arguments or --input FILE (see --help)")
            }
        }
    }
    let store = super::flags_setup::trust_store(&TrustArgs {
        roots: args.roots.clone(),
        extra_roots: Vec::new(),
        system_roots: false,
    })?;
    let collector = Arc::new(super::flags_setup::collector(&collect_args(&args), &store)?);
    // The verdicts that decide the outcome: the built-in data with the same
    // trust store, each handshake judged when it was made.
    let analyzer = Arc::new(Analyzer::new(AnalysisData::with_trust(store.clone())?));
    // Outputs are created before any handshake, so a bad path loses nothing.
    let mut saved = match &args.save {
        Some(path) => Some((path, super::output_files::open_output(Some(path))?)),
        None => None,
    };
    let mut out = super::output_files::open_output(args.output.as_deref())?;
    let json = args.json();
    let slots = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (i, target) in targets.into_iter().enumerate() {
        let (collector, analyzer, slots, control) = (
            collector.clone(),
            analyzer.clone(),
            slots.clone(),
            control_sni.clone(),
        );
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            (i, probe_pair(&collector, &analyzer, target, control).await)
        });
    }
    let mut probes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (i, p) = done.context("probe task")?;
        // `-v`: each host as its probe ends.
        super::verbosity::detail(&format!(
            "{}:{}: {}",
            mitmwatch_report::terminal::escape(&p.host),
            p.port,
            probe_text::outcome_label(p.comparison.outcome)
        ));
        probes.push((i, p));
    }
    probes.sort_by_key(|(i, _)| *i);
    let probes: Vec<SniProbe> = probes.into_iter().map(|(_, p)| p).collect();

    if saved.is_some() {
        let observations: Vec<_> = probes
            .iter()
            .flat_map(|p| [p.control.clone(), p.target.clone()])
            .collect();
        if let Some((path, file)) = &mut saved {
            super::output_files::write_observations(file.as_mut(), path, &observations)?;
        }
    }
    for p in &probes {
        if json {
            let mut line = serde_json::to_string(p)?;
            line.push('\n');
            out.write_all(line.as_bytes())?;
        } else {
            writeln!(out, "{}", probe_text::probe(p))?;
        }
    }
    if !json {
        write!(out, "{}", probe_text::summary(&probes))?;
    }
    out.flush().context("writing the report")?;
    if bad > 0 {
        eprintln!(
            "mitmwatch: {} skipped",
            mitmwatch_core::plural::count(bad, "bad host", "bad hosts")
        );
    }
    Ok(exit_code(&probes))
}

/// 2 if any host showed SNI-triggered interception, 3 if no host could be
/// compared with its control, else 0.
fn exit_code(probes: &[SniProbe]) -> i32 {
    let outcome = |o: SniOutcome| probes.iter().any(|p| p.comparison.outcome == o);
    if outcome(SniOutcome::SniTriggered) {
        super::exit::INTERCEPTED
    } else if probes.iter().all(|p| {
        matches!(
            p.comparison.outcome,
            SniOutcome::ControlFailed | SniOutcome::BothFailed
        )
    }) {
        super::exit::INCONCLUSIVE
    } else {
        super::exit::OK
    }
}
