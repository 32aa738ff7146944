//! The subcommands: orchestration and messages around the library.

pub mod analysis;
pub mod analyze;
pub mod baseline;
pub mod check;
pub mod compare;
pub mod completions;
pub mod demo;
pub mod evidence;
pub mod flags_setup;
pub mod history;
pub mod history_db;
pub mod inspect;
pub mod locate;
pub mod merge;
pub mod output;
pub mod output_files;
pub mod probe;
pub mod progress;
pub mod report;
pub mod scan;
pub mod sim;
pub mod store;
pub mod target_input;
pub mod target_stream;
pub mod update;
pub mod verbosity;
pub mod watch;
pub mod watch_deliver;
pub mod watch_measure;

/// Exit codes, documented in docs/exit-codes.md.
pub mod exit {
    /// Success; for verdict-giving commands: no interception found.
    pub const OK: i32 = 0;
    /// Usage or runtime error.
    pub const ERROR: i32 = 1;
    /// Interception found.
    pub const INTERCEPTED: i32 = 2;
    /// Inconclusive: nothing, or too little, could be reached or judged.
    pub const INCONCLUSIVE: i32 = 3;
    /// `update`: at least one source failed (the others were saved or
    /// unchanged).
    pub const SOURCE_FAILED: i32 = 4;
    /// `merge`: the shards do not cover the target list exactly once
    /// (missing, duplicated or unlisted targets, or unreadable lines); the
    /// merged file is written all the same.
    pub const INCOMPLETE: i32 = 5;
}
