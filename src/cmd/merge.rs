//! `mitmwatch merge`: join shard outputs into one observation file and
//! check them against the target list (the work is in
//! `mitmwatch_collect::batch::merge`; here: files, messages, the exit code).

use super::target_stream::SHOWN_BAD_LINES;
use crate::cli::MergeArgs;
use anyhow::{Context, Result};
use mitmwatch_collect::batch::merge::{
    list_line, merge_input, MergeCounts, MergeProblem, TargetSet,
};
use mitmwatch_core::model::Target;
use mitmwatch_core::observation_file::ObservationReader;
use mitmwatch_core::plural::count;
use mitmwatch_core::target_spec::DomainListReader;
use mitmwatch_report::terminal::escape;
use std::fs::File;
use std::io::{BufReader, Write};

/// Problems of one kind shown on stderr; the rest are counted.
const SHOWN: usize = SHOWN_BAD_LINES;

/// How many problems of one kind are named: [`SHOWN`], or all with `-v`.
fn shown_limit() -> usize {
    match super::verbosity::verbose() {
        true => usize::MAX,
        false => SHOWN,
    }
}

/// Runs the merge; returns the exit code.
pub fn run(args: MergeArgs) -> Result<i32> {
    if let Some(sni) = &args.sni {
        mitmwatch_core::target_spec::normalise_host(sni)
            .map_err(|m| anyhow::anyhow!("--sni {sni:?}: {m}"))?;
    }
    refuse_overwriting_an_input(&args)?;
    let expected = list_targets(&args)?.count();
    let mut set = TargetSet::new(list_targets(&args)?, expected);

    let mut out = super::output_files::open_output(Some(&args.output))?;
    let mut counts = MergeCounts::default();
    let mut shown = [0usize; 3];
    for path in &args.inputs {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let reader = ObservationReader::new(BufReader::new(file), path.display().to_string());
        merge_input(&mut set, reader, &mut out, &mut counts, &mut |p| {
            show_problem(&p, &mut shown)
        })
        .with_context(|| format!("writing {}", args.output.display()))?;
    }
    out.flush()
        .with_context(|| format!("writing {}", args.output.display()))?;
    drop(out);

    let missing = report_missing(&args, &mut set)?;
    let complete = missing == 0 && counts.clean();
    if !super::verbosity::quiet() || !complete {
        eprintln!(
            "mitmwatch: merged {} from {} into {}; {} listed: {}",
            count(counts.written as usize, "record", "records"),
            count(args.inputs.len(), "file", "files"),
            super::output_files::shown(&args.output),
            count(set.len(), "target", "targets"),
            verdict(&counts, missing)
        );
    }
    Ok(match complete {
        true => super::exit::OK,
        false => super::exit::INCOMPLETE,
    })
}

/// The merge truncates its output first: never when it is one of the inputs
/// or the list.
fn refuse_overwriting_an_input(args: &MergeArgs) -> Result<()> {
    let Ok(out) = std::fs::canonicalize(&args.output) else {
        return Ok(()); // not there yet (or stdout)
    };
    for input in args.inputs.iter().chain(std::iter::once(&args.targets)) {
        if std::fs::canonicalize(input).is_ok_and(|p| p == out) {
            anyhow::bail!(
                "--output {} is also an input; write the merge to a new file",
                super::output_files::shown(&args.output)
            );
        }
    }
    Ok(())
}

/// The targets of `--targets`, with `--sni`/`--no-sni` applied as the scan
/// applied them; bad lines are skipped here as the scan skipped them.
fn list_targets(args: &MergeArgs) -> Result<impl Iterator<Item = Target>> {
    let path = &args.targets;
    if path.as_os_str() == "-" {
        anyhow::bail!("--targets must be a file: the list is read twice");
    }
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader = DomainListReader::new(BufReader::new(file), path.display().to_string(), args.port);
    let (sni, no_sni) = (args.sni.clone(), args.no_sni);
    Ok(reader.filter_map(Result::ok).map(move |mut t| {
        if no_sni {
            t.sni = None;
        } else if let Some(sni) = &sni {
            t.sni = Some(sni.to_ascii_lowercase());
        }
        t
    }))
}

/// Names listed targets no shard recorded, on stderr and in `--missing`.
fn report_missing(args: &MergeArgs, set: &mut TargetSet) -> Result<usize> {
    if set.unseen() == 0 {
        if let Some(path) = &args.missing {
            super::output_files::write_file(path, b"")?;
        }
        return Ok(0);
    }
    let mut file = match &args.missing {
        Some(path) => Some(super::output_files::open_output(Some(path))?),
        None => None,
    };
    let mut missing = 0usize;
    for target in list_targets(args)? {
        if set.seen(&target) {
            continue;
        }
        set.mark(&target); // a target listed twice is missing once
        missing += 1;
        if missing <= shown_limit() {
            eprintln!("mitmwatch: missing {}", escape(&target.to_string()));
        } else if missing == SHOWN + 1 {
            eprintln!("mitmwatch: more missing targets are counted but not shown");
        }
        if let Some(f) = &mut file {
            writeln!(f, "{}", list_line(&target)).context("writing --missing")?;
        }
    }
    if let (Some(mut f), Some(path)) = (file, &args.missing) {
        f.flush().context("writing --missing")?;
        eprintln!(
            "mitmwatch: the {} listed in {}",
            count(missing, "missing target is", "missing targets are"),
            super::output_files::shown(path)
        );
    }
    Ok(missing)
}

fn show_problem(problem: &MergeProblem, shown: &mut [usize; 3]) {
    let (kind, text) = match problem {
        MergeProblem::Duplicate {
            target,
            input,
            line,
        } => (
            0,
            format!("duplicate {target} at {input}:{line} (dropped; the first record is kept)"),
        ),
        MergeProblem::Unlisted {
            target,
            input,
            line,
        } => (
            1,
            format!("{target} at {input}:{line} is not in the target list (kept)"),
        ),
        MergeProblem::BadLine(e) => (2, format!("skipped {e}")),
    };
    shown[kind] += 1;
    if shown[kind] <= shown_limit() {
        eprintln!("mitmwatch: {}", escape(&text));
    } else if shown[kind] == SHOWN + 1 {
        let what = ["duplicates", "unlisted targets", "bad lines"][kind];
        eprintln!("mitmwatch: more {what} are counted but not shown");
    }
}

fn verdict(counts: &MergeCounts, missing: usize) -> String {
    let mut parts = Vec::new();
    for (n, one, many) in [
        (missing, "missing", "missing"),
        (
            counts.duplicates as usize,
            "duplicate dropped",
            "duplicates dropped",
        ),
        (
            counts.unlisted as usize,
            "record of an unlisted target",
            "records of unlisted targets",
        ),
        (
            counts.bad_lines as usize,
            "bad line skipped",
            "bad lines skipped",
        ),
    ] {
        if n > 0 {
            parts.push(count(n, one, many));
        }
    }
    match parts.is_empty() {
        true => "every target exactly once".into(),
        false => format!("INCOMPLETE: {}", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_names_every_problem() {
        assert_eq!(
            verdict(&MergeCounts::default(), 0),
            "every target exactly once"
        );
        let counts = MergeCounts {
            written: 9,
            duplicates: 2,
            unlisted: 0,
            bad_lines: 1,
        };
        assert_eq!(
            verdict(&counts, 3),
            "INCOMPLETE: 3 missing, 2 duplicates dropped, 1 bad line skipped"
        );
    }
}
