//! `mitmwatch locate`: where on the path a TLS answer comes from. One JSON
//! document per run, versioned by [`LOCATE_SCHEMA`].
//!
//! The method is Censored Planet's CenTrace (used in 2019 to place the
//! Kazakh interception box inside Kazakhtelecom's network): the TCP
//! handshake completes with a normal TTL, then the ClientHello is sent with
//! IP TTL (IPv6 hop limit) 1, 2, …; the smallest TTL at which a certificate
//! comes back is the distance of whatever answered. Routers on the way are
//! named by the ICMP errors that UDP probes with the same TTLs draw.

use super::CertRecord;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

/// Version of the locate record format.
pub const LOCATE_SCHEMA: u32 = 1;

/// One run of `mitmwatch locate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocateRecord {
    /// Always [`LOCATE_SCHEMA`].
    pub schema: u32,
    /// Program name and version that wrote the record.
    pub tool: String,
    /// The host as given (also the SNI, unless it is an address).
    pub host: String,
    /// TCP port of the TLS handshakes.
    pub port: u16,
    /// The address every probe went to.
    pub address: IpAddr,
    /// When the run started (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// The largest TTL tried.
    pub max_ttl: u8,
    /// How routers were identified: `udp-recverr` (UDP probes, ICMP errors
    /// read from the socket's error queue; no privileges).
    pub router_method: String,
    /// The handshake with a normal TTL: what the complete path serves.
    pub reference: TlsAnswer,
    /// One entry per TTL tried, in order.
    pub hops: Vec<Hop>,
    /// The smallest TTL at which a certificate came back, if any did.
    pub answer_hop: Option<u8>,
    /// The smallest TTL at which the UDP probe reached the address itself
    /// (an ICMP error sent by the address), if any did.
    pub destination_hop: Option<u8>,
    /// Whether the certificate at `answer_hop` is the one the reference
    /// handshake got (same leaf SHA-256); `None` when either is missing.
    pub same_as_reference: Option<bool>,
    /// What the hops say together.
    pub conclusion: LocateConclusion,
}

/// What one TTL drew.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hop {
    /// The IP TTL (IPv6 hop limit) of the probes.
    pub ttl: u8,
    /// Who sent an ICMP error for the UDP probe with this TTL, if anyone did.
    pub router: Option<IcmpResponder>,
    /// What the ClientHello sent with this TTL drew. `None` for TTLs past
    /// the first answer, probed with UDP only to find the destination.
    pub tls: Option<TlsAnswer>,
}

/// The sender of an ICMP error, as the kernel reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcmpResponder {
    /// The address the ICMP error came from (the "offender").
    pub address: IpAddr,
    /// `time-exceeded` from a router on the way, `unreachable` from the
    /// end of the path (the address itself, or a filter), or `other`.
    pub kind: IcmpKind,
    /// ICMP (or ICMPv6) type and code as received.
    pub icmp_type: u8,
    /// ICMP code.
    pub icmp_code: u8,
}

/// Kinds of ICMP error a probe can draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IcmpKind {
    /// The TTL ran out at this router.
    TimeExceeded,
    /// Destination (port, host, network or administratively) unreachable.
    Unreachable,
    /// Anything else the error queue held.
    Other,
}

/// What a ClientHello drew: a certificate, silence, or an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsAnswer {
    /// `certificate`, `no-answer` (nothing within the time limit: the
    /// ClientHello most likely died on the way) or `failed`.
    pub status: TlsAnswerStatus,
    /// The leaf certificate that came back (raw certificate text: escape
    /// before display).
    pub leaf: Option<CertRecord>,
    /// How many certificates the chain held.
    pub chain_len: usize,
    /// Whether stock verification against the trust store accepted the chain.
    pub verified: Option<bool>,
    /// The error, for `failed` (and stock verification's complaint, if any).
    pub error: Option<String>,
    /// Milliseconds from sending the ClientHello to the answer (or giving up).
    pub elapsed_ms: u64,
}

/// The closed set of TLS answer statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsAnswerStatus {
    /// A certificate came back.
    Certificate,
    /// Nothing came back in time.
    NoAnswer,
    /// Connecting or the handshake failed before a certificate came back
    /// (refused, reset, a TLS alert).
    Failed,
}

/// What the hops say together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocateConclusion {
    /// A certificate came back from fewer hops than the UDP probes needed
    /// to reach the address: a device on the path answers for it. Where
    /// that certificate is not the reference one, or does not verify, the
    /// device is most likely an interceptor.
    AnsweredBeforeDestination,
    /// The first certificate came back from the hop at which the UDP probes
    /// reached the address: the address itself answered (or a device that
    /// also answers UDP for it).
    AnsweredAtDestination,
    /// A certificate came back, but the UDP probes never reached the
    /// address (filtered), so the answering hop cannot be compared with it.
    DestinationUnknown,
    /// No certificate came back within the TTLs tried.
    NoAnswer,
}
