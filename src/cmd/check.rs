//! `mitmwatch check`: the one command for "am I intercepted right now?".
//! The measurement and the verdict are the library's
//! (`mitmwatch_collect::check::run_check`), the trust-store part the store
//! crate's (`mitmwatch_store::check_store`), the text the report crate's
//! (`mitmwatch_report::check_text`); this file wires flags to them.

use super::analysis::{analyzer_and_data, print_notice, validation_time, LIVE};
use crate::cli::{CheckArgs, FailOn};
use anyhow::Result;
use mitmwatch_collect::check::{default_targets, run_check, CheckRequest};
use mitmwatch_core::model::{CheckReport, CheckVerdict};
use mitmwatch_report::check_text::{self, CheckText};
use mitmwatch_report::terminal::escape;
use std::io::Write;

/// Runs the check; returns the exit code.
pub async fn run(args: CheckArgs) -> Result<i32> {
    let (when, _) = validation_time(&args.analysis, LIVE)?;
    let (analyzer, data) = analyzer_and_data(&args.analysis, when)?;
    let store = super::flags_setup::trust_store(&args.analysis.trust)?;
    let collector = super::flags_setup::collector(&args.collect, &store)?;
    // Checked before the scan, so that a bad flag cannot lose it.
    let store_options = match args.no_store {
        true => None,
        false => Some(super::store::options(&args.stores, Vec::new(), Vec::new())?),
    };
    // Created before the scan, so a bad path cannot lose the scan.
    let mut saved = match &args.save {
        Some(path) => Some((path, super::output_files::open_output(Some(path))?)),
        None => None,
    };
    let json = args.json();
    let targets = default_targets(args.collect.port)
        .into_iter()
        .map(|t| super::flags_setup::apply_sni(t, &args.collect))
        .collect::<Vec<_>>();
    if !json && !super::verbosity::quiet() {
        match collector.proxy_settings().proxy() {
            Some(p) => eprintln!(
                "mitmwatch: checking {} popular sites through the proxy {} ({}), then directly...",
                targets.len(),
                escape(&p.to_string()),
                escape(collector.proxy_settings().source())
            ),
            None => eprintln!("mitmwatch: checking {} popular sites...", targets.len()),
        }
    }
    let request = CheckRequest {
        collector,
        targets,
        options: super::flags_setup::scan_options(&args.collect),
        analyzer: &analyzer,
        when,
        data_used: data,
    };
    let measured = run_check(request, &mut print_notice).await?;
    if let Some((path, file)) = &mut saved {
        let mut all = measured.observations.clone();
        all.extend(measured.direct_observations.iter().flatten().cloned());
        super::output_files::write_observations(file.as_mut(), path, &all)?;
    }
    let mut report = measured.report.clone();
    if let Some(options) = &store_options {
        let audit = super::store::audit(options, analyzer.catalog());
        report.store = Some(mitmwatch_store::check_store(
            &audit,
            &report,
            measured.intercepted_observations(),
        ));
    }
    let code = exit_code(&report, args.analysis.fail_on);
    let mut out = super::output::Stdout::text();
    if json {
        mitmwatch_core::model::json::write_pretty(&mut out, &report)?;
    } else {
        let how = CheckText {
            width: super::output::text_width(),
            verbose: super::verbosity::verbose(),
            styled: super::output::stdout_coloured(),
            saved: args.save.as_deref().map(super::output_files::shown),
        };
        write!(out, "{}", check_text::render(&report, &how))?;
    }
    out.finish()?;
    Ok(code)
}

/// The exit code of a check: 2 for `intercepted` (and, with `--fail-on
/// suspicious`, for any suspicious site), 3 for `inconclusive`, else 0.
fn exit_code(report: &CheckReport, fail_on: FailOn) -> i32 {
    let suspicious = report.measured.counts.suspicious > 0;
    match report.verdict {
        CheckVerdict::Intercepted => super::exit::INTERCEPTED,
        _ if suspicious && fail_on == FailOn::Suspicious => super::exit::INTERCEPTED,
        CheckVerdict::Inconclusive => super::exit::INCONCLUSIVE,
        CheckVerdict::Suspicious | CheckVerdict::Clean => super::exit::OK,
    }
}
