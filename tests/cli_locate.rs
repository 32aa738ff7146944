//! `mitmwatch locate` without namespaces, as any user: on 127.0.0.1 the
//! simulated origin answers at hop 1, where the address itself answers
//! UDP; a refused port gives no certificate (exit 3); bad input exits 1
//! and names it. The record format is re-declared here with
//! `deny_unknown_fields`, as docs/formats.md documents it.
#![cfg(target_os = "linux")]

mod common;

use common::{assert_exit, binary};
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde::Deserialize;
use serde_json::Value;
use tokio::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Record {
    schema: u32,
    tool: String,
    host: String,
    port: u16,
    address: String,
    started_at: String,
    max_ttl: u8,
    router_method: String,
    reference: Answer,
    hops: Vec<Hop>,
    answer_hop: Option<u8>,
    destination_hop: Option<u8>,
    same_as_reference: Option<bool>,
    conclusion: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Hop {
    ttl: u8,
    router: Option<Router>,
    tls: Option<Answer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Router {
    address: String,
    kind: String,
    icmp_type: u8,
    icmp_code: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Answer {
    status: String,
    leaf: Option<Value>,
    chain_len: usize,
    verified: Option<bool>,
    error: Option<String>,
    elapsed_ms: u64,
}

async fn locate(args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("locate")
        .args(args)
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn origin_on_loopback_answers_at_hop_one() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let port = sim.origin.port().to_string();
    let out = locate(&[
        "example.com",
        "--address",
        "127.0.0.1",
        "--port",
        &port,
        "--roots",
        roots.to_str().unwrap(),
        "--format",
        "json",
    ])
    .await;
    assert_exit(&out, 0);
    let record: Record = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record.schema, 1);
    assert_eq!(record.address, "127.0.0.1");
    assert_eq!(record.answer_hop, Some(1));
    assert_eq!(record.destination_hop, Some(1));
    assert_eq!(record.conclusion, "answered-at-destination");
    assert_eq!(record.same_as_reference, Some(true));
    assert_eq!(record.reference.verified, Some(true));
    assert_eq!(record.hops.len(), 1);
    let hop = &record.hops[0];
    let router = hop.router.as_ref().unwrap();
    assert_eq!(
        (
            router.address.as_str(),
            router.kind.as_str(),
            router.icmp_type,
            router.icmp_code
        ),
        ("127.0.0.1", "unreachable", 3, 3)
    );
    let tls = hop.tls.as_ref().unwrap();
    assert_eq!(tls.status, "certificate");
    let subject = tls.leaf.as_ref().unwrap()["subject"].as_str().unwrap();
    assert!(subject.contains("example.com"), "{subject}");
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_port_is_no_answer_and_exit_three() {
    let refused = common::refused_port().await;
    let port = refused.port().to_string();
    let out = locate(&["127.0.0.1", "--port", &port, "--format", "json"]).await;
    assert_exit(&out, 3);
    let record: Record = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record.reference.status, "failed");
    assert!(record
        .reference
        .error
        .as_deref()
        .unwrap()
        .contains("refused"));
    assert_eq!(record.conclusion, "no-answer");
    assert_eq!(record.answer_hop, None);
    // The address answered UDP at hop 1: probing ends there.
    assert_eq!(record.destination_hop, Some(1));
    assert_eq!(record.hops.len(), 1);
    assert_eq!(record.hops[0].tls.as_ref().unwrap().status, "failed");
}

#[tokio::test]
async fn bad_input_exits_one_and_names_it() {
    let out = locate(&["bad host!"]).await;
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"bad host!\" is not a valid host name"),
        "{err}"
    );
    let out = locate(&["example.com", "--max-ttl", "0"]).await;
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-ttl"));
    let out = locate(&["example.com", "--wait", "nan"]).await;
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--wait"));
}
