//! The collector against the simulated network: intercepted names show the
//! forged chain, passed-through names the genuine one, and each record is
//! complete.

mod common;

use common::{collector_to, probe};
use mitmwatch_core::encoding::{base64_decode, sha256_hex};
use mitmwatch_core::model::Status;
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::time::Duration;
use x509_parser::prelude::{FromDer, X509Certificate};

fn parse(der_b64: &str) -> Vec<u8> {
    base64_decode(der_b64).unwrap()
}

#[tokio::test]
async fn intercepted_names_get_a_forged_chain_like_2019() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let store = sim.trust_store();
    let via_box = collector_to(sim.interceptor, &store, Duration::from_secs(5));
    let direct = collector_to(sim.origin, &store, Duration::from_secs(5));

    let forged = probe(&via_box, "facebook.com").await;
    let genuine = probe(&direct, "facebook.com").await;
    assert_eq!(forged.status, Status::Ok, "{:?}", forged.failure);
    assert_eq!(genuine.status, Status::Ok, "{:?}", genuine.failure);

    // The chain: forged leaf, then the box's intermediate.
    assert_eq!(forged.chain.len(), 2);
    assert_eq!(
        forged.chain[0].issuer.as_deref(),
        Some("C=KZ, CN=Security Certificate")
    );
    assert_eq!(
        forged.chain[1].subject.as_deref(),
        Some("C=KZ, CN=Security Certificate")
    );
    assert_eq!(
        forged.chain[1].issuer.as_deref(),
        Some("C=KZ, CN=Qaznet Trust Network")
    );
    // Stock verification against the public root fails, but is only recorded.
    let stock = forged.stock_verification.as_ref().unwrap();
    assert!(!stock.ok);
    assert!(stock.error.as_ref().unwrap().contains("UnknownIssuer"));
    assert!(genuine.stock_verification.as_ref().unwrap().ok);

    // Forged leaf: same subject and SAN, validity six hours earlier, serial
    // differs only in its low 33 bits, every other extension stripped.
    let f_der = parse(&forged.chain[0].der);
    let g_der = parse(&genuine.chain[0].der);
    let (_, f) = X509Certificate::from_der(&f_der).unwrap();
    let (_, g) = X509Certificate::from_der(&g_der).unwrap();
    assert_eq!(f.subject().to_string(), g.subject().to_string());
    assert_eq!(
        f.subject_alternative_name().unwrap().unwrap().value,
        g.subject_alternative_name().unwrap().unwrap().value
    );
    let shift = g.validity().not_before.timestamp() - f.validity().not_before.timestamp();
    assert_eq!(shift, 6 * 3600);
    let (fs, gs) = (f.raw_serial(), g.raw_serial());
    assert_eq!(fs.len(), gs.len());
    let cut = fs.len() - 5;
    assert_eq!(fs[..cut], gs[..cut]);
    assert_eq!(fs[cut] & 0xfe, gs[cut] & 0xfe);
    assert_eq!(f.extensions().len(), 1, "only the SAN is kept");
    assert!(g.extensions().len() >= 4);

    // The box speaks TLS 1.2 with http/1.1; the origin TLS 1.3 with h2.
    assert_eq!(forged.tls.as_ref().unwrap().version, "TLSv1.2");
    assert_eq!(genuine.tls.as_ref().unwrap().version, "TLSv1.3");
    assert_eq!(genuine.tls.as_ref().unwrap().alpn.as_deref(), Some("h2"));
}

#[tokio::test]
async fn passed_through_names_get_the_genuine_chain() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let store = sim.trust_store();
    let via_box = collector_to(sim.interceptor, &store, Duration::from_secs(5));
    let direct = collector_to(sim.origin, &store, Duration::from_secs(5));
    for name in ["wikipedia.org", "github.com", "example.com"] {
        let through = probe(&via_box, name).await;
        let straight = probe(&direct, name).await;
        assert_eq!(through.status, Status::Ok);
        let a: Vec<_> = through.chain.iter().map(|c| &c.sha256).collect();
        let b: Vec<_> = straight.chain.iter().map(|c| &c.sha256).collect();
        assert_eq!(a, b, "{name}: the box must not touch passed-through names");
        assert!(through.stock_verification.unwrap().ok);
        assert_eq!(through.tls.unwrap().version, "TLSv1.3");
    }
}

#[tokio::test]
async fn recorded_fingerprints_are_recomputable_from_the_der() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let via_box = common::box_collector(&sim);
    let obs = probe(&via_box, "vk.com").await;
    for cert in &obs.chain {
        let der = parse(&cert.der);
        assert_eq!(cert.sha256.to_string(), sha256_hex(&der));
        let (_, x) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(
            cert.spki_sha256.map(|f| f.to_string()),
            Some(sha256_hex(x.public_key().raw))
        );
    }
    let json = serde_json::to_string(&obs).unwrap();
    let back: mitmwatch_core::model::Observation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, obs);
}

#[tokio::test]
async fn no_sni_is_passed_through_even_for_target_addresses() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let via_box = common::box_collector(&sim);
    let mut target = mitmwatch_core::model::Target::new("facebook.com", 443);
    target.sni = None;
    let obs = via_box.probe(&target).await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.failure);
    // Without SNI the box cannot tell the name: the origin's default leaf comes back.
    assert_eq!(
        obs.chain[0].subject.as_deref(),
        Some("CN=origin.sim.invalid")
    );
}
