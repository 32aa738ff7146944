//! Certificate Transparency on the generated fixtures (fixtures/gen_ct.rs),
//! with the fixtures' log list: ECDSA and RSA logs' SCTs verify, the
//! Chrome/Apple counts decide `ct-noncompliant`, copied SCTs and look-alike
//! CAs without SCTs are interception, and nothing about CT ever makes a
//! publicly trusted chain more than `clean`.

mod common;

use common::fixtures::{assess_ct, codes, fixture_ct_logs, observation};
use mitmwatch_core::ct::{embedded, SctStatus};
use mitmwatch_core::encoding::{base64_decode, sha256};
use mitmwatch_core::model::{Assessment, FindingCode as C, Severity, Verdict};
use x509_parser::prelude::{FromDer, X509Certificate};

fn severity(a: &Assessment, code: C) -> Option<Severity> {
    a.findings
        .iter()
        .find(|f| f.code == code)
        .map(|f| f.severity)
}

fn ct_codes(a: &Assessment) -> Vec<C> {
    codes(a)
        .into_iter()
        .filter(|c| {
            matches!(
                c,
                C::SctMissing | C::SctInvalid | C::SctUnknownLog | C::CtNoncompliant
            )
        })
        .collect()
}

#[test]
fn ecdsa_and_rsa_scts_verify() {
    let obs = observation("ct-compliant", "ct-ok.example");
    let leaf = base64_decode(&obs.chain[0].der).unwrap();
    let issuer = base64_decode(&obs.chain[1].der).unwrap();
    let hash = sha256(
        X509Certificate::from_der(&issuer)
            .unwrap()
            .1
            .public_key()
            .raw,
    );
    let logs = fixture_ct_logs();
    let checked = embedded::check(&leaf, Some(&hash), &logs).unwrap().unwrap();
    let got: Vec<(&str, &SctStatus)> = checked
        .scts
        .iter()
        .map(|c| (c.log.unwrap().description.as_str(), &c.status))
        .collect();
    assert_eq!(
        got,
        [
            ("Fixture Log A1", &SctStatus::Valid),
            ("Fixture Log B1 (RSA)", &SctStatus::Valid)
        ]
    );
    assert_eq!(checked.scts[1].sct.signature_algorithm, 1, "RSA");
    let a = assess_ct("ct-compliant", "ct-ok.example");
    assert_eq!(a.verdict, Verdict::Clean);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn policy_counts_by_lifetime_and_operator() {
    // Two SCTs of one operator: not enough for Chrome or Apple.
    let a = assess_ct("ct-one-operator", "ct-oneop.example");
    assert_eq!(ct_codes(&a), [C::CtNoncompliant]);
    assert_eq!(severity(&a, C::CtNoncompliant), Some(Severity::Low));
    let f = a
        .findings
        .iter()
        .find(|f| f.code == C::CtNoncompliant)
        .unwrap();
    assert!(
        f.explanation.contains("2 log operators"),
        "{}",
        f.explanation
    );
    assert_eq!(a.verdict, Verdict::Clean);
    // A year-long certificate needs three logs.
    let a = assess_ct("ct-long-lived", "ct-long.example");
    assert_eq!(ct_codes(&a), [C::CtNoncompliant]);
    assert!(a.findings[0].explanation.contains("3 distinct logs"));
    assert_eq!(a.verdict, Verdict::Clean);
    let a = assess_ct("ct-long-lived-three", "ct-long3.example");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn an_unknown_log_only_informs() {
    let a = assess_ct("ct-unknown-log", "ct-unknown.example");
    assert_eq!(a.verdict, Verdict::Clean);
    assert_eq!(severity(&a, C::SctUnknownLog), Some(Severity::Info));
    // One verified SCT plus an unknown one: compliance is not settled.
    assert_eq!(severity(&a, C::CtNoncompliant), Some(Severity::Info));
    assert!(!a.has(C::SctInvalid));
}

#[test]
fn a_bad_signature_on_a_trusted_chain_is_low() {
    let a = assess_ct("ct-bad-signature", "ct-badsig.example");
    assert_eq!(a.verdict, Verdict::Clean, "{:#?}", a.findings);
    assert_eq!(severity(&a, C::SctInvalid), Some(Severity::Low));
    let f = a.findings.iter().find(|f| f.code == C::SctInvalid).unwrap();
    let detail = f.evidence.detail.as_ref().unwrap();
    assert!(
        detail.contains("Fixture Log B1") && !detail.contains("A1"),
        "{detail}"
    );
    assert!(a.has(C::CtNoncompliant));
}

#[test]
fn without_the_issuer_the_scts_are_not_judged() {
    // The server forgot its intermediate: the SCTs cannot be checked, so
    // nothing is said about them (and the chain is a misconfiguration).
    let mut obs = observation("ct-forged-copy", "ct-ok.example");
    obs.chain.truncate(1);
    let a = common::fixtures::ct_analyzer().assess(
        &obs,
        mitmwatch_core::analyze::ValidationTime::At(common::fixtures::FIXTURE_TIME),
    );
    assert!(
        !a.has(C::SctInvalid) && !a.has(C::CtNoncompliant),
        "{:#?}",
        a.findings
    );
    let mut obs = observation("ct-compliant", "ct-ok.example");
    obs.chain.truncate(1);
    let a = common::fixtures::ct_analyzer().assess(
        &obs,
        mitmwatch_core::analyze::ValidationTime::At(common::fixtures::FIXTURE_TIME),
    );
    assert_eq!(a.verdict, Verdict::Suspicious);
    assert!(a.has(C::IncompleteChain));
    assert!(ct_codes(&a).is_empty(), "{:#?}", a.findings);
}

#[test]
fn a_wrong_intermediate_does_not_make_genuine_scts_invalid() {
    // The genuine leaf, sent with another CA of the same name (the
    // look-alike "Fixture Public CA 1"): a misconfiguration or a forgery,
    // but the SCTs cannot be judged with a key that did not sign the leaf.
    let mut obs = observation("ct-compliant", "ct-ok.example");
    obs.chain[1] = observation("ct-impostor-no-sct", "ct-ok.example").chain[1].clone();
    let a = common::fixtures::ct_analyzer().assess(
        &obs,
        mitmwatch_core::analyze::ValidationTime::At(common::fixtures::FIXTURE_TIME),
    );
    assert!(a.has(C::IssuerMismatch), "{:#?}", a.findings);
    assert!(!a.has(C::SctInvalid), "{:#?}", a.findings);
    assert_eq!(a.verdict, Verdict::Suspicious);
}

#[test]
fn a_garbled_sct_list_is_reported_not_fatal() {
    let a = assess_ct("ct-malformed-list", "ct-garbled.example");
    assert_eq!(a.verdict, Verdict::Clean);
    assert_eq!(severity(&a, C::SctInvalid), Some(Severity::Low));
}

#[test]
fn copied_scts_under_another_ca_are_interception() {
    let a = assess_ct("ct-forged-copy", "ct-ok.example");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:#?}", a.findings);
    assert_eq!(severity(&a, C::SctInvalid), Some(Severity::High));
    assert!(a.has(C::UntrustedRoot));
    assert!(
        !a.has(C::StrippedExtensions),
        "the copy keeps the extensions"
    );
    let who = a.interceptor.unwrap();
    assert!(who.label.contains("Acme Inspection"), "{who:?}");
}

#[test]
fn look_alike_public_cas_without_scts_are_interception() {
    let a = assess_ct("ct-impostor-no-sct", "ct-ok.example");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:#?}", a.findings);
    assert!(a.has(C::UntrustedRoot) && a.has(C::SctMissing));
    let f = a.findings.iter().find(|f| f.code == C::SctMissing).unwrap();
    assert!(
        f.explanation.contains("name of a public"),
        "{}",
        f.explanation
    );
}

#[test]
fn public_chains_without_scts_stay_clean() {
    for (name, host) in [
        ("public-ok", "example.com"),
        ("public-out-of-order", "example.com"),
        ("public-cross-signed", "cross.example"),
    ] {
        let a = assess_ct(name, host);
        assert_eq!(a.verdict, Verdict::Clean, "{name}");
        assert_eq!(ct_codes(&a), [C::SctMissing], "{name}");
        assert_eq!(severity(&a, C::SctMissing), Some(Severity::Low));
    }
    // A server sending the wrong intermediate is not taken for a look-alike CA.
    let a = assess_ct("broken-linkage", "example.net");
    assert_eq!(a.verdict, Verdict::Suspicious);
    assert!(!a.has(C::SctMissing));
    // The catalogued and unknown interceptors are unchanged.
    for (name, host) in [
        ("kz-2019-forged-facebook", "facebook.com"),
        ("unknown-ca-forged", "example.org"),
    ] {
        let a = assess_ct(name, host);
        assert_eq!(a.verdict, Verdict::Intercepted, "{name}");
        assert!(ct_codes(&a).is_empty(), "{name}: {:?}", codes(&a));
    }
}

#[test]
fn inspect_takes_a_log_list() {
    use common::fixtures::fixture;
    let run = |chain: &str, with_list: bool| {
        let mut cmd = std::process::Command::new(common::binary());
        cmd.arg("inspect")
            .arg(fixture(&format!("chains/{chain}.pem")))
            .arg("--roots")
            .arg(fixture("roots/public-root-r1.pem"))
            .args(["--at", "2026-06-01T00:00:00Z", "--format", "json"]);
        if with_list {
            cmd.arg("--ct-log-list").arg(fixture("ct/log_list.json"));
        }
        let out = cmd.output().unwrap();
        let first = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .unwrap();
        (out.status.code(), first)
    };
    let (code, a) = run("ct-forged-copy", true);
    assert_eq!(code, Some(2));
    assert!(a["findings"].to_string().contains("sct-invalid"), "{a}");
    // With the built-in list the fixture logs are unknown: no verdict from CT.
    let (code, a) = run("ct-forged-copy", false);
    assert_eq!(code, Some(0), "{a}");
    assert_eq!(a["verdict"], "suspicious");
    assert!(a["findings"].to_string().contains("sct-unknown-log"));
}
