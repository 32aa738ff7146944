//! `mitmwatch compare`: scans of the simulation straight to the origin and
//! through the box, and the kinds of difference on fixture chains. The
//! JSON format is re-declared with `deny_unknown_fields`.

mod common;

use common::binary;
use common::fixtures::observation;
use mitmwatch_core::analyze::vantage_compare;
use mitmwatch_core::model::{DomainDiff, Observation, VantageInfo};
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tokio::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Comparison {
    #[serde(rename = "type")]
    record_type: String,
    schema: u32,
    tool: String,
    a: Vantage,
    b: Vantage,
    domains: Vec<Domain>,
    counts: BTreeMap<String, usize>,
    conclusion: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Vantage {
    label: String,
    file: String,
    observations: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Domain {
    domain: String,
    diff: String,
    a: Side,
    b: Side,
    explanation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Side {
    observations: usize,
    chains: usize,
    leaf_spki_sha256: Vec<String>,
    issuers: Vec<Ca>,
    roots: Vec<Ca>,
    failures: BTreeMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Ca {
    name: String,
    key_id: Option<String>,
    spki_sha256: Option<String>,
}

async fn scan(sim_port: u16, list: &Path, roots: &Path, out: PathBuf) -> PathBuf {
    let status = Command::new(binary())
        .args(["scan", "-q", "-i"])
        .arg(list)
        .args([
            "--connect-to",
            &format!("::127.0.0.1:{sim_port}"),
            "--roots",
        ])
        .arg(roots)
        .arg("-o")
        .arg(&out)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    out
}

async fn compare(a: &Path, b: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("compare")
        .arg(a)
        .arg(b)
        .args(extra)
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_and_outside_the_box_differ_at_the_root_for_the_targets_only() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        mitmwatch_core::analysis_data::domains::popular().join("\n"),
    )
    .unwrap();
    let inside = scan(
        sim.interceptor.port(),
        &list,
        &roots,
        dir.path().join("in.jsonl"),
    )
    .await;
    let outside = scan(
        sim.origin.port(),
        &list,
        &roots,
        dir.path().join("out.jsonl"),
    )
    .await;
    let again = scan(
        sim.origin.port(),
        &list,
        &roots,
        dir.path().join("again.jsonl"),
    )
    .await;

    let out = compare(
        &inside,
        &outside,
        &["--json", "--label-a", "inside", "--label-b", "outside"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let c: Comparison = serde_json::from_slice(&out.stdout).expect("documented format");
    assert_eq!((c.record_type.as_str(), c.schema), ("comparison", 1));
    assert_eq!(c.a.label, "inside");
    assert_eq!(c.counts.get("different-root"), Some(&37));
    assert_eq!(c.counts.get("same-key"), Some(&26));
    for d in &c.domains {
        let expected = if sim.intercepted.contains(&d.domain) {
            "different-root"
        } else {
            "same-key"
        };
        assert_eq!(d.diff, expected, "{}", d.domain);
    }
    let fb = c
        .domains
        .iter()
        .find(|d| d.domain == "facebook.com")
        .unwrap();
    assert_eq!(fb.a.roots[0].name, "C=KZ, CN=Qaznet Trust Network");
    assert!(fb.explanation.contains("No root in common"));

    let out = compare(&inside, &outside, &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("different-root  facebook.com"), "{text}");
    assert!(text.contains("37 of 63 domains compared"), "{text}");

    // Two scans of the same path: no difference, exit 0.
    let out = compare(&outside, &again, &[]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn bad_lines_are_named_and_nothing_in_common_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let obs = serde_json::to_string(&observation("public-ok", "example.com")).unwrap();
    std::fs::write(&a, format!("{obs}\nnot json\n")).unwrap();
    let b = dir.path().join("b.jsonl");
    let other = serde_json::to_string(&observation("public-ok", "other.example")).unwrap();
    std::fs::write(&b, format!("{other}\n")).unwrap();
    let out = compare(&a, &b, &[]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a.jsonl:2: not valid JSON"));
    let out = compare(&a, &dir.path().join("missing.jsonl"), &[]).await;
    assert_eq!(out.status.code(), Some(1));
}

fn info(label: &str) -> VantageInfo {
    VantageInfo {
        label: label.into(),
        file: format!("{label}.jsonl"),
        observations: 0,
    }
}

fn diff_of(a: Vec<Observation>, b: Vec<Observation>) -> DomainDiff {
    let c = vantage_compare::compare(&a, &b, info("A"), info("B"), "test".into());
    assert_eq!(c.domains.len(), 1, "{:?}", c.domains);
    c.domains[0].diff
}

#[test]
fn differences_are_judged_on_cas_and_roots_not_leaves() {
    let ok = observation("public-ok", "example.com");
    assert_eq!(
        diff_of(vec![ok.clone()], vec![ok.clone()]),
        DomainDiff::SameKey
    );
    // Another leaf of the same CA: ordinary.
    let other_leaf = observation("public-wrong-name", "example.com");
    assert_eq!(
        diff_of(vec![ok.clone()], vec![other_leaf]),
        DomainDiff::SameCa
    );
    // Another CA under the same root.
    assert_eq!(
        diff_of(
            vec![observation("baseline-vk-usual-ca", "vk.com")],
            vec![observation("baseline-vk-other-ca", "vk.com")]
        ),
        DomainDiff::DifferentCa
    );
    // Another root altogether, and a root seen only sometimes.
    let forged = observation("kz-2019-forged-facebook", "example.com");
    assert_eq!(
        diff_of(vec![ok.clone()], vec![forged.clone()]),
        DomainDiff::DifferentRoot
    );
    assert_eq!(
        diff_of(vec![ok.clone()], vec![ok.clone(), forged]),
        DomainDiff::ExtraRoot
    );
    // No chain on one side.
    let mut failed = ok.clone();
    failed.chain.clear();
    assert_eq!(diff_of(vec![ok.clone()], vec![failed]), DomainDiff::NoChain);
    assert_eq!(diff_of(vec![ok], vec![]), DomainDiff::OnlyInA);
}
