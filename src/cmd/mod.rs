//! The subcommands: orchestration and messages around the library.

pub mod demo;
pub mod io;
pub mod scan;
pub mod sim;

/// Exit codes, documented in the README.
pub mod exit {
    /// Success; for verdict-giving commands: no interception found.
    pub const OK: i32 = 0;
    /// Usage or runtime error.
    pub const ERROR: i32 = 1;
}
