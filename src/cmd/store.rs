//! `mitmwatch store`: audit this machine's trust stores, and optionally
//! tie the intercepted connections of a scan to the roots installed here.

use super::analysis::{analyzer_and_data, catalog, judge_input, validation_time};
use super::exit;
use crate::cli::{StoreArgs, StoreDiscoveryArgs};
use anyhow::{bail, Result};
use mitmwatch_core::analysis_data::catalog::Catalog;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::import::InputFormat;
use mitmwatch_core::judge::{default_jobs, JudgedScan};
use mitmwatch_core::model::tool_name;
use mitmwatch_core::model::{LinkStatus, StoreAudit};
use mitmwatch_report::{store_text, terminal::escape};
use mitmwatch_store::discover::user_home;
use mitmwatch_store::{Audit, StoreOptions, StoreOutcome};
use std::io::Write;
use std::path::PathBuf;

/// What to read, from the flags. Directories given as flags must exist.
pub fn options(
    args: &StoreDiscoveryArgs,
    paths: Vec<PathBuf>,
    firefox_profiles: Vec<PathBuf>,
) -> Result<StoreOptions> {
    for (flag, dir) in [("--sysroot", &args.sysroot), ("--home", &args.home)] {
        if let Some(dir) = dir {
            if !dir.is_dir() {
                bail!("{flag} {}: not a directory", dir.display());
            }
        }
    }
    for (flag, path) in paths
        .iter()
        .map(|p| ("--path", p))
        .chain(firefox_profiles.iter().map(|p| ("--firefox-profile", p)))
    {
        if !path.exists() {
            // Escaped once, with the whole error, where it is printed.
            bail!("{flag} {}: no such file or directory", path.display());
        }
    }
    Ok(StoreOptions {
        system: !args.no_system,
        sysroot: args.sysroot.clone(),
        home: if args.no_browsers {
            None
        } else {
            args.home.clone().or_else(user_home)
        },
        paths,
        firefox_profiles,
    })
}

/// Reads and judges the stores; problems are reported on stderr, each
/// naming its file.
pub fn audit(options: &StoreOptions, catalog: &Catalog) -> Audit {
    let audit = mitmwatch_store::audit(
        mitmwatch_store::read_stores(options),
        catalog,
        &TrustStore::mozilla(),
    );
    for source in &audit.sources {
        for e in &source.errors {
            eprintln!("mitmwatch: {}", escape(e));
        }
    }
    audit
}

/// The exit code: 2 if a known interception root is trusted or a scanned
/// connection was intercepted through an installed root, 3 if no store
/// could be read, else 0.
pub fn exit_code(audit: &Audit, report: &StoreAudit) -> i32 {
    let scan_installed = report
        .scan
        .as_ref()
        .is_some_and(|s| s.links.iter().any(|l| l.status == LinkStatus::Installed));
    match audit.outcome() {
        StoreOutcome::NothingRead => exit::INCONCLUSIVE,
        StoreOutcome::InterceptionInstalled => exit::INTERCEPTED,
        StoreOutcome::Clean if scan_installed => exit::INTERCEPTED,
        StoreOutcome::Clean => exit::OK,
    }
}

/// Judges the observations of `--scan` with the analysis options, keeping
/// each observation beside its assessment (the links need its chain).
fn judge_scan(args: &StoreArgs, path: &std::path::Path) -> Result<JudgedScan> {
    let (when, at) = validation_time(&args.analysis, super::analysis::LIVE)?;
    let (analyzer, data) = analyzer_and_data(&args.analysis, when)?;
    judge_input(
        &analyzer,
        when,
        (path, InputFormat::Mitmwatch),
        default_jobs(),
        true,
        (&at, &data),
    )
}

/// Runs the audit; returns the exit code.
pub fn run(args: StoreArgs) -> Result<i32> {
    let catalog = catalog(&args.analysis.catalog)?;
    let options = options(
        &args.stores,
        args.path.clone(),
        args.firefox_profile.clone(),
    )?;
    // The scan is judged first, by the judge every subcommand uses (bad
    // lines skipped and counted, the scan-level check): a --scan file that
    // cannot be read is a usage error, reported before any store is read.
    let scan = match &args.scan {
        Some(path) => Some((path.display().to_string(), judge_scan(&args, path)?)),
        None => None,
    };
    let audit = audit(&options, &catalog);
    let links = match scan {
        Some((name, mut judged)) => {
            let (mut observations, mut assessments) = (Vec::new(), Vec::new());
            judged.each_in_order(true, |j| -> Result<()> {
                observations.push(
                    j.observation
                        .ok_or(mitmwatch_core::judge::JudgeError::MissingObservation)?,
                );
                assessments.push(j.assessment);
                Ok(())
            })?;
            Some(mitmwatch_store::link::scan_links(
                &audit,
                Some(name),
                &observations,
                &assessments,
            ))
        }
        None => None,
    };
    let report = audit.report(tool_name(), time::OffsetDateTime::now_utc(), links);
    let mut out = std::io::stdout().lock();
    if args.json() {
        mitmwatch_core::model::json::write_pretty(&mut out, &report)?;
    } else {
        write!(
            out,
            "{}",
            store_text::store_text(&report, super::verbosity::verbose())
        )?;
    }
    out.flush()?;
    Ok(exit_code(&audit, &report))
}
