//! One handshake attempt: the unit the collector produces.
//!
//! An [`Observation`] is one TLS handshake attempt against one [`Target`]:
//! what was sent, what came back, and what stock verification said. It is
//! written as one JSON object per line (JSON Lines) and is versioned by
//! [`OBSERVATION_SCHEMA`]. docs/formats.md documents every field; the test
//! `tests/observation_schema.rs` re-declares the schema with
//! `deny_unknown_fields` so that a change here cannot go unnoticed.

use super::Fingerprint;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// Version of the observation format. Bump on any incompatible change.
pub const OBSERVATION_SCHEMA: u32 = 1;

/// The most certificates of one chain that are recorded (by the collector)
/// and judged (by the analyzer). Real chains have two to five; servers that
/// send their whole CA bundle stay well below this.
pub const MAX_CHAIN_CERTS: usize = 64;

/// What to connect to: a host name (or IP literal), a port and the SNI to
/// send. `sni` is `None` when no server_name extension is sent at all.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Server name sent in the ClientHello, or `None` for no SNI.
    pub sni: Option<String>,
}

impl Target {
    /// A target whose SNI is its host name (none for IP literals, as TLS
    /// clients do not send IP addresses in SNI).
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        let host = host.into();
        let sni = if host.parse::<std::net::IpAddr>().is_ok() {
            None
        } else {
            Some(host.clone())
        };
        Target { host, port, sni }
    }

    /// The name the certificate is expected to cover: the SNI if one was
    /// sent, else the host.
    pub fn expected_name(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.host)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        match &self.sni {
            Some(sni) if *sni != self.host => write!(f, " (sni {sni})"),
            Some(_) => Ok(()),
            None if self.host.parse::<std::net::IpAddr>().is_ok() => Ok(()),
            None => write!(f, " (no sni)"),
        }
    }
}

/// How a handshake attempt ended. The set is closed: every attempt gets
/// exactly one of these, so a batch never loses a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The handshake completed.
    Ok,
    /// The host name did not resolve.
    DnsFailed,
    /// The TCP connection was actively refused (RST).
    ConnectRefused,
    /// The TCP connection did not complete within the connect timeout.
    ConnectTimeout,
    /// The TCP connection failed otherwise (unreachable network, …).
    ConnectFailed,
    /// TCP connected but the TLS handshake did not finish in time.
    HandshakeTimeout,
    /// The peer sent a TLS alert instead of completing the handshake.
    TlsAlert,
    /// The peer sent something that is not valid TLS, or broke the protocol.
    ProtocolError,
    /// The connection broke (reset, closed early) during the handshake.
    IoError,
    /// The explicit proxy (`--proxy`, `HTTPS_PROXY`) was reached but did
    /// not open a tunnel: it refused CONNECT (403, 407, 502 …), answered
    /// with something that is not an HTTP or SOCKS reply (TLS, say), sent
    /// oversized headers, or did not answer in time.
    ProxyFailed,
    /// The plaintext exchange before TLS (`--starttls`) did not reach the
    /// point where TLS starts: no or oversized greeting, STARTTLS refused or
    /// not offered, or no answer in time.
    StarttlsFailed,
}

impl Status {
    /// Every status, in documentation order.
    pub const ALL: [Status; 11] = [
        Status::Ok,
        Status::DnsFailed,
        Status::ConnectRefused,
        Status::ConnectTimeout,
        Status::ConnectFailed,
        Status::HandshakeTimeout,
        Status::TlsAlert,
        Status::ProtocolError,
        Status::IoError,
        Status::ProxyFailed,
        Status::StarttlsFailed,
    ];

    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::DnsFailed => "dns-failed",
            Status::ConnectRefused => "connect-refused",
            Status::ConnectTimeout => "connect-timeout",
            Status::ConnectFailed => "connect-failed",
            Status::HandshakeTimeout => "handshake-timeout",
            Status::TlsAlert => "tls-alert",
            Status::ProtocolError => "protocol-error",
            Status::IoError => "io-error",
            Status::ProxyFailed => "proxy-failed",
            Status::StarttlsFailed => "starttls-failed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parameters the handshake negotiated. Present only when it completed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsParams {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: String,
    /// IANA-style suite name, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// Key-exchange group, e.g. `X25519`, when known.
    pub kx_group: Option<String>,
    /// Negotiated ALPN protocol, e.g. `h2`, if any.
    pub alpn: Option<String>,
}

/// One certificate exactly as the server sent it, with the values an analyst
/// looks up first. `der` is authoritative; the other fields are derived from
/// it and are absent when the DER does not parse (`parse_error` says why).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertRecord {
    /// The certificate, DER, standard base64.
    pub der: String,
    /// SHA-256 of the DER certificate, lowercase hex (as `openssl x509
    /// -fingerprint -sha256`, without colons).
    pub sha256: Fingerprint,
    /// SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex (the value
    /// browsers pin and block).
    pub spki_sha256: Option<Fingerprint>,
    /// Subject DN as `CN=…, O=…` (raw text from the certificate: escape it
    /// before showing it on a terminal or in HTML).
    pub subject: Option<String>,
    /// Issuer DN, same form.
    pub issuer: Option<String>,
    /// Serial number, lowercase hex.
    pub serial: Option<String>,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_before: Option<OffsetDateTime>,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    /// Why the DER could not be parsed, if it could not.
    pub parse_error: Option<String>,
}

/// What stock verification (rustls' webpki verifier, with the configured
/// trust store, at collection time) said about the served chain. Recorded,
/// never enforced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockVerification {
    /// Which trust store was used, e.g. `webpki-roots (Mozilla, 1xx roots)`.
    pub trust_store: String,
    /// `true` when the chain verified for the expected name.
    pub ok: bool,
    /// The verifier's error when it did not.
    pub error: Option<String>,
}

/// One handshake attempt against one target: the unit of collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// Format version, [`OBSERVATION_SCHEMA`].
    pub schema: u32,
    /// The program that made the record, e.g. `mitmwatch 0.1.0`.
    pub tool: String,
    /// What was probed.
    pub target: Target,
    /// The address actually connected to (`ip:port`), when a connection was
    /// attempted.
    pub address: Option<String>,
    /// How the address was chosen when not by plain DNS, e.g.
    /// `connect-to ::127.0.0.1:4443` or `resolve example.com:443:127.0.0.1`.
    pub route: Option<String>,
    /// When the attempt started (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// Wall time of the whole attempt in milliseconds.
    pub duration_ms: f64,
    /// How it ended.
    pub status: Status,
    /// A human-readable reason when `status` is not `ok`.
    pub failure: Option<String>,
    /// Negotiated parameters, when the handshake completed.
    pub tls: Option<TlsParams>,
    /// The certificates the server sent, leaf first, in the order sent. Kept
    /// even when the handshake failed after the Certificate message.
    pub chain: Vec<CertRecord>,
    /// Stock verification's opinion, when a chain was received.
    pub stock_verification: Option<StockVerification>,
    /// Where the record came from when it was imported from another tool's
    /// data (`analyze --from ooni`); absent for mitmwatch's own handshakes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
    /// Issuers fetched from AIA caIssuers URLs at collection time because
    /// the served chain did not reach the scan's trust store (see
    /// `mitmwatch_collect`'s `aia` module). Kept apart from `chain`, which stays
    /// exactly what the server sent. Absent when nothing was fetched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetched_issuers: Vec<FetchedIssuer>,
    /// The explicit proxy the connection went through, as a URL without
    /// credentials (`http://proxy.example:3128`); absent for a direct
    /// connection. `address` is then the proxy's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// The plaintext protocol spoken before TLS (`--starttls`); absent when
    /// TLS started at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<StartTls>,
}

/// A plaintext protocol that upgrades to TLS in-band (`--starttls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartTls {
    /// SMTP `STARTTLS` (RFC 3207).
    Smtp,
    /// IMAP `STARTTLS` (RFC 3501).
    Imap,
    /// POP3 `STLS` (RFC 2595).
    Pop3,
    /// XMPP `<starttls/>` (RFC 6120), client-to-server stream.
    Xmpp,
    /// FTP `AUTH TLS` (RFC 4217).
    Ftp,
    /// PostgreSQL `SSLRequest`.
    Postgres,
}

impl StartTls {
    /// Every protocol, in documentation order.
    pub const ALL: [StartTls; 6] = [
        StartTls::Smtp,
        StartTls::Imap,
        StartTls::Pop3,
        StartTls::Xmpp,
        StartTls::Ftp,
        StartTls::Postgres,
    ];

    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            StartTls::Smtp => "smtp",
            StartTls::Imap => "imap",
            StartTls::Pop3 => "pop3",
            StartTls::Xmpp => "xmpp",
            StartTls::Ftp => "ftp",
            StartTls::Postgres => "postgres",
        }
    }
}

impl std::str::FromStr for StartTls {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        StartTls::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown STARTTLS protocol {s:?} (smtp, imap, pop3, xmpp, ftp or postgres)")
            })
    }
}

/// One attempt to fetch a missing issuer from an AIA caIssuers URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchedIssuer {
    /// The URL, as written in the certificate (untrusted text).
    pub url: String,
    /// SHA-256 (hex) of the certificate whose AIA extension named the URL.
    pub for_cert: Fingerprint,
    /// How the attempt ended.
    pub outcome: FetchOutcome,
    /// Details for a human: the HTTP status, the error, the reason a URL
    /// was skipped, the redirects followed.
    pub detail: Option<String>,
    /// The certificates the response held (DER, PEM or PKCS#7 certs-only),
    /// in the form of [`Observation::chain`]. Empty unless `outcome` is `ok`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertRecord>,
}

/// How one AIA fetch ended. The set is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchOutcome {
    /// The response held at least one certificate.
    Ok,
    /// The URL (or a redirect's target) was not followed: not `http://`
    /// (https, ldap, …), or not a valid URL. `detail` says which.
    SkippedScheme,
    /// Not fetched: the observation's fetch budget was spent.
    SkippedLimit,
    /// The server answered with an HTTP error status, or the connection failed.
    HttpError,
    /// No complete answer within the time limit.
    Timeout,
    /// The response was larger than the size limit.
    TooLarge,
    /// More redirects than allowed.
    TooManyRedirects,
    /// The response held no certificate in any accepted form.
    NotACertificate,
}

impl FetchOutcome {
    /// Every outcome, in documentation order.
    pub const ALL: [FetchOutcome; 8] = [
        FetchOutcome::Ok,
        FetchOutcome::SkippedScheme,
        FetchOutcome::SkippedLimit,
        FetchOutcome::HttpError,
        FetchOutcome::Timeout,
        FetchOutcome::TooLarge,
        FetchOutcome::TooManyRedirects,
        FetchOutcome::NotACertificate,
    ];
}

/// Provenance of an observation made by another tool and converted by an
/// importer ([`crate::import`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imported {
    /// The input format: `ooni` or `pem-dir`.
    pub(crate) format: String,
    /// Where in the source: for OONI the measurement's `report_id`,
    /// `input` and handshake index; for a PEM directory the file name.
    pub reference: String,
    /// The recorder kept only one certificate of the chain the server sent
    /// (OONI does when its own verification fails), so the CA certificates
    /// above it are missing from `chain` through no fault of the server.
    pub leaf_only: bool,
}
