//! Output: terminal escaping, human-readable text, CSV, a self-contained
//! HTML report and evidence bundles. (JSON output is the serde form of the
//! model types, one object per line.)

pub mod baseline_text;
pub mod compare_text;
pub mod csv;
pub mod evidence;
pub mod facts;
pub mod html;
pub(crate) mod html_cards;
pub(crate) mod html_charts;
pub(crate) mod html_escape;
pub mod json;
pub mod locate_text;
pub mod probe_text;
pub mod store_text;
pub mod terminal;
pub mod text;
