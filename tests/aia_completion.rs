//! Chain completion as browsers do it, offline: a TLS server on 127.0.0.1
//! sends only its leaf; the leaf's AIA caIssuers URL points at an HTTP
//! server in this test that serves the missing intermediate (DER, PKCS#7,
//! PEM) or misbehaves (garbage, 10 MB, a redirect loop, silence, 404,
//! https and ldap URLs). The collector records each fetch apart from the
//! served chain; the analyzer judges the completed chain as trusted with
//! an `incomplete-chain` note, and `--intermediates` completes a chain at
//! analysis time without any fetch.

mod common;

use common::hostile::{tls_server_with_chain, TlsServer};
use common::http::{HttpServer, Reply};
use common::{binary, collector_to};
use mitmwatch_collect::AiaLimits;
use mitmwatch_core::analysis_data::intermediates::IntermediatePool;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::model::{
    Assessment, FetchOutcome, FindingCode, Observation, Severity, Status, Verdict,
};
use rcgen::{BasicConstraints, CertificateParams, CustomExtension, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A test root and the intermediate it signed; leaves are signed by the intermediate.
struct Pki {
    root_pem: String,
    intermediate: CertificateDer<'static>,
    /// A CA certificate named like the intermediate, under another key.
    impostor: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

fn pki() -> Pki {
    let root_key = KeyPair::generate().unwrap();
    let mut root_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    root_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "AIA Test Root");
    root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = Issuer::new(root_params, root_key);
    let int_key = KeyPair::generate().unwrap();
    let mut int_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    int_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "AIA Test Issuing CA");
    int_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let intermediate = int_params.signed_by(&int_key, &root_issuer).unwrap();
    let impostor = int_params
        .self_signed(&KeyPair::generate().unwrap())
        .unwrap();
    Pki {
        root_pem: root.pem(),
        intermediate: intermediate.der().clone(),
        impostor: impostor.der().clone(),
        issuer: Issuer::new(int_params, int_key),
    }
}

fn der_len(n: usize) -> Vec<u8> {
    match n {
        0..=127 => vec![n as u8],
        128..=255 => vec![0x81, n as u8],
        _ => vec![0x82, (n >> 8) as u8, n as u8],
    }
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    [vec![tag], der_len(body.len()), body.to_vec()].concat()
}

/// An AIA extension value listing caIssuers `ca_issuers` and an OCSP URL.
fn aia_extension(ca_issuers: &[String], ocsp: &str) -> CustomExtension {
    let ca_oid = tlv(0x06, &[0x2b, 6, 1, 5, 5, 7, 0x30, 0x02]);
    let ocsp_oid = tlv(0x06, &[0x2b, 6, 1, 5, 5, 7, 0x30, 0x01]);
    let mut descs: Vec<Vec<u8>> = ca_issuers
        .iter()
        .map(|u| tlv(0x30, &[ca_oid.clone(), tlv(0x86, u.as_bytes())].concat()))
        .collect();
    descs.push(tlv(0x30, &[ocsp_oid, tlv(0x86, ocsp.as_bytes())].concat()));
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], tlv(0x30, &descs.concat()))
}

/// A TLS server for `name` that sends only a leaf (issued by the test
/// intermediate) whose AIA lists `ca_issuers`.
async fn leaf_only_server(pki: &Pki, name: &str, ca_issuers: &[String], ocsp: &str) -> SocketAddr {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
    params.custom_extensions = vec![aia_extension(ca_issuers, ocsp)];
    let leaf = params.signed_by(&key, &pki.issuer).unwrap();
    let signer = rustls::crypto::ring::sign::any_supported_type(&PrivateKeyDer::Pkcs8(
        key.serialize_der().into(),
    ))
    .unwrap();
    let certified = rustls::sign::CertifiedKey::new(vec![], signer);
    tls_server_with_chain(TlsServer::default(), vec![leaf.der().clone()], &certified)
        .await
        .0
}

/// A certs-only PKCS#7 SignedData, as `openssl crl2pkcs7 -nocrl` writes it.
fn pkcs7(certs: &[&[u8]]) -> Vec<u8> {
    let data_oid = tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 7, 1]);
    let signed = [
        tlv(0x02, &[1]),
        tlv(0x31, &[]),
        tlv(0x30, &data_oid),
        tlv(0xa0, &certs.concat()),
        tlv(0x31, &[]),
    ]
    .concat();
    let signed_oid = tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 7, 2]);
    tlv(0x30, &[signed_oid, tlv(0xa0, &tlv(0x30, &signed))].concat())
}

/// The AIA server of the tests: the intermediate as DER, PKCS#7 and PEM,
/// a redirect to it, an impostor, and hostile answers (garbage, a 10 MiB
/// body, a redirect loop, a redirect to https, silence, 404).
fn http_server(pki: &Pki) -> HttpServer {
    let der = pki.intermediate.to_vec();
    let routes = [
        (
            "/int.der",
            Reply::Typed(der.clone(), "application/pkix-cert"),
        ),
        (
            "/int.p7c",
            Reply::Typed(pkcs7(&[&der]), "application/pkcs7-mime"),
        ),
        (
            "/int.pem",
            Reply::Typed(
                mitmwatch_core::encoding::pem_encode("CERTIFICATE", &der).into_bytes(),
                "application/x-pem-file",
            ),
        ),
        ("/moved", Reply::Redirect("/int.der".into())),
        (
            "/impostor.der",
            Reply::Typed(pki.impostor.to_vec(), "application/pkix-cert"),
        ),
        (
            "/garbage",
            Reply::Typed(b"<html><body>Not here</body></html>".to_vec(), "text/html"),
        ),
        ("/loop", Reply::Redirect("/loop".into())),
        (
            "/to-https",
            Reply::Redirect("https://127.0.0.1:1/int.der".into()),
        ),
        ("/huge", Reply::Huge(10 * 1024 * 1024)),
        ("/silent", Reply::Stall),
    ];
    HttpServer::start(
        routes
            .into_iter()
            .map(|(path, reply)| (path.to_string(), reply))
            .collect(),
    )
}

/// The built-in data with `store` and no intermediate pool (the shipped
/// pool is the default; these tests add the one they need).
fn analyzer(store: TrustStore) -> Analyzer {
    analyzer_with_pool(store, IntermediatePool::default())
}

fn analyzer_with_pool(store: TrustStore, intermediates: IntermediatePool) -> Analyzer {
    Analyzer::new(mitmwatch_core::analyze::AnalysisData {
        intermediates,
        ..mitmwatch_core::analyze::AnalysisData::with_trust(store).unwrap()
    })
}

/// The `incomplete-chain` note of a chain completed with unsent certificates.
fn completion_note(a: &Assessment) -> Option<&mitmwatch_core::model::Finding> {
    a.findings.iter().find(|f| {
        f.code == FindingCode::IncompleteChain
            && f.evidence
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("certificates not sent"))
    })
}

fn sha256_hex(der: &[u8]) -> String {
    mitmwatch_core::encoding::sha256_hex(der)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetched_issuer_in_der_pkcs7_or_pem_completes_the_chain() {
    let pki = pki();
    let http = http_server(&pki);
    let store = TrustStore::from_pem(pki.root_pem.as_bytes(), "aia-root.pem").unwrap();
    let analyzer = analyzer(store.clone());
    for path in ["/int.der", "/int.p7c", "/int.pem", "/moved"] {
        let name = "aia.example";
        let server = leaf_only_server(&pki, name, &[http.url(path)], &http.url("/ocsp")).await;
        let collector =
            collector_to(server, &store, Duration::from_secs(5)).with_aia(AiaLimits::default());
        let obs = common::probe(&collector, name).await;
        assert_eq!(obs.status, Status::Ok, "{path}: {obs:?}");
        assert_eq!(obs.chain.len(), 1, "{path}: the served chain stays as sent");
        assert_eq!(
            obs.fetched_issuers.len(),
            1,
            "{path}: {:?}",
            obs.fetched_issuers
        );
        let fetch = &obs.fetched_issuers[0];
        assert_eq!(fetch.outcome, FetchOutcome::Ok, "{path}: {fetch:?}");
        assert_eq!(fetch.url, http.url(path));
        assert_eq!(fetch.for_cert, obs.chain[0].sha256);
        assert_eq!(fetch.certificates.len(), 1);
        assert_eq!(
            fetch.certificates[0].sha256.to_string(),
            sha256_hex(&pki.intermediate)
        );
        if path == "/moved" {
            assert!(
                fetch.detail.as_deref().unwrap_or("").contains("/int.der"),
                "the redirect is noted: {fetch:?}"
            );
        }

        let a = analyzer.assess(&obs, ValidationTime::Observed);
        let note = completion_note(&a).unwrap_or_else(|| panic!("{path}: {:#?}", a.findings));
        assert_eq!(note.severity, Severity::Info);
        assert!(
            note.explanation.contains(&http.url(path)),
            "{}",
            note.explanation
        );
        assert_eq!(
            note.evidence.sha256.map(|f| f.to_string()),
            Some(sha256_hex(&pki.intermediate))
        );
        assert_eq!(a.verdict, Verdict::Clean, "{path}: {:#?}", a.findings);
        assert!(!a
            .findings
            .iter()
            .any(|f| f.code == FindingCode::UntrustedRoot));
    }
    // The OCSP URL next to the caIssuers URL is never requested.
    let requested = http.requested();
    assert!(!requested.iter().any(|p| p == "/ocsp"), "{requested:?}");
    assert_eq!(requested.len(), 5, "{requested:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_aia_answers_are_recorded_and_bounded() {
    let pki = pki();
    let http = http_server(&pki);
    let store = TrustStore::from_pem(pki.root_pem.as_bytes(), "aia-root.pem").unwrap();
    let urls = vec![
        "https://127.0.0.1:1/int.der".to_string(),
        "ldap://ldap.invalid/cn=CA".to_string(),
        http.url("/garbage"),
        http.url("/huge"),
        http.url("/loop"),
        http.url("/silent"),
        http.url("/missing"),
    ];
    let server = leaf_only_server(&pki, "hostile-aia.example", &urls, &http.url("/ocsp")).await;
    let limits = AiaLimits {
        per_fetch: Duration::from_secs(1),
        max_fetches: 4,
        ..AiaLimits::default()
    };
    let collector = collector_to(server, &store, Duration::from_secs(5)).with_aia(limits);
    let started = Instant::now();
    let obs = common::probe(&collector, "hostile-aia.example").await;
    let took = started.elapsed();
    assert_eq!(obs.status, Status::Ok, "{obs:?}");
    let outcomes: Vec<(&str, FetchOutcome)> = obs
        .fetched_issuers
        .iter()
        .map(|f| (f.url.as_str(), f.outcome))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (urls[0].as_str(), FetchOutcome::SkippedScheme),
            (urls[1].as_str(), FetchOutcome::SkippedScheme),
            (urls[2].as_str(), FetchOutcome::NotACertificate),
            (urls[3].as_str(), FetchOutcome::TooLarge),
            (urls[4].as_str(), FetchOutcome::TooManyRedirects),
            (urls[5].as_str(), FetchOutcome::Timeout),
            (urls[6].as_str(), FetchOutcome::SkippedLimit),
        ],
        "{:#?}",
        obs.fetched_issuers
    );
    assert!(obs
        .fetched_issuers
        .iter()
        .all(|f| f.certificates.is_empty()));
    assert!(obs.fetched_issuers[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("https"));
    assert!(took < Duration::from_secs(8), "took {took:?}");
    // Nothing was requested beyond the budget; the redirect loop stopped
    // after 3 redirects (4 requests).
    let requested = http.requested();
    assert!(
        !requested.iter().any(|p| p == "/missing" || p == "/ocsp"),
        "{requested:?}"
    );
    assert_eq!(
        requested.iter().filter(|p| *p == "/loop").count(),
        4,
        "{requested:?}"
    );
    // Nothing completed the chain: it is not trusted.
    let a = analyzer(store.clone()).assess(&obs, ValidationTime::Observed);
    assert!(completion_note(&a).is_none(), "{:#?}", a.findings);

    // A certificate named like the issuer, but with another key, is
    // recorded and does not make the chain trusted.
    let server = leaf_only_server(
        &pki,
        "impostor.example",
        &[http.url("/impostor.der")],
        &http.url("/ocsp"),
    )
    .await;
    let collector =
        collector_to(server, &store, Duration::from_secs(5)).with_aia(AiaLimits::default());
    let obs = common::probe(&collector, "impostor.example").await;
    assert_eq!(obs.fetched_issuers.len(), 1);
    assert_eq!(obs.fetched_issuers[0].outcome, FetchOutcome::Ok);
    assert_eq!(
        obs.fetched_issuers[0].certificates[0].sha256.to_string(),
        sha256_hex(&pki.impostor)
    );
    let a = analyzer(store.clone()).assess(&obs, ValidationTime::Observed);
    assert!(completion_note(&a).is_none(), "{:#?}", a.findings);

    // A redirect to https is not followed.
    let server = leaf_only_server(
        &pki,
        "to-https.example",
        &[http.url("/to-https")],
        &http.url("/ocsp"),
    )
    .await;
    let collector = collector_to(
        server,
        &TrustStore::from_pem(pki.root_pem.as_bytes(), "r").unwrap(),
        Duration::from_secs(5),
    )
    .with_aia(AiaLimits::default());
    let obs = common::probe(&collector, "to-https.example").await;
    assert_eq!(obs.fetched_issuers.len(), 1);
    assert_eq!(obs.fetched_issuers[0].outcome, FetchOutcome::SkippedScheme);
    assert!(obs.fetched_issuers[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("redirected to https://"));
}

fn observations(stdout: &[u8]) -> Vec<Observation> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is an observation"))
        .collect()
}

fn assessments(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "assessment")
        .collect()
}

fn has_completion(a: &serde_json::Value, origin: &str) -> bool {
    a["findings"].as_array().unwrap().iter().any(|f| {
        f["code"] == "incomplete-chain"
            && f["evidence"]["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("certificates not sent"))
            && f["explanation"]
                .as_str()
                .is_some_and(|e| e.contains(origin))
    })
}

/// The binary: `scan` fetches (unless `--no-aia`), `analyze` completes with
/// what was fetched, and `--intermediates` completes offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_fetches_analyze_completes_and_intermediates_work_offline() {
    let pki = pki();
    let http = http_server(&pki);
    let server = leaf_only_server(
        &pki,
        "cli-aia.example",
        &[http.url("/int.der")],
        &http.url("/ocsp"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("root.pem");
    std::fs::write(&roots, &pki.root_pem).unwrap();
    let ints = dir.path().join("ints.pem");
    std::fs::write(
        &ints,
        mitmwatch_core::encoding::pem_encode("CERTIFICATE", &pki.intermediate),
    )
    .unwrap();
    let connect = format!("::127.0.0.1:{}", server.port());
    let scan = |extra: &'static [&'static str]| {
        let mut cmd = tokio::process::Command::new(binary());
        cmd.args([
            "scan",
            "cli-aia.example",
            "--quiet",
            "--connect-to",
            &connect,
        ])
        .arg("--roots")
        .arg(&roots)
        .args(extra)
        .stdin(Stdio::null());
        cmd.output()
    };
    let with = scan(&[]).await.unwrap();
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    let obs = observations(&with.stdout);
    assert_eq!(obs.len(), 1);
    assert_eq!(obs[0].fetched_issuers.len(), 1, "{:?}", obs[0]);
    assert_eq!(obs[0].fetched_issuers[0].outcome, FetchOutcome::Ok);

    let without = scan(&["--no-aia"]).await.unwrap();
    assert!(without.status.success());
    let obs_without = observations(&without.stdout);
    assert!(obs_without[0].fetched_issuers.is_empty());
    assert!(
        !String::from_utf8_lossy(&without.stdout).contains("fetched_issuers"),
        "an empty list is not written"
    );
    assert_eq!(http.requested().len(), 1, "--no-aia fetched nothing");

    let analyze = |input: &[u8], extra: Vec<std::ffi::OsString>| {
        let path = dir.path().join(format!("obs-{}.jsonl", extra.len()));
        std::fs::write(&path, input).unwrap();
        let out = std::process::Command::new(binary())
            .arg("analyze")
            .arg(&path)
            .args(["--format", "json", "--roots"])
            .arg(&roots)
            .args(extra)
            .output()
            .unwrap();
        assessments(&out.stdout)
    };
    let judged = analyze(&with.stdout, vec![]);
    assert_eq!(judged[0]["verdict"], "clean", "{:#}", judged[0]);
    assert!(
        has_completion(&judged[0], &http.url("/int.der")),
        "{:#}",
        judged[0]
    );

    let judged = analyze(&without.stdout, vec![]);
    assert!(!has_completion(&judged[0], ""), "{:#}", judged[0]);

    let judged = analyze(
        &without.stdout,
        vec!["--intermediates".into(), ints.clone().into()],
    );
    assert_eq!(judged[0]["verdict"], "clean", "{:#}", judged[0]);
    assert!(
        has_completion(&judged[0], "--intermediates file"),
        "{:#}",
        judged[0]
    );
    assert_eq!(http.requested().len(), 1, "analysis never fetches");

    // A file that is not PEM is refused with its name.
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let out = std::process::Command::new(binary())
        .arg("analyze")
        .arg(dir.path().join("obs-0.jsonl"))
        .arg("--intermediates")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.pem"));
}

/// A real Let's Encrypt leaf (google.ug, issued by R13; see
/// fixtures/README.md) recorded without its issuer: Mozilla's roots alone
/// cannot build its chain; with the shipped set, R13 completes it.
#[test]
fn the_shipped_set_completes_a_real_lets_encrypt_leaf() {
    let pem = std::fs::read(common::fixtures::fixture(
        "ct/sctvector-leaf-google-ug-289ed1676f42b679.pem",
    ))
    .unwrap();
    let leaf =
        mitmwatch_core::analysis_data::trust_store::parse_pem_certs(&pem, "google.ug").unwrap();
    let at = time::macros::datetime!(2026-06-01 0:00 UTC);
    let obs = mitmwatch_core::import::pem_dir::file_observation(&leaf, "google.ug".into(), at);
    let when = ValidationTime::At(at);

    let plain = analyzer(TrustStore::mozilla()).assess(&obs, when);
    assert!(completion_note(&plain).is_none(), "{:#?}", plain.findings);

    let pool = IntermediatePool::shipped().unwrap();
    let completed = analyzer_with_pool(TrustStore::mozilla(), pool).assess(&obs, when);
    let note = completion_note(&completed).unwrap_or_else(|| panic!("{:#?}", completed.findings));
    assert!(
        note.explanation
            .contains("shipped set of issuing CAs (certs/intermediates/lets-encrypt-r13.pem)"),
        "{}",
        note.explanation
    );
    assert_eq!(
        note.evidence.sha256.map(|f| f.to_string()).as_deref(),
        Some("d3b128216a843f8ef1321501f5df52a5df52939ee2c19297712cd3de4d419354")
    );
    assert!(!completed
        .findings
        .iter()
        .any(|f| f.code == FindingCode::UntrustedRoot));
    // The verdict is left to the verdict rules: google.ug has static pins
    // for Google's CAs, which this Let's Encrypt chain does not meet.
}
