//! The measurement behind `mitmwatch check`: handshake with the popular
//! sites (`mitmwatch_core::analysis_data::domains::popular`), through the
//! configured proxy and, when there is one, directly too; judge each path
//! with the judge every subcommand uses; and return a typed
//! [`CheckReport`]. The one entry point is [`run_check`]; the binary adds
//! what this machine's trust stores say (`mitmwatch_store::check_store`)
//! and renders the report (`mitmwatch_report::check_text`).
//!
//! ```no_run
//! # async fn example() -> Result<(), mitmwatch_core::judge::JudgeError> {
//! use mitmwatch_collect::check::{run_check, CheckRequest};
//! use mitmwatch_collect::{Collector, ProbeTls, Router, Timeouts};
//! use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
//! use mitmwatch_core::model::DataUsed;
//!
//! let data = AnalysisData::builtin().expect("the built-in data loads");
//! let now = time::OffsetDateTime::now_utc();
//! let used = DataUsed::new(
//!     &data.ct_logs, &data.pins, "built-in certs/pins.json",
//!     &data.catalog, "built-in catalog", &data.trust, Some(now),
//! );
//! let collector = Collector::new(ProbeTls::new(&data.trust), Router::default(), Timeouts::default());
//! let analyzer = Analyzer::new(data);
//! let request = CheckRequest::new(collector, &analyzer, ValidationTime::At(now), used);
//! let measured = run_check(request, &mut |_notice| {}).await?;
//! println!("{}", measured.report.verdict);
//! # Ok(()) }
//! ```

use crate::probe::Collector;
use crate::proxy::ProxySettings;
use crate::scan::{collect_all, ScanOptions};
use mitmwatch_core::analysis_data::domains;
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::judge::{Input, Judge, JudgeError, Notice};
use mitmwatch_core::model::{CheckPath, CheckReport, DataUsed, Observation, Target};
use time::OffsetDateTime;

/// What a check measures, with what, and how it judges.
pub struct CheckRequest<'a> {
    /// The collector, with the proxy (if any) the sites are reached
    /// through; the direct path is measured with the same collector
    /// without it.
    pub collector: Collector,
    /// The sites ([`default_targets`] unless the caller has its own list).
    pub targets: Vec<Target>,
    /// Pacing: concurrency, rate, retries.
    pub options: ScanOptions,
    /// The analyzer built from the analysis data.
    pub analyzer: &'a Analyzer,
    /// The validation time.
    pub when: ValidationTime,
    /// Which data the analyzer holds, for the report.
    pub data_used: DataUsed,
}

impl<'a> CheckRequest<'a> {
    /// A check of the popular sites on port 443 with the default pacing.
    pub fn new(
        collector: Collector,
        analyzer: &'a Analyzer,
        when: ValidationTime,
        data_used: DataUsed,
    ) -> Self {
        CheckRequest {
            collector,
            targets: default_targets(443),
            options: ScanOptions::default(),
            analyzer,
            when,
            data_used,
        }
    }
}

/// The popular sites `check` measures, on `port`.
pub fn default_targets(port: u16) -> Vec<Target> {
    domains::popular()
        .into_iter()
        .map(|d| Target::new(d, port))
        .collect()
}

/// A check's result: the report, and the observations it rests on (to save
/// them, or to tie them to the roots installed on this machine).
pub struct CheckMeasurement {
    /// The judged check, without the store part.
    pub report: CheckReport,
    /// The measured path's observations, in the list's order.
    pub observations: Vec<Observation>,
    /// With a proxy: the direct path's observations.
    pub direct_observations: Option<Vec<Observation>>,
}

impl CheckMeasurement {
    /// The observations of the path [`CheckReport::intercepted_path`] names.
    pub fn intercepted_observations(&self) -> &[Observation] {
        match &self.direct_observations {
            Some(direct) if self.report.only_direct_intercepted() => direct,
            _ => &self.observations,
        }
    }
}

/// Measures the request's sites (through its proxy, then directly when it
/// has one), judges each path with the judge every subcommand uses, and
/// says what the check concludes. Notices of the judge (none are expected
/// for observations made here) go to `notify`. Fails only if the judge's
/// temporary file cannot be written.
pub async fn run_check(
    request: CheckRequest<'_>,
    notify: &mut dyn FnMut(Notice<'_>),
) -> Result<CheckMeasurement, JudgeError> {
    let checked_at = OffsetDateTime::now_utc();
    let proxy = request.collector.proxy_settings().proxy().cloned();
    let direct_collector = proxy.as_ref().map(|_| {
        request
            .collector
            .clone()
            .with_proxy(ProxySettings::direct())
    });
    let observations =
        collect_all(request.collector, request.targets.clone(), &request.options).await;
    let direct_observations = match direct_collector {
        Some(c) => Some(collect_all(c, request.targets, &request.options).await),
        None => None,
    };
    let judge = Judge::new(request.analyzer, request.when);
    let mut judge_path = |name: &str, observations: &[Observation]| {
        let input = Input::in_memory(name, observations.to_vec(), true);
        let mut judged = judge.judge(input, notify)?;
        Ok::<_, JudgeError>(CheckPath::new(
            judged.summary.clone(),
            judged.assessments()?,
        ))
    };
    let measured = judge_path("the check", &observations)?;
    let direct = match &direct_observations {
        Some(obs) => Some(judge_path("the check's direct path", obs)?),
        None => None,
    };
    let validated_at = match request.when {
        ValidationTime::At(t) => Some(t),
        ValidationTime::Observed => None,
    };
    let report = CheckReport::new(
        checked_at,
        validated_at,
        (proxy.map(|p| p.to_string()), measured),
        direct,
        request.data_used,
    );
    Ok(CheckMeasurement {
        report,
        observations,
        direct_observations,
    })
}
