//! `mitmwatch evidence`: analyse observations and write an evidence bundle
//! for each interceptor found.

use super::analysis::{analyzer_and_data, exit_code, judge_input, validation_time, RECORDED};
use crate::cli::EvidenceArgs;
use anyhow::{bail, Context, Result};
use mitmwatch_core::judge::{default_jobs, JudgeError};
use mitmwatch_core::model::tool_name;
use mitmwatch_core::model::Verdict;
use mitmwatch_core::plural::{count, noun};
use mitmwatch_report::evidence::{self, BundleFile, BundleOptions};
use mitmwatch_report::terminal::escape;
use std::io::Write;
use std::path::{Component, Path};

/// Runs the analysis and writes the bundle; returns the exit code.
pub fn run(args: EvidenceArgs) -> Result<i32> {
    let (when, at) = validation_time(&args.analysis, RECORDED)?;
    let (analyzer, data) = analyzer_and_data(&args.analysis, when)?;
    // A directory that cannot take the bundle fails before the judging.
    if args.output.exists() {
        prepare_dir(&args.output)?;
    }
    // Only intercepted targets go into a bundle: only their observations
    // are read back into memory.
    let mut file = judge_input(
        &analyzer,
        when,
        (&args.input, args.from.format()),
        default_jobs(),
        true,
        (&at, &data),
    )?;
    let (mut observations, mut assessments) = (Vec::new(), Vec::new());
    for i in 0..file.index().len() {
        if file.index()[i].verdict == Verdict::Intercepted {
            let j = file.read(i, true)?;
            observations.push(j.observation.ok_or(JudgeError::MissingObservation)?);
            assessments.push(j.assessment);
        }
    }
    let (judged, summary, bad) = (file.index().len(), file.summary, file.counts.bad);
    if bad > 0 {
        eprintln!(
            "mitmwatch: {} in the input {} skipped",
            count(bad, "bad record", "bad records"),
            noun(bad, "was", "were")
        );
    }
    let options = BundleOptions {
        tool: tool_name(),
        generated_at: time::OffsetDateTime::now_utc(),
        vantage_note: args.vantage_note.clone(),
        include_addresses: args.include_addresses,
        data_used: Some(data.clone()),
        validated_at: Some(at.clone()),
    };
    let bundle = evidence::build(&observations, &assessments, analyzer.catalog(), &options);
    if bundle.interceptors.is_empty() {
        if !super::verbosity::quiet() {
            eprintln!(
                "mitmwatch: no interception found in {}: no bundle written",
                count(judged, "observation", "observations")
            );
        }
        return Ok(exit_code(&summary, 1, args.analysis.fail_on));
    }
    prepare_dir(&args.output)?;
    for file in &bundle.files {
        write_file(&args.output, file)?;
        super::verbosity::detail(&format!(
            "wrote {}",
            escape(&args.output.join(&file.path).display().to_string())
        ));
    }
    if super::verbosity::quiet() {
        return Ok(exit_code(&summary, 1, args.analysis.fail_on));
    }
    for entry in &bundle.interceptors {
        eprintln!(
            "mitmwatch: {}: {}",
            escape(&entry.label),
            escape(
                &args
                    .output
                    .join(&entry.dir)
                    .join("REPORT.md")
                    .display()
                    .to_string()
            )
        );
    }
    eprintln!(
        "mitmwatch: bundle of {} written to {} (manifest.json lists their SHA-256)",
        count(bundle.files.len(), "file", "files"),
        escape(&args.output.display().to_string())
    );
    Ok(exit_code(&summary, 1, args.analysis.fail_on))
}

/// Creates the bundle directory, or accepts an existing empty one: files
/// of an older bundle would be mixed with the new one's and missing from
/// its manifest.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{} is not empty: give a new or empty directory for the bundle",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_dirs(dir),
        Err(e) => Err(e).with_context(|| format!("{} is not a usable directory", dir.display())),
    }
}

/// `create_dir_all` without group or other write permission.
fn create_dirs(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Writes one file of the bundle. The path must be relative and plain
/// (checked again here, whatever built it); the file must not exist yet
/// (so no link is followed) and gets no group or other write permission.
pub fn write_file(root: &Path, file: &BundleFile) -> Result<()> {
    let relative = Path::new(&file.path);
    if file.path.is_empty()
        || !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        bail!("refusing to write {:?} outside the bundle", file.path);
    }
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        create_dirs(parent)?;
    }
    let mut f = super::output_files::private_file_options()
        .create_new(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(&file.bytes)
        .and_then(|_| f.flush())
        .with_context(|| format!("writing {}", path.display()))
}
