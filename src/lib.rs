//! mitmwatch: detect TLS interception and keep the evidence.
//!
//! Data flows one way: targets -> [`collect`] -> [`model::Observation`]s ->
//! [`analyze`] -> [`model::Assessment`]s -> [`report`]. The collector is the
//! only part that opens sockets; the analyzer is pure: the [`catalog`] of
//! known interception roots, the trust store, the static [`pins`], a
//! [`baseline`] and the validation time are all passed in. [`sim`] is an in-process simulated
//! network (origin servers and an interception proxy) used by `demo` and by
//! the tests.
#![forbid(unsafe_code)]

pub mod analyze;
pub mod baseline;
pub mod batch;
pub mod catalog;
pub mod certinfo;
pub mod collect;
pub mod ct;
pub mod data_used;
pub mod encoding;
#[doc(hidden)]
pub mod fuzz_entry;
pub mod import;
pub mod intermediates;
pub mod lines;
pub mod model;
pub mod observation_file;
pub mod pins;
pub mod removed_roots;
pub mod report;
pub mod sim;
pub mod store;
pub mod trust_store;
pub mod update;
