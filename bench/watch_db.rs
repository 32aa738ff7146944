//! The watch benchmark: the size of a year of half-hourly runs of check's
//! 63 sites in the history database, and the CPU cost of a run, each
//! printed next to its baseline measured in the same run.
//!
//! * Size: a year (17,520 runs) recorded with `History::record_run` from
//!   real observations of the simulation (63 sites, clean through the
//!   origin; 37 intercepted through the box), with one three-week episode
//!   (1,008 runs) in which the box mints a fresh leaf for every site at
//!   every run, the worst case for storage. Baseline: the same
//!   observations as the JSON Lines `check --save` writes every run.
//! * CPU: user + system time of child processes (Linux `/proc/self/stat`,
//!   cutime + cstime) for `check` (the baseline: the same measurement,
//!   nothing stored), `watch --runs 1` (a process that measures once and
//!   records), and the marginal cost of a run in a long-running watch
//!   (`watch --runs 11` minus `watch --runs 1`, over 10). The simulation
//!   runs in this process, so its handshakes are not counted.
//!
//! Usage: `watch-db PATH/TO/mitmwatch [ROUNDS]` (bench/watch.sh builds and runs it).

use mitmwatch_collect::{Collector, ConnectTo, ProbeTls, Router, Timeouts};
use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::judge::{Input, Judge};
use mitmwatch_core::model::{Assessment, Observation, Target};
use mitmwatch_sim::{SimConfig, SimNetwork};
use mitmwatch_watch::network::NetworkFacts;
use mitmwatch_watch::record::RunInput;
use mitmwatch_watch::{Access, History, Outcome};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let binary = args
        .get(1)
        .ok_or("usage: watch-db PATH/TO/mitmwatch [ROUNDS]")?;
    let rounds: usize = args
        .get(2)
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(5)
        .max(1);
    let sim = SimNetwork::start(SimConfig::default()).await?;
    let dir = tempfile::tempdir()?;
    size(&sim, dir.path(), 0..0, "clean all year").await?;
    size(
        &sim,
        dir.path(),
        100 * 48..121 * 48,
        "a 3-week episode, a fresh forged leaf per site per run",
    )
    .await?;
    cpu(&sim, dir.path(), binary, rounds)?;
    Ok(())
}

/// One measurement of the 63 sites through `to`, judged.
async fn measure(
    sim: &SimNetwork,
    to: std::net::SocketAddr,
    analyzer: &Analyzer,
) -> Result<(Vec<Observation>, Vec<Assessment>), Error> {
    let rule = ConnectTo::parse(&format!("::{}:{}", to.ip(), to.port()))?;
    let collector = Collector::new(
        ProbeTls::new(&sim.trust_store()),
        Router::new(vec![rule], vec![]),
        Timeouts {
            connect: Duration::from_secs(5),
            handshake: Duration::from_secs(5),
        },
    );
    let mut observations = Vec::new();
    for host in mitmwatch_core::analysis_data::domains::popular() {
        observations.push(collector.probe(&Target::new(host, 443)).await);
    }
    let input = Input::in_memory("bench", observations.clone(), true);
    let mut judged = Judge::new(analyzer, ValidationTime::Observed).judge(input, &mut |_| {})?;
    Ok((observations, judged.assessments()?))
}

/// Records a year of runs, intercepted during `episode` (run numbers), and
/// prints the database's size next to the JSON Lines of the same runs.
async fn size(
    sim: &SimNetwork,
    dir: &Path,
    episode: std::ops::Range<usize>,
    what: &str,
) -> Result<(), Error> {
    let analyzer = Analyzer::new(AnalysisData {
        pins: sim.pins(),
        ct_logs: std::sync::Arc::new(sim.ct_log_list.clone()),
        ..AnalysisData::with_trust(sim.trust_store())?
    });
    let (clean_obs, clean_a) = measure(sim, sim.origin, &analyzer).await?;
    let (box_obs, box_a) = measure(sim, sim.interceptor, &analyzer).await?;
    let intercepted = box_a
        .iter()
        .filter(|a| a.verdict.as_str() == "intercepted")
        .count();
    if sites(&clean_a) != 63 || intercepted != 37 {
        return Err(format!(
            "expected 63 sites, 37 intercepted; got {} and {intercepted}",
            sites(&clean_a)
        )
        .into());
    }
    let db = dir.join(format!("year-{}.sqlite", episode.len()));
    let mut history = History::open(&db, Access::ReadWrite)?;
    history.set_bulk_load(true)?;
    let network = NetworkFacts::gather();
    let year_runs = 365 * 48;
    let t0 = OffsetDateTime::now_utc() - time::Duration::days(365);
    let mut jsonl_bytes = 0usize;
    let started = Instant::now();
    for i in 0..year_runs {
        let start = t0 + time::Duration::minutes(30 * i as i64);
        let during = episode.contains(&i);
        let (base, assessments) = match during {
            true => (&box_obs, &box_a),
            false => (&clean_obs, &clean_a),
        };
        let mut observations = base.clone();
        for (k, o) in observations.iter_mut().enumerate() {
            // Times and durations vary from run to run, as they do live.
            o.started_at = start + time::Duration::milliseconds(((i * 7 + k * 13) % 900) as i64);
            o.duration_ms = 20.0 + ((i * 31 + k * 17) % 400) as f64 / 3.0;
            // During the episode the box mints a fresh leaf every time.
            if during && assessments[k].verdict.as_str() == "intercepted" {
                if let Some(leaf) = o.chain.first_mut() {
                    leaf.sha256 = format!("{:064x}", i * 64 + k)
                        .parse()
                        .expect("64 hex digits");
                    leaf.der = format!("{}{:08}", &leaf.der[..leaf.der.len() - 8], i);
                }
            }
            jsonl_bytes += serde_json::to_string(o)?.len() + 1;
        }
        history.record_run(
            &RunInput {
                started_at: start,
                finished_at: start + time::Duration::seconds(2),
                network: &network,
                observations: &observations,
                assessments,
                outcome: if during {
                    Outcome::Intercepted
                } else {
                    Outcome::Clean
                },
                local_roots: Some(&[]),
                baseline: false,
                resumed: false,
                tool: "mitmwatch bench",
            },
            3,
        )?;
    }
    let elapsed = started.elapsed();
    history.set_bulk_load(false)?;
    drop(history);
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    let db_bytes = file_size(&db) + file_size(Path::new(&wal));
    println!("== history size: a year of half-hourly runs of 63 sites, {what}");
    println!(
        "runs {year_runs} ({} intercepted); recorded in {:.1} s ({:.2} ms per run, bulk load)",
        episode.len(),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / year_runs as f64
    );
    println!(
        "database: {:.1} MiB ({} bytes, {:.0} bytes per run)",
        mib(db_bytes),
        db_bytes,
        db_bytes as f64 / year_runs as f64
    );
    println!(
        "baseline, the same observations as JSON Lines (check --save every run): {:.1} MiB; the database is {:.1}% of it",
        mib(jsonl_bytes as u64),
        100.0 * db_bytes as f64 / jsonl_bytes as f64
    );
    Ok(())
}

fn sites(a: &[Assessment]) -> usize {
    a.len()
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// User + system CPU seconds of the children waited for so far (Linux).
fn children_cpu() -> Result<f64, Error> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').ok_or("unreadable /proc/self/stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // cutime and cstime are fields 16 and 17 (1-based), in clock ticks of
    // 1/100 s (USER_HZ, fixed by the Linux ABI).
    let ticks: u64 = f[13].parse::<u64>()? + f[14].parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

/// CPU seconds of one run of `command` (which must exit with one of `codes`).
fn cpu_of(command: &mut Command, codes: &[i32]) -> Result<f64, Error> {
    let before = children_cpu()?;
    let out = command.output()?;
    let code = out.status.code().unwrap_or(-1);
    if !codes.contains(&code) {
        return Err(format!(
            "{command:?} exited {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(children_cpu()? - before)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn cpu(sim: &SimNetwork, dir: &Path, binary: &str, rounds: usize) -> Result<(), Error> {
    let data = |name: &str, text: String| -> Result<String, Error> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path.display().to_string())
    };
    let flags = vec![
        "--connect-to".to_string(),
        format!("::{}", sim.interceptor),
        "--no-store".into(),
        "--roots".into(),
        data("root.pem", sim.public_root_pem())?,
        "--pins".into(),
        data("pins.json", sim.pins_json())?,
        "--ct-log-list".into(),
        data("ct.json", sim.ct_log_list_json())?,
    ];
    let db = dir.join("cpu.sqlite").display().to_string();
    let (mut check, mut once, mut eleven) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        check.push(cpu_of(
            Command::new(binary)
                .args(["check", "--format", "json"])
                .args(&flags),
            &[2],
        )?);
        once.push(cpu_of(
            Command::new(binary)
                .args(["watch", "--runs", "1", "--db", &db])
                .args(&flags),
            &[0],
        )?);
        eleven.push(cpu_of(
            Command::new(binary)
                .args(["watch", "--runs", "11", "--every", "100ms", "--db", &db])
                .args(&flags),
            &[0],
        )?);
    }
    let (check, once, eleven) = (median(check), median(once), median(eleven));
    println!("== CPU of a run of 63 sites (user + system, median of {rounds} rounds)");
    println!(
        "baseline, mitmwatch check (measure and judge, nothing stored): {check:.2} s per process"
    );
    println!(
        "mitmwatch watch --runs 1 (the same, plus open the database and record): {once:.2} s per process ({:+.2} s)",
        once - check
    );
    println!(
        "a run of a long-running watch (watch --runs 11 minus --runs 1, over 10): {:.3} s",
        (eleven - once) / 10.0
    );
    Ok(())
}
