//! Loading the generated fixture chains (see fixtures/gen_fixtures.rs).

use mitmwatch_core::analysis_data::baseline::Baseline;
use mitmwatch_core::analysis_data::trust_store::{parse_pem_certs, TrustStore};
use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::import::pem_dir::file_observation;
use mitmwatch_core::model::{Assessment, FindingCode, Observation};
use std::path::PathBuf;
use time::macros::datetime;
use time::OffsetDateTime;

/// The validation time the fixtures were made for.
pub(crate) const FIXTURE_TIME: OffsetDateTime = datetime!(2026-06-01 0:00 UTC);

/// Path of a file under fixtures/.
pub(crate) fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// The fixtures' stand-in public store (root R1).
pub(crate) fn fixture_store() -> TrustStore {
    let pem = std::fs::read(fixture("roots/public-root-r1.pem")).unwrap();
    TrustStore::from_pem(&pem, "fixture root R1").unwrap()
}

/// The built-in data with the fixture store and an optional baseline.
pub(crate) fn fixture_data(baseline: Option<Baseline>) -> AnalysisData {
    AnalysisData {
        baseline,
        ..AnalysisData::with_trust(fixture_store()).unwrap()
    }
}

/// An analyzer over the built-in data, the fixture store and an optional baseline.
pub(crate) fn analyzer(baseline: Option<Baseline>) -> Analyzer {
    Analyzer::new(fixture_data(baseline))
}

/// [`analyzer`] with the fixtures' CT log list.
pub(crate) fn ct_analyzer() -> Analyzer {
    Analyzer::new(AnalysisData {
        ct_logs: std::sync::Arc::new(fixture_ct_logs()),
        ..fixture_data(None)
    })
}

/// An observation holding the chain from `fixtures/chains/<name>.pem` for `host`.
pub(crate) fn observation(name: &str, host: &str) -> Observation {
    let pem = std::fs::read(fixture(&format!("chains/{name}.pem"))).unwrap();
    let certs = parse_pem_certs(&pem, name).unwrap();
    file_observation(&certs, host.to_string(), FIXTURE_TIME)
}

/// Every chain of `fixtures/chains/` that the verdict tests use, in a fixed
/// order.
pub(crate) const CHAIN_FIXTURES: [&str; 28] = [
    "baseline-vk-other-ca",
    "baseline-vk-usual-ca",
    "broken-linkage",
    "ct-bad-signature",
    "ct-compliant",
    "ct-forged-copy",
    "ct-impostor-no-sct",
    "ct-long-lived",
    "ct-malformed-list",
    "ct-unknown-log",
    "kz-2019-forged-facebook",
    "kz-2019-forged-vk-1024",
    "kz-keyid-only",
    "malformed-second-cert",
    "mitmproxy-a",
    "mitmproxy-b",
    "pinned-google-public-ca",
    "public-cross-signed",
    "public-expired",
    "public-missing-intermediate",
    "public-not-yet-valid",
    "public-ok",
    "public-out-of-order",
    "public-with-sct",
    "public-wrong-name",
    "self-signed",
    "unknown-ca-forged",
    "unknown-ca-fresh",
];

/// [`CHAIN_FIXTURES`] as observations, each for the name it was made for
/// (`site{i}.example` where any name will do), at [`FIXTURE_TIME`].
pub(crate) fn chain_corpus() -> Vec<Observation> {
    CHAIN_FIXTURES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let host = match *name {
                "mitmproxy-a" => "a.example".to_string(),
                "mitmproxy-b" => "b.example".to_string(),
                "pinned-google-public-ca" => "www.google.com".to_string(),
                "kz-2019-forged-facebook" => "facebook.com".to_string(),
                n if n.starts_with("ct-") => "ct-ok.example".to_string(),
                _ => format!("site{i}.example"),
            };
            observation(name, &host)
        })
        .collect()
}

/// A scan of `count` observations, `pick(i)` the i-th: the observations,
/// and each as a line of JSON (without newline).
pub(crate) fn scan(
    count: usize,
    pick: impl Fn(usize) -> Observation,
) -> (Vec<Observation>, Vec<String>) {
    let observations: Vec<Observation> = (0..count).map(pick).collect();
    let lines = observations
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect();
    (observations, lines)
}

/// Assesses one fixture chain at the fixture time.
pub(crate) fn assess(name: &str, host: &str) -> Assessment {
    analyzer(None).assess(&observation(name, host), ValidationTime::At(FIXTURE_TIME))
}

/// The finding of an assessment with this code (the test fails without one).
pub(crate) fn finding(a: &Assessment, code: FindingCode) -> &mitmwatch_core::model::Finding {
    a.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code:?} in {:?}", codes(a)))
}

/// The finding codes of an assessment.
pub(crate) fn codes(a: &Assessment) -> Vec<FindingCode> {
    a.findings.iter().map(|f| f.code).collect()
}

/// The fixtures' CT log list (fixture logs A1, A2 and B1).
pub(crate) fn fixture_ct_logs() -> mitmwatch_core::ct::LogList {
    let text = std::fs::read_to_string(fixture("ct/log_list.json")).unwrap();
    mitmwatch_core::ct::LogList::from_json(&text, "fixtures/ct/log_list.json").unwrap()
}

/// Assesses one fixture chain at the fixture time with the fixtures' CT log list.
pub(crate) fn assess_ct(name: &str, host: &str) -> Assessment {
    ct_analyzer().assess(&observation(name, host), ValidationTime::At(FIXTURE_TIME))
}
