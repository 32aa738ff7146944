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

/// Escapes text for roff: backslashes, and a leading `.` or `'` that roff
/// would read as a request.
fn roff(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    match text.starts_with(['.', '\'']) {
        true => format!("\\&{text}"),
        false => text,
    }
}

/// The EXIT STATUS and EXAMPLES sections (roff) from a command's
/// after-help (`crate::cli_examples`): `Exit status:` lines `CODE  TEXT`,
/// `Examples:` lines `COMMAND` each followed by its indented explanation.
pub fn manual_sections(after: &str) -> String {
    let mut out = String::new();
    for block in after.split("\n\n") {
        let mut lines = block.lines();
        match lines.next().map(str::trim) {
            Some("Exit status:") => {
                out.push_str(".SH \"EXIT STATUS\"\n");
                for line in lines {
                    let line = line.trim();
                    let (code, text) = line.split_once("  ").unwrap_or((line, ""));
                    out.push_str(&format!(
                        ".TP\n\\fB{}\\fR\n{}\n",
                        roff(code),
                        roff(text.trim())
                    ));
                }
            }
            Some("Examples:") => {
                out.push_str(".SH EXAMPLES\n");
                for line in lines {
                    if line.starts_with("      ") {
                        out.push_str(&format!("{}\n", roff(line.trim())));
                    } else {
                        out.push_str(&format!(".TP\n\\fB{}\\fR\n", roff(line.trim())));
                    }
                }
            }
            _ => {}
        }
    }
    out
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
    let after = page.get_after_help().map(|h| h.to_string());
    let versioned = page.get_version().is_some();
    let has_subcommands = page.has_subcommands();
    let man = clap_mangen::Man::new(page).title(title);
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if has_subcommands {
        man.render_subcommands_section(&mut out)?;
    }
    // The help's `Exit status:` and `Examples:` become sections of their own.
    if let Some(after) = &after {
        out.extend_from_slice(manual_sections(after).as_bytes());
    }
    if versioned {
        man.render_version_section(&mut out)?;
    }
    let mut stdout = std::io::stdout();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(super::exit::OK)
}
