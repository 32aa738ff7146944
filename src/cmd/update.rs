//! `mitmwatch update`: flags to sources, one line per source, exit code.

use super::exit;
use crate::cli::UpdateArgs;
use anyhow::{Context, Result};
use mitmwatch_collect::update::fetch::{FetchLimits, Fetcher};
use mitmwatch_collect::update::{data_dir, Sources};
use mitmwatch_core::ct::ListSigningKey;
use mitmwatch_report::terminal::escape;
use std::io::Write;

/// Runs the update; returns the exit code.
pub fn run(args: UpdateArgs) -> Result<i32> {
    let mut out = std::io::stdout();
    let Some(dir) = data_dir::resolve(args.data_dir.as_deref()) else {
        anyhow::bail!(
            "no data directory: give --data-dir DIR or set {} (HOME is not set either)",
            data_dir::DATA_DIR_ENV
        );
    };
    // The directory must be writable before anything is downloaded.
    std::fs::create_dir_all(&dir)
        .and_then(|_| tempfile::NamedTempFile::new_in(&dir).map(drop))
        .with_context(|| {
            // Escaped once, with the whole error, where it is printed.
            format!("data directory {} is not writable", dir.display())
        })?;
    let mut sources = match &args.base_url {
        Some(base) => Sources::under(base),
        None => Sources::official(),
    };
    if let Some(url) = &args.ct_url {
        sources.ct_log_list = url.clone();
    }
    if let Some(url) = &args.ct_sig_url {
        sources.ct_log_list_sig = url.clone();
    }
    if let Some(url) = &args.intermediates_url {
        sources.intermediates = url.clone();
    }
    let key = match &args.ct_key {
        None => ListSigningKey::google(),
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            ListSigningKey::from_pem(&pem, &path.display().to_string())?
        }
    };
    let fetcher = Fetcher::new(FetchLimits {
        timeout: std::time::Duration::from_secs_f64(args.timeout),
        ..FetchLimits::default()
    });
    let json = args.format == crate::cli::DocFormat::Json;
    if !json {
        writeln!(
            out,
            "Data directory: {}",
            escape(&dir.display().to_string())
        )?;
    }
    // `-v`: where each source comes from.
    for (what, url) in [
        ("CT log list", &sources.ct_log_list),
        ("its signature", &sources.ct_log_list_sig),
        ("intermediates", &sources.intermediates),
    ] {
        super::verbosity::detail(&format!("{what} from {}", escape(url)));
    }
    let reports = mitmwatch_collect::update::update(&dir, &sources, &fetcher, &key);
    if json {
        let record = mitmwatch_collect::update::UpdateRecord {
            record_type: "update",
            schema: mitmwatch_collect::update::UPDATE_SCHEMA,
            data_dir: dir.display().to_string(),
            sources: reports.clone(),
        };
        mitmwatch_core::model::json::write_line(&mut out, &record)?;
    } else {
        for report in &reports {
            writeln!(out, "{}", escape(&report.line()))?;
        }
    }
    out.flush()?;
    Ok(if reports.iter().any(|r| r.failed()) {
        exit::SOURCE_FAILED
    } else {
        exit::OK
    })
}
