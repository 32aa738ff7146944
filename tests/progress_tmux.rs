//! The progress bar of `scan`, as a person sees it: the scan runs inside
//! tmux (a real terminal, so the bar is drawn) and the test reads the
//! screen with `capture-pane`. Checked: the bar counts finished
//! handshakes (not started ones), its rate has at most one decimal, no
//! stale frame stays above the lines printed while it runs, and the final
//! line names the refused targets. Servers: the simulated origin, a port
//! nothing listens on, and a server that accepts and never answers, all
//! on 127.0.0.1. Needs tmux (`.ci/run` installs it).

mod common;

use common::peers::require;
use common::{binary, misbehaving_server, refused_port, Misbehaviour};
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Targets of each kind; the silent ones hang until their timeout (6 s).
const SILENT: usize = 10;
const ORIGIN: usize = 20;
const REFUSED: usize = 20;
const TOTAL: usize = SILENT + ORIGIN + REFUSED;

/// A tmux server of this test alone (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", "scan"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The target list: the silent server's targets first, so they are started
/// first and are still hanging when every other target is done, and one
/// bad line.
fn write_list(path: &Path) {
    let mut lines = Vec::new();
    lines.extend((0..SILENT).map(|i| format!("s{i}.test:1001")));
    for i in 0..ORIGIN.max(REFUSED) {
        if i < ORIGIN {
            lines.push(format!("o{i}.test:1003"));
        }
        if i < REFUSED {
            lines.push(format!("r{i}.test:1002"));
        }
    }
    lines.push("bad..name.test:99999".into());
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The bar's frames: lines showing `done/total`.
fn bar_lines(screen: &str) -> Vec<&str> {
    let marker = format!("/{TOTAL} [");
    screen.lines().filter(|l| l.contains(&marker)).collect()
}

/// The finished count a bar line shows (`40/50 [====  ]`).
fn shown_count(line: &str) -> Option<usize> {
    let marker = format!("/{TOTAL} [");
    let before = &line[..line.find(&marker)?];
    before.split_whitespace().last()?.parse().ok()
}

/// Every rate on the line (`12.5/s`) has at most one decimal.
fn rates_have_one_decimal_at_most(line: &str) -> bool {
    line.split_whitespace()
        .filter_map(|w| w.strip_suffix("/s"))
        .all(|rate| match rate.split_once('.') {
            Some((whole, decimals)) => {
                whole.parse::<u64>().is_ok()
                    && decimals.len() == 1
                    && decimals.parse::<u64>().is_ok()
            }
            None => rate.parse::<u64>().is_ok(),
        })
}

#[ignore = "needs tmux; .ci/run runs it with --ignored"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scan_progress_bar_in_a_real_terminal() {
    require("tmux", &["-V"], "apt-get install tmux");
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let silent = misbehaving_server(Misbehaviour::Silent).await;
    let refused = refused_port().await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_list(&list);
    let output = dir.path().join("obs.jsonl");
    let command = format!(
        "{} scan -v --retries 0 --concurrency 64 --per-address 64 --rate 20 --timeout 6 \
         --connect-to :1001:127.0.0.1:{} --connect-to :1002:127.0.0.1:{} \
         --connect-to :1003:127.0.0.1:{} -i {} -o {}; echo EXIT=$?; sleep 600",
        binary(),
        silent.port(),
        refused.port(),
        sim.origin.port(),
        list.display(),
        output.display()
    );
    let tmux = Tmux {
        socket: format!("mitmwatch-progress-{}", std::process::id()),
    };
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "scan",
        "-x",
        "200",
        "-y",
        "80",
        &command,
    ]);
    assert!(started.status.success(), "tmux: {started:?}");

    // Read the screen until the scan ends, keeping every bar frame seen.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut frames: Vec<(Instant, String)> = Vec::new();
    let screen = loop {
        let screen = tmux.screen();
        if screen.contains("EXIT=") {
            break screen;
        }
        let now = Instant::now();
        frames.extend(bar_lines(&screen).into_iter().map(|l| (now, l.to_string())));
        assert!(Instant::now() < deadline, "the scan did not end:\n{screen}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(!frames.is_empty(), "no progress bar was drawn");
    for (_, frame) in &frames {
        assert!(
            rates_have_one_decimal_at_most(frame),
            "a rate with more than one decimal: {frame}"
        );
    }
    // The others are started within 2.5 s (20 a second) and end at once;
    // the silent ones hang until their 6 s timeout. For those seconds the
    // bar must show the finished handshakes, not the started ones (which
    // pass this number in a fraction of a second on their way to all).
    let counts: Vec<usize> = frames.iter().filter_map(|(_, f)| shown_count(f)).collect();
    let others: Vec<Instant> = frames
        .iter()
        .filter(|(_, f)| shown_count(f) == Some(ORIGIN + REFUSED))
        .map(|(at, _)| *at)
        .collect();
    let shown_for = match (others.first(), others.last()) {
        (Some(first), Some(last)) => *last - *first,
        _ => Duration::ZERO,
    };
    assert!(
        shown_for >= Duration::from_secs(1),
        "{}/{TOTAL} was shown for {shown_for:?} while the silent targets hung: {counts:?}",
        ORIGIN + REFUSED
    );
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "the count went back: {counts:?}"
    );

    // The final screen: no frame left anywhere, every note on its own line.
    assert!(
        bar_lines(&screen).is_empty() && !screen.contains("ETA"),
        "a stale frame of the bar stayed on the screen:\n{screen}"
    );
    let notes: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("mitmwatch:"))
        .collect();
    assert!(
        notes.iter().all(|l| l.starts_with("mitmwatch: ")),
        "a note shares its line with a frame:\n{screen}"
    );
    let refused_notes = notes
        .iter()
        .filter(|l| l.contains(": connect-refused"))
        .count();
    assert_eq!(
        refused_notes, REFUSED,
        "-v names each refused target:\n{screen}"
    );
    assert!(
        screen.contains("mitmwatch: skipped "),
        "the bad line is reported:\n{screen}"
    );
    let summary = format!(
        "mitmwatch: {TOTAL} targets scanned ({ORIGIN} ok, {REFUSED} connect-refused, \
         {SILENT} handshake-timeout); 1 bad input line skipped"
    );
    assert!(
        screen.contains(&summary),
        "expected {summary:?} in:\n{screen}"
    );
    let records = std::fs::read_to_string(&output).unwrap();
    assert_eq!(records.lines().count(), TOTAL);
}
