//! The judging commands as a user runs them: inspect on the real
//! Kazakhstan roots, analyze on saved observations (with bad lines), check
//! against the simulation, baselines, exit codes and output escaping.

mod common;

use common::binary;
use mitmwatch_core::analysis_data::catalog::Catalog;
use mitmwatch_core::model::Category;
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde_json::Value;
use std::path::Path;
use tokio::process::Command;

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn cert_path(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("certs")
        .join(file)
        .display()
        .to_string()
}

#[tokio::test]
async fn inspect_names_every_real_kazakhstan_root() {
    let catalog = Catalog::builtin().unwrap();
    let roots: Vec<_> = catalog
        .entries()
        .iter()
        .filter(|e| e.category == Category::StateInterception && e.der.is_some())
        .collect();
    assert_eq!(
        roots.len(),
        10,
        "Qaznet and the nine ISCA roots ship as PEMs"
    );
    for entry in roots {
        let pem = mitmwatch_core::encoding::pem_encode("CERTIFICATE", entry.der.as_ref().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("root.pem");
        std::fs::write(&file, pem).unwrap();
        let out = Command::new(binary())
            .arg("inspect")
            .arg(&file)
            .args(["--format", "json"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", entry.id);
        let lines = json_lines(&out.stdout);
        assert_eq!(lines[0]["verdict"], "intercepted");
        assert_eq!(lines[0]["interceptor"]["id"], entry.id.as_str());
        let finding = &lines[0]["findings"][0];
        assert_eq!(finding["code"], "known-interception-root");
        assert_eq!(finding["evidence"]["catalog_id"], entry.id.as_str());
    }
    // Text output names the root in words.
    let out = Command::new(binary())
        .arg("inspect")
        .arg(cert_path("qaznet-trust-network-00309c736dd661da.pem"))
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Kazakhstan state interception"), "{text}");
    assert!(text.contains("00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"));
}

#[tokio::test]
async fn inspect_reports_unreadable_files_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let out = Command::new(binary())
        .arg("inspect")
        .arg(&bad)
        .arg(&empty)
        .arg(cert_path("superfish-b6fe9151402bad1c.pem"))
        .args(["--format", "json"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.pem"), "{stderr}");
    assert!(stderr.contains("empty.pem: the file is empty"), "{stderr}");
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["interceptor"]["id"], "superfish-komodia");
    let out = Command::new(binary())
        .arg("inspect")
        .arg(&bad)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn certificate_text_is_escaped_on_the_terminal() {
    let mut params = rcgen::CertificateParams::new(vec!["evil.example".to_string()]).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "\u{1b}[2J\u{1b}[31mevil\u{7}");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evil.pem");
    std::fs::write(&file, cert.pem()).unwrap();
    let out = Command::new(binary())
        .arg("inspect")
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert!(
        !out.stdout.contains(&0x1b),
        "no raw ESC may reach the terminal"
    );
    assert!(!out.stdout.contains(&0x07));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\u{1b}[31mevil"));
}

/// Saves a scan of the popular list through the box, and one straight to the origin.
async fn saved_scans(
    sim: &SimNetwork,
    dir: &Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let roots = dir.join("root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    std::fs::write(dir.join("pins.json"), sim.pins_json()).unwrap();
    let list = dir.join("list.txt");
    std::fs::write(
        &list,
        mitmwatch_core::analysis_data::domains::popular().join("\n"),
    )
    .unwrap();
    let mut outputs = Vec::new();
    for (name, addr) in [("box.jsonl", sim.interceptor), ("direct.jsonl", sim.origin)] {
        let path = dir.join(name);
        let status = Command::new(binary())
            .args(["scan", "-q", "-i"])
            .arg(&list)
            .args([
                "--connect-to",
                &format!("::127.0.0.1:{}", addr.port()),
                "--roots",
            ])
            .arg(&roots)
            .arg("-o")
            .arg(&path)
            .status()
            .await
            .unwrap();
        assert!(status.success());
        outputs.push(path);
    }
    (roots, outputs.remove(0), outputs.remove(0))
}

/// Runs `mitmwatch analyze INPUT` with the simulation's root and pins from `dir`.
async fn analyze_sim_scan(input: &Path, dir: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("analyze")
        .arg(input)
        .arg("--roots")
        .arg(dir.join("root.pem"))
        .arg("--pins")
        .arg(dir.join("pins.json"))
        .args(extra)
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_finds_targeted_interception_without_false_positives() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_roots, through_box, direct) = saved_scans(&sim, dir.path()).await;

    let out = analyze_sim_scan(&through_box, dir.path(), &["--format", "json"]).await;
    common::assert_exit(&out, 2);
    let lines = json_lines(&out.stdout);
    let (summary, assessments) = lines.split_last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["pattern"], "targeted");
    assert_eq!(
        summary["interceptors"][0]["interceptor"]["id"],
        "kz-qaznet-trust-network"
    );
    assert_eq!(
        summary["interceptors"][0]["domains"]
            .as_array()
            .unwrap()
            .len(),
        37
    );
    for a in assessments {
        assert_eq!(a["type"], "assessment");
        let host = a["target"]["host"].as_str().unwrap();
        let expected = if sim.intercepted.contains(host) {
            "intercepted"
        } else {
            "clean"
        };
        assert_eq!(a["verdict"], expected, "{host}: {}", a["findings"]);
        if expected == "clean" {
            // No false positives on passed-through names: nothing above "low".
            for f in a["findings"].as_array().unwrap() {
                assert!(
                    matches!(f["severity"].as_str(), Some("info" | "low")),
                    "{host}: {f}"
                );
            }
        }
    }

    // Straight to the origin: everything clean, exit 0.
    let out = analyze_sim_scan(&direct, dir.path(), &[]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("No interception found"));

    // A baseline from the direct scan turns the box's chains into issuer mismatches.
    let baseline = dir.path().join("baseline.json");
    let status = Command::new(binary())
        .arg("baseline")
        .arg(&direct)
        .arg("-o")
        .arg(&baseline)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let baseline_arg = baseline.display().to_string();
    let out = analyze_sim_scan(
        &through_box,
        dir.path(),
        &["--format", "json", "--baseline", &baseline_arg],
    )
    .await;
    let lines = json_lines(&out.stdout);
    let vk = lines
        .iter()
        .find(|l| l["target"]["host"] == "vk.com")
        .unwrap();
    let codes: Vec<&str> = vk["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"issuer-mismatch"), "{codes:?}");
    let wiki = lines
        .iter()
        .find(|l| l["target"]["host"] == "wikipedia.org")
        .unwrap();
    assert_eq!(wiki["verdict"], "clean");
}

#[tokio::test]
async fn analyze_skips_bad_lines_and_names_them() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let c = common::box_collector(&sim);
    let good = serde_json::to_string(&common::probe(&c, "facebook.com").await).unwrap();
    let mut future = serde_json::from_str::<Value>(&good).unwrap();
    future["schema"] = 99.into();
    // Past the last instant the time library holds once read in UTC: a
    // record like any other, never a panic that ends the run.
    let mut end_of_time = serde_json::from_str::<Value>(&good).unwrap();
    end_of_time["started_at"] = "9999-12-31T23:00:00-01:00".into();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("obs.jsonl");
    let truncated = &good[..good.len() / 2];
    std::fs::write(
        &file,
        format!("{good}\nnot json\n{future}\n\n{good}\n{truncated}\n{end_of_time}"),
    )
    .unwrap();
    let out = Command::new(binary())
        .arg("analyze")
        .arg(&file)
        .args(["--format", "json"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("obs.jsonl:2: not valid JSON"), "{stderr}");
    assert!(
        stderr.contains("obs.jsonl:3: unsupported observation schema 99"),
        "{stderr}"
    );
    assert!(stderr.contains("obs.jsonl:6: truncated JSON"), "{stderr}");
    assert!(!stderr.contains("panic"), "{stderr}");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 4, "three assessments and the summary");
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_gives_a_verdict_a_person_can_act_on() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let pins = dir.path().join("pins.json");
    std::fs::write(&pins, sim.pins_json()).unwrap();
    // An empty file-system root and home: the store audit that follows a
    // finding of interception must not read this machine's stores.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = |addr: String| {
        let (roots, pins, empty) = (roots.clone(), pins.clone(), empty.clone());
        async move {
            Command::new(binary())
                .args(["check", "--timeout", "2", "--connect-to", &addr, "--roots"])
                .arg(&roots)
                .arg("--pins")
                .arg(&pins)
                .arg("--sysroot")
                .arg(&empty)
                .arg("--home")
                .arg(&empty)
                .output()
                .await
                .unwrap()
        }
    };
    let out = run(format!("::127.0.0.1:{}", sim.interceptor.port())).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    // The verdict and its count come first, on the first line.
    assert!(
        text.starts_with("YOUR CONNECTIONS ARE BEING INTERCEPTED: 37 of 63 sites\n"),
        "{text}"
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // The interceptor is named once, with how it was identified.
    assert_eq!(
        flat.matches("Kazakhstan state interception (Kazakhtelecom, 2019)")
            .count(),
        1,
        "{text}"
    );
    assert!(flat.contains("targeted interception"));
    // The box mints under Qaznet's name with keys of its own.
    assert!(
        flat.contains("identified by name only: the certificates carry this name but not a key"),
        "{text}"
    );
    assert!(
        flat.contains("37 sites: allo.google.com, android.com"),
        "{text}"
    );
    assert!(flat.contains("What to do"));
    assert!(
        flat.contains("could not read any trust store on this machine"),
        "{text}"
    );
    // Not a terminal and no COLUMNS: wrapped at 80 columns.
    assert!(
        text.lines().skip(1).all(|l| l.chars().count() <= 80),
        "{text}"
    );

    let out = run(format!("::127.0.0.1:{}", sim.origin.port())).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("No interception found"));

    let refused = common::refused_port().await;
    let out = run(format!("::127.0.0.1:{}", refused.port())).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("INCONCLUSIVE"));

    let out = Command::new(binary())
        .args([
            "check",
            "--json",
            "--connect-to",
            &format!("::127.0.0.1:{}", sim.interceptor.port()),
            "--no-store",
            "--roots",
        ])
        .arg(&roots)
        .output()
        .await
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["verdict"], "intercepted");
    assert_eq!(doc["measured"]["counts"]["intercepted"], 37);
    assert_eq!(doc["measured"]["summary"]["verdicts"]["intercepted"], 37);
    assert!(doc["store"].is_null());
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn demo_shows_verdicts_and_exits_2() {
    let out = Command::new(binary()).arg("demo").output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("facebook.com:443"));
    assert!(text.contains("INTERCEPTED"));
    assert!(text.contains("37 of 63 targets were intercepted"), "{text}");
}

/// `analyze` judges a mitmwatch file as it reads it, on several threads,
/// and amends the scan-level finding afterwards. Its output must be what
/// the library gives for the whole scan held in memory, line for line, in
/// input order, for any number of threads.
#[tokio::test]
async fn streaming_analyze_matches_the_whole_scan_judged_at_once() {
    use common::fixtures::{analyzer, fixture, observation, scan, FIXTURE_TIME};
    use mitmwatch_core::analyze::ValidationTime;

    // Enough lines to span several batches, with the two mitmproxy leaves
    // (one key, unrelated names) far apart and a bad line between them.
    let (observations, mut lines) = scan(300, |i| match i {
        3 => observation("mitmproxy-a", "a.example"),
        250 => observation("mitmproxy-b", "b.example"),
        _ if i % 7 == 0 => observation("self-signed", &format!("s{i}.example")),
        _ => observation("public-ok", &format!("h{i}.example")),
    });
    lines.insert(101, "not json".into());
    let text = lines.join("\n") + "\n";
    let (assessments, summary) =
        analyzer(None).assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    let mut expected: Vec<Value> = assessments
        .iter()
        .map(|a| serde_json::to_value(a).unwrap())
        .collect();
    expected.push(serde_json::to_value(&summary).unwrap());
    assert_eq!(expected[3]["verdict"], expected[250]["verdict"]);
    assert!(
        expected[3]["findings"]
            .to_string()
            .contains("leaf-key-reuse"),
        "the library finds the reuse"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scan.jsonl");
    std::fs::write(&file, text).unwrap();
    let root = fixture("roots/public-root-r1.pem");
    for jobs in ["1", "3"] {
        let out = Command::new(binary())
            .arg("analyze")
            .arg(&file)
            .args([
                "--format",
                "json",
                "--jobs",
                jobs,
                "--at",
                "2026-06-01T00:00:00Z",
            ])
            .arg("--roots")
            .arg(&root)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("scan.jsonl:102: not valid JSON"),
            "{stderr}"
        );
        let mut got = json_lines(&out.stdout);
        // The summary says how it was made: the input and its SHA-256,
        // the time span, `--at`, and the bad line by position.
        let provenance = got
            .last_mut()
            .and_then(|s| s.as_object_mut())
            .and_then(|s| s.remove("provenance"))
            .expect("the summary carries its provenance");
        assert_eq!(
            provenance["inputs"][0]["sha256"],
            mitmwatch_core::encoding::sha256_hex(&std::fs::read(&file).unwrap())
        );
        assert_eq!(provenance["at"], "2026-06-01T00:00:00Z");
        assert_eq!(provenance["skipped_lines"], 1);
        assert_eq!(provenance["first_skipped"][0]["line"], 102);
        assert!(provenance["observed_from"].is_string());
        assert!(provenance["data"]["trust_store"].is_string());
        assert_eq!(got, expected, "--jobs {jobs}");
        assert_eq!(out.status.code(), Some(2), "mitmproxy is intercepted");
    }
}

/// `inspect` judges chains read from files: its findings speak of what
/// the file holds, not of what a server sent, and a chain that is only
/// suspicious names no interceptor.
#[tokio::test]
async fn inspect_speaks_of_the_file_not_of_a_server() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/chains");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pem"))
        .collect();
    files.sort();
    assert!(files.len() > 20);
    let out = Command::new(binary())
        .arg("inspect")
        .arg("-v")
        .args(&files)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for phrase in ["server sent", "server did not send", "server's certificate"] {
        assert!(!flat.contains(phrase), "{phrase:?} in {text}");
    }
    // The words for a file are there instead.
    assert!(flat.contains("The file holds the CA"), "{text}");
    assert!(flat.contains("The leaf certificate"), "{text}");
    for block in text.split("\n== ") {
        if block.contains(": SUSPICIOUS\n") {
            assert!(!block.contains("interceptor:"), "{block}");
        }
    }
    // JSON keeps the analyzer's own words: the record is the analyzer's.
    let out = Command::new(binary())
        .args(["inspect", "--format", "json"])
        .arg(format!("{dir}/self-signed.pem"))
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("the server sent itself"));
}

/// Text reports start with their conclusion; `--summary` gives only it.
#[tokio::test]
async fn analyze_and_report_lead_with_the_conclusion() {
    use common::fixtures::{observation, scan};
    let (_, lines) = scan(30, |i| match i {
        3 => observation("mitmproxy-a", "a.example"),
        _ => observation("public-ok", &format!("h{i}.example")),
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("obs.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let roots = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/roots/public-root-r1.pem"
    );
    let at = "2026-06-01T00:00:00Z";
    for command in ["analyze", "report"] {
        let run = |extra: &[&str]| {
            let mut cmd = Command::new(binary());
            cmd.arg(command)
                .arg(&file)
                .args(["--roots", roots, "--at", at])
                .args(extra);
            async move { cmd.output().await.unwrap() }
        };
        let out = run(&[]).await;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("30 targets: "), "{command}: {text}");
        let json = run(&["--summary", "--format", "json"]).await;
        let lines = json_lines(&json.stdout);
        assert_eq!(lines.len(), 1, "{command}");
        assert_eq!(lines[0]["type"], "summary");
        let conclusion = lines[0]["conclusion"].as_str().unwrap();
        let first_words: String = conclusion.chars().take(30).collect();
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let first_target = flat.find("h0.example:443").expect("a target line");
        let said = flat.find(&first_words).expect("the conclusion");
        assert!(said < first_target, "{command}: {text}");
        // Long lists repeat the counts at the end.
        assert!(
            flat[first_target..].contains("30 targets: "),
            "{command}: {text}"
        );
        let only = run(&["--summary"]).await;
        let summary = String::from_utf8_lossy(&only.stdout);
        assert_eq!(only.status.code(), out.status.code(), "{command}");
        assert!(summary.starts_with("30 targets: "), "{summary}");
        assert!(!summary.contains("h0.example:443"), "{summary}");
        assert!(summary.contains("Data used:"), "{summary}");
    }
}

/// The library's default data is the command line's: a real leaf sent
/// without its intermediate (completed from the shipped set) and judged
/// with default flags gets the same assessment from `analyze` as from
/// `Analyzer::new(AnalysisData::builtin())` (issue 20, item 15: the
/// library once lacked the shipped intermediates and removed roots).
#[tokio::test]
async fn the_command_line_judges_as_the_library_default_does() {
    use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
    let pem = std::fs::read(common::fixtures::fixture(
        "ct/sctvector-leaf-google-ug-289ed1676f42b679.pem",
    ))
    .unwrap();
    let certs =
        mitmwatch_core::analysis_data::trust_store::parse_pem_certs(&pem, "google.ug").unwrap();
    let at = time::macros::datetime!(2026-06-01 0:00 UTC);
    let obs = mitmwatch_core::import::pem_dir::file_observation(&certs, "google.ug".into(), at);
    let library =
        Analyzer::new(AnalysisData::builtin().unwrap()).assess(&obs, ValidationTime::At(at));
    assert_eq!(
        library.chain_trust,
        Some(mitmwatch_core::model::ChainTrust::Public),
        "{:?}",
        library.findings
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leaf.jsonl");
    std::fs::write(&file, serde_json::to_string(&obs).unwrap() + "\n").unwrap();
    let empty = dir.path().join("no-update-data");
    std::fs::create_dir(&empty).unwrap();
    let out = Command::new(binary())
        .arg("analyze")
        .arg(&file)
        .args(["--format", "json", "--at", "2026-06-01T00:00:00Z"])
        .env("MITMWATCH_DATA_DIR", &empty)
        .output()
        .await
        .unwrap();
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0], serde_json::to_value(&library).unwrap());
}
