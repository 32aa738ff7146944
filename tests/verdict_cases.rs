//! The cases where verdicts used to be wrong on real-world chains (issue
//! "Verdicts that hold on the real Internet"), each rebuilt with a PKI made
//! here with rcgen: a legitimate server that forgot its intermediate, a CA
//! missing from the trust store, an expired cross-sign, a forged leaf
//! served with the genuine intermediate (with and without copied SCTs), a
//! forged intermediate that copies the genuine name, a locally installed
//! root, and old observations judged with newer pins.

mod common;

use common::fixtures::{codes, finding, fixture, fixture_ct_logs, fixture_store, FIXTURE_TIME};
use common::pki::*;
use mitmwatch_core::analysis_data::baseline::Baseline;
use mitmwatch_core::analysis_data::static_pins::PinStore;
use mitmwatch_core::analysis_data::trust_store::parse_pem_certs;
use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::model::{Attribution, ChainTrust, FindingCode as C, Severity, Verdict};
use rcgen::{CertificateParams, CustomExtension, DistinguishedName, DnType, Issuer, KeyPair};
use time::Duration;

#[test]
fn a_renewed_leaf_sent_without_its_intermediate_is_not_intercepted() {
    // certbot's cert.pem instead of fullchain.pem, minutes after renewal,
    // from a CA whose leaves carry no AIA pointer.
    let r = root("Case Root");
    let i = intermediate("Case CA", &r);
    let fresh = leaf(
        "renewed.example",
        FIXTURE_TIME - Duration::minutes(10),
        false,
        &i,
    );
    let analyzer = analyzer_with(store_of(&[&r]));
    let a = judge(&analyzer, &[&fresh], "renewed.example");
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", codes(&a));
    assert_eq!(a.chain_trust, Some(ChainTrust::UnknownIssuer));
    assert!(
        a.has(C::FreshlyMinted) && a.has(C::UntrustedRoot),
        "{:?}",
        codes(&a)
    );
    let why = explanation(&a, C::UntrustedRoot);
    assert!(why.contains("forgot its intermediate"), "{why}");
    // Its issuer is known by name only: nothing identifies a key.
    assert_eq!(a.interceptor.unwrap().matched_by, Attribution::Name);
    // With an AIA pointer: `incomplete-chain`, also unsettled.
    let with_aia = leaf(
        "renewed.example",
        FIXTURE_TIME - Duration::minutes(10),
        true,
        &i,
    );
    let a = judge(&analyzer, &[&with_aia], "renewed.example");
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", codes(&a));
    assert!(
        a.has(C::IncompleteChain) && !a.has(C::UntrustedRoot),
        "{:?}",
        codes(&a)
    );
    // The full chain is clean.
    let a = judge(&analyzer, &[&with_aia, &i.der], "renewed.example");
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", codes(&a));
    assert_eq!(a.chain_trust, Some(ChainTrust::Public));
}

#[test]
fn a_fresh_leaf_from_a_ca_missing_from_the_store_is_not_intercepted() {
    let r = root("Case Root");
    let i = intermediate("Case CA", &r);
    let fresh = leaf("new.example", FIXTURE_TIME - Duration::minutes(5), true, &i);
    // The store lacks this CA's root (as with a too-narrow --roots).
    let other = root("Some Other Root");
    let a = judge(
        &analyzer_with(store_of(&[&other])),
        &[&fresh, &i.der],
        "new.example",
    );
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", codes(&a));
    assert_eq!(a.chain_trust, Some(ChainTrust::ServedUntrustedCa));
    let why = explanation(&a, C::UntrustedRoot);
    assert!(why.contains("check --roots"), "{why}");
    assert!(
        why.contains("no certificate of the chain is issued by a root"),
        "{why}"
    );
}

#[test]
fn a_genuine_chain_through_an_expired_cross_sign_is_not_intercepted() {
    // Old root O cross-signed new root N; the cross-sign expired before
    // the leaf was issued. A store holding only O still links the chain
    // to O by signatures.
    let old = root("Case Old Root");
    let new_key = KeyPair::generate().unwrap();
    let new_params = ca_params(
        "Case New Root",
        FIXTURE_TIME - Duration::days(2000),
        FIXTURE_TIME + Duration::days(3000),
    );
    let cross_params = {
        let mut p = new_params.clone();
        p.not_before = FIXTURE_TIME - Duration::days(2000);
        p.not_after = FIXTURE_TIME - Duration::days(400);
        p
    };
    let cross = cross_params
        .signed_by(&new_key, &old.issuer)
        .unwrap()
        .der()
        .to_vec();
    let new_cert = new_params.self_signed(&new_key).unwrap();
    let new_root = Ca {
        der: new_cert.der().to_vec(),
        pem: new_cert.pem(),
        issuer: Issuer::new(new_params, new_key),
    };
    let i = intermediate("Case CA 2", &new_root);
    let l = leaf("cross.example", FIXTURE_TIME - Duration::days(30), true, &i);
    let a = judge(
        &analyzer_with(store_of(&[&old])),
        &[&l, &i.der, &cross],
        "cross.example",
    );
    assert_ne!(a.verdict, Verdict::Intercepted, "{:?}", codes(&a));
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", a.findings);
    assert_eq!(a.chain_trust, Some(ChainTrust::AnchoredRejected));
    assert!(
        a.interceptor.is_none(),
        "the trusted old root is no interceptor"
    );
    assert!(
        a.has(C::Expired) && !a.has(C::UntrustedRoot),
        "{:?}",
        codes(&a)
    );
    // With the new root in the store it is simply trusted.
    let a = judge(
        &analyzer_with(store_of(&[&new_root])),
        &[&l, &i.der],
        "cross.example",
    );
    assert_eq!(a.chain_trust, Some(ChainTrust::Public));
}

#[test]
fn a_forged_leaf_served_with_the_genuine_intermediate_is_intercepted() {
    let r = root("Case Root");
    let i = intermediate("Case CA", &r);
    let impostor = impostor_of(
        &i.der,
        ca_params(
            "Case CA",
            FIXTURE_TIME - Duration::days(10),
            FIXTURE_TIME + Duration::days(10),
        ),
    );
    let forged = leaf_params("bank.example", FIXTURE_TIME - Duration::days(3), true)
        .signed_by(&KeyPair::generate().unwrap(), &impostor)
        .unwrap()
        .der()
        .to_vec();
    let a = judge(
        &analyzer_with(store_of(&[&r])),
        &[&forged, &i.der],
        "bank.example",
    );
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    assert!(a.has(C::ForgedSignature), "{:?}", codes(&a));
    assert!(!a.has(C::IssuerMismatch), "{:?}", codes(&a));
    assert_eq!(a.chain_trust, Some(ChainTrust::Broken));
    // A leaf that names the CA but not its key identifier: the server may
    // just send the wrong intermediate of that name. Unsettled.
    let other = Issuer::new(
        ca_params(
            "Case CA",
            FIXTURE_TIME - Duration::days(10),
            FIXTURE_TIME + Duration::days(10),
        ),
        KeyPair::generate().unwrap(),
    );
    let misfit = leaf_params("bank.example", FIXTURE_TIME - Duration::days(3), true)
        .signed_by(&KeyPair::generate().unwrap(), &other)
        .unwrap()
        .der()
        .to_vec();
    let a = judge(
        &analyzer_with(store_of(&[&r])),
        &[&misfit, &i.der],
        "bank.example",
    );
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", a.findings);
    assert!(
        a.has(C::IssuerMismatch) && !a.has(C::ForgedSignature),
        "{:?}",
        codes(&a)
    );
}

/// The extension value (OCTET STRING contents) of `oid` in `der`.
fn extension_value(der: &[u8], oid: &str) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == oid)
        .map(|e| e.value.to_vec())
        .unwrap_or_else(|| panic!("no extension {oid}"))
}

#[test]
fn a_forged_leaf_with_copied_scts_and_a_failing_signature_is_sct_invalid() {
    // The fixtures' genuine CT-compliant chain: leaf, Fixture Public CA 1.
    let pem_bytes = std::fs::read(fixture("chains/ct-compliant.pem")).unwrap();
    let chain = parse_pem_certs(&pem_bytes, "ct-compliant").unwrap();
    let (genuine_leaf, genuine_ca) = (chain[0].as_ref(), chain[1].as_ref());
    let (_, ca) = x509_parser::parse_x509_certificate(genuine_ca).unwrap();
    let mut ca_dn = DistinguishedName::new();
    for rdn in ca.subject().iter() {
        for attr in rdn.iter() {
            let value = attr.as_str().unwrap().to_string();
            match attr.attr_type().to_id_string().as_str() {
                "2.5.4.6" => ca_dn.push(DnType::CountryName, value),
                "2.5.4.10" => ca_dn.push(DnType::OrganizationName, value),
                "2.5.4.3" => ca_dn.push(DnType::CommonName, value),
                other => panic!("unexpected attribute {other}"),
            }
        }
    }
    let mut impostor_params = ca_params(
        "unused",
        FIXTURE_TIME - Duration::days(10),
        FIXTURE_TIME + Duration::days(10),
    );
    impostor_params.distinguished_name = ca_dn;
    let impostor = impostor_of(genuine_ca, impostor_params);
    let mut forged = leaf_params("ct-ok.example", FIXTURE_TIME - Duration::days(3), true);
    forged
        .custom_extensions
        .push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
            extension_value(genuine_leaf, "1.3.6.1.4.1.11129.2.4.2"),
        ));
    let forged = forged
        .signed_by(&KeyPair::generate().unwrap(), &impostor)
        .unwrap()
        .der()
        .to_vec();
    let analyzer = Analyzer::new(AnalysisData {
        pins: PinStore::empty(),
        ct_logs: std::sync::Arc::new(fixture_ct_logs()),
        ..AnalysisData::with_trust(fixture_store()).unwrap()
    });
    let a = judge(&analyzer, &[&forged, genuine_ca], "ct-ok.example");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    let sct = a
        .findings
        .iter()
        .find(|f| f.code == C::SctInvalid)
        .expect("sct-invalid");
    assert_eq!(sct.severity, Severity::High, "{sct:?}");
    assert!(a.has(C::ForgedSignature), "{:?}", codes(&a));
    // The genuine leaf's SCTs still verify with the same issuer.
    let a = judge(&analyzer, &[genuine_leaf, genuine_ca], "ct-ok.example");
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", a.findings);
}

#[test]
fn a_baseline_compares_keys_not_names() {
    let r = root("Case Root");
    let i = intermediate("Case CA", &r);
    let genuine = leaf("vk.example", FIXTURE_TIME - Duration::days(20), true, &i);
    let mut baseline = Baseline::new("test vantage", FIXTURE_TIME);
    let mut seen = observe(&[&genuine, &i.der], "vk.example", FIXTURE_TIME);
    seen.stock_verification = Some(mitmwatch_core::model::StockVerification {
        ok: true,
        error: None,
        trust_store: "test roots".into(),
    });
    assert!(baseline.add(&seen));
    // A forged intermediate that copies the genuine name, under its own root.
    let fake_root = root("Case Root");
    let fake_ca = intermediate("Case CA", &fake_root);
    let forged = leaf(
        "vk.example",
        FIXTURE_TIME - Duration::days(1),
        true,
        &fake_ca,
    );
    let analyzer = analyzer_from(store_of(&[&r]), PinStore::empty(), Some(baseline));
    let a = judge(&analyzer, &[&forged, &fake_ca.der], "vk.example");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    let f = a
        .findings
        .iter()
        .find(|f| f.code == C::IssuerMismatch)
        .expect("issuer-mismatch");
    assert_eq!(f.severity, Severity::High);
    assert!(f.explanation.contains("same name"), "{}", f.explanation);
    // The genuine chain passes.
    let a = judge(&analyzer, &[&genuine, &i.der], "vk.example");
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", a.findings);
}

#[test]
fn a_locally_installed_root_is_reported() {
    let public = root("Case Public Root");
    let local = root("Corporate Inspection Root");
    let mut store = store_of(&[&public]);
    store.add_pem(local.pem.as_bytes(), "extra.pem").unwrap();
    let analyzer = analyzer_with(store);
    // A well-formed leaf under the local root: reported, unsettled.
    let l = leaf(
        "facebook.com",
        FIXTURE_TIME - Duration::days(20),
        true,
        &local,
    );
    let a = judge(&analyzer, &[&l], "facebook.com");
    assert_eq!(a.chain_trust, Some(ChainTrust::Local));
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", a.findings);
    let why = explanation(&a, C::LocalRoot);
    assert!(why.contains("internal server"), "{why}");
    // A leaf minted the way interceptors do (every extension stripped).
    let mut stripped = CertificateParams::new(vec!["facebook.com".into()]).unwrap();
    stripped.not_before = FIXTURE_TIME - Duration::days(2);
    stripped.not_after = FIXTURE_TIME + Duration::days(300);
    let stripped = stripped
        .signed_by(&KeyPair::generate().unwrap(), &local.issuer)
        .unwrap()
        .der()
        .to_vec();
    let a = judge(&analyzer, &[&stripped], "facebook.com");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    let who = a.interceptor.expect("an interceptor");
    assert_eq!(who.matched_by, Attribution::Key);
    // A pinned name under the local root: a pin violation on a chain that
    // builds to a root is proof.
    let pinned = analyzer_from(
        {
            let mut s = store_of(&[&public]);
            s.add_pem(local.pem.as_bytes(), "extra.pem").unwrap();
            s
        },
        PinStore::builtin().unwrap(),
        None,
    );
    let g = leaf(
        "www.google.com",
        FIXTURE_TIME - Duration::days(20),
        true,
        &local,
    );
    let a = judge(&pinned, &[&g], "www.google.com");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    let pin = finding(&a, C::PinMismatch);
    assert_eq!(pin.severity, Severity::High);
}

#[test]
fn pins_judge_only_chains_served_while_they_were_current() {
    let pins = PinStore::builtin().unwrap();
    let as_of = pins.as_of.expect("the built-in pins are dated");
    let r = root("Case Public Root");
    // An intermediate valid for years, so that it served in 2020 too.
    let i = intermediate_valid(
        "Case CA",
        &r,
        FIXTURE_TIME - Duration::days(2900),
        FIXTURE_TIME + Duration::days(700),
    );
    let analyzer = analyzer_from(store_of(&[&r]), pins, None);
    let g = leaf(
        "www.google.com",
        FIXTURE_TIME - Duration::days(20),
        true,
        &i,
    );
    // Served and judged while the pin data was current: the chain builds
    // to a root and no key is pinned.
    let then = as_of.midnight().assume_utc() + Duration::days(10);
    let current = leaf("www.google.com", then - Duration::days(20), true, &i);
    let a = analyzer.assess(
        &observe(&[&current, &i.der], "www.google.com", then),
        ValidationTime::At(then),
    );
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    // Served now, 600 days after the pin data: Chrome would no longer
    // enforce such pins, since sites change CAs. A note.
    let a = judge(&analyzer, &[&g, &i.der], "www.google.com");
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", a.findings);
    let pin = finding(&a, C::PinMismatch);
    assert_eq!(pin.severity, Severity::Low);
    assert!(pin.explanation.contains("70 days"), "{}", pin.explanation);
    // The same chain served years before the pin data: not settled.
    let long_ago = as_of.midnight().assume_utc() - Duration::days(1500);
    let old_leaf = leaf("www.google.com", long_ago - Duration::days(20), true, &i);
    let a = analyzer.assess(
        &observe(&[&old_leaf, &i.der], "www.google.com", long_ago),
        ValidationTime::Observed,
    );
    // It was publicly trusted then: a note, not a suspicion (as for a real
    // 2020 dns.google chain under GlobalSign R2, which today's Google
    // pinset no longer names).
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", a.findings);
    let pin = finding(&a, C::PinMismatch);
    assert_eq!(pin.severity, Severity::Low);
    assert!(
        pin.explanation.contains("may have allowed this CA then"),
        "{}",
        pin.explanation
    );
    // A chain that builds to no root cannot settle a pin violation either
    // (the trust store may lack the CA).
    let stranger = root("Case Stranger Root");
    let untrusting = analyzer_from(store_of(&[&stranger]), PinStore::builtin().unwrap(), None);
    let a = judge(&untrusting, &[&g, &i.der], "www.google.com");
    assert_ne!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    let pin = finding(&a, C::PinMismatch);
    assert_eq!(pin.severity, Severity::Medium);
}

#[test]
fn observations_without_a_chain_get_no_findings() {
    let mut obs = observe(&[] as &[&[u8]], "www.google.com", FIXTURE_TIME);
    obs.status = mitmwatch_core::model::Status::ConnectRefused;
    let a = common::fixtures::analyzer(None).assess(&obs, ValidationTime::At(FIXTURE_TIME));
    assert_eq!(a.verdict, Verdict::Error);
    assert!(a.findings.is_empty(), "{:?}", codes(&a));
    assert_eq!(a.chain_trust, None);
}

#[tokio::test]
async fn suspicious_verdicts_are_said_and_can_fail_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("scan.jsonl");
    let obs = common::fixtures::observation("public-missing-intermediate", "example.com");
    std::fs::write(&input, serde_json::to_string(&obs).unwrap() + "\n").unwrap();
    let run = |extra: &'static [&'static str]| {
        let input = input.clone();
        async move {
            tokio::process::Command::new(common::binary())
                .arg("analyze")
                .arg(&input)
                .arg("--roots")
                .arg(fixture("roots/public-root-r1.pem"))
                .args(["--at", "2026-06-01T00:00:00Z"])
                .args(extra)
                .output()
                .await
                .unwrap()
        }
    };
    let out = run(&[]).await;
    common::assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("No interception found"), "{text}");
    assert!(text.contains("but 1 could not be settled"), "{text}");
    let out = run(&["--fail-on", "suspicious"]).await;
    common::assert_exit(&out, 2);
    let out = run(&["--fail-on", "clean"]).await;
    assert_ne!(out.status.code(), Some(0));
}

/// The real observations of genuine chains whose roots Mozilla's store has
/// dropped since: judged as of when they were made, they are trusted then.
#[tokio::test]
async fn old_real_chains_are_judged_with_the_roots_of_their_time() {
    for (file, host, root) in [
        ("echcheck.jsonl", "example.org", "DigiCert Global Root CA"),
        ("sni_blocking.jsonl", "ps.ooni.io", "DST Root CA X3"),
    ] {
        let out = tokio::process::Command::new(common::binary())
            .args([
                "analyze", "--from", "ooni", "--format", "json", "--at", "observed",
            ])
            .arg(fixture(&format!("ooni/{file}")))
            .output()
            .await
            .unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let judged: Vec<&serde_json::Value> = lines
            .iter()
            .filter(|a| a["type"] == "assessment" && a["target"]["host"] == host)
            .filter(|a| a["chain_trust"] != serde_json::Value::Null)
            .collect();
        assert!(!judged.is_empty(), "{file}: {lines:?}");
        for a in judged {
            assert_eq!(a["verdict"], "clean", "{file}: {a}");
            assert_eq!(a["chain_trust"], "public", "{file}: {a}");
            let removed = a["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == "removed-root")
                .unwrap_or_else(|| panic!("{file}: no removed-root in {a}"));
            assert!(
                removed["explanation"].as_str().unwrap().contains(root),
                "{removed}"
            );
        }
    }
}

#[test]
fn a_real_2014_sha1_chain_links_to_its_removed_root() {
    // Google's 2014 chain: SHA-1 signatures up to GeoTrust Global CA, a
    // root Mozilla's store dropped in 2021. Judged in 2014 with today's
    // store plus the removed roots: a genuine chain refused for SHA-1.
    let pem = std::fs::read(fixture("real/sha1-2014/www.google.com-2014.pem")).unwrap();
    let chain = parse_pem_certs(&pem, "www.google.com-2014.pem").unwrap();
    let ders: Vec<&[u8]> = chain.iter().map(|c| c.as_ref()).collect();
    let when = time::macros::datetime!(2014-03-25 0:00 UTC);
    let analyzer = Analyzer::new(AnalysisData {
        removed_roots: Default::default(),
        ..AnalysisData::builtin().unwrap()
    });
    let obs = observe(&ders, "www.google.com", when);
    let today_only = analyzer.assess(&obs, ValidationTime::At(when));
    assert_ne!(
        today_only.verdict,
        Verdict::Intercepted,
        "{:?}",
        today_only.findings
    );
    let then =
        Analyzer::new(AnalysisData::builtin().unwrap()).assess(&obs, ValidationTime::At(when));
    assert_eq!(
        then.chain_trust,
        Some(ChainTrust::AnchoredRejected),
        "{:?}",
        then.findings
    );
    assert!(then.has(C::ChainRejected), "{:?}", codes(&then));
    assert!(!then.has(C::UntrustedRoot), "{:?}", codes(&then));
    assert_ne!(then.verdict, Verdict::Intercepted, "{:?}", then.findings);
    let why = explanation(&then, C::ChainRejected);
    assert!(why.contains("SHA-1"), "{why}");
}

#[tokio::test]
async fn a_real_2022_dns_google_measurement_is_clean() {
    // OONI's tlsping example (ooni/spec, 2022-05-09): ten handshakes with
    // dns.google, GTS CA 1C3 under GTS Root R1 cross-signed by GlobalSign.
    for at in ["observed", "now"] {
        let out = tokio::process::Command::new(common::binary())
            .args(["analyze", "--from", "ooni", "--format", "json", "--at", at])
            .arg(fixture("ooni/tlsping_dns_google.jsonl"))
            .output()
            .await
            .unwrap();
        common::assert_exit(&out, 0);
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let assessments: Vec<_> = lines.iter().filter(|l| l["type"] == "assessment").collect();
        assert_eq!(assessments.len(), 10, "{at}");
        for a in assessments {
            assert_eq!(a["target"]["host"], "dns.google");
            assert_eq!(a["verdict"], "clean", "{at}: {a}");
            let codes: Vec<&str> = a["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap())
                .collect();
            assert!(!codes.contains(&"pin-mismatch"), "{at}: {codes:?}");
        }
    }
}
