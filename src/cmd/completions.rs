//! `mitmwatch completions SHELL` and `mitmwatch man`: generated from the
//! clap definitions, so they always match the flags.

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;

/// Prints the completion script for one shell.
pub fn run(args: CompletionsArgs) -> Result<i32> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "mitmwatch", &mut out);
    let mut stdout = std::io::stdout();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(super::exit::OK)
}

/// Prints the manual page (roff) of mitmwatch or of one subcommand.
pub fn man(args: ManArgs) -> Result<i32> {
    let mut command = Cli::command();
    command.build();
    let (page, title) = match &args.subcommand {
        None => (command, "mitmwatch".to_string()),
        Some(name) => {
            let names: Vec<String> = command
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let sub = command
                .find_subcommand(name)
                .with_context(|| format!("no subcommand {name:?}; one of: {}", names.join(", ")))?
                .clone();
            (sub, format!("mitmwatch-{name}"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page).title(title).render(&mut out)?;
    let mut stdout = std::io::stdout();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(super::exit::OK)
}
