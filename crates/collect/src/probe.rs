//! One handshake against one target, turned into one [`Observation`].
//! Every path out of [`Collector::probe`] yields a record with a status from
//! the closed set; nothing here panics on what a server sends.

use super::danger::{MAX_CHAIN_CERTS, MAX_HANDSHAKE_MESSAGE_BYTES};
use super::limits::AddressLimiter;
use super::proxy::{Proxy, ProxyKind, ProxySettings};
use super::route::{Destination, Router};
use super::tls_config::ProbeTls;
use mitmwatch_core::certinfo::cert_record;
use mitmwatch_core::model::{
    tool_name, Observation, StartTls, Status, Target, TlsParams, OBSERVATION_SCHEMA,
};
use rustls::pki_types::ServerName;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Time limits for one probe.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// DNS resolution plus TCP connect; through a proxy, the same again
    /// for the proxy's answer to the tunnel request.
    pub connect: Duration,
    /// TLS handshake, from connect to Finished; with `--starttls`, the
    /// plaintext exchange before it has a window of the same length.
    pub handshake: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            handshake: Duration::from_secs(10),
        }
    }
}

/// Everything a probe needs; cheap to share between tasks.
#[derive(Clone, Debug)]
pub struct Collector {
    tls: ProbeTls,
    router: Router,
    timeouts: Timeouts,
    per_address: Option<Arc<AddressLimiter>>,
    aia: Option<super::aia::AiaFetcher>,
    proxy: ProxySettings,
    starttls: Option<StartTls>,
}

struct Failure {
    status: Status,
    message: String,
}

impl Failure {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }
}

impl Collector {
    /// A collector with the given TLS setup, overrides and timeouts.
    pub fn new(tls: ProbeTls, router: Router, timeouts: Timeouts) -> Self {
        Collector {
            tls,
            router,
            timeouts,
            per_address: None,
            aia: None,
            proxy: ProxySettings::direct(),
            starttls: None,
        }
    }

    /// Goes through the proxy `settings` name for each target (see
    /// `super::proxy`); the default is direct.
    pub fn with_proxy(mut self, settings: ProxySettings) -> Self {
        self.proxy = settings;
        self
    }

    /// The proxy settings in force.
    pub fn proxy_settings(&self) -> &ProxySettings {
        &self.proxy
    }

    /// Speaks `proto` before TLS (see `super::starttls`).
    pub fn with_starttls(mut self, proto: Option<StartTls>) -> Self {
        self.starttls = proto;
        self
    }

    /// Fetches missing issuers from AIA caIssuers URLs when the served chain
    /// does not reach the trust store (see `super::aia`). Off unless set.
    pub fn with_aia(mut self, limits: super::aia::AiaLimits) -> Self {
        self.aia = Some(super::aia::AiaFetcher::new(limits));
        self
    }

    /// Allows at most `limit` simultaneous connections to any one address.
    pub fn with_per_address_limit(mut self, limit: usize) -> Self {
        self.per_address = Some(Arc::new(AddressLimiter::new(limit)));
        self
    }

    /// Connects, handshakes, records and closes. Never fails: errors are
    /// data in the returned observation.
    pub async fn probe(&self, target: &Target) -> Observation {
        let dest = self.router.destination(&target.host, target.port);
        self.probe_destination(target, dest).await
    }

    /// Like [`Collector::probe`], but connects to `addr` whatever the
    /// routing rules and DNS say, so that two handshakes (a target and a
    /// control name, say) reach the same server. The record's `route` says so.
    pub async fn probe_at(&self, target: &Target, addr: SocketAddr) -> Observation {
        let dest = Destination {
            host: addr.ip().to_string(),
            port: addr.port(),
            fixed: Some(vec![addr]),
            route: Some(format!("same address {addr}")),
        };
        self.probe_destination(target, dest).await
    }

    async fn probe_destination(&self, target: &Target, dest: Destination) -> Observation {
        let started_at = OffsetDateTime::now_utc();
        let clock = Instant::now();
        let mut incomplete = None;
        let mut obs = Observation {
            schema: OBSERVATION_SCHEMA,
            tool: tool_name(),
            target: target.clone(),
            address: None,
            route: dest.route.clone(),
            started_at,
            duration_ms: 0.0,
            status: Status::Ok,
            failure: None,
            tls: None,
            chain: Vec::new(),
            stock_verification: None,
            imported: None,
            fetched_issuers: Vec::new(),
            proxy: None,
            starttls: self.starttls,
        };
        let proxy = self.proxy.for_host(&target.host).cloned();
        obs.proxy = proxy.as_ref().map(|p| p.to_string());
        let result = match proxy {
            Some(proxy) => {
                self.via_proxy(&proxy, &dest, target, &mut obs, &mut incomplete)
                    .await
            }
            None => self.direct(&dest, target, &mut obs, &mut incomplete).await,
        };
        if let Err(f) = result {
            obs.status = f.status;
            obs.failure = Some(f.message);
        }
        obs.duration_ms = (clock.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        // After the connection is closed, and outside `duration_ms`.
        if let (Some(fetcher), Some(chain)) = (&self.aia, incomplete) {
            obs.fetched_issuers = self.fetch_issuers(fetcher, target, &chain).await;
        }
        obs
    }

    async fn direct(
        &self,
        dest: &Destination,
        target: &Target,
        obs: &mut Observation,
        incomplete: &mut Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
    ) -> Result<(), Failure> {
        match self
            .resolve(dest, tokio::time::Instant::now() + self.timeouts.connect)
            .await
        {
            Err(f) => Err(f),
            Ok(addrs) => {
                // The per-address slot is taken before the connect timeout starts.
                let _slot = match (&self.per_address, addrs.first()) {
                    (Some(limiter), Some(first)) => Some(limiter.acquire(first.ip()).await),
                    _ => None,
                };
                let deadline = tokio::time::Instant::now() + self.timeouts.connect;
                match self.connect(addrs, deadline).await {
                    Ok((tcp, addr)) => {
                        obs.address = Some(addr.to_string());
                        self.upgrade(target, tcp, obs, incomplete).await
                    }
                    Err(f) => Err(f),
                }
            }
        }
    }

    /// Connects to `proxy`, asks it for a tunnel to `dest` (the address
    /// `--resolve` fixed, if any, else the name), then goes on as direct.
    async fn via_proxy(
        &self,
        proxy: &Proxy,
        dest: &Destination,
        target: &Target,
        obs: &mut Observation,
        incomplete: &mut Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
    ) -> Result<(), Failure> {
        let about_proxy =
            |f: Failure| Failure::new(f.status, format!("proxy {proxy}: {}", f.message));
        let deadline = tokio::time::Instant::now() + self.timeouts.connect;
        let at_proxy = Destination {
            host: proxy.host.clone(),
            port: proxy.port,
            fixed: None,
            route: None,
        };
        let addrs = self
            .resolve(&at_proxy, deadline)
            .await
            .map_err(about_proxy)?;
        let (mut tcp, addr) = self.connect(addrs, deadline).await.map_err(about_proxy)?;
        obs.address = Some(addr.to_string());
        let (host, mut resolved) = match dest.fixed.as_ref().and_then(|f| f.first()) {
            Some(fixed) => (fixed.ip().to_string(), Some(fixed.ip())),
            None => (dest.host.clone(), dest.host.parse::<IpAddr>().ok()),
        };
        let deadline = tokio::time::Instant::now() + self.timeouts.connect;
        if proxy.kind == ProxyKind::Socks5 && resolved.is_none() {
            // socks5:// resolves the name here (socks5h:// at the proxy).
            let addrs = self.resolve(dest, deadline).await?;
            resolved = addrs.first().map(|a| a.ip());
        }
        match tokio::time::timeout_at(
            deadline,
            super::tunnel::open(&mut tcp, proxy, &host, dest.port, resolved),
        )
        .await
        {
            Err(_) => Err(Failure::new(
                Status::ProxyFailed,
                format!(
                    "the proxy {proxy} did not open a tunnel to {} within {:?}",
                    Target::new(host, dest.port),
                    self.timeouts.connect
                ),
            )),
            Ok(Err(message)) => Err(Failure::new(Status::ProxyFailed, message)),
            Ok(Ok(())) => self.upgrade(target, tcp, obs, incomplete).await,
        }
    }

    /// The plaintext exchange of `--starttls`, if any, then the handshake.
    async fn upgrade(
        &self,
        target: &Target,
        mut tcp: TcpStream,
        obs: &mut Observation,
        incomplete: &mut Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
    ) -> Result<(), Failure> {
        if let Some(proto) = self.starttls {
            let exchange = super::starttls::negotiate(&mut tcp, proto, target.expected_name());
            match tokio::time::timeout(self.timeouts.handshake, exchange).await {
                Err(_) => {
                    return Err(Failure::new(
                        Status::StarttlsFailed,
                        format!(
                            "{}: the server did not get to TLS within {:?}",
                            proto.as_str(),
                            self.timeouts.handshake
                        ),
                    ))
                }
                Ok(Err(message)) => return Err(Failure::new(Status::StarttlsFailed, message)),
                Ok(Ok(())) => {}
            }
        }
        self.handshake(target, tcp, obs, incomplete).await
    }

    /// AIA chain completion for a chain that stock verification could not
    /// lead to an anchor.
    async fn fetch_issuers(
        &self,
        fetcher: &super::aia::AiaFetcher,
        target: &Target,
        chain: &[rustls::pki_types::CertificateDer<'static>],
    ) -> Vec<mitmwatch_core::model::FetchedIssuer> {
        let (Some(leaf), Ok(name)) = (
            chain.first(),
            ServerName::try_from(target.expected_name().to_string()),
        ) else {
            return Vec::new();
        };
        fetcher
            .complete(chain, |candidates| {
                self.tls.reaches_anchor(leaf, candidates, &name)
            })
            .await
    }

    async fn resolve(
        &self,
        dest: &Destination,
        deadline: tokio::time::Instant,
    ) -> Result<Vec<SocketAddr>, Failure> {
        if let Some(fixed) = &dest.fixed {
            return Ok(fixed.clone());
        }
        if let Ok(ip) = dest.host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, dest.port)]);
        }
        // tokio runs getaddrinfo on its blocking pool: the runtime is not blocked.
        match tokio::time::timeout_at(
            deadline,
            tokio::net::lookup_host((dest.host.as_str(), dest.port)),
        )
        .await
        {
            Err(_) => Err(Failure::new(
                Status::DnsFailed,
                format!("resolving {} timed out", dest.host),
            )),
            Ok(Err(e)) => Err(Failure::new(
                Status::DnsFailed,
                format!("cannot resolve {}: {e}", dest.host),
            )),
            Ok(Ok(addrs)) => {
                let addrs: Vec<SocketAddr> = addrs.collect();
                if addrs.is_empty() {
                    Err(Failure::new(
                        Status::DnsFailed,
                        format!("{} has no addresses", dest.host),
                    ))
                } else {
                    Ok(addrs)
                }
            }
        }
    }

    async fn connect(
        &self,
        addrs: Vec<SocketAddr>,
        deadline: tokio::time::Instant,
    ) -> Result<(TcpStream, SocketAddr), Failure> {
        let mut last = None;
        for addr in addrs {
            match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
                Err(_) => {
                    return Err(Failure::new(
                        Status::ConnectTimeout,
                        format!(
                            "no TCP connection to {addr} within {:?}",
                            self.timeouts.connect
                        ),
                    ))
                }
                Ok(Ok(tcp)) => {
                    let _ = tcp.set_nodelay(true);
                    return Ok((tcp, addr));
                }
                Ok(Err(e)) => last = Some((addr, e)),
            }
        }
        let (addr, e) = last.expect("resolve returns at least one address");
        let status = if e.kind() == io::ErrorKind::ConnectionRefused {
            Status::ConnectRefused
        } else {
            Status::ConnectFailed
        };
        Err(Failure::new(status, format!("connecting to {addr}: {e}")))
    }

    async fn handshake(
        &self,
        target: &Target,
        tcp: TcpStream,
        obs: &mut Observation,
        incomplete: &mut Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
    ) -> Result<(), Failure> {
        let name_text = target.expected_name().to_string();
        let server_name = match ServerName::try_from(name_text.clone()) {
            Ok(n) => n,
            Err(e) => {
                return Err(Failure::new(
                    Status::ProtocolError,
                    format!("{name_text:?} cannot be sent as a server name: {e}"),
                ))
            }
        };
        let (config, verifier) = self.tls.config_for_probe(target.sni.is_some());
        let connector = tokio_rustls::TlsConnector::from(config);
        let outcome =
            tokio::time::timeout(self.timeouts.handshake, connector.connect(server_name, tcp))
                .await;
        // The chain is recorded by the verifier even when the handshake failed later.
        let mut cut_at = None;
        if let Some(record) = verifier.take_record() {
            obs.chain = record.certs.iter().map(|c| cert_record(c)).collect();
            obs.stock_verification = Some(record.stock);
            if record.unknown_issuer && self.aia.is_some() {
                *incomplete = Some(record.certs.clone());
            }
            if record.sent > record.certs.len() {
                cut_at = Some(record.sent);
            }
        }
        if let Some(sent) = cut_at {
            return Err(Failure::new(
                Status::ProtocolError,
                format!(
                    "the server sent {sent} certificates; mitmwatch records at most {MAX_CHAIN_CERTS}: \
                     the first {MAX_CHAIN_CERTS} are kept and the handshake was abandoned"
                ),
            ));
        }
        match outcome {
            Err(_) => Err(Failure::new(
                Status::HandshakeTimeout,
                format!(
                    "TLS handshake not finished within {:?}",
                    self.timeouts.handshake
                ),
            )),
            Ok(Err(e)) => Err(classify_handshake_error(&e)),
            Ok(Ok(mut tls)) => {
                let (_, conn) = tls.get_ref();
                obs.tls = Some(TlsParams {
                    version: conn
                        .protocol_version()
                        .map(version_name)
                        .unwrap_or_else(|| "unknown".into()),
                    cipher_suite: conn
                        .negotiated_cipher_suite()
                        .map(|s| format!("{:?}", s.suite()))
                        .unwrap_or_else(|| "unknown".into()),
                    kx_group: conn
                        .negotiated_key_exchange_group()
                        .map(|g| format!("{:?}", g.name())),
                    alpn: conn
                        .alpn_protocol()
                        .map(|p| String::from_utf8_lossy(p).into_owned()),
                });
                // No application data: send close_notify and go.
                let _ = tokio::time::timeout(Duration::from_secs(1), tls.shutdown()).await;
                Ok(())
            }
        }
    }
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

/// What the probe says when rustls refuses an over-long handshake message.
fn too_large() -> Failure {
    Failure::new(
        Status::ProtocolError,
        format!(
            "the server sent a handshake message larger than {} KiB, rustls' limit \
             (a certificate chain that large cannot be recorded)",
            (MAX_HANDSHAKE_MESSAGE_BYTES + 1) / 1024
        ),
    )
}

fn classify_handshake_error(e: &io::Error) -> Failure {
    if let Some(tls_err) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match tls_err {
            rustls::Error::AlertReceived(alert) => Failure::new(
                Status::TlsAlert,
                format!("the server sent a TLS alert: {alert:?}"),
            ),
            rustls::Error::InvalidMessage(rustls::InvalidMessage::HandshakePayloadTooLarge) => {
                too_large()
            }
            rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13,
            ) => Failure::new(
                Status::ProtocolError,
                "the server answered with TLS 1.1 or older (mitmwatch speaks TLS 1.2 and 1.3)",
            ),
            other => Failure::new(
                Status::ProtocolError,
                format!("TLS protocol error: {other}"),
            ),
        };
    }
    // rustls reports a handshake message just over its limit as a full
    // buffer rather than HandshakePayloadTooLarge (rustls issue #3176).
    if e.kind() == io::ErrorKind::InvalidData && e.to_string().contains("message buffer full") {
        return too_large();
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Failure::new(
            Status::IoError,
            "the server closed the connection during the handshake",
        ),
        io::ErrorKind::ConnectionReset => Failure::new(
            Status::IoError,
            "the connection was reset during the handshake",
        ),
        _ => Failure::new(Status::IoError, format!("during the handshake: {e}")),
    }
}
