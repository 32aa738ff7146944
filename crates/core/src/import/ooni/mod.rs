//! OONI measurements (JSON Lines, one measurement per line) to
//! observations: one per TLS handshake.
//!
//! The format is OONI's `df-000-base` (top-level keys such as
//! `measurement_start_time`, `report_id`, `input`, `test_keys`) with TLS
//! handshakes in `df-006-tlshandshake` form (`server_name`, `address`,
//! `peer_certificates` as `BinaryData` `{"format":"base64","data":…}`,
//! `failure`, `t0`, `t`, …), from github.com/ooni/spec `data-formats/`.
//! Handshakes are found wherever the experiment puts them under
//! `test_keys`: `tls_handshakes` lists (web_connectivity, urlgetter,
//! echcheck since 0.2.0) and `tls_handshake` entries (tlsping's `pings[]`).
//! Some experiments keep what a handshake needs in the enclosing object:
//!
//! - tor (`nettests/ts-023-tor.md`): `test_keys.targets` is keyed by target
//!   id (the address, or a hash for bridges), each with `target_address`
//!   and handshakes that record neither address nor server name. The
//!   target's address is the observation's host and port; the SNI is the
//!   one recorded, none if absent.
//! - sni_blocking (`ts-024-sni-blocking.md`): `test_keys.control` and
//!   `test_keys.target` each hold the `sni` used and the test helper's
//!   `th_address`; both are the probe's own handshakes and both are
//!   imported, told apart in `imported.reference`.
//! - echcheck (`ts-039-echcheck.md`): before 0.2.0 `test_keys.control` and
//!   `test_keys.target` are handshakes themselves. A handshake with ECH
//!   records the name it meant as `server_name` and the SNI it sent in the
//!   clear as `outer_server_name`; OONI sends GREASE ECH (random bytes, no
//!   inner ClientHello), so the server saw only the outer name and its
//!   certificate is judged against it, never against `server_name`.
//!
//! Elsewhere `test_keys.control` is the test helper's view from another
//! network (web_connectivity), not a handshake the probe made: skipped.
//! Addresses missing from a handshake are taken from the `tcp_connect`
//! entry with its `conn_id`.
//!
//! OONI verifies with its bundled Mozilla roots and, when that fails, keeps
//! only the certificate named by Go's error (usually the leaf). Such
//! handshakes are imported with status `ok` (mitmwatch's collector, which
//! accepts any chain, would have completed them), the OONI failure as
//! `stock_verification.error`, and `imported.leaf_only` set.

mod walk;

use super::{ImportError, ImportResult};
use crate::certinfo::cert_record;
use crate::encoding::base64_decode;
use crate::lines::{BoundedLines, Line};
use crate::model::{
    Imported, Observation, Status, StockVerification, Target, TlsParams, OBSERVATION_SCHEMA,
};
use crate::target_spec::{normalise_host, parse_port};
use serde_json::{Map, Value};
use std::io::BufRead;
use std::net::SocketAddr;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};
use walk::{Scope, Search};

/// OONI failures that mean "the chain was received but did not verify".
pub(crate) const CERTIFICATE_FAILURES: [&str; 3] = [
    "ssl_invalid_hostname",
    "ssl_unknown_authority",
    "ssl_invalid_certificate",
];

/// One measurement's handshakes, and the handshakes that could not be read
/// (each message names its place in the measurement).
#[derive(Debug, Default)]
pub(crate) struct Measurement {
    /// One observation per handshake.
    pub(crate) observations: Vec<Observation>,
    /// Why some handshakes were skipped.
    pub(crate) errors: Vec<String>,
}

/// The measurement-level facts every handshake needs.
struct Context<'a> {
    start: OffsetDateTime,
    report_id: &'a str,
    input: Option<&'a str>,
    test_name: Option<&'a str>,
    tool: String,
}

/// Longest measurement line read, in bytes. Measurements carry more than
/// handshakes (HTTP bodies, DNS answers), so the bound is wider than that
/// of mitmwatch's own lines; a longer line is one bad line, skipped
/// without being kept in memory.
pub(crate) const MAX_LINE_BYTES: usize = 32 << 20;

/// The lines of OONI JSON Lines, each at most [`MAX_LINE_BYTES`]: a line's
/// number and bytes, or why it could not be read. A read error ends them.
pub(crate) struct MeasurementLines<R> {
    lines: BoundedLines<R>,
}

impl<R: BufRead> MeasurementLines<R> {
    /// The lines of `reader`.
    pub(crate) fn new(reader: R) -> Self {
        MeasurementLines {
            lines: BoundedLines::new(reader, MAX_LINE_BYTES),
        }
    }
}

impl<R: BufRead> Iterator for MeasurementLines<R> {
    type Item = (usize, Result<Vec<u8>, String>);

    fn next(&mut self) -> Option<Self::Item> {
        let (line, read) = self.lines.next_line()?;
        let bytes = match read {
            Err(e) => Err(format!("cannot read further: {e}")),
            Ok(Line::TooLong) => Err(format!("line is longer than {} MiB", MAX_LINE_BYTES >> 20)),
            Ok(Line::Text(bytes)) => Ok(bytes.to_vec()),
        };
        Some((line, bytes))
    }
}

/// Parses one line of measurements (its newline included or not): `None`
/// for a blank line, an error when it is not an OONI measurement.
pub(crate) fn parse_line(bytes: &[u8]) -> Result<Option<Measurement>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    parse_measurement(text).map(Some)
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
    for (line, bytes) in MeasurementLines::new(reader) {
        match bytes.and_then(|b| parse_line(&b)) {
            Ok(None) => {}
            Ok(Some(m)) => {
                if m.observations.is_empty() && m.errors.is_empty() {
                    result.without_tls += 1;
                }
                result.observations.extend(m.observations);
                result
                    .errors
                    .extend(m.errors.into_iter().map(|e| error(line, e)));
            }
            Err(e) => result.errors.push(error(line, e)),
        }
    }
    result
}

/// Parses one measurement. `Err` when the line is not an OONI measurement
/// at all; handshakes that cannot be read are listed in `errors`.
pub(crate) fn parse_measurement(text: &str) -> Result<Measurement, String> {
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
        test_name: text_field("test_name"),
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
    let mut search = Search {
        test_name: ctx.test_name.unwrap_or(""),
        found: &mut found,
        errors: &mut measurement.errors,
    };
    search.object_or_list(test_keys, "test_keys", 0, &Scope::default());
    for (place, scope, hs) in found {
        match handshake(&ctx, &place, &scope, hs) {
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

/// Host and port named by the measurement's input (`https://host/…`,
/// `tlshandshake://host:port`).
fn input_host_port(input: &str) -> Option<(String, Option<u16>)> {
    let (_, rest) = input.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = crate::target_spec::split_host_port(authority).ok()?;
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
pub(crate) fn status_for(failure: &str) -> Status {
    match failure {
        f if f.starts_with("dns_") || f == "android_dns_cache_no_data" => Status::DnsFailed,
        "connection_refused" => Status::ConnectRefused,
        "generic_timeout_error" => Status::HandshakeTimeout,
        "host_unreachable" | "network_unreachable" | "network_down" => Status::ConnectFailed,
        f if f.starts_with("ssl_") => Status::ProtocolError,
        _ => Status::IoError,
    }
}

/// A host name recorded in the handshake's `key`, if any.
fn name_field(hs: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match hs
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        Some(name) => normalise_host(name)
            .map(Some)
            .map_err(|m| format!("{key} {name:?} is not a host name: {m}")),
        None => Ok(None),
    }
}

/// The target of a handshake: host, port and the SNI the server saw, and
/// a note when the choice needs explaining (ECH).
fn target_of(
    ctx: &Context<'_>,
    scope: &Scope,
    hs: &Map<String, Value>,
    address: Option<SocketAddr>,
) -> Result<(Target, Option<String>), String> {
    let server_name = name_field(hs, "server_name")?;
    let outer = name_field(hs, "outer_server_name")?;
    let from_input = ctx.input.and_then(input_host_port);
    let default_port = || {
        address
            .map(|a| a.port())
            .or(from_input.as_ref().and_then(|(_, p)| *p))
            .unwrap_or(443)
    };
    // tor and sni_blocking: the endpoint names the host; the SNI is the
    // one recorded (sni_blocking records it beside the handshake).
    if let Some((host, port)) = &scope.endpoint {
        let sni = server_name.or(scope.sni.clone());
        return Ok((
            Target {
                host: host.clone(),
                port: *port,
                sni,
            },
            None,
        ));
    }
    let host = match (server_name, &from_input, address) {
        (Some(name), _, _) => name,
        (None, Some((h, _)), _) => h.clone(),
        (None, None, Some(a)) => a.ip().to_string(),
        (None, None, None) => {
            return Err(
                "no server_name, input URL or address: the certificate's name is unknown".into(),
            )
        }
    };
    let port = default_port();
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    match outer {
        // ECH: `server_name` is the name meant, `outer_server_name` the
        // SNI sent in the clear. GREASE ECH (what OONI sends) carries no
        // inner ClientHello, so the server answered the outer name.
        Some(outer) => {
            let echconfig = hs.get("echconfig").and_then(Value::as_str).unwrap_or("");
            let grease = echconfig.is_empty() || echconfig.eq_ignore_ascii_case("GREASE");
            let (sni, note) = if grease {
                (
                    outer.clone(),
                    format!(
                        "ECH (GREASE) handshake: judged against the outer SNI {outer}, the only \
                         name sent; {host} was not sent (GREASE ECH has no inner ClientHello)"
                    ),
                )
            } else {
                (
                    host.clone(),
                    format!(
                        "ECH handshake with a real configuration: judged against the inner name \
                         {host}, which a server that accepts ECH answers for (outer SNI {outer})"
                    ),
                )
            };
            Ok((
                Target {
                    host,
                    port,
                    sni: Some(sni),
                },
                Some(note),
            ))
        }
        None => Ok((
            Target {
                sni: (!is_ip).then(|| host.clone()),
                host,
                port,
            },
            None,
        )),
    }
}

fn handshake(
    ctx: &Context<'_>,
    place: &str,
    scope: &Scope,
    hs: &Map<String, Value>,
) -> Result<Observation, String> {
    let text = |k: &str| hs.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let parsed_address = match text("address") {
        Some(a) => Some(
            a.parse::<SocketAddr>()
                .map_err(|_| format!("address {a:?} is not ip:port"))?,
        ),
        None => scope.address(hs.get("conn_id").and_then(Value::as_i64)),
    };
    let (target, note) = target_of(ctx, scope, hs, parsed_address)?;
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
    let part: Vec<&str> = scope
        .part
        .as_deref()
        .into_iter()
        .chain(note.as_deref())
        .collect();
    Ok(Observation {
        schema: OBSERVATION_SCHEMA,
        tool: ctx.tool.clone(),
        target,
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
                "report_id {}, input {}, {}{place}",
                ctx.report_id,
                ctx.input.unwrap_or("(none)"),
                part.iter().map(|p| format!("{p}, ")).collect::<String>()
            ),
            leaf_only,
        }),
        fetched_issuers: Vec::new(),
        proxy: None,
        starttls: None,
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
