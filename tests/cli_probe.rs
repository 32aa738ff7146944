//! `mitmwatch probe`, the control-SNI differential, against the simulated
//! network: through the box, facebook.com (a 2019 target) is answered by
//! another CA than the control name and wikipedia.org is not; straight to
//! the origin nothing differs. The record format is re-declared with
//! `deny_unknown_fields`.

mod common;

use common::binary;
use mitmwatch_core::analyze::{sni_diff, ValidationTime};
use mitmwatch_core::model::{Observation, SniOutcome, StockVerification, Verdict};
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde::Deserialize;
use std::path::Path;
use tokio::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Probe {
    #[serde(rename = "type")]
    record_type: String,
    schema: u32,
    tool: String,
    host: String,
    port: u16,
    target_sni: String,
    control_sni: String,
    address: Option<String>,
    comparison: Comparison,
    control: Observation,
    target: Observation,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Comparison {
    outcome: String,
    control_issuer: Option<Ca>,
    target_issuer: Option<Ca>,
    same_issuer_name: Option<bool>,
    same_issuer_key: Option<bool>,
    target_verified: Option<bool>,
    control_verified: Option<bool>,
    target_verdict: String,
    control_verdict: String,
    explanation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Ca {
    name: String,
    key_id: Option<String>,
    spki_sha256: Option<String>,
}

async fn probe(port: u16, roots: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(binary())
        .args(["probe", "facebook.com", "wikipedia.org", "--timeout", "5"])
        .args(["--connect-to", &format!("::127.0.0.1:{port}"), "--roots"])
        .arg(roots)
        .args(extra)
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_box_answers_facebook_with_another_ca_than_the_control() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let saved = dir.path().join("saved.jsonl");
    let saved_arg = saved.display().to_string();

    let out = probe(
        sim.interceptor.port(),
        &roots,
        &["--json", "--save", &saved_arg],
    )
    .await;
    common::assert_exit(&out, 2);
    let records: Vec<Probe> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a documented sni-probe record"))
        .collect();
    assert_eq!(records.len(), 2);
    let fb = &records[0];
    assert_eq!((fb.record_type.as_str(), fb.schema), ("sni-probe", 2));
    assert_eq!(fb.host, "facebook.com");
    assert_eq!(fb.control_sni, "example.com");
    assert_eq!(fb.comparison.outcome, "sni-triggered");
    assert_eq!(fb.comparison.same_issuer_name, Some(false));
    assert_eq!(fb.comparison.target_verified, Some(false));
    assert_eq!(fb.comparison.target_verdict, "intercepted");
    assert_ne!(fb.comparison.control_verdict, "intercepted");
    assert_eq!(
        fb.comparison.target_issuer.as_ref().unwrap().name,
        "C=KZ, CN=Security Certificate"
    );
    // Both handshakes are full observations, to the same address.
    assert_eq!(fb.control.target.sni.as_deref(), Some("example.com"));
    assert_eq!(fb.target.target.sni.as_deref(), Some("facebook.com"));
    assert_eq!(fb.control.address, fb.target.address);
    assert_eq!(fb.address, fb.control.address);
    assert!(!fb.control.chain.is_empty() && !fb.target.chain.is_empty());
    let wiki = &records[1];
    assert_eq!(wiki.comparison.outcome, "same-issuer");
    assert_eq!(wiki.comparison.target_verified, Some(true));
    // --save keeps the four observations, readable by `analyze`.
    let saved_text = std::fs::read_to_string(&saved).unwrap();
    assert_eq!(saved_text.lines().count(), 4);
    for line in saved_text.lines() {
        serde_json::from_str::<Observation>(line).unwrap();
    }

    // Text output explains it.
    let out = probe(sim.interceptor.port(), &roots, &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SNI-TRIGGERED INTERCEPTION"), "{text}");
    assert!(text.contains("C=KZ, CN=Security Certificate"), "{text}");
    assert!(text.contains("sni-triggered 1, same-issuer 1"), "{text}");

    // Straight to the origin: the same CA for every name, exit 0.
    let out = probe(sim.origin.port(), &roots, &["--json"]).await;
    assert_eq!(out.status.code(), Some(0));
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let p: Probe = serde_json::from_str(line).unwrap();
        assert_eq!(p.comparison.outcome, "same-issuer", "{}", p.host);
    }
}

#[tokio::test]
async fn nothing_to_compare_is_inconclusive_and_bad_hosts_are_named() {
    let refused = common::refused_port().await;
    let out = Command::new(binary())
        .args([
            "probe",
            "facebook.com",
            "192.0.2.1",
            "not a host",
            "--timeout",
            "2",
        ])
        .args(["--connect-to", &format!("::127.0.0.1:{}", refused.port())])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("192.0.2.1:443"), "{stderr}");
    assert!(stderr.contains("argument:3"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("both-failed 1"));

    let out = Command::new(binary())
        .args(["probe", "facebook.com", "--control-sni", "10.0.0.1"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

fn with_verification(mut obs: Observation, ok: bool) -> Observation {
    obs.stock_verification = Some(StockVerification {
        trust_store: "test".into(),
        ok,
        error: None,
    });
    obs
}

/// Compares two fixture handshakes the way `probe` does: with the
/// analyzer's verdict of each (the fixture store, at the fixture time).
fn compare(control: &Observation, target: &Observation) -> mitmwatch_core::model::SniComparison {
    let analyzer = common::fixtures::analyzer(None);
    let verdict = |o: &Observation| {
        analyzer
            .assess(o, ValidationTime::At(common::fixtures::FIXTURE_TIME))
            .verdict
    };
    sni_diff::compare(
        control,
        target,
        sni_diff::Verdicts {
            control: verdict(control),
            target: verdict(target),
        },
    )
}

#[test]
fn the_comparison_looks_at_issuing_cas_not_leaves() {
    use common::fixtures::observation;
    let control = with_verification(observation("public-ok", "example.com"), true);
    // Another leaf from the same CA: same issuer.
    let same = with_verification(observation("public-wrong-name", "example.com"), true);
    assert_eq!(compare(&control, &same).outcome, SniOutcome::SameIssuer);
    // A forged leaf can copy its issuer's name and key identifier: when the
    // analyzer judges the target intercepted and the control not, the
    // look-alike issuers do not make it "no interception".
    let split = sni_diff::compare(
        &control,
        &same,
        sni_diff::Verdicts {
            control: Verdict::Clean,
            target: Verdict::Intercepted,
        },
    );
    assert_eq!(split.outcome, SniOutcome::SniTriggered);
    assert!(
        split.explanation.contains("forged certificate can copy"),
        "{}",
        split.explanation
    );
    // The 2019 forgery: another CA, judged intercepted.
    let forged = with_verification(
        observation("kz-2019-forged-facebook", "facebook.com"),
        false,
    );
    let c = compare(&control, &forged);
    assert_eq!(c.outcome, SniOutcome::SniTriggered);
    assert_eq!(c.target_verdict, Verdict::Intercepted);
    assert_eq!(c.same_issuer_name, Some(false));
    // Another CA whose chain verifies: a multi-CA server, not interception.
    let other_ca = with_verification(observation("baseline-vk-other-ca", "vk.com"), true);
    assert_eq!(
        compare(&control, &other_ca).outcome,
        SniOutcome::IssuerDiffers
    );
    // No chain for the target: blocked, not intercepted.
    let mut blocked = forged.clone();
    blocked.chain.clear();
    assert_eq!(
        compare(&control, &blocked).outcome,
        SniOutcome::TargetFailed
    );
    assert_eq!(
        compare(&blocked, &control).outcome,
        SniOutcome::ControlFailed
    );
}

/// A shared host whose default virtual host serves an expired certificate
/// of another CA: stock verification fails for the target name, but the
/// analyzer finds nothing that points at interception, so the probe does
/// not conclude that the name triggers interception.
#[test]
fn a_default_host_with_an_expired_certificate_is_not_sni_triggered() {
    use common::fixtures::observation;
    let control = with_verification(observation("baseline-vk-other-ca", "vk.com"), true);
    let expired = with_verification(observation("public-expired", "example.com"), false);
    let c = compare(&control, &expired);
    assert_eq!(c.same_issuer_name, Some(false), "{c:?}");
    assert_eq!(c.target_verified, Some(false));
    assert_ne!(c.target_verdict, Verdict::Intercepted);
    assert_eq!(c.outcome, SniOutcome::IssuerDiffers, "{}", c.explanation);
    assert!(
        c.explanation.contains("default virtual host"),
        "{}",
        c.explanation
    );
}
