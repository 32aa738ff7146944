//! The CT logs' states over time (`certs/ct/log_history.json`): for every
//! log, each state that some version of Chrome's log list showed it in,
//! with the time it entered it and the first and last list version that
//! showed it. A list says only where a log stands on the list's date; the
//! history says where it stood on any date, so that a certificate checked in
//! 2024 is judged with the logs of 2024 (Google's Argon2024 was usable
//! then, and has been `rejected` since its certificates expired).
//!
//! ```text
//! {format, sources: [{version, list, log_list_timestamp, source, signature, partial, …}],
//!  logs: [{log_id, description, states: [[state, since, first_version, last_version], …]}]}
//! ```
//!
//! The file is made by `certs/ct/history/build.py` from the list versions
//! named in its `sources` (`certs/ct/README.md`). Loading is pure.

use super::log_list::{LogListError, StateKind};
use crate::encoding::base64_decode;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `certs/ct/log_history.json`.
pub(crate) const BUILTIN_JSON: &str = include_str!("../../../../certs/ct/log_history.json");

/// The format this code reads.
const FORMAT: &str = "mitmwatch-ct-log-history-1";

/// One state a log was seen in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenState {
    /// The state.
    pub kind: StateKind,
    /// When the log entered it (the list's `timestamp`).
    pub since: OffsetDateTime,
    /// The first list version that showed it.
    pub first_version: String,
    /// The last list version that showed it.
    pub last_version: String,
}

/// One list version the history was made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistorySource {
    /// The list's `version`.
    pub version: String,
    /// The list's `log_list_timestamp`.
    pub timestamp: OffsetDateTime,
}

/// The states of every log the history knows, by log id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogHistory {
    /// Where it came from (file name, or the built-in file).
    pub source: String,
    /// The list versions it was made from, oldest first.
    pub sources: Vec<HistorySource>,
    /// Each log's states, oldest first.
    logs: HashMap<[u8; 32], Vec<SeenState>>,
}

#[derive(Deserialize)]
struct RawHistory {
    format: String,
    sources: Vec<RawSource>,
    logs: Vec<RawLog>,
}

#[derive(Deserialize)]
struct RawSource {
    version: String,
    log_list_timestamp: String,
}

#[derive(Deserialize)]
struct RawLog {
    log_id: String,
    #[serde(default)]
    description: String,
    states: Vec<(String, String, String, String)>,
}

fn parse_time(text: &str, what: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| format!("{what}: {text:?}: {e}"))
}

impl LogHistory {
    /// The history shipped in `certs/ct/` (see `certs/ct/README.md`).
    pub fn builtin() -> Arc<LogHistory> {
        static BUILTIN: OnceLock<Arc<LogHistory>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Arc::new(
                    LogHistory::from_json(BUILTIN_JSON, "built-in certs/ct/log_history.json")
                        .expect("certs/ct/log_history.json is valid (checked by the unit tests)"),
                )
            })
            .clone()
    }

    /// A history that knows no log: states come from the log list alone.
    pub fn none() -> Self {
        LogHistory {
            source: "no log history".into(),
            ..LogHistory::default()
        }
    }

    /// Parses a history file. Errors name the file and the log.
    pub fn from_json(text: &str, source_name: &str) -> Result<Self, LogListError> {
        let err = |detail: String| LogListError {
            source_name: source_name.to_string(),
            detail,
        };
        let raw: RawHistory = serde_json::from_str(text)
            .map_err(|e| err(format!("not a CT log history (log_history.json): {e}")))?;
        if raw.format != FORMAT {
            return Err(err(format!("format {:?} is not {FORMAT:?}", raw.format)));
        }
        let mut sources = raw
            .sources
            .into_iter()
            .map(|s| {
                Ok(HistorySource {
                    timestamp: parse_time(
                        &s.log_list_timestamp,
                        &format!("source {}: log_list_timestamp", s.version),
                    )?,
                    version: s.version,
                })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(err)?;
        sources.sort_by_key(|s| s.timestamp);
        let mut logs = HashMap::new();
        for (n, log) in raw.logs.into_iter().enumerate() {
            let name = format!(
                "log {} ({:?}, entry {})",
                log.log_id,
                log.description,
                n + 1
            );
            let id: [u8; 32] = base64_decode(&log.log_id)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| err(format!("{name}: the log id is not 32 bytes of base64")))?;
            let mut states = Vec::with_capacity(log.states.len());
            for (kind, since, first, last) in log.states {
                states.push(SeenState {
                    kind: StateKind::from_key(&kind)
                        .ok_or_else(|| err(format!("{name}: unknown state {kind:?}")))?,
                    since: parse_time(&since, &format!("{name}: {kind} since")).map_err(err)?,
                    first_version: first,
                    last_version: last,
                });
            }
            states.sort_by_key(|s| s.since);
            if logs.insert(id, states).is_some() {
                return Err(err(format!("{name}: the log appears twice")));
            }
        }
        Ok(LogHistory {
            source: source_name.to_string(),
            sources,
            logs,
        })
    }

    /// The states seen for the log with this id, oldest first (empty when
    /// the history does not know the log).
    pub fn states(&self, id: &[u8; 32]) -> &[SeenState] {
        self.logs.get(id).map_or(&[], Vec::as_slice)
    }

    /// How many logs it knows.
    pub fn len(&self) -> usize {
        self.logs.len()
    }

    /// Whether it knows no log.
    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
    }

    /// The oldest list version it was made from.
    pub(crate) fn earliest(&self) -> Option<&HistorySource> {
        self.sources.first()
    }

    /// One line naming it: source, list versions and their dates.
    pub(crate) fn describe(&self) -> String {
        match (self.sources.first(), self.sources.last()) {
            (Some(first), Some(last)) => format!(
                "{}: {} states from {} versions of Chrome's log list ({} of {} to {} of {})",
                self.source,
                self.logs.values().map(Vec::len).sum::<usize>(),
                self.sources.len(),
                first.version,
                first.timestamp.date(),
                last.version,
                last.timestamp.date()
            ),
            _ => self.source.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ct::log_list::{LogList, HISTORY_JSON};

    fn id(b64: &str) -> [u8; 32] {
        base64_decode(b64).unwrap().try_into().unwrap()
    }

    #[test]
    fn the_builtin_history_loads_and_knows_every_log_by_key() {
        let history = LogHistory::builtin();
        assert_eq!(history.sources.len(), 11);
        assert_eq!(history.earliest().unwrap().version, "3.52");
        assert_eq!(history.sources.last().unwrap().version, "85.110");
        // Every log it names is one whose key the shipped lists carry.
        let builtin = LogList::builtin();
        for log_id in history.logs.keys() {
            assert!(builtin.find(log_id).is_some(), "{log_id:?}");
        }
        assert!(history.len() > 200, "{}", history.len());
        // Argon2024: qualified, usable, then rejected once its
        // certificates had expired.
        let argon = history.states(&id("7s3QZNXbGs7FXLedtM0TojKHRny87N7DUUhZRnEftZs="));
        let kinds: Vec<StateKind> = argon.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [StateKind::Qualified, StateKind::Usable, StateKind::Rejected]
        );
        assert_eq!(argon[1].first_version, "50.35");
        assert_eq!(
            crate::encoding::rfc3339(argon[2].since),
            "2025-02-01T08:53:20Z"
        );
        assert!(
            history.describe().contains("11 versions"),
            "{}",
            history.describe()
        );
        assert!(history.states(&[0; 32]).is_empty());
        // The signed all-logs list it was partly made from is the shipped one.
        assert!(HISTORY_JSON.contains("\"version\": \"54.12\""));
    }

    #[test]
    fn bad_histories_are_refused_with_the_log_named() {
        let good = r#"{"format": "mitmwatch-ct-log-history-1", "sources": [
            {"version": "1.0", "log_list_timestamp": "2024-01-01T00:00:00Z"}],
            "logs": [{"log_id": "7s3QZNXbGs7FXLedtM0TojKHRny87N7DUUhZRnEftZs=", "description": "X",
              "states": [["usable", "2023-01-01T00:00:00Z", "1.0", "1.0"]]}]}"#;
        let h = LogHistory::from_json(good, "h.json").unwrap();
        assert_eq!(h.len(), 1);
        for (bad, needle) in [
            (good.replace("usable", "sleepy"), "sleepy"),
            (good.replace("2023-01-01T00", "2023-13-01T00"), "2023-13-01"),
            (good.replace("7s3QZNXb", "7s3Q"), "not 32 bytes"),
            (good.replace("history-1", "history-9"), "format"),
            ("[]".to_string(), "not a CT log history"),
        ] {
            let e = LogHistory::from_json(&bad, "h.json")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("h.json: ") && e.contains(needle), "{e}");
        }
        let twice = good.replace(
            r#""logs": [{"#,
            r#""logs": [{"log_id": "7s3QZNXbGs7FXLedtM0TojKHRny87N7DUUhZRnEftZs=", "states": []}, {"#,
        );
        let e = LogHistory::from_json(&twice, "h.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("twice"), "{e}");
    }
}
