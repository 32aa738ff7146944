//! `-q` and `-v` on every subcommand, through the binary: `-q` leaves
//! stderr to warnings and errors (an error still shows), `-v` adds detail,
//! and neither changes what a script reads. Also `--format` where it was
//! missing (`report`, `baseline`) and counts written as "1 domain", never
//! "1 domains" or "domain(s)". Offline: the only servers are on 127.0.0.1.

mod common;

use common::fixtures::observation;
use common::{assert_code, binary};
use mitmwatch_core::model::{Observation, Status, StockVerification};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .args(["--color", "never"])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `-q` printed nothing on stderr.
#[track_caller]
fn assert_silent(out: &Output, what: &str) {
    assert!(out.stderr.is_empty(), "{what} -q: {}", stderr(out));
}

/// With `-q`, an error is still printed, as `mitmwatch: error: …`.
#[track_caller]
fn assert_error_shown(args: &[&str]) {
    let mut quiet = vec!["-q"];
    quiet.extend(args);
    let out = run(&quiet);
    assert_code(&out, 1, &format!("{args:?}"));
    assert!(
        stderr(&out).starts_with("mitmwatch: error: "),
        "{args:?} -q hid the error: {}",
        stderr(&out)
    );
}

const FIXTURE_ROOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/roots/public-root-r1.pem"
);
const FIXTURE_AT: &str = "2026-06-01T00:00:00Z";

/// An observation whose chain verified when it was recorded (as `scan`
/// marks those that reach its trust store).
fn verified(name: &str, host: &str) -> Observation {
    let mut o = observation(name, host);
    o.stock_verification = Some(StockVerification {
        trust_store: "fixture root R1".into(),
        ok: true,
        error: None,
    });
    o
}

/// A handshake that was refused: no chain.
fn refused(host: &str) -> Observation {
    let mut o = observation("public-ok", host);
    o.status = Status::ConnectRefused;
    o.failure = Some("connection refused".into());
    o.chain.clear();
    o.stock_verification = None;
    o
}

fn write_jsonl(dir: &Path, name: &str, observations: &[Observation]) -> String {
    let path = dir.join(name);
    let mut text = String::new();
    for o in observations {
        text.push_str(&serde_json::to_string(o).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// One clean site, one intercepted (Kazakhstan's 2019 root) and one refused.
fn mixed_scan(dir: &Path) -> String {
    write_jsonl(
        dir,
        "mixed.jsonl",
        &[
            verified("public-ok", "example.com"),
            observation("kz-2019-forged-facebook", "facebook.com"),
            refused("refused.example"),
        ],
    )
}

fn analysis_flags() -> Vec<&'static str> {
    vec!["--roots", FIXTURE_ROOT, "--at", FIXTURE_AT]
}

#[tokio::test]
async fn scan_quiet_verbose() {
    let port = common::refused_port().await;
    let target = port.to_string();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--retries", "0", &target];
        args.extend(extra);
        run(&args)
    };
    let plain = scan(&[]);
    assert_code(&plain, 0, "scan");
    assert!(
        stderr(&plain).contains("mitmwatch: 1 target scanned (1 connect-refused)"),
        "{}",
        stderr(&plain)
    );
    let quiet = scan(&["-q"]);
    assert_silent(&quiet, "scan");
    let status = |o: &Output| -> Vec<String> {
        stdout(o)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["status"].to_string())
            .collect()
    };
    assert_eq!(status(&quiet), status(&plain), "-q keeps the records");
    let verbose = scan(&["-v"]);
    assert!(
        stderr(&verbose).contains(&format!("mitmwatch: {target}: connect-refused")),
        "-v names each failed target: {}",
        stderr(&verbose)
    );
    assert_eq!(
        stdout(&verbose).lines().count(),
        1,
        "-v does not change the records"
    );
    assert_error_shown(&["scan", "-i", "/nonexistent/list.txt"]);
}

#[test]
fn demo_quiet_verbose() {
    let plain = run(&["demo"]);
    assert_code(&plain, 2, "demo");
    assert!(stdout(&plain).starts_with("mitmwatch demo: "));
    let quiet = run(&["demo", "-q"]);
    assert_code(&quiet, 2, "demo -q");
    assert_silent(&quiet, "demo");
    let text = stdout(&quiet);
    assert!(
        !text.contains("mitmwatch demo: ") && !text.contains("Try `mitmwatch"),
        "-q leaves the narration out: {text}"
    );
    assert!(text.contains("INTERCEPTED"), "{text}");
    assert!(text.contains("37 domains"), "the summary stays: {text}");
    let verbose = run(&["demo", "-v"]);
    assert!(
        stdout(&verbose).len() > stdout(&plain).len() * 2,
        "-v explains every finding"
    );
    assert_error_shown(&["demo", "-o", "/nonexistent/dir/obs.jsonl"]);
}

#[test]
fn sim_quiet_verbose() {
    let plain = run(&["sim", "--duration", "0.2"]);
    assert_code(&plain, 0, "sim");
    assert!(stdout(&plain).contains("running; press Ctrl-C"));
    assert!(stdout(&plain).contains("try:"));
    let quiet = run(&["sim", "-q", "--duration", "0.2"]);
    assert_silent(&quiet, "sim");
    let text = stdout(&quiet);
    assert!(text.starts_with("origin (genuine certificates"), "{text}");
    assert!(
        !text.contains("try:") && !text.contains("running"),
        "{text}"
    );
    let verbose = run(&["sim", "-v", "--duration", "0.2"]);
    assert!(
        stdout(&verbose).contains("names the box intercepts: ")
            && stdout(&verbose).contains("facebook.com"),
        "{}",
        stdout(&verbose)
    );
    assert_error_shown(&["sim", "--duration", "0.2", "--out-dir", "/proc/mitmwatch"]);
}

#[test]
fn analyze_quiet_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let input = mixed_scan(dir.path());
    let analyze = |extra: &[&str]| {
        let mut args = vec!["analyze", &input];
        args.extend(analysis_flags());
        args.extend(extra);
        run(&args)
    };
    let plain = analyze(&[]);
    assert_code(&plain, 2, "analyze");
    let quiet = analyze(&["-q"]);
    assert_code(&quiet, 2, "analyze -q");
    assert_silent(&quiet, "analyze");
    assert_eq!(stdout(&quiet), stdout(&plain));
    let verbose = analyze(&["-v"]);
    assert!(stdout(&verbose).len() > stdout(&plain).len());
    assert!(stdout(&plain).contains("3 targets: "), "{}", stdout(&plain));
    assert_error_shown(&["analyze", "/nonexistent/obs.jsonl"]);
}

#[test]
fn inspect_quiet_verbose() {
    let chain = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/chains/public-ok.pem");
    let inspect = |extra: &[&str]| {
        let mut args = vec!["inspect", chain, "--host", "example.com"];
        args.extend(analysis_flags());
        args.extend(extra);
        run(&args)
    };
    let plain = inspect(&[]);
    assert_code(&plain, 0, "inspect");
    assert!(!stdout(&plain).contains("Data used:"));
    let quiet = inspect(&["-q"]);
    assert_silent(&quiet, "inspect");
    let verbose = inspect(&["-v"]);
    assert!(
        stdout(&verbose).contains("Data used:"),
        "-v names the data the verdict rests on: {}",
        stdout(&verbose)
    );
    assert_error_shown(&["inspect", "/nonexistent/chain.pem"]);
}

#[test]
fn check_quiet_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().display().to_string();
    // Every site is sent to a port nothing listens on: fast and offline.
    let check = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "--retries",
            "0",
            "--connect-to",
            "::127.0.0.1:1",
            "--sysroot",
            &home,
            "--home",
            &home,
        ];
        args.extend(extra);
        run(&args)
    };
    let plain = check(&[]);
    assert_code(&plain, 3, "check");
    assert!(stderr(&plain).contains("mitmwatch: checking 63 popular sites..."));
    let quiet = check(&["-q"]);
    assert_silent(&quiet, "check");
    assert!(!stdout(&plain).contains("Every site:"));
    let verbose = check(&["-v"]);
    assert!(
        stdout(&verbose).contains("Every site:"),
        "{}",
        stdout(&verbose)
    );
    assert_error_shown(&["check", "--save", "/nonexistent/dir/c.jsonl"]);
}

#[test]
fn baseline_quiet_verbose_and_text_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = mixed_scan(dir.path());
    let plain = run(&["baseline", &input]);
    assert_code(&plain, 0, "baseline");
    assert!(
        stderr(&plain).contains("mitmwatch: baseline of 1 domain from 1 of 3 observations"),
        "{}",
        stderr(&plain)
    );
    let json: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(json["domains"]["example.com"].is_object(), "{json}");
    let quiet = run(&["baseline", "-q", &input]);
    assert_silent(&quiet, "baseline");
    let same: serde_json::Value = serde_json::from_slice(&quiet.stdout).unwrap();
    assert_eq!(same["domains"], json["domains"]);
    let verbose = run(&["baseline", "-v", &input]);
    let err = stderr(&verbose);
    assert!(
        err.contains("refused.example:443: not used: the handshake failed (connect-refused)"),
        "{err}"
    );
    assert!(
        err.contains("facebook.com:443: not used: the chain was not verified"),
        "{err}"
    );
    let text = run(&["baseline", "--format", "text", &input]);
    assert_code(&text, 0, "baseline --format text");
    let body = stdout(&text);
    assert!(body.contains("example.com\n  issuer "), "{body}");
    assert!(body.ends_with("\n1 domain\n"), "{body}");
    let explicit = run(&["baseline", "--format", "json", &input]);
    let again: serde_json::Value = serde_json::from_slice(&explicit.stdout).unwrap();
    assert_eq!(again["domains"], json["domains"]);
    assert_error_shown(&["baseline", "/nonexistent/obs.jsonl"]);
}

#[test]
fn report_quiet_verbose_and_json_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = mixed_scan(dir.path());
    let html = dir.path().join("r.html").display().to_string();
    let report = |extra: &[&str]| {
        let mut args = vec!["report", &input];
        args.extend(analysis_flags());
        args.extend(extra);
        run(&args)
    };
    let plain = report(&["--html", &html, "--format", "text"]);
    assert_code(&plain, 2, "report");
    assert!(stderr(&plain).contains("HTML report written to"));
    let quiet = report(&["-q", "--html", &html, "--format", "text"]);
    assert_code(&quiet, 2, "report -q");
    assert_silent(&quiet, "report");
    assert_eq!(stdout(&quiet), stdout(&plain));
    let text = report(&[]);
    assert!(stdout(&text).contains("3 targets: "), "{}", stdout(&text));
    let verbose = report(&["-v"]);
    assert!(
        stdout(&verbose).len() > stdout(&text).len(),
        "-v explains every finding"
    );
    let json = report(&["--format", "json"]);
    assert_code(&json, 2, "report --format json");
    let lines: Vec<serde_json::Value> = stdout(&json)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "three assessments and a summary");
    assert!(lines[..3].iter().all(|l| l["type"] == "assessment"));
    assert_eq!(lines[3]["type"], "summary");
    assert_eq!(lines[3]["targets"], 3);
    assert_error_shown(&["report", "/nonexistent/obs.jsonl"]);
}

#[test]
fn store_quiet_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("public.pem");
    std::fs::write(&public, common::stores::public_root_pem()).unwrap();
    let (home, public) = (
        dir.path().display().to_string(),
        public.display().to_string(),
    );
    let store = |extra: &[&str]| {
        let mut args = vec![
            "store",
            "--no-system",
            "--no-browsers",
            "--home",
            &home,
            "--path",
            &public,
        ];
        args.extend(extra);
        run(&args)
    };
    let plain = store(&[]);
    assert_code(&plain, 0, "store");
    assert!(
        stdout(&plain).contains("1 certificate: 1 public"),
        "{}",
        stdout(&plain)
    );
    let quiet = store(&["-q"]);
    assert_silent(&quiet, "store");
    let verbose = store(&["-v"]);
    assert!(
        stdout(&verbose).len() > stdout(&plain).len(),
        "-v lists the public roots"
    );
    assert_error_shown(&["store", "--path", "/nonexistent/roots.pem"]);
}

#[tokio::test]
async fn probe_quiet_verbose() {
    let port = common::refused_port().await;
    let host = format!("a.example:{}", port.port());
    let resolve = format!("a.example:{}:127.0.0.1", port.port());
    let probe = |extra: &[&str]| {
        let mut args = vec!["probe", "--timeout", "2", "--resolve", &resolve, &host];
        args.extend(extra);
        run(&args)
    };
    let plain = probe(&[]);
    assert_code(&plain, 3, "probe of a refused port");
    assert!(
        stdout(&plain).contains("1 host probed: "),
        "{}",
        stdout(&plain)
    );
    let quiet = probe(&["-q"]);
    assert_silent(&quiet, "probe");
    let verbose = probe(&["-v"]);
    assert!(
        stderr(&verbose).contains(&format!("mitmwatch: {host}: ")),
        "-v notes each host as it ends: {}",
        stderr(&verbose)
    );
    assert_error_shown(&["probe"]);
}

#[test]
fn compare_quiet_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_jsonl(
        dir.path(),
        "a.jsonl",
        &[verified("public-ok", "example.com")],
    );
    let b = write_jsonl(
        dir.path(),
        "b.jsonl",
        &[verified("public-ok", "example.com")],
    );
    let plain = run(&["compare", &a, &b]);
    assert_code(&plain, 0, "compare");
    let text = stdout(&plain);
    assert!(text.contains("(1 observation)"), "{text}");
    assert!(text.contains("1 domain: "), "{text}");
    let quiet = run(&["compare", "-q", &a, &b]);
    assert_silent(&quiet, "compare");
    let verbose = run(&["compare", "-v", &a, &b]);
    assert!(
        stdout(&verbose).contains("1 leaf key"),
        "-v shows the agreeing domains in full: {}",
        stdout(&verbose)
    );
    assert_error_shown(&["compare", &a, "/nonexistent/b.jsonl"]);
}

#[test]
fn evidence_quiet_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let input = mixed_scan(dir.path());
    let evidence = |name: &str, extra: &[&str]| {
        let out_dir = dir.path().join(name).display().to_string();
        let mut args = vec!["evidence", &input, "-o", &out_dir];
        args.extend(analysis_flags());
        args.extend(extra);
        run(&args)
    };
    let plain = evidence("plain", &[]);
    assert_code(&plain, 2, "evidence");
    assert!(stderr(&plain).contains("bundle of "), "{}", stderr(&plain));
    let quiet = evidence("quiet", &["-q"]);
    assert_code(&quiet, 2, "evidence -q");
    assert_silent(&quiet, "evidence");
    let verbose = evidence("verbose", &["-v"]);
    assert!(
        stderr(&verbose).contains("mitmwatch: wrote ")
            && stderr(&verbose).contains("manifest.json"),
        "-v names each file: {}",
        stderr(&verbose)
    );
    let plain_dir = dir.path().join("plain").display().to_string();
    assert_error_shown(&["evidence", &input, "-o", &plain_dir]);
}

/// A target list of `n` names, and a shard file recording the first of them.
fn shard_and_list(dir: &Path, n: usize) -> (String, String) {
    let names: Vec<String> = (0..n).map(|i| format!("h{i}.example")).collect();
    let list = dir.join("list.txt");
    std::fs::write(&list, names.join("\n") + "\n").unwrap();
    let shard = write_jsonl(dir, "shard.jsonl", &[refused(&names[0])]);
    (shard, list.display().to_string())
}

#[test]
fn merge_quiet_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("merged.jsonl").display().to_string();
    let (shard, list) = shard_and_list(&subdir(dir.path(), "x"), 1);
    let plain = run(&["merge", &shard, "--targets", &list, "-o", &out]);
    assert_code(&plain, 0, "merge");
    assert!(
        stderr(&plain).contains("merged 1 record from 1 file into ")
            && stderr(&plain).contains("1 target listed: every target exactly once"),
        "{}",
        stderr(&plain)
    );
    let quiet = run(&["merge", "-q", &shard, "--targets", &list, "-o", &out]);
    assert_silent(&quiet, "merge");
    // 30 targets, 29 missing: the default names 20, -v every one.
    let (shard, list) = shard_and_list(&subdir(dir.path(), "y"), 30);
    let plain = run(&["merge", &shard, "--targets", &list, "-o", &out]);
    assert_code(&plain, 5, "merge with missing targets");
    let named = |o: &Output| stderr(o).matches("mitmwatch: missing ").count();
    assert_eq!(named(&plain), 20, "{}", stderr(&plain));
    let verbose = run(&["merge", "-v", &shard, "--targets", &list, "-o", &out]);
    assert_eq!(named(&verbose), 29, "{}", stderr(&verbose));
    assert_error_shown(&[
        "merge",
        "/nonexistent/s.jsonl",
        "--targets",
        &list,
        "-o",
        &out,
    ]);
}

/// `dir/name`, created.
fn subdir(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    path
}

#[tokio::test]
async fn update_quiet_verbose_and_json_format() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let port = common::refused_port().await;
    let base = format!("http://{port}/");
    let update = |extra: &[&str]| {
        let mut args = vec!["update", "--data-dir", &data, "--base-url", &base];
        args.extend(extra);
        run(&args)
    };
    let plain = update(&[]);
    assert_code(&plain, 4, "update from a refused mirror");
    assert!(plain.stderr.is_empty(), "{}", stderr(&plain));
    let quiet = update(&["-q"]);
    assert_silent(&quiet, "update");
    let verbose = update(&["-v"]);
    assert!(
        stderr(&verbose).contains(&format!("mitmwatch: CT log list from {base}")),
        "-v names each source: {}",
        stderr(&verbose)
    );
    let json = update(&["--format", "json"]);
    assert_code(&json, 4, "update --format json");
    let record: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(record["type"], "update");
    assert_eq!(record["schema"], 1);
    assert_eq!(record["data_dir"], data.as_str());
    let states: Vec<(String, String)> = record["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["source"].to_string(), s["state"].to_string()))
        .collect();
    assert_eq!(
        states,
        [
            ("\"ct-log-list\"".into(), "\"failed\"".into()),
            ("\"intermediates\"".into(), "\"failed\"".into()),
            ("\"pins\"".into(), "\"skipped\"".into()),
        ]
    );
    assert!(record["sources"][0]["detail"]
        .as_str()
        .unwrap()
        .contains(&base));
    assert_error_shown(&["update", "--data-dir", "/proc/mitmwatch-data"]);
}

#[test]
fn locate_accepts_quiet_and_verbose() {
    // locate's table is always complete: -v adds nothing, -q hides no error.
    for flag in ["-q", "-v"] {
        let out = run(&["locate", flag, "--max-ttl", "0", "example.com"]);
        assert_code(&out, 1, "locate --max-ttl 0");
        assert!(stderr(&out).contains("--max-ttl"), "{}", stderr(&out));
    }
}

#[test]
fn quiet_and_verbose_go_before_or_after_the_subcommand() {
    let before = run(&["-q", "demo", "--format", "json"]);
    let after = run(&["demo", "--format", "json", "--quiet"]);
    assert_code(&before, 2, "mitmwatch -q demo");
    assert_code(&after, 2, "demo --quiet");
    assert_eq!(
        stdout(&before).lines().count(),
        stdout(&after).lines().count()
    );
}

#[test]
fn counts_of_one_and_two_agree_with_their_nouns() {
    let dir = tempfile::tempdir().unwrap();
    let one = write_jsonl(
        dir.path(),
        "one.jsonl",
        &[verified("public-ok", "example.com")],
    );
    let two = write_jsonl(
        dir.path(),
        "two.jsonl",
        &[
            verified("public-ok", "example.com"),
            verified("public-ok", "example.org"),
        ],
    );
    let mut seen = String::new();
    for (input, n, noun) in [(&one, 1, "domain"), (&two, 2, "domains")] {
        let baseline = run(&["baseline", input]);
        assert_code(&baseline, 0, "baseline");
        let observations = if n == 1 {
            "observation"
        } else {
            "observations"
        };
        assert!(
            stderr(&baseline).contains(&format!(
                "baseline of {n} {noun} from {n} of {n} {observations}"
            )),
            "{}",
            stderr(&baseline)
        );
        let mut args = vec!["analyze", input.as_str()];
        args.extend(analysis_flags());
        let analyze = run(&args);
        let targets = if n == 1 { "target" } else { "targets" };
        assert!(
            stdout(&analyze).starts_with(&format!("{n} {targets}: clean 1")),
            "{}",
            stdout(&analyze)
        );
        assert!(
            stdout(&analyze).contains(&format!("in the {n} of {n} {targets} that answered")),
            "{}",
            stdout(&analyze)
        );
        let compare = run(&["compare", "-v", input, input]);
        assert!(
            stdout(&compare).contains(&format!("({n} {observations})")),
            "{}",
            stdout(&compare)
        );
        for out in [&baseline, &analyze, &compare] {
            seen.push_str(&stdout(out));
            seen.push_str(&stderr(out));
        }
    }
    assert!(!seen.contains("(s)"), "{seen}");
}
