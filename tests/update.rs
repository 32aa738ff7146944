//! `mitmwatch update` against a local HTTP server started by each test:
//! a good mirror (newer list signed with a test key), then hostile answers
//! (bad signature, truncated JSON, 404, a 50 MB body, a server that stalls,
//! a redirect loop, Google's genuine but older list). Every failure must
//! name the source and the reason, exit with 4, and leave the files saved
//! before untouched. Finally the analysis must use the saved list, and
//! `--ct-log-list` must win over it.

mod common;

use common::http::{HttpServer, Reply};

use mitmwatch_core::ct::LogList;
use mitmwatch_core::encoding::pem_encode;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;
use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// Serves `routes` on 127.0.0.1 until the test process ends; returns the
/// base URL.
fn serve(routes: HashMap<&'static str, Reply>) -> String {
    let routes = routes
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    HttpServer::start(routes).base()
}

/// The made-up RSA key of the fixtures (fixtures/keys/), as a list signer.
fn test_signer() -> RsaKeyPair {
    let pem = std::fs::read(common::fixtures::fixture(
        "keys/ct-log-rsa2048.TEST-ONLY.key.pem",
    ))
    .unwrap();
    let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(&pem).unwrap();
    RsaKeyPair::from_pkcs8(pkcs8.secret_pkcs8_der()).unwrap()
}

fn sign(data: &[u8]) -> Vec<u8> {
    let key = test_signer();
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        data,
        &mut sig,
    )
    .unwrap();
    sig
}

/// The test key's public half as a PEM file, for `--ct-key`.
fn write_test_public_key(dir: &Path) -> std::path::PathBuf {
    let pem = std::fs::read(common::fixtures::fixture(
        "keys/ct-log-rsa2048.TEST-ONLY.key.pem",
    ))
    .unwrap();
    let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(&pem).unwrap();
    let log = mitmwatch_sim::ct_logs::SigningLog::from_rsa_pkcs8(
        "list signer",
        "tests",
        pkcs8.secret_pkcs8_der(),
    )
    .unwrap();
    let path = dir.join("list-key.pem");
    std::fs::write(&path, pem_encode("PUBLIC KEY", &log.log.key_der)).unwrap();
    path
}

/// The built-in list, made newer: version 83.0, a month later.
fn newer_list() -> Vec<u8> {
    // Chrome's current list as shipped (without the older logs mitmwatch
    // adds to it), a month later.
    let mut list = LogList::from_json(
        mitmwatch_core::ct::log_list::BUILTIN_JSON,
        "built-in certs/ct/log_list.json",
    )
    .unwrap();
    list.version = "83.0".into();
    list.timestamp += time::Duration::days(30);
    list.to_json().into_bytes()
}

fn intermediates() -> Vec<u8> {
    let mut pem = String::new();
    for name in ["Test Intermediate One", "Test Intermediate Two"] {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        pem.push_str(&params.self_signed(&key).unwrap().pem());
    }
    pem.into_bytes()
}

fn update(data_dir: &Path, extra: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(common::binary());
    cmd.arg("update")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--timeout", "3"])
        .args(extra);
    for var in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The line of `update`'s output for `source`.
fn line<'a>(text: &'a str, source: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{source} ")))
        .unwrap_or_else(|| panic!("no line for {source} in:\n{text}"))
}

/// A data directory holding a good update; returns (dir, key file,
/// saved list bytes, saved intermediates bytes).
fn seeded() -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let key = write_test_public_key(dir.path());
    let data = dir.path().join("data");
    let list = newer_list();
    let base = serve(HashMap::from([
        ("/log_list.json", Reply::Body(list.clone())),
        ("/log_list.sig", Reply::Body(sign(&list))),
        ("/intermediates.pem", Reply::Body(intermediates())),
    ]));
    let out = update(
        &data,
        &["--base-url", &base, "--ct-key", key.to_str().unwrap()],
    );
    common::assert_exit(&out, 0);
    let saved_list = std::fs::read(data.join("log_list.json")).unwrap();
    let saved_pem = std::fs::read(data.join("intermediates.pem")).unwrap();
    assert_eq!(saved_list, list);
    (dir, key, saved_list, saved_pem)
}

fn assert_untouched(dir: &Path, list: &[u8], pem: &[u8]) {
    let data = dir.join("data");
    assert_eq!(std::fs::read(data.join("log_list.json")).unwrap(), list);
    assert_eq!(std::fs::read(data.join("intermediates.pem")).unwrap(), pem);
    let stray: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "temporary files left: {stray:?}");
}

#[test]
fn a_good_mirror_updates_then_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let key = write_test_public_key(dir.path());
    let data = dir.path().join("data");
    let list = newer_list();
    let base = serve(HashMap::from([
        ("/log_list.json", Reply::Body(list.clone())),
        ("/log_list.sig", Reply::Body(sign(&list))),
        ("/intermediates.pem", Reply::Body(intermediates())),
    ]));
    let args = ["--base-url", &base, "--ct-key", key.to_str().unwrap()];
    let out = update(&data, &args);
    common::assert_exit(&out, 0);
    let text = stdout(&out);
    let ct = line(&text, "ct-log-list");
    assert!(
        ct.contains("updated: version 83.0 of ") && ct.contains("61 logs; signature verified"),
        "{ct}"
    );
    assert!(
        line(&text, "intermediates").contains("updated: 2 certificates"),
        "{text}"
    );
    assert!(line(&text, "pins").contains("skipped: "), "{text}");
    assert_eq!(std::fs::read(data.join("log_list.json")).unwrap(), list);
    assert_eq!(
        std::fs::read(data.join("log_list.sig")).unwrap(),
        sign(&list)
    );
    let pem = std::fs::read_to_string(data.join("intermediates.pem")).unwrap();
    assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 2);
    assert!(pem.contains("# Subject: CN=Test Intermediate Two"));

    let again = update(&data, &args);
    common::assert_exit(&again, 0);
    let text = stdout(&again);
    assert!(
        line(&text, "ct-log-list").contains("unchanged: version 83.0"),
        "{text}"
    );
    assert!(
        line(&text, "intermediates").contains("unchanged: 2 certificates"),
        "{text}"
    );
}

#[test]
fn a_bad_signature_or_truncated_json_changes_nothing() {
    let (dir, key, list, pem) = seeded();
    let data = dir.path().join("data");
    let key = key.to_str().unwrap().to_string();
    let mut newer = newer_list();
    newer.extend_from_slice(b" ");
    let mut bad_sig = sign(&newer);
    bad_sig[10] ^= 1;
    let truncated = newer[..newer.len() / 2].to_vec();
    let base = serve(HashMap::from([
        ("/bad/log_list.json", Reply::Body(newer.clone())),
        ("/bad/log_list.sig", Reply::Body(bad_sig)),
        // Signed as truncated: the signature passes, the parser refuses it.
        ("/cut/log_list.json", Reply::Body(truncated.clone())),
        ("/cut/log_list.sig", Reply::Body(sign(&truncated))),
        (
            "/html",
            Reply::Body(b"<html>Service unavailable</html>".to_vec()),
        ),
    ]));
    let html = format!("{base}/html");
    let out = update(
        &data,
        &[
            "--base-url",
            &format!("{base}/bad"),
            "--ct-key",
            &key,
            "--intermediates-url",
            &html,
        ],
    );
    common::assert_exit(&out, 4);
    let text = stdout(&out);
    let ct = line(&text, "ct-log-list");
    assert!(
        ct.contains("FAILED: ") && ct.contains("does not verify with"),
        "{ct}"
    );
    let inter = line(&text, "intermediates");
    assert!(
        inter.contains("FAILED: ") && inter.contains("no PEM certificate"),
        "{inter}"
    );
    assert_untouched(dir.path(), &list, &pem);

    let out = update(
        &data,
        &["--base-url", &format!("{base}/cut"), "--ct-key", &key],
    );
    common::assert_exit(&out, 4);
    let text = stdout(&out);
    let ct = line(&text, "ct-log-list");
    assert!(
        ct.contains("FAILED: ") && ct.contains("not a v3 CT log list"),
        "{ct}"
    );
    assert!(
        line(&text, "intermediates").contains("HTTP status 404"),
        "{text}"
    );
    assert_untouched(dir.path(), &list, &pem);
}

#[test]
fn not_found_huge_stalled_and_looping_responses_fail_cleanly() {
    let (dir, key, list, pem) = seeded();
    let data = dir.path().join("data");
    let key = key.to_str().unwrap().to_string();
    let base = serve(HashMap::from([
        ("/huge", Reply::Huge(50_000_000)),
        ("/stall", Reply::Stall),
        ("/loop-a", Reply::Redirect("/loop-b".into())),
        ("/loop-b", Reply::Redirect("/loop-a".into())),
    ]));
    let url = |p: &str| format!("{base}{p}");
    // 404 for the list, 50 MB for the intermediates.
    let out = update(
        &data,
        &[
            "--ct-url",
            &url("/missing"),
            "--intermediates-url",
            &url("/huge"),
            "--ct-key",
            &key,
        ],
    );
    common::assert_exit(&out, 4);
    let text = stdout(&out);
    assert!(
        line(&text, "ct-log-list").contains("/missing: HTTP status 404"),
        "{text}"
    );
    assert!(
        line(&text, "intermediates").contains(&format!("larger than {} bytes", 40 << 20)),
        "{text}"
    );
    // 50 MB for the list, a stalled server for the intermediates.
    let started = std::time::Instant::now();
    let out = update(
        &data,
        &[
            "--ct-url",
            &url("/huge"),
            "--intermediates-url",
            &url("/stall"),
            "--ct-key",
            &key,
        ],
    );
    common::assert_exit(&out, 4);
    let text = stdout(&out);
    assert!(
        line(&text, "ct-log-list").contains(&format!("larger than {} bytes", 10 << 20)),
        "{text}"
    );
    let stalled = line(&text, "intermediates");
    assert!(
        stalled.contains("no complete response within 3 s"),
        "{stalled}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    // A redirect loop, and a signature URL that stalls.
    let out = update(
        &data,
        &[
            "--ct-url",
            &url("/loop-a"),
            "--intermediates-url",
            &url("/loop-b"),
            "--ct-key",
            &key,
        ],
    );
    common::assert_exit(&out, 4);
    let text = stdout(&out);
    assert!(
        line(&text, "ct-log-list").contains("more than 5 redirects"),
        "{text}"
    );
    assert!(
        line(&text, "intermediates").contains("more than 5 redirects"),
        "{text}"
    );
    assert_untouched(dir.path(), &list, &pem);
}

#[test]
fn googles_genuine_but_older_list_is_verified_and_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fixture = |name: &str| {
        std::fs::read(common::fixtures::fixture(&format!(
            "ct/google-v3-54.12/{name}"
        )))
        .unwrap()
    };
    let base = serve(HashMap::from([
        ("/log_list.json", Reply::Body(fixture("log_list.json"))),
        ("/log_list.sig", Reply::Body(fixture("log_list.sig"))),
        ("/intermediates.pem", Reply::Body(intermediates())),
    ]));
    // Google's own key (no --ct-key).
    let out = update(&data, &["--base-url", &base]);
    common::assert_exit(&out, 0);
    let text = stdout(&out);
    let ct = line(&text, "ct-log-list");
    assert!(
        ct.contains("unchanged: the download (version 54.12 of 2025-05-23T12:54:15Z) is not newer than the built-in list (version 82.1"),
        "{ct}"
    );
    assert!(!data.join("log_list.json").exists());
    // A newer list signed with another key than Google's is refused.
    let list = newer_list();
    let base = serve(HashMap::from([
        ("/log_list.json", Reply::Body(list.clone())),
        ("/log_list.sig", Reply::Body(sign(&list))),
    ]));
    let out = update(&data, &["--base-url", &base]);
    common::assert_exit(&out, 4);
    assert!(line(&stdout(&out), "ct-log-list").contains("Google's log-list key"));
    assert!(!data.join("log_list.json").exists());
}

#[test]
fn the_analysis_uses_the_saved_list_unless_one_is_given() {
    let (dir, _, _, _) = seeded();
    let data = dir.path().join("data");
    let obs = common::fixtures::observation("public-ok", "example.com");
    let input = dir.path().join("obs.jsonl");
    std::fs::write(&input, serde_json::to_string(&obs).unwrap() + "\n").unwrap();
    let roots = common::fixtures::fixture("roots/public-root-r1.pem");
    let analyze = |extra: &[&str]| {
        let out = std::process::Command::new(common::binary())
            .arg("analyze")
            .arg(&input)
            .arg("--roots")
            .arg(&roots)
            .arg("--data-dir")
            .arg(&data)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success() || out.status.code() == Some(3),
            "{out:?}"
        );
        stdout(&out)
    };
    let text = analyze(&[]);
    let saved = format!(
        "CT log list: {} (version 83.0, ",
        data.join("log_list.json").display()
    );
    assert!(
        text.contains("Data used:") && text.contains(&saved),
        "{text}"
    );
    assert!(text.contains("trust store: "), "{text}");
    let report = std::process::Command::new(common::binary())
        .arg("report")
        .arg(&input)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    let report = stdout(&report);
    assert!(
        report.contains("Data used:") && report.contains(&saved),
        "{report}"
    );
    let fixture_list = common::fixtures::fixture("ct/log_list.json");
    let text = analyze(&["--ct-log-list", fixture_list.to_str().unwrap()]);
    assert!(
        text.contains(&format!(
            "CT log list: {} (version ",
            fixture_list.display()
        )),
        "{text}"
    );
    // A damaged saved list is reported and the built-in one used.
    std::fs::write(data.join("log_list.json"), "{\"version\": ").unwrap();
    let out = std::process::Command::new(common::binary())
        .args(["analyze", input.to_str().unwrap(), "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("ignoring the saved CT log list"));
    assert!(stdout(&out).contains("CT log list: built-in certs/ct/log_list.json (version 82.1"));
}
