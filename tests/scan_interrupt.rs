//! Ctrl-C half-way through a scan: the records made so far are written
//! whole, the scan says how far it got and prints the command that goes on
//! (`--resume`), and that command finishes the list with every target
//! exactly once. `--resume -o -` is refused. Offline: a refused port and a
//! listener that never answers, on 127.0.0.1.

mod common;

use common::binary;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::process::Command;

/// A listener that accepts and never says a word: handshakes to it hang
/// until their timeout.
async fn silent_listener() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (addr, task)
}

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_says_how_far_the_scan_got_and_how_to_resume() {
    let refused = common::refused_port().await;
    let (silent, _task) = silent_listener().await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let fast: Vec<String> = (0..5).map(|i| format!("fast{i}.example")).collect();
    let slow: Vec<String> = (0..20).map(|i| format!("slow{i}.example")).collect();
    std::fs::write(&list, [fast.clone(), slow.clone()].concat().join("\n")).unwrap();
    let out = dir.path().join("out.jsonl");
    // The fast targets are refused at once; the slow ones hang.
    let mut args = vec![
        "scan".to_string(),
        "-i".into(),
        list.display().to_string(),
        "-o".into(),
        out.display().to_string(),
        "--retries".into(),
        "0".into(),
        "--timeout".into(),
        "60".into(),
        // Every name goes to 127.0.0.1: with the default of 8 connections
        // per address, the slow names could hold every slot and keep the
        // fast ones waiting (which one starts first is not fixed).
        "--per-address".into(),
        "100".into(),
    ];
    for host in &fast {
        args.push("--connect-to".into());
        args.push(format!("{host}:443:127.0.0.1:{}", refused.port()));
    }
    args.push("--connect-to".into());
    args.push(format!("::127.0.0.1:{}", silent.port()));
    let child = Command::new(binary())
        .args(&args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the fast targets are written, then press Ctrl-C.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while lines(&out).len() < fast.len() {
        assert!(tokio::time::Instant::now() < deadline, "no records written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the scan stops soon after Ctrl-C")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "mitmwatch: interrupted: 5 records written to {}; to scan the rest, run",
            out.display()
        )),
        "{stderr}"
    );
    let suggested = stderr
        .lines()
        .last()
        .unwrap()
        .trim()
        .strip_prefix("mitmwatch ")
        .expect("the command to run")
        .to_string();
    assert!(suggested.ends_with(" --resume"), "{suggested}");
    assert_eq!(lines(&out).len(), 5, "only whole records");

    // The suggested command, with every name now refused, finishes the list.
    let mut words = shlex::split(&suggested).unwrap();
    words.retain(|w| w != &format!("::127.0.0.1:{}", silent.port()));
    let last_connect = words.iter().rposition(|w| w == "--connect-to").unwrap();
    words.insert(last_connect + 1, format!("::127.0.0.1:{}", refused.port()));
    let resumed = Command::new(binary()).args(&words).output().await.unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for record in lines(&out) {
        *seen
            .entry(record["target"]["host"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(seen.len(), 25, "{seen:?}");
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
}

#[test]
fn resume_needs_an_output_file() {
    for output in [vec!["-o", "-"], vec![]] {
        let out = std::process::Command::new(binary())
            .args(["scan", "example.com", "--resume"])
            .args(&output)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{output:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--resume") && stderr.contains("-o"),
            "{output:?}: {stderr}"
        );
    }
}
