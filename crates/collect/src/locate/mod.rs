//! `mitmwatch locate`: at which hop does a certificate come back?
//!
//! For each TTL from 1 up, two probes run side by side: a UDP datagram
//! that names the router at that distance (`icmp`), and a TLS handshake
//! whose ClientHello carries that TTL (`tls_hop`). The first TTL that
//! draws a certificate is the distance of whatever answers for the target;
//! UDP probes go on past it until the target itself answers them, so that
//! the two distances can be compared; probing ends at that TTL. A reference handshake with the
//! normal TTL says which certificate the complete path serves.
//!
//! Linux only: elsewhere [`locate`] returns [`LocateError::Unsupported`].

#[cfg(target_os = "linux")]
mod icmp;
#[cfg(target_os = "linux")]
mod tls_hop;
#[cfg(target_os = "linux")]
mod ttl;

use super::tls_config::ProbeTls;
use mitmwatch_core::model::{LocateConclusion, LocateRecord};
use std::net::IpAddr;
use std::time::Duration;

/// How `locate` probes.
#[derive(Clone, Debug)]
pub struct LocateOptions {
    /// Host name (sent as SNI) or address.
    pub host: String,
    /// TCP port of the TLS server.
    pub port: u16,
    /// Probe this address instead of resolving `host`.
    pub address: Option<IpAddr>,
    /// The largest TTL tried (1–255).
    pub max_ttl: u8,
    /// How long each TTL's probes wait for an answer.
    pub wait: Duration,
    /// TCP connect limit, and the reference handshake's limit.
    pub timeout: Duration,
    /// Send the host name as SNI (never sent for an address).
    pub send_sni: bool,
}

/// Why `locate` could not run at all (anything that happens on the path
/// is data in the record instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocateError {
    /// TTL-limited probing is implemented for Linux only.
    #[error("`locate` is not supported on this OS: it needs Linux's IP_RECVERR error queue")]
    Unsupported,
    /// The host name did not resolve.
    #[error("resolving {host}: {message}")]
    Resolve {
        /// The name.
        host: String,
        /// The resolver's error.
        message: String,
    },
    /// The host is neither an address nor a valid DNS name.
    #[error("{host:?} is not a valid host name or address")]
    BadHost {
        /// The input.
        host: String,
    },
    /// `max_ttl` was 0.
    #[error("--max-ttl must be between 1 and 255")]
    BadMaxTtl,
    /// A UDP probe could not be sent (the socket calls failed).
    #[error("UDP probe with TTL {ttl} to {address}: {message}")]
    Probe {
        /// The TTL.
        ttl: u8,
        /// The target address.
        address: IpAddr,
        /// The system error.
        message: String,
    },
}

/// After the first certificate, UDP probing stops once this many TTLs in a
/// row drew no ICMP error (the rest of the path is silent).
pub(crate) const SILENT_HOPS_AFTER_ANSWER: usize = 3;

/// What the answering hop and the destination hop say together.
pub(crate) fn conclude(answer_hop: Option<u8>, destination_hop: Option<u8>) -> LocateConclusion {
    match (answer_hop, destination_hop) {
        (None, _) => LocateConclusion::NoAnswer,
        (Some(_), None) => LocateConclusion::DestinationUnknown,
        (Some(a), Some(d)) if a < d => LocateConclusion::AnsweredBeforeDestination,
        (Some(_), Some(_)) => LocateConclusion::AnsweredAtDestination,
    }
}

/// Runs the probes and returns the record.
#[cfg(not(target_os = "linux"))]
pub(crate) async fn locate(
    _tls: &ProbeTls,
    _options: &LocateOptions,
) -> Result<LocateRecord, LocateError> {
    Err(LocateError::Unsupported)
}

/// Runs the probes and returns the record.
#[cfg(target_os = "linux")]
pub async fn locate(tls: &ProbeTls, options: &LocateOptions) -> Result<LocateRecord, LocateError> {
    use mitmwatch_core::model::{Hop, TlsAnswerStatus, LOCATE_SCHEMA};
    use rustls::pki_types::ServerName;
    use std::net::SocketAddr;

    if options.max_ttl == 0 {
        return Err(LocateError::BadMaxTtl);
    }
    let started_at = time::OffsetDateTime::now_utc();
    let host = options.host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_string()).map_err(|_| LocateError::BadHost {
        host: options.host.clone(),
    })?;
    let is_address = matches!(name, ServerName::IpAddress(_));
    let address = match options.address {
        Some(a) => a,
        None => resolve(host, options.port).await?,
    };
    let addr = SocketAddr::new(address, options.port);
    let send_sni = options.send_sni && !is_address;
    let times = tls_hop::HopTimes {
        connect: options.timeout,
        answer: options.wait,
    };
    let reference_times = tls_hop::HopTimes {
        connect: options.timeout,
        answer: options.timeout,
    };
    let reference =
        tls_hop::tls_answer(tls, addr, name.clone(), send_sni, None, reference_times).await;

    let mut hops = Vec::new();
    let mut answer_hop = None;
    let mut destination_hop = None;
    let mut silent = 0usize;
    for ttl in 1..=options.max_ttl {
        let wait = options.wait;
        let udp = tokio::task::spawn_blocking(move || icmp::udp_probe(address, ttl, wait));
        let tls_probe = async {
            match answer_hop {
                None => Some(
                    tls_hop::tls_answer(tls, addr, name.clone(), send_sni, Some(ttl), times).await,
                ),
                Some(_) => None,
            }
        };
        let (router, tls_answer) = tokio::join!(udp, tls_probe);
        let router = match router {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return Err(LocateError::Probe {
                    ttl,
                    address,
                    message: e.to_string(),
                })
            }
            Err(e) => {
                return Err(LocateError::Probe {
                    ttl,
                    address,
                    message: format!("probe task failed: {e}"),
                })
            }
        };
        if answer_hop.is_none()
            && tls_answer
                .as_ref()
                .is_some_and(|a| a.status == TlsAnswerStatus::Certificate)
        {
            answer_hop = Some(ttl);
        }
        if destination_hop.is_none() && router.as_ref().is_some_and(|r| r.address == address) {
            destination_hop = Some(ttl);
        }
        silent = if router.is_some() { 0 } else { silent + 1 };
        hops.push(Hop {
            ttl,
            router,
            tls: tls_answer,
        });
        // A ClientHello with more TTL reaches the same host: nothing more to learn.
        if destination_hop.is_some() {
            break;
        }
        if answer_hop.is_some_and(|a| ttl > a) && silent >= SILENT_HOPS_AFTER_ANSWER {
            break;
        }
    }
    let leaf_of = |a: &mitmwatch_core::model::TlsAnswer| a.leaf.as_ref().map(|l| l.sha256);
    let same_as_reference = answer_hop
        .and_then(|a| hops.iter().find(|h| h.ttl == a))
        .and_then(|h| h.tls.as_ref())
        .and_then(leaf_of)
        .zip(leaf_of(&reference))
        .map(|(at_hop, full)| at_hop == full);
    Ok(LocateRecord {
        schema: LOCATE_SCHEMA,
        tool: mitmwatch_core::model::tool_name(),
        host: options.host.clone(),
        port: options.port,
        address,
        started_at,
        max_ttl: options.max_ttl,
        router_method: "udp-recverr".into(),
        reference,
        hops,
        answer_hop,
        destination_hop,
        same_as_reference,
        conclusion: conclude(answer_hop, destination_hop),
    })
}

#[cfg(target_os = "linux")]
async fn resolve(host: &str, port: u16) -> Result<IpAddr, LocateError> {
    let err = |message: String| LocateError::Resolve {
        host: host.to_string(),
        message,
    };
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| err(e.to_string()))?;
    addrs
        .next()
        .map(|a| a.ip())
        .ok_or_else(|| err("no addresses".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conclusion_compares_the_two_distances() {
        assert_eq!(conclude(None, Some(4)), LocateConclusion::NoAnswer);
        assert_eq!(
            conclude(Some(3), None),
            LocateConclusion::DestinationUnknown
        );
        assert_eq!(
            conclude(Some(3), Some(5)),
            LocateConclusion::AnsweredBeforeDestination
        );
        assert_eq!(
            conclude(Some(5), Some(5)),
            LocateConclusion::AnsweredAtDestination
        );
    }
}
