//! The adapter between `watch` and the `check` measurement: [`measure`]
//! is the one function through which `watch` measures. It takes the same
//! steps as `mitmwatch check` with the same helpers (the collector and
//! analyzer from the same flags, the same judge, the same outcome rule and
//! the same trust-store audit); when check's measurement becomes a library
//! function with a typed report (issue 21), this file calls it instead and
//! nothing else in `watch` changes.
//!
//! One difference stays: with a proxy configured, `check` also measures
//! the direct path; `watch` measures the path the flags give.

use super::analysis::{analyzer_and_data, exit_code, print_notice, validation_time, LIVE};
use crate::cli::{FailOn, WatchArgs};
use anyhow::{bail, Context, Result};
use mitmwatch_collect::{Collector, ScanOptions};
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::judge::{Input, Judge};
use mitmwatch_core::model::{Assessment, Observation, RootClass, Target, Verdict};
use mitmwatch_core::target_spec::{parse_target, DomainListReader};
use mitmwatch_store::StoreOptions;
use mitmwatch_watch::{LocalRoot, Outcome};
use time::OffsetDateTime;

/// What stays the same from run to run: built once from the flags.
pub struct Setup {
    /// The analyzer (data loaded when the watch started).
    pub analyzer: Analyzer,
    collector: Collector,
    /// The sites measured in each run.
    pub targets: Vec<Target>,
    options: ScanOptions,
    fail_on: FailOn,
    stores: Option<StoreOptions>,
    /// Whether `--baseline` was given (issuer changes then open episodes).
    pub baseline: bool,
}

/// One run's results.
pub struct Measurement {
    /// When the measurement started.
    pub started_at: OffsetDateTime,
    /// When it ended.
    pub finished_at: OffsetDateTime,
    /// One observation per site, in the order of the targets.
    pub observations: Vec<Observation>,
    /// Their assessments, in the same order.
    pub assessments: Vec<Assessment>,
    /// The run's outcome, as `check`'s exit status says it.
    pub outcome: Outcome,
    /// Trusted roots added on this machine (`None` with `--no-store`).
    pub local_roots: Option<Vec<LocalRoot>>,
}

/// Builds the analyzer, collector and site list from the flags.
pub fn setup(args: &WatchArgs) -> Result<Setup> {
    let (when, _) = validation_time(&args.analysis, LIVE)?;
    if matches!(when, ValidationTime::Observed) {
        bail!("--at observed: a watch judges each run as of when it is made (leave --at out)");
    }
    let (analyzer, _) = analyzer_and_data(&args.analysis, when)?;
    let store = super::flags_setup::trust_store(&args.analysis.trust)?;
    let collector = super::flags_setup::collector(&args.collect, &store)?;
    let stores = match args.no_store {
        true => None,
        false => Some(super::store::options(&args.stores, Vec::new(), Vec::new())?),
    };
    Ok(Setup {
        analyzer,
        collector,
        targets: targets(args)?,
        options: super::flags_setup::scan_options(&args.collect),
        fail_on: args.analysis.fail_on,
        stores,
        baseline: args.analysis.baseline.is_some(),
    })
}

/// The sites: given on the command line or in `--input`, else check's list.
fn targets(args: &WatchArgs) -> Result<Vec<Target>> {
    let port = args.collect.port;
    let mut out = Vec::new();
    for spec in &args.targets {
        out.push(parse_target(spec, port).with_context(|| format!("target {spec:?}"))?);
    }
    if let Some(path) = &args.input {
        let file =
            std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        for target in DomainListReader::new(std::io::BufReader::new(file), name, port) {
            out.push(target?);
        }
    }
    if out.is_empty() {
        out = mitmwatch_sim::domains::popular()
            .into_iter()
            .map(|d| Target::new(d, port))
            .collect();
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    Ok(out
        .into_iter()
        .map(|t| super::flags_setup::apply_sni(t, &args.collect))
        .collect())
}

/// Measures every site once, judges the run as `check` does, and audits
/// the trust stores for roots added on this machine.
pub async fn measure(setup: &Setup) -> Result<Measurement> {
    let started_at = OffsetDateTime::now_utc();
    let observations = super::output_files::collect_all(
        setup.collector.clone(),
        setup.targets.clone(),
        &setup.options,
    )
    .await;
    let when = ValidationTime::At(OffsetDateTime::now_utc());
    let input = Input::in_memory("the watch's run", observations.clone(), true);
    let mut judged = Judge::new(&setup.analyzer, when).judge(input, &mut print_notice)?;
    let assessments = judged.assessments()?;
    let summary = judged.summary;
    // As `check`: too little reached to say "clean" below half the sites.
    let code = exit_code(&summary, assessments.len().div_ceil(2), setup.fail_on);
    let count = |v: Verdict| summary.verdicts.get(&v).copied().unwrap_or(0);
    let outcome = match code {
        super::exit::INCONCLUSIVE => Outcome::Inconclusive,
        _ if count(Verdict::Intercepted) > 0 => Outcome::Intercepted,
        _ if count(Verdict::Suspicious) > 0 => Outcome::Suspicious,
        _ => Outcome::Clean,
    };
    let local_roots = setup
        .stores
        .as_ref()
        .map(|options| local_roots(options, &setup.analyzer));
    Ok(Measurement {
        started_at,
        finished_at: OffsetDateTime::now_utc(),
        observations,
        assessments,
        outcome,
        local_roots,
    })
}

/// Roots that a store here trusts, that are not public and that were
/// added on this machine (anchor directories, browser databases).
fn local_roots(options: &StoreOptions, analyzer: &Analyzer) -> Vec<LocalRoot> {
    let audit = super::store::audit(options, analyzer.catalog());
    let report = audit.report(
        mitmwatch_core::model::tool_name(),
        OffsetDateTime::now_utc(),
        None,
    );
    let mut roots: Vec<LocalRoot> = audit
        .roots
        .iter()
        .zip(&report.roots)
        .filter(|(r, _)| r.class == RootClass::Local && r.trusted() && r.added_locally())
        .map(|(_, m)| LocalRoot {
            sha256: m.certificate.sha256.clone(),
            label: m
                .certificate
                .subject
                .clone()
                .unwrap_or_else(|| format!("root {}", m.certificate.sha256)),
        })
        .collect();
    roots.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    roots.dedup();
    roots
}
