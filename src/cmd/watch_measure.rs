//! The adapter between `watch` and the `check` measurement: [`measure`]
//! is the one function through which `watch` measures. It calls check's
//! measurement, `mitmwatch_collect::check::run_check`, with the collector
//! and analyzer built from the same flags as `check` builds them, and
//! takes the run's outcome from the check's verdict. With a proxy
//! configured, both paths are measured, as `check` does, and both are
//! recorded (each observation says whether it went through the proxy).

use super::analysis::{analyzer_and_data, print_notice, validation_time, LIVE};
use crate::cli::WatchArgs;
use anyhow::{bail, Context, Result};
use mitmwatch_collect::check::{default_targets, run_check, CheckRequest};
use mitmwatch_collect::{Collector, ScanOptions};
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::model::{Assessment, CheckVerdict, DataUsed, Observation, RootClass, Target};
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
    /// The analysis data the verdicts rest on, with dates.
    pub data_used: DataUsed,
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
    /// One observation per site (and per path, with a proxy), in the
    /// order of the targets.
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
    let (analyzer, data_used) = analyzer_and_data(&args.analysis, when)?;
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
        data_used,
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
        out = default_targets(port);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    Ok(out
        .into_iter()
        .map(|t| super::flags_setup::apply_sni(t, &args.collect))
        .collect())
}

/// Measures every site once with check's measurement, and audits the
/// trust stores for roots added on this machine.
pub async fn measure(setup: &Setup) -> Result<Measurement> {
    let started_at = OffsetDateTime::now_utc();
    let request = CheckRequest {
        collector: setup.collector.clone(),
        targets: setup.targets.clone(),
        options: setup.options.clone(),
        analyzer: &setup.analyzer,
        when: ValidationTime::At(OffsetDateTime::now_utc()),
        data_used: setup.data_used.clone(),
    };
    let measured = run_check(request, &mut print_notice).await?;
    let report = measured.report;
    let outcome = match report.verdict {
        CheckVerdict::Intercepted => Outcome::Intercepted,
        CheckVerdict::Suspicious => Outcome::Suspicious,
        CheckVerdict::Inconclusive => Outcome::Inconclusive,
        CheckVerdict::Clean => Outcome::Clean,
    };
    let mut observations = measured.observations;
    let mut assessments = report.measured.assessments;
    if let (Some(obs), Some(path)) = (measured.direct_observations, report.direct) {
        observations.extend(obs);
        assessments.extend(path.assessments);
    }
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
            sha256: m.certificate.sha256,
            label: m
                .certificate
                .subject
                .clone()
                .unwrap_or_else(|| format!("root {}", m.certificate.sha256)),
        })
        .collect();
    roots.sort_by_key(|r| r.sha256);
    roots.dedup();
    roots
}
