//! Importing other tools' records: OONI measurements (samples written from
//! OONI's data-format specification, fixtures/ooni/) and directories of PEM
//! chains, analysed like mitmwatch's own observations.

mod common;

use common::binary;
use common::fixtures::fixture;
use mitmwatch_core::import::{ooni, pem_dir};
use mitmwatch_core::model::Status;
use serde_json::Value;
use std::path::Path;
use tokio::process::Command;

const AT: &str = "2026-06-01T00:00:00Z";

async fn analyze(from: &str, input: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(binary())
        .args(["analyze", "--from", from])
        .arg(input)
        .arg("--roots")
        .arg(fixture("roots/public-root-r1.pem"))
        .args(["--at", AT])
        .args(extra)
        .output()
        .await
        .unwrap()
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn codes(a: &Value) -> Vec<&str> {
    a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

#[test]
fn ooni_handshakes_become_observations() {
    let file = std::fs::File::open(fixture("ooni/web_connectivity.jsonl")).unwrap();
    let r = ooni::read(std::io::BufReader::new(file), "wc.jsonl");
    // Lines 1, 2, 3 and the good handshake of line 6; the test helper's
    // view in line 1 (test_keys.control) is not a handshake of the probe.
    assert_eq!(r.observations.len(), 4);
    assert_eq!(r.without_tls, 1);
    let lines: Vec<Option<usize>> = r.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(5), Some(6), Some(7)]);
    assert!(r.errors[1]
        .to_string()
        .starts_with("wc.jsonl:6: test_keys.tls_handshakes[0]: peer_certificates[0]"));

    let fb = &r.observations[0];
    assert_eq!(fb.target.host, "facebook.com");
    assert_eq!(fb.target.sni.as_deref(), Some("facebook.com"));
    assert_eq!(fb.address.as_deref(), Some("157.240.1.35:443"));
    assert_eq!(
        fb.status,
        Status::Ok,
        "the chain came back; OONI refused it"
    );
    assert_eq!(fb.chain.len(), 1);
    let stock = fb.stock_verification.as_ref().unwrap();
    assert!(!stock.ok);
    assert_eq!(stock.error.as_deref(), Some("ssl_unknown_authority"));
    let imported = fb.imported.as_ref().unwrap();
    assert!(imported.leaf_only);
    assert!(imported.reference.contains("fixture1"));
    assert_eq!(
        fb.started_at,
        time::macros::datetime!(2026-05-31 10:00:00.52 UTC)
    );
    assert!((fb.duration_ms - 90.0).abs() < 1e-6);

    let ok = &r.observations[1];
    assert_eq!(ok.chain.len(), 2);
    assert!(!ok.imported.as_ref().unwrap().leaf_only);
    assert_eq!(ok.tls.as_ref().unwrap().alpn.as_deref(), Some("h2"));
    assert!(ok.stock_verification.as_ref().unwrap().ok);
}

#[tokio::test]
async fn analyze_from_ooni_judges_leaf_only_chains_and_names_bad_lines() {
    let input = fixture("ooni/web_connectivity.jsonl");
    let out = analyze("ooni", &input, &["--format", "json"]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("web_connectivity.jsonl:5: not valid JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains("web_connectivity.jsonl:6: test_keys.tls_handshakes[0]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("web_connectivity.jsonl:7: truncated JSON"),
        "{stderr}"
    );
    let lines = json_lines(&out.stdout);
    let (summary, assessments) = lines.split_last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(assessments.len(), 4);

    // The forged facebook.com leaf, alone: matched by its issuer's name.
    let fb = &assessments[0];
    assert_eq!(fb["verdict"], "intercepted");
    assert_eq!(fb["interceptor"]["id"], "kz-qaznet-security-certificate");
    let fb_codes = codes(fb);
    assert!(fb_codes.contains(&"leaf-only-chain"), "{fb_codes:?}");
    assert!(fb_codes.contains(&"untrusted-root"), "{fb_codes:?}");
    // A public leaf kept alone (OONI's verification failed): its issuer
    // is unknown, so it cannot be settled, but it is not interception.
    let public_leaf = &assessments[2];
    assert_eq!(public_leaf["verdict"], "suspicious");
    assert_eq!(codes(public_leaf), ["incomplete-chain", "leaf-only-chain"]);
    let incomplete = &public_leaf["findings"][0]["explanation"];
    assert!(
        incomplete.as_str().unwrap().contains("kept only the leaf"),
        "{incomplete}"
    );
    // The full public chain: no leaf-only finding.
    assert!(!codes(&assessments[1]).contains(&"leaf-only-chain"));

    let out = analyze("ooni", &input, &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[leaf only]"), "{text}");
    assert!(text.contains("2 chains are leaf-only"), "{text}");
}

#[tokio::test]
async fn analyze_from_ooni_shows_twenty_bad_lines_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("noisy.jsonl");
    let mut text = "not json\n".repeat(30);
    text.push_str(&std::fs::read_to_string(fixture("ooni/web_connectivity.jsonl")).unwrap());
    std::fs::write(&input, text).unwrap();
    let out = analyze("ooni", &input, &["--format", "json"]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = stderr
        .lines()
        .filter(|l| l.starts_with("mitmwatch: skipped ") && l.contains("noisy.jsonl:"))
        .count();
    assert_eq!(shown, 20, "{stderr}");
    // 30 added lines and the fixture's 3 bad records.
    assert!(
        stderr.contains("skipped 13 more bad lines of ") && stderr.contains("(not shown)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("33 unreadable records in the input were skipped"),
        "{stderr}"
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 5, "four assessments and the summary");
}

#[tokio::test]
async fn urlgetter_and_tlsping_measurements_are_read_too() {
    let out = analyze(
        "ooni",
        &fixture("ooni/urlgetter.jsonl"),
        &["--format", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["target"]["host"], "mail.ru");
    assert_eq!(lines[0]["interceptor"]["id"], "kz-qaznet-trust-network");
    assert!(!codes(&lines[0]).contains(&"leaf-only-chain"));

    let out = analyze(
        "ooni",
        &fixture("ooni/tlsping.jsonl"),
        &["--format", "json"],
    )
    .await;
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 3, "two handshakes and the summary");
    assert_eq!(lines[0]["verdict"], "intercepted");
    assert_eq!(lines[1]["verdict"], "error");
    assert_eq!(lines[1]["status"], "io-error");
    assert_eq!(lines[1]["failure"], "OONI failure: connection_reset");
}

#[tokio::test]
async fn a_directory_of_pem_chains_is_analysed_file_by_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["kz-2019-forged-facebook", "public-ok"] {
        std::fs::copy(
            fixture(&format!("chains/{name}.pem")),
            dir.path().join(format!("{name}.pem")),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("garbage.pem"), "hello").unwrap();
    std::fs::write(dir.path().join(".hidden.pem"), "ignored").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let r = pem_dir::read_dir(dir.path()).unwrap();
    assert_eq!(r.observations.len(), 2);
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0]
        .to_string()
        .contains("garbage.pem: neither PEM nor DER"));

    let out = analyze("pem-dir", dir.path(), &["--format", "json"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("garbage.pem"));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["target"]["host"], "facebook.com");
    assert_eq!(lines[0]["verdict"], "intercepted");
    assert_eq!(lines[1]["verdict"], "clean");

    // A file is not a directory.
    let out = analyze("pem-dir", &fixture("chains/public-ok.pem"), &[]).await;
    assert_eq!(out.status.code(), Some(1));
}

fn read_ooni(name: &str) -> mitmwatch_core::import::ImportResult {
    let file = std::fs::File::open(fixture(&format!("ooni/{name}"))).unwrap();
    ooni::read(std::io::BufReader::new(file), name)
}

/// tor (real sample from OONI's spec): targets are keyed by id, and their
/// handshakes record neither address nor server name. Each becomes an
/// observation of the target's address, without SNI.
#[test]
fn tor_targets_are_imported_by_their_address() {
    let r = read_ooni("tor.jsonl");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // Ten or_port_dirauth targets made a TLS handshake; obfs4 and dir_port
    // targets did not.
    assert_eq!(r.observations.len(), 10);
    let moria = r
        .observations
        .iter()
        .find(|o| o.target.host == "128.31.0.39")
        .expect("moria1");
    assert_eq!(moria.target.port, 9101);
    assert_eq!(moria.target.sni, None, "no SNI was recorded");
    assert_eq!(moria.address.as_deref(), Some("128.31.0.39:9101"));
    assert_eq!(moria.status, Status::Ok);
    assert_eq!(moria.chain.len(), 1);
    let reference = &moria.imported.as_ref().unwrap().reference;
    assert!(
        reference.contains("tor or_port_dirauth target moria1"),
        "{reference}"
    );
    // Every one: host and port from its target's address.
    for o in &r.observations {
        let address = o.address.as_deref().unwrap();
        assert_eq!(address, format!("{}:{}", o.target.host, o.target.port));
    }
}

/// sni_blocking (real sample from OONI's spec): the control handshake (the
/// test helper's own name) and the target handshake are both the probe's,
/// both imported and told apart.
#[test]
fn sni_blocking_imports_control_and_target() {
    let r = read_ooni("sni_blocking.jsonl");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.observations.len(), 2);
    let part =
        |o: &mitmwatch_core::model::Observation| o.imported.as_ref().unwrap().reference.clone();
    let control = r
        .observations
        .iter()
        .find(|o| part(o).contains("sni_blocking control handshake"))
        .unwrap();
    assert_eq!(control.target.host, "ps.ooni.io");
    assert_eq!(control.target.sni.as_deref(), Some("ps.ooni.io"));
    assert_eq!(control.address.as_deref(), Some("37.218.245.90:443"));
    assert_eq!(control.status, Status::Ok);
    assert_eq!(control.chain.len(), 2);
    let target = r
        .observations
        .iter()
        .find(|o| part(o).contains("sni_blocking target handshake"))
        .unwrap();
    assert_eq!(target.target.host, "ps.ooni.io");
    assert_eq!(target.target.sni.as_deref(), Some("blocked.com"));
    assert!(target.chain.is_empty());
    assert_eq!(
        target.failure.as_deref(),
        Some("OONI failure: ssl_invalid_hostname")
    );
}

#[tokio::test]
async fn sni_blocking_through_a_box_flags_the_target_only() {
    let out = analyze(
        "ooni",
        &fixture("ooni/sni_blocking_box.jsonl"),
        &["--format", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&out.stdout);
    let (_, assessments) = lines.split_last().unwrap();
    assert_eq!(assessments.len(), 2);
    let by_sni = |sni: &str| {
        assessments
            .iter()
            .find(|a| a["target"]["sni"] == sni)
            .unwrap()
    };
    let control = by_sni("example.com");
    assert_eq!(control["verdict"], "clean", "{control}");
    let target = by_sni("facebook.com");
    assert_eq!(target["target"]["host"], "example.com");
    assert_eq!(target["address"], "93.184.215.14:443");
    assert_eq!(target["verdict"], "intercepted", "{target}");
}

/// echcheck (real samples from OONI's spec, 0.1.0 and 0.2.0). With GREASE
/// ECH the server sees only the outer SNI and answers it: the handshake
/// whose outer name is cloudflare.com got cloudflare.com's certificate.
/// Judged against the name OONI meant (cloudflare-ech.com) it would be a
/// hostname mismatch; it must not be.
#[tokio::test]
async fn echcheck_is_judged_against_the_name_sent() {
    let r = read_ooni("echcheck.jsonl");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.observations.len(), 5);
    let refs: Vec<String> = r
        .observations
        .iter()
        .map(|o| o.imported.as_ref().unwrap().reference.clone())
        .collect();
    // 0.1.0: test_keys.control and test_keys.target are handshakes.
    assert!(
        refs[0].contains("echcheck control handshake (no ECH)"),
        "{refs:?}"
    );
    assert!(
        refs[1].contains("echcheck target handshake (with ECH)"),
        "{refs:?}"
    );
    // 0.2.0: the third handshake sent cloudflare.com in the clear.
    let alt = &r.observations[4];
    assert_eq!(alt.target.host, "cloudflare-ech.com");
    assert_eq!(alt.target.sni.as_deref(), Some("cloudflare.com"));
    assert!(refs[4].contains("ECH (GREASE) handshake"), "{}", refs[4]);

    let out = Command::new(binary())
        .args(["analyze", "--from", "ooni"])
        .arg(fixture("ooni/echcheck.jsonl"))
        .args(["--at", "observed", "--format", "json"])
        .output()
        .await
        .unwrap();
    let lines = json_lines(&out.stdout);
    let (_, assessments) = lines.split_last().unwrap();
    assert_eq!(assessments.len(), 5);
    for a in assessments {
        assert!(!codes(a).contains(&"hostname-mismatch"), "{a}");
    }
    // The 2024 Cloudflare chains, judged when they were served: genuine.
    for a in &assessments[2..] {
        assert_eq!(a["verdict"], "clean", "{a}");
    }
}
