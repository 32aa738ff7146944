//! Telling the person: the event of an episode opening or closing, as the
//! JSON `--on-change` commands read on standard input (with a few
//! environment variables for scripts that want no JSON), and an optional
//! desktop notification.
//!
//! The event (schema 1):
//!
//! ```json
//! {"schema": 1, "type": "episode-opened", "database": "/home/u/.local/share/mitmwatch/history.sqlite",
//!  "episode": {"id": 1, "kind": "interception", "key": "kz-qaznet-trust-network",
//!              "label": "'Qaznet Trust Network'", "opened_run": 3, "opened_at": "…",
//!              "closed_run": null, "closed_at": null, "sites": ["facebook.com", …],
//!              "evidence_dir": "/home/u/.local/share/mitmwatch/evidence/episode-1", …}}
//! ```
//!
//! When the episode's evidence could not be written (an unwritable
//! directory, a full disk), the opening event says why in
//! `"evidence_error"` (absent otherwise); the evidence is tried again after
//! the next run.
//!
//! Environment: `MITMWATCH_EVENT` (`episode-opened` or `episode-closed`),
//! `MITMWATCH_EPISODE` (id), `MITMWATCH_KIND`, `MITMWATCH_LABEL`,
//! `MITMWATCH_SITES` (count), `MITMWATCH_EVIDENCE` (directory, or empty)
//! and `MITMWATCH_DB`.

use crate::history::Episode;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Version of the event's JSON.
pub const EVENT_SCHEMA: u32 = 1;

/// How long an `--on-change` command may run before it is killed.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(60);

/// An episode opened or closed.
#[derive(Clone, Debug, Serialize)]
pub struct Event<'a> {
    /// [`EVENT_SCHEMA`].
    pub schema: u32,
    /// `episode-opened` or `episode-closed`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The history database.
    pub database: String,
    /// The episode.
    pub episode: &'a Episode,
    /// Why its evidence could not be written, if it could not (it is
    /// tried again after the next run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_error: Option<String>,
}

impl<'a> Event<'a> {
    /// The event of `episode` opening (or closing, when `closing`).
    pub fn new(episode: &'a Episode, closing: bool, database: &Path) -> Self {
        Event {
            schema: EVENT_SCHEMA,
            kind: if closing {
                "episode-closed"
            } else {
                "episode-opened"
            },
            database: database.display().to_string(),
            episode,
            evidence_error: None,
        }
    }

    /// One sentence for the log and the desktop (labels are network text:
    /// the caller escapes it for a terminal).
    pub fn sentence(&self) -> String {
        let e = self.episode;
        let what = match e.kind.as_str() {
            "interception" => format!("interception by {}", e.label),
            "new-issuer" => format!("a new issuing CA, {}", e.label),
            "local-root" => format!("a root newly added to this machine: {}", e.label),
            other => format!("{other} {}", e.label),
        };
        let sites = match e.sites.len() {
            0 => String::new(),
            1 => format!(" on {}", e.sites[0]),
            n => format!(
                " on {n} sites ({}{})",
                e.sites[..n.min(3)].join(", "),
                if n > 3 { ", …" } else { "" }
            ),
        };
        match self.kind {
            "episode-closed" => format!("episode {} closed: {what} is no longer seen", e.id),
            _ => format!("episode {} opened: {what}{sites}", e.id),
        }
    }
}

/// How an `--on-change` command ended.
#[derive(Debug, PartialEq, Eq)]
pub enum HookOutcome {
    /// It exited with status 0.
    Ok,
    /// It exited with another status (or a signal: `None`).
    Failed(Option<i32>),
    /// It ran past [`HOOK_TIMEOUT`] and was killed.
    TimedOut,
    /// It could not be started.
    NotStarted(String),
}

/// Runs `command` with the shell (`sh -c`), the event as JSON on its
/// standard input and in its environment; waits at most `timeout`.
pub fn run_hook(command: &str, event: &Event<'_>, timeout: Duration) -> HookOutcome {
    let json = match serde_json::to_string(event) {
        Ok(j) => j,
        Err(e) => return HookOutcome::NotStarted(e.to_string()),
    };
    let e = event.episode;
    let spawned = shell(command)
        .stdin(Stdio::piped())
        .env("MITMWATCH_EVENT", event.kind)
        .env("MITMWATCH_EPISODE", e.id.to_string())
        .env("MITMWATCH_KIND", &e.kind)
        .env("MITMWATCH_LABEL", &e.label)
        .env("MITMWATCH_SITES", e.sites.len().to_string())
        .env(
            "MITMWATCH_EVIDENCE",
            e.evidence_dir.as_deref().unwrap_or(""),
        )
        .env("MITMWATCH_DB", &event.database)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return HookOutcome::NotStarted(e.to_string()),
    };
    let deadline = Instant::now() + timeout;
    if let Some(mut stdin) = child.stdin.take() {
        // On its own thread: a command that does not read its input is
        // fine, and an event larger than the pipe holds must not block the
        // watch past the timeout. The thread ends when the command exits or
        // is killed (the write then fails), so it is not waited for.
        let written = std::thread::Builder::new()
            .name("on-change-stdin".into())
            .spawn(move || {
                let _ = stdin
                    .write_all(json.as_bytes())
                    .and_then(|_| stdin.write_all(b"\n"));
            });
        if let Err(e) = written {
            let _ = child.kill();
            let _ = child.wait();
            return HookOutcome::NotStarted(e.to_string());
        }
    }
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return HookOutcome::Ok,
            Ok(Some(status)) => return HookOutcome::Failed(status.code()),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return HookOutcome::TimedOut;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return HookOutcome::NotStarted(e.to_string()),
        }
    }
}

#[cfg(unix)]
fn shell(command: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(command);
    c
}

#[cfg(not(unix))]
fn shell(command: &str) -> Command {
    let mut c = Command::new("cmd");
    c.arg("/C").arg(command);
    c
}

/// Shows `text` as a desktop notification where the system has a way
/// (`notify-send` on Linux and BSD desktops, `osascript` on macOS).
/// Returns whether one was shown. `text` may hold network text (issuer
/// names): control characters are escaped as on a terminal, and for
/// `notify-send`, whose body is markup, `&`, `<` and `>` as entities.
pub fn desktop(title: &str, text: &str) -> bool {
    let mut command = if cfg!(target_os = "macos") {
        let quote = |s: &str| plain(s).replace('\\', "\\\\").replace('"', "\\\"");
        let mut c = Command::new("osascript");
        c.arg("-e").arg(format!(
            "display notification \"{}\" with title \"{}\"",
            quote(text),
            quote(title)
        ));
        c
    } else {
        let mut c = Command::new("notify-send");
        c.arg("--app-name=mitmwatch")
            .arg(plain(title))
            .arg(markup(text));
        c
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `text` with control characters and bidi controls escaped, as on a
/// terminal.
fn plain(text: &str) -> String {
    mitmwatch_core::encoding::escape_controls(text)
}

/// [`plain`] text made safe as the body of a notification that is read
/// as markup (`notify-send`): `&`, `<` and `>` as entities.
fn markup(text: &str) -> String {
    plain(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episode() -> Episode {
        Episode {
            id: 4,
            kind: "interception".into(),
            key: "kz".into(),
            label: "'Qaznet Trust Network'".into(),
            opened_run: 2,
            opened_at: time::OffsetDateTime::UNIX_EPOCH,
            last_seen_run: 2,
            closed_run: None,
            closed_at: None,
            sites: vec!["a.example".into(), "b.example".into()],
            evidence_dir: Some("/tmp/e".into()),
            evidence_written: true,
            notified_open: false,
            notified_close: false,
        }
    }

    #[test]
    #[cfg(unix)]
    fn the_hook_reads_the_event_and_its_environment() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let e = episode();
        let event = Event::new(&e, false, Path::new("/db"));
        let command = format!(
            "cat > '{}'; echo \"$MITMWATCH_EVENT $MITMWATCH_EPISODE $MITMWATCH_KIND $MITMWATCH_SITES $MITMWATCH_EVIDENCE\" >> '{}'",
            out.display(),
            out.display()
        );
        assert_eq!(run_hook(&command, &event, HOOK_TIMEOUT), HookOutcome::Ok);
        let text = std::fs::read_to_string(&out).unwrap();
        let (json, env) = text.split_once('\n').unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["type"], "episode-opened");
        assert_eq!(v["episode"]["sites"][1], "b.example");
        assert_eq!(env.trim(), "episode-opened 4 interception 2 /tmp/e");
        assert_eq!(
            event.sentence(),
            "episode 4 opened: interception by 'Qaznet Trust Network' on 2 sites (a.example, b.example)"
        );
    }

    #[test]
    #[cfg(unix)]
    fn a_failing_or_hanging_hook_is_reported_not_waited_for() {
        let e = episode();
        let event = Event::new(&e, true, Path::new("/db"));
        assert_eq!(
            run_hook("exit 3", &event, HOOK_TIMEOUT),
            HookOutcome::Failed(Some(3))
        );
        let started = Instant::now();
        assert_eq!(
            run_hook("sleep 30", &event, Duration::from_millis(200)),
            HookOutcome::TimedOut
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    #[cfg(unix)]
    fn a_hook_that_does_not_read_a_large_event_still_times_out() {
        let mut e = episode();
        // Far more than a pipe holds (64 KiB on Linux).
        e.sites = (0..20_000).map(|i| format!("site-{i}.example")).collect();
        let event = Event::new(&e, false, Path::new("/db"));
        assert!(serde_json::to_string(&event).unwrap().len() > 256 * 1024);
        let started = Instant::now();
        assert_eq!(
            run_hook("sleep 30", &event, Duration::from_millis(300)),
            HookOutcome::TimedOut
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        // One that reads it all gets it all.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let command = format!("cat > '{}'", out.display());
        assert_eq!(run_hook(&command, &event, HOOK_TIMEOUT), HookOutcome::Ok);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(v["episode"]["sites"].as_array().unwrap().len(), 20_000);
    }

    #[test]
    fn desktop_text_is_neither_markup_nor_terminal_controls() {
        assert_eq!(
            markup("interception by <b>Evil & Co</b> <a href=\"x\">"),
            "interception by &lt;b&gt;Evil &amp; Co&lt;/b&gt; &lt;a href=\"x\"&gt;"
        );
        assert_eq!(
            markup("CN=\x1b[31mred\u{202e}"),
            "CN=\\u{1b}[31mred\\u{202e}"
        );
        assert_eq!(plain("a\\b\nc"), "a\\\\b\\u{a}c");
        assert_eq!(markup("'Qaznet Trust Network'"), "'Qaznet Trust Network'");
    }
}
