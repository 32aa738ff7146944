//! `mitmwatch watch` against the simulated network on 127.0.0.1: an episode
//! opens when the box starts intercepting (on the simulation's schedule,
//! from the command line or flipped by the test), its evidence is written
//! once and one notification sent, and it closes after a stable clean
//! stretch; a flapping path keeps one episode; offline runs never alarm;
//! the deploy files run flags `watch` accepts.
mod common;

use common::binary;
use common::watch::*;
use mitmwatch_watch::{Access, History};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The arguments after `mitmwatch` in the systemd unit and the launchd agent.
fn deploy_arguments() -> Vec<(&'static str, Vec<String>)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let unit =
        std::fs::read_to_string(format!("{root}/deploy/systemd/mitmwatch-watch.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    let systemd: Vec<String> = exec
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();
    let plist = std::fs::read_to_string(format!("{root}/deploy/launchd/org.mitmwatch.watch.plist"))
        .unwrap();
    let array = plist
        .split_once("<key>ProgramArguments</key>")
        .and_then(|(_, rest)| rest.split_once("</array>"))
        .expect("ProgramArguments")
        .0;
    let launchd: Vec<String> = array
        .split("<string>")
        .skip(1)
        .map(|s| s.split_once("</string>").unwrap().0.to_string())
        .skip(1)
        .collect();
    vec![("systemd", systemd), ("launchd", launchd)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_on_a_schedule_opens_one_episode_with_one_bundle_and_one_notification_then_closes() {
    // The box intercepts from 4 s to 10 s after it starts; `sim` on the
    // command line does the same with --intercept-from 4s --intercept-for 6s.
    let sim = sim(Some(mitmwatch_sim::schedule::InterceptWindow {
        from: Duration::from_secs(4),
        length: Some(Duration::from_secs(6)),
    }))
    .await;
    let data = Data::new(&sim);
    let out = output(data.watch(
        &sim.interceptor.to_string(),
        &["--every", "1s", "--runs", "16", "--close-after", "3"],
    ))
    .await;
    ok(&out, "watch");
    let db = data.db();
    let runs = outcomes(&db);
    assert!(runs[0] == "clean", "{runs:?}");
    let first = runs
        .iter()
        .position(|o| o == "intercepted")
        .expect("an intercepted run");
    let last = runs.iter().rposition(|o| o == "intercepted").unwrap();
    assert!(
        runs[first..=last].iter().all(|o| o == "intercepted"),
        "{runs:?}"
    );
    assert!(
        runs.len() - last > 3,
        "three clean runs after the window: {runs:?}"
    );
    // One episode, opened by the first intercepted run, closed by the
    // third clean run after the last intercepted one.
    let history = History::open(&db, Access::ReadOnly).unwrap();
    let episodes = history.episodes(None).unwrap();
    assert_eq!(episodes.len(), 1, "{episodes:?}");
    let e = &episodes[0];
    assert_eq!(
        (e.kind.as_str(), e.key.as_str()),
        ("interception", "kz-qaznet-trust-network")
    );
    assert_eq!(e.opened_run, first as i64 + 1);
    assert_eq!(e.closed_run, Some(last as i64 + 4));
    assert_eq!(
        e.sites,
        vec!["allo.google.com", "android.com", "facebook.com"]
    );
    // One notification when it opened, one when it closed.
    assert_eq!(
        events(&data),
        vec![("episode-opened".into(), 1), ("episode-closed".into(), 1)]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("episode 1 opened").count(), 1, "{stderr}");
    // The bundle, once, as `evidence` writes it.
    let dirs = evidence_dirs(&data);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    assert_eq!(e.evidence_dir.as_deref(), Some(dirs[0].to_str().unwrap()));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dirs[0].join("manifest.json")).unwrap())
            .unwrap();
    let report = dirs[0].join("kz-qaznet-trust-network/REPORT.md");
    let report = std::fs::read_to_string(report).unwrap();
    for site in ["facebook.com", "allo.google.com", "android.com"] {
        assert!(report.contains(site), "{site} in REPORT.md");
    }
    assert!(!report.contains("wikipedia.org"), "only intercepted sites");
    assert!(manifest.to_string().contains("REPORT.md"));
    // A second watch on the same database writes and sends nothing again.
    drop(history);
    ok(
        &output(data.watch(&sim.origin.to_string(), &["--runs", "1"])).await,
        "again",
    );
    assert_eq!(evidence_dirs(&data).len(), 1);
    assert_eq!(events(&data).len(), 2);
    assert_eq!(
        count(&db, "SELECT count(*) FROM runs"),
        runs.len() as i64 + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_path_keeps_one_episode_and_offline_runs_never_alarm() {
    let sim = sim(None).await;
    let switch = sim.switch();
    let data = Data::new(&sim);
    let refused = common::refused_port().await;
    let through_box = sim.interceptor.to_string();
    let offline = refused.addr().to_string();
    // On, off, on, off, on: hysteresis keeps one episode open.
    for on in [true, false, true, false, true] {
        switch.set(on);
        ok(
            &output(data.watch(&through_box, &["--runs", "1"])).await,
            "flap",
        );
    }
    // Offline runs in the middle neither alarm nor count as clean.
    for _ in 0..4 {
        ok(
            &output(data.watch(&offline, &["--runs", "1"])).await,
            "offline",
        );
    }
    switch.set(false);
    for _ in 0..2 {
        ok(
            &output(data.watch(&through_box, &["--runs", "1"])).await,
            "clean",
        );
    }
    let db = data.db();
    assert_eq!(
        outcomes(&db),
        [
            "intercepted",
            "clean",
            "intercepted",
            "clean",
            "intercepted",
            "inconclusive",
            "inconclusive",
            "inconclusive",
            "inconclusive",
            "clean",
            "clean"
        ]
    );
    assert_eq!(events(&data), vec![("episode-opened".into(), 1)]);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM episodes WHERE closed_run IS NULL"
        ),
        1
    );
    // The third clean conclusive run closes it.
    ok(
        &output(data.watch(&through_box, &["--runs", "1"])).await,
        "third clean",
    );
    assert_eq!(
        events(&data),
        vec![("episode-opened".into(), 1), ("episode-closed".into(), 1)]
    );
    // A database that only saw offline runs has no episode at all.
    let fresh = Data::new(&sim);
    for _ in 0..3 {
        ok(
            &output(fresh.watch(&offline, &["--runs", "1"])).await,
            "offline",
        );
    }
    assert_eq!(outcomes(&fresh.db()), ["inconclusive"; 3]);
    assert_eq!(count(&fresh.db(), "SELECT count(*) FROM episodes"), 0);
    assert!(events(&fresh).is_empty());
    drop(refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_intercept_from_and_for_on_the_command_line_make_an_episode_for_watch() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sim");
    let mut sim = Command::new(binary())
        .args([
            "sim",
            "--duration",
            "60",
            "--intercept-from",
            "2s",
            "--intercept-for",
            "3s",
        ])
        .arg("--out-dir")
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = sim.stdout.take().unwrap();
    let mut box_addr = None;
    let mut said_window = false;
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        let line = line.unwrap();
        if let Some((_, addr)) = line.split_once("names intercepted):") {
            box_addr = Some(addr.trim().to_string());
        }
        said_window |= line.starts_with("interception: from 2s after the start, for 3s");
        if line.starts_with("running;") {
            break;
        }
    }
    assert!(said_window, "sim states its window");
    let db = dir.path().join("h.sqlite");
    let mut watch = Command::new(binary());
    watch
        .arg("watch")
        .args(SITES)
        .arg("--db")
        .arg(&db)
        .args([
            "--connect-to",
            &format!("::{}", box_addr.unwrap()),
            "--no-store",
        ])
        .args(["--every", "1s", "--runs", "10", "--close-after", "2"]);
    for (flag, file) in [
        ("--roots", "sim-root.pem"),
        ("--pins", "sim-pins.json"),
        ("--ct-log-list", "sim-ct.json"),
    ] {
        watch.arg(flag).arg(data.join(file));
    }
    let out = output(watch).await;
    let _ = sim.kill();
    let _ = sim.wait();
    ok(&out, "watch");
    let runs = outcomes(&db);
    assert_eq!(runs[0], "clean", "{runs:?}");
    assert!(runs.contains(&"intercepted".to_string()), "{runs:?}");
    let episodes = History::open(&db, Access::ReadOnly)
        .unwrap()
        .episodes(None)
        .unwrap();
    assert_eq!(episodes.len(), 1, "{episodes:?}");
    assert!(
        episodes[0].closed_run.is_some(),
        "closed after the window: {runs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_added_to_this_machine_opens_a_local_root_episode() {
    let sim = sim(None).await;
    let data = Data::new(&sim);
    let sysroot = data.dir.path().join("sysroot");
    let anchors = sysroot.join("usr/local/share/ca-certificates");
    std::fs::create_dir_all(&anchors).unwrap();
    let home = data.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let run = |data: &Data| {
        let mut c = data.watch_auditing(&sim.origin.to_string(), &["--runs", "1", "--no-browsers"]);
        c.arg("--sysroot").arg(&sysroot).arg("--home").arg(&home);
        c
    };
    ok(&output(run(&data)).await, "before");
    std::fs::write(anchors.join("added.crt"), sim.public_root_pem()).unwrap();
    ok(&output(run(&data)).await, "after");
    let history = History::open(&data.db(), Access::ReadOnly).unwrap();
    let episodes = history.episodes(None).unwrap();
    assert_eq!(episodes.len(), 1, "{episodes:?}");
    assert_eq!(episodes[0].kind, "local-root");
    assert!(episodes[0].label.contains("Sim"), "{}", episodes[0].label);
    assert_eq!(events(&data), vec![("episode-opened".into(), 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_baseline_a_new_issuing_ca_opens_an_episode_with_the_sites_observations() {
    let sim = sim(None).await;
    let data = Data::new(&sim);
    let origin = sim.origin.to_string();
    ok(
        &output(data.watch(&origin, &["--runs", "1"])).await,
        "first run",
    );
    // A baseline from that run, in which wikipedia.org has another CA.
    let export = data.dir.path().join("export.jsonl");
    let mut c = Command::new(binary());
    c.args(["history", "--db"])
        .arg(data.db())
        .arg("--export")
        .arg(&export);
    ok(&output(c).await, "export");
    let baseline = data.dir.path().join("baseline.json");
    let mut c = Command::new(binary());
    c.arg("baseline").arg(&export).arg("-o").arg(&baseline);
    ok(&output(c).await, "baseline");
    let mut b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let other = serde_json::json!({
        "issuers": ["C=US, O=Another Public CA, CN=Another CA R3"],
        "ca_spki_sha256": ["00".repeat(32)]
    });
    b["domains"]["wikipedia.org"] = other;
    std::fs::write(&baseline, b.to_string()).unwrap();
    let flag = baseline.display().to_string();
    ok(
        &output(data.watch(&origin, &["--runs", "1", "--baseline", &flag])).await,
        "second",
    );
    let history = History::open(&data.db(), Access::ReadOnly).unwrap();
    let episodes = history.episodes(None).unwrap();
    assert_eq!(episodes.len(), 1, "{episodes:?}");
    let e = &episodes[0];
    assert_eq!(e.kind, "new-issuer");
    assert_eq!(e.sites, vec!["wikipedia.org"]);
    assert!(e.label.contains("Mitmwatch Sim TLS CA 1"), "{}", e.label);
    let dir = PathBuf::from(e.evidence_dir.as_ref().expect("evidence written"));
    let kept = std::fs::read_to_string(dir.join("observations.jsonl")).unwrap();
    assert_eq!(kept.lines().count(), 1);
    assert!(kept.contains("\"wikipedia.org\""));
    assert_eq!(events(&data), vec![("episode-opened".into(), 1)]);
    // Runs without --baseline cannot see an issuing CA change: they leave
    // the episode open (no false all-clear), however many there are.
    drop(history);
    ok(
        &output(data.watch(
            &origin,
            &["--runs", "2", "--every", "100ms", "--close-after", "1"],
        ))
        .await,
        "without the baseline",
    );
    let history = History::open(&data.db(), Access::ReadOnly).unwrap();
    let episodes = history.episodes(None).unwrap();
    assert_eq!(episodes.len(), 1, "{episodes:?}");
    assert_eq!(episodes[0].closed_run, None, "{episodes:?}");
    assert_eq!(events(&data), vec![("episode-opened".into(), 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_evidence_directory_still_notifies_and_the_evidence_is_retried() {
    let sim = sim(None).await;
    let switch = sim.switch();
    switch.set(true);
    let data = Data::new(&sim);
    let to = sim.interceptor.to_string();
    // Under a file: no directory can be made there (even by root).
    let file = data.dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let blocked = file.join("evidence").display().to_string();
    let out = output(data.watch(&to, &["--runs", "1", "--evidence-dir", &blocked])).await;
    ok(&out, "blocked evidence");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("episode 1 opened").count(), 1, "{stderr}");
    assert!(stderr.contains("could not be written"), "{stderr}");
    assert_eq!(events(&data), vec![("episode-opened".into(), 1)]);
    let event: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(data.events()).unwrap().trim()).unwrap();
    assert!(
        event["evidence_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{event}"
    );
    let db = data.db();
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM episodes WHERE evidence_written_at IS NULL"
        ),
        1
    );
    // The next watch writes the evidence, and does not alarm again.
    ok(&output(data.watch(&to, &["--runs", "1"])).await, "retry");
    let dirs = evidence_dirs(&data);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let history = History::open(&db, Access::ReadOnly).unwrap();
    let e = &history.episodes(None).unwrap()[0];
    assert!(e.evidence_written);
    assert_eq!(e.evidence_dir.as_deref(), Some(dirs[0].to_str().unwrap()));
    assert_eq!(events(&data), vec![("episode-opened".into(), 1)]);
}

#[test]
fn the_deploy_files_run_watch_with_flags_it_accepts() {
    let dir = tempfile::tempdir().unwrap();
    // A database under a file: the flags parse, then opening it fails,
    // before any measurement.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    for (what, args) in deploy_arguments() {
        assert_eq!(
            args.first().map(String::as_str),
            Some("watch"),
            "{what}: {args:?}"
        );
        let out = Command::new(binary())
            .args(&args)
            .arg("--db")
            .arg(blocker.join("h.sqlite"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains("h.sqlite") || stderr.contains("file"),
            "{what}: {stderr}"
        );
        assert!(
            !stderr.contains("unexpected argument") && !stderr.contains("invalid value"),
            "{what}: {stderr}"
        );
    }
}
