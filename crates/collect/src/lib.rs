//! The handshake collector: the only code that opens sockets to targets.
//! It records what servers send and never judges it; see `analyze` for that.

pub(crate) mod aia;
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

pub use aia::{AiaFetcher, AiaLimits};
pub use probe::{Collector, Timeouts};
pub use proxy::{Proxy, ProxyFlags, ProxySettingError, ProxySettings};
pub use route::{ConnectTo, Resolve, RouteSpecError, Router};
pub use scan::{scan, scan_with, ScanOptions};
pub use tls_config::ProbeTls;
