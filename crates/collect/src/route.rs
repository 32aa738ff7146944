//! curl-style address overrides: `--connect-to HOST1:PORT1:HOST2:PORT2`
//! (connect somewhere else for a name; empty fields are wildcards or mean
//! "unchanged") and `--resolve HOST:PORT:ADDR[,ADDR…]` (skip DNS for a name;
//! `*` matches any host). `--connect-to` is applied first, then `--resolve`
//! on the resulting host and port, as curl does.

use mitmwatch_core::target_spec::{normalise_host, parse_port, TargetSpecError};
use std::net::{IpAddr, SocketAddr};

/// Why a `--connect-to` or `--resolve` rule was refused. The message names
/// the flag and quotes the rule as given, so a user with many rules finds
/// the bad one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteSpecError {
    /// The rule does not have the number of `:`-separated fields its flag takes.
    #[error("--{flag} {spec:?}: expected {expected}")]
    FieldCount {
        /// `connect-to` or `resolve`.
        flag: &'static str,
        /// The rule as given.
        spec: String,
        /// The form the flag takes, e.g. `HOST:PORT:ADDR[,ADDR...]`.
        expected: &'static str,
    },
    /// One field is not a valid host name, port or IP address.
    #[error("--{flag} {spec:?}: {reason}")]
    Field {
        /// `connect-to` or `resolve`.
        flag: &'static str,
        /// The rule as given.
        spec: String,
        /// What is wrong with the field, naming it.
        reason: String,
    },
}

/// One `--connect-to` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTo {
    from_host: Option<String>,
    from_port: Option<u16>,
    to_host: Option<String>,
    to_port: Option<u16>,
    spec: String,
}

/// One `--resolve` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolve {
    host: Option<String>,
    port: u16,
    addrs: Vec<IpAddr>,
    spec: String,
}

/// Where to connect for a target, before DNS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Destination {
    /// Host to resolve (or IP literal).
    pub(crate) host: String,
    /// Port to connect to.
    pub(crate) port: u16,
    /// Addresses fixed by `--resolve`, if any.
    pub(crate) fixed: Option<Vec<SocketAddr>>,
    /// Which overrides applied, for the record.
    pub(crate) route: Option<String>,
}

/// The set of overrides in force for a scan.
#[derive(Clone, Debug, Default)]
pub struct Router {
    connect_to: Vec<ConnectTo>,
    resolve: Vec<Resolve>,
}

/// Splits on ':' outside square brackets.
fn split_fields(spec: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in spec.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => {
                fields.push(&spec[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&spec[start..]);
    fields
}

fn unbracket(s: &str) -> &str {
    s.strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s)
}

fn optional_host(s: &str) -> Result<Option<String>, TargetSpecError> {
    if s.is_empty() {
        Ok(None)
    } else {
        normalise_host(unbracket(s)).map(Some)
    }
}

fn optional_port(s: &str) -> Result<Option<u16>, TargetSpecError> {
    if s.is_empty() {
        Ok(None)
    } else {
        parse_port(s).map(Some)
    }
}

impl ConnectTo {
    /// Parses `HOST1:PORT1:HOST2:PORT2` (IPv6 in brackets).
    pub fn parse(spec: &str) -> Result<Self, RouteSpecError> {
        const FLAG: &str = "connect-to";
        let f = split_fields(spec);
        if f.len() != 4 {
            return Err(RouteSpecError::FieldCount {
                flag: FLAG,
                spec: spec.to_string(),
                expected: "HOST1:PORT1:HOST2:PORT2 (fields may be empty)",
            });
        }
        let err = |reason: TargetSpecError| RouteSpecError::Field {
            flag: FLAG,
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        Ok(ConnectTo {
            from_host: optional_host(f[0]).map_err(err)?,
            from_port: optional_port(f[1]).map_err(err)?,
            to_host: optional_host(f[2]).map_err(err)?,
            to_port: optional_port(f[3]).map_err(err)?,
            spec: spec.to_string(),
        })
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        self.from_host.as_deref().is_none_or(|h| h == host)
            && self.from_port.is_none_or(|p| p == port)
    }
}

impl Resolve {
    /// Parses `HOST:PORT:ADDR[,ADDR…]` (`*` for any host; IPv6 in brackets).
    pub fn parse(spec: &str) -> Result<Self, RouteSpecError> {
        const FLAG: &str = "resolve";
        let f = split_fields(spec);
        if f.len() != 3 {
            return Err(RouteSpecError::FieldCount {
                flag: FLAG,
                spec: spec.to_string(),
                expected: "HOST:PORT:ADDR[,ADDR...]",
            });
        }
        let err = |reason: String| RouteSpecError::Field {
            flag: FLAG,
            spec: spec.to_string(),
            reason,
        };
        let host = if f[0] == "*" {
            None
        } else {
            Some(normalise_host(unbracket(f[0])).map_err(|e| err(e.to_string()))?)
        };
        let port = parse_port(f[1]).map_err(|e| err(e.to_string()))?;
        let addrs = f[2]
            .split(',')
            .map(|a| {
                unbracket(a.trim())
                    .parse::<IpAddr>()
                    .map_err(|_| err(format!("{a:?} is not an IP address")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Resolve {
            host,
            port,
            addrs,
            spec: spec.to_string(),
        })
    }
}

impl Router {
    /// A router with the given rules (first match wins within each kind).
    pub fn new(connect_to: Vec<ConnectTo>, resolve: Vec<Resolve>) -> Self {
        Router {
            connect_to,
            resolve,
        }
    }

    /// Where to connect for `host:port`.
    pub(crate) fn destination(&self, host: &str, port: u16) -> Destination {
        let mut routes = Vec::new();
        let mut dest_host = host.to_string();
        let mut dest_port = port;
        if let Some(rule) = self.connect_to.iter().find(|r| r.matches(host, port)) {
            if let Some(h) = &rule.to_host {
                dest_host = h.clone();
            }
            if let Some(p) = rule.to_port {
                dest_port = p;
            }
            routes.push(format!("connect-to {}", rule.spec));
        }
        let fixed = self
            .resolve
            .iter()
            .find(|r| r.port == dest_port && r.host.as_deref().is_none_or(|h| h == dest_host))
            .map(|rule| {
                routes.push(format!("resolve {}", rule.spec));
                rule.addrs
                    .iter()
                    .map(|ip| SocketAddr::new(*ip, dest_port))
                    .collect()
            });
        Destination {
            host: dest_host,
            port: dest_port,
            fixed,
            route: if routes.is_empty() {
                None
            } else {
                Some(routes.join(", "))
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_to_wildcards_and_rewrites() {
        let r = Router::new(
            vec![
                ConnectTo::parse("a.example:443:127.0.0.1:8443").unwrap(),
                ConnectTo::parse("::[::1]:9443").unwrap(),
            ],
            vec![],
        );
        let d = r.destination("a.example", 443);
        assert_eq!((d.host.as_str(), d.port), ("127.0.0.1", 8443));
        let d = r.destination("b.example", 80);
        assert_eq!((d.host.as_str(), d.port), ("::1", 9443));
        assert!(d.route.unwrap().contains("connect-to"));
    }

    #[test]
    fn resolve_applies_after_connect_to() {
        let r = Router::new(
            vec![ConnectTo::parse("x.example::y.example:").unwrap()],
            vec![Resolve::parse("y.example:443:127.0.0.2,[::1]").unwrap()],
        );
        let d = r.destination("x.example", 443);
        assert_eq!(d.host, "y.example");
        assert_eq!(
            d.fixed.unwrap(),
            vec![
                "127.0.0.2:443".parse().unwrap(),
                "[::1]:443".parse().unwrap()
            ]
        );
        let star = Router::new(vec![], vec![Resolve::parse("*:443:10.0.0.1").unwrap()]);
        assert!(star.destination("anything.example", 443).fixed.is_some());
        assert!(star.destination("anything.example", 8443).fixed.is_none());
    }

    #[test]
    fn bad_rules_are_explained() {
        assert!(ConnectTo::parse("a:1:b")
            .unwrap_err()
            .to_string()
            .contains("HOST1:PORT1"));
        assert!(Resolve::parse("a:1:notanip")
            .unwrap_err()
            .to_string()
            .contains("not an IP"));
        assert!(Resolve::parse("a:0:1.2.3.4")
            .unwrap_err()
            .to_string()
            .contains("out of range"));
    }
}
