//! Every finding on a generated fixture chain, and no false positives on
//! legitimate chains (out of order, cross-signed, missing intermediate).
//! Validation time is fixed (2026-06-01); the trust store is the fixtures'
//! stand-in public root.

mod common;

use common::fixtures::{analyzer, assess, codes, finding, observation, FIXTURE_TIME};
use mitmwatch_core::analyze::ValidationTime;
use mitmwatch_core::model::{ChainTrust, FindingCode as C, Severity, Verdict};

#[test]
fn legitimate_chains_are_clean() {
    for (name, host) in [
        ("public-ok", "example.com"),
        ("public-out-of-order", "example.com"),
        ("public-cross-signed", "cross.example"),
        ("public-with-sct", "ct.example"),
    ] {
        let a = assess(name, host);
        assert_eq!(a.verdict, Verdict::Clean, "{name}: {:?}", codes(&a));
        assert!(a.interceptor.is_none(), "{name}");
        assert!(
            a.findings.iter().all(|f| f.severity <= Severity::Low),
            "{name}: {:?}",
            codes(&a)
        );
        assert!(
            !a.has(C::UntrustedRoot) && !a.has(C::IssuerMismatch),
            "{name}"
        );
    }
    assert!(assess("public-ok", "example.com").has(C::SctMissing));
    assert!(!assess("public-with-sct", "ct.example").has(C::SctMissing));
}

#[test]
fn kazakhstan_2019_forgery_is_intercepted_and_named() {
    let a = assess("kz-2019-forged-facebook", "facebook.com");
    assert_eq!(a.verdict, Verdict::Intercepted);
    let who = a.interceptor.as_ref().unwrap();
    assert_eq!(who.id, "kz-qaznet-trust-network");
    assert!(who.label.contains("Qaznet Trust Network"));
    for code in [
        C::KnownInterceptionRoot,
        C::PinMismatch,
        C::UntrustedRoot,
        C::WeakLeafKey,
        C::StrippedExtensions,
    ] {
        assert!(a.has(code), "missing {code:?}: {:?}", codes(&a));
    }
    let weak = finding(&a, C::WeakLeafKey);
    assert!(weak.title.contains("exponent 3"));
    let kz = assess("kz-2019-forged-vk-1024", "vk.com");
    assert!(kz
        .findings
        .iter()
        .any(|f| f.code == C::WeakLeafKey && f.title.contains("1024 bits")));
    assert_eq!(kz.verdict, Verdict::Intercepted);
}

#[test]
fn a_root_that_is_not_sent_is_found_by_key_identifier() {
    let a = assess("kz-keyid-only", "mail.ru");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", codes(&a));
    assert_eq!(
        a.interceptor.as_ref().unwrap().id,
        "kz-qaznet-trust-network"
    );
    let f = finding(&a, C::KnownInterceptionRoot);
    assert!(
        f.explanation.contains("key identifier"),
        "{}",
        f.explanation
    );
    // The evidence is the catalogued root's (the CA matched by its key
    // identifier), not certificate #1's, which only names it.
    let entry = mitmwatch_core::analysis_data::catalog::Catalog::builtin()
        .unwrap()
        .get("kz-qaznet-trust-network")
        .unwrap()
        .clone();
    assert_eq!(f.evidence.cert_index, None, "{f:?}");
    assert_eq!(f.evidence.spki_sha256, Some(entry.spki_sha256[0]));
    assert!(
        f.evidence
            .detail
            .as_deref()
            .unwrap()
            .contains("issuer of certificate #1"),
        "{f:?}"
    );
}

#[test]
fn user_catalog_entries_name_new_interceptors() {
    use mitmwatch_core::analysis_data::catalog::Catalog;
    let text = r#"{"schema": 1, "description": "local additions", "entries": [{
        "id": "acme-inspection", "label": "Acme Inspection Root", "operator": "Acme Corp's TLS inspection",
        "category": "corporate-proxy", "kind": "root", "years": "", "pem": null,
        "cert_sha256": [], "spki_sha256": [], "names": [{"o": "^Acme Corp$", "cn": "^Acme Inspection Root$"}],
        "sources": ["our own proxy"], "notes": ""}]}"#;
    let mut catalog = Catalog::builtin().unwrap();
    catalog
        .extend(Catalog::from_json(text, "local.json", &|_| None).unwrap())
        .unwrap();
    let analyzer = mitmwatch_core::analyze::Analyzer::new(mitmwatch_core::analyze::AnalysisData {
        catalog,
        ..common::fixtures::fixture_data(None)
    });
    let a = analyzer.assess(
        &observation("unknown-ca-forged", "example.org"),
        ValidationTime::At(FIXTURE_TIME),
    );
    assert_eq!(a.interceptor.unwrap().id, "acme-inspection");
    // Duplicate ids and bad patterns are refused with the entry named.
    let dup = text.replace("acme-inspection", "kz-qaznet-trust-network");
    let mut catalog = Catalog::builtin().unwrap();
    let err = catalog
        .extend(Catalog::from_json(&dup, "local.json", &|_| None).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("kz-qaznet-trust-network"), "{err}");
    let bad = text.replace("^Acme Corp$", "(");
    let err = Catalog::from_json(&bad, "local.json", &|_| None).unwrap_err();
    assert!(
        err.to_string()
            .contains("local.json: entry acme-inspection"),
        "{err}"
    );
}

#[test]
fn a_missing_intermediate_is_unsettled_not_intercepted() {
    // A server that forgot its intermediate and a device sending a forged
    // leaf alone look the same until the intermediate is found.
    let a = assess("public-missing-intermediate", "example.com");
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", codes(&a));
    assert_eq!(a.chain_trust, Some(ChainTrust::UnknownIssuer));
    let incomplete = a
        .findings
        .iter()
        .find(|f| f.code == C::IncompleteChain)
        .expect("incomplete-chain");
    assert!(
        incomplete.explanation.contains("Fixture Public CA 1"),
        "{}",
        incomplete.explanation
    );
    assert!(
        incomplete.explanation.contains("forget their intermediate"),
        "{}",
        incomplete.explanation
    );
    assert!(!a.has(C::UntrustedRoot), "{:?}", codes(&a));
}

#[test]
fn unknown_interceptors_are_caught_by_their_traits() {
    let a = assess("unknown-ca-forged", "example.org");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", codes(&a));
    assert!(a.has(C::UntrustedRoot) && a.has(C::StrippedExtensions));
    // Identified by the key of the CA the server sent.
    let who = a.interceptor.unwrap();
    assert!(who.label.contains("Acme Inspection CA"), "{who:?}");
    assert_eq!(who.matched_by, mitmwatch_core::model::Attribution::Key);
    assert_eq!(a.chain_trust, Some(ChainTrust::ServedUntrustedCa));
    // Freshness alone is what a private CA's short-lived leaves, or a
    // renewal minutes ago, look like: not proof.
    let fresh = assess("unknown-ca-fresh", "fresh.example");
    assert!(fresh.has(C::FreshlyMinted), "{:?}", codes(&fresh));
    assert_eq!(fresh.verdict, Verdict::Suspicious);
}

#[test]
fn server_problems_are_reported_but_are_not_interception() {
    let expired = assess("public-expired", "expired.example");
    assert!(expired.has(C::Expired));
    assert_eq!(expired.verdict, Verdict::Clean);
    let future = assess("public-not-yet-valid", "future.example");
    assert!(future.has(C::NotYetValid));
    let wrong = assess("public-wrong-name", "example.com");
    assert!(wrong.has(C::HostnameMismatch));
    assert_eq!(wrong.verdict, Verdict::Suspicious);
    let right = assess("public-wrong-name", "other.example");
    assert!(!right.has(C::HostnameMismatch));
    let self_signed = assess("self-signed", "selfsigned.example");
    assert!(self_signed.has(C::UntrustedRoot));
    // A self-signed server is not promoted to "intercepted" by its traits.
    assert_eq!(self_signed.verdict, Verdict::Suspicious);
}

#[test]
fn broken_linkage_and_malformed_certificates() {
    let a = assess("broken-linkage", "example.net");
    assert!(a.has(C::IssuerMismatch), "{:?}", codes(&a));
    assert!(
        !a.has(C::IncompleteChain),
        "the issuer was sent: not a missing intermediate"
    );
    assert_eq!(a.verdict, Verdict::Suspicious);
    let m = assess("malformed-second-cert", "example.com");
    assert!(m.has(C::MalformedCertificate));
    assert_eq!(m.verdict, Verdict::Suspicious);
}

#[test]
fn pins_flag_a_public_ca_that_is_not_in_the_pinset() {
    // Judged with pins that are current at the validation time: a public CA
    // outside the pinset is proof.
    let builtin = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/pins.json"),
    )
    .unwrap();
    let current = builtin.replacen("\"as_of\": \"2024-10-09\"", "\"as_of\": \"2026-05-01\"", 1);
    assert_ne!(current, builtin);
    let analyzer = mitmwatch_core::analyze::Analyzer::new(mitmwatch_core::analyze::AnalysisData {
        pins: mitmwatch_core::analysis_data::static_pins::PinStore::from_json(&current).unwrap(),
        ..common::fixtures::fixture_data(None)
    });
    let a = analyzer.assess(
        &observation("pinned-google-public-ca", "www.google.com"),
        ValidationTime::At(FIXTURE_TIME),
    );
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", codes(&a));
    let pin = finding(&a, C::PinMismatch);
    assert_eq!(pin.severity, Severity::High);
    assert!(pin
        .evidence
        .detail
        .as_ref()
        .unwrap()
        .contains("chromium-google"));
    // With the built-in pins, 600 days old at the fixture time, Chrome would
    // no longer enforce them: the site may have changed CAs. A note only.
    let a = assess("pinned-google-public-ca", "www.google.com");
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", codes(&a));
    let pin = finding(&a, C::PinMismatch);
    assert_eq!(pin.severity, Severity::Low);
    assert!(pin.explanation.contains("--pins"), "{}", pin.explanation);
}

#[test]
fn baseline_catches_a_different_issuing_ca() {
    let text = std::fs::read_to_string(common::fixtures::fixture("baseline-vk.json")).unwrap();
    let baseline = serde_json::from_str(&text).unwrap();
    let analyzer = analyzer(Some(baseline));
    let when = ValidationTime::At(FIXTURE_TIME);
    // The baseline names CA 1 without its root or operator: another public
    // CA can be neither confirmed as a rotation nor called a forgery.
    let other = analyzer.assess(&observation("baseline-vk-other-ca", "vk.com"), when);
    let mismatch = other
        .findings
        .iter()
        .find(|f| f.code == C::IssuerMismatch)
        .expect("issuer-mismatch");
    assert_eq!(mismatch.severity, Severity::Medium, "{mismatch:?}");
    assert_eq!(other.verdict, Verdict::Suspicious);
    let usual = analyzer.assess(&observation("baseline-vk-usual-ca", "vk.com"), when);
    assert!(!usual.has(C::IssuerMismatch), "{:?}", codes(&usual));
    assert_eq!(usual.verdict, Verdict::Clean);
}

#[test]
fn one_key_for_unrelated_hosts_is_leaf_key_reuse() {
    let observations = [
        observation("mitmproxy-a", "a.example"),
        observation("mitmproxy-b", "b.example"),
    ];
    let (assessments, summary) =
        analyzer(None).assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    for a in &assessments {
        assert!(a.has(C::LeafKeyReuse), "{:?}", codes(a));
        assert_eq!(a.interceptor.as_ref().unwrap().id, "mitmproxy");
    }
    assert_eq!(summary.interceptors.len(), 1);
    assert_eq!(summary.interceptors[0].domains, ["a.example", "b.example"]);
    // On its own, one leaf cannot show reuse.
    assert!(!common::fixtures::assess("mitmproxy-a", "a.example").has(C::LeafKeyReuse));
}

#[test]
fn validation_time_is_an_input() {
    let obs = observation("public-ok", "example.com");
    let late = time::macros::datetime!(2027-06-01 0:00 UTC);
    let a = analyzer(None).assess(&obs, ValidationTime::At(late));
    assert!(a.has(C::Expired));
    let b = analyzer(None).assess(&obs, ValidationTime::Observed);
    assert!(!b.has(C::Expired));
}
