//! The command-line contract, through the binary: usage errors exit 1
//! (never 2, the interception alarm), help and version exit 0, a closed
//! pipe ends the process quietly, unusable inputs and partial failures
//! are errors with a hint, outputs are checked before any handshake, and
//! the exit-code table of docs/exit-codes.md matches what the binary does.

mod common;

use common::{assert_code, binary};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every subcommand `mitmwatch --help` lists.
fn subcommands() -> Vec<String> {
    let help = text(&run(&["--help"]).stdout);
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect()
}

/// The subcommands named in the first column of docs/exit-codes.md's table of
/// exit codes, with the codes the table gives them.
fn readme_table() -> Vec<(String, String)> {
    let section =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/exit-codes.md"))
            .unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_string(), cells[2].to_string())
        })
        .collect()
}

#[test]
fn every_usage_error_exits_1_and_help_and_version_exit_0() {
    let commands = subcommands();
    assert!(commands.len() >= 15, "{commands:?}");
    for sub in &commands {
        let out = run(&[sub, "--no-such-flag"]);
        assert_code(&out, 1, sub);
        assert!(text(&out.stderr).starts_with("mitmwatch: error: "), "{sub}");
        assert!(out.stdout.is_empty(), "{sub}");
        let help = run(&[sub, "--help"]);
        assert_code(&help, 0, sub);
        assert!(text(&help.stdout).contains("Usage: mitmwatch"), "{sub}");
    }
    // No subcommand at all: the help, on stderr, as an error.
    let bare = run(&[]);
    assert_code(&bare, 1, "bare mitmwatch");
    assert!(text(&bare.stderr).contains("Usage: mitmwatch"));
    let version = run(&["--version"]);
    assert_code(&version, 0, "--version");
    assert!(text(&version.stdout).starts_with("mitmwatch "));
}

#[test]
fn bad_flag_values_are_usage_errors_that_name_the_flag() {
    for (args, flag) in [
        (&["scan", "x", "--shard", "5/4"][..], "--shard"),
        (&["scan", "x", "--timeout", "-1"], "--timeout"),
        (&["scan", "x", "--timeout", "0"], "--timeout"),
        (
            &["scan", "x", "--connect-timeout", "nan"],
            "--connect-timeout",
        ),
        (&["scan", "x", "--port", "70000"], "--port"),
        (&["scan", "x", "--per-address", "0"], "--per-address"),
        (&["scan", "x", "--concurrency", "0"], "--concurrency"),
        (&["scan", "x", "--rate", "0"], "--rate"),
        (&["check", "--timeout", "0"], "--timeout"),
        (&["probe", "x", "--concurrency", "0"], "--concurrency"),
        (&["probe", "x", "--timeout", "-1"], "--timeout"),
        (&["analyze", "x", "--jobs", "0"], "--jobs"),
        (&["report", "x", "--jobs", "0"], "--jobs"),
        (&["update", "--timeout", "0"], "--timeout"),
        (&["sim", "--duration", "-1"], "--duration"),
        (&["completions", "tcsh"], "<SHELL>"),
        (&["demo", "--color", "sometimes"], "--color"),
    ] {
        let out = run(args);
        assert_code(&out, 1, &format!("{args:?}"));
        let err = text(&out.stderr);
        assert!(err.starts_with("mitmwatch: error: "), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?} should name {flag}: {err}");
    }
}

#[test]
fn analysis_flags_of_scan_need_analyze() {
    let out = run(&["scan", "127.0.0.1:1", "--pins", "/nonexistent.json"]);
    assert_code(&out, 1, "scan --pins without --analyze");
    let err = text(&out.stderr);
    assert!(
        err.contains("--pins applies only") && err.contains("--analyze"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no scan ran");
}

/// Reads the first line of stdout, closes the pipe, and returns the exit
/// status and stderr of the rest of the run.
fn close_after_first_line(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "{args:?} printed nothing");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stderr))
}

#[test]
fn a_closed_pipe_ends_the_process_quietly() {
    // demo writes its banner, scans for a while, then writes the rest: the
    // later writes meet the closed pipe. Its exit code is a verdict, so it
    // is kept (tests/closed_pipe.rs covers every verdict command).
    let (code, err) = close_after_first_line(&["demo"]);
    assert_eq!(code, Some(2), "demo | head -1: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );

    // scan streams records: enough refused targets that some are written
    // after the reader has gone.
    let targets: Vec<String> = (0..400).map(|i| format!("h{i}.example")).collect();
    let mut args = vec![
        "scan",
        "--retries",
        "0",
        "-q",
        "--connect-to",
        "::127.0.0.1:1",
    ];
    args.extend(targets.iter().map(String::as_str));
    let (code, err) = close_after_first_line(&args);
    assert_eq!(code, Some(0), "scan | head -1: {err}");
    assert!(err.is_empty(), "{err}");
}

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn unusable_target_lists_fail_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let zip = write(
        dir.path(),
        "top-1m.csv.zip",
        b"PK\x03\x04\x14\x00\x08\x00rest",
    );
    let binary_file = write(
        dir.path(),
        "random.bin",
        &[0x7f, b'E', b'L', b'F', 0, 1, 2, 0xff],
    );
    let empty = write(dir.path(), "empty.txt", b"");
    let only_bad = write(dir.path(), "bad.txt", b"bad..name\n-dash.example\n");
    let folder = dir.path().display().to_string();
    for (file, says) in [
        (&zip, "is a zip archive"),
        (&binary_file, "holds binary data"),
        (&folder, "is a directory"),
        (&empty, "(it is empty)"),
        (&only_bad, "(2 bad lines)"),
    ] {
        let out = run(&[
            "scan",
            "--retries",
            "0",
            "-i",
            file,
            "--connect-to",
            "::127.0.0.1:1",
        ]);
        assert_code(&out, 1, file);
        let err = text(&out.stderr);
        assert!(err.contains(says), "{file}: {err}");
        assert!(err.contains("rank,domain"), "the hint: {err}");
    }
    let out = run(&["probe", "-i", &binary_file]);
    assert_code(&out, 1, "probe -i binary");
    let err = text(&out.stderr);
    assert!(
        err.contains("holds binary data") && !err.contains("--input FILE"),
        "{err}"
    );
    let out = run(&["probe", "-i", &empty]);
    assert_code(&out, 1, "probe -i empty");
    assert!(text(&out.stderr).contains("no hosts read from"));
}

#[test]
fn gzip_and_ranked_csv_lists_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"1,first.example\n2,second.example\n")
        .unwrap();
    let list = write(dir.path(), "top-1m.csv.gz", &gz.finish().unwrap());
    let out = run(&[
        "scan",
        "--retries",
        "0",
        "-i",
        &list,
        "--connect-to",
        "::127.0.0.1:1",
    ]);
    assert_code(&out, 0, "scan -i list.gz");
    let records = text(&out.stdout);
    assert_eq!(records.lines().count(), 2, "{records}");
    assert!(records.contains("\"host\":\"first.example\""));
    assert!(records.contains("\"host\":\"second.example\""));
    let err = text(&out.stderr);
    assert!(
        err.contains("2 targets scanned (2 connect-refused)"),
        "{err}"
    );
}

/// A scan of one refused target: observations, then the same judged.
fn refused_scan(dir: &std::path::Path) -> (String, String) {
    let observations = dir.join("obs.jsonl");
    let assessments = dir.join("assessments.jsonl");
    for (path, extra) in [(&observations, None), (&assessments, Some("--analyze"))] {
        let mut args = vec!["scan", "--retries", "0", "-q", "127.0.0.1:1", "-o"];
        let p = path.display().to_string();
        args.push(&p);
        args.extend(extra);
        let out = run(&args);
        assert!(
            out.status.success() || out.status.code() == Some(3),
            "{out:?}"
        );
    }
    (
        observations.display().to_string(),
        assessments.display().to_string(),
    )
}

#[test]
fn assessment_files_are_refused_where_observations_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let (_, assessments) = refused_scan(dir.path());
    let html = dir.path().join("report.html").display().to_string();
    let bundle = dir.path().join("bundle").display().to_string();
    for args in [
        vec!["report", &assessments, "--html", &html],
        vec!["analyze", &assessments],
        vec!["evidence", &assessments, "-o", &bundle],
        vec!["baseline", &assessments],
        vec!["compare", &assessments, &assessments],
    ] {
        let out = run(&args);
        assert_code(&out, 1, &format!("{args:?}"));
        let err = text(&out.stderr);
        assert!(
            err.contains("holds assessments, not observations"),
            "{args:?}: {err}"
        );
    }
    assert!(
        !std::path::Path::new(&html).exists(),
        "no misleading report written"
    );
}

#[test]
fn partial_failures_are_not_success() {
    let dir = tempfile::tempdir().unwrap();
    let good = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/chains/ct-compliant.pem"
    );
    let missing = dir.path().join("missing.pem").display().to_string();
    let out = run(&["inspect", good, &missing]);
    assert_code(&out, 1, "inspect good.pem missing.pem");
    assert!(
        text(&out.stdout).contains("ct-ok.example"),
        "the readable chain is still judged"
    );
    assert!(text(&out.stderr).contains("1 of 2 files could not be read"));

    let out = run(&["store", "--no-browsers", "--path", &missing]);
    assert_code(&out, 1, "store --path missing");
    assert!(text(&out.stderr).contains("--path"));

    let (observations, _) = refused_scan(dir.path());
    let out = run(&["baseline", &observations]);
    assert_code(&out, 3, "baseline of a refused scan");
    let err = text(&out.stderr);
    assert!(err.contains("1 handshake failed"), "{err}");
}

#[test]
fn outputs_are_checked_before_any_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir
        .path()
        .join("no-such-dir/out.jsonl")
        .display()
        .to_string();
    for args in [
        vec![
            "check",
            "--save",
            &bad,
            "--connect-to",
            "::127.0.0.1:1",
            "--retries",
            "0",
        ],
        vec![
            "probe",
            "x.example",
            "--save",
            &bad,
            "--connect-to",
            "::127.0.0.1:1",
        ],
        vec![
            "probe",
            "x.example",
            "-o",
            &bad,
            "--connect-to",
            "::127.0.0.1:1",
        ],
        vec![
            "scan",
            "x.example",
            "-o",
            &bad,
            "--connect-to",
            "::127.0.0.1:1",
        ],
        vec!["demo", "-o", &bad],
    ] {
        let started = std::time::Instant::now();
        let out = run(&args);
        assert_code(&out, 1, &format!("{args:?}"));
        let err = text(&out.stderr);
        assert!(
            err.contains("creating") && err.contains("no-such-dir"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("checking 63"),
            "{args:?} scanned first: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(started.elapsed().as_secs() < 5, "{args:?} did work first");
    }
}

#[test]
fn outputs_of_judging_commands_are_checked_before_the_input_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let (observations, _) = refused_scan(dir.path());
    let bad = dir.path().join("no-such-dir/out").display().to_string();
    let full = dir.path().join("full");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::write(full.join("old.txt"), b"x").unwrap();
    let full = full.display().to_string();
    for (args, says) in [
        (
            vec!["report", &observations, "--html", &bad],
            "cannot write",
        ),
        (vec!["report", &observations, "-o", &bad], "cannot write"),
        (vec!["analyze", &observations, "-o", &bad], "cannot write"),
        (vec!["evidence", &observations, "-o", &full], "is not empty"),
    ] {
        let out = run(&args);
        assert_code(&out, 1, &format!("{args:?}"));
        let err = text(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing judged or printed");
    }
}

#[test]
fn json_format_is_spelled_the_same_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (observations, _) = refused_scan(dir.path());
    for args in [
        vec!["compare", &observations, &observations, "--format", "json"],
        vec!["compare", &observations, &observations, "--json"],
        vec!["analyze", &observations, "--format", "json"],
    ] {
        let out = run(&args);
        let first = text(&out.stdout);
        let first = first.lines().next().unwrap_or_default();
        assert!(first.starts_with('{'), "{args:?}: {first}");
    }
    let out = run(&[
        "probe",
        "x.example",
        "--format",
        "json",
        "--connect-to",
        "::127.0.0.1:1",
    ]);
    let line = text(&out.stdout);
    assert!(line.starts_with("{\"type\":\"sni-probe\""), "{line}");
    let demo = run(&["demo", "--format", "json"]);
    assert_code(&demo, 2, "demo --format json");
    let lines: Vec<serde_json::Value> = text(&demo.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "assessment");
    assert_eq!(lines.last().unwrap()["type"], "summary");
}

#[test]
fn verdicts_are_coloured_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (observations, _) = refused_scan(dir.path());
    let piped = run(&["analyze", &observations]);
    assert!(
        !text(&piped.stdout).contains('\u{1b}'),
        "no colour into a pipe"
    );
    let always = run(&["analyze", &observations, "--color", "always"]);
    assert!(text(&always.stdout).contains("\u{1b}[35merror\u{1b}[0m"));
    let never = Command::new(binary())
        .args(["analyze", &observations, "--color", "never"])
        .output()
        .unwrap();
    assert!(!text(&never.stdout).contains('\u{1b}'));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_code(&out, 0, shell);
        let script = text(&out.stdout);
        assert!(
            script.contains("mitmwatch") && script.contains("fail-on"),
            "{shell}"
        );
    }
    let man = run(&["man"]);
    assert_code(&man, 0, "man");
    let page = text(&man.stdout);
    assert!(
        page.contains(".TH mitmwatch") && page.contains("completions"),
        "{page}"
    );
    let sub = run(&["man", "scan"]);
    assert_code(&sub, 0, "man scan");
    assert!(text(&sub.stdout).contains("\\-\\-shard"));
    assert_code(&run(&["man", "nope"]), 1, "man nope");
}

#[test]
fn the_readme_table_lists_every_subcommand_with_the_usage_rule() {
    let table = readme_table();
    let names: Vec<&str> = table.iter().map(|(n, _)| n.as_str()).collect();
    let alarms = [
        "scan", "demo", "analyze", "inspect", "check", "report", "store", "probe", "compare",
        "evidence",
    ];
    for sub in subcommands() {
        let (_, codes) = table
            .iter()
            .find(|(n, _)| *n == sub)
            .unwrap_or_else(|| panic!("docs/exit-codes.md's table lacks `{sub}`: {names:?}"));
        let codes: Vec<&str> = codes.split(',').map(str::trim).collect();
        // Every command can fail with 1, and a usage error gives exactly 1.
        assert!(codes.contains(&"1"), "`{sub}`: {codes:?}");
        assert_code(&run(&[&sub, "--no-such-flag"]), 1, &sub);
        // Only verdict-giving commands may raise the alarm, 2.
        assert_eq!(
            codes.contains(&"2"),
            alarms.contains(&sub.as_str()),
            "`{sub}`: {codes:?}"
        );
    }
}

#[test]
fn check_offline_says_why_and_points_to_store_for_local_roots() {
    let dir = tempfile::tempdir().unwrap();
    let anchors = dir.path().join("usr/local/share/ca-certificates");
    std::fs::create_dir_all(&anchors).unwrap();
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/roots/public-root-r2.pem"
    );
    std::fs::copy(root, anchors.join("added.crt")).unwrap();
    let sysroot = dir.path().display().to_string();
    let out = run(&[
        "check",
        "-v",
        "-q",
        "--retries",
        "0",
        "--connect-to",
        "::127.0.0.1:1",
        "--sysroot",
        &sysroot,
        "--home",
        &sysroot,
    ]);
    assert_code(&out, 3, "check with every site refused");
    let report = text(&out.stdout);
    assert!(
        report.contains(
            "INCONCLUSIVE: too few sites could be reached (all 63 failed: 63 connect-refused)"
        ),
        "{report}"
    );
    assert!(
        report.contains("Every site:"),
        "-v lists the sites: {report}"
    );
    assert!(
        report.contains("This machine trusts 1 root added to it"),
        "{report}"
    );
    assert!(report.contains("`mitmwatch store`"), "{report}");
    assert!(out.stderr.is_empty(), "-q: {}", text(&out.stderr));
}

#[test]
fn update_checks_its_data_directory_before_downloading() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let data_dir = file.join("data").display().to_string();
    // The base URL is a closed port on loopback: were anything fetched,
    // the message would be about the download, not the directory.
    let out = run(&[
        "update",
        "--data-dir",
        &data_dir,
        "--base-url",
        "http://127.0.0.1:1/",
    ]);
    assert_code(&out, 1, "update into an unwritable directory");
    let err = text(&out.stderr);
    assert!(err.contains("is not writable"), "{err}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn demo_verbose_puts_each_target_above_its_chain_and_does_not_suggest_itself() {
    let out = run(&["demo", "-v", "--color", "never"]);
    assert_code(&out, 2, "demo -v");
    let report = text(&out.stdout);
    let lines: Vec<&str> = report.lines().collect();
    // Every chain listing follows a target header ("host:port: verdict"),
    // never the other way round.
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("  #0 subject: ") {
            // Up from the chain: the target's findings, then its header,
            // with no blank line between (a blank line ends a target).
            let header = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.starts_with(' '))
                .unwrap();
            assert!(
                header.contains(": clean")
                    || header.contains(": INTERCEPTED")
                    || header.contains(": SUSPICIOUS")
                    || header.contains(": error"),
                "chain without its target above it: {header:?}"
            );
        }
    }
    assert!(!report.contains("demo -v`"), "-v does not suggest -v");
    assert!(report.contains("`mitmwatch sim`"));
    let plain = run(&["demo", "--color", "never"]);
    assert!(text(&plain.stdout).contains("Try `mitmwatch demo -v`"));
}

#[test]
fn no_command_panics_when_its_reader_is_already_gone() {
    let dir = tempfile::tempdir().unwrap();
    let (observations, _) = refused_scan(dir.path());
    let chain = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/chains/ct-compliant.pem"
    );
    for args in [
        vec!["baseline", &observations],
        vec!["analyze", &observations],
        vec!["analyze", &observations, "--format", "json"],
        vec!["report", &observations],
        vec!["compare", &observations, &observations],
        vec!["inspect", chain],
        vec!["completions", "bash"],
        vec!["man"],
        vec!["--help"],
        vec!["store", "--no-system", "--no-browsers", "--path", chain],
        vec!["scan", "127.0.0.1:1", "--retries", "0", "-q"],
    ] {
        let mut child = Command::new(binary())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the command writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        assert_ne!(out.status.code(), Some(101), "{args:?}");
        assert!(out.status.code().is_some(), "{args:?} killed by a signal");
    }
}

#[test]
fn quiet_drops_notes_but_keeps_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let (observations, _) = refused_scan(dir.path());
    let loud = run(&["baseline", &observations]);
    assert!(text(&loud.stderr).contains("baseline of 0 domains from 0 of 1 observation"));
    let quiet = run(&["baseline", "-q", &observations]);
    let err = text(&quiet.stderr);
    assert!(!err.contains("baseline of"), "{err}");
    assert!(
        err.contains("the baseline is empty"),
        "the warning stays: {err}"
    );
    let html = dir.path().join("r.html").display().to_string();
    let report = run(&["report", "-q", &observations, "--html", &html]);
    assert!(!text(&report.stderr).contains("HTML report written"));
    let bundle = dir.path().join("bundle").display().to_string();
    let evidence = run(&["evidence", "-q", &observations, "-o", &bundle]);
    assert_code(&evidence, 3, "evidence of a refused scan");
    assert!(evidence.stderr.is_empty(), "{}", text(&evidence.stderr));
}

/// The main commands' help ends with examples, after the exit status, and
/// their manual pages have EXIT STATUS and EXAMPLES sections made from it.
#[test]
fn main_commands_end_their_help_with_examples_and_man_pages_have_exit_status() {
    for sub in [
        "", "check", "scan", "analyze", "report", "inspect", "store", "evidence", "demo", "probe",
        "compare", "locate",
    ] {
        let mut args: Vec<&str> = sub.split_whitespace().collect();
        args.push("--help");
        let help = text_of(&run(&args).stdout);
        let examples = help
            .rfind("\nExamples:\n")
            .unwrap_or_else(|| panic!("{sub}: no examples in --help"));
        assert!(help.find("\nExit status:\n").unwrap() < examples, "{sub}");
        let tail = &help[examples..];
        let commands: Vec<&str> = tail
            .lines()
            .skip(2)
            .filter(|l| l.starts_with("  mitmwatch "))
            .collect();
        assert!(!commands.is_empty(), "{sub}: {tail}");
        assert!(
            commands.iter().all(|c| c
                .trim_start()
                .starts_with(&format!("mitmwatch {sub}").trim_end().to_string())),
            "{sub}: {commands:?}"
        );
        let mut man = vec!["man"];
        man.extend(sub.split_whitespace());
        let page = text_of(&run(&man).stdout);
        assert!(page.contains(".SH \"EXIT STATUS\""), "{sub}: {page}");
        assert!(page.contains(".SH EXAMPLES"), "{sub}");
        assert!(
            page.contains("\\fB2\\fR") || sub == "locate",
            "{sub}: exit code 2 listed"
        );
    }
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
