//! Recording a run: its observations (chains, the rest of each record and
//! its judgement stored once by digest), and the episodes it opens, extends
//! or closes, all in one transaction. A run is in the database whole or
//! not at all: a `kill -9` in the middle loses only the run in flight.

use crate::episodes::{self, EpisodeKind, OpenEpisode, RunKind, Signal};
use crate::error::{Result, WatchError};
use crate::history::{millis, History, LocalRoot, Outcome};
use crate::network::NetworkFacts;
use mitmwatch_core::encoding::sha256_hex;
use mitmwatch_core::model::{Assessment, FindingCode, Observation, Verdict};
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// Everything about one run that the database keeps.
#[derive(Debug)]
pub struct RunInput<'a> {
    /// When the measurement started.
    pub started_at: OffsetDateTime,
    /// When it ended.
    pub finished_at: OffsetDateTime,
    /// The network it ran on.
    pub network: &'a NetworkFacts,
    /// One observation per site, in the order measured.
    pub observations: &'a [Observation],
    /// Their assessments, in the same order.
    pub assessments: &'a [Assessment],
    /// The run's outcome, as `check` would report it.
    pub outcome: Outcome,
    /// Roots added on this machine that it trusts, when the trust stores
    /// were audited (`None`: not audited, e.g. `--no-store`).
    pub local_roots: Option<&'a [LocalRoot]>,
    /// Whether `--baseline` judged the sites (issuer changes then count).
    pub baseline: bool,
    /// The first run after the machine slept (or the clock jumped).
    pub resumed: bool,
    /// The program, e.g. `mitmwatch 0.1.0`.
    pub tool: &'a str,
}

/// What recording a run did.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// The run's id.
    pub run_id: i64,
    /// Episodes this run opened.
    pub opened: Vec<i64>,
    /// Episodes this run closed.
    pub closed: Vec<i64>,
}

/// The key of `meta` that holds the local roots of the first audit.
const FIRST_ROOTS: &str = "first_roots";

impl History {
    /// Stores a run and steps the episodes (`close_after`: conclusive runs
    /// without its signal that close an episode), in one transaction.
    pub fn record_run(&mut self, run: &RunInput<'_>, close_after: u32) -> Result<Recorded> {
        if run.observations.len() != run.assessments.len() {
            return Err(WatchError::Mismatch(format!(
                "{} observations, {} assessments",
                run.observations.len(),
                run.assessments.len()
            )));
        }
        for (o, a) in run.observations.iter().zip(run.assessments) {
            if o.target != a.target {
                return Err(WatchError::Mismatch(format!(
                    "observation of {} judged as {}",
                    o.target.host, a.target.host
                )));
            }
        }
        let path = self.path.clone();
        let sql = move |source| WatchError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&sql)?;
        let recorded = record_in(&tx, run, close_after).map_err(|e| match e {
            Failed::Sql(source) => sql(source),
            Failed::Bad { what, reason } => WatchError::BadRecord {
                path: self.path.clone(),
                what,
                reason,
            },
        })?;
        tx.commit().map_err(&sql)?;
        Ok(recorded)
    }
}

/// Why recording a run failed: SQLite, or stored data that does not read
/// back (never taken for something else: an unreadable list of first
/// roots is not "no roots", an unknown episode kind not an interception).
#[derive(Debug)]
enum Failed {
    Sql(rusqlite::Error),
    Bad { what: &'static str, reason: String },
}

impl From<rusqlite::Error> for Failed {
    fn from(e: rusqlite::Error) -> Self {
        Failed::Sql(e)
    }
}

fn record_in(
    tx: &Transaction<'_>,
    run: &RunInput<'_>,
    close_after: u32,
) -> std::result::Result<Recorded, Failed> {
    let network = json_text(run.network);
    let network_id = intern(tx, "networks", "facts", &network)?;
    let reached = run
        .assessments
        .iter()
        .filter(|a| a.verdict != Verdict::Error)
        .count();
    let intercepted = run
        .assessments
        .iter()
        .filter(|a| a.verdict == Verdict::Intercepted)
        .count();
    let roots = run.local_roots.map(json_text);
    tx.prepare_cached(
        "INSERT INTO runs (started_at, finished_at, network_id, outcome, sites, reached,
                           intercepted, local_roots, resumed, tool)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        millis(run.started_at),
        millis(run.finished_at),
        network_id,
        run.outcome.as_str(),
        run.assessments.len() as i64,
        reached as i64,
        intercepted as i64,
        roots,
        run.resumed,
        run.tool,
    ])?;
    let run_id = tx.last_insert_rowid();
    let start = millis(run.started_at);
    for (seq, (o, a)) in run.observations.iter().zip(run.assessments).enumerate() {
        let site_id = site(tx, o)?;
        let chain_id = match o.chain.is_empty() {
            true => None,
            false => {
                let mut ids = Vec::with_capacity(o.chain.len());
                for cert in &o.chain {
                    ids.push(intern(tx, "certs", "record", &json_text(cert))?);
                }
                Some(intern(tx, "chains", "certs", &json_text(&ids))?)
            }
        };
        let shape_id = intern(tx, "shapes", "record", &shape(o))?;
        let judgement_id = judgement(tx, a)?;
        tx.prepare_cached(
            "INSERT INTO observations (run_id, seq, site_id, offset_ms, duration_us, shape_id,
                                       chain_id, judgement_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            run_id,
            seq as i64,
            site_id,
            millis(o.started_at) - start,
            (o.duration_ms * 1000.0).round() as i64,
            shape_id,
            chain_id,
            judgement_id,
        ])?;
    }
    let signals = signals(tx, run)?;
    let kind = match run.outcome {
        Outcome::Inconclusive => RunKind::Inconclusive,
        _ => RunKind::Conclusive,
    };
    let open = open_episodes(tx)?;
    let step = episodes::step(
        &open,
        kind,
        &signals,
        run.local_roots.is_some(),
        run.baseline,
        close_after,
    );
    let mut recorded = Recorded {
        run_id,
        ..Recorded::default()
    };
    for (id, quiet, sites) in &step.continued {
        tx.prepare_cached(
            "UPDATE episodes SET quiet_runs = ?2, sites = ?3,
                 last_seen_run = CASE WHEN ?2 = 0 THEN ?4 ELSE last_seen_run END
             WHERE id = ?1",
        )?
        .execute(params![id, quiet, json_text(sites), run_id])?;
    }
    for id in &step.closed {
        tx.prepare_cached("UPDATE episodes SET closed_run = ?2, closed_at = ?3 WHERE id = ?1")?
            .execute(params![id, run_id, millis(run.finished_at)])?;
        recorded.closed.push(*id);
    }
    for signal in &step.opened {
        tx.prepare_cached(
            "INSERT INTO episodes (kind, key, label, opened_run, opened_at, last_seen_run, sites)
             VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6)",
        )?
        .execute(params![
            signal.kind.as_str(),
            signal.key,
            signal.label,
            run_id,
            millis(run.started_at),
            json_text(&signal.sites),
        ])?;
        recorded.opened.push(tx.last_insert_rowid());
    }
    Ok(recorded)
}

/// The signals of a run (see [`crate::episodes`]).
fn signals(tx: &Transaction<'_>, run: &RunInput<'_>) -> std::result::Result<Vec<Signal>, Failed> {
    let mut out: Vec<Signal> = Vec::new();
    let mut add = |kind, key: String, label: String, site: Option<&str>| {
        let at = match out.iter().position(|s| s.kind == kind && s.key == key) {
            Some(i) => i,
            None => {
                out.push(Signal {
                    kind,
                    key,
                    label,
                    sites: BTreeSet::new(),
                });
                out.len() - 1
            }
        };
        if let Some(site) = site {
            out[at].sites.insert(site.to_string());
        }
    };
    for a in run.assessments {
        if a.verdict == Verdict::Intercepted {
            let (key, label) = match &a.interceptor {
                Some(i) => (i.id.clone(), i.label.clone()),
                None => ("unidentified".into(), "an unidentified interceptor".into()),
            };
            add(EpisodeKind::Interception, key, label, Some(&a.target.host));
        } else if run.baseline && a.has(FindingCode::IssuerMismatch) {
            let issuer = a
                .leaf
                .as_ref()
                .and_then(|l| l.issuer.clone())
                .unwrap_or_else(|| "an unnamed issuing CA".into());
            add(
                EpisodeKind::NewIssuer,
                issuer.clone(),
                issuer,
                Some(&a.target.host),
            );
        }
    }
    if let Some(roots) = run.local_roots {
        let first: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [FIRST_ROOTS],
                |r| r.get(0),
            )
            .optional()?;
        match first {
            // The first audit is the machine as the watch found it.
            None => {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                    params![FIRST_ROOTS, json_text(&roots)],
                )?;
            }
            Some(text) => {
                let known: Vec<LocalRoot> =
                    serde_json::from_str(&text).map_err(|e| Failed::Bad {
                        what: "list of the first audit's local roots",
                        reason: e.to_string(),
                    })?;
                for root in roots {
                    if !known.iter().any(|k| k.sha256 == root.sha256) {
                        add(
                            EpisodeKind::LocalRoot,
                            root.sha256.to_string(),
                            root.label.clone(),
                            None,
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The open episodes, as the step needs them.
fn open_episodes(tx: &Transaction<'_>) -> std::result::Result<Vec<OpenEpisode>, Failed> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, kind, key, quiet_runs, sites FROM episodes WHERE closed_run IS NULL ORDER BY id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, kind, key, quiet_runs, sites)| {
            let kind = EpisodeKind::parse(&kind).ok_or_else(|| Failed::Bad {
                what: "episode",
                reason: format!("episode {id} has an unknown kind {kind:?}"),
            })?;
            let sites = serde_json::from_str(&sites).map_err(|e| Failed::Bad {
                what: "episode",
                reason: format!("episode {id}'s sites: {e}"),
            })?;
            Ok(OpenEpisode {
                id,
                kind,
                key,
                quiet_runs,
                sites,
            })
        })
        .collect()
}

/// The id of a target's row (with the proxy it went through), added if new.
fn site(tx: &Transaction<'_>, o: &Observation) -> rusqlite::Result<i64> {
    let sni = o.target.sni.clone().unwrap_or_default();
    let via = o.proxy.clone().unwrap_or_default();
    let found = tx
        .prepare_cached(
            "SELECT id FROM sites WHERE host = ?1 AND port = ?2 AND sni = ?3 AND via = ?4",
        )?
        .query_row(params![o.target.host, o.target.port, sni, via], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO sites (host, port, sni, via) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![o.target.host, o.target.port, sni, via])?;
    Ok(tx.last_insert_rowid())
}

/// The id of a judgement's row, added if new.
fn judgement(tx: &Transaction<'_>, a: &Assessment) -> rusqlite::Result<i64> {
    let findings: Vec<&str> = a.findings.iter().map(|f| f.code.as_str()).collect();
    let findings = findings.join(",");
    let (id, label) = match &a.interceptor {
        Some(i) => (Some(i.id.as_str()), Some(i.label.as_str())),
        None => (None, None),
    };
    let issuer = a.leaf.as_ref().and_then(|l| l.issuer.as_deref());
    let digest = sha256_hex(
        serde_json::json!([
            a.status.as_str(),
            a.verdict.as_str(),
            id,
            label,
            issuer,
            findings
        ])
        .to_string()
        .as_bytes(),
    );
    let found = tx
        .prepare_cached("SELECT id FROM judgements WHERE digest = ?1")?
        .query_row([&digest], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    tx.prepare_cached(
        "INSERT INTO judgements (digest, status, verdict, interceptor_id, interceptor_label,
                                 issuer, findings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        digest,
        a.status.as_str(),
        a.verdict.as_str(),
        id,
        label,
        issuer,
        findings
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The id of `text` in `table` (a `digest`-keyed table of one column),
/// added if new.
fn intern(tx: &Transaction<'_>, table: &str, column: &str, text: &str) -> rusqlite::Result<i64> {
    let digest = sha256_hex(text.as_bytes());
    let found = tx
        .prepare_cached(&format!("SELECT id FROM {table} WHERE digest = ?1"))?
        .query_row([&digest], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    tx.prepare_cached(&format!(
        "INSERT INTO {table} (digest, {column}) VALUES (?1, ?2)"
    ))?
    .execute(params![digest, text])?;
    Ok(tx.last_insert_rowid())
}

/// An observation without what changes every run (its chain, stored apart,
/// and its times): what repeats from run to run.
pub(crate) fn shape(o: &Observation) -> String {
    let mut value = serde_json::to_value(o).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("chain");
        map.remove("started_at");
        map.remove("duration_ms");
    }
    value.to_string()
}

/// A value as compact JSON (map keys sorted: the same value, the same text).
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_value(value)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Access;

    fn run<'a>(network: &'a NetworkFacts, roots: Option<&'a [LocalRoot]>) -> RunInput<'a> {
        RunInput {
            started_at: OffsetDateTime::now_utc(),
            finished_at: OffsetDateTime::now_utc(),
            network,
            observations: &[],
            assessments: &[],
            outcome: Outcome::Clean,
            local_roots: roots,
            baseline: false,
            resumed: false,
            tool: "mitmwatch test",
        }
    }

    #[test]
    fn stored_data_that_does_not_read_back_is_an_error_not_a_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite");
        let network = NetworkFacts::default();
        let mut history = History::open(&path, Access::ReadWrite).unwrap();
        // The first audit stores the machine's roots; then they are damaged.
        history.record_run(&run(&network, Some(&[])), 3).unwrap();
        history
            .conn
            .execute(
                "UPDATE meta SET value = 'not json' WHERE key = ?1",
                [FIRST_ROOTS],
            )
            .unwrap();
        let err = history
            .record_run(&run(&network, Some(&[])), 3)
            .unwrap_err();
        assert!(
            matches!(err, WatchError::BadRecord { what, .. } if what.contains("local roots")),
            "{err}"
        );
        // Nothing of the failed run was kept.
        assert_eq!(history.runs(None).unwrap().len(), 1);
        // Without an audit the roots are not read; an unknown kind of an
        // open episode is not taken for an interception.
        history.record_run(&run(&network, None), 3).unwrap();
        history
            .conn
            .execute(
                "INSERT INTO episodes (kind, key, label, opened_run, opened_at, last_seen_run, sites)
                 VALUES ('from-the-future', 'k', 'l', 1, 0, 1, '[]')",
                [],
            )
            .unwrap();
        let err = history.record_run(&run(&network, None), 3).unwrap_err();
        assert!(
            matches!(&err, WatchError::BadRecord { what: "episode", reason, .. }
                if reason.contains("from-the-future")),
            "{err}"
        );
        assert_eq!(history.runs(None).unwrap().len(), 2);
        // An episode whose list of sites does not read back: an error for
        // `history`, not an episode without sites.
        history
            .conn
            .execute("UPDATE episodes SET sites = 'not json'", [])
            .unwrap();
        assert!(history.episodes(None).is_err());
    }
}
