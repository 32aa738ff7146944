//! OONI measurements (JSON Lines, one measurement per line) to
//! observations: one per TLS handshake.
//!
//! The format is OONI's `df-000-base` (top-level keys such as
//! `measurement_start_time`, `report_id`, `input`, `test_keys`) with TLS
//! handshakes in `df-006-tlshandshake` form (`server_name`, `address`,
//! `peer_certificates` as `BinaryData` `{"format":"base64","data":…}`,
//! `failure`, `t0`, `t`, …), from github.com/ooni/spec `data-formats/`.
//! Handshakes are found wherever the experiment puts them under
//! `test_keys`: `tls_handshakes` lists (web_connectivity, urlgetter) and
//! `tls_handshake` entries (tlsping's `pings[]`). The test helper's view
//! (`test_keys.control`) is not a handshake the probe made and is skipped.
//!
//! OONI verifies with its bundled Mozilla roots and, when that fails, keeps
//! only the certificate named by Go's error (usually the leaf). Such
//! handshakes are imported with status `ok` (mitmwatch's collector, which
//! accepts any chain, would have completed them), the OONI failure as
//! `stock_verification.error`, and `imported.leaf_only` set.

use super::{ImportError, ImportResult};
use crate::certinfo::cert_record;
use crate::collect::targets::{normalise_host, parse_port};
use crate::encoding::base64_decode;
use crate::model::{
    Imported, Observation, Status, StockVerification, Target, TlsParams, OBSERVATION_SCHEMA,
};
use serde_json::{Map, Value};
use std::io::BufRead;
use std::net::SocketAddr;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// OONI failures that mean "the chain was received but did not verify".
pub const CERTIFICATE_FAILURES: [&str; 3] = [
    "ssl_invalid_hostname",
    "ssl_unknown_authority",
    "ssl_invalid_certificate",
];

/// Deepest nesting searched for handshakes under `test_keys`.
const MAX_DEPTH: usize = 24;

/// One measurement's handshakes, and the handshakes that could not be read
/// (each message names its place in the measurement).
#[derive(Debug, Default)]
pub struct Measurement {
    /// One observation per handshake.
    pub observations: Vec<Observation>,
    /// Why some handshakes were skipped.
    pub errors: Vec<String>,
}

/// The measurement-level facts every handshake needs.
struct Context<'a> {
    start: OffsetDateTime,
    report_id: &'a str,
    input: Option<&'a str>,
    tool: String,
}

/// Reads OONI JSON Lines. Never stops early: a bad line or handshake
/// becomes an error with its line number, and reading goes on.
pub fn read(reader: impl BufRead, input: &str) -> ImportResult {
    let mut result = ImportResult::default();
    let error = |line, message: String| ImportError {
        input: input.to_string(),
        line: Some(line),
        message,
    };
    for (i, line) in reader.split(b'\n').enumerate() {
        let bytes = match line {
            Ok(b) => b,
            Err(e) => {
                result
                    .errors
                    .push(error(i + 1, format!("cannot read further: {e}")));
                break;
            }
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            result.errors.push(error(i + 1, "not UTF-8 text".into()));
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match parse_measurement(text) {
            Ok(m) => {
                if m.observations.is_empty() && m.errors.is_empty() {
                    result.without_tls += 1;
                }
                result.observations.extend(m.observations);
                result
                    .errors
                    .extend(m.errors.into_iter().map(|e| error(i + 1, e)));
            }
            Err(e) => result.errors.push(error(i + 1, e)),
        }
    }
    result
}

/// Parses one measurement. `Err` when the line is not an OONI measurement
/// at all; handshakes that cannot be read are listed in `errors`.
pub fn parse_measurement(text: &str) -> Result<Measurement, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            "truncated JSON (the file may have been cut off)".to_string()
        } else {
            format!("not valid JSON: {e}")
        }
    })?;
    let m = value
        .as_object()
        .ok_or("not a JSON object, so not an OONI measurement")?;
    let test_keys = m
        .get("test_keys")
        .filter(|v| v.is_object())
        .ok_or("no test_keys object: not an OONI measurement")?;
    let start = m
        .get("measurement_start_time")
        .and_then(Value::as_str)
        .ok_or("no measurement_start_time")
        .and_then(|s| {
            parse_ooni_time(s).ok_or("measurement_start_time is not \"YYYY-MM-DD hh:mm:ss\"")
        })?;
    let text_field = |k: &str| m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let ctx = Context {
        start,
        report_id: text_field("report_id").unwrap_or("(no report_id)"),
        input: text_field("input"),
        tool: format!(
            "{} {} ({}), imported by mitmwatch {}",
            text_field("software_name").unwrap_or("unknown OONI software"),
            text_field("software_version").unwrap_or(""),
            text_field("test_name").unwrap_or("unknown test"),
            env!("CARGO_PKG_VERSION")
        ),
    };
    let mut found = Vec::new();
    let mut measurement = Measurement::default();
    find_handshakes(
        test_keys,
        "test_keys",
        0,
        &mut found,
        &mut measurement.errors,
    );
    for (place, hs) in found {
        match handshake(&ctx, &place, hs) {
            Ok(obs) => measurement.observations.push(obs),
            Err(e) => measurement.errors.push(format!("{place}: {e}")),
        }
    }
    Ok(measurement)
}

/// `2006-01-02 15:04:05`, UTC (df-000-base).
fn parse_ooni_time(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

fn is_handshake(o: &Map<String, Value>) -> bool {
    o.contains_key("peer_certificates") || o.contains_key("failure")
}

fn find_handshakes<'v>(
    value: &'v Value,
    place: &str,
    depth: usize,
    found: &mut Vec<(String, &'v Map<String, Value>)>,
    errors: &mut Vec<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(o) => {
            for (key, v) in o {
                let here = format!("{place}.{key}");
                match key.as_str() {
                    // The test helper's results, from another network.
                    "control" if depth == 0 => {}
                    "tls_handshakes" | "tls_handshake" => match v {
                        Value::Array(items) => {
                            for (j, item) in items.iter().enumerate() {
                                match item.as_object() {
                                    Some(hs) if is_handshake(hs) => {
                                        found.push((format!("{here}[{j}]"), hs))
                                    }
                                    _ => errors
                                        .push(format!("{here}[{j}]: not a TLS handshake object")),
                                }
                            }
                        }
                        Value::Object(hs) if is_handshake(hs) => found.push((here, hs)),
                        _ => {}
                    },
                    _ => find_handshakes(v, &here, depth + 1, found, errors),
                }
            }
        }
        Value::Array(items) => {
            for (j, item) in items.iter().enumerate() {
                find_handshakes(item, &format!("{place}[{j}]"), depth + 1, found, errors);
            }
        }
        _ => {}
    }
}

/// Host and port named by the measurement's input (`https://host/…`,
/// `tlshandshake://host:port`).
fn input_host_port(input: &str) -> Option<(String, Option<u16>)> {
    let (_, rest) = input.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = crate::collect::targets::split_host_port(authority).ok()?;
    let port = port.and_then(|p| parse_port(p).ok());
    Some((normalise_host(host).ok()?, port))
}

fn seconds(hs: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match hs.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if s.is_finite() && (0.0..=1e7).contains(&s) => Ok(Some(s)),
            _ => Err(format!("{key} is not a plausible number of seconds")),
        },
        Some(_) => Err(format!("{key} is not a number")),
    }
}

/// One certificate: `BinaryData` (`{"format":"base64","data":…}`) or, as
/// `MaybeBinaryData` allows, a plain string holding the bytes as text.
fn certificate(v: &Value) -> Result<Vec<u8>, String> {
    match v {
        Value::Object(o) => {
            match o.get("format").and_then(Value::as_str) {
                Some("base64") => {}
                Some(other) => return Err(format!("format {other:?} is not \"base64\"")),
                None => return Err("no format".into()),
            }
            let data = o.get("data").and_then(Value::as_str).ok_or("no data")?;
            base64_decode(data).map_err(|e| format!("data is not valid base64: {e}"))
        }
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        _ => Err("neither a BinaryData object nor a string".into()),
    }
}

/// How an OONI failure string maps onto the collector's statuses (df-007).
pub fn status_for(failure: &str) -> Status {
    match failure {
        f if f.starts_with("dns_") || f == "android_dns_cache_no_data" => Status::DnsFailed,
        "connection_refused" => Status::ConnectRefused,
        "generic_timeout_error" => Status::HandshakeTimeout,
        "host_unreachable" | "network_unreachable" | "network_down" => Status::ConnectFailed,
        f if f.starts_with("ssl_") => Status::ProtocolError,
        _ => Status::IoError,
    }
}

fn handshake(
    ctx: &Context<'_>,
    place: &str,
    hs: &Map<String, Value>,
) -> Result<Observation, String> {
    let text = |k: &str| hs.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let address = text("address");
    let from_input = ctx.input.and_then(input_host_port);
    let host = match text("server_name") {
        Some(name) => normalise_host(name)
            .map_err(|m| format!("server_name {name:?} is not a host name: {m}"))?,
        None => match (&from_input, address) {
            (Some((h, _)), _) => h.clone(),
            (None, Some(a)) => a
                .parse::<SocketAddr>()
                .map(|s| s.ip().to_string())
                .map_err(|_| format!("address {a:?} is not ip:port"))?,
            (None, None) => {
                return Err(
                    "no server_name, input URL or address: the certificate's name is unknown"
                        .into(),
                )
            }
        },
    };
    let parsed_address = match address {
        Some(a) => Some(
            a.parse::<SocketAddr>()
                .map_err(|_| format!("address {a:?} is not ip:port"))?,
        ),
        None => None,
    };
    let port = parsed_address
        .map(|a| a.port())
        .or(from_input.and_then(|(_, p)| p))
        .unwrap_or(443);
    let failure = match hs.get("failure") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("failure is neither null nor a string".into()),
    };
    let mut certs = Vec::new();
    match hs.get("peer_certificates") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (j, item) in items.iter().enumerate() {
                certs.push(certificate(item).map_err(|e| format!("peer_certificates[{j}]: {e}"))?);
            }
        }
        Some(_) => return Err("peer_certificates is not a list".into()),
    }
    let t0 = seconds(hs, "t0")?;
    let t = seconds(hs, "t")?;
    let started_at = ctx
        .start
        .checked_add(Duration::seconds_f64(t0.or(t).unwrap_or(0.0)))
        .ok_or("t0 is out of range")?;
    let duration_ms = match (t0, t) {
        (Some(a), Some(b)) if b >= a => ((b - a) * 1e6).round() / 1e3,
        _ => 0.0,
    };
    let certificate_failure = failure
        .as_deref()
        .is_some_and(|f| CERTIFICATE_FAILURES.contains(&f))
        && !certs.is_empty();
    let (status, obs_failure) = match &failure {
        None => (Status::Ok, None),
        Some(_) if certificate_failure => (Status::Ok, None),
        Some(f) => (status_for(f), Some(format!("OONI failure: {f}"))),
    };
    let verified = hs.get("no_tls_verify").and_then(Value::as_bool) != Some(true);
    let stock_verification = (verified && !certs.is_empty()).then(|| StockVerification {
        trust_store: "OONI Probe's verifier (bundled Mozilla roots)".into(),
        ok: failure.is_none(),
        error: failure.clone(),
    });
    let tls = match (&failure, text("tls_version")) {
        (None, Some(version)) => Some(TlsParams {
            version: version.to_string(),
            cipher_suite: text("cipher_suite").unwrap_or("unknown").to_string(),
            kx_group: None,
            alpn: text("negotiated_protocol").map(str::to_string),
        }),
        _ => None,
    };
    let leaf_only = failure.is_some() && certs.len() == 1;
    let sni = match host.parse::<std::net::IpAddr>() {
        Ok(_) => None,
        Err(_) => Some(host.clone()),
    };
    Ok(Observation {
        schema: OBSERVATION_SCHEMA,
        tool: ctx.tool.clone(),
        target: Target { host, port, sni },
        address: parsed_address.map(|a| a.to_string()),
        route: None,
        started_at,
        duration_ms,
        status,
        failure: obs_failure,
        tls,
        chain: certs.iter().map(|c| cert_record(c)).collect(),
        stock_verification,
        imported: Some(Imported {
            format: "ooni".into(),
            reference: format!(
                "report_id {}, input {}, {place}",
                ctx.report_id,
                ctx.input.unwrap_or("(none)")
            ),
            leaf_only,
        }),
        fetched_issuers: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_inputs() {
        let t = parse_ooni_time("2024-02-14 08:04:05").unwrap();
        assert_eq!(t.unix_timestamp(), 1707897845);
        assert!(parse_ooni_time("2024-02-14T08:04:05Z").is_none());
        assert_eq!(
            input_host_port("tlshandshake://dns.google:853"),
            Some(("dns.google".into(), Some(853)))
        );
        assert_eq!(
            input_host_port("https://Facebook.com/path?q"),
            Some(("facebook.com".into(), None))
        );
        assert_eq!(input_host_port("not a url"), None);
    }

    #[test]
    fn failures_map_to_statuses() {
        assert_eq!(status_for("dns_nxdomain_error"), Status::DnsFailed);
        assert_eq!(status_for("connection_reset"), Status::IoError);
        assert_eq!(
            status_for("generic_timeout_error"),
            Status::HandshakeTimeout
        );
        assert_eq!(status_for("ssl_failed_handshake"), Status::ProtocolError);
        assert_eq!(status_for("unknown_failure: boom"), Status::IoError);
    }

    #[test]
    fn not_measurements_are_errors_not_panics() {
        for bad in [
            "",
            "[]",
            "{}",
            "{\"test_keys\":{}}",
            "{\"test_keys\":1}",
            "{\"a\"",
        ] {
            assert!(parse_measurement(bad).is_err(), "{bad}");
        }
        let deep = format!(
            "{{\"measurement_start_time\":\"2024-01-01 00:00:00\",\"test_keys\":{}1{}}}",
            "{\"a\":".repeat(100),
            "}".repeat(100)
        );
        assert!(parse_measurement(&deep).unwrap().observations.is_empty());
    }
}
