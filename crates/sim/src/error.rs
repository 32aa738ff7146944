//! The error type every part of the simulated network returns. It sits in
//! its own file so that `super::pki` and [`super::ct_logs`] share it
//! without importing each other for it.

/// Any failure while building or running the simulation: key generation,
/// certificate minting, binding a socket. The simulation is a test and demo
/// aid, so the message is what matters, not the variant.
pub type SimError = Box<dyn std::error::Error + Send + Sync>;
