//! The history database under stress: kill -9 loses only the run in
//! flight and a second watch continues; SIGTERM stops cleanly; damaged,
//! foreign and non-databases are refused untouched; two watchers never
//! measure at once; `--keep` never prunes an episode's first run or its
//! evidence.
mod common;

use common::binary;
use common::watch::*;
use mitmwatch_watch::{Access, History};
use rusqlite::Connection;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    // The right application id with a negative schema version.
    let negative = data.dir.path().join("negative.sqlite");
    drop(History::open(&negative, Access::ReadWrite).unwrap());
    Connection::open(&negative)
        .unwrap()
        .pragma_update(None, "user_version", -1)
        .unwrap();
    for (path, words) in [
        (&negative, "schema version -1"),
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
