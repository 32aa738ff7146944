//! mitmwatch: detect TLS interception and keep the evidence.
//!
//! Data flows one way: targets -> [`collect`] -> [`model::Observation`]s ->
//! [`analyze`] -> [`model::Assessment`]s -> [`report`]. The collector is the
//! only part that opens sockets; the analyzer is pure: its inputs in
//! [`analysis_data`] (the catalog of known interception roots, the trust
//! store, the static pins, a baseline), the CT log list and the validation
//! time are all passed in. [`judge`] is the one way a scan is judged:
//! any input, on threads, in input order, with the scan-level checks and
//! one policy for bad lines and panics. [`sim`] is an in-process simulated
//! network (origin servers and an interception proxy) used by `demo` and by
//! the tests.
#![forbid(unsafe_code)]

pub mod analysis_data;
pub mod analyze;
pub mod batch;
pub mod certinfo;
pub mod collect;
pub mod ct;
pub mod encoding;
/// Entry points for the cargo-fuzz targets in `fuzz/` (built with
/// `--cfg fuzzing`) and for their regression replay, a unit test.
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzz_entry;
pub mod import;
pub mod judge;
pub(crate) mod lines;
pub mod model;
pub mod observation_file;
pub mod plural;
pub mod report;
pub mod sim;
pub mod store_audit;
pub mod target_spec;
pub mod update;
