//! `scan --shard auto` under the environment Slurm and Kubernetes give a
//! task, and `merge` of the shard outputs: a merged file judges the same as
//! a single-process scan of the list, and a merge that does not cover the
//! list exactly once names what is wrong and exits 5.

mod common;

use common::sharded::{judge, merge, sim_flags, write_list};
use common::{assert_exit, binary};
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tokio::process::Command;

/// Scheduler variables that must not leak in from the machine running the tests.
const SCHEDULER_VARS: [&str; 7] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "JOB_COMPLETION_INDEX",
    "MITMWATCH_SHARD_COUNT",
];

struct Setup {
    _sim: SimNetwork,
    dir: tempfile::TempDir,
    list: PathBuf,
    roots: PathBuf,
    flags: Vec<String>,
}

async fn setup(n: usize) -> Setup {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let list = write_list(dir.path(), n);
    let flags = sim_flags(sim.interceptor.port(), &roots);
    Setup {
        _sim: sim,
        dir,
        list,
        roots,
        flags,
    }
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `scan -i LIST --connect-to … -o OUT EXTRA` with the scheduler
    /// variables `env` (and no others).
    fn scan(&self, out: &Path, extra: &[&str], env: &[(&str, String)]) -> Command {
        let mut c = Command::new(binary());
        c.args(["scan", "-i"])
            .arg(&self.list)
            .args(&self.flags)
            .arg("-o")
            .arg(out)
            .args(extra);
        for var in SCHEDULER_VARS {
            c.env_remove(var);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }
}

/// The lines of a file, as a set.
fn lines(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// Hosts recorded in an observation file.
fn hosts(path: &Path) -> BTreeSet<String> {
    lines(path)
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["target"]["host"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_shards_from_slurm_and_kubernetes_merge_into_what_one_scan_gives() {
    let s = setup(60).await;
    let single = s.path("single.jsonl");
    let out = s.scan(&single, &["-q"], &[]).output().await.unwrap();
    assert_exit(&out, 0);

    // Tasks 0 and 1 as a Slurm array (--array=0-3), 2 and 3 as pods of an
    // Indexed Job with completions 4: the same four shards.
    let mut shards = Vec::new();
    for task in 0..4u32 {
        let env: Vec<(&str, String)> = if task < 2 {
            vec![
                ("SLURM_ARRAY_TASK_ID", task.to_string()),
                ("SLURM_ARRAY_TASK_COUNT", "4".into()),
                ("SLURM_ARRAY_TASK_MIN", "0".into()),
                ("SLURM_ARRAY_TASK_MAX", "3".into()),
            ]
        } else {
            vec![
                ("JOB_COMPLETION_INDEX", task.to_string()),
                ("MITMWATCH_SHARD_COUNT", "4".into()),
            ]
        };
        let path = s.path(&format!("shard-{task}.jsonl"));
        let out = s
            .scan(&path, &["--shard", "auto"], &env)
            .output()
            .await
            .unwrap();
        assert_exit(&out, 0);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let from = if task < 2 {
            "Slurm array task"
        } else {
            "Kubernetes completion index"
        };
        assert!(
            stderr.contains(&format!("shard {}/4 (from the {from})", task + 1)),
            "{stderr}"
        );
        // The same share as `--shard K/4`.
        let fixed = s.path(&format!("fixed-{task}.jsonl"));
        let k = format!("{}/4", task + 1);
        let out = s
            .scan(&fixed, &["-q", "--shard", &k], &[])
            .output()
            .await
            .unwrap();
        assert_exit(&out, 0);
        assert_eq!(hosts(&path), hosts(&fixed), "task {task}");
        assert!(!hosts(&path).is_empty());
        shards.push(path);
    }

    let merged = s.path("all.jsonl");
    let missing = s.path("missing.txt");
    let out = merge(
        &shards,
        &s.list,
        &merged,
        &["--missing", missing.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("every target exactly once"));
    assert_eq!(std::fs::read_to_string(&missing).unwrap(), "");
    // Records pass through byte for byte.
    let union: BTreeSet<String> = shards.iter().flat_map(|p| lines(p)).collect();
    assert_eq!(lines(&merged), union);

    let (one, joined) = (judge(&single, &s.roots), judge(&merged, &s.roots));
    assert_eq!(one.assessments.len(), 62);
    assert_eq!(one.summary["targets"], 62);
    assert_eq!(one, joined);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_merge_names_what_is_wrong_and_the_missing_list_completes_it() {
    let s = setup(30).await;
    let mut shards = Vec::new();
    for k in 1..=3 {
        let path = s.path(&format!("s{k}.jsonl"));
        let out = s
            .scan(&path, &["-q", "--shard", &format!("{k}/3")], &[])
            .output()
            .await
            .unwrap();
        assert_exit(&out, 0);
        shards.push(path);
    }
    // Shard 1 given twice, shard 3 lost, a line a crash cut short.
    let cut = s.path("s2-cut.jsonl");
    let mut text = std::fs::read_to_string(&shards[1]).unwrap();
    text.push_str("{\"schema\":1,\"tool\":\"mitmw");
    std::fs::write(&cut, text).unwrap();
    let merged = s.path("all.jsonl");
    let missing = s.path("missing.txt");
    let inputs = [shards[0].clone(), cut.clone(), shards[0].clone()];
    let out = merge(
        &inputs,
        &s.list,
        &merged,
        &["--missing", missing.to_str().unwrap()],
    );
    assert_exit(&out, 5);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lost = hosts(&shards[2]);
    let doubled = hosts(&shards[0]);
    for host in &lost {
        assert!(stderr.contains(&format!("missing {host}:443")), "{stderr}");
    }
    let first = doubled.iter().next().unwrap();
    assert!(
        stderr.contains(&format!("duplicate {first}:443 at ")),
        "{stderr}"
    );
    let cut_line = lines(&shards[1]).len() + 1;
    assert!(
        stderr.contains(&format!("s2-cut.jsonl:{cut_line}: truncated JSON")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "INCOMPLETE: {} missing, {} duplicates dropped, 1 bad line skipped",
            lost.len(),
            doubled.len()
        )),
        "{stderr}"
    );
    // Whatever could be merged was, once.
    let kept = hosts(&merged);
    assert_eq!(lines(&merged).len(), kept.len());
    assert_eq!(kept.len(), doubled.len() + hosts(&shards[1]).len());

    // The missing list is a target list: scanning it completes the merge.
    let listed: BTreeSet<String> = std::fs::read_to_string(&missing)
        .unwrap()
        .lines()
        .map(|l| l.strip_suffix(":443").unwrap().to_string())
        .collect();
    assert_eq!(listed, lost);
    let rescan = s.path("rescan.jsonl");
    let mut c = Command::new(binary());
    c.args(["scan", "-q", "-i"])
        .arg(&missing)
        .args(&s.flags)
        .arg("-o")
        .arg(&rescan);
    assert_exit(&c.output().await.unwrap(), 0);
    let complete = s.path("complete.jsonl");
    let inputs = [shards[0].clone(), shards[1].clone(), rescan];
    assert_exit(&merge(&inputs, &s.list, &complete, &[]), 0);

    // A list without one of the targets: its record is unlisted (and kept).
    let short = s.path("short.txt");
    let gone = lost.iter().next().unwrap();
    let text = std::fs::read_to_string(&s.list).unwrap();
    let text: String = text
        .lines()
        .filter(|l| l.rsplit(',').next() != Some(gone.as_str()))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&short, text).unwrap();
    let out = merge(&inputs, &short, &s.path("x.jsonl"), &[]);
    assert_exit(&out, 5);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{gone}:443 at ")) && stderr.contains("not in the target list"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_auto_outside_a_scheduler_and_overwriting_an_input_are_refused() {
    let s = setup(3).await;
    let out = s
        .scan(&s.path("x.jsonl"), &["--shard", "auto"], &[])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SLURM_ARRAY_TASK_ID") && stderr.contains("JOB_COMPLETION_INDEX"),
        "{stderr}"
    );
    let pod = [("JOB_COMPLETION_INDEX", "1".to_string())];
    let out = s
        .scan(&s.path("x.jsonl"), &["--shard", "auto"], &pod)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shard-count"));

    let shard = s.path("s.jsonl");
    let out = s.scan(&shard, &["-q"], &[]).output().await.unwrap();
    assert_exit(&out, 0);
    let before = std::fs::read(&shard).unwrap();
    let out = merge(std::slice::from_ref(&shard), &s.list, &shard, &[]);
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is also an input"));
    assert_eq!(std::fs::read(&shard).unwrap(), before);
}
