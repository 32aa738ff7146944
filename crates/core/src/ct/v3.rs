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
//! The JSON is read into, and written from, the typed structs below (no
//! `serde_json::Value`). **Unknown fields are ignored**: Chrome adds fields
//! to the list now and then (`tiled_logs`, `log_type`, `is_all_logs` came
//! that way), and a list from a newer Chrome must still load. What is
//! refused is what would change a verdict if misread: a missing required
//! field, a state this code does not know (`pending` … `rejected` decide
//! whether an SCT counts), a log whose id is not its key's hash, a bad
//! time. The tests read every real list shipped in `certs/ct/` and
//! `fixtures/ct/` back and write it again, and compare the JSON: a field
//! that Chrome adds and these structs lack makes that test fail when the
//! shipped list is refreshed, so it is looked at rather than silently
//! dropped.

use super::log_list::{CtLog, LogList, LogListError, LogState, StateKind, TreeHead};
use crate::encoding::{base64_decode, base64_encode, rfc3339, sha256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The whole list.
#[derive(Debug, Deserialize, Serialize)]
struct ListJson {
    version: String,
    log_list_timestamp: String,
    /// `true` in Chrome's all-logs list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_all_logs: Option<bool>,
    operators: Vec<OperatorJson>,
}

/// One operator and its logs.
#[derive(Debug, Deserialize, Serialize)]
struct OperatorJson {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<Vec<String>>,
    /// RFC 6962 logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    logs: Option<Vec<LogJson>>,
    /// Static-ct-api logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tiled_logs: Option<Vec<LogJson>>,
}

/// One log.
#[derive(Debug, Deserialize, Serialize)]
struct LogJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    log_id: String,
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    submission_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    monitoring_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mmd: Option<u64>,
    /// One entry, named by the state (`{"usable": {"timestamp": …}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<BTreeMap<StateKind, StateJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    temporal_interval: Option<IntervalJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_operators: Option<Vec<PreviousJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log_type: Option<String>,
}

/// Since when a log is in its state.
#[derive(Debug, Deserialize, Serialize)]
struct StateJson {
    timestamp: String,
    /// For `readonly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    final_tree_head: Option<TreeHead>,
}

/// The certificates a log accepts, by expiry.
#[derive(Debug, Deserialize, Serialize)]
struct IntervalJson {
    start_inclusive: String,
    end_exclusive: String,
}

/// An earlier operator and the end of its tenure.
#[derive(Debug, Deserialize, Serialize)]
struct PreviousJson {
    name: String,
    end_time: String,
}

fn parse_time(text: &str, what: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| format!("{what} {text:?}: {e}"))
}

fn convert(raw: LogJson, operator: &str, email: &[String], tiled: bool) -> Result<CtLog, String> {
    let description = raw.description.unwrap_or_default();
    let name = if description.is_empty() {
        raw.log_id.clone()
    } else {
        description.clone()
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
            let (Some((kind, state)), None) = (entries.next(), entries.next()) else {
                return Err(format!("{name}: state must have exactly one entry"));
            };
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
        .unwrap_or_default()
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
        &description,
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
    /// Fields this version does not know are ignored (see the module
    /// documentation).
    pub fn from_json(text: &str, source_name: &str) -> Result<Self, LogListError> {
        let err = |detail: String| LogListError {
            source_name: source_name.to_string(),
            detail,
        };
        let raw: ListJson = serde_json::from_str(text)
            .map_err(|e| err(format!("not a v3 CT log list (log_list.json): {e}")))?;
        let timestamp = parse_time(&raw.log_list_timestamp, "log_list_timestamp").map_err(err)?;
        let mut logs: Vec<CtLog> = Vec::new();
        for op in raw.operators {
            let email = op.email.unwrap_or_default();
            let plain = op.logs.into_iter().flatten().map(|l| (l, false));
            let tiled = op.tiled_logs.into_iter().flatten().map(|l| (l, true));
            for (raw_log, tiled) in plain.chain(tiled) {
                let log = convert(raw_log, &op.name, &email, tiled).map_err(err)?;
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
        let mut operators: Vec<OperatorJson> = Vec::new();
        for log in &self.logs {
            let at = match operators.iter().position(|o| o.name == log.operator) {
                Some(i) => i,
                None => {
                    operators.push(OperatorJson {
                        name: log.operator.clone(),
                        email: Some(log.operator_email.clone()),
                        logs: Some(Vec::new()),
                        tiled_logs: Some(Vec::new()),
                    });
                    operators.len() - 1
                }
            };
            let group = if log.tiled {
                &mut operators[at].tiled_logs
            } else {
                &mut operators[at].logs
            };
            group.get_or_insert_with(Vec::new).push(log_json(log));
        }
        let doc = ListJson {
            version: self.version.clone(),
            log_list_timestamp: rfc3339(self.timestamp),
            is_all_logs: None,
            operators,
        };
        // Plain structs of strings and numbers: serialising cannot fail.
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    }
}

fn log_json(log: &CtLog) -> LogJson {
    let (url, submission_url) = if log.tiled {
        (None, Some(log.url.clone()))
    } else {
        (Some(log.url.clone()), None)
    };
    LogJson {
        description: Some(log.description.clone()),
        log_id: base64_encode(&log.id),
        key: base64_encode(&log.key_der),
        url,
        submission_url,
        monitoring_url: log.monitoring_url.clone().filter(|_| log.tiled),
        mmd: log.mmd,
        state: log.state.as_ref().map(|state| {
            BTreeMap::from([(
                state.kind,
                StateJson {
                    timestamp: rfc3339(state.since),
                    final_tree_head: state.final_tree_head.clone(),
                },
            )])
        }),
        temporal_interval: log.temporal_interval.map(|(start, end)| IntervalJson {
            start_inclusive: rfc3339(start),
            end_exclusive: rfc3339(end),
        }),
        previous_operators: (!log.previous_operators.is_empty()).then(|| {
            log.previous_operators
                .iter()
                .map(|(name, end)| PreviousJson {
                    name: name.clone(),
                    end_time: rfc3339(*end),
                })
                .collect()
        }),
        log_type: log.log_type.clone(),
    }
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

    /// The real lists this repository ships (Chrome's current list, its
    /// all-logs list, and the fixtures' lists).
    fn real_lists() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        [
            "certs/ct/log_list.json",
            "certs/ct/all_logs_list.json",
            "fixtures/ct/log_list.json",
            "fixtures/ct/google-v3-54.12/log_list.json",
        ]
        .iter()
        .map(|name| {
            let text =
                std::fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name.to_string(), text)
        })
        .collect()
    }

    #[test]
    fn every_field_of_the_real_lists_is_typed() {
        for (name, text) in real_lists() {
            let original: serde_json::Value = serde_json::from_str(&text).unwrap();
            let typed: ListJson = serde_json::from_str(&text).unwrap();
            let back = serde_json::to_value(&typed).unwrap();
            assert!(
                back == original,
                "{name}: a field is lost when read into the typed structs"
            );
            let list = LogList::from_json(&text, &name).unwrap();
            assert!(!list.logs.is_empty(), "{name}");
        }
    }

    #[test]
    fn fields_chrome_may_add_are_ignored_at_every_level() {
        // A field added to every object but `state` itself, whose keys
        // are the state's name: a new key there is a new state (below).
        fn add(value: &mut serde_json::Value, is_state: bool) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, child) in map.iter_mut() {
                        add(child, key == "state");
                    }
                    if !is_state {
                        let field = serde_json::json!({"x": [1]});
                        map.insert("added_by_a_newer_chrome".into(), field);
                    }
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(|v| add(v, false)),
                _ => {}
            }
        }
        for (name, text) in real_lists() {
            let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
            add(&mut value, false);
            let newer = LogList::from_json(&value.to_string(), &name).unwrap();
            assert_eq!(newer, LogList::from_json(&text, &name).unwrap(), "{name}");
        }
        // A state this version does not know is refused, not ignored: it
        // decides whether the log's SCTs count.
        let text = crate::ct::log_list::BUILTIN_JSON.replacen("\"usable\": {", "\"frozen\": {", 1);
        let e = LogList::from_json(&text, "x").unwrap_err().to_string();
        assert!(e.contains("unknown variant `frozen`"), "{e}");
        // The readonly log keeps its typed tree head.
        let list = LogList::from_json(crate::ct::log_list::BUILTIN_JSON, "x").unwrap();
        let head = list
            .logs
            .iter()
            .find_map(|l| l.state.as_ref()?.final_tree_head.clone())
            .unwrap();
        assert!(head.tree_size > 0 && head.sha256_root_hash.len() == 44);
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
        let two_states = good.replacen(
            "\"usable\": {",
            "\"retired\": {\"timestamp\": \"2025-01-01T00:00:00Z\"}, \"usable\": {",
            1,
        );
        assert!(LogList::from_json(&two_states, "x")
            .unwrap_err()
            .to_string()
            .contains("exactly one entry"));
        assert!(LogList::from_json("{}", "x").is_err());
        assert!(LogList::from_json("not json", "x").is_err());
    }
}
