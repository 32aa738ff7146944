//! `mitmwatch store` as a user runs it, on trust stores laid out like real
//! ones in temporary directories: a Debian-style file-system root, Firefox
//! profiles made by `certutil`, broken files. The running user's home and
//! the machine's own stores are never read (`--sysroot`, `--home`).

mod common;

use common::binary;
use common::stores::{
    certutil_available, debian_layout, isca_pem, nss_db, pem_sha256, public_root_pem, qaznet_pem,
    to_pem,
};
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use tokio::process::Command;

async fn store(args: &[&str], extra: &[&Path]) -> Output {
    Command::new(binary())
        .arg("store")
        .args(args)
        .args(extra)
        .output()
        .await
        .unwrap()
}

/// Output text with every run of whitespace made one space, so that
/// checks do not depend on where lines were wrapped.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn root_by_sha<'a>(doc: &'a Value, sha: &str) -> &'a Value {
    doc["roots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["certificate"]["sha256"] == sha)
        .unwrap_or_else(|| panic!("no root {sha} in {doc:#}"))
}

#[tokio::test]
async fn kazakhstan_root_in_a_debian_layout_is_found_and_bad_files_are_named() {
    let sysroot = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    debian_layout(sysroot.path());
    let out = Command::new(binary())
        .arg("store")
        .arg("--sysroot")
        .arg(sysroot.path())
        .arg("--home")
        .arg(home.path())
        .output()
        .await
        .unwrap();
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("KNOWN INTERCEPTION ROOT INSTALLED"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "State interception root 'Information Security Certification Authority (ISCA root generated"
        ),
        "{stdout}"
    );
    let anchor = sysroot
        .path()
        .join("usr/local/share/ca-certificates/kz/isca.crt");
    assert!(
        stdout.contains(&format!(
            "is installed in your system store at {}",
            anchor.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("recognised by its public key"), "{stdout}");
    // Each broken file is named, and the rest of the audit went on.
    for name in [
        "bad.crt:1: PEM block is not readable",
        "notes.txt: neither PEM nor DER",
        "dangling.crt: cannot read",
    ] {
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(stdout.contains(name), "{name}: {stdout}");
    }
    assert!(stdout.contains("1 public"), "{stdout}");

    let out = Command::new(binary())
        .args(["store", "--json", "--sysroot"])
        .arg(sysroot.path())
        .arg("--home")
        .arg(home.path())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["type"], "store-audit");
    let isca = root_by_sha(&doc, &pem_sha256(&isca_pem()));
    assert_eq!(isca["class"], "known-interception");
    assert_eq!(isca["trusted"], true);
    assert_eq!(isca["catalog"]["id"], "kz-isca-2020-0643");
    assert_eq!(isca["catalog"]["category"], "state-interception");
    assert_eq!(isca["catalog"]["matched_by"], "spki");
    let kinds: Vec<&str> = isca["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["anchors", "bundle"]);
    let public = root_by_sha(&doc, &pem_sha256(&public_root_pem()));
    assert_eq!(public["class"], "public");
    assert_eq!(doc["summary"]["known_interception_trusted"], 1);
    let anchors = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "anchors")
        .unwrap();
    assert_eq!(anchors["status"], "read");
    assert_eq!(anchors["certificates"], 1);
    assert_eq!(
        anchors["errors"].as_array().unwrap().len(),
        3,
        "{anchors:#}"
    );
}

#[tokio::test]
async fn a_clean_store_exits_0_and_nothing_readable_exits_3() {
    let sysroot = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let certs = sysroot.path().join("etc/ssl/certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca-certificates.crt"), public_root_pem()).unwrap();
    let args = [
        "--sysroot",
        sysroot.path().to_str().unwrap(),
        "--home",
        home.path().to_str().unwrap(),
    ];
    let out = store(&args, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(
        "No known interception root is trusted, and every trusted root is in Mozilla's store"
    ));

    // Nothing to read at all.
    let out = store(&["--no-system", "--no-browsers"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    // A --path that does not exist is a usage error, before any store is
    // read (it would otherwise pass unnoticed beside the system stores).
    let missing = home.path().join("missing.pem");
    let out = store(&["--no-system", "--no-browsers", "--path"], &[&missing]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--path")
            && text(&out.stderr).contains("missing.pem: no such file"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let out = store(&["--path"], &[&missing]).await;
    assert_eq!(out.status.code(), Some(1), "also beside the system stores");

    // Usage errors.
    for args in [
        vec!["--sysroot", "/nonexistent/mitmwatch-sysroot"],
        vec!["--home", "/nonexistent/mitmwatch-home"],
        vec!["--scan", "/nonexistent/obs.jsonl", "--no-system"],
    ] {
        let out = store(&args, &[]).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).starts_with("mitmwatch: "), "{args:?}");
    }
}

#[tokio::test]
async fn a_path_given_and_an_unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("qaznet.pem"), qaznet_pem()).unwrap();
    // Files that nobody, root included (CI runs as root), can read: a
    // symbolic link to nothing (it cannot even be inspected) and, on
    // Linux, a link to /proc/self/mem, which opens but fails with EIO when
    // read at offset 0 (an unmapped address).
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("nowhere.pem"), extra.join("dangling.pem")).unwrap();
    #[cfg(target_os = "linux")]
    std::os::unix::fs::symlink("/proc/self/mem", extra.join("mem.pem")).unwrap();
    let out = store(&["--no-system", "--no-browsers", "--path"], &[&extra]).await;
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("'Qaznet Trust Network' is installed in"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{}", extra.join("qaznet.pem").display())));
    #[cfg(unix)]
    assert!(stderr.contains("dangling.pem: cannot read"), "{stderr}");
    #[cfg(target_os = "linux")]
    assert!(stderr.contains("mem.pem: cannot read"), "{stderr}");
}

/// Firefox profiles with NSS databases made by a real `certutil`: one under
/// the usual location (listed in profiles.ini), one given explicitly, and a
/// garbage `cert9.db`.
#[tokio::test]
async fn firefox_profiles_made_by_certutil() {
    if !certutil_available() {
        // .ci/run installs libnss3-tools, so CI always runs this test.
        eprintln!("SKIPPED: the certutil command (libnss3-tools) is not installed");
        assert!(std::env::var_os("CI").is_none(), "CI must have certutil");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let firefox = home.path().join(".mozilla/firefox");
    let profile = firefox.join("x1y2z3.default-release");
    nss_db(
        &profile,
        &[
            ("Qaznet", qaznet_pem(), "C,,"),
            ("Public root", public_root_pem(), "C,,"),
            ("ISCA cached", isca_pem(), ",,"),
        ],
    );
    std::fs::write(
        firefox.join("profiles.ini"),
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=x1y2z3.default-release\nDefault=1\n",
    )
    .unwrap();
    // A broken profile in the same place: the audit names it and goes on.
    let broken = firefox.join("broken.default");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("cert9.db"), b"garbage, not an SQLite file").unwrap();

    let out = Command::new(binary())
        .args(["store", "--json", "--no-system", "--home"])
        .arg(home.path())
        .output()
        .await
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: not a readable NSS certificate database",
            broken.join("cert9.db").display()
        )),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources = doc["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2, "{sources:#?}");
    let good = sources
        .iter()
        .find(|s| s["status"] == "read")
        .expect("the good profile was read");
    assert_eq!(good["kind"], "firefox");
    assert_eq!(good["certificates"], 3);
    let qaznet = root_by_sha(&doc, &pem_sha256(&qaznet_pem()));
    assert_eq!(qaznet["class"], "known-interception");
    assert_eq!(qaznet["trusted"], true);
    assert_eq!(qaznet["locations"][0]["nickname"], "Qaznet");
    assert_eq!(qaznet["locations"][0]["trust"], "anchor");
    let isca = root_by_sha(&doc, &pem_sha256(&isca_pem()));
    assert_eq!(isca["class"], "known-interception");
    assert_eq!(isca["trusted"], false, "stored without trust flags");
    assert_eq!(isca["locations"][0]["trust"], "stored");
    assert_eq!(
        root_by_sha(&doc, &pem_sha256(&public_root_pem()))["class"],
        "public"
    );
    assert_eq!(doc["summary"]["known_interception"], 2);
    assert_eq!(doc["summary"]["known_interception_trusted"], 1);

    // The same profile given with --firefox-profile, home not searched:
    // the text names the profile and the nickname.
    let out = Command::new(binary())
        .args(["store", "--no-system", "--no-browsers", "--firefox-profile"])
        .arg(&profile)
        .output()
        .await
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "is installed in your Firefox profile at {} (nickname 'Qaznet')",
            profile.join("cert9.db").display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("stored without trust for websites"),
        "{stdout}"
    );

    // Chrome's shared NSS database on Linux.
    let chrome_home = tempfile::tempdir().unwrap();
    nss_db(
        &chrome_home.path().join(".pki/nssdb"),
        &[("corp", isca_pem(), "C,,")],
    );
    let out = Command::new(binary())
        .args(["store", "--no-system", "--home"])
        .arg(chrome_home.path())
        .output()
        .await
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("Chrome's certificate database at"),
        "{stdout}"
    );
}

/// `--scan` ties intercepted connections to the root installed here: the
/// simulated box's root installed in the anchor directory makes its forged
/// chains trusted on this machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_links_intercepted_connections_to_the_installed_root() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let obs = dir.path().join("obs.jsonl");
    let status = Command::new(binary())
        .args([
            "scan",
            "facebook.com",
            "vk.com",
            "example.com",
            "--quiet",
            "--connect-to",
            &format!("::127.0.0.1:{}", sim.interceptor.port()),
            "-o",
        ])
        .arg(&obs)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let sysroot = dir.path().join("root");
    let anchors = sysroot.join("usr/local/share/ca-certificates");
    std::fs::create_dir_all(&anchors).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // The simulated public root stands in for Mozilla's when judging the scan.
    let public = dir.path().join("sim-root.pem");
    std::fs::write(&public, sim.public_root_pem()).unwrap();
    let run = |json: bool| {
        let (sysroot, home, obs, public) =
            (sysroot.clone(), home.clone(), obs.clone(), public.clone());
        async move {
            Command::new(binary())
                .arg("store")
                .args(json.then_some("--json"))
                .arg("--sysroot")
                .arg(&sysroot)
                .arg("--home")
                .arg(&home)
                .arg("--scan")
                .arg(&obs)
                .arg("--roots")
                .arg(&public)
                .output()
                .await
                .unwrap()
        }
    };
    // Not installed: browsers warn; nothing known is installed: exit 0.
    let out = run(false).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Your connections to facebook.com, vk.com were intercepted by"),
        "{stdout}"
    );
    assert!(stdout.contains("whose root is not installed"), "{stdout}");

    // Installed: silent interception, exit 2.
    std::fs::write(anchors.join("qaznet.crt"), to_pem(&sim.interceptor_root)).unwrap();
    let out = run(false).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("were intercepted by a root that is installed on this machine"),
        "{stdout}"
    );
    assert!(
        stdout.contains("so your browser shows no warning"),
        "{stdout}"
    );
    assert!(stdout.contains("qaznet.crt"), "{stdout}");

    let out = run(true).await;
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let scan = &doc["scan"];
    assert_eq!(scan["observations"], 3);
    assert_eq!(scan["intercepted"], 2);
    assert_eq!(scan["links"][0]["status"], "installed");
    assert_eq!(scan["links"][0]["matched_by"], "signature");
    assert_eq!(
        scan["links"][0]["domains"],
        serde_json::json!(["facebook.com", "vk.com"])
    );
    assert_eq!(
        scan["links"][0]["interceptor"]["id"],
        "kz-qaznet-trust-network"
    );
    // The simulated root has the real name but its own key: a name match.
    let root = root_by_sha(
        &doc,
        &mitmwatch_core::encoding::hex(&mitmwatch_core::encoding::sha256(&sim.interceptor_root)),
    );
    assert_eq!(root["catalog"]["matched_by"], "name");
}

/// `check` says whether the intercepting root is installed here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_mentions_the_installed_intercepting_root() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("sim-root.pem");
    std::fs::write(&public, sim.public_root_pem()).unwrap();
    let pins = dir.path().join("pins.json");
    std::fs::write(&pins, sim.pins_json()).unwrap();
    let sysroot = dir.path().join("root");
    let anchors = sysroot.join("usr/local/share/ca-certificates");
    std::fs::create_dir_all(&anchors).unwrap();
    let installed = anchors.join("qaznet.crt");
    std::fs::write(&installed, to_pem(&sim.interceptor_root)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let check = |json: bool| {
        let (public, pins, sysroot, home) =
            (public.clone(), pins.clone(), sysroot.clone(), home.clone());
        let addr = format!("::127.0.0.1:{}", sim.interceptor.port());
        async move {
            Command::new(binary())
                .args(["check", "--timeout", "2", "--connect-to", &addr])
                .args(json.then_some("--json"))
                .arg("--roots")
                .arg(&public)
                .arg("--pins")
                .arg(&pins)
                .arg("--sysroot")
                .arg(&sysroot)
                .arg("--home")
                .arg(&home)
                .output()
                .await
                .unwrap()
        }
    };
    let out = check(false).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "were intercepted by a root that is installed on this machine (in your system store \
             at {})",
            installed.display()
        )),
        "{stdout}"
    );

    let out = check(true).await;
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let links = &doc["store"]["links"];
    assert_eq!(links[0]["status"], "installed", "{links:#}");
    assert_eq!(links[0]["domains"].as_array().unwrap().len(), 37);

    // Removed: the browser would warn.
    std::fs::remove_file(&installed).unwrap();
    let stdout = text(&check(false).await.stdout);
    assert!(
        stdout.contains("whose root is not installed in the trust stores mitmwatch read"),
        "{stdout}"
    );
}
