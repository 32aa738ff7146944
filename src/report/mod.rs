//! Output: terminal escaping and human-readable text. (JSON output is the
//! serde form of the model types, one object per line.)

pub mod store_text;
pub mod terminal;
pub mod text;
