//! Chrome's v3 log-list JSON (`log_list.json`, schema
//! `log_list_schema.json`): reading it into a [`LogList`], with every log id
//! checked against its key, and writing a list back in the same shape (the
//! simulation and the fixtures write their own lists).
//!
//! ```text
//! {version, log_list_timestamp, operators: [{name, email[], logs[], tiled_logs[]}]}
//! log: {description, log_id, key, url | submission_url + monitoring_url, mmd,
//!       state: {pending|qualified|usable|readonly|retired|rejected: {timestamp, …}},
//!       temporal_interval?: {start_inclusive, end_exclusive}, previous_operators?, log_type?}
//! ```
//!
//! Fields this code does not use (`dns`, …) are ignored, so newer lists load.

use super::log_list::{CtLog, LogList, LogListError, LogState, StateKind};
use crate::encoding::{base64_decode, base64_encode, rfc3339, sha256};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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
            supplement: None,
        })
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
    fn a_list_survives_writing_and_reading_back() {
        let list = LogList::from_json(
            crate::ct::log_list::BUILTIN_JSON,
            "built-in certs/ct/log_list.json",
        )
        .unwrap();
        let back = LogList::from_json(&list.to_json(), &list.source).unwrap();
        assert_eq!(list, back);
        // With the older logs added, every log survives too (grouped by
        // operator, so in another order).
        let list = LogList::builtin();
        let back = LogList::from_json(&list.to_json(), &list.source).unwrap();
        let ids = |l: &LogList| {
            let mut ids: Vec<[u8; 32]> = l.logs.iter().map(|l| l.id).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(&list), ids(&back));
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
}
