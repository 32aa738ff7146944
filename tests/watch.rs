//! `mitmwatch watch` and `mitmwatch history` against the simulated network
//! on 127.0.0.1: an episode opens when the box starts intercepting, its
//! evidence is written once and one notification sent, and it closes
//! after a stable clean stretch; a flapping path keeps one episode;
//! offline runs never alarm; kill -9 loses only the run in flight; a
//! damaged or foreign database is refused untouched; two watchers never
//! measure at once; `history` agrees with the database; the export
//! re-analyses to the verdicts stored.

mod common;

use common::binary;
use mitmwatch_sim::{SimConfig, SimNetwork};
use mitmwatch_watch::{Access, History};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Three names the box intercepts and three it passes through.
const SITES: [&str; 6] = [
    "facebook.com",
    "allo.google.com",
    "android.com",
    "wikipedia.org",
    "github.com",
    "example.com",
];

/// The simulation's data files and the flags that judge it.
struct Data {
    dir: tempfile::TempDir,
    analysis: Vec<String>,
}

impl Data {
    fn new(sim: &SimNetwork) -> Data {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path.display().to_string()
        };
        let analysis = vec![
            "--roots".into(),
            write("root.pem", sim.public_root_pem()),
            "--pins".into(),
            write("pins.json", sim.pins_json()),
            "--ct-log-list".into(),
            write("ct.json", sim.ct_log_list_json()),
        ];
        Data { dir, analysis }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("history.sqlite")
    }

    fn events(&self) -> PathBuf {
        self.dir.path().join("events.jsonl")
    }

    fn evidence(&self) -> PathBuf {
        self.dir.path().join("evidence")
    }

    /// `watch` on the database, through `to` (an address), with `extra`,
    /// without the trust-store audit.
    fn watch(&self, to: &str, extra: &[&str]) -> Command {
        let mut c = self.watch_auditing(to, extra);
        c.arg("--no-store");
        c
    }

    /// `watch` that audits the trust stores (those `extra` points at).
    fn watch_auditing(&self, to: &str, extra: &[&str]) -> Command {
        self.watch_on(&self.db(), to, extra)
    }

    /// `watch` on the database `db`, auditing the trust stores.
    fn watch_on(&self, db: &Path, to: &str, extra: &[&str]) -> Command {
        let mut c = Command::new(binary());
        c.arg("watch")
            .args(SITES)
            .arg("--db")
            .arg(db)
            .args(["--connect-to", &format!("::{to}")])
            .args(["--timeout", "5", "--retries", "0"])
            .arg("--on-change")
            .arg(format!("cat >> '{}'", self.events().display()))
            .args(&self.analysis)
            .args(extra);
        c
    }
}

async fn sim(window: Option<mitmwatch_sim::schedule::InterceptWindow>) -> SimNetwork {
    SimNetwork::start(SimConfig {
        window,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

async fn output(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The opened/closed events written by `--on-change`.
fn events(data: &Data) -> Vec<(String, i64)> {
    std::fs::read_to_string(data.events())
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["type"].as_str().unwrap().to_string(),
                v["episode"]["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn sql(db: &Path) -> Connection {
    Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn count(db: &Path, query: &str) -> i64 {
    sql(db).query_row(query, [], |r| r.get(0)).unwrap()
}

/// Run outcomes in order.
fn outcomes(db: &Path) -> Vec<String> {
    let c = sql(db);
    let mut s = c.prepare("SELECT outcome FROM runs ORDER BY id").unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn evidence_dirs(data: &Data) -> Vec<PathBuf> {
    match std::fs::read_dir(data.evidence()) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
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

/// Each run stored whole: as many observation rows as the run has sites.
fn runs_are_whole(db: &Path) {
    let broken = count(
        db,
        "SELECT count(*) FROM runs r WHERE r.sites !=
           (SELECT count(*) FROM observations o WHERE o.run_id = r.id)",
    );
    assert_eq!(broken, 0);
    let check: String = sql(db)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_only_the_run_in_flight_and_sigterm_stops_cleanly() {
    let sim = sim(None).await;
    let data = Data::new(&sim);
    let to = sim.interceptor.to_string();
    let db = data.db();
    let mut before = 0;
    // Killed at different moments of its runs (the full list of 63 sites,
    // so that a kill often lands while a run is being written).
    for (i, wait) in [1500u64, 2300, 3100].iter().enumerate() {
        let mut c = data.watch(&to, &["--every", "100ms"]);
        c.arg("-i").arg(write_popular(&data));
        c.stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(*wait)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        let history =
            History::open(&db, Access::ReadOnly).expect("the database opens after kill -9");
        let runs = history.runs(None).unwrap();
        assert!(
            runs.len() > before,
            "round {i}: runs were committed before the kill"
        );
        before = runs.len();
        runs_are_whole(&db);
    }
    // A second watch continues the same database.
    ok(
        &output(data.watch(&to, &["--runs", "2", "--every", "100ms"])).await,
        "continue",
    );
    let ids: Vec<i64> = History::open(&db, Access::ReadOnly)
        .unwrap()
        .runs(None)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids.len(), before + 2);
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    runs_are_whole(&db);
    // SIGTERM between or during runs: exit 0 at once, nothing half-written.
    let mut child = data
        .watch(&to, &["--every", "1s"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = Instant::now();
    // The shell's own `kill`, which every sh has.
    let term = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(sent.elapsed() < Duration::from_secs(5));
    runs_are_whole(&db);
    // One opening notification in all of this.
    assert_eq!(events(&data), vec![("episode-opened".into(), 1)]);
}

/// Writes check's list of popular sites to a file for `-i`.
fn write_popular(data: &Data) -> PathBuf {
    let path = data.dir.path().join("popular.txt");
    std::fs::write(
        &path,
        mitmwatch_core::analysis_data::domains::popular().join("\n"),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_foreign_and_non_databases_are_refused_and_left_untouched() {
    let sim = sim(None).await;
    let data = Data::new(&sim);
    let to = sim.origin.to_string();
    ok(
        &output(data.watch(&to, &["--runs", "2", "--every", "100ms"])).await,
        "first",
    );
    let db = data.db();
    // Damage the header of every page after the first (the schema's):
    // the tables' pages are no longer b-tree pages.
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 5 * 4096, "{} bytes", bytes.len());
    for page in bytes.chunks_mut(4096).skip(1) {
        page[..8].fill(0xA5);
    }
    std::fs::write(&db, &bytes).unwrap();
    let text = data.dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "my notes, not a database, long enough to have a header",
    )
    .unwrap();
    let foreign = data.dir.path().join("other.sqlite");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('a');")
        .unwrap();
    for (path, words) in [
        (&db, "damaged"),
        (&text, "not a mitmwatch history database"),
        (&foreign, "another program"),
    ] {
        let before = std::fs::read(path).unwrap();
        let watch = data.watch_on(path, &to, &["--runs", "1", "--no-store"]);
        let mut history = Command::new(binary());
        history.arg("history").arg("--db").arg(path);
        for (what, c) in [("watch", watch), ("history", history)] {
            let out = output(c).await;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{what} {}: {stderr}",
                path.display()
            );
            assert!(stderr.contains(words), "{what}: {stderr}");
            assert!(stderr.contains("left untouched"), "{stderr}");
            assert_eq!(
                std::fs::read(path).unwrap(),
                before,
                "{} unchanged",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watchers_on_one_database_never_measure_at_once() {
    let sim = sim(None).await;
    let data = Data::new(&sim);
    let to = sim.origin.to_string();
    let popular = write_popular(&data);
    let start = |data: &Data| {
        let mut c = data.watch(&to, &["--runs", "3", "--every", "1s"]);
        c.arg("-i").arg(&popular).stderr(Stdio::piped());
        c.spawn().unwrap()
    };
    let (a, b) = (start(&data), start(&data));
    for child in [a, b] {
        ok(&child.wait_with_output().unwrap(), "a watcher");
    }
    let c = sql(&data.db());
    let mut s = c
        .prepare("SELECT started_at, finished_at FROM runs ORDER BY started_at")
        .unwrap();
    let spans: Vec<(i64, i64)> = s
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(spans.len(), 6);
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "runs overlap: {spans:?}");
    }
    runs_are_whole(&data.db());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_agrees_with_the_database_and_the_export_reanalyses_the_same() {
    let sim = sim(None).await;
    let switch = sim.switch();
    let data = Data::new(&sim);
    let to = sim.interceptor.to_string();
    for on in [false, true, true, false] {
        switch.set(on);
        ok(&output(data.watch(&to, &["--runs", "1"])).await, "run");
    }
    let db = data.db();
    let mut c = Command::new(binary());
    c.args(["history", "--format", "json", "--db"]).arg(&db);
    let out = output(c).await;
    ok(&out, "history json");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], 1);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len() as i64, count(&db, "SELECT count(*) FROM runs"));
    for (run, outcome) in runs.iter().zip(outcomes(&db)) {
        assert_eq!(run["outcome"], outcome.as_str());
    }
    assert_eq!(doc["episodes"].as_array().unwrap().len(), 1);
    assert_eq!(doc["episodes"][0]["opened_run"], 2);
    let timeline = doc["timeline"].as_array().unwrap();
    assert_eq!(
        timeline.len() as i64,
        count(&db, "SELECT count(*) FROM sites")
    );
    for site in timeline {
        let host = site["target"]["host"].as_str().unwrap();
        let verdicts: Vec<String> = {
            let c = sql(&db);
            let mut s = c
                .prepare(
                    "SELECT j.verdict FROM observations o JOIN sites s ON s.id = o.site_id
                     JOIN judgements j ON j.id = o.judgement_id WHERE s.host = ?1 ORDER BY o.run_id",
                )
                .unwrap();
            s.query_map([host], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let mut expanded = Vec::new();
        for seg in site["segments"].as_array().unwrap() {
            for _ in 0..seg["runs"].as_u64().unwrap() {
                expanded.push(seg["verdict"].as_str().unwrap().to_string());
            }
        }
        assert_eq!(expanded, verdicts, "{host}");
        let intercepted = SITES[..3].contains(&host);
        let segments = site["segments"].as_array().unwrap().len();
        assert_eq!(segments, if intercepted { 3 } else { 1 }, "{host}: {site}");
    }
    // CSV: one row per segment.
    let mut c = Command::new(binary());
    c.args(["history", "--format", "csv", "--db"]).arg(&db);
    let out = output(c).await;
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 3 + 3);
    assert!(
        csv.contains("facebook.com,443,facebook.com,,intercepted,ok,"),
        "{csv}"
    );
    // Text names the episode and the steady sites.
    let mut c = Command::new(binary());
    c.args(["history", "--db"]).arg(&db);
    let text = String::from_utf8(output(c).await.stdout).unwrap();
    assert!(
        text.contains("#1 interception 'Qaznet Trust Network'"),
        "{text}"
    );
    assert!(text.contains("3 other sites clean in every run"), "{text}");
    // --since after the last run: nothing.
    let mut c = Command::new(binary());
    c.args(["history", "--since", "2999-01-01T00:00:00Z", "--db"])
        .arg(&db);
    assert!(String::from_utf8(output(c).await.stdout)
        .unwrap()
        .starts_with("No runs"));

    // The export is ordinary observations: analyze gives the stored verdicts.
    let export = data.dir.path().join("export.jsonl");
    let mut c = Command::new(binary());
    c.args(["history", "--db"])
        .arg(&db)
        .arg("--export")
        .arg(&export);
    ok(&output(c).await, "export");
    let mut c = Command::new(binary());
    c.arg("analyze")
        .arg(&export)
        .args(["--format", "json"])
        .args(&data.analysis);
    let out = output(c).await;
    assert_eq!(out.status.code(), Some(2), "interception in the export");
    let analysed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "assessment")
        .map(|v| v["verdict"].as_str().unwrap().to_string())
        .collect();
    let stored: Vec<String> = {
        let c = sql(&db);
        let mut s = c
            .prepare(
                "SELECT j.verdict FROM observations o JOIN judgements j ON j.id = o.judgement_id
                 ORDER BY o.run_id, o.seq",
            )
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(analysed.len(), 4 * SITES.len());
    assert_eq!(analysed, stored);
    // The export merges with itself as another watcher's data would.
    let mut c = Command::new(binary());
    c.arg("report")
        .arg("--db")
        .arg(&db)
        .arg("--html")
        .arg(data.dir.path().join("r.html"));
    c.args(&data.analysis);
    let out = output(c).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(data.dir.path().join("r.html")).unwrap();
    assert!(html.contains("facebook.com") && html.contains("Qaznet"));
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
async fn keep_prunes_old_runs_but_never_an_episode_s_first_run_nor_its_evidence() {
    let sim = sim(None).await;
    let switch = sim.switch();
    let data = Data::new(&sim);
    let to = sim.interceptor.to_string();
    for on in [false, true, true, false] {
        switch.set(on);
        ok(&output(data.watch(&to, &["--runs", "1"])).await, "run");
    }
    let evidence = evidence_dirs(&data);
    assert_eq!(evidence.len(), 1);
    let files_before = std::fs::read_dir(&evidence[0]).unwrap().count();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    ok(
        &output(data.watch(&to, &["--runs", "1", "--keep", "2s"])).await,
        "prune",
    );
    let db = data.db();
    let c = sql(&db);
    let mut s = c.prepare("SELECT id FROM runs ORDER BY id").unwrap();
    let ids: Vec<i64> = s
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ids, [2, 5], "the episode's first run and the new one");
    assert_eq!(
        count(&db, "SELECT count(*) FROM observations"),
        2 * SITES.len() as i64
    );
    let orphans = count(
        &db,
        "SELECT count(*) FROM chains WHERE id NOT IN
           (SELECT chain_id FROM observations WHERE chain_id IS NOT NULL)",
    );
    assert_eq!(orphans, 0);
    let orphans = count(
        &db,
        "SELECT count(*) FROM certs WHERE id NOT IN
           (SELECT j.value FROM chains, json_each(chains.certs) AS j)",
    );
    assert_eq!(orphans, 0);
    assert!(count(&db, "SELECT count(*) FROM certs") > 0);
    // The evidence is untouched and the episode's run still exports.
    assert_eq!(
        std::fs::read_dir(&evidence[0]).unwrap().count(),
        files_before
    );
    let history = History::open(&db, Access::ReadOnly).unwrap();
    let mut intercepted = 0;
    history
        .observations(None, Some(2), |o| {
            intercepted +=
                usize::from(o.chain.len() > 1 && SITES[..3].contains(&o.target.host.as_str()));
            Ok(())
        })
        .unwrap();
    assert_eq!(intercepted, 3);
    assert_eq!(history.episodes(None).unwrap().len(), 1);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_observations_come_back_as_they_were_measured() {
    use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
    use mitmwatch_core::judge::{Input, Judge};
    use mitmwatch_watch::record::RunInput;
    let sim = sim(None).await;
    let collector = common::box_collector(&sim);
    let mut observations = Vec::new();
    for host in SITES {
        observations.push(common::probe(&collector, host).await);
    }
    // A failure is a record too.
    let refused = common::refused_port().await;
    let failing = common::collector_to(refused.addr(), &sim.trust_store(), Duration::from_secs(2));
    observations.push(common::probe(&failing, "offline.example").await);
    let analyzer = Analyzer::new(AnalysisData {
        pins: sim.pins(),
        ct_logs: std::sync::Arc::new(sim.ct_log_list.clone()),
        ..AnalysisData::with_trust(sim.trust_store()).unwrap()
    });
    let input = Input::in_memory("test", observations.clone(), true);
    let assessments = Judge::new(&analyzer, ValidationTime::Observed)
        .judge(input, &mut |_| {})
        .unwrap()
        .assessments()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let mut history = History::open(&db, Access::ReadWrite).unwrap();
    let start = observations[0].started_at;
    for _ in 0..2 {
        history
            .record_run(
                &RunInput {
                    started_at: start,
                    finished_at: start,
                    network: &mitmwatch_watch::network::NetworkFacts::default(),
                    observations: &observations,
                    assessments: &assessments,
                    outcome: mitmwatch_watch::Outcome::Intercepted,
                    local_roots: None,
                    baseline: false,
                    resumed: false,
                    tool: "test",
                },
                3,
            )
            .unwrap();
    }
    let mut back = Vec::new();
    history
        .observations(None, None, |o| {
            back.push(o);
            Ok(())
        })
        .unwrap();
    assert_eq!(back.len(), 2 * observations.len());
    // Stored to the millisecond (times) and microsecond (durations).
    let ms = |t: time::OffsetDateTime| t.unix_timestamp_nanos() / 1_000_000;
    for (got, want) in back
        .iter()
        .zip(observations.iter().chain(observations.iter()))
    {
        assert_eq!(ms(got.started_at), ms(want.started_at));
        assert!((got.duration_ms - want.duration_ms).abs() < 0.001);
        let mut got = got.clone();
        got.started_at = want.started_at;
        got.duration_ms = want.duration_ms;
        assert_eq!(&got, want);
    }
    // Stored once: each certificate, chain and record shape.
    let chains = count(&db, "SELECT count(*) FROM chains");
    let distinct: std::collections::HashSet<String> = observations
        .iter()
        .filter(|o| !o.chain.is_empty())
        .map(|o| serde_json::to_string(&o.chain).unwrap())
        .collect();
    assert_eq!(chains, distinct.len() as i64);
    assert_eq!(
        count(&db, "SELECT count(*) FROM observations"),
        2 * observations.len() as i64
    );
    drop(refused);
}
