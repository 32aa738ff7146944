//! Certificate Transparency end to end on the simulated network: the
//! simulated public CA embeds SCTs from the simulation's CT logs in every
//! genuine leaf; they verify with the simulation's log list (in process, and
//! through `scan` + `analyze --ct-log-list`), while the box's forged leaves
//! carry none. `sim --ct-log-list-out` writes that list.

mod common;

use common::{binary, probe};
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::ct::{embedded, precert, LogList, SctStatus};
use mitmwatch_core::encoding::{base64_decode, sha256};
use mitmwatch_core::model::{Observation, Verdict};
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde_json::Value;
use tokio::process::Command;
use x509_parser::prelude::{FromDer, X509Certificate};

fn der(obs: &Observation, i: usize) -> Vec<u8> {
    base64_decode(&obs.chain[i].der).unwrap()
}

fn spki_hash(cert: &[u8]) -> [u8; 32] {
    sha256(X509Certificate::from_der(cert).unwrap().1.public_key().raw)
}

#[tokio::test]
async fn genuine_leaves_carry_valid_scts_and_forged_ones_none() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let via_box = common::box_collector(&sim);
    let genuine = probe(&via_box, "wikipedia.org").await;
    let forged = probe(&via_box, "facebook.com").await;

    let issuer = spki_hash(&der(&genuine, 1));
    let checked = embedded::check(&der(&genuine, 0), Some(&issuer), &sim.ct_log_list)
        .unwrap()
        .expect("the genuine leaf embeds SCTs");
    assert_eq!(checked.scts.len(), 2);
    let mut operators: Vec<&str> = Vec::new();
    for sct in &checked.scts {
        assert_eq!(sct.status, SctStatus::Valid, "{sct:?}");
        operators.push(&sct.log.unwrap().operator);
    }
    operators.dedup();
    assert_eq!(operators.len(), 2, "two operators");
    // With the wrong issuer key, none verifies.
    let wrong = spki_hash(&der(&forged, 1));
    let checked = embedded::check(&der(&genuine, 0), Some(&wrong), &sim.ct_log_list)
        .unwrap()
        .unwrap();
    assert!(checked
        .scts
        .iter()
        .all(|s| matches!(s.status, SctStatus::Invalid(_))));

    assert_eq!(precert::embedded(&der(&forged, 0)).unwrap(), None);

    // The analyzer, with the simulation's list: nothing to say about CT on
    // either, and the verdicts stay as they were.
    let analyzer = Analyzer::new(mitmwatch_core::analyze::AnalysisData {
        pins: sim.pins(),
        ct_logs: std::sync::Arc::new(sim.ct_log_list.clone()),
        ..mitmwatch_core::analyze::AnalysisData::with_trust(sim.trust_store()).unwrap()
    });
    let g = analyzer.assess(&genuine, ValidationTime::Observed);
    assert_eq!(g.verdict, Verdict::Clean);
    assert!(g.findings.is_empty(), "{:#?}", g.findings);
    let f = analyzer.assess(&forged, ValidationTime::Observed);
    assert_eq!(f.verdict, Verdict::Intercepted);
    assert!(
        f.findings
            .iter()
            .all(|x| !x.code.as_str().contains("sct") && !x.code.as_str().starts_with("ct-")),
        "{:#?}",
        f.findings
    );
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn codes(a: &Value) -> Vec<String> {
    a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_with_the_sims_log_list_verifies_genuine_leaves() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("root.pem");
    let pins = dir.path().join("pins.json");
    let logs = dir.path().join("ct.json");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    std::fs::write(&pins, sim.pins_json()).unwrap();
    std::fs::write(&logs, sim.ct_log_list_json()).unwrap();
    let scan = dir.path().join("scan.jsonl");
    let status = Command::new(binary())
        .args([
            "scan",
            "-q",
            "wikipedia.org",
            "github.com",
            "vk.com",
            "--connect-to",
        ])
        .arg(format!("::127.0.0.1:{}", sim.interceptor.port()))
        .arg("--roots")
        .arg(&roots)
        .arg("-o")
        .arg(&scan)
        .status()
        .await
        .unwrap();
    assert!(status.success());

    let analyze = |extra: Vec<std::ffi::OsString>| {
        let mut cmd = Command::new(binary());
        cmd.arg("analyze")
            .arg(&scan)
            .args(["--format", "json", "--at", "observed", "--roots"])
            .arg(&roots)
            .arg("--pins")
            .arg(&pins)
            .args(extra);
        cmd
    };
    let out = analyze(vec!["--ct-log-list".into(), logs.clone().into()])
        .output()
        .await
        .unwrap();
    common::assert_exit(&out, 2);
    let lines = json_lines(&out.stdout);
    for a in &lines[..3] {
        let host = a["target"]["host"].as_str().unwrap();
        let codes = codes(a);
        assert!(
            codes
                .iter()
                .all(|c| !c.contains("sct") && !c.starts_with("ct-")),
            "{host}: {codes:?}"
        );
        let want = if host == "vk.com" {
            "intercepted"
        } else {
            "clean"
        };
        assert_eq!(a["verdict"], want, "{host}");
    }

    // With the built-in list the simulated logs are unknown: information
    // only, and the genuine leaves stay clean.
    let out = analyze(vec![]).output().await.unwrap();
    let lines = json_lines(&out.stdout);
    let wiki = lines
        .iter()
        .find(|l| l["target"]["host"] == "wikipedia.org")
        .unwrap();
    assert_eq!(wiki["verdict"], "clean");
    assert!(
        codes(wiki).contains(&"sct-unknown-log".to_string()),
        "{wiki}"
    );

    // A broken list is refused with its name, exit code 1.
    std::fs::write(&logs, "{\"version\": 1}").unwrap();
    let out = analyze(vec!["--ct-log-list".into(), logs.clone().into()])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ct.json"));
}

#[tokio::test]
async fn sim_writes_its_log_list() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("ct.json");
    let out = Command::new(binary())
        .args(["sim", "--duration", "0.2", "--ct-log-list-out"])
        .arg(&logs)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--ct-log-list"));
    let list = LogList::from_json(&std::fs::read_to_string(&logs).unwrap(), "ct.json").unwrap();
    assert_eq!(list.logs.len(), 2);
    assert!(list.logs.iter().all(|l| l.key.is_ok()));
}
