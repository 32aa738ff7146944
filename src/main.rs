//! The `mitmwatch` binary: parse flags, run a subcommand, map the result to
//! an exit code. The work happens in the library.
// `unreachable_pub` is for the library's surface: in a binary nothing is
// reachable from outside, and `pub` in `cli`/`cmd` only means "used by a
// sibling module".
#![allow(unreachable_pub)]

mod cli;
mod cli_examples;
mod cmd;

use clap::Parser;
use std::io::Write;

/// mimalloc instead of the C library's allocator: judging allocates and
/// frees many small objects, on several threads (one allocates what another
/// frees); glibc's malloc spent 8 to 15% of the time there (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// True when the error comes from writing to a reader that went away
/// (`mitmwatch … | head`), however deep it was wrapped.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(is_broken_pipe_cause)
}

/// One cause: an I/O error of kind BrokenPipe, directly, inside a JSON
/// serialisation error, or wrapped in another I/O error.
fn is_broken_pipe_cause(cause: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(io) = cause.downcast_ref::<std::io::Error>() {
        io.kind() == std::io::ErrorKind::BrokenPipe
            || io
                .get_ref()
                .is_some_and(|inner| is_broken_pipe_cause(inner))
    } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
        json.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe)
    } else {
        false
    }
}

/// Parses the command line. Help and version go to stdout with exit 0;
/// every usage error goes to stderr with exit 1, never clap's 2, which
/// here means "interception found".
fn parse() -> cli::Cli {
    match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                cmd::exit::ERROR
            } else {
                cmd::exit::OK
            };
            let rendered = e.render().ansi().to_string();
            if code == cmd::exit::OK {
                // Help and version: to stdout, which may be a closed pipe.
                let mut out = anstream::stdout();
                let _ = write!(out, "{rendered}");
                let _ = out.flush();
            } else if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                anstream::eprint!("{rendered}");
            } else {
                // "mitmwatch: error: …", as every other error.
                anstream::eprint!("mitmwatch: {rendered}");
            }
            std::process::exit(code);
        }
    }
}

fn main() {
    // A panic's message can quote what it was parsing (network text, a
    // line of a file): printed escaped, as every other message. A panic
    // while judging one observation is also reported as that record's
    // error, and the run goes on (`mitmwatch_core::judge`).
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "mitmwatch: internal error (a bug; please report it): {}",
            mitmwatch_report::terminal::escape(&info.to_string())
        );
    }));
    let cli = parse();
    cmd::output::set_color(cli.color);
    cmd::verbosity::set(cli.verbosity);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mitmwatch: error: cannot start the async runtime: {e}");
            std::process::exit(cmd::exit::ERROR);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            cli::Command::Scan(args) => cmd::scan::run(args).await,
            cli::Command::Demo(args) => cmd::demo::run(args).await,
            cli::Command::Sim(args) => cmd::sim::run(args).await,
            cli::Command::Analyze(args) => cmd::analyze::run(args),
            cli::Command::Inspect(args) => cmd::inspect::run(args),
            cli::Command::Check(args) => cmd::check::run(args).await,
            cli::Command::Watch(args) => cmd::watch::run(args).await,
            cli::Command::History(args) => cmd::history::run(args),
            cli::Command::Baseline(args) => cmd::baseline::run(args),
            cli::Command::Report(args) => cmd::report::run(args),
            cli::Command::Store(args) => cmd::store::run(args),
            cli::Command::Probe(args) => cmd::probe::run(args).await,
            cli::Command::Compare(args) => cmd::compare::run(args),
            cli::Command::Evidence(args) => cmd::evidence::run(args),
            cli::Command::Merge(args) => cmd::merge::run(args),
            cli::Command::Update(args) => cmd::update::run(args),
            cli::Command::Locate(args) => cmd::locate::run(args).await,
            cli::Command::Completions(args) => cmd::completions::run(args),
            cli::Command::Man(args) => cmd::completions::man(args),
        }
    });
    let code = match result {
        Ok(code) => code,
        // The reader went away (`mitmwatch … | head`): not an error to
        // report, and not a failure (as ripgrep does).
        Err(e) if is_broken_pipe(&e) => cmd::exit::OK,
        Err(e) => {
            eprintln!(
                "mitmwatch: error: {}",
                mitmwatch_report::terminal::escape(&format!("{e:#}"))
            );
            cmd::exit::ERROR
        }
    };
    // Do not wait for lingering connections of the simulated network.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    std::process::exit(code);
}
