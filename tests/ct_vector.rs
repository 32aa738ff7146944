//! SCT verification on a real certificate: google.ug, issued by Let's
//! Encrypt R13 in May 2026 (fixtures/ct/, from the shared reference set).
//! Its Cloudflare Nimbus2026 SCT verifies with the key in the built-in log
//! list, and stops verifying when any byte of the rebuilt TBS or of the
//! issuer's key changes. Its other SCT comes from Let's Encrypt's
//! static-ct-api log Willow2026h2, which the built-in list (Chrome's 82.1 of
//! January 2026) knows and which verifies too; a list without that log (like
//! the 2024 one shipped before) calls it unknown, not invalid. The analyzer
//! finds the real chain clean, and a forgery that copies its SCT list
//! intercepted.

mod common;

use mitmwatch_core::analysis_data::trust_store::parse_pem_certs;
use mitmwatch_core::ct::embedded::{self, verify_one};
use mitmwatch_core::ct::{precert, LogList, SctStatus};
use mitmwatch_core::encoding::{base64_encode, sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

fn load(name: &str) -> Vec<u8> {
    let pem = std::fs::read(common::fixtures::fixture(&format!("ct/{name}"))).unwrap();
    parse_pem_certs(&pem, name).unwrap().remove(0).to_vec()
}

fn leaf() -> Vec<u8> {
    load("sctvector-leaf-google-ug-289ed1676f42b679.pem")
}

/// The DER SubjectPublicKeyInfo of Let's Encrypt R13.
fn issuer_spki() -> Vec<u8> {
    let issuer = load("sctvector-issuer-le-r13-d3b128216a843f8e.pem");
    let (_, cert) = X509Certificate::from_der(&issuer).unwrap();
    cert.public_key().raw.to_vec()
}

const NIMBUS2026: &str = "yzj3FYl8hKFEX1vB3fvJbvKaWc1HCmkFhbDLFMMUWOc=";
const TILED_LOG: &str = "qCbL4wrGNRJGUz/gZfFPGdluGQgTxB3ZbXkAsxI8VSc=";

/// The built-in list without the static-ct-api log: a list older than the
/// certificate's logs.
fn list_without_the_tiled_log() -> LogList {
    let mut list = (*LogList::builtin()).clone();
    list.logs.retain(|l| l.id_base64() != TILED_LOG);
    assert_eq!(list.logs.len(), LogList::builtin().logs.len() - 1);
    list
}

#[test]
fn both_scts_verify_including_the_static_ct_api_log() {
    let logs = LogList::builtin();
    let hash = sha256(&issuer_spki());
    let checked = embedded::check(&leaf(), Some(&hash), &logs)
        .unwrap()
        .expect("the leaf embeds SCTs");
    assert_eq!(checked.scts.len(), 2);
    let first = &checked.scts[0];
    assert_eq!(base64_encode(&first.sct.log_id), TILED_LOG);
    let willow = first.log.unwrap();
    assert_eq!(willow.description, "Let's Encrypt 'Willow2026h2'");
    assert!(willow.tiled);
    assert_eq!(first.status, SctStatus::Valid);
    assert_eq!(checked.scts[1].status, SctStatus::Valid);
}

#[test]
fn the_nimbus_sct_verifies_and_the_tiled_log_is_unknown_to_an_older_list() {
    let logs = list_without_the_tiled_log();
    let hash = sha256(&issuer_spki());
    let checked = embedded::check(&leaf(), Some(&hash), &logs)
        .unwrap()
        .expect("the leaf embeds SCTs");
    assert!(checked.unknown_versions.is_empty());
    assert_eq!(checked.scts.len(), 2);
    let first = &checked.scts[0];
    assert_eq!(base64_encode(&first.sct.log_id), TILED_LOG);
    assert_eq!(first.status, SctStatus::UnknownLog);
    assert_eq!(
        first.sct.extensions,
        [0x00, 0x00, 0x05, 0x00, 0x0b, 0x56, 0x1c, 0x05],
        "the static-ct-api leaf_index extension is kept verbatim"
    );
    let second = &checked.scts[1];
    assert_eq!(base64_encode(&second.sct.log_id), NIMBUS2026);
    assert_eq!(second.sct.timestamp_ms, 1_779_052_245_100);
    assert_eq!(second.log.unwrap().description, "Cloudflare 'Nimbus2026'");
    assert_eq!(second.status, SctStatus::Valid);
}

#[test]
fn any_changed_byte_of_the_tbs_or_the_issuer_key_breaks_the_signature() {
    let logs = LogList::builtin();
    let parts = precert::embedded(&leaf()).unwrap().unwrap();
    let checked = embedded::check(&leaf(), Some(&sha256(&issuer_spki())), &logs)
        .unwrap()
        .unwrap();
    let nimbus = &checked.scts[1];
    let log = nimbus.log.unwrap();
    let hash = sha256(&issuer_spki());
    assert_eq!(
        verify_one(&nimbus.sct, log, &hash, &parts.precert_tbs),
        SctStatus::Valid
    );
    let mut tbs = parts.precert_tbs.clone();
    for i in 0..tbs.len() {
        tbs[i] ^= 0x01;
        assert!(
            matches!(
                verify_one(&nimbus.sct, log, &hash, &tbs),
                SctStatus::Invalid(_)
            ),
            "TBS byte {i} changed and the SCT still verified"
        );
        tbs[i] ^= 0x01;
    }
    let mut spki = issuer_spki();
    for i in 0..spki.len() {
        spki[i] ^= 0x80;
        assert!(
            matches!(
                verify_one(&nimbus.sct, log, &sha256(&spki), &parts.precert_tbs),
                SctStatus::Invalid(_)
            ),
            "issuer key byte {i} changed and the SCT still verified"
        );
        spki[i] ^= 0x80;
    }
    // The leaf's own TBS (with the SCT list still in it) is not what was signed.
    let full = precert::tbs(&leaf()).unwrap().to_vec();
    assert!(matches!(
        verify_one(&nimbus.sct, log, &hash, &full),
        SctStatus::Invalid(_)
    ));
    // Nor is the right TBS under another issuer's key (the leaf's own).
    let leaf_der = leaf();
    let (_, x) = X509Certificate::from_der(&leaf_der).unwrap();
    assert!(matches!(
        verify_one(
            &nimbus.sct,
            log,
            &sha256(x.public_key().raw),
            &parts.precert_tbs
        ),
        SctStatus::Invalid(_)
    ));
}

#[test]
fn without_the_issuer_nothing_is_claimed() {
    let logs = LogList::builtin();
    let checked = embedded::check(&leaf(), None, &logs).unwrap().unwrap();
    assert_eq!(checked.scts[0].status, SctStatus::NoIssuerKey);
    assert_eq!(checked.scts[1].status, SctStatus::NoIssuerKey);
    let older = list_without_the_tiled_log();
    let checked = embedded::check(&leaf(), None, &older).unwrap().unwrap();
    assert_eq!(checked.scts[0].status, SctStatus::UnknownLog);
}

fn observation(chain: &[Vec<u8>], host: &str) -> mitmwatch_core::model::Observation {
    let mut obs = common::fixtures::observation("public-ok", host);
    obs.chain = chain
        .iter()
        .map(|d| mitmwatch_core::certinfo::cert_record(d))
        .collect();
    obs
}

/// Mozilla's roots, and no static pins: google.ug is pinned to Google's
/// CAs, and this Let's Encrypt certificate is not from them (Chromium
/// blocks it), which is beside the point here.
fn mozilla_analyzer() -> mitmwatch_core::analyze::Analyzer {
    mitmwatch_core::analyze::Analyzer::new(analysis_data_without_pins())
}

fn analysis_data_without_pins() -> mitmwatch_core::analyze::AnalysisData {
    let no_pins =
        r#"{"schema": 1, "description": "none", "sources": [], "pinsets": [], "entries": []}"#;
    mitmwatch_core::analyze::AnalysisData {
        pins: mitmwatch_core::analysis_data::static_pins::PinStore::from_json(no_pins).unwrap(),
        ..mitmwatch_core::analyze::AnalysisData::builtin().unwrap()
    }
}

#[test]
fn the_real_chain_is_clean_and_its_unknown_log_only_informs() {
    use mitmwatch_core::analyze::ValidationTime;
    use mitmwatch_core::model::{FindingCode as C, Severity, Verdict};
    let chain = [leaf(), load("sctvector-issuer-le-r13-d3b128216a843f8e.pem")];
    let at = time::macros::datetime!(2026-06-01 0:00 UTC);
    let a = mozilla_analyzer().assess(&observation(&chain, "google.ug"), ValidationTime::At(at));
    assert_eq!(a.verdict, Verdict::Clean, "{:#?}", a.findings);
    assert!(
        !a.has(C::SctInvalid) && !a.has(C::SctMissing) && !a.has(C::SctUnknownLog),
        "{:#?}",
        a.findings
    );
    // With a list that lacks the static-ct-api log:
    let a = mitmwatch_core::analyze::Analyzer::new(mitmwatch_core::analyze::AnalysisData {
        ct_logs: std::sync::Arc::new(list_without_the_tiled_log()),
        ..analysis_data_without_pins()
    })
    .assess(&observation(&chain, "google.ug"), ValidationTime::At(at));
    assert_eq!(a.verdict, Verdict::Clean, "{:#?}", a.findings);
    assert!(
        !a.has(C::SctInvalid) && !a.has(C::SctMissing),
        "{:#?}",
        a.findings
    );
    let unknown = a
        .findings
        .iter()
        .find(|f| f.code == C::SctUnknownLog)
        .unwrap();
    assert_eq!(unknown.severity, Severity::Info);
    assert!(unknown
        .evidence
        .detail
        .as_ref()
        .unwrap()
        .contains(TILED_LOG));
    // One verified SCT is not enough for either browser, but the list is
    // stale and the unknown log's SCT could make up the difference.
    let policy = a
        .findings
        .iter()
        .find(|f| f.code == C::CtNoncompliant)
        .unwrap();
    assert_eq!(policy.severity, Severity::Info, "{policy:#?}");
}

/// A forgery of google.ug that copies the genuine certificate's names,
/// validity and SCT list, issued under look-alike "R13" and "ISRG Root X1"
/// certificates with fresh keys.
fn copied_chain() -> Vec<Vec<u8>> {
    use rcgen::{
        BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa,
        Issuer, KeyPair,
    };
    let genuine_der = leaf();
    let (_, genuine) = X509Certificate::from_der(&genuine_der).unwrap();
    let name = |pairs: &[(DnType, &str)]| {
        let mut dn = DistinguishedName::new();
        for (t, v) in pairs {
            dn.push(t.clone(), *v);
        }
        dn
    };
    let mut root = CertificateParams::default();
    root.distinguished_name = name(&[
        (DnType::CountryName, "US"),
        (DnType::OrganizationName, "Internet Security Research Group"),
        (DnType::CommonName, "ISRG Root X1"),
    ]);
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root_key = KeyPair::generate().unwrap();
    let root_der = root.self_signed(&root_key).unwrap().der().to_vec();
    let root_issuer = Issuer::new(root, root_key);
    let mut r13 = CertificateParams::default();
    r13.distinguished_name = name(&[
        (DnType::CountryName, "US"),
        (DnType::OrganizationName, "Let's Encrypt"),
        (DnType::CommonName, "R13"),
    ]);
    r13.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let r13_key = KeyPair::generate().unwrap();
    let r13_der = r13
        .signed_by(&r13_key, &root_issuer)
        .unwrap()
        .der()
        .to_vec();
    let r13_issuer = Issuer::new(r13, r13_key);
    let mut forged =
        CertificateParams::new(vec!["*.google.ug".into(), "google.ug".into()]).unwrap();
    forged.distinguished_name = name(&[(DnType::CommonName, "google.ug")]);
    // The usual extensions, so that no other forged-leaf trait shows.
    forged.is_ca = IsCa::ExplicitNoCa;
    forged.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    forged.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    forged.use_authority_key_identifier_extension = true;
    forged.not_before = genuine.validity().not_before.to_datetime();
    forged.not_after = genuine.validity().not_after.to_datetime();
    let sct_ext = genuine
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == "1.3.6.1.4.1.11129.2.4.2")
        .unwrap();
    forged.custom_extensions = vec![CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
        sct_ext.value.to_vec(),
    )];
    let forged_der = forged
        .signed_by(&KeyPair::generate().unwrap(), &r13_issuer)
        .unwrap()
        .der()
        .to_vec();
    vec![forged_der, r13_der, root_der]
}

#[test]
fn copied_scts_on_a_forged_chain_mean_interception() {
    use mitmwatch_core::analyze::ValidationTime;
    use mitmwatch_core::model::{FindingCode as C, Severity, Verdict};
    let at = time::macros::datetime!(2026-06-01 0:00 UTC);
    let a = mozilla_analyzer().assess(
        &observation(&copied_chain(), "google.ug"),
        ValidationTime::At(at),
    );
    assert_eq!(a.verdict, Verdict::Intercepted, "{:#?}", a.findings);
    // The copied SCT list alone makes the verdict.
    let high: Vec<C> = a
        .findings
        .iter()
        .filter(|f| f.severity == Severity::High)
        .map(|f| f.code)
        .collect();
    assert_eq!(high, [C::SctInvalid], "{:#?}", a.findings);
    assert!(!a.has(C::StrippedExtensions) && !a.has(C::SctMissing));
    let invalid = a.findings.iter().find(|f| f.code == C::SctInvalid).unwrap();
    assert_eq!(invalid.severity, Severity::High);
    assert!(invalid
        .evidence
        .detail
        .as_ref()
        .unwrap()
        .contains("Nimbus2026"));
    // Both copied SCTs come from known logs now; neither verifies.
    assert!(!a.has(C::SctUnknownLog), "{:#?}", a.findings);
    assert!(a.has(C::UntrustedRoot));
}

#[test]
fn mangled_certificates_never_panic() {
    use mitmwatch_core::analyze::ValidationTime;
    let logs = LogList::builtin();
    let hash = sha256(&issuer_spki());
    let original = leaf();
    let issuer = load("sctvector-issuer-le-r13-d3b128216a843f8e.pem");
    let analyzer = mozilla_analyzer();
    let at = ValidationTime::At(time::macros::datetime!(2026-06-01 0:00 UTC));
    for i in 0..original.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = original.clone();
            bad[i] ^= flip;
            let _ = embedded::check(&bad, Some(&hash), &logs);
            if i % 7 == 0 && flip == 0xff {
                let _ = analyzer.assess(&observation(&[bad, issuer.clone()], "google.ug"), at);
            }
        }
        let _ = embedded::check(&original[..i], Some(&hash), &logs);
    }
}
