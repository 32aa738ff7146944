//! The handshake collector: the only code that opens sockets to targets.
//! It records what servers send and never judges it; see `analyze` for that.

pub mod aia;
pub mod danger;
pub mod limits;
pub mod locate;
pub mod probe;
pub mod proxy;
pub mod route;
pub mod scan;
pub mod starttls;
pub mod tls_config;
pub mod tunnel;

pub use aia::{AiaFetcher, AiaLimits};
pub use probe::{Collector, Timeouts};
pub use proxy::{Proxy, ProxyFlags, ProxySettings};
pub use route::{ConnectTo, Resolve, Router};
pub use scan::{scan, scan_with, ScanOptions};
pub use tls_config::ProbeTls;
