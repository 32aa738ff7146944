//! The observation format as documented in docs/formats.md, re-declared here
//! with `deny_unknown_fields`: adding, renaming or removing a field in
//! `crates/core/src/model/` without updating this file (and docs/formats.md, and the
//! `schema` number when incompatible) fails this test.

mod common;

use mitmwatch_sim::{SimConfig, SimNetwork};
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Observation {
    schema: u32,
    tool: String,
    target: Target,
    address: Option<String>,
    route: Option<String>,
    started_at: String,
    duration_ms: f64,
    status: String,
    failure: Option<String>,
    tls: Option<Tls>,
    chain: Vec<Cert>,
    stock_verification: Option<Stock>,
    #[serde(default)]
    imported: Option<Imported>,
    #[serde(default)]
    fetched_issuers: Vec<FetchedIssuer>,
    #[serde(default)]
    proxy: Option<String>,
    #[serde(default)]
    starttls: Option<String>,
}

const STARTTLS: [&str; 6] = ["smtp", "imap", "pop3", "xmpp", "ftp", "postgres"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FetchedIssuer {
    url: String,
    for_cert: String,
    outcome: String,
    detail: Option<String>,
    #[serde(default)]
    certificates: Vec<Cert>,
}

const FETCH_OUTCOMES: [&str; 8] = [
    "ok",
    "skipped-scheme",
    "skipped-limit",
    "http-error",
    "timeout",
    "too-large",
    "too-many-redirects",
    "not-a-certificate",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Imported {
    format: String,
    reference: String,
    leaf_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Target {
    host: String,
    port: u16,
    sni: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Tls {
    version: String,
    cipher_suite: String,
    kx_group: Option<String>,
    alpn: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Cert {
    der: String,
    sha256: String,
    spki_sha256: Option<String>,
    subject: Option<String>,
    issuer: Option<String>,
    serial: Option<String>,
    not_before: Option<String>,
    not_after: Option<String>,
    parse_error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Stock {
    trust_store: String,
    ok: bool,
    error: Option<String>,
}

const STATUSES: [&str; 11] = [
    "ok",
    "dns-failed",
    "connect-refused",
    "connect-timeout",
    "connect-failed",
    "handshake-timeout",
    "tls-alert",
    "protocol-error",
    "io-error",
    "proxy-failed",
    "starttls-failed",
];

#[tokio::test]
async fn records_match_the_documented_schema() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let c = common::box_collector(&sim);
    let held = common::refused_port().await;
    let refused = common::collector_to(held.addr(), &sim.trust_store(), Duration::from_secs(1));
    for obs in [
        common::probe(&c, "google.com").await,
        common::probe(&c, "example.com").await,
        common::probe(&refused, "example.com").await,
    ] {
        let line = serde_json::to_string(&obs).unwrap();
        let parsed: Observation = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed.schema, mitmwatch_core::model::OBSERVATION_SCHEMA);
        assert!(STATUSES.contains(&parsed.status.as_str()));
        assert!(time::OffsetDateTime::parse(
            &parsed.started_at,
            &time::format_description::well_known::Rfc3339
        )
        .is_ok());
        assert_eq!(parsed.failure.is_some(), parsed.status != "ok");
        // mitmwatch's own records carry no `imported` key at all, and no
        // `fetched_issuers` when nothing was fetched.
        assert!(!line.contains("\"imported\""));
        assert!(!line.contains("\"fetched_issuers\""));
        // Direct, plain TLS: no `proxy` or `starttls` key.
        assert!(!line.contains("\"proxy\"") && !line.contains("\"starttls\""));
    }
}

#[tokio::test]
async fn proxy_and_starttls_fields_match_the_documented_schema() {
    // A proxy that refuses every CONNECT, and a STARTTLS server that never greets.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut buf = [0u8; 1024];
            let _ = tcp.read(&mut buf).await;
            let _ = tcp.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
        }
    });
    let flags = mitmwatch_collect::ProxyFlags {
        proxy: Some(format!("http://user:pw@{proxy}")),
        noproxy: None,
        ignore_env: true,
    };
    let settings = mitmwatch_collect::ProxySettings::resolve(&flags, |_| None).unwrap();
    let silent = common::misbehaving_server(common::Misbehaviour::Silent).await;
    let store = mitmwatch_core::analysis_data::trust_store::TrustStore::mozilla();
    let via_proxy =
        common::collector_to(silent, &store, Duration::from_secs(1)).with_proxy(settings);
    let starttls = common::collector_to(silent, &store, Duration::from_secs(1))
        .with_starttls(Some(mitmwatch_core::model::StartTls::Smtp));
    for (obs, status) in [
        (
            common::probe(&via_proxy, "example.com").await,
            "proxy-failed",
        ),
        (
            common::probe(&starttls, "example.com").await,
            "starttls-failed",
        ),
    ] {
        let line = serde_json::to_string(&obs).unwrap();
        let parsed: Observation = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed.status, status, "{line}");
        if let Some(p) = &parsed.proxy {
            assert_eq!(*p, format!("http://{proxy}"), "credentials removed");
        }
        if let Some(s) = &parsed.starttls {
            assert!(STARTTLS.contains(&s.as_str()));
        }
        assert!(
            parsed.proxy.is_some() || parsed.starttls.is_some(),
            "{line}"
        );
    }
    let implemented: Vec<&str> = mitmwatch_core::model::StartTls::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(implemented, STARTTLS);
    let readme = include_str!("../docs/formats.md");
    for s in STARTTLS {
        assert!(
            readme.contains(&format!("`{s}`")),
            "docs/formats.md must document {s}"
        );
    }
}

#[test]
fn imported_records_match_the_documented_schema() {
    let path = common::fixtures::fixture("ooni/web_connectivity.jsonl");
    let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let result = mitmwatch_core::import::ooni::read(file, "web_connectivity.jsonl");
    assert!(!result.observations.is_empty());
    for obs in &result.observations {
        let line = serde_json::to_string(obs).unwrap();
        let parsed: Observation = serde_json::from_str(&line).unwrap();
        let imported = parsed.imported.expect("imported records say so");
        assert_eq!(imported.format, "ooni");
        assert!(STATUSES.contains(&parsed.status.as_str()));
    }
}

#[test]
fn the_documented_status_set_is_the_implemented_one() {
    let implemented: Vec<&str> = mitmwatch_core::model::Status::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(implemented, STATUSES);
    let readme = include_str!("../docs/formats.md");
    for s in STATUSES {
        assert!(
            readme.contains(&format!("`{s}`")),
            "docs/formats.md must document status {s}"
        );
    }
}

#[test]
fn fetched_issuers_match_the_documented_schema() {
    let cert = rcgen::CertificateParams::new(vec!["ca.example".to_string()])
        .unwrap()
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let mut obs = mitmwatch_core::import::pem_dir::file_observation(
        &[cert.der()],
        "aia.example".into(),
        time::OffsetDateTime::now_utc(),
    );
    for outcome in mitmwatch_core::model::FetchOutcome::ALL {
        obs.fetched_issuers
            .push(mitmwatch_core::model::FetchedIssuer {
                url: "http://ca.example/ca.der".into(),
                for_cert: mitmwatch_core::model::Fingerprint::default(),
                outcome,
                detail: Some("why".into()),
                certificates: match outcome {
                    mitmwatch_core::model::FetchOutcome::Ok => {
                        vec![mitmwatch_core::certinfo::cert_record(cert.der())]
                    }
                    _ => Vec::new(),
                },
            });
    }
    let line = serde_json::to_string(&obs).unwrap();
    let parsed: Observation = serde_json::from_str(&line).unwrap();
    let outcomes: Vec<&str> = parsed
        .fetched_issuers
        .iter()
        .map(|f| f.outcome.as_str())
        .collect();
    assert_eq!(outcomes, FETCH_OUTCOMES);
    assert_eq!(parsed.fetched_issuers[0].certificates.len(), 1);
    let readme = include_str!("../docs/formats.md");
    for o in FETCH_OUTCOMES {
        assert!(
            readme.contains(&format!("`{o}`")),
            "docs/formats.md must document fetch outcome {o}"
        );
    }
    assert!(readme.contains("`fetched_issuers`"));
}
