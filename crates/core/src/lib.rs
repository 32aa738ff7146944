//! mitmwatch-core: the part of mitmwatch that decides what a scan shows.
//!
//! Data flows one way: targets -> the collector (`mitmwatch-collect`) ->
//! [`model::Observation`]s -> [`analyze`] -> [`model::Assessment`]s -> the
//! renderers (`mitmwatch-report`). This crate is pure: it opens no socket,
//! runs no async runtime, keeps no database and mints no certificate. The
//! analyzer's inputs in [`analysis_data`] (the catalog of known
//! interception roots, the trust store, the static pins, a baseline), the
//! CT log list and the validation time are all passed in. [`judge`] is the
//! one way a scan is judged: any input, on threads, in input order, with
//! the scan-level checks and one policy for bad lines and panics.
#![forbid(unsafe_code)]

pub mod analysis_data;
pub mod analyze;
pub mod certinfo;
pub mod ct;
pub mod encoding;
pub mod file_kind;
pub mod import;
pub mod judge;
pub mod lines;
pub mod model;
pub mod observation_file;
pub mod plural;
pub mod target_spec;
