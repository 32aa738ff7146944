//! mitmwatch: detect TLS interception and keep the evidence.
//!
//! Data flows one way: targets -> [`collect`] -> [`model::Observation`]s ->
//! `analyze` -> assessments -> [`report`]. The collector is the only part that
//! opens sockets; the analyzer is pure. [`sim`] is an in-process simulated
//! network (origin servers and an interception proxy) used by `demo` and by
//! the tests.
#![forbid(unsafe_code)]

pub mod certinfo;
pub mod collect;
pub mod encoding;
pub mod model;
pub mod report;
pub mod sim;
pub mod trust_store;
