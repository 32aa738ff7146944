//! The analyzer's caches (issue 22) change no output: an analyzer that
//! remembers work across observations (signatures, SCTs, certificate
//! facts, what each distinct chain gives whatever the time) and one that
//! remembers nothing (`Analyzer::remember(false)`, what
//! `MITMWATCH_NO_CACHES=1` gives the CLI) write byte for byte the same
//! assessments and summary, with one job and with two.
//!
//! The corpora make a cache that keyed too little fail: every chain comes
//! back at other times (inside its validity, after it expired, before it
//! began), for another name (a hostname mismatch), and in another order;
//! the fixture chains add forged, broken, pinned, CT-copying and
//! self-signed chains judged at three times; and a chain whose
//! intermediate expired before its leaf began, whose verifier error names
//! the validation time, must not be answered from a remembered outcome.

mod common;

use common::fixtures::{chain_corpus, ct_analyzer, FIXTURE_TIME};
use common::limbo::read_gz;
use common::limbo_judge::{cli_analyzer, shared};
use common::pki::{analyzer_with, intermediate, intermediate_valid, leaf, observe, root, store_of};
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::judge::{Input, Judge};
use mitmwatch_core::model::Observation;
use time::Duration;

/// Every assessment (as JSON lines) and the summary (JSON) of `observations`
/// judged by `analyzer` on `jobs` threads, at each observation's time.
fn judged(analyzer: &Analyzer, observations: &[Observation], jobs: usize) -> Vec<String> {
    let mut scan = Judge::new(analyzer, ValidationTime::Observed)
        .jobs(jobs)
        .judge(
            Input::in_memory("corpus", observations.to_vec(), true),
            &mut |_| {},
        )
        .unwrap();
    let mut lines: Vec<String> = scan
        .assessments()
        .unwrap()
        .iter()
        .map(|a| serde_json::to_string(a).unwrap())
        .collect();
    lines.push(serde_json::to_string(&scan.summary).unwrap());
    lines
}

/// Judges `observations` with caches and without, on one and two threads,
/// and fails at the first line that differs.
fn same_with_and_without_caches(make: impl Fn() -> Analyzer, observations: &[Observation]) {
    let without = judged(&make().remember(false), observations, 1);
    assert_eq!(without.len(), observations.len() + 1);
    for jobs in [1, 2] {
        // A fresh analyzer each time: its caches fill during the run.
        let with = judged(&make(), observations, jobs);
        for (i, (a, b)) in with.iter().zip(&without).enumerate() {
            assert_eq!(
                a,
                b,
                "--jobs {jobs}: line {} differs with caches (left) and without (right)",
                i + 1
            );
        }
        assert_eq!(with.len(), without.len());
    }
}

/// x509-limbo's 279 real chains, each met seven times: at limbo's time,
/// 20 days later, 400 days later (expired), a day earlier (not yet valid
/// for most), 20 days later again for the next chain's name, and 60 and
/// 150 days later (after Mozilla removed the roots some of them build to:
/// the outcome changes inside the chain's validity).
fn limbo_corpus() -> Vec<Observation> {
    let text = String::from_utf8(read_gz("online-observations.jsonl.gz")).unwrap();
    let chains: Vec<Observation> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(chains.len(), 279);
    let mut out = Vec::new();
    for (days, other_name) in [
        (0, false),
        (20, false),
        (400, false),
        (-1, false),
        (20, true),
        (60, false),
        (150, false),
    ] {
        for (i, obs) in chains.iter().enumerate() {
            let mut o = obs.clone();
            o.started_at += Duration::days(days);
            if other_name {
                o.target = chains[(i + 1) % chains.len()].target.clone();
            }
            out.push(o);
        }
    }
    out
}

#[test]
fn real_chains_judge_the_same_with_and_without_caches() {
    let corpus = limbo_corpus();
    same_with_and_without_caches(|| cli_analyzer(shared().trust.clone()), &corpus);
}

#[test]
fn fixture_chains_judge_the_same_with_and_without_caches() {
    let mut corpus = Vec::new();
    for days in [0, 365, -400, 0] {
        for mut obs in chain_corpus() {
            obs.started_at = FIXTURE_TIME + Duration::days(days);
            corpus.push(obs);
        }
    }
    same_with_and_without_caches(ct_analyzer, &corpus);
}

#[test]
fn a_chain_never_valid_as_a_whole_is_judged_at_each_time() {
    let root = root("Cache Test Root");
    // Under a root the store lacks, expired 100 days before the fixture
    // time; the leaf begins 50 days before it: no time is inside both
    // validities, and the verifier's error (which names the validation
    // time) is reported.
    let unknown = common::pki::root("Cache Test Unknown Root");
    let gone = intermediate_valid(
        "Cache Test Expired CA",
        &unknown,
        FIXTURE_TIME - Duration::days(700),
        FIXTURE_TIME - Duration::days(100),
    );
    let live = intermediate("Cache Test CA", &root);
    let orphan = leaf(
        "orphan.example",
        FIXTURE_TIME - Duration::days(50),
        false,
        &gone,
    );
    let fine = leaf(
        "fine.example",
        FIXTURE_TIME - Duration::days(10),
        false,
        &live,
    );
    let mut corpus = Vec::new();
    for days in [0, 1, 10, 0, 60, 200, -20, 30] {
        let at = FIXTURE_TIME + Duration::days(days);
        corpus.push(observe(&[&orphan, &gone.der], "orphan.example", at));
        corpus.push(observe(&[&fine, &live.der], "fine.example", at));
        corpus.push(observe(&[&fine, &live.der], "other.example", at));
    }
    let store = store_of(&[&root]);
    same_with_and_without_caches(|| analyzer_with(store.clone()), &corpus);
}
