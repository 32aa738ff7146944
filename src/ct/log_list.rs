//! The CT log list in Chrome's v3 format (`log_list.json`): which logs
//! exist, their keys, who operates them, what state they are in and which
//! certificates (by expiry) they accept. The built-in list is
//! `certs/ct/log_list.json` (source and date in `certs/ct/README.md`);
//! `--ct-log-list FILE` loads a newer one. Loading is pure: the caller reads
//! the file.

use super::signature::LogKey;
use crate::encoding::{base64_decode, base64_encode, sha256};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `certs/ct/log_list.json`.
pub const BUILTIN_JSON: &str = include_str!("../../certs/ct/log_list.json");

/// A log's state in the list (Chrome's log lifecycle).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StateKind {
    /// Applied for inclusion; its SCTs do not count.
    Pending,
    /// Being monitored; its SCTs count.
    Qualified,
    /// Fully trusted; its SCTs count.
    Usable,
    /// Frozen (no new entries) but trusted; its SCTs count.
    ReadOnly,
    /// No longer trusted; SCTs made before the retirement still count.
    Retired,
    /// Never trusted; its SCTs do not count.
    Rejected,
}

impl StateKind {
    fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "pending" => StateKind::Pending,
            "qualified" => StateKind::Qualified,
            "usable" => StateKind::Usable,
            "readonly" => StateKind::ReadOnly,
            "retired" => StateKind::Retired,
            "rejected" => StateKind::Rejected,
            _ => return None,
        })
    }

    /// The key used in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StateKind::Pending => "pending",
            StateKind::Qualified => "qualified",
            StateKind::Usable => "usable",
            StateKind::ReadOnly => "readonly",
            StateKind::Retired => "retired",
            StateKind::Rejected => "rejected",
        }
    }
}

/// A state and since when the log has been in it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogState {
    /// Which state.
    pub kind: StateKind,
    /// Since when.
    pub since: OffsetDateTime,
    /// For `readonly`: the frozen tree head, kept as found.
    pub final_tree_head: Option<Value>,
}

/// One log.
#[derive(Clone, Debug, PartialEq)]
pub struct CtLog {
    /// SHA-256 of `key_der` (checked on load).
    pub id: [u8; 32],
    /// The DER SubjectPublicKeyInfo.
    pub key_der: Vec<u8>,
    /// The key, ready for verification, or why it cannot be used.
    pub key: Result<LogKey, String>,
    /// E.g. `Cloudflare 'Nimbus2026'`.
    pub description: String,
    /// The operator's name (an entry of the list's `operators`).
    pub operator: String,
    /// The operator's contact addresses.
    pub operator_email: Vec<String>,
    /// Earlier operators with the end of their tenure, oldest first.
    pub previous_operators: Vec<(String, OffsetDateTime)>,
    /// `url` (RFC 6962 logs) or `submission_url` (static-ct-api logs).
    pub url: String,
    /// `monitoring_url` of a static-ct-api log.
    pub monitoring_url: Option<String>,
    /// Maximum merge delay, seconds.
    pub mmd: Option<u64>,
    /// The state, if the list gives one.
    pub state: Option<LogState>,
    /// Certificates accepted by expiry: `[start, end)`.
    pub temporal_interval: Option<(OffsetDateTime, OffsetDateTime)>,
    /// A static-ct-api ("tiled") log rather than an RFC 6962 log.
    pub tiled: bool,
    /// `log_type` as given (`test`, `prod`), if any.
    pub log_type: Option<String>,
}

impl CtLog {
    /// A log with `key_der`, its id computed from the key.
    pub fn new(description: &str, operator: &str, key_der: Vec<u8>, url: &str) -> Self {
        CtLog {
            id: sha256(&key_der),
            key: LogKey::from_spki(&key_der),
            key_der,
            description: description.into(),
            operator: operator.into(),
            operator_email: Vec::new(),
            previous_operators: Vec::new(),
            url: url.into(),
            monitoring_url: None,
            mmd: Some(86_400),
            state: None,
            temporal_interval: None,
            tiled: false,
            log_type: None,
        }
    }

    /// The operator at `when` (taking `previous_operators` into account).
    pub fn operator_at(&self, when: OffsetDateTime) -> &str {
        self.previous_operators
            .iter()
            .find(|(_, end)| when < *end)
            .map_or(self.operator.as_str(), |(name, _)| name.as_str())
    }

    /// Operated by Google (loglist3's test: the Google CT group address).
    pub fn google_operated(&self) -> bool {
        self.operator_email
            .iter()
            .any(|e| e.contains("google-ct-logs@googlegroups"))
    }

    /// The log id in base64, as log lists and tools show it.
    pub fn id_base64(&self) -> String {
        base64_encode(&self.id)
    }
}

/// A log list.
#[derive(Clone, Debug, PartialEq)]
pub struct LogList {
    /// The list's `version`.
    pub version: String,
    /// The list's `log_list_timestamp`.
    pub timestamp: OffsetDateTime,
    /// Where it came from (file name, or the built-in list).
    pub source: String,
    /// Every log, in list order.
    pub logs: Vec<CtLog>,
}

/// Why a log list was refused.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {detail}")]
pub struct LogListError {
    /// File name or label.
    pub source_name: String,
    /// What was wrong.
    pub detail: String,
}

#[derive(Deserialize)]
struct RawList {
    version: String,
    log_list_timestamp: String,
    operators: Vec<RawOperator>,
}

#[derive(Deserialize)]
struct RawOperator {
    name: String,
    #[serde(default)]
    email: Vec<String>,
    #[serde(default)]
    logs: Vec<RawLog>,
    #[serde(default)]
    tiled_logs: Vec<RawLog>,
}

#[derive(Deserialize)]
struct RawLog {
    #[serde(default)]
    description: String,
    log_id: String,
    key: String,
    url: Option<String>,
    submission_url: Option<String>,
    monitoring_url: Option<String>,
    mmd: Option<u64>,
    state: Option<BTreeMap<String, RawState>>,
    temporal_interval: Option<RawInterval>,
    #[serde(default)]
    previous_operators: Vec<RawPrevious>,
    log_type: Option<String>,
}

#[derive(Deserialize)]
struct RawState {
    timestamp: String,
    final_tree_head: Option<Value>,
}

#[derive(Deserialize)]
struct RawInterval {
    start_inclusive: String,
    end_exclusive: String,
}

#[derive(Deserialize)]
struct RawPrevious {
    name: String,
    end_time: String,
}

fn parse_time(text: &str, what: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| format!("{what} {text:?}: {e}"))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn convert(raw: RawLog, operator: &str, email: &[String], tiled: bool) -> Result<CtLog, String> {
    let name = if raw.description.is_empty() {
        raw.log_id.clone()
    } else {
        raw.description.clone()
    };
    let key_der = base64_decode(&raw.key).map_err(|e| format!("{name}: key is not base64: {e}"))?;
    let id =
        base64_decode(&raw.log_id).map_err(|e| format!("{name}: log_id is not base64: {e}"))?;
    if id != sha256(&key_der) {
        return Err(format!(
            "{name}: log_id {} is not the SHA-256 of its key",
            raw.log_id
        ));
    }
    let state = match raw.state {
        None => None,
        Some(map) => {
            let mut entries = map.into_iter();
            let (Some((key, state)), None) = (entries.next(), entries.next()) else {
                return Err(format!("{name}: state must have exactly one entry"));
            };
            let kind = StateKind::from_key(&key)
                .ok_or_else(|| format!("{name}: unknown state {key:?}"))?;
            Some(LogState {
                kind,
                since: parse_time(&state.timestamp, &format!("{name}: state timestamp"))?,
                final_tree_head: state.final_tree_head,
            })
        }
    };
    let temporal_interval = match raw.temporal_interval {
        None => None,
        Some(i) => Some((
            parse_time(&i.start_inclusive, &format!("{name}: start_inclusive"))?,
            parse_time(&i.end_exclusive, &format!("{name}: end_exclusive"))?,
        )),
    };
    let mut previous_operators = raw
        .previous_operators
        .iter()
        .map(|p| {
            Ok((
                p.name.clone(),
                parse_time(&p.end_time, &format!("{name}: end_time"))?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    previous_operators.sort_by_key(|(_, end)| *end);
    let mut log = CtLog::new(
        &raw.description,
        operator,
        key_der,
        raw.url
            .as_deref()
            .or(raw.submission_url.as_deref())
            .unwrap_or(""),
    );
    log.operator_email = email.to_vec();
    log.previous_operators = previous_operators;
    log.monitoring_url = raw.monitoring_url;
    log.mmd = raw.mmd;
    log.state = state;
    log.temporal_interval = temporal_interval;
    log.tiled = tiled;
    log.log_type = raw.log_type;
    Ok(log)
}

impl LogList {
    /// Parses a v3 log list. Every log's id must be the SHA-256 of its key.
    pub fn from_json(text: &str, source_name: &str) -> Result<Self, LogListError> {
        let err = |detail: String| LogListError {
            source_name: source_name.to_string(),
            detail,
        };
        let raw: RawList = serde_json::from_str(text)
            .map_err(|e| err(format!("not a v3 CT log list (log_list.json): {e}")))?;
        let timestamp = parse_time(&raw.log_list_timestamp, "log_list_timestamp").map_err(err)?;
        let mut logs: Vec<CtLog> = Vec::new();
        for op in raw.operators {
            let plain = op.logs.into_iter().map(|l| (l, false));
            let tiled = op.tiled_logs.into_iter().map(|l| (l, true));
            for (raw_log, tiled) in plain.chain(tiled) {
                let log = convert(raw_log, &op.name, &op.email, tiled).map_err(err)?;
                if logs.iter().any(|l| l.id == log.id) {
                    return Err(err(format!(
                        "log id {} appears twice",
                        base64_encode(&log.id)
                    )));
                }
                logs.push(log);
            }
        }
        Ok(LogList {
            version: raw.version,
            timestamp,
            source: source_name.to_string(),
            logs,
        })
    }

    /// The list shipped in `certs/ct/` (Chrome's, see `certs/ct/README.md`).
    pub fn builtin() -> Arc<LogList> {
        static BUILTIN: OnceLock<Arc<LogList>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Arc::new(
                    LogList::from_json(BUILTIN_JSON, "built-in certs/ct/log_list.json")
                        .expect("certs/ct/log_list.json is valid (checked by the unit tests)"),
                )
            })
            .clone()
    }

    /// The log with this id.
    pub fn find(&self, id: &[u8; 32]) -> Option<&CtLog> {
        self.logs.iter().find(|l| &l.id == id)
    }

    /// One line naming the list: source, version and date.
    pub fn describe(&self) -> String {
        format!(
            "{} (version {}, {})",
            self.source,
            self.version,
            rfc3339(self.timestamp)
        )
    }

    /// The list in Chrome's v3 format (logs grouped by operator, in order).
    pub fn to_json(&self) -> String {
        // (name, email, logs, tiled_logs) per operator, in order of appearance.
        type Group = (String, Vec<String>, Vec<Value>, Vec<Value>);
        let mut operators: Vec<Group> = Vec::new();
        for log in &self.logs {
            let at = match operators.iter().position(|o| o.0 == log.operator) {
                Some(i) => i,
                None => {
                    operators.push((
                        log.operator.clone(),
                        log.operator_email.clone(),
                        Vec::new(),
                        Vec::new(),
                    ));
                    operators.len() - 1
                }
            };
            let entry = log_json(log);
            if log.tiled {
                operators[at].3.push(entry);
            } else {
                operators[at].2.push(entry);
            }
        }
        let operators: Vec<Value> = operators
            .into_iter()
            .map(|(name, email, logs, tiled)| {
                json!({"name": name, "email": email, "logs": logs, "tiled_logs": tiled})
            })
            .collect();
        let doc = json!({
            "version": self.version,
            "log_list_timestamp": rfc3339(self.timestamp),
            "operators": operators,
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    }
}

fn log_json(log: &CtLog) -> Value {
    let mut m = Map::new();
    m.insert("description".into(), json!(log.description));
    m.insert("log_id".into(), json!(base64_encode(&log.id)));
    m.insert("key".into(), json!(base64_encode(&log.key_der)));
    if log.tiled {
        m.insert("submission_url".into(), json!(log.url));
        if let Some(url) = &log.monitoring_url {
            m.insert("monitoring_url".into(), json!(url));
        }
    } else {
        m.insert("url".into(), json!(log.url));
    }
    if let Some(mmd) = log.mmd {
        m.insert("mmd".into(), json!(mmd));
    }
    if let Some(state) = &log.state {
        let mut inner = Map::new();
        inner.insert("timestamp".into(), json!(rfc3339(state.since)));
        if let Some(head) = &state.final_tree_head {
            inner.insert("final_tree_head".into(), head.clone());
        }
        m.insert(
            "state".into(),
            json!({ state.kind.as_str(): Value::Object(inner) }),
        );
    }
    if let Some((start, end)) = log.temporal_interval {
        m.insert(
            "temporal_interval".into(),
            json!({"start_inclusive": rfc3339(start), "end_exclusive": rfc3339(end)}),
        );
    }
    if !log.previous_operators.is_empty() {
        let prev: Vec<Value> = log
            .previous_operators
            .iter()
            .map(|(name, end)| json!({"name": name, "end_time": rfc3339(*end)}))
            .collect();
        m.insert("previous_operators".into(), json!(prev));
    }
    if let Some(kind) = &log.log_type {
        m.insert("log_type".into(), json!(kind));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_list_loads_and_every_id_is_its_key_hash() {
        let list = LogList::builtin();
        assert_eq!(list.version, "50.35");
        assert_eq!(list.logs.len(), 48);
        assert!(list.logs.iter().all(|l| l.key.is_ok() && l.state.is_some()));
        let id: [u8; 32] = base64_decode("yzj3FYl8hKFEX1vB3fvJbvKaWc1HCmkFhbDLFMMUWOc=")
            .unwrap()
            .try_into()
            .unwrap();
        let nimbus = list.find(&id).unwrap();
        assert_eq!(nimbus.description, "Cloudflare 'Nimbus2026'");
        assert_eq!(nimbus.operator, "Cloudflare");
        assert_eq!(nimbus.state.as_ref().unwrap().kind, StateKind::Usable);
        assert!(!nimbus.google_operated());
        assert!(list.logs[0].google_operated());
        let sabre = list
            .logs
            .iter()
            .find(|l| l.description == "Sectigo 'Sabre' CT log")
            .unwrap();
        assert_eq!(sabre.state.as_ref().unwrap().kind, StateKind::ReadOnly);
    }

    #[test]
    fn a_list_survives_writing_and_reading_back() {
        let list = LogList::builtin();
        let back = LogList::from_json(&list.to_json(), &list.source).unwrap();
        assert_eq!(*list, back);
    }

    #[test]
    fn inconsistent_lists_are_refused_with_the_log_named() {
        let good = LogList::builtin().to_json();
        let bad_id = good.replacen(
            "yzj3FYl8hKFEX1vB3fvJbvKaWc1HCmkFhbDLFMMUWOc=",
            "zzj3FYl8hKFEX1vB3fvJbvKaWc1HCmkFhbDLFMMUWOc=",
            1,
        );
        let e = LogList::from_json(&bad_id, "x.json").unwrap_err();
        assert!(e.to_string().contains("Nimbus2026"), "{e}");
        assert!(e.to_string().starts_with("x.json: "), "{e}");
        let bad_state = good.replacen("\"usable\"", "\"sleepy\"", 1);
        assert!(LogList::from_json(&bad_state, "x")
            .unwrap_err()
            .to_string()
            .contains("sleepy"));
        assert!(LogList::from_json("{}", "x").is_err());
        assert!(LogList::from_json("not json", "x").is_err());
    }

    #[test]
    fn previous_operators_decide_who_ran_a_log_when() {
        let mut log = LogList::builtin().logs[0].clone();
        let change = time::macros::datetime!(2025-01-01 0:00 UTC);
        log.previous_operators = vec![("Old Co".into(), change)];
        assert_eq!(
            log.operator_at(change - time::Duration::seconds(1)),
            "Old Co"
        );
        assert_eq!(log.operator_at(change), "Google");
    }
}
