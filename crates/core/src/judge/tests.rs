//! The judge against the analyzer's own whole-scan function, with bad
//! lines, panics, threads and every kind of input.

use super::*;
use crate::analysis_data::defaults::AnalysisData;
use crate::analysis_data::trust_store::TrustStore;
use crate::import::pem_dir::{file_observation, parse_chain};
use crate::model::FindingCode;
use time::macros::datetime;

const AT: ValidationTime = ValidationTime::At(datetime!(2026-06-01 0:00 UTC));

fn fixture(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path)
}

/// The analyzer of the fixtures: their stand-in public root R1.
fn analyzer() -> Analyzer {
    let pem = std::fs::read(fixture("roots/public-root-r1.pem")).unwrap();
    Analyzer::new(
        AnalysisData::with_trust(TrustStore::from_pem(&pem, "fixture root R1").unwrap()).unwrap(),
    )
}

/// The chain of `fixtures/chains/<name>.pem`, served for `host`.
fn observation(name: &str, host: &str) -> Observation {
    let pem = std::fs::read(fixture(&format!("chains/{name}.pem"))).unwrap();
    let certs = parse_chain(&pem).unwrap();
    file_observation(&certs, host.to_string(), datetime!(2026-05-01 0:00 UTC))
}

/// An observation line with no chain (a refused connection) for `host`.
fn refused_line(host: &str) -> String {
    format!(
        r#"{{"schema":1,"tool":"t","target":{{"host":"{host}","port":443,"sni":"{host}"}},"address":null,"route":null,"started_at":"2026-01-01T00:00:00Z","duration_ms":1.0,"status":"connect-refused","failure":"refused","tls":null,"chain":[],"stock_verification":null}}"#
    )
}

fn hosts(scan: &mut JudgedScan) -> Vec<String> {
    scan.assessments()
        .unwrap()
        .into_iter()
        .map(|a| a.target.host)
        .collect()
}

fn from_text(text: &str) -> Input {
    Input::Observations(
        ObservationFile::from_reader(std::io::Cursor::new(text.to_string()), "t.jsonl").unwrap(),
    )
}

#[test]
fn results_keep_the_order_of_the_lines_whatever_the_threads() {
    let mut text = String::new();
    let mut expected = Vec::new();
    let mut bad = Vec::new();
    for i in 0..1000 {
        if i % 97 == 5 {
            text.push_str("not json\n");
            bad.push(i + 1);
        } else if i % 101 == 7 {
            text.push('\n');
        } else {
            text.push_str(&refused_line(&format!("h{i}.example")));
            text.push('\n');
            expected.push(format!("h{i}.example"));
        }
    }
    let analyzer = analyzer();
    for jobs in [1, 2, 3, 8] {
        let mut shown = Vec::new();
        let mut scan = Judge::new(&analyzer, AT)
            .jobs(jobs)
            .judge(from_text(&text), &mut |n| shown.push(n.to_string()))
            .unwrap();
        assert_eq!(hosts(&mut scan), expected, "jobs {jobs}");
        assert_eq!(scan.counts.bad, bad.len());
        assert_eq!(scan.counts.observations, expected.len());
        let lines: Vec<Option<usize>> = scan.counts.first_bad.iter().map(|r| r.line).collect();
        assert_eq!(lines, bad.iter().map(|l| Some(*l)).collect::<Vec<_>>());
        assert_eq!(shown.len(), bad.len(), "{shown:?}");
        assert!(
            shown[0].starts_with("skipped t.jsonl:6: not valid JSON"),
            "{}",
            shown[0]
        );
        assert_eq!(scan.summary.targets, expected.len());
        let input = scan.input.as_ref().unwrap();
        assert_eq!(
            (input.name.as_str(), input.bytes),
            ("t.jsonl", text.len() as u64)
        );
    }
}

#[test]
fn a_panic_while_judging_costs_only_its_line() {
    let text: String = (0..200)
        .map(|i| refused_line(&format!("h{i}.example")) + "\n")
        .collect();
    let analyzer = analyzer();
    fn fragile(a: &Analyzer, obs: &Observation, when: ValidationTime) -> (Assessment, LeafNames) {
        assert!(obs.target.host != "h150.example", "deliberate");
        a.assess_with_leaf_names(obs, when)
    }
    for jobs in [1, 3] {
        let mut judge = Judge::new(&analyzer, AT).jobs(jobs);
        judge.assess = fragile;
        let mut shown = Vec::new();
        let mut scan = judge
            .judge(from_text(&text), &mut |n| shown.push(n.to_string()))
            .unwrap();
        let judged = hosts(&mut scan);
        assert_eq!(judged.len(), 199, "jobs {jobs}");
        assert_eq!(judged[149], "h149.example");
        assert_eq!(judged[150], "h151.example");
        assert_eq!(scan.counts.bad, 1);
        assert_eq!(
            shown,
            [
                "skipped t.jsonl:151: mitmwatch failed to judge this observation (deliberate); \
              this is a bug, please report it"
            ]
        );
        // The live scan's judgement follows the same policy.
        let obs: Observation = serde_json::from_str(&refused_line("h150.example")).unwrap();
        let e = judge.assess_one(&obs, "the scan", 7).unwrap_err();
        assert_eq!((e.input.as_str(), e.line), ("the scan", Some(7)));
    }
}

#[test]
fn the_scan_level_check_matches_the_analyzers_whole_scan_judgement() {
    let analyzer = analyzer();
    let observations = vec![
        observation("mitmproxy-a", "a.example"),
        serde_json::from_str(&refused_line("down.example")).unwrap(),
        observation("mitmproxy-b", "b.example"),
        observation("public-ok", "example.com"),
    ];
    let (expected, summary) = analyzer.assess_scan(&observations, AT);
    assert!(expected[0].has(FindingCode::LeafKeyReuse));
    for jobs in [1, 2] {
        let input = Input::in_memory("the check", observations.clone(), true);
        let mut scan = Judge::new(&analyzer, AT)
            .jobs(jobs)
            .judge(input, &mut |n| panic!("nothing to say, yet: {n}"))
            .unwrap();
        assert_eq!(scan.summary, summary, "jobs {jobs}");
        assert_eq!(scan.assessments().unwrap(), expected, "jobs {jobs}");
        assert!(scan.input.is_none());
        // JSON lines carry the amended assessments too.
        let mut lines = Vec::new();
        scan.each_json_line(|l| {
            lines.push(serde_json::from_slice::<Assessment>(l).unwrap());
            Ok::<(), JudgeError>(())
        })
        .unwrap();
        assert_eq!(lines, expected);
    }
    // Imports conclude no blanket/targeted pattern.
    let (_, files) = analyzer.assess_files(&observations, AT);
    let input = Input::in_memory("files", observations, false);
    let scan = Judge::new(&analyzer, AT).judge(input, &mut |_| {}).unwrap();
    assert_eq!(scan.summary, files);
}

#[test]
fn kept_observations_come_back_with_their_assessments() {
    let analyzer = analyzer();
    let observations = vec![
        observation("public-ok", "example.com"),
        observation("mitmproxy-a", "a.example"),
    ];
    let input = Input::in_memory("m", observations.clone(), true);
    let mut scan = Judge::new(&analyzer, AT)
        .keep_observations(true)
        .judge(input, &mut |_| {})
        .unwrap();
    let j = scan.read(1, true).unwrap();
    assert_eq!(j.observation.as_ref(), Some(&observations[1]));
    assert_eq!(j.assessment.target.host, "a.example");
    assert!(scan.read(0, false).unwrap().observation.is_none());
    assert_eq!(scan.host(1), "a.example");
}

#[test]
fn ooni_lines_are_bounded_and_their_errors_capped() {
    let analyzer = analyzer();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.jsonl");
    // One line past the bound, 25 bad lines, a measurement without TLS.
    let mut text = "x".repeat(crate::import::ooni::MAX_LINE_BYTES + 1);
    text.push('\n');
    for _ in 0..25 {
        text.push_str("not json\n");
    }
    text.push_str(
        r#"{"measurement_start_time":"2024-01-01 00:00:00","test_keys":{"requests":[]}}"#,
    );
    text.push('\n');
    std::fs::write(&path, &text).unwrap();
    let mut shown = Vec::new();
    let input = Input::open(&path, crate::import::InputFormat::Ooni).unwrap();
    let scan = Judge::new(&analyzer, AT)
        .judge(input, &mut |n| shown.push(n.to_string()))
        .unwrap();
    assert_eq!(scan.counts.bad, 26);
    assert_eq!(scan.counts.without_tls, 1);
    assert_eq!(shown.len(), SHOWN_BAD_LINES + 2, "{shown:?}");
    let name = path.display().to_string();
    assert_eq!(
        shown[SHOWN_BAD_LINES],
        format!("skipped 6 more bad lines of {name} (not shown)")
    );
    assert!(shown[SHOWN_BAD_LINES + 1]
        .ends_with("1 measurement held no TLS handshake (plain HTTP, or no connection)"));
    assert_eq!(
        shown[0],
        format!("skipped {name}:1: line is longer than 32 MiB")
    );
    assert_eq!(scan.counts.first_bad.len(), 20);
    assert_eq!(scan.input.as_ref().unwrap().bytes, text.len() as u64);
}

#[test]
fn unreadable_inputs_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = ObservationFile::open(dir.path()).err().unwrap();
    assert!(matches!(e, JudgeError::Directory { .. }), "{e}");
    let missing = dir.path().join("missing.jsonl");
    let e = Input::open(&missing, crate::import::InputFormat::Ooni)
        .err()
        .unwrap();
    assert!(matches!(e, JudgeError::Open { .. }), "{e}");
    assert_eq!(e.to_string(), format!("opening {}", missing.display()));
    let e = Input::open(&missing, crate::import::InputFormat::PemDir)
        .err()
        .unwrap();
    assert!(matches!(e, JudgeError::NotADirectory { .. }), "{e}");
    let assessments = std::io::Cursor::new("{\"type\":\"assessment\"}\n");
    let e = ObservationFile::from_reader(assessments, "a.jsonl")
        .err()
        .unwrap();
    assert!(matches!(e, JudgeError::HoldsAssessments { .. }), "{e}");
}
