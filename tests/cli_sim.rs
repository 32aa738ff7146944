//! `mitmwatch sim` prints commands to try. Run exactly as printed, they
//! must judge the genuine origin `clean` and the box `intercepted`: the
//! hint names every piece of data the simulation needs (its root, its pins
//! and its CT logs), not the root alone.

mod common;

use common::binary;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Verdicts by host, and the exit code, of one printed command.
async fn run_hint(line: &str) -> (Vec<(String, String)>, Option<i32>) {
    let words = shlex::split(line).unwrap_or_else(|| panic!("a shell command: {line}"));
    let mut words = words.into_iter();
    assert_eq!(words.next().as_deref(), Some("mitmwatch"), "{line}");
    let out = Command::new(binary())
        .args(words)
        .stderr(Stdio::null())
        .output()
        .await
        .unwrap();
    let mut verdicts = Vec::new();
    for record in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(record).unwrap();
        if v["type"] == "assessment" {
            verdicts.push((
                v["target"]["host"].as_str().unwrap().to_string(),
                v["verdict"].as_str().unwrap().to_string(),
            ));
        }
    }
    verdicts.sort();
    (verdicts, out.status.code())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_commands_judge_the_origin_clean_and_the_box_intercepted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sim data");
    let mut sim = Command::new(binary())
        .args(["sim", "--duration", "120", "--out-dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(sim.stdout.take().unwrap()).lines();
    let (mut origin, mut box_addr, mut hints) = (None, None, Vec::new());
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(addr) = line.strip_prefix("origin (genuine certificates for any name): ") {
            origin = Some(addr.to_string());
        }
        if let Some((_, addr)) = line.split_once("names intercepted):") {
            box_addr = Some(addr.trim().to_string());
        }
        if let Some(hint) = line.trim().strip_prefix("mitmwatch scan ") {
            hints.push(format!("mitmwatch scan {hint}"));
        }
        if line.starts_with("running;") {
            break;
        }
    }
    let (origin, box_addr) = (origin.unwrap(), box_addr.unwrap());
    for file in ["sim-root.pem", "sim-pins.json", "sim-ct.json"] {
        assert!(data.join(file).is_file(), "{file} written");
    }
    let to = |addr: &str| {
        hints
            .iter()
            .find(|h| h.contains(&format!("--connect-to ::{addr} ")))
            .unwrap_or_else(|| panic!("a hint for {addr} in {hints:?}"))
            .clone()
    };
    let (box_hint, origin_hint) = (to(&box_addr), to(&origin));
    // The directory's name has a space: the hint quotes it for the shell.
    assert!(box_hint.contains("sim data/sim-root.pem'"), "{box_hint}");
    assert!(box_hint.contains(" --analyze "), "{box_hint}");
    for flag in ["--roots", "--pins", "--ct-log-list"] {
        assert!(box_hint.contains(&format!(" {flag} ")), "{box_hint}");
        assert!(origin_hint.contains(&format!(" {flag} ")), "{origin_hint}");
    }

    let (verdicts, code) = run_hint(&origin_hint).await;
    assert_eq!(
        verdicts,
        [
            ("facebook.com".to_string(), "clean".to_string()),
            ("wikipedia.org".to_string(), "clean".to_string())
        ],
        "{origin_hint}"
    );
    assert_eq!(code, Some(0));

    let (verdicts, code) = run_hint(&box_hint).await;
    assert_eq!(
        verdicts,
        [
            ("facebook.com".to_string(), "intercepted".to_string()),
            ("wikipedia.org".to_string(), "clean".to_string())
        ],
        "{box_hint}"
    );
    assert_eq!(code, Some(2));
    sim.kill().await.unwrap();
}
