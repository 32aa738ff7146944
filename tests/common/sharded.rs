//! Sharded scans as the schedulers run them: a target list on the
//! simulated network, `scan` runs of it, `merge`, and the comparison of a
//! merged file with a single-process scan through `analyze` and `report`.

use super::binary;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A list of `n` names (every tenth one targeted by the simulated box).
pub(crate) fn write_list(dir: &Path, n: usize) -> PathBuf {
    let mut text = String::from("# generated\n");
    for i in 0..n {
        if i % 10 == 0 {
            text.push_str(if i % 20 == 0 { "vk.com\n" } else { "ok.ru\n" });
        }
        text.push_str(&format!("{i},host{i}.example\n"));
    }
    let list = dir.join("list.csv");
    std::fs::write(&list, text).unwrap();
    list
}

/// `scan` flags that send every name to `box_port` and trust `roots`.
pub(crate) fn sim_flags(box_port: u16, roots: &Path) -> Vec<String> {
    vec![
        "--connect-to".into(),
        format!("::127.0.0.1:{box_port}"),
        "--roots".into(),
        roots.display().to_string(),
    ]
}

/// Runs `mitmwatch merge INPUTS --targets LIST -o OUT`, plus `extra`.
pub(crate) fn merge(
    inputs: &[PathBuf],
    list: &Path,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    Command::new(binary())
        .arg("merge")
        .args(inputs)
        .arg("--targets")
        .arg(list)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// What `analyze` and `report` say about a file, in a form that does not
/// depend on the order of records or on when the scan ran.
#[derive(Debug, PartialEq)]
pub(crate) struct Judged {
    /// Assessments by target, without `observed_at`/`validated_at`.
    pub(crate) assessments: BTreeMap<String, Value>,
    /// The summary line of `analyze --format json`.
    pub(crate) summary: Value,
    /// Exit code of `analyze`.
    pub(crate) analyze_exit: Option<i32>,
    /// `report --format csv`, rows sorted.
    pub(crate) csv: Vec<String>,
    /// `report` (text), lines sorted.
    pub(crate) text: Vec<String>,
}

/// Judges `file` with `analyze --format json`, `report --format csv` and `report`.
pub(crate) fn judge(file: &Path, roots: &Path) -> Judged {
    let run = |args: &[&str]| {
        Command::new(binary())
            .args(args)
            .arg("--roots")
            .arg(roots)
            .arg(file)
            .output()
            .unwrap()
    };
    let analyzed = run(&["analyze", "--format", "json"]);
    let mut assessments = BTreeMap::new();
    let mut summary = Value::Null;
    for line in String::from_utf8(analyzed.stdout).unwrap().lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if v["type"] == "summary" {
            // The provenance names the input file, its hash and time span.
            v.as_object_mut().unwrap().remove("provenance");
            summary = v;
            continue;
        }
        let obj = v.as_object_mut().unwrap();
        obj.remove("observed_at");
        obj.remove("validated_at");
        let key = v["target"].to_string();
        assert!(assessments.insert(key, v).is_none(), "a target twice");
    }
    let sorted = |out: std::process::Output| {
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        lines.sort();
        lines
    };
    // The CSV's fifth column is `observed_at`, which two scans cannot share.
    let without_time = |lines: Vec<String>| -> Vec<String> {
        let mut lines: Vec<String> = lines
            .into_iter()
            .map(|l| {
                let fields: Vec<&str> = l.splitn(6, ',').collect();
                match fields.as_slice() {
                    [a, b, c, d, _time, rest] => format!("{a},{b},{c},{d},{rest}"),
                    _ => l.clone(),
                }
            })
            .collect();
        lines.sort();
        lines
    };
    Judged {
        assessments,
        summary,
        analyze_exit: analyzed.status.code(),
        csv: without_time(sorted(run(&["report", "--format", "csv"]))),
        text: sorted(run(&["report"])),
    }
}
