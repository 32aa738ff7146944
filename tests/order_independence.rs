//! Verdicts do not depend on the order of the input or on the number of
//! threads: the same observations, shuffled with several seeds and judged
//! with `--jobs` 1, 2 and 8 by analyzers fresh and warm, give the same
//! assessment for every target. The corpus mixes every fixture chain with
//! chains under a name-constrained CA (the case a cache of verified
//! intermediates once got wrong) and a key shared by unrelated names (the
//! scan-level check).

mod common;

use common::fixtures::{chain_corpus, FIXTURE_TIME};
use common::pki::*;
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::judge::{Input, Judge};
use mitmwatch_core::model::{Assessment, Observation};
use rcgen::{GeneralSubtree, NameConstraints};
use std::collections::BTreeMap;
use time::Duration;

/// A deterministic shuffle (xorshift64*), so a failure can be replayed
/// from its seed.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed.max(1);
    for i in (1..items.len()).rev() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
        items.swap(i, (r % (i as u64 + 1)) as usize);
    }
}

/// The corpus, and the roots (PEM) that an analyzer of it trusts.
fn corpus() -> (Vec<Observation>, String) {
    let mut observations: Vec<Observation> = chain_corpus()
        .into_iter()
        .enumerate()
        .map(|(i, mut obs)| {
            // One target per observation, so results can be matched.
            obs.target.port = 1000 + i as u16;
            obs
        })
        .collect();
    // Leaves inside and outside a name-constrained CA's scope, under an
    // intermediate below it, several of each.
    let r = root("Order Root");
    let mut constrained_params = ca_params(
        "Order Gov CA",
        FIXTURE_TIME - Duration::days(700),
        FIXTURE_TIME + Duration::days(700),
    );
    constrained_params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName("gov.example".into())],
        excluded_subtrees: vec![],
    });
    let key = rcgen::KeyPair::generate().unwrap();
    let constrained_der = constrained_params
        .signed_by(&key, &r.issuer)
        .unwrap()
        .der()
        .to_vec();
    let constrained = Ca {
        pem: String::new(),
        der: constrained_der,
        issuer: rcgen::Issuer::new(constrained_params, key),
    };
    let below = intermediate("Order Issuing CA", &constrained);
    for (i, host) in [
        "a.gov.example",
        "www.google.com",
        "b.gov.example",
        "mail.example",
        "c.gov.example",
    ]
    .iter()
    .enumerate()
    {
        let l = leaf(host, FIXTURE_TIME - Duration::days(3), true, &below);
        let mut obs = observe(&[&l, &below.der, &constrained.der], host, FIXTURE_TIME);
        obs.target.port = 2000 + i as u16;
        observations.push(obs);
    }
    // The fixtures' root R1 and this test's root, both in the base store.
    let roots = format!(
        "{}{}",
        std::fs::read_to_string(common::fixtures::fixture("roots/public-root-r1.pem")).unwrap(),
        r.pem
    );
    (observations, roots)
}

/// A new analyzer that trusts `roots` as its base store.
fn analyzer_of(roots: &str) -> Analyzer {
    let store =
        mitmwatch_core::analysis_data::trust_store::TrustStore::from_pem(roots.as_bytes(), "roots")
            .unwrap();
    Analyzer::new(mitmwatch_core::analyze::AnalysisData {
        trust: store,
        ..common::fixtures::fixture_data(None)
    })
}

/// Every assessment by target, as JSON.
fn judged(
    analyzer: &Analyzer,
    observations: Vec<Observation>,
    jobs: usize,
) -> BTreeMap<String, String> {
    let mut scan = Judge::new(analyzer, ValidationTime::At(FIXTURE_TIME))
        .jobs(jobs)
        .judge(Input::in_memory("corpus", observations, true), &mut |_| {})
        .unwrap();
    scan.assessments()
        .unwrap()
        .into_iter()
        .map(|a: Assessment| (a.target.to_string(), serde_json::to_string(&a).unwrap()))
        .collect()
}

#[test]
fn shuffled_input_and_any_jobs_give_the_same_assessments() {
    let (observations, roots) = corpus();
    let warm = analyzer_of(&roots);
    let fresh = || analyzer_of(&roots);
    let expected = judged(&fresh(), observations.clone(), 1);
    assert_eq!(expected.len(), observations.len());
    // The constrained CA's leaves outside its scope are caught, whatever
    // came before them.
    for (target, json) in &expected {
        if target.starts_with("www.google.com:20") || target.starts_with("mail.example") {
            assert!(json.contains("\"chain-rejected\""), "{target}: {json}");
        }
    }
    for seed in 1..=4u64 {
        for jobs in [1, 2, 8] {
            let mut shuffled = observations.clone();
            shuffle(&mut shuffled, seed * 7919 + jobs as u64);
            for (label, analyzer) in [("warm", &warm), ("fresh", &fresh())] {
                let got = judged(analyzer, shuffled.clone(), jobs);
                for (target, json) in &expected {
                    assert_eq!(
                        got.get(target),
                        Some(json),
                        "seed {seed}, jobs {jobs}, {label} analyzer: {target}"
                    );
                }
            }
        }
    }
}
