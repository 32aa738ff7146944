//! A verdict survives a reader that goes away. `mitmwatch … | head -1` in a
//! script with `pipefail` must still read exit 2 when interception was
//! found: the commands whose exit code is a verdict stop printing, finish
//! judging and exit with it. The others (a plain `scan`) stop quietly with
//! 0, as programs killed by SIGPIPE do in a shell. Offline: the simulated
//! network on 127.0.0.1.

mod common;

use common::binary;
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A standard output whose reader is already gone: the first write fails
/// with a broken pipe, whatever the size of the output (a reader that
/// closes after one line leaves a race with the pipe's buffer).
fn closed_stdout() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

/// Runs mitmwatch with `args` writing to a closed pipe; returns the exit
/// code and stderr.
fn run_closed(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(closed_stdout())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The simulation's data files and a scan of the popular sites through its
/// interception box (37 of 63 intercepted).
struct Scanned {
    _dir: tempfile::TempDir,
    observations: PathBuf,
    data: Vec<String>,
    box_port: u16,
}

async fn scanned(sim: &SimNetwork) -> Scanned {
    let dir = tempfile::tempdir().unwrap();
    let data = common::sim_data_args(sim, dir.path());
    let observations = common::scan_popular_via_box(sim, dir.path()).await;
    Scanned {
        observations,
        data,
        box_port: sim.interceptor.port(),
        _dir: dir,
    }
}

fn with<'a>(args: &[&'a str], data: &'a [String]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(data.iter().map(String::as_str));
    all
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdict_commands_keep_their_exit_code_when_stdout_closes() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let s = scanned(&sim).await;
    let obs = path(&s.observations);
    let connect_to = format!("::127.0.0.1:{}", s.box_port);
    let empty = tempfile::tempdir().unwrap();
    let empty = empty.path().to_str().unwrap().to_string();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("demo", vec!["demo"]),
        ("demo --format json", vec!["demo", "--format", "json"]),
        ("analyze", with(&["analyze", obs], &s.data)),
        (
            "analyze --format json",
            with(&["analyze", obs, "--format", "json"], &s.data),
        ),
        (
            "report --format csv",
            with(&["report", obs, "--format", "csv"], &s.data),
        ),
        ("report", with(&["report", obs], &s.data)),
        (
            "check",
            with(
                &[
                    "check",
                    "-q",
                    "--connect-to",
                    &connect_to,
                    "--sysroot",
                    &empty,
                    "--home",
                    &empty,
                ],
                &s.data,
            ),
        ),
        (
            "check --format json",
            with(
                &[
                    "check",
                    "--format",
                    "json",
                    "--no-store",
                    "--connect-to",
                    &connect_to,
                ],
                &s.data,
            ),
        ),
    ];
    for (name, args) in cases {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (code, stderr) = tokio::task::spawn_blocking(move || {
            run_closed(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await
        .unwrap();
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(!stderr.contains("error"), "{name}: {stderr}");
    }
    // Not a verdict: a scan of observations stops quietly with 0.
    let (code, stderr) = run_closed(&["scan", "-q", "facebook.com", "--connect-to", &connect_to]);
    assert_eq!(code, Some(0), "scan: {stderr}");
    assert!(stderr.is_empty(), "scan: {stderr}");
}

/// The same through a real shell pipeline, as a script would run it.
#[test]
fn demo_piped_into_head_exits_2_under_pipefail() {
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"set -o pipefail; "$0" demo | head -1 >/dev/null"#)
        .arg(binary())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
