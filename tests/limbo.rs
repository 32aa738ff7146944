//! Real data nobody on this project wrote (issues 20 and 22): x509-limbo
//! (C2SP/x509-limbo) and the BetterTLS cases it imports, vendored in
//! `fixtures/limbo/` (README.md there says how they were made).
//!
//! - limbo's online cases, every version in its history: genuine chains of
//!   popular sites served 2023–2026. Judged with the default Mozilla store
//!   as the CLI sets up its analyzer, at limbo's validation time (the leaf's
//!   notBefore + 1 s) they must all be `clean`; a day after issuance at
//!   least 95% must be CT compliant (no `ct-noncompliant`).
//! - limbo's synthetic SERVER cases (its own and BetterTLS's), each judged
//!   with its trusted roots as the store, at its validation time, for its
//!   peer name: none is an interception, so none may be `intercepted`; and
//!   a case a correct verifier accepts (SUCCESS) must be `clean`.
//!
//! A failure lists every offending case with its verdict and findings.
//! `cargo test --test limbo -- --nocapture` also prints the outcome tables.

mod common;

use common::limbo::{limbo_data, limbo_file, read_gz, Expected};
use common::limbo_judge::{
    describe, not_before, online_judged, online_observation, rfc3339, synthetic_judged,
};
use mitmwatch_core::model::{FindingCode, Observation, Verdict};
use std::collections::HashSet;
use time::Duration;

/// The online chains as mitmwatch observations (issue 22's benchmark input).
const OBSERVATIONS_FILE: &str = "online-observations.jsonl.gz";

/// Setting this to 1 makes `online_observations_file` write the file.
const WRITE_ENV: &str = "MITMWATCH_LIMBO_WRITE";

/// Panics with `what` and the list when `offending` is not empty.
fn assert_none(what: &str, offending: Vec<String>) {
    assert!(
        offending.is_empty(),
        "{what}: {} case(s)\n{}",
        offending.len(),
        offending.join("\n")
    );
}

#[test]
fn data_is_what_its_readme_says() {
    let data = limbo_data();
    let mut seen = HashSet::new();
    for (i, der) in data.certs.iter().enumerate() {
        assert!(
            seen.insert(mitmwatch_core::encoding::sha256(der)),
            "certificate #{i} is there twice"
        );
    }
    let mut used = vec![false; data.certs.len()];
    let mut mark = |indexes: &[usize], what: &str| {
        for &i in indexes {
            assert!(
                i < data.certs.len(),
                "{what}: certificate #{i} is not in the table"
            );
            used[i] = true;
        }
    };
    let online = &data.online;
    assert_eq!((online.schema, online.source.branch.as_str()), (1, "main"));
    assert_eq!(
        online.source.repository,
        "https://github.com/C2SP/x509-limbo"
    );
    assert_eq!(online.chains.len(), 279, "distinct online chains");
    let sites: HashSet<&str> = online.chains.iter().map(|c| c.site.as_str()).collect();
    assert_eq!(sites.len(), 14);
    for c in &online.chains {
        mark(&c.chain, &c.site);
        mark(&c.trusted_certs, &c.site);
        assert!(
            !c.commits.is_empty() && !c.limbo_ids.is_empty(),
            "{}",
            c.site
        );
        let nb = not_before(&data.certs[c.chain[0]]);
        assert_eq!(
            c.validation_time,
            nb + Duration::seconds(1),
            "{}: limbo's time",
            c.site
        );
    }
    let synthetic = &data.synthetic;
    assert_eq!(synthetic.schema, 1);
    assert_eq!(synthetic.source.limbo.license, "Apache-2.0");
    assert_eq!(synthetic.source.bettertls.license, "Apache-2.0");
    assert_eq!(
        (
            synthetic.source.left_out.online,
            synthetic.source.left_out.client
        ),
        (14, 10)
    );
    let cases = &synthetic.cases;
    assert_eq!(cases.len(), 9756);
    let bettertls = cases
        .iter()
        .filter(|c| c.id.starts_with("bettertls::"))
        .count();
    assert_eq!(bettertls, 9572);
    let success = cases
        .iter()
        .filter(|c| c.expected_result == Expected::Success)
        .count();
    assert_eq!(success, 909);
    let ids: HashSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), cases.len(), "case ids are unique");
    for c in cases {
        assert_eq!(c.validation_kind, "SERVER", "{}", c.id);
        mark(&c.chain(), &c.id);
        mark(&c.trusted_certs, &c.id);
    }
    assert!(
        used.iter().all(|u| *u),
        "every certificate in the table is used"
    );
}

#[test]
fn online_observations_file() {
    let data = limbo_data();
    let mut text = String::new();
    for (i, chain) in data.online.chains.iter().enumerate() {
        let obs = online_observation(data, i, chain.validation_time);
        text.push_str(&serde_json::to_string(&obs).unwrap());
        text.push('\n');
    }
    let path = limbo_file(OBSERVATIONS_FILE);
    if std::env::var(WRITE_ENV).as_deref() == Ok("1") {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
    }
    let stored = String::from_utf8(read_gz(OBSERVATIONS_FILE)).unwrap();
    assert!(
        stored == text,
        "{} differs from the observations made from online.json.gz: rerun with {WRITE_ENV}=1",
        path.display()
    );
    for (n, line) in stored.lines().enumerate() {
        let obs: Observation = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{OBSERVATIONS_FILE}:{}: {e}", n + 1));
        assert_eq!(obs.started_at, data.online.chains[n].validation_time);
    }
}

#[test]
fn online_chains_are_clean_at_limbo_time() {
    let data = limbo_data();
    let offending = online_judged()
        .at_limbo_time
        .iter()
        .zip(&data.online.chains)
        .filter(|(a, _)| a.verdict != Verdict::Clean)
        .map(|(a, c)| {
            describe(
                &format!(
                    "{} at {} ({})",
                    c.site,
                    rfc3339(c.validation_time),
                    c.limbo_ids.join(", ")
                ),
                a,
            )
        })
        .collect();
    assert_none("genuine chains not clean", offending);
}

#[test]
fn online_chains_are_ct_compliant_a_day_after_issuance() {
    let data = limbo_data();
    let judged = &online_judged().day_after;
    let offending: Vec<String> = judged
        .iter()
        .zip(&data.online.chains)
        .filter(|(a, _)| a.has(FindingCode::CtNoncompliant))
        .map(|(a, c)| {
            describe(
                &format!(
                    "{} at {} (leaf notBefore + 1 day; {})",
                    c.site,
                    rfc3339(not_before(&data.certs[c.chain[0]]) + Duration::days(1)),
                    c.limbo_ids.join(", ")
                ),
                a,
            )
        })
        .collect();
    let compliant = judged.len() - offending.len();
    assert!(
        compliant * 100 >= judged.len() * 95,
        "only {compliant} of {} genuine chains are CT compliant a day after issuance (95% needed); ct-noncompliant:\n{}",
        judged.len(),
        offending.join("\n")
    );
}

#[test]
fn synthetic_cases_are_never_intercepted() {
    let data = limbo_data();
    let offending = synthetic_judged()
        .iter()
        .zip(&data.synthetic.cases)
        .filter_map(|(r, c)| match r {
            Ok(a) if a.verdict == Verdict::Intercepted => {
                Some(describe(&format!("{} ({:?})", c.id, c.expected_result), a))
            }
            _ => None,
        })
        .collect();
    assert_none(
        "limbo cases judged intercepted (none is an interception)",
        offending,
    );
}

#[test]
fn synthetic_success_cases_are_clean() {
    let data = limbo_data();
    let offending = synthetic_judged()
        .iter()
        .zip(&data.synthetic.cases)
        .filter(|(_, c)| c.expected_result == Expected::Success)
        .filter_map(|(r, c)| match r {
            Ok(a) if a.verdict == Verdict::Clean => None,
            Ok(a) => Some(describe(&c.id, a)),
            Err(e) => Some(format!("- {}: not judged: {e}", c.id)),
        })
        .collect();
    assert_none(
        "limbo cases a correct verifier accepts, judged worse than clean",
        offending,
    );
}
