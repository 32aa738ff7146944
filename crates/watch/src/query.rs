//! Reading the history back: runs, each site's results run by run, the
//! stored observations as ordinary observation records (for `history
//! --export`, `report --db` and the evidence of an episode), and pruning.

use crate::error::{Result, WatchError};
use crate::history::{from_millis, millis, History};
use crate::network::NetworkFacts;
use mitmwatch_core::model::{Observation, Target};
use rusqlite::params;
use serde::Serialize;
use std::collections::hash_map::{Entry, HashMap};
use time::OffsetDateTime;

/// A run as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// Its id.
    pub id: i64,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// `clean`, `suspicious`, `intercepted` or `inconclusive`.
    pub outcome: String,
    /// Sites measured.
    pub sites: i64,
    /// Sites that answered with a chain that could be judged.
    pub reached: i64,
    /// Sites judged intercepted.
    pub intercepted: i64,
    /// The first run after a sleep or a jump of the clock.
    pub resumed: bool,
    /// The network it ran on.
    pub network: NetworkFacts,
}

/// One site's result in one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteResult {
    /// The run.
    pub run_id: i64,
    /// When the run started.
    pub run_at: OffsetDateTime,
    /// The site.
    pub target: Target,
    /// The proxy it was reached through (`None`: directly).
    pub via: Option<String>,
    /// How the connection ended (`ok`, `dns-failed`, …).
    pub status: String,
    /// The verdict.
    pub verdict: String,
    /// The interceptor's name, when intercepted.
    pub interceptor: Option<String>,
}

/// What pruning removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Runs deleted.
    pub runs: usize,
    /// Runs older than the cut-off kept because an episode opened in them.
    pub kept_for_episodes: usize,
}

impl History {
    /// Runs that started at or after `since`, oldest first.
    pub fn runs(&self, since: Option<OffsetDateTime>) -> Result<Vec<Run>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.id, r.started_at, r.finished_at, r.outcome, r.sites, r.reached,
                        r.intercepted, r.resumed, n.facts
                 FROM runs r LEFT JOIN networks n ON n.id = r.network_id
                 WHERE r.started_at >= ?1 ORDER BY r.id",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([since.map(millis).unwrap_or(i64::MIN)], |r| {
                let facts: Option<String> = r.get(8)?;
                Ok(Run {
                    id: r.get(0)?,
                    started_at: from_millis(r.get(1)?),
                    finished_at: from_millis(r.get(2)?),
                    outcome: r.get(3)?,
                    sites: r.get(4)?,
                    reached: r.get(5)?,
                    intercepted: r.get(6)?,
                    resumed: r.get(7)?,
                    network: facts
                        .and_then(|f| serde_json::from_str(&f).ok())
                        .unwrap_or_default(),
                })
            })
            .map_err(self.sql())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.sql())
    }

    /// Every site's result in every run since `since`, by site, then run.
    pub fn site_results(&self, since: Option<OffsetDateTime>) -> Result<Vec<SiteResult>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT o.run_id, r.started_at, s.host, s.port, s.sni, j.status, j.verdict,
                        j.interceptor_label, s.via
                 FROM observations o
                 JOIN runs r ON r.id = o.run_id
                 JOIN sites s ON s.id = o.site_id
                 JOIN judgements j ON j.id = o.judgement_id
                 WHERE r.started_at >= ?1
                 ORDER BY s.host, s.port, s.sni, s.via, o.run_id",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([since.map(millis).unwrap_or(i64::MIN)], |r| {
                let sni: String = r.get(4)?;
                let via: String = r.get(8)?;
                Ok(SiteResult {
                    run_id: r.get(0)?,
                    run_at: from_millis(r.get(1)?),
                    target: Target {
                        host: r.get(2)?,
                        port: r.get(3)?,
                        sni: (!sni.is_empty()).then_some(sni),
                    },
                    via: (!via.is_empty()).then_some(via),
                    status: r.get(5)?,
                    verdict: r.get(6)?,
                    interceptor: r.get(7)?,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.sql())
    }

    /// Calls `each` with every stored observation of the runs since
    /// `since` (or of run `run` alone), rebuilt as the record `scan` wrote,
    /// in run order and, within a run, in the order measured.
    pub fn observations(
        &self,
        since: Option<OffsetDateTime>,
        run: Option<i64>,
        mut each: impl FnMut(Observation) -> std::io::Result<()>,
    ) -> Result<usize> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.started_at, o.offset_ms, o.duration_us, sh.record, c.certs
                 FROM observations o
                 JOIN runs r ON r.id = o.run_id
                 JOIN shapes sh ON sh.id = o.shape_id
                 LEFT JOIN chains c ON c.id = o.chain_id
                 WHERE r.started_at >= ?1 AND (?2 IS NULL OR o.run_id = ?2)
                 ORDER BY o.run_id, o.seq",
            )
            .map_err(self.sql())?;
        let mut certs = self
            .conn
            .prepare("SELECT record FROM certs WHERE id = ?1")
            .map_err(self.sql())?;
        let mut known: HashMap<i64, serde_json::Value> = HashMap::new();
        let mut rows = stmt
            .query(params![since.map(millis).unwrap_or(i64::MIN), run])
            .map_err(self.sql())?;
        let bad = |reason: String| WatchError::BadRecord {
            path: self.path.clone(),
            what: "observation",
            reason,
        };
        let mut count = 0;
        while let Some(row) = rows.next().map_err(self.sql())? {
            let start: i64 = row.get(0).map_err(self.sql())?;
            let offset: i64 = row.get(1).map_err(self.sql())?;
            let duration: i64 = row.get(2).map_err(self.sql())?;
            let shape: String = row.get(3).map_err(self.sql())?;
            let ids: Option<String> = row.get(4).map_err(self.sql())?;
            let ids: Vec<i64> = match ids {
                Some(text) => serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?,
                None => Vec::new(),
            };
            let mut chain = Vec::with_capacity(ids.len());
            for id in ids {
                let value = match known.entry(id) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => {
                        let text: String =
                            certs.query_row([id], |r| r.get(0)).map_err(self.sql())?;
                        e.insert(serde_json::from_str(&text).map_err(|err| bad(err.to_string()))?)
                    }
                };
                chain.push(value.clone());
            }
            let observation = rebuild(start + offset, duration, &shape, chain).map_err(bad)?;
            each(observation).map_err(|source| WatchError::Io {
                path: "the export".into(),
                source,
            })?;
            count += 1;
        }
        Ok(count)
    }

    /// Deletes the runs that started before `before`, except those in
    /// which an episode opened (its evidence stays), and whatever only
    /// they used; evidence directories are never touched.
    pub fn prune(&mut self, before: OffsetDateTime) -> Result<Pruned> {
        let cut = millis(before);
        let path = self.path.clone();
        let sql = |source| WatchError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let kept: i64 = tx
            .query_row(
                "SELECT count(*) FROM runs WHERE started_at < ?1
                 AND id IN (SELECT opened_run FROM episodes)",
                [cut],
                |r| r.get(0),
            )
            .map_err(sql)?;
        let doomed = "SELECT id FROM runs WHERE started_at < ?1
                      AND id NOT IN (SELECT opened_run FROM episodes)";
        tx.execute(
            &format!("DELETE FROM observations WHERE run_id IN ({doomed})"),
            [cut],
        )
        .map_err(sql)?;
        let runs = tx
            .execute(&format!("DELETE FROM runs WHERE id IN ({doomed})"), [cut])
            .map_err(sql)?;
        if runs > 0 {
            tx.execute_batch(
                "DELETE FROM chains WHERE id NOT IN
                     (SELECT chain_id FROM observations WHERE chain_id IS NOT NULL);
                 DELETE FROM certs WHERE id NOT IN
                     (SELECT j.value FROM chains, json_each(chains.certs) AS j);
                 DELETE FROM shapes WHERE id NOT IN (SELECT shape_id FROM observations);
                 DELETE FROM judgements WHERE id NOT IN (SELECT judgement_id FROM observations);
                 DELETE FROM networks WHERE id NOT IN
                     (SELECT network_id FROM runs WHERE network_id IS NOT NULL);",
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        if runs > 0 {
            self.conn
                .execute_batch("PRAGMA incremental_vacuum;")
                .map_err(self.sql())?;
        }
        Ok(Pruned {
            runs,
            kept_for_episodes: kept as usize,
        })
    }
}

/// An observation from its stored parts.
fn rebuild(
    started_ms: i64,
    duration_us: i64,
    shape: &str,
    chain: Vec<serde_json::Value>,
) -> std::result::Result<Observation, String> {
    let mut value: serde_json::Value = serde_json::from_str(shape).map_err(|e| e.to_string())?;
    let chain = serde_json::Value::Array(chain);
    let started = mitmwatch_core::encoding::rfc3339(from_millis(started_ms));
    let map = value
        .as_object_mut()
        .ok_or("the stored record is not an object")?;
    map.insert("chain".into(), chain);
    map.insert("started_at".into(), started.into());
    map.insert(
        "duration_ms".into(),
        serde_json::json!(duration_us as f64 / 1000.0),
    );
    serde_json::from_value(value).map_err(|e| e.to_string())
}
