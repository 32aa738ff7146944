//! Every way a handshake can fail yields exactly one observation with the
//! right status, within the configured timeout.

mod common;

use common::{collector_to, misbehaving_server, probe, refused_port, Misbehaviour};
use mitmwatch_collect::{Collector, ProbeTls, Router, Timeouts};
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::model::{Status, Target};
use std::time::{Duration, Instant};

#[tokio::test]
async fn refused_port_is_connect_refused() {
    let refused = refused_port().await;
    let c = collector_to(
        refused.addr(),
        &TrustStore::mozilla(),
        Duration::from_secs(2),
    );
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::ConnectRefused);
    assert!(obs.failure.unwrap().contains("127.0.0.1"));
    assert!(obs.chain.is_empty());
}

#[tokio::test]
async fn silent_server_hits_the_handshake_timeout() {
    let addr = misbehaving_server(Misbehaviour::Silent).await;
    let c = collector_to(addr, &TrustStore::mozilla(), Duration::from_millis(400));
    let started = Instant::now();
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::HandshakeTimeout);
    // The lower bound is the claim (the timeout was waited out); the upper
    // one is a generous ceiling (7.5x the timeout) that only catches a hang
    // on a loaded machine, not a measure of speed.
    assert!(obs.duration_ms >= 390.0);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn garbage_is_a_protocol_error() {
    let addr = misbehaving_server(Misbehaviour::Garbage).await;
    let c = collector_to(addr, &TrustStore::mozilla(), Duration::from_secs(2));
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::ProtocolError, "{:?}", obs.failure);
}

#[tokio::test]
async fn close_after_hello_is_an_io_error() {
    let addr = misbehaving_server(Misbehaviour::CloseAfterHello).await;
    let c = collector_to(addr, &TrustStore::mozilla(), Duration::from_secs(2));
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::IoError, "{:?}", obs.failure);
}

#[tokio::test]
async fn alert_is_a_tls_alert() {
    let addr = misbehaving_server(Misbehaviour::Alert).await;
    let c = collector_to(addr, &TrustStore::mozilla(), Duration::from_secs(2));
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::TlsAlert, "{:?}", obs.failure);
    assert!(obs.failure.unwrap().contains("HandshakeFailure"));
}

#[tokio::test]
async fn unresolvable_name_is_dns_failed() {
    let c = Collector::new(
        ProbeTls::new(&TrustStore::mozilla()),
        Router::default(),
        Timeouts {
            connect: Duration::from_secs(5),
            handshake: Duration::from_secs(5),
        },
    );
    // The collector resolves names with the system resolver (getaddrinfo
    // through tokio::net::lookup_host). A name with a NUL byte is refused
    // by the standard library before getaddrinfo is called (it cannot be a
    // C string), so this exercises the resolver-error path without any
    // DNS query or dependence on the machine's resolver configuration.
    let obs = c.probe(&Target::new("nothing\0.invalid", 443)).await;
    assert_eq!(obs.status, Status::DnsFailed, "{:?}", obs.failure);
    let failure = obs.failure.unwrap();
    assert!(failure.starts_with("cannot resolve nothing"), "{failure}");
    assert!(obs.chain.is_empty());
}

#[tokio::test]
async fn a_scan_yields_one_record_per_target_whatever_happens() {
    use std::sync::Arc;
    use tokio::sync::mpsc;
    let sim = mitmwatch_sim::SimNetwork::start(Default::default())
        .await
        .unwrap();
    let refused = refused_port().await;
    let silent = misbehaving_server(Misbehaviour::Silent).await;
    let garbage = misbehaving_server(Misbehaviour::Garbage).await;
    let rules = vec![
        mitmwatch_collect::ConnectTo::parse(&format!("refused.test::127.0.0.1:{}", refused.port()))
            .unwrap(),
        mitmwatch_collect::ConnectTo::parse(&format!("silent.test::127.0.0.1:{}", silent.port()))
            .unwrap(),
        mitmwatch_collect::ConnectTo::parse(&format!("garbage.test::127.0.0.1:{}", garbage.port()))
            .unwrap(),
        sim.via_interceptor(),
    ];
    let collector = Arc::new(Collector::new(
        ProbeTls::new(&sim.trust_store()),
        Router::new(rules, vec![]),
        Timeouts {
            connect: Duration::from_millis(500),
            handshake: Duration::from_millis(500),
        },
    ));
    let names = [
        "refused.test",
        "silent.test",
        "garbage.test",
        "facebook.com",
        "github.com",
    ];
    let (ttx, trx) = mpsc::channel(2);
    let (otx, mut orx) = mpsc::channel(2);
    let task = tokio::spawn(mitmwatch_collect::scan(collector, trx, 2, otx));
    let feeder = tokio::spawn(async move {
        for round in 0..4 {
            for n in names {
                ttx.send(Target::new(n, 443 - round)).await.unwrap();
            }
        }
    });
    let mut seen = std::collections::HashMap::new();
    while let Some(obs) = orx.recv().await {
        *seen
            .entry((obs.target.host.clone(), obs.target.port))
            .or_insert(0) += 1;
    }
    task.await.unwrap();
    feeder.await.unwrap();
    assert_eq!(seen.len(), 20);
    assert!(seen.values().all(|n| *n == 1));
}
