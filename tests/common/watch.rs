//! Helpers of the `watch` tests (tests/watch*.rs): the simulation's data
//! files, `watch` commands aimed at it, and reading the history database.

use super::binary;
use mitmwatch_sim::{SimConfig, SimNetwork};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Three names the box intercepts and three it passes through.
pub(crate) const SITES: [&str; 6] = [
    "facebook.com",
    "allo.google.com",
    "android.com",
    "wikipedia.org",
    "github.com",
    "example.com",
];

/// The simulation's data files and the flags that judge it.
pub(crate) struct Data {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) analysis: Vec<String>,
}

impl Data {
    pub(crate) fn new(sim: &SimNetwork) -> Data {
        let dir = tempfile::tempdir().unwrap();
        let analysis = super::sim_data_args(sim, dir.path());
        Data { dir, analysis }
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.dir.path().join("history.sqlite")
    }

    pub(crate) fn events(&self) -> PathBuf {
        self.dir.path().join("events.jsonl")
    }

    pub(crate) fn evidence(&self) -> PathBuf {
        self.dir.path().join("evidence")
    }

    /// `watch` on the database, through `to` (an address), with `extra`,
    /// without the trust-store audit.
    pub(crate) fn watch(&self, to: &str, extra: &[&str]) -> Command {
        let mut c = self.watch_auditing(to, extra);
        c.arg("--no-store");
        c
    }

    /// `watch` that audits the trust stores (those `extra` points at).
    pub(crate) fn watch_auditing(&self, to: &str, extra: &[&str]) -> Command {
        self.watch_on(&self.db(), to, extra)
    }

    /// `watch` on the database `db`, auditing the trust stores.
    pub(crate) fn watch_on(&self, db: &Path, to: &str, extra: &[&str]) -> Command {
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

pub(crate) async fn sim(window: Option<mitmwatch_sim::schedule::InterceptWindow>) -> SimNetwork {
    SimNetwork::start(SimConfig {
        window,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

pub(crate) async fn output(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

pub(crate) fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The opened/closed events written by `--on-change`.
pub(crate) fn events(data: &Data) -> Vec<(String, i64)> {
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

pub(crate) fn sql(db: &Path) -> Connection {
    Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

pub(crate) fn count(db: &Path, query: &str) -> i64 {
    sql(db).query_row(query, [], |r| r.get(0)).unwrap()
}

/// Run outcomes in order.
pub(crate) fn outcomes(db: &Path) -> Vec<String> {
    let c = sql(db);
    let mut s = c.prepare("SELECT outcome FROM runs ORDER BY id").unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

pub(crate) fn evidence_dirs(data: &Data) -> Vec<PathBuf> {
    match std::fs::read_dir(data.evidence()) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Each run stored whole: as many observation rows as the run has sites.
pub(crate) fn runs_are_whole(db: &Path) {
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

/// Writes check's list of popular sites to a file for `-i`.
pub(crate) fn write_popular(data: &Data) -> PathBuf {
    let path = data.dir.path().join("popular.txt");
    std::fs::write(
        &path,
        mitmwatch_core::analysis_data::domains::popular().join("\n"),
    )
    .unwrap();
    path
}
