//! mitmwatch-report: output. Terminal escaping, human-readable text, CSV,
//! a self-contained HTML report and evidence bundles. (JSON output is the
//! serde form of the model types, one object per line, written by
//! `mitmwatch_core::model::json`.) It depends on the core only.
#![forbid(unsafe_code)]

pub mod baseline_text;
pub mod check_text;
pub mod compare_text;
pub mod csv;
pub mod evidence;
pub mod html;
pub(crate) mod html_cards;
pub(crate) mod html_charts;
pub(crate) mod html_escape;
pub mod locate_text;
pub mod probe_text;
pub mod store_text;
pub mod terminal;
pub mod text;
