//! Judging the x509-limbo data (`common::limbo`) the way `tests/limbo.rs`
//! needs it: analyzers set up as the CLI sets them up, the online chains
//! and the synthetic cases judged once per test binary (on every core), and
//! the outcome tables and to-do lists the tests print.

use super::limbo::{limbo_data, LimboData, PeerKind};
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::import::pem_dir::{default_host, file_observation};
use mitmwatch_core::model::{Assessment, FindingCode, Observation};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::OnceLock;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// When limbo cases without a validation time (limbo's "now") are judged:
/// the date of the limbo commit whose generator made them. Their
/// certificates are valid from 1970 to 2969.
pub(crate) const UNDATED_CASE_TIME: OffsetDateTime = datetime!(2026-06-29 16:23:32 UTC);

/// The `tool` of the online chains' observations
/// (`fixtures/limbo/online-observations.jsonl.gz`).
pub(crate) const OBSERVATIONS_TOOL: &str = "x509-limbo online testcase (fixtures/limbo)";

/// The built-in data (what the CLI uses without flags), loaded once.
pub(crate) fn shared() -> &'static AnalysisData {
    static SHARED: OnceLock<AnalysisData> = OnceLock::new();
    SHARED.get_or_init(|| AnalysisData::builtin().unwrap())
}

/// The analyzer `mitmwatch analyze` builds with default flags, over `store`.
pub(crate) fn cli_analyzer(store: TrustStore) -> Analyzer {
    Analyzer::new(AnalysisData {
        trust: store,
        ..shared().clone()
    })
}

/// The kebab-case name of a verdict or code, as in the JSON output.
pub(crate) fn name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// One line per offending case: id, verdict, codes, then each finding's
/// severity, certificate, title and evidence detail (Debug-quoted: the
/// text comes from certificates).
pub(crate) fn describe(id: &str, a: &Assessment) -> String {
    let codes: Vec<&str> = a.findings.iter().map(|f| f.code.as_str()).collect();
    let mut s = format!("- {id}: {} [{}]", name(&a.verdict), codes.join(", "));
    for f in &a.findings {
        let cert = f
            .evidence
            .cert_index
            .map_or(String::new(), |i| format!(" cert #{i}"));
        let _ = write!(
            s,
            "\n    {} ({}){cert}: {:?}; detail: {:?}",
            f.code.as_str(),
            name(&f.severity),
            f.title,
            f.evidence.detail.as_deref().unwrap_or("")
        );
    }
    s
}

/// Verdict and finding-code counts of one family of cases.
#[derive(Default)]
pub(crate) struct Tally {
    verdicts: BTreeMap<String, usize>,
    codes: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn add(&mut self, a: &Assessment) {
        *self.verdicts.entry(name(&a.verdict)).or_default() += 1;
        let codes: HashSet<FindingCode> = a.findings.iter().map(|f| f.code).collect();
        for code in codes {
            *self.codes.entry(code.as_str()).or_default() += 1;
        }
    }

    fn show(&self, family: &str) -> String {
        let total: usize = self.verdicts.values().sum();
        let verdicts: Vec<String> = self
            .verdicts
            .iter()
            .map(|(v, n)| format!("{v} {n}"))
            .collect();
        let codes: Vec<String> = self.codes.iter().map(|(c, n)| format!("{c} {n}")).collect();
        format!(
            "{family} ({total}): {}\n  cases with each finding code: {}\n",
            verdicts.join(", "),
            codes.join(", ")
        )
    }
}

/// An online chain as an observation of its site, served at `at`.
pub(crate) fn online_observation(data: &LimboData, i: usize, at: OffsetDateTime) -> Observation {
    let chain = &data.online.chains[i];
    Observation {
        tool: OBSERVATIONS_TOOL.to_string(),
        ..file_observation(&data.ders(&chain.chain), chain.site.clone(), at)
    }
}

/// `t` in RFC 3339, for messages.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// The leaf's notBefore.
pub(crate) fn not_before(der: &[u8]) -> OffsetDateTime {
    use x509_parser::prelude::FromDer;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).unwrap();
    cert.validity().not_before.to_datetime()
}

/// Each online chain judged at limbo's time and a day after its leaf's
/// notBefore, in file order by one analyzer (as one scan would be).
pub(crate) struct OnlineJudged {
    pub(crate) at_limbo_time: Vec<Assessment>,
    pub(crate) day_after: Vec<Assessment>,
}

pub(crate) fn online_judged() -> &'static OnlineJudged {
    static JUDGED: OnceLock<OnlineJudged> = OnceLock::new();
    JUDGED.get_or_init(|| {
        let data = limbo_data();
        let analyzer = cli_analyzer(TrustStore::mozilla());
        let mut judged = OnlineJudged {
            at_limbo_time: Vec::new(),
            day_after: Vec::new(),
        };
        for (i, chain) in data.online.chains.iter().enumerate() {
            let at = chain.validation_time;
            let obs = online_observation(data, i, at);
            judged
                .at_limbo_time
                .push(analyzer.assess(&obs, ValidationTime::At(at)));
            let day_after = not_before(&data.certs[chain.chain[0]]) + Duration::days(1);
            judged
                .day_after
                .push(analyzer.assess(&obs, ValidationTime::At(day_after)));
        }
        let (mut now, mut later) = (Tally::default(), Tally::default());
        judged.at_limbo_time.iter().for_each(|a| now.add(a));
        judged.day_after.iter().for_each(|a| later.add(a));
        eprint!(
            "{}{}",
            now.show("online, at limbo's time"),
            later.show("online, notBefore + 1 day")
        );
        judged
    })
}

/// A synthetic case's trust store: its trusted roots. Roots that cannot be
/// anchors are left out (listed in the Err when none is left).
pub(crate) fn case_store(data: &LimboData, roots: &[usize]) -> Result<TrustStore, String> {
    let pem = |der: &[u8]| {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    };
    let mut usable = String::new();
    let mut errors = Vec::new();
    for &root in roots {
        let one = pem(&data.certs[root]);
        match TrustStore::from_pem(one.as_bytes(), &format!("limbo root {root}")) {
            Ok(_) => usable.push_str(&one),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if usable.is_empty() {
        return Err(errors.join("; "));
    }
    TrustStore::from_pem(usable.as_bytes(), "limbo trusted_certs").map_err(|e| e.to_string())
}

/// How many cases of one set of trusted roots share an analyzer (and its
/// caches). Fixed, so that the grouping, and any effect the caches have,
/// does not depend on the number of threads.
pub(crate) const CASES_PER_ANALYZER: usize = 256;

/// Every synthetic case judged: its assessment, or why it could not be
/// judged (no trusted root usable as an anchor). The cases of one set of
/// trusted roots are cut, in file order, into runs of
/// [`CASES_PER_ANALYZER`]; each run is judged in order by one analyzer,
/// and the runs are spread over the threads.
pub(crate) fn synthetic_judged() -> &'static Vec<Result<Assessment, String>> {
    static JUDGED: OnceLock<Vec<Result<Assessment, String>>> = OnceLock::new();
    JUDGED.get_or_init(|| {
        let data = limbo_data();
        let cases = &data.synthetic.cases;
        let mut by_roots: HashMap<&[usize], Vec<usize>> = HashMap::new();
        for (i, case) in cases.iter().enumerate() {
            by_roots.entry(&case.trusted_certs).or_default().push(i);
        }
        let mut runs: Vec<(&[usize], &[usize])> = by_roots
            .iter()
            .flat_map(|(roots, members)| {
                members
                    .chunks(CASES_PER_ANALYZER)
                    .map(move |run| (*roots, run))
            })
            .collect();
        runs.sort_by_key(|(_, run)| run[0]);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut results: Vec<Option<Result<Assessment, String>>> =
            (0..cases.len()).map(|_| None).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some((roots, run)) = runs.get(n) else {
                                return out;
                            };
                            let analyzer = case_store(data, roots).map(cli_analyzer);
                            for &i in *run {
                                out.push((i, judge_case(data, i, analyzer.as_ref())));
                            }
                        }
                    })
                })
                .collect();
            for handle in handles {
                for (i, result) in handle.join().unwrap() {
                    results[i] = Some(result);
                }
            }
        });
        let results: Vec<_> = results.into_iter().map(Option::unwrap).collect();
        let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
        let mut unjudged = 0;
        for (case, result) in cases.iter().zip(&results) {
            let source = if case.id.starts_with("bettertls::") {
                "BetterTLS"
            } else {
                "limbo"
            };
            match result {
                Ok(a) => {
                    for family in [
                        format!("synthetic {:?}", case.expected_result),
                        format!("synthetic {:?} ({source})", case.expected_result),
                    ] {
                        tallies.entry(family).or_default().add(a);
                    }
                }
                Err(_) => unjudged += 1,
            }
        }
        for (family, tally) in &tallies {
            eprint!("{}", tally.show(family));
        }
        eprintln!("synthetic cases without a usable trusted root: {unjudged}");
        results
    })
}

/// Judges synthetic case `i` with the analyzer of its roots.
pub(crate) fn judge_case(
    data: &LimboData,
    i: usize,
    analyzer: Result<&Analyzer, &String>,
) -> Result<Assessment, String> {
    let case = &data.synthetic.cases[i];
    let analyzer = analyzer.map_err(|e| format!("no trusted root usable as an anchor: {e}"))?;
    let chain = data.ders(&case.chain());
    let host = match &case.expected_peer_name {
        Some(peer) => {
            assert_ne!(peer.kind, PeerKind::Rfc822, "{}: a client case", case.id);
            peer.value.clone()
        }
        // One case names no peer: judge it for the leaf's own name, as a
        // PEM file without a name is imported.
        None => default_host(chain[0]),
    };
    let at = case.validation_time.unwrap_or(UNDATED_CASE_TIME);
    let obs = file_observation(&chain, host, at);
    Ok(analyzer.assess(&obs, ValidationTime::At(at)))
}
