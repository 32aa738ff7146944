//! Where an OONI measurement keeps its TLS handshakes, and what the objects
//! around each one say about it: the walk through `test_keys` (module
//! documentation of [`super`] lists what each experiment does).

use crate::target_spec::{normalise_host, parse_port};
use serde_json::{Map, Value};
use std::net::SocketAddr;

/// Deepest nesting searched for handshakes under `test_keys`.
const MAX_DEPTH: usize = 24;

/// What the objects around a handshake say about it, for experiments that
/// keep it there rather than in the handshake (tor, sni_blocking).
#[derive(Clone, Debug, Default)]
pub(super) struct Scope {
    /// Which of the experiment's handshakes this is, in words.
    pub(super) part: Option<String>,
    /// The endpoint connected to (tor `target_address`, sni_blocking
    /// `th_address`): it names the host and port.
    pub(super) endpoint: Option<(String, u16)>,
    /// The SNI used (sni_blocking `sni`).
    pub(super) sni: Option<String>,
    /// Addresses connected to, by `conn_id` (`tcp_connect` entries).
    connects: Vec<(Option<i64>, SocketAddr)>,
}

impl Scope {
    /// This scope, with what `object` adds to it.
    fn within(&self, object: &Map<String, Value>) -> Scope {
        let mut scope = self.clone();
        let text = |k: &str| {
            object
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        if let Some(endpoint) = text("target_address")
            .or(text("th_address"))
            .and_then(endpoint)
        {
            scope.endpoint = Some(endpoint);
        }
        if let Some(sni) = text("sni").and_then(|s| normalise_host(s).ok()) {
            scope.sni = Some(sni);
        }
        if let Some(Value::Array(connects)) = object.get("tcp_connect") {
            scope.connects = connects
                .iter()
                .filter_map(|c| {
                    let ip: std::net::IpAddr = c.get("ip")?.as_str()?.parse().ok()?;
                    let port = u16::try_from(c.get("port")?.as_u64()?).ok()?;
                    Some((
                        c.get("conn_id").and_then(Value::as_i64),
                        SocketAddr::new(ip, port),
                    ))
                })
                .collect();
        }
        scope
    }

    fn with_part(&self, part: String) -> Scope {
        Scope {
            part: Some(part),
            ..self.clone()
        }
    }

    /// The address of the connection with this `conn_id` (or the only one).
    pub(super) fn address(&self, conn_id: Option<i64>) -> Option<SocketAddr> {
        match (conn_id, self.connects.as_slice()) {
            (Some(id), connects) if connects.iter().any(|(c, _)| *c == Some(id)) => connects
                .iter()
                .find(|(c, _)| *c == Some(id))
                .map(|(_, a)| *a),
            (_, [(_, only)]) => Some(*only),
            _ => None,
        }
    }
}

/// `host:port`, `[v6]:port` or `domain:port` as a host and port.
fn endpoint(text: &str) -> Option<(String, u16)> {
    let (host, port) = crate::target_spec::split_host_port(text).ok()?;
    let port = parse_port(port?).ok()?;
    Some((normalise_host(host).ok()?, port))
}

fn is_handshake(o: &Map<String, Value>) -> bool {
    o.contains_key("peer_certificates") || o.contains_key("failure")
}

/// A handshake found, where, and what surrounds it.
pub(super) type Found<'v> = (String, Scope, &'v Map<String, Value>);

/// The walk through `test_keys` that finds handshakes.
pub(super) struct Search<'v, 'a> {
    pub(super) test_name: &'a str,
    pub(super) found: &'a mut Vec<Found<'v>>,
    pub(super) errors: &'a mut Vec<String>,
}

impl<'v> Search<'v, '_> {
    pub(super) fn object_or_list(
        &mut self,
        value: &'v Value,
        place: &str,
        depth: usize,
        scope: &Scope,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Object(o) => {
                let scope = scope.within(o);
                for (key, v) in o {
                    self.entry(key, v, &format!("{place}.{key}"), depth, &scope);
                }
            }
            Value::Array(items) => {
                for (j, item) in items.iter().enumerate() {
                    self.object_or_list(item, &format!("{place}[{j}]"), depth + 1, scope);
                }
            }
            _ => {}
        }
    }

    fn entry(&mut self, key: &str, v: &'v Value, here: &str, depth: usize, scope: &Scope) {
        match (depth, key, self.test_name) {
            (_, "tls_handshakes" | "tls_handshake", _) => self.handshakes(v, here, scope),
            // echcheck before 0.2.0: the two handshakes themselves.
            (0, "control" | "target", "echcheck") => {
                let part = if key == "control" {
                    "echcheck control handshake (no ECH)"
                } else {
                    "echcheck target handshake (with ECH)"
                };
                self.handshakes(v, here, &scope.with_part(part.into()))
            }
            // sni_blocking: the probe's handshakes with the control SNI and
            // with the target SNI, to the same test helper.
            (0, "control" | "target", "sni_blocking") => {
                let part = format!("sni_blocking {key} handshake");
                self.object_or_list(v, here, depth + 1, &scope.with_part(part))
            }
            // The test helper's results, from another network.
            (0, "control", _) => {}
            // tor: one object per target, keyed by its id.
            (0, "targets", "tor") => {
                let Value::Object(targets) = v else { return };
                for (id, target) in targets {
                    let Value::Object(t) = target else { continue };
                    let mut inner = scope.within(t);
                    if inner.endpoint.is_none() {
                        inner.endpoint = endpoint(id);
                    }
                    let name = t
                        .get("target_name")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty());
                    let protocol = t
                        .get("target_protocol")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown protocol");
                    inner.part = Some(format!(
                        "tor {protocol} target {}",
                        name.unwrap_or(id.as_str())
                    ));
                    for (key, v) in t {
                        self.entry(key, v, &format!("{here}.{id}.{key}"), depth + 2, &inner);
                    }
                }
            }
            _ => self.object_or_list(v, here, depth + 1, scope),
        }
    }

    /// A `tls_handshakes` list, or one `tls_handshake` object (or null).
    fn handshakes(&mut self, v: &'v Value, here: &str, scope: &Scope) {
        match v {
            Value::Array(items) => {
                for (j, item) in items.iter().enumerate() {
                    match item.as_object() {
                        Some(hs) if is_handshake(hs) => {
                            self.found.push((format!("{here}[{j}]"), scope.clone(), hs))
                        }
                        _ => self
                            .errors
                            .push(format!("{here}[{j}]: not a TLS handshake object")),
                    }
                }
            }
            Value::Object(hs) if is_handshake(hs) => {
                self.found.push((here.to_string(), scope.clone(), hs))
            }
            _ => {}
        }
    }
}
