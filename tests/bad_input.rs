//! Bad input files, through the binary: each bad line or block gives an
//! error naming the file and line, and every valid record around it is
//! still processed.

mod common;

use common::binary;
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde_json::Value;
use std::io::Write;
use tokio::process::Command;

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_list_with_idns_ip_literals_bad_names_and_ports() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let mut f = std::fs::File::create(&list).unwrap();
    let long_label = "a".repeat(64);
    let lines: Vec<&[u8]> = vec![
        b"# comment",                    // 1
        b"good.example",                 // 2
        "Bücher.example".as_bytes(),     // 3 -> xn--bcher-kva.example
        "пример.рф:8443".as_bytes(),     // 4 -> xn--e1afmkfd.xn--p1ai
        b"127.0.0.1",                    // 5
        b"[::1]:444",                    // 6
        b"https://Mixed.Example/path?q", // 7 -> mixed.example
        b"bad..example",                 // 8: empty label
        b"-dash.example",                // 9
        b"port.example:0",               // 10
        b"port.example:65536",           // 11
        b"port.example:https",           // 12
        b"\x1b[31mansi.example",         // 13
        "a\u{202e}b.example".as_bytes(), // 14
        b"\xff\xfe\x00binary",           // 15
        b"two targets",                  // 16
        long_label.as_bytes(),           // 17
        b"",                             // 18
        b"1,ranked.example",             // 19
    ];
    for l in &lines {
        f.write_all(l).unwrap();
        f.write_all(b"\n").unwrap();
    }
    drop(f);
    let out = Command::new(binary())
        .args(["scan", "--retries", "0", "--timeout", "5", "-i"])
        .arg(&list)
        .arg("--connect-to")
        .arg(format!("::127.0.0.1:{}", sim.origin.port()))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!out.stderr.contains(&0x1b), "raw ESC on stderr: {stderr}");
    for (line, why) in [
        (8, "empty label"),
        (9, "starts or ends with '-'"),
        (10, "out of range"),
        (11, "out of range"),
        (12, "not a port number"),
        (13, "\\u{1b}[31mansi.example"),
        (14, "not a valid internationalised domain name"),
        (15, "not valid UTF-8"),
        (16, "one target per line"),
        (17, "longer than 63"),
    ] {
        let prefix = format!("list.txt:{line}: ");
        let msg = stderr
            .lines()
            .find(|l| l.contains(&prefix))
            .unwrap_or_else(|| panic!("no error for line {line}: {stderr}"));
        assert!(msg.contains(why), "line {line}: {msg}");
    }
    assert!(stderr.contains("10 bad input lines skipped"), "{stderr}");
    let records = json_lines(&out.stdout);
    let mut targets: Vec<(String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["target"]["host"].as_str().unwrap().to_string(),
                r["target"]["port"].as_u64().unwrap(),
            )
        })
        .collect();
    targets.sort();
    let expected = [
        ("127.0.0.1", 443),
        ("::1", 444),
        ("good.example", 443),
        ("mixed.example", 443),
        ("ranked.example", 443),
        ("xn--bcher-kva.example", 443),
        ("xn--e1afmkfd.xn--p1ai", 8443),
    ];
    let expected: Vec<(String, u64)> = expected.iter().map(|(h, p)| (h.to_string(), *p)).collect();
    assert_eq!(targets, expected);
    assert!(records.iter().all(|r| r["status"] == "ok"), "{records:?}");
    let idn = records
        .iter()
        .find(|r| r["target"]["host"] == "xn--bcher-kva.example")
        .unwrap();
    assert_eq!(idn["target"]["sni"], "xn--bcher-kva.example");
    let ip = records
        .iter()
        .find(|r| r["target"]["host"] == "127.0.0.1")
        .unwrap();
    assert_eq!(ip["target"]["sni"], Value::Null, "no SNI for IP literals");
}

#[tokio::test]
async fn an_empty_domain_list_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("empty.txt");
    std::fs::write(&list, b"").unwrap();
    let out = Command::new(binary())
        .args(["scan", "-i"])
        .arg(&list)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "nothing usable was read");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("0 targets scanned"), "{stderr}");
    assert!(
        stderr.contains("no targets read from") && stderr.contains("(it is empty)"),
        "{stderr}"
    );
}

#[tokio::test]
async fn observation_files_with_every_kind_of_bad_line() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let c = common::box_collector(&sim);
    let good = serde_json::to_string(&common::probe(&c, "facebook.com").await).unwrap();
    let mut long_chain: Value = serde_json::from_str(&good).unwrap();
    let cert = long_chain["chain"][0].clone();
    long_chain["chain"] = Value::Array(vec![cert; 65]);
    let mut future: Value = serde_json::from_str(&good).unwrap();
    future["schema"] = 2.into();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("obs.jsonl");
    let mut text = Vec::new();
    for line in [
        good.as_bytes().to_vec(),                            // 1
        b"{\"schema\": 1, \"tool\": ".to_vec(),              // 2 truncated
        future.to_string().into_bytes(),                     // 3
        b"\x00\x9f\x92\x96 binary".to_vec(),                 // 4
        long_chain.to_string().into_bytes(),                 // 5
        vec![b'['; 5 << 20],                                 // 6 over-long
        b"".to_vec(),                                        // 7
        b"{\"schema\": 1}".to_vec(),                         // 8 not an observation
        good.replace("facebook.com", "vk.com").into_bytes(), // 9
    ] {
        text.extend_from_slice(&line);
        text.push(b'\n');
    }
    std::fs::write(&file, &text).unwrap();
    let out = Command::new(binary())
        .arg("analyze")
        .arg(&file)
        .args(["--format", "json"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "obs.jsonl:2: truncated JSON",
        "obs.jsonl:3: unsupported observation schema 2",
        "obs.jsonl:4: not UTF-8 text",
        "obs.jsonl:5: the chain has 65 certificates; mitmwatch records and judges at most 64",
        "obs.jsonl:6: line is longer than 4 MiB",
        "obs.jsonl:8: not a mitmwatch observation",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    assert!(stderr.contains("6 bad lines"), "{stderr}");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 3, "two assessments and the summary");
    assert_eq!(lines[1]["target"]["host"], "vk.com");
    assert_eq!(out.status.code(), Some(2));

    // An empty file, and a binary one: clear messages, bounded output.
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, b"").unwrap();
    let out = Command::new(binary())
        .arg("analyze")
        .arg(&empty)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("empty.jsonl: no observations in the file")
    );
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(
        &garbage,
        common::hostile::pseudo_random(200_000, 3)
            .iter()
            .map(|b| if *b == b'\n' { 0x80 } else { *b })
            .collect::<Vec<u8>>()
            .chunks(100)
            .flat_map(|c| c.iter().copied().chain([b'\n']))
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let out = Command::new(binary())
        .arg("analyze")
        .arg(&garbage)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("garbage.bin:1: not UTF-8 text"), "{stderr}");
    assert!(
        stderr.contains("skipped 1980 more bad lines of"),
        "{stderr}"
    );
    assert!(stderr.lines().count() < 30, "{stderr}");
    assert_eq!(out.status.code(), Some(3));
}

#[tokio::test]
async fn bad_pem_is_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        std::fs::read_to_string(common::fixtures::fixture("chains/self-signed.pem")).unwrap();
    let bad_block = "-----BEGIN CERTIFICATE-----\nMIIB!!!notbase64\n-----END CERTIFICATE-----\n";
    let bad = dir.path().join("bad.pem");
    let bad_line = good.lines().count() + 2;
    std::fs::write(&bad, format!("{good}\n{bad_block}")).unwrap();
    let ok = dir.path().join("ok.pem");
    std::fs::write(&ok, &good).unwrap();
    let binary_file = dir.path().join("noise.bin");
    std::fs::write(&binary_file, common::hostile::pseudo_random(5000, 9)).unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, b"").unwrap();
    let huge = dir.path().join("huge.pem");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    let out = Command::new(binary())
        .arg("inspect")
        .args([&bad, &binary_file, &empty, &huge, &ok])
        .args(["--format", "json"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "bad.pem:{bad_line}: the PEM block is not readable"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("noise.bin: neither PEM nor DER"),
        "{stderr}"
    );
    assert!(stderr.contains("empty.pem: the file is empty"), "{stderr}");
    assert!(
        stderr.contains("huge.pem: larger than 16 MiB, not a certificate chain"),
        "{stderr}"
    );
    assert!(
        stderr.contains("4 of 5 files could not be read"),
        "{stderr}"
    );
    assert_eq!(json_lines(&out.stdout).len(), 2, "ok.pem was inspected");

    // The same file as a trust store is a usage error naming file and line.
    let out = Command::new(binary())
        .arg("analyze")
        .arg(&empty)
        .arg("--roots")
        .arg(&bad)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("bad.pem: bad PEM: line {bad_line}")),
        "{stderr}"
    );
}

/// A file of one of mitmwatch's own formats given where observations are
/// read is refused with exit 1 and the command that fits, before anything
/// is judged or written (no "not valid JSON" per line, no empty report).
#[tokio::test]
async fn files_of_the_wrong_kind_are_refused_with_the_command_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "# sites\nfacebook.com\nvk.com:443\n").unwrap();
    let evidence = dir.path().join("evidence.json");
    std::fs::write(
        &evidence,
        "{\n  \"type\": \"interception-evidence\",\n  \"schema\": 3\n}\n",
    )
    .unwrap();
    let check = dir.path().join("check.json");
    std::fs::write(
        &check,
        "{\n  \"type\": \"check\",\n  \"schema\": 1,\n  \"verdict\": \"clean\"\n}\n",
    )
    .unwrap();
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (list.clone(), "run `mitmwatch scan -i"),
        (
            format!("{root}/fixtures/baseline-vk.json").into(),
            "is a baseline (from `mitmwatch baseline`): give it with `--baseline",
        ),
        (
            format!("{root}/certs/pins.json").into(),
            "is static-pin data: give it with `--pins",
        ),
        (
            format!("{root}/certs/catalog.json").into(),
            "give it with `--catalog",
        ),
        (evidence.clone(), "the bundle's observations.jsonl"),
        (check, "`check --save FILE` keeps the observations"),
        (
            format!("{root}/certs/superfish-b6fe9151402bad1c.pem").into(),
            "`mitmwatch inspect",
        ),
    ];
    let html = dir.path().join("r.html");
    for (file, hint) in &cases {
        for command in [
            vec!["analyze"],
            vec!["report", "--html", html.to_str().unwrap()],
            vec![
                "evidence",
                "-o",
                dir.path().join("bundle").to_str().unwrap(),
            ],
            vec!["baseline"],
        ] {
            let out = Command::new(binary())
                .args(&command)
                .arg(file)
                .output()
                .await
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{command:?} {file:?}: {stderr}");
            assert!(stderr.contains(hint), "{command:?} {file:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(out.stdout.is_empty(), "{command:?}");
        }
        assert!(!html.exists(), "no page is written for {file:?}");
    }
    let out = Command::new(binary())
        .arg("compare")
        .arg(&list)
        .arg(&evidence)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
