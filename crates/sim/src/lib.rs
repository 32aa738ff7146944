//! mitmwatch-sim: an in-process simulation of an intercepted network on
//! loopback, used by `demo`, `sim` and the tests. Nothing here can reach
//! the internet.
//!
//! * an origin server that answers for any name with a genuine-looking
//!   certificate from a simulated public PKI generated at start, carrying
//!   SCTs from simulated CT logs ([`ct_logs`]);
//! * an interception box in front of it that, like Kazakhtelecom's in 2019,
//!   re-signs connections whose SNI is on its target list with forged
//!   leaves chained to `C=KZ, CN=Qaznet Trust Network` (a synthetic key with
//!   the real name) and passes everything else through untouched.
//!
//! The box intercepts always, or only during a window of time
//! ([`schedule`]: `sim --intercept-from 5s --intercept-for 10s`), or as a
//! test flips it ([`SimNetwork::switch`]).
//!
//! Clients reach the "intercepted path" by connecting to the box's address
//! for every name (`--connect-to ::127.0.0.1:PORT`), or the origin directly.

#![forbid(unsafe_code)]

pub mod ct_logs;
pub mod error;
pub(crate) mod interceptor;
pub(crate) mod origin;
pub mod pki;
pub(crate) mod replay;
pub mod schedule;

use error::SimError;
use mitmwatch_collect::ConnectTo;
use mitmwatch_core::analysis_data::domains::DomainList;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::encoding::pem_encode;
use pki::{InterceptorPki, PublicPki};
use rustls::RootCertStore;
use schedule::{InterceptSwitch, InterceptWindow};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How to lay out the simulated network.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Address to listen on (loopback by default).
    pub bind: IpAddr,
    /// Port of the origin server, 0 for any free port.
    pub origin_port: u16,
    /// Port of the interception box, 0 for any free port.
    pub interceptor_port: u16,
    /// SNI values the box intercepts.
    pub intercepted: HashSet<String>,
    /// When the box intercepts, from the start: `None` for always.
    pub window: Option<InterceptWindow>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            origin_port: 0,
            interceptor_port: 0,
            intercepted: DomainList::Kz2019.names().into_iter().collect(),
            window: None,
        }
    }
}

/// A running simulated network. Dropping it stops the servers.
pub struct SimNetwork {
    /// Where the origin listens (genuine certificates for every name).
    pub origin: SocketAddr,
    /// Where the interception box listens.
    pub interceptor: SocketAddr,
    /// The simulated public root (trust it to see genuine chains as valid).
    pub(crate) public_root: rustls::pki_types::CertificateDer<'static>,
    /// The box's root, `C=KZ, CN=Qaznet Trust Network` with a synthetic key.
    pub interceptor_root: rustls::pki_types::CertificateDer<'static>,
    /// The box's intermediate, `C=KZ, CN=Security Certificate`.
    pub interceptor_intermediate: rustls::pki_types::CertificateDer<'static>,
    /// Names the box intercepts.
    pub intercepted: HashSet<String>,
    /// The simulated CT logs, as a log list (the genuine leaves' SCTs
    /// verify with it).
    pub ct_log_list: mitmwatch_core::ct::LogList,
    switch: Arc<InterceptSwitch>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimNetwork {
    /// Generates the PKIs and starts both servers.
    pub async fn start(config: SimConfig) -> Result<Self, SimError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let public = Arc::new(PublicPki::generate(provider.clone())?);
        let boxpki = Arc::new(InterceptorPki::generate(provider.clone())?);

        let origin_listener =
            TcpListener::bind(SocketAddr::new(config.bind, config.origin_port)).await?;
        let origin = origin_listener.local_addr()?;
        let box_listener =
            TcpListener::bind(SocketAddr::new(config.bind, config.interceptor_port)).await?;
        let interceptor = box_listener.local_addr()?;

        let mut upstream_roots = RootCertStore::empty();
        upstream_roots.add(public.root.der.clone())?;
        let origin_task = origin::spawn_origin(
            origin_listener,
            origin::origin_config(public.clone(), provider.clone()),
        );
        let switch = Arc::new(InterceptSwitch::new(config.window));
        let box_task = interceptor::Interceptor::new(
            boxpki.clone(),
            config.intercepted.clone(),
            switch.clone(),
            origin,
            upstream_roots,
            provider,
        )
        .spawn(box_listener);

        Ok(SimNetwork {
            origin,
            interceptor,
            public_root: public.root.der.clone(),
            interceptor_root: boxpki.root.der.clone(),
            interceptor_intermediate: boxpki.intermediate.der.clone(),
            intercepted: config.intercepted,
            ct_log_list: public.ct_logs.log_list().clone(),
            switch,
            tasks: vec![origin_task, box_task],
        })
    }

    /// The control of the box's interception: whether it intercepts now,
    /// and a way for a test to turn it on or off.
    pub fn switch(&self) -> Arc<InterceptSwitch> {
        self.switch.clone()
    }

    /// The simulated public root as PEM.
    pub fn public_root_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.public_root)
    }

    /// Pin data in which the built-in pinned hosts are pinned to the
    /// simulated public root (see `mitmwatch_core::analysis_data::static_pins::pins_json_for_simulation`).
    pub fn pins_json(&self) -> String {
        let spki = x509_parser::parse_x509_certificate(&self.public_root)
            .map(|(_, c)| mitmwatch_core::model::Fingerprint::of(c.public_key().raw))
            .expect("the simulated root parses");
        mitmwatch_core::analysis_data::static_pins::pins_json_for_simulation(
            "MitmwatchSimPublicRootR1",
            &spki,
        )
    }

    /// The pins of [`SimNetwork::pins_json`], loaded.
    pub fn pins(&self) -> mitmwatch_core::analysis_data::static_pins::PinStore {
        mitmwatch_core::analysis_data::static_pins::PinStore::from_json(&self.pins_json())
            .expect("derived from valid built-in data")
    }

    /// The simulated CT logs as a log list in Chrome's v3 format.
    pub fn ct_log_list_json(&self) -> String {
        self.ct_log_list.to_json()
    }

    /// A trust store holding only the simulated public root.
    pub fn trust_store(&self) -> TrustStore {
        TrustStore::from_pem(self.public_root_pem().as_bytes(), "simulated public root")
            .expect("a freshly generated root is a valid anchor")
    }

    /// `--connect-to` rule sending every name through the box.
    pub fn via_interceptor(&self) -> ConnectTo {
        ConnectTo::parse(&format!(
            "::{}:{}",
            bracket(self.interceptor.ip()),
            self.interceptor.port()
        ))
        .expect("a socket address makes a valid rule")
    }

    /// `--connect-to` rule sending every name straight to the origin.
    pub fn direct_to_origin(&self) -> ConnectTo {
        ConnectTo::parse(&format!(
            "::{}:{}",
            bracket(self.origin.ip()),
            self.origin.port()
        ))
        .expect("a socket address makes a valid rule")
    }
}

fn bracket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

impl Drop for SimNetwork {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
