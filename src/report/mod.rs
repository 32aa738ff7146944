//! Output: JSON Lines and terminal text.

pub mod terminal;
