//! Output: terminal escaping, human-readable text, CSV and a
//! self-contained HTML report. (JSON output is the serde form of the model
//! types, one object per line.)

pub mod csv;
pub mod html;
pub mod json;
pub mod store_text;
pub mod terminal;
pub mod text;
