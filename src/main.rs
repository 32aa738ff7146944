//! The `mitmwatch` binary: parse flags, run a subcommand, map the result to
//! an exit code. The work happens in the library.

mod cli;
mod cmd;

use clap::Parser;

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mitmwatch: cannot start the async runtime: {e}");
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
            cli::Command::Baseline(args) => cmd::baseline::run(args),
            cli::Command::Report(args) => cmd::report::run(args),
            cli::Command::Store(args) => cmd::store::run(args),
            cli::Command::Probe(args) => cmd::probe::run(args).await,
            cli::Command::Compare(args) => cmd::compare::run(args),
            cli::Command::Evidence(args) => cmd::evidence::run(args),
            cli::Command::Merge(args) => cmd::merge::run(args),
            cli::Command::Update(args) => cmd::update::run(args),
            cli::Command::Locate(args) => cmd::locate::run(args).await,
        }
    });
    let code = match result {
        Ok(code) => code,
        // The reader went away (`mitmwatch … | head`): not an error to report.
        Err(e) if is_broken_pipe(&e) => cmd::exit::OK,
        Err(e) => {
            eprintln!(
                "mitmwatch: {}",
                mitmwatch::report::terminal::escape(&format!("{e:#}"))
            );
            cmd::exit::ERROR
        }
    };
    // Do not wait for lingering connections of the simulated network.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    std::process::exit(code);
}
