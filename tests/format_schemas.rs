//! Real output validated against the JSON Schemas of docs/schemas/: the
//! simulation scanned through its box and straight to the origin, then
//! judged (`analyze --format json`), checked (`check --format json`, with
//! and without the store), bundled (`evidence`), compared (`compare`), and
//! this machine's stores audited with nothing to read (`store`). The
//! schemas forbid fields they do not name, so a field added, renamed or
//! dropped in the code without its schema fails here; and each schema is
//! shown to refuse a record with an unknown field or a wrong verdict.

mod common;

use common::binary;
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde_json::Value;
use std::path::Path;
use tokio::process::Command;

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schemas")
        .join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[track_caller]
fn assert_valid(validator: &jsonschema::Validator, what: &str, value: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn run(args: &[&str]) -> std::process::Output {
    Command::new(binary()).args(args).output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_output_matches_its_schema() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = common::sim_data_args(&sim, d);
    let data: Vec<&str> = data.iter().map(String::as_str).collect();
    let list = common::popular_list(d);
    let empty = d.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let empty = empty.display().to_string();
    let via_box = format!("::127.0.0.1:{}", sim.interceptor.port());
    let direct = format!("::127.0.0.1:{}", sim.origin.port());
    let inside = d.join("inside.jsonl").display().to_string();
    let outside = d.join("outside.jsonl").display().to_string();
    for (to, file) in [(&via_box, &inside), (&direct, &outside)] {
        let out = run(&["scan", "-q", "-i", &list, "--connect-to", to, "-o", file]).await;
        assert!(out.status.success());
    }
    // A refused target: an observation without a chain.
    let refused = common::refused_port().await;
    let failed = d.join("failed.jsonl").display().to_string();
    let to = format!("::127.0.0.1:{}", refused.port());
    run(&[
        "scan",
        "-q",
        "facebook.com",
        "--retries",
        "0",
        "--connect-to",
        &to,
        "-o",
        &failed,
    ])
    .await;

    let observation = schema("observation.schema.json");
    for file in [&inside, &outside, &failed] {
        for obs in json_lines(&std::fs::read(file).unwrap()) {
            assert_valid(&observation, file, &obs);
        }
    }

    let (assessment, summary) = (
        schema("assessment.schema.json"),
        schema("summary.schema.json"),
    );
    let mut judged = Vec::new();
    for file in [&inside, &outside, &failed] {
        let mut args = vec!["analyze", file.as_str(), "--format", "json"];
        args.extend(&data);
        judged.extend(json_lines(&run(&args).await.stdout));
    }
    assert!(judged.len() > 120);
    for record in &judged {
        match record["type"].as_str() {
            Some("assessment") => assert_valid(&assessment, "assessment", record),
            Some("summary") => assert_valid(&summary, "summary", record),
            other => panic!("{other:?}"),
        }
    }

    let check = schema("check.schema.json");
    for (to, extra) in [
        (&via_box, vec!["--sysroot", &empty, "--home", &empty]),
        (&direct, vec!["--no-store"]),
        (&to, vec!["--no-store", "--retries", "0"]),
    ] {
        let mut args = vec!["check", "--format", "json", "--connect-to", to];
        args.extend(&extra);
        args.extend(&data);
        let doc: Value = serde_json::from_slice(&run(&args).await.stdout).unwrap();
        assert_valid(&check, &format!("check via {to}"), &doc);
    }

    let bundle = d.join("bundle");
    let mut args = vec!["evidence", inside.as_str(), "-o", bundle.to_str().unwrap()];
    args.extend(&data);
    assert_eq!(run(&args).await.status.code(), Some(2));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_valid(
        &schema("evidence-manifest.schema.json"),
        "manifest",
        &manifest,
    );
    let evidence = schema("evidence.schema.json");
    for entry in manifest["interceptors"].as_array().unwrap() {
        let file = bundle
            .join(entry["dir"].as_str().unwrap())
            .join("evidence.json");
        let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_valid(&evidence, "evidence.json", &doc);
    }

    let comparison: Value = serde_json::from_slice(
        &run(&["compare", &inside, &outside, "--format", "json"])
            .await
            .stdout,
    )
    .unwrap();
    assert_valid(&schema("comparison.schema.json"), "comparison", &comparison);

    let store: Value = serde_json::from_slice(
        &run(&[
            "store",
            "--format",
            "json",
            "--sysroot",
            &empty,
            "--home",
            &empty,
        ])
        .await
        .stdout,
    )
    .unwrap();
    assert_valid(&schema("store-audit.schema.json"), "store audit", &store);

    // The schemas refuse what the formats do not have.
    let first = judged
        .iter()
        .find(|r| r["type"] == "assessment")
        .unwrap()
        .clone();
    let mut extra = first.clone();
    extra["surprise"] = Value::Bool(true);
    assert!(!assessment.is_valid(&extra), "an unknown field");
    let mut wrong = first.clone();
    wrong["verdict"] = "maybe".into();
    assert!(!assessment.is_valid(&wrong), "an unknown verdict");
    let mut no_verdict = comparison.clone();
    no_verdict.as_object_mut().unwrap().remove("schema");
    assert!(
        !schema("comparison.schema.json").is_valid(&no_verdict),
        "a missing field"
    );
}
