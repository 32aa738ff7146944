//! Certificate Transparency judged with the logs as they stood: an SCT
//! counts if its log was trusted when it made it and still counts at the
//! validation time (`src/ct/standing.rs`), with the states of those dates
//! from the log history (`certs/ct/log_history.json`) and the list. A
//! rejected log's SCT proves nothing, so it does not stop verdict rule 3.
//!
//! The chains are made here (rcgen, with the simulator's CT logs), except a
//! real chain of 2024 (`fixtures/ct/limbo-python-org-2024-*.pem`).

mod common;

use mitmwatch_core::analysis_data::trust_store::{parse_pem_certs, TrustStore};
use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::ct::{LogHistory, LogList, LogState, StateKind};
use mitmwatch_core::encoding::{pem_encode, rfc3339};
use mitmwatch_core::import::pem_dir::file_observation;
use mitmwatch_core::model::{Assessment, Finding, FindingCode as C, Severity, Verdict};
use mitmwatch_sim::ct_logs::{issue_with_scts, SigningLog};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};

/// A CA: its certificate, its SubjectPublicKeyInfo and its issuer.
struct Ca {
    der: Vec<u8>,
    spki: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "CT History Test");
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = datetime!(2020-01-01 0:00 UTC);
    params.not_after = datetime!(2040-01-01 0:00 UTC);
    let key = KeyPair::generate().unwrap();
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca {
        spki: X509Certificate::from_der(&der)
            .unwrap()
            .1
            .public_key()
            .raw
            .to_vec(),
        der,
        issuer: Issuer::new(params, key),
    }
}

/// A leaf for `host` valid from `from` for 90 days, with the SCTs of
/// `logs` made an hour after `from`. `full`: the extensions a public CA
/// puts in; otherwise only the names, as the 2019 Kazakhstan box minted.
fn leaf(ca: &Ca, host: &str, from: OffsetDateTime, logs: &[&SigningLog], full: bool) -> Vec<u8> {
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, host);
    params.serial_number = Some(SerialNumber::from_slice(&[0x4c, 0x0a, 0x71]));
    params.not_before = from;
    params.not_after = from + Duration::days(90);
    if full {
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
    }
    let key = KeyPair::generate().unwrap();
    let made = from + Duration::hours(1);
    issue_with_scts(
        &params,
        &key,
        &ca.issuer,
        &ca.spki,
        logs,
        (made.unix_timestamp() * 1000) as u64,
    )
    .unwrap()
}

fn signing_log(name: &str, operator: &str) -> SigningLog {
    let mut log = SigningLog::generate(name, operator).unwrap();
    log.log.operator_email = vec![format!("ct@{}.invalid", operator.to_lowercase())];
    log
}

/// A list of these logs, each in the state given, dated `date`.
fn list(date: OffsetDateTime, logs: &[(&SigningLog, StateKind, OffsetDateTime)]) -> LogList {
    LogList {
        version: "ct-history-test-1".into(),
        timestamp: date,
        source: "the test's log list".into(),
        logs: logs
            .iter()
            .map(|(signing, kind, since)| {
                let mut log = signing.log.clone();
                log.state = Some(LogState {
                    kind: *kind,
                    since: *since,
                    final_tree_head: None,
                });
                log
            })
            .collect(),
        supplement: None,
    }
}

/// A history in which each log was seen in these states, made from one
/// list version of `seen`.
fn history(
    seen: OffsetDateTime,
    logs: &[(&SigningLog, &[(StateKind, OffsetDateTime)])],
) -> LogHistory {
    let logs: Vec<String> = logs
        .iter()
        .map(|(signing, states)| {
            let states: Vec<String> = states
                .iter()
                .map(|(kind, since)| {
                    let kind = format!("{kind:?}").to_lowercase();
                    format!(r#"["{kind}", "{}", "t1", "t1"]"#, rfc3339(*since))
                })
                .collect();
            format!(
                r#"{{"log_id": "{}", "description": "{}", "states": [{}]}}"#,
                signing.log.id_base64(),
                signing.log.description,
                states.join(", ")
            )
        })
        .collect();
    let json = format!(
        r#"{{"format": "mitmwatch-ct-log-history-1",
            "sources": [{{"version": "t1", "log_list_timestamp": "{}"}}],
            "logs": [{}]}}"#,
        rfc3339(seen),
        logs.join(", ")
    );
    LogHistory::from_json(&json, "the test's history").unwrap()
}

/// The built-in data with this public root as the whole store.
fn data(store_root: &Ca) -> AnalysisData {
    let store = TrustStore::from_pem(
        pem_encode("CERTIFICATE", &store_root.der).as_bytes(),
        "the test's public root",
    )
    .unwrap();
    AnalysisData::with_trust(store).unwrap()
}

/// An analyzer over [`data`] with this CT log list and, if given, history.
fn analyzer(store_root: &Ca, logs: LogList, history: Option<LogHistory>) -> Analyzer {
    let base = data(store_root);
    Analyzer::new(AnalysisData {
        ct_logs: Arc::new(logs),
        ct_history: history.map(Arc::new).unwrap_or(base.ct_history.clone()),
        ..base
    })
}

fn assess(analyzer: &Analyzer, chain: &[&[u8]], host: &str, at: OffsetDateTime) -> Assessment {
    analyzer.assess(
        &file_observation(chain, host.to_string(), at),
        ValidationTime::At(at),
    )
}

fn find(a: &Assessment, code: C) -> Option<&Finding> {
    a.findings.iter().find(|f| f.code == code)
}

fn detail(f: &Finding) -> &str {
    f.evidence.detail.as_deref().unwrap_or("")
}

const NOW: OffsetDateTime = datetime!(2026-03-01 0:00 UTC);

#[test]
fn a_rejected_logs_sct_does_not_stop_a_served_ca_from_being_called_a_minter() {
    // A CA the server sends itself mints a leaf with nothing but names,
    // and embeds a valid SCT from a log Chrome rejected before it.
    let public = ca("Public Root");
    let minter = ca("Inspection CA");
    let exposed = signing_log("Exposed Log", "Exposed Operator");
    let from = NOW - Duration::days(10);
    let forged = leaf(&minter, "bank.example", from, &[&exposed], false);
    let chain: [&[u8]; 2] = [&forged, &minter.der];
    let rejected = list(
        NOW,
        &[(&exposed, StateKind::Rejected, NOW - Duration::days(400))],
    );
    let a = assess(
        &analyzer(&public, rejected, None),
        &chain,
        "bank.example",
        NOW,
    );
    assert!(a.has(C::StrippedExtensions), "{:#?}", a.findings);
    assert!(!a.has(C::PubliclyLogged), "{:#?}", a.findings);
    assert_eq!(a.verdict, Verdict::Intercepted, "{:#?}", a.findings);
    let note = find(&a, C::SctUnknownLog).expect("the SCT is reported");
    assert_eq!(note.severity, Severity::Info);
    assert!(note.title.contains("did not trust"), "{}", note.title);
    assert!(
        note.explanation
            .contains("treated like an SCT from an unknown log"),
        "{}",
        note.explanation
    );
    assert!(
        detail(note).contains("'Exposed Log'")
            && detail(note).contains("rejected (since 2025-01-25)"),
        "{}",
        detail(note)
    );

    // The same SCT from a log that was usable then and is now: the leaf
    // was publicly logged, and rule 3 does not apply.
    let usable = list(
        NOW,
        &[(&exposed, StateKind::Usable, NOW - Duration::days(700))],
    );
    let a = assess(
        &analyzer(&public, usable, None),
        &chain,
        "bank.example",
        NOW,
    );
    let logged = find(&a, C::PubliclyLogged).expect("publicly logged");
    assert!(
        detail(logged).contains("log states as of 2026-03-01"),
        "{}",
        detail(logged)
    );
    assert_eq!(a.verdict, Verdict::Suspicious, "{:#?}", a.findings);
}

#[test]
fn a_log_rejected_after_the_sct_proves_nothing_either() {
    // The log was usable when the SCT claims to have been made, and has
    // been rejected since (its key may have leaked: anyone could backdate
    // an SCT): at the validation time it vouches for nothing.
    let public = ca("Public Root");
    let minter = ca("Inspection CA");
    let exposed = signing_log("Exposed Log", "Exposed Operator");
    let from = NOW - Duration::days(10);
    let forged = leaf(&minter, "bank.example", from, &[&exposed], false);
    let chain: [&[u8]; 2] = [&forged, &minter.der];
    let since = NOW - Duration::days(700);
    let rejected_at = NOW - Duration::days(2);
    let a = assess(
        &analyzer(
            &public,
            list(NOW, &[(&exposed, StateKind::Rejected, rejected_at)]),
            Some(history(since, &[(&exposed, &[(StateKind::Usable, since)])])),
        ),
        &chain,
        "bank.example",
        NOW,
    );
    assert!(!a.has(C::PubliclyLogged), "{:#?}", a.findings);
    assert_eq!(a.verdict, Verdict::Intercepted, "{:#?}", a.findings);
    // Judged before the rejection, the same SCT showed public logging.
    let before = rejected_at - Duration::days(1);
    let a = assess(
        &analyzer(
            &public,
            list(NOW, &[(&exposed, StateKind::Rejected, rejected_at)]),
            Some(history(since, &[(&exposed, &[(StateKind::Usable, since)])])),
        ),
        &chain,
        "bank.example",
        before,
    );
    assert!(a.has(C::PubliclyLogged), "{:#?}", a.findings);
}

/// Two logs of two operators for a 90-day public leaf.
struct TwoLogs {
    public: Ca,
    a: SigningLog,
    b: SigningLog,
}

fn two_logs() -> TwoLogs {
    TwoLogs {
        public: ca("Public Root"),
        a: signing_log("Log A2024", "Operator A"),
        b: signing_log("Log B2024", "Operator B"),
    }
}

const ISSUED: OffsetDateTime = datetime!(2024-05-01 0:00 UTC);
const LISTED: OffsetDateTime = datetime!(2026-01-24 0:00 UTC);
const REJECTED: OffsetDateTime = datetime!(2025-02-01 0:00 UTC);
const USABLE: OffsetDateTime = datetime!(2022-11-01 0:00 UTC);

#[test]
fn an_sct_of_a_log_usable_then_and_rejected_now_counts() {
    let t = two_logs();
    let genuine = leaf(&t.public, "shop.example", ISSUED, &[&t.a, &t.b], true);
    let chain: [&[u8]; 1] = [&genuine];
    // Today's list: A has been rejected since its certificates expired.
    let today = list(
        LISTED,
        &[
            (&t.a, StateKind::Rejected, REJECTED),
            (&t.b, StateKind::Usable, USABLE),
        ],
    );
    let past = history(
        datetime!(2023-06-01 0:00 UTC),
        &[(&t.a, &[(StateKind::Usable, USABLE)])],
    );
    let day_after = ISSUED + Duration::days(1);
    let a = assess(
        &analyzer(&t.public, today.clone(), Some(past.clone())),
        &chain,
        "shop.example",
        day_after,
    );
    assert_eq!(a.verdict, Verdict::Clean);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);

    // Without the history, the list alone cannot say where A stood in 2024.
    let a = assess(
        &analyzer(&t.public, today.clone(), Some(LogHistory::none())),
        &chain,
        "shop.example",
        day_after,
    );
    let f = find(&a, C::CtNoncompliant).expect("not enough SCTs count");
    // A gap in the data is not evidence: with A's SCT, it would comply.
    assert_eq!(f.severity, Severity::Info, "{f:#?}");
    assert!(
        detail(f).contains("Log A2024: no state is known for the log on 2024-05-02 (the log list and its history show none that early)"),
        "{}",
        detail(f)
    );

    // Judged after the rejection, A's SCT no longer counts, and the
    // finding says which states it used.
    let later = REJECTED + Duration::days(10);
    let a = assess(
        &analyzer(&t.public, today, Some(past)),
        &chain,
        "shop.example",
        later,
    );
    let f = find(&a, C::CtNoncompliant).expect("rejected now");
    assert_eq!(f.severity, Severity::Low, "{f:#?}");
    assert!(
        detail(f).contains("Log A2024: the log was rejected (since 2025-02-01) on 2025-02-11"),
        "{}",
        detail(f)
    );
    assert!(
        f.explanation.contains("as they stood on 2025-02-11")
            && detail(f).contains("log states as of 2025-02-11")
            && detail(f).contains("the test's history"),
        "{}\n{}",
        f.explanation,
        detail(f)
    );
}

#[test]
fn an_sct_made_before_its_log_was_trusted_does_not_count() {
    let t = two_logs();
    let genuine = leaf(&t.public, "shop.example", ISSUED, &[&t.a, &t.b], true);
    let chain: [&[u8]; 1] = [&genuine];
    // B was still pending when it signed, and usable a month later.
    let b_usable = ISSUED + Duration::days(30);
    let logs = list(
        LISTED,
        &[
            (&t.a, StateKind::Usable, USABLE),
            (&t.b, StateKind::Usable, b_usable),
        ],
    );
    let past = history(
        datetime!(2023-06-01 0:00 UTC),
        &[(
            &t.b,
            &[(StateKind::Pending, datetime!(2024-01-10 0:00 UTC))],
        )],
    );
    let a = assess(
        &analyzer(&t.public, logs, Some(past)),
        &chain,
        "shop.example",
        b_usable + Duration::days(1),
    );
    let f = find(&a, C::CtNoncompliant).expect("B does not count");
    assert_eq!(f.severity, Severity::Low, "{f:#?}");
    assert!(
        detail(f).contains(
            "Log B2024: the log was pending (since 2024-01-10), not yet trusted, when it made this SCT on 2024-05-01"
        ),
        "{}",
        detail(f)
    );
    assert_eq!(a.verdict, Verdict::Clean);
}

/// The real chain of 2024 in fixtures/ct (see fixtures/README.md).
fn python_org_2024() -> Vec<Vec<u8>> {
    let path = common::fixtures::fixture("ct/limbo-python-org-2024-fe57addcc492e811.pem");
    let pem = std::fs::read(&path).unwrap();
    parse_pem_certs(&pem, "python.org 2024")
        .unwrap()
        .into_iter()
        .map(|c| c.to_vec())
        .collect()
}

#[test]
fn a_real_2024_chain_is_ct_compliant_a_day_after_issuance() {
    // Its SCTs: DigiCert Yeti2024 and Google Xenon2024, both rejected
    // since 2025-02-01 in today's lists, both usable in May 2024.
    let chain = python_org_2024();
    let issued = datetime!(2024-05-09 11:43:12 UTC);
    let day_after = issued + Duration::days(1);
    let analyzer = Analyzer::new(AnalysisData::builtin().unwrap());
    let a = assess(
        &analyzer,
        &[&chain[0], &chain[1]],
        "docs.python.org",
        day_after,
    );
    assert_eq!(a.verdict, Verdict::Clean, "{:#?}", a.findings);
    assert!(!a.has(C::CtNoncompliant), "{:#?}", a.findings);
    assert!(
        !a.has(C::SctInvalid) && !a.has(C::SctUnknownLog),
        "{:#?}",
        a.findings
    );

    // With the lists' current states alone, neither SCT counts in 2024.
    let a = assess(
        &Analyzer::new(AnalysisData {
            ct_history: Arc::new(LogHistory::none()),
            ..AnalysisData::builtin().unwrap()
        }),
        &[&chain[0], &chain[1]],
        "docs.python.org",
        day_after,
    );
    let f = find(&a, C::CtNoncompliant).expect("today's states alone");
    assert_eq!(f.severity, Severity::Info, "{f:#?}");
    assert!(detail(f).contains("Yeti2024"), "{}", detail(f));
}

/// Timestamps nobody can check, on a chain that claims a public root but
/// does not lead to it: a trait of minting (verdict rule 3). The same leaf
/// under a private CA that claims nothing stays merely suspicious.
#[test]
fn unknown_log_scts_on_a_chain_claiming_a_public_root_are_a_trait() {
    let public = ca("Public Root");
    // A look-alike of the public root, and an issuing CA under it.
    let look_alike = ca("Public Root");
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "CT History Test");
    params
        .distinguished_name
        .push(DnType::CommonName, "Public Issuing CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.not_before = datetime!(2020-01-01 0:00 UTC);
    params.not_after = datetime!(2040-01-01 0:00 UTC);
    let der = params
        .signed_by(&key, &look_alike.issuer)
        .unwrap()
        .der()
        .to_vec();
    let claiming = Ca {
        spki: X509Certificate::from_der(&der)
            .unwrap()
            .1
            .public_key()
            .raw
            .to_vec(),
        der,
        issuer: Issuer::new(params, key),
    };
    let unknown = signing_log("Unlisted Log", "Nobody");
    let listed = signing_log("Listed Log", "Somebody");
    let logs = || {
        list(
            NOW,
            &[(&listed, StateKind::Usable, NOW - Duration::days(900))],
        )
    };
    let from = NOW - Duration::days(10);
    let forged = leaf(&claiming, "bank.example", from, &[&unknown], true);
    let a = assess(
        &analyzer(&public, logs(), None),
        &[&forged, &claiming.der],
        "bank.example",
        NOW,
    );
    assert_eq!(
        find(&a, C::SctUnknownLog).map(|f| f.severity),
        Some(Severity::Low)
    );
    assert_eq!(a.verdict, Verdict::Intercepted, "{:#?}", a.findings);
    assert!(a.has(C::MintedLeaf));
    // A private CA in its own name: the unknown log is information only.
    let private = ca("Private CA");
    let own = leaf(&private, "bank.example", from, &[&unknown], true);
    let a = assess(
        &analyzer(&public, logs(), None),
        &[&own, &private.der],
        "bank.example",
        NOW,
    );
    assert_eq!(
        find(&a, C::SctUnknownLog).map(|f| f.severity),
        Some(Severity::Info)
    );
    assert_eq!(a.verdict, Verdict::Suspicious, "{:#?}", a.findings);
}
