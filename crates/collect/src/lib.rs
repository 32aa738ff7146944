//! mitmwatch-collect: the handshake collector, the only code of mitmwatch
//! that opens sockets to targets. It records what servers send and never
//! judges it; see `mitmwatch_core::analyze` for that. Besides the dialing
//! (proxies, STARTTLS, AIA fetches, `locate`, and [`danger`] with the
//! recording verifier) it holds the batch plumbing ([`batch`]) and the
//! downloads of `mitmwatch update` ([`update`]).
#![forbid(unsafe_code)]

pub mod aia;
pub mod batch;
pub mod check;
pub mod danger;
pub(crate) mod limits;
pub mod locate;
pub mod probe;
pub(crate) mod proxy;
pub(crate) mod route;
pub mod scan;
pub(crate) mod starttls;
pub(crate) mod tls_config;
pub(crate) mod tunnel;
pub mod update;

pub use aia::{AiaFetcher, AiaLimits};
pub use probe::{Collector, Timeouts};
pub use proxy::{Proxy, ProxyFlags, ProxySettingError, ProxySettings};
pub use route::{ConnectTo, Resolve, RouteSpecError, Router};
pub use scan::{collect_all, scan, scan_with, ScanOptions};
pub use tls_config::ProbeTls;
