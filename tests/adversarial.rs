//! Soundness as an attacker would test it, and calm under routine change.
//!
//! Every classic forgery is a chain built here with its expected verdict: a
//! forger must never get `clean`. Every routine change of a real site (a CA
//! rotating its intermediates, a renewal with the same key, a device fleet,
//! stale pin data, an internal server with its own CA) must never get
//! `intercepted`. Each case says which rule it attacks or exercises.

mod common;

use common::fixtures::{codes, finding, FIXTURE_TIME};
use common::pki::*;
use mitmwatch_core::analysis_data::baseline::Baseline;
use mitmwatch_core::analysis_data::static_pins::PinStore;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::model::{
    ChainTrust, FindingCode as C, Observation, Severity, StockVerification, Verdict,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, NameConstraints, SanType, SerialNumber,
};
use time::Duration;

fn fresh_key() -> KeyPair {
    KeyPair::generate().unwrap()
}

/// A second handle on the same key pair.
fn same_key(key: &KeyPair) -> KeyPair {
    KeyPair::from_pem(&key.serialize_pem()).unwrap()
}

/// An ordinary server certificate for `host` (basic constraints cA false),
/// with its key, as a site operator gets it from a public CA.
fn end_entity(host: &str, ca: &Ca) -> (Vec<u8>, CertificateParams, KeyPair) {
    let mut params = leaf_params(host, FIXTURE_TIME - Duration::days(10), true);
    params.distinguished_name.push(DnType::CommonName, host);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = fresh_key();
    let der = params.signed_by(&key, &ca.issuer).unwrap().der().to_vec();
    (der, params, key)
}

/// A CA under `parent` with these changes to its parameters.
fn ca_with(cn: &str, parent: &Ca, change: impl FnOnce(&mut CertificateParams)) -> Ca {
    let key = fresh_key();
    let mut params = ca_params(
        cn,
        FIXTURE_TIME - Duration::days(700),
        FIXTURE_TIME + Duration::days(700),
    );
    params.use_authority_key_identifier_extension = true;
    change(&mut params);
    let cert = params.signed_by(&key, &parent.issuer).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// `chain` served for `host` as a trusted vantage records it (verified
/// there), at the fixture time.
fn seen_from_trusted_vantage(chain: &[&[u8]], host: &str) -> Observation {
    let mut seen = observe(chain, host, FIXTURE_TIME);
    seen.stock_verification = Some(StockVerification {
        ok: true,
        error: None,
        trust_store: "test roots".into(),
    });
    seen
}

/// The baseline a trusted vantage makes from `chain` served for `host`.
fn baseline_of(chain: &[&[u8]], host: &str) -> Baseline {
    let mut baseline = Baseline::new("test vantage", FIXTURE_TIME);
    assert!(baseline.add(&seen_from_trusted_vantage(chain, host)));
    baseline
}

/// The signature algorithm OID of rcgen's ECDSA P-256 certificates
/// (ecdsa-with-SHA256) and one *ring* cannot check (ecdsa-with-SHA512,
/// which Microsoft's certificate services allow), DER-encoded: same length.
const ECDSA_SHA256: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_SHA512: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];

/// `der` with its signature algorithm relabelled (both fields, or only the
/// outer one when `outer_only`): its signature can no longer be checked.
fn relabel(der: &[u8], outer_only: bool) -> Vec<u8> {
    let mut out = der.to_vec();
    let places: Vec<usize> = out
        .windows(ECDSA_SHA256.len())
        .enumerate()
        .filter(|(_, w)| *w == ECDSA_SHA256)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(places.len(), 2, "an inner and an outer algorithm");
    let chosen = if outer_only {
        &places[1..]
    } else {
        &places[..]
    };
    for &i in chosen {
        out[i..i + ECDSA_SHA512.len()].copy_from_slice(&ECDSA_SHA512);
    }
    out
}

// ---------------------------------------------------------------- forgeries

/// sslsniff (2002): the key of a genuine site certificate signs a
/// certificate for another name. The chain links by signatures to a trusted
/// root; only basic constraints say the middle certificate may not issue.
#[test]
fn the_basic_constraints_forgery_is_intercepted() {
    let r = root("Case Root");
    let ca = intermediate("Case CA", &r);
    let (genuine, params, key) = end_entity("attacker.example", &ca);
    let issuer = Issuer::new(params, key);
    let forged = leaf_params("victim.example", FIXTURE_TIME - Duration::hours(1), false)
        .signed_by(&fresh_key(), &issuer)
        .unwrap()
        .der()
        .to_vec();
    let a = judge(
        &analyzer_with(store_of(&[&r])),
        &[&forged, &genuine, &ca.der],
        "victim.example",
    );
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    let f = finding(&a, C::NonCaIssuer);
    assert_eq!(f.severity, Severity::High);
    // The finding cites the end-entity certificate that acted as a CA.
    assert_eq!(f.evidence.cert_index, Some(1), "{f:?}");
    assert_eq!(a.chain_trust, Some(ChainTrust::AnchoredRejected));
    // Genuine leaves may have an empty subject; a forged leaf with an empty
    // subject too names itself as its issuer, without having signed itself.
    let (bare, bare_params, bare_key) = {
        let mut p = leaf_params("attacker.example", FIXTURE_TIME - Duration::days(10), true);
        p.is_ca = IsCa::ExplicitNoCa;
        let key = fresh_key();
        (
            p.signed_by(&key, &ca.issuer).unwrap().der().to_vec(),
            p,
            key,
        )
    };
    let self_named = leaf_params("victim.example", FIXTURE_TIME - Duration::hours(1), false)
        .signed_by(&fresh_key(), &Issuer::new(bare_params, bare_key))
        .unwrap()
        .der()
        .to_vec();
    let b = judge(
        &analyzer_with(store_of(&[&r])),
        &[&self_named, &bare, &ca.der],
        "victim.example",
    );
    assert_eq!(b.verdict, Verdict::Intercepted, "{:?}", b.findings);
    assert_eq!(finding(&b, C::NonCaIssuer).evidence.cert_index, Some(1));
    // The same under a root added on this machine.
    let public = root("Case Public Root");
    let mut store = store_of(&[&public]);
    store.add_pem(r.pem.as_bytes(), "extra.pem").unwrap();
    let a = judge(
        &analyzer_with(store),
        &[&forged, &genuine, &ca.der],
        "victim.example",
    );
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    assert!(a.has(C::NonCaIssuer));
}

/// A sub-CA constrained to one domain issues for google.com: the pattern of
/// government sub-CAs caught issuing outside their scope.
#[test]
fn a_name_constrained_ca_issuing_outside_its_scope_is_not_clean() {
    let r = root("Case Root");
    let constrained = ca_with("Case Gov CA", &r, |p| {
        p.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName("gov.example".into())],
            excluded_subtrees: vec![],
        })
    });
    let analyzer = analyzer_with(store_of(&[&r]));
    let inside = leaf(
        "www.gov.example",
        FIXTURE_TIME - Duration::days(5),
        true,
        &constrained,
    );
    let a = judge(&analyzer, &[&inside, &constrained.der], "www.gov.example");
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", a.findings);
    let outside = leaf(
        "www.google.com",
        FIXTURE_TIME - Duration::days(5),
        true,
        &constrained,
    );
    let a = judge(&analyzer, &[&outside, &constrained.der], "www.google.com");
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", a.findings);
    let f = finding(&a, C::ChainRejected);
    assert_eq!(f.severity, Severity::Medium);
    assert!(
        f.explanation.contains("name-constrained"),
        "{}",
        f.explanation
    );
    assert!(!f.explanation.contains("not a sign of interception"));
}

/// The escape again, one level down, after a leaf inside the scope warmed
/// any cache: the intermediate below the constrained CA must not stand in
/// for the path above it. Both orders give the same verdicts.
#[test]
fn a_name_constraint_escape_is_caught_whatever_came_before() {
    let r = root("Case Root");
    let constrained = ca_with("Case Gov CA", &r, |p| {
        p.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName("gov.example".into())],
            excluded_subtrees: vec![],
        })
    });
    let below = ca_with("Case Gov Issuing CA", &constrained, |_| {});
    let inside = leaf(
        "www.gov.example",
        FIXTURE_TIME - Duration::days(5),
        true,
        &below,
    );
    let outside = leaf(
        "www.google.com",
        FIXTURE_TIME - Duration::days(5),
        true,
        &below,
    );
    let chain_in: [&[u8]; 3] = [&inside, &below.der, &constrained.der];
    let chain_out: [&[u8]; 3] = [&outside, &below.der, &constrained.der];
    for warm_first in [true, false] {
        let analyzer = analyzer_with(store_of(&[&r]));
        let (first, second) = if warm_first {
            (
                judge(&analyzer, &chain_in, "www.gov.example"),
                judge(&analyzer, &chain_out, "www.google.com"),
            )
        } else {
            let out = judge(&analyzer, &chain_out, "www.google.com");
            (judge(&analyzer, &chain_in, "www.gov.example"), out)
        };
        assert_eq!(first.verdict, Verdict::Clean, "{:?}", first.findings);
        assert_eq!(
            second.verdict,
            Verdict::Suspicious,
            "warm first: {warm_first}: {:?}",
            second.findings
        );
        assert!(second.has(C::ChainRejected));
    }
}

/// A CA allowed no CA below it issues an intermediate anyway.
#[test]
fn a_path_length_violation_is_not_clean() {
    let r = root("Case Root");
    let limited = ca_with("Case Limited CA", &r, |p| {
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0))
    });
    let below = ca_with("Case Rogue CA", &limited, |_| {});
    let l = leaf(
        "shop.example",
        FIXTURE_TIME - Duration::days(5),
        true,
        &below,
    );
    let a = judge(
        &analyzer_with(store_of(&[&r])),
        &[&l, &below.der, &limited.der],
        "shop.example",
    );
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", a.findings);
    assert_eq!(finding(&a, C::ChainRejected).severity, Severity::Medium);
}

/// A CA whose extended key usage excludes TLS servers issues a server
/// certificate.
#[test]
fn an_issuer_whose_key_usage_excludes_servers_is_not_clean() {
    let r = root("Case Root");
    let clients_only = ca_with("Case Client CA", &r, |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth]
    });
    let l = leaf(
        "shop.example",
        FIXTURE_TIME - Duration::days(5),
        true,
        &clients_only,
    );
    let a = judge(
        &analyzer_with(store_of(&[&r])),
        &[&l, &clients_only.der],
        "shop.example",
    );
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", a.findings);
    assert_eq!(finding(&a, C::ChainRejected).severity, Severity::Medium);
}

/// A trusted vantage's baseline kept the issuing CA's key; a forged leaf
/// sent alone copies the genuine issuer's name and key identifier.
#[test]
fn a_leaf_only_forgery_in_the_baseline_cas_name_is_a_forged_signature() {
    let r = root("Case Root");
    let ca = intermediate("Case CA", &r);
    let genuine = leaf("vk.example", FIXTURE_TIME - Duration::days(20), true, &ca);
    let baseline = baseline_of(&[&genuine, &ca.der], "vk.example");
    // Same name and key identifier as the genuine CA, another key.
    let impostor = impostor_of(
        &ca.der,
        ca_params(
            "Case CA",
            FIXTURE_TIME - Duration::days(700),
            FIXTURE_TIME + Duration::days(700),
        ),
    );
    let forged = leaf_params("vk.example", FIXTURE_TIME - Duration::hours(2), true)
        .signed_by(&fresh_key(), &impostor)
        .unwrap()
        .der()
        .to_vec();
    // An unrelated store: the chain cannot be checked without the baseline.
    let analyzer = analyzer_from(
        store_of(&[&root("Other Root")]),
        PinStore::empty(),
        Some(baseline),
    );
    let a = judge(&analyzer, &[&forged], "vk.example");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    assert_eq!(finding(&a, C::ForgedSignature).severity, Severity::High);
    // The genuine leaf sent alone verifies under the baseline's key.
    let a = judge(&analyzer, &[&genuine], "vk.example");
    assert!(
        !a.has(C::ForgedSignature) && !a.has(C::IssuerMismatch),
        "{:?}",
        a.findings
    );
    assert_ne!(a.verdict, Verdict::Intercepted);
}

/// A leaf labelled with an algorithm *ring* cannot check, naming a genuine
/// CA: not provably forged, not provably genuine.
#[test]
fn a_signature_that_cannot_be_checked_proves_nothing() {
    let r = root("Case Root");
    let ca = intermediate("Case CA", &r);
    let analyzer = analyzer_with(store_of(&[&r]));
    let l = leaf("shop.example", FIXTURE_TIME - Duration::days(5), true, &ca);
    let relabelled = relabel(&l, false);
    let a = judge(&analyzer, &[&relabelled, &ca.der], "shop.example");
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", a.findings);
    assert!(!a.has(C::ForgedSignature), "{:?}", codes(&a));
    assert_eq!(
        finding(&a, C::UnverifiableSignature).severity,
        Severity::Medium
    );
    // Outer and inner algorithms that disagree: malformed, not forged.
    let mismatched = relabel(&l, true);
    let a = judge(&analyzer, &[&mismatched, &ca.der], "shop.example");
    assert_ne!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    assert!(!a.has(C::ForgedSignature), "{:?}", codes(&a));
    assert!(finding(&a, C::UnverifiableSignature)
        .explanation
        .contains("disagree"));
    // A CA link that cannot be checked does not leave the chain unlinked:
    // it is not a CA the server sent itself, minting.
    let relabelled_ca = relabel(&ca.der, false);
    let a = judge(&analyzer, &[&l, &relabelled_ca], "shop.example");
    assert_eq!(
        a.chain_trust,
        Some(ChainTrust::AnchoredRejected),
        "{:?}",
        a.findings
    );
    assert!(
        !a.has(C::MintedLeaf) && !a.has(C::ForgedSignature),
        "{:?}",
        codes(&a)
    );
}

/// The tells of interception products, each under a CA the server sent
/// itself for a public name: each is enough for rule 3.
#[test]
fn interception_products_tells_make_a_served_ca_minting() {
    let r = root("Case Box Root");
    let ca = intermediate("Case Box CA", &r);
    let analyzer =
        analyzer_with(TrustStore::from_pem(root("Unrelated").pem.as_bytes(), "x").unwrap());
    let base = || leaf_params("shop.example", FIXTURE_TIME - Duration::days(30), true);
    let sign = |p: CertificateParams| {
        p.signed_by(&fresh_key(), &ca.issuer)
            .unwrap()
            .der()
            .to_vec()
    };
    // A well-formed leaf: suspicious, as a private CA's would be.
    let plain = judge(&analyzer, &[&sign(base()), &ca.der, &r.der], "shop.example");
    assert_eq!(plain.verdict, Verdict::Suspicious, "{:?}", plain.findings);
    let mut zero = base();
    zero.serial_number = Some(SerialNumber::from_slice(&[0]));
    let mut country = base();
    country
        .distinguished_name
        .push(DnType::CountryName, "Kazakhstan");
    let mut outlives = base();
    outlives.not_after = FIXTURE_TIME + Duration::days(2000);
    let own_key = base()
        .signed_by(ca.issuer.key(), &ca.issuer)
        .unwrap()
        .der()
        .to_vec();
    // Sent without its CA, the leaf still names its own key as its
    // issuer's (the key identifier rcgen derives from the key, as
    // hudsucker's forged leaves do).
    let alone = judge(&analyzer, &[&own_key], "shop.example");
    assert_eq!(finding(&alone, C::LeafKeyIsCaKey).severity, Severity::Low);
    for (what, der, code) in [
        ("zero serial", sign(zero), C::InvalidSerial),
        ("country", sign(country), C::MalformedCountry),
        ("outlives", sign(outlives), C::LeafOutlivesIssuer),
        ("CA's key", own_key, C::LeafKeyIsCaKey),
    ] {
        let a = judge(&analyzer, &[&der, &ca.der, &r.der], "shop.example");
        assert_eq!(a.verdict, Verdict::Intercepted, "{what}: {:?}", a.findings);
        assert_eq!(finding(&a, code).severity, Severity::Low, "{what}");
        assert_eq!(
            a.findings[0].code,
            C::MintedLeaf,
            "{what}: the high finding first"
        );
    }
}

// ------------------------------------------------------------ routine change

/// Let's Encrypt picks one of several intermediates per order: a site seen
/// under "R10" by the baseline is now served under "R11" of the same root.
#[test]
fn a_ca_rotation_with_a_baseline_stays_clean() {
    let r = root("Case Root");
    let r10 = intermediate("Case R10", &r);
    let r11 = intermediate("Case R11", &r);
    let first = leaf(
        "site.example",
        FIXTURE_TIME - Duration::days(80),
        true,
        &r10,
    );
    let baseline = baseline_of(&[&first, &r10.der], "site.example");
    let other_root = root("Case Other Root");
    let other_ca = ca_with("Case Other CA", &other_root, |p| {
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(DnType::OrganizationName, "Other Trust Services");
        p.distinguished_name
            .push(DnType::CommonName, "Case Other CA");
    });
    let analyzer = analyzer_from(
        store_of(&[&r, &other_root]),
        PinStore::empty(),
        Some(baseline),
    );
    let renewed = leaf("site.example", FIXTURE_TIME - Duration::days(1), true, &r11);
    let a = judge(&analyzer, &[&renewed, &r11.der], "site.example");
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", a.findings);
    assert_eq!(finding(&a, C::IssuerMismatch).severity, Severity::Info);
    // Another public CA altogether: worth a look, not interception.
    let moved = leaf(
        "site.example",
        FIXTURE_TIME - Duration::days(1),
        true,
        &other_ca,
    );
    let a = judge(&analyzer, &[&moved, &other_ca.der], "site.example");
    assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", a.findings);
    assert_eq!(finding(&a, C::IssuerMismatch).severity, Severity::Medium);
}

/// Keys shared legitimately: a renewal with the same key, a wildcard and its
/// apex, IP-address certificates: none is `leaf-key-reuse`.
#[test]
fn legitimate_key_sharing_is_not_key_reuse() {
    let r = root("Case Root");
    let ca = intermediate("Case CA", &r);
    let key = fresh_key();
    let with_key = |names: Vec<SanType>, days: i64| {
        let mut p = leaf_params(
            "placeholder.example",
            FIXTURE_TIME - Duration::days(days),
            true,
        );
        p.subject_alt_names = names;
        p.signed_by(&same_key(&key), &ca.issuer)
            .unwrap()
            .der()
            .to_vec()
    };
    let dns = |n: &str| SanType::DnsName(n.try_into().unwrap());
    let ip = |n: &str| SanType::IpAddress(n.parse().unwrap());
    let cases = [
        (with_key(vec![dns("example.com")], 80), "example.com"),
        (with_key(vec![dns("example.com")], 10), "example.com"),
        (with_key(vec![dns("*.example.com")], 10), "www.example.com"),
        (with_key(vec![ip("192.0.2.10")], 10), "192.0.2.10"),
        (with_key(vec![ip("192.0.2.11")], 10), "192.0.2.11"),
    ];
    let observations: Vec<_> = cases
        .iter()
        .map(|(der, host)| observe(&[der, &ca.der], host, FIXTURE_TIME))
        .collect();
    let (assessments, _) =
        analyzer_with(store_of(&[&r])).assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    for a in &assessments {
        assert!(!a.has(C::LeafKeyReuse), "{}: {:?}", a.target, a.findings);
        assert_eq!(a.verdict, Verdict::Clean, "{}: {:?}", a.target, a.findings);
    }
}

/// A fleet of devices whose firmware ships one key: self-signed leaves, or
/// a private CA's for names only a private CA may certify.
#[test]
fn a_device_fleet_sharing_a_key_is_not_intercepted() {
    let key = fresh_key();
    let self_signed = |host: &str| {
        let p = leaf_params(host, FIXTURE_TIME - Duration::days(400), false);
        p.self_signed(&same_key(&key)).unwrap().der().to_vec()
    };
    let routers = ["router-a.example", "router-b.example", "router-c.example"];
    let observations: Vec<_> = routers
        .iter()
        .map(|h| observe(&[&self_signed(h)], h, FIXTURE_TIME))
        .collect();
    let analyzer = analyzer_with(store_of(&[&root("Case Root")]));
    let (assessments, _) = analyzer.assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    for a in &assessments {
        assert_eq!(
            finding(a, C::LeafKeyReuse).severity,
            Severity::Low,
            "{:?}",
            a.findings
        );
        assert_ne!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    }
    // The maker's private CA, sent along, for names on the local network.
    let maker = root("Case Device Maker CA");
    let lan: Vec<_> = ["nas1.lan", "nas2.lan"]
        .iter()
        .map(|h| {
            let mut p = leaf_params(h, FIXTURE_TIME - Duration::days(400), false);
            p.key_usages.clear();
            p.extended_key_usages.clear();
            p.use_authority_key_identifier_extension = false;
            let der = p
                .signed_by(&same_key(&key), &maker.issuer)
                .unwrap()
                .der()
                .to_vec();
            observe(&[&der, &maker.der], h, FIXTURE_TIME)
        })
        .collect();
    let (assessments, _) = analyzer.assess_scan(&lan, ValidationTime::At(FIXTURE_TIME));
    for a in &assessments {
        assert!(a.has(C::StrippedExtensions), "{:?}", codes(a));
        assert_eq!(finding(a, C::LeafKeyReuse).severity, Severity::Low);
        assert_eq!(a.verdict, Verdict::Suspicious, "{:?}", a.findings);
    }
}

/// An internal server (a BMC) sending its private CA with a bare leaf: the
/// same chain for a public name is a CA minting, for `.internal` it is what
/// such servers look like.
#[test]
fn an_internal_server_with_its_own_ca_is_not_intercepted() {
    let ca = root("Case BMC CA");
    let analyzer = analyzer_with(store_of(&[&root("Case Root")]));
    let bare = |host: &str| {
        let mut p = leaf_params(host, FIXTURE_TIME - Duration::days(900), false);
        p.key_usages.clear();
        p.extended_key_usages.clear();
        p.use_authority_key_identifier_extension = false;
        p.signed_by(&fresh_key(), &ca.issuer)
            .unwrap()
            .der()
            .to_vec()
    };
    for host in ["bmc01.internal", "10.0.0.5", "printer"] {
        let a = judge(&analyzer, &[&bare(host), &ca.der], host);
        assert_eq!(a.verdict, Verdict::Suspicious, "{host}: {:?}", a.findings);
        assert!(!a.has(C::MintedLeaf));
    }
    let a = judge(&analyzer, &[&bare("bank.example"), &ca.der], "bank.example");
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
}

/// Pin data older than Chrome's 70 days does not convict a publicly trusted
/// chain; under a root added on this machine the pins convict whatever
/// their age.
#[test]
fn stale_pins_note_public_chains_and_still_convict_local_roots() {
    let public = root("Case Public Root");
    let ca = intermediate("Case Public CA", &public);
    let g = leaf(
        "www.google.com",
        FIXTURE_TIME - Duration::days(20),
        true,
        &ca,
    );
    let pins = PinStore::builtin().unwrap();
    assert!(pins.as_of.unwrap() < (FIXTURE_TIME - Duration::days(70)).date());
    let a = judge(
        &analyzer_from(store_of(&[&public]), pins.clone(), None),
        &[&g, &ca.der],
        "www.google.com",
    );
    assert_eq!(a.verdict, Verdict::Clean, "{:?}", a.findings);
    assert_eq!(finding(&a, C::PinMismatch).severity, Severity::Low);
    let local = root("Corporate Inspection Root");
    let mut store = store_of(&[&public]);
    store.add_pem(local.pem.as_bytes(), "extra.pem").unwrap();
    let local_ca = intermediate("Corporate Inspection CA", &local);
    let forged = leaf(
        "www.google.com",
        FIXTURE_TIME - Duration::days(1),
        true,
        &local_ca,
    );
    let a = judge(
        &analyzer_from(store, pins, None),
        &[&forged, &local_ca.der],
        "www.google.com",
    );
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    assert_eq!(finding(&a, C::PinMismatch).severity, Severity::High);
}

/// The analyzer the command line uses by default is the library's default.
#[test]
fn the_library_default_is_the_command_lines() {
    let a = Analyzer::new(mitmwatch_core::analyze::AnalysisData::builtin().unwrap());
    // The shipped intermediates and removed roots are in it: a real leaf
    // sent without its intermediate is completed from the shipped set.
    let pem = std::fs::read(common::fixtures::fixture(
        "ct/sctvector-leaf-google-ug-289ed1676f42b679.pem",
    ))
    .unwrap();
    let certs =
        mitmwatch_core::analysis_data::trust_store::parse_pem_certs(&pem, "google.ug").unwrap();
    let at = time::macros::datetime!(2026-06-01 0:00 UTC);
    let obs = mitmwatch_core::import::pem_dir::file_observation(&certs, "google.ug".into(), at);
    let judged = a.assess(&obs, ValidationTime::At(at));
    assert_eq!(
        judged.chain_trust,
        Some(ChainTrust::Public),
        "{:?}",
        judged.findings
    );
    // Its SCTs are checked with the key of the shipped intermediate that
    // signed it, not with the root's.
    assert!(!judged.has(C::SctInvalid), "{:?}", judged.findings);
    assert_eq!(judged.verdict, Verdict::Clean, "{:?}", judged.findings);
}

// ------------------------------------------- found in review, 2026-12-08

/// A root installed on this machine minting leaves the verifier refuses
/// (a CA certificate as the leaf, or one past its validity): the reason for
/// the refusal must not make the chain benign, since no public CA issued it.
#[test]
fn a_refused_chain_under_a_local_root_is_never_clean() {
    let public = root("Case Public Root");
    let local = root("Corporate Inspection Root");
    let mut store = store_of(&[&public]);
    store.add_pem(local.pem.as_bytes(), "extra.pem").unwrap();
    let analyzer = analyzer_with(store);
    // A minted leaf that is itself a CA certificate: webpki refuses it as
    // `CaUsedAsEndEntity`, which alone reads as the verifier's strictness.
    let mut params = leaf_params("www.example.com", FIXTURE_TIME - Duration::hours(1), false);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_leaf = params
        .signed_by(&fresh_key(), &local.issuer)
        .unwrap()
        .der()
        .to_vec();
    // A minted leaf that expired yesterday.
    let expired = leaf_params("www.example.com", FIXTURE_TIME - Duration::days(400), false)
        .signed_by(&fresh_key(), &local.issuer)
        .unwrap()
        .der()
        .to_vec();
    // The expired one is trusted at a time inside its validity, as
    // `local`; the CA leaf is refused whatever the time.
    for (chain, trust) in [
        (&ca_leaf, ChainTrust::LocalRejected),
        (&expired, ChainTrust::Local),
    ] {
        let a = judge(&analyzer, &[chain], "www.example.com");
        assert_eq!(a.chain_trust, Some(trust), "{:?}", codes(&a));
        assert_ne!(a.verdict, Verdict::Clean, "{:?}", a.findings);
        assert_eq!(finding(&a, C::LocalRoot).severity, Severity::Medium);
    }
}

/// A pinned name served by a chain under a local root, with the genuine
/// pinned intermediate and root (public files) appended: only the keys of
/// the chain that issued the leaf count, as in Chrome.
#[test]
fn appending_the_pinned_cas_does_not_satisfy_the_pins() {
    let pem = std::fs::read(common::fixtures::fixture("real/public-2026/google.pem")).unwrap();
    let genuine =
        mitmwatch_core::analysis_data::trust_store::parse_pem_certs(&pem, "google.pem").unwrap();
    let (wr2, gts_r1) = (genuine[1].to_vec(), genuine[2].to_vec());
    let local = root("Corporate Inspection Root");
    let mut store = store_of(&[&root("Case Public Root")]);
    store.add_pem(local.pem.as_bytes(), "extra.pem").unwrap();
    let local_ca = intermediate("Corporate Inspection CA", &local);
    let forged = leaf(
        "www.google.com",
        FIXTURE_TIME - Duration::days(1),
        true,
        &local_ca,
    );
    let analyzer = analyzer_from(store, PinStore::builtin().unwrap(), None);
    let a = judge(
        &analyzer,
        &[&forged, &local_ca.der, &wr2, &gts_r1],
        "www.google.com",
    );
    assert_eq!(finding(&a, C::PinMismatch).severity, Severity::High);
    assert_eq!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
}

/// The baseline kept the genuine CA's key; a forger under its own CA
/// appends that genuine CA certificate (a public file) to its chain.
#[test]
fn appending_the_baseline_ca_does_not_hide_a_new_issuer() {
    let r = root("Case Root");
    let ca = intermediate("Case CA", &r);
    let genuine = leaf("vk.example", FIXTURE_TIME - Duration::days(20), true, &ca);
    let baseline = baseline_of(&[&genuine, &ca.der], "vk.example");
    let own = root("Security Certificate");
    let forged = leaf("vk.example", FIXTURE_TIME - Duration::hours(2), true, &own);
    let analyzer = analyzer_from(store_of(&[&r]), PinStore::empty(), Some(baseline));
    let a = judge(&analyzer, &[&forged, &own.der, &ca.der], "vk.example");
    assert_eq!(
        finding(&a, C::IssuerMismatch).severity,
        Severity::High,
        "{:?}",
        a.findings
    );
    assert_ne!(a.verdict, Verdict::Clean);
}

/// An observation whose time, read in UTC, is past the last instant the
/// time library holds: judged like any other, never a panic that ends
/// the run.
#[test]
fn a_time_at_the_end_of_time_does_not_end_the_run() {
    let r = root("Case Root");
    let ca = intermediate("Case CA", &r);
    let g = leaf("a.example", FIXTURE_TIME - Duration::days(20), true, &ca);
    let mut obs = observe(&[&g, &ca.der], "a.example", FIXTURE_TIME);
    obs.started_at = time::macros::datetime!(9999-12-31 23:00 -1);
    let at = mitmwatch_core::encoding::utc(obs.started_at);
    assert_eq!(at.year(), 9999);
    let analyzer = analyzer_with(store_of(&[&r]));
    // Twice: the second sighting goes through the chain memo.
    for _ in 0..2 {
        let a = analyzer.assess(&obs, ValidationTime::Observed);
        assert_ne!(a.verdict, Verdict::Intercepted, "{:?}", a.findings);
    }
    assert!(!mitmwatch_core::encoding::rfc3339(obs.started_at).is_empty());
}

/// A leaf sent alone whose chain is completed from the shipped
/// intermediates by one that has expired since: reported as expired, as a
/// served one would be.
#[test]
fn an_expired_intermediate_that_completed_the_chain_is_reported() {
    let r = root("Case Root");
    let ca = intermediate_valid(
        "Case Old CA",
        &r,
        FIXTURE_TIME - Duration::days(700),
        FIXTURE_TIME - Duration::days(1),
    );
    let g = leaf("a.example", FIXTURE_TIME - Duration::days(20), true, &ca);
    let mut data = mitmwatch_core::analyze::AnalysisData::with_trust(store_of(&[&r])).unwrap();
    data.pins = PinStore::empty();
    data.intermediates
        .add_pem(ca.pem.as_bytes(), "old-ca.pem")
        .unwrap();
    let a = judge(&Analyzer::new(data), &[&g], "a.example");
    assert!(a.has(C::IncompleteChain), "{:?}", codes(&a));
    let expired = finding(&a, C::Expired);
    assert!(expired.explanation.contains("Case Old CA"), "{expired:?}");
    assert_ne!(a.verdict, Verdict::Intercepted);
}

/// A baseline is made from the certificates themselves: the record's
/// derived fields (SPKI hashes, names), which a hand-edited file could
/// change, are not what it keeps.
#[test]
fn a_baseline_keeps_what_the_certificates_say_not_the_records_fields() {
    let r = root("Case Root");
    let ca = intermediate("Case CA", &r);
    let genuine = leaf("vk.example", FIXTURE_TIME - Duration::days(20), true, &ca);
    let mut seen = seen_from_trusted_vantage(&[&genuine, &ca.der], "vk.example");
    let fake: mitmwatch_core::model::Fingerprint = "ab".repeat(32).parse().unwrap();
    let real = seen.chain[1].spki_sha256.unwrap();
    seen.chain[1].spki_sha256 = Some(fake);
    seen.chain[0].issuer = Some("CN=Edited".into());
    seen.chain[1].issuer = Some("CN=Edited Root".into());
    let mut baseline = Baseline::new("test vantage", FIXTURE_TIME);
    assert!(baseline.add(&seen));
    let text = serde_json::to_string(&baseline).unwrap();
    assert!(text.contains(&real.to_string()), "{text}");
    assert!(!text.contains(&fake.to_string()), "{text}");
    assert!(!text.contains("Edited"), "{text}");
}
