//! What `watch` stored, read back: `history` agrees with the database, the
//! export re-analyses to the verdicts stored, `report --db` renders it,
//! and stored observations come back as they were measured.
mod common;

use common::binary;
use common::watch::*;
use mitmwatch_watch::{Access, History};
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_agrees_with_the_database_and_the_export_reanalyses_the_same() {
    let sim = sim(None).await;
    let switch = sim.switch();
    let data = Data::new(&sim);
    let to = sim.interceptor.to_string();
    for on in [false, true, true, false] {
        switch.set(on);
        // A --keep longer than the calendar goes back prunes nothing.
        ok(
            &output(data.watch(&to, &["--runs", "1", "--keep", "5000000d"])).await,
            "run",
        );
    }
    let db = data.db();
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 4);
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
    // --since further back than the calendar goes: everything.
    let mut c = Command::new(binary());
    c.args(["history", "--format", "json", "--since", "5000000d", "--db"])
        .arg(&db);
    let out = output(c).await;
    ok(&out, "history --since 5000000d");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["runs"].as_array().unwrap().len(), 4);

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

    // A database from elsewhere: every stored word is escaped, on a
    // terminal (kind, verdict, status) and in CSV (no formula).
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "UPDATE episodes SET kind = 'evil' || char(27) || '[2J';
             UPDATE judgements SET verdict = '=HYPERLINK(1)' || char(27) WHERE verdict = 'intercepted';
             UPDATE judgements SET verdict = 'error', status = '@SUM(1)' || char(27) || '[31m'
                 WHERE verdict = 'clean';",
        )
        .unwrap();
    let mut c = Command::new(binary());
    c.args(["history", "--db"]).arg(&db);
    let out = output(c).await;
    ok(&out, "history of a foreign database");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "{text}");
    assert!(text.contains("evil\\u{1b}[2J"), "{text}");
    assert!(text.contains("=HYPERLINK(1)\\u{1b}"), "{text}");
    assert!(text.contains("error (@SUM(1)\\u{1b}[31m)"), "{text}");
    let mut c = Command::new(binary());
    c.args(["history", "--format", "csv", "--db"]).arg(&db);
    let out = output(c).await;
    ok(&out, "csv of a foreign database");
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(!csv.contains('\x1b'), "{csv}");
    assert!(!csv.contains(",=") && !csv.contains(",@"), "{csv}");
    assert!(csv.contains(",'=HYPERLINK(1)\\u{1b},"), "{csv}");
    assert!(csv.contains(",'@SUM(1)\\u{1b}[31m,"), "{csv}");
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
