//! `mitmwatch history`: what `watch` recorded. Episodes and each site's
//! timeline as text, one JSON document, or CSV (one row per segment of a
//! site's timeline); or, with `--export`, the stored observations as
//! observation JSON Lines for `analyze`, `report`, `compare` and `merge`.

use crate::cli::{HistoryArgs, HistoryFormat};
use anyhow::{Context, Result};
use mitmwatch_core::encoding::rfc3339;
use mitmwatch_core::model::json;
use mitmwatch_core::plural::count;
use mitmwatch_report::csv::cell;
use mitmwatch_report::terminal::escape;
use mitmwatch_watch::query::Run;
use mitmwatch_watch::timeline::{timelines, SiteTimeline};
use mitmwatch_watch::{Access, Episode, History};
use std::io::{BufWriter, Write};

/// Version of `history --format json`.
pub const HISTORY_SCHEMA: u32 = 1;

/// The CSV header of `history --format csv`.
pub const CSV_HEADER: &str =
    "host,port,sni,via,verdict,status,interceptor,from,to,first_run,last_run,runs";

/// Prints the history (or exports the observations); returns the exit code.
pub fn run(args: HistoryArgs) -> Result<i32> {
    let db = super::history_db::db_path(args.db.as_deref())?;
    let history = History::open(&db, Access::ReadOnly)?;
    let since = super::history_db::parse_since(args.since.as_deref())?;
    if let Some(path) = &args.export {
        let mut out = BufWriter::new(super::output_files::open_output(Some(path))?);
        let n = history.observations(since, None, |o| json::write_line(&mut out, &o))?;
        out.flush()
            .with_context(|| format!("writing {}", path.display()))?;
        super::verbosity::note(&format!(
            "{} exported",
            count(n, "observation", "observations")
        ));
        return Ok(super::exit::OK);
    }
    let runs = history.runs(since)?;
    let episodes = history.episodes(since)?;
    let sites = timelines(&history.site_results(since)?);
    let mut out = BufWriter::new(super::output_files::open_output(args.output.as_deref())?);
    match args.format {
        HistoryFormat::Json => {
            let doc = serde_json::json!({
                "type": "history",
                "schema": HISTORY_SCHEMA,
                "database": db.display().to_string(),
                "since": since.map(rfc3339),
                "runs": runs,
                "episodes": episodes,
                "timeline": sites,
            });
            json::write_pretty(&mut out, &doc)?;
        }
        HistoryFormat::Csv => {
            writeln!(out, "{CSV_HEADER}")?;
            for site in &sites {
                for s in &site.segments {
                    let t = &site.target;
                    writeln!(
                        out,
                        "{},{},{},{},{},{},{},{},{},{},{},{}",
                        cell(&t.host),
                        t.port,
                        cell(t.sni.as_deref().unwrap_or("")),
                        cell(site.via.as_deref().unwrap_or("")),
                        cell(&s.verdict),
                        cell(&s.status),
                        cell(s.interceptor.as_deref().unwrap_or("")),
                        rfc3339(s.from),
                        rfc3339(s.to),
                        s.first_run,
                        s.last_run,
                        s.runs
                    )?;
                }
            }
        }
        HistoryFormat::Text => write!(out, "{}", text(&db, &runs, &episodes, &sites))?,
    }
    out.flush().context("writing the history")?;
    Ok(super::exit::OK)
}

/// A segment's result: `clean`, `intercepted by X`, `error (dns-failed)`
/// (all of it read from the database, so escaped for a terminal).
fn segment_name(seg: &mitmwatch_watch::timeline::Segment) -> String {
    match &seg.interceptor {
        Some(by) => format!("{} by {}", escape(&seg.verdict), escape(by)),
        None if seg.verdict == "error" => format!("error ({})", escape(&seg.status)),
        None => escape(&seg.verdict),
    }
}

/// The text history: runs in brief, episodes, then each site's timeline
/// (sites that never changed on one line).
fn text(
    db: &std::path::Path,
    runs: &[Run],
    episodes: &[Episode],
    sites: &[SiteTimeline],
) -> String {
    let mut s = String::new();
    let shown = super::output_files::shown(db);
    let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
        s.push_str(&format!("No runs in {shown} for this period.\n"));
        return s;
    };
    let by = |o: &str| runs.iter().filter(|r| r.outcome == o).count();
    s.push_str(&format!(
        "{} in {shown}, {} to {}: {} clean, {} intercepted, {} suspicious, {} inconclusive.\n",
        count(runs.len(), "run", "runs"),
        super::history_db::second(first.started_at),
        super::history_db::second(last.started_at),
        by("clean"),
        by("intercepted"),
        by("suspicious"),
        by("inconclusive"),
    ));
    s.push_str(&format!("\nEpisodes ({}):\n", episodes.len()));
    if episodes.is_empty() {
        s.push_str("  none: nothing alarming was seen.\n");
    }
    for e in episodes {
        let closed = match (e.closed_run, e.closed_at) {
            (Some(run), Some(at)) => {
                format!("closed {} (run {run})", super::history_db::second(at))
            }
            _ => format!("still open (last seen in run {})", e.last_seen_run),
        };
        s.push_str(&format!(
            "  #{} {} {}: opened {} (run {}), {closed}; {}\n",
            e.id,
            escape(&e.kind),
            escape(&e.label),
            super::history_db::second(e.opened_at),
            e.opened_run,
            count(e.sites.len(), "site", "sites"),
        ));
        if let Some(dir) = &e.evidence_dir {
            s.push_str(&format!("     evidence: {}\n", escape(dir)));
        }
    }
    s.push_str("\nTimeline per site (runs in a row with the same result):\n");
    let mut steady: std::collections::BTreeMap<String, usize> = Default::default();
    for site in sites {
        if let [only] = site.segments.as_slice() {
            if only.runs == runs.len() {
                *steady.entry(segment_name(only)).or_default() += 1;
                continue;
            }
        }
        let t = &site.target;
        let name = match &site.via {
            Some(proxy) => escape(&format!("{}:{} via {proxy}", t.host, t.port)),
            None => escape(&format!("{}:{}", t.host, t.port)),
        };
        let parts: Vec<String> = site
            .segments
            .iter()
            .map(|seg| {
                format!(
                    "{} {}..{} ({})",
                    segment_name(seg),
                    super::history_db::second(seg.from),
                    super::history_db::second(seg.to),
                    count(seg.runs, "run", "runs")
                )
            })
            .collect();
        s.push_str(&format!("  {name}: {}\n", parts.join(" -> ")));
    }
    for (what, n) in steady {
        s.push_str(&format!(
            "  {} {what} in every run\n",
            count(n, "other site", "other sites")
        ));
    }
    s
}
