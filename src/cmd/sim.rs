//! `mitmwatch sim`: run the simulated network in the foreground.
//!
//! Judging the simulation takes three pieces of its data: its public root
//! (the trust store), pins that pin the built-in pinned hosts to that root,
//! and the list of its CT logs. With the root alone the genuine origin's
//! pinned names break the built-in pins, so the printed commands name all
//! three whenever they were written.

use crate::cli::SimArgs;
use anyhow::{Context, Result};
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File names `--out-dir` writes.
const ROOT_FILE: &str = "sim-root.pem";
const PINS_FILE: &str = "sim-pins.json";
const CT_FILE: &str = "sim-ct.json";

/// Where the simulation's data was asked to go.
struct DataFiles {
    roots: Option<PathBuf>,
    pins: Option<PathBuf>,
    ct_log_list: Option<PathBuf>,
}

impl DataFiles {
    fn from_args(args: &SimArgs) -> Result<Self> {
        match &args.out_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                Ok(DataFiles {
                    roots: Some(dir.join(ROOT_FILE)),
                    pins: Some(dir.join(PINS_FILE)),
                    ct_log_list: Some(dir.join(CT_FILE)),
                })
            }
            None => Ok(DataFiles {
                roots: args.roots_out.clone(),
                pins: args.pins_out.clone(),
                ct_log_list: args.ct_log_list_out.clone(),
            }),
        }
    }

    /// The analysis flags that judge the simulation as it is, when all
    /// three files were written.
    fn analysis_flags(&self) -> Option<String> {
        Some(format!(
            "--roots {} --pins {} --ct-log-list {}",
            shown(self.roots.as_deref()?),
            shown(self.pins.as_deref()?),
            shown(self.ct_log_list.as_deref()?)
        ))
    }
}

/// A path as a word of a shell command: escaped for the terminal, then
/// quoted for the shell when it holds spaces or other special characters.
fn shown(path: &Path) -> String {
    let escaped = super::output_files::shown(path);
    match shlex::try_quote(&escaped) {
        Ok(word) => word.into_owned(),
        Err(_) => escaped,
    }
}

/// Runs until Ctrl-C (or `--duration`); returns the exit code.
pub async fn run(args: SimArgs) -> Result<i32> {
    let mut out = std::io::stdout();
    let files = DataFiles::from_args(&args)?;
    let window = (args.intercept_from.is_some() || args.intercept_for.is_some()).then(|| {
        mitmwatch_sim::schedule::InterceptWindow {
            from: args.intercept_from.unwrap_or_default(),
            length: args.intercept_for,
        }
    });
    let config = SimConfig {
        bind: args.bind,
        origin_port: args.origin_port,
        interceptor_port: args.interceptor_port,
        window,
        ..SimConfig::default()
    };
    let sim = SimNetwork::start(config)
        .await
        .map_err(|e| anyhow::anyhow!("starting the simulated network: {e}"))?;
    writeln!(
        out,
        "origin (genuine certificates for any name): {}",
        sim.origin
    )?;
    writeln!(
        out,
        "interception box ({} names intercepted):   {}",
        sim.intercepted.len(),
        sim.interceptor
    )?;
    if let Some(w) = window {
        let display = mitmwatch_watch::duration::display;
        let until = match w.length {
            Some(length) => format!("for {}", display(length)),
            None => "until it stops".to_string(),
        };
        writeln!(
            out,
            "interception: from {} after the start, {until}; the box passes everything through otherwise",
            if w.from.is_zero() { "0s".to_string() } else { display(w.from) },
        )?;
    }
    if super::verbosity::verbose() {
        let mut names: Vec<&str> = sim.intercepted.iter().map(String::as_str).collect();
        names.sort_unstable();
        write!(
            out,
            "{}",
            mitmwatch_report::text::wrap(
                &format!("names the box intercepts: {}", names.join(", ")),
                0,
                96
            )
        )?;
    }
    writeln!(out)?;
    if let Some(path) = &files.roots {
        super::output_files::write_file(path, sim.public_root_pem().as_bytes())?;
        writeln!(out, "simulated public root written to {}", shown(path))?;
    }
    if let Some(path) = &files.pins {
        super::output_files::write_file(path, sim.pins_json().as_bytes())?;
        writeln!(out,
            "pins for the simulation written to {} (the built-in pinned hosts, pinned to the simulated public root)",
            shown(path)
        )?;
    }
    if let Some(path) = &files.ct_log_list {
        super::output_files::write_file(path, sim.ct_log_list_json().as_bytes())?;
        writeln!(out,
            "CT log list of the simulated logs written to {} (they signed the SCTs of genuine leaves)",
            shown(path)
        )?;
    }
    // The commands to try are narration: -q leaves them out.
    if !super::verbosity::quiet() {
        write!(out, "{}", hints(&sim, &files))?;
        writeln!(out, "running; press Ctrl-C to stop")?;
    }
    out.flush()?;
    match args.duration {
        Some(secs) if secs.is_finite() && secs > 0.0 => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    drop(sim);
    Ok(super::exit::OK)
}

/// The commands to try. Each `mitmwatch … --analyze` line is complete:
/// run as printed, it judges the origin `clean` and the box `intercepted`.
fn hints(sim: &SimNetwork, files: &DataFiles) -> String {
    let box_rule = format!("::{}:{}", sim.interceptor.ip(), sim.interceptor.port());
    let origin_rule = format!("::{}:{}", sim.origin.ip(), sim.origin.port());
    let names = "facebook.com wikipedia.org";
    let mut s = String::from("try:\n");
    match files.analysis_flags() {
        Some(flags) => {
            s.push_str(&format!(
                "  mitmwatch scan {names} --connect-to {box_rule} --analyze {flags}\n"
            ));
            s.push_str(&format!(
                "  mitmwatch scan {names} --connect-to {origin_rule} --analyze {flags}\n"
            ));
        }
        None => {
            let roots = files
                .roots
                .as_deref()
                .map(|p| format!(" --roots {}", shown(p)))
                .unwrap_or_default();
            s.push_str(&format!(
                "  mitmwatch scan {names} --connect-to {box_rule}{roots}\n"
            ));
            s.push_str(&format!(
                "  (the genuine origin: --connect-to {origin_rule})\n"
            ));
            s.push_str(
                "  To judge the simulation, give --out-dir DIR (or all of --roots-out, --pins-out and \
                 --ct-log-list-out) and analyse with the three files: with the root alone the simulated \
                 public CA breaks the built-in pins, so the genuine origin would be judged intercepted.\n",
            );
        }
    }
    if let Some(root) = &files.roots {
        s.push_str(&format!(
            "  curl -v --connect-to {box_rule} --cacert {} https://facebook.com/\n",
            shown(root)
        ));
    }
    s
}
