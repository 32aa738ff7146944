//! What `watch` does when an episode opens or closes: the evidence bundle,
//! written once from the observations of the run that opened the episode
//! (read back from the database, as `evidence` would write it from a
//! file), then one notification (a line in the log, `--on-change`, the
//! desktop). Each is marked done in the database when done, so a watch
//! killed in between finishes the job when it starts again, and none is
//! done twice.

use super::evidence::{prepare_dir, write_file};
use anyhow::{Context, Result};
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::judge::{Input, Judge};
use mitmwatch_core::model::{tool_name, Assessment, DataUsed, Observation, Verdict};
use mitmwatch_report::evidence::{self, BundleOptions};
use mitmwatch_report::terminal::escape;
use mitmwatch_watch::notify::{self, Event, HookOutcome};
use mitmwatch_watch::{Episode, History};
use std::path::{Path, PathBuf};

/// Where evidence goes and how to tell the person.
pub struct Deliver {
    /// The directory that holds one directory per episode.
    pub evidence_root: PathBuf,
    /// `--on-change`.
    pub on_change: Option<String>,
    /// `--desktop-notify`.
    pub desktop: bool,
}

impl Deliver {
    /// Writes the evidence and sends the notifications still due, each
    /// episode on its own: an episode whose evidence cannot be written
    /// (an unwritable directory, a full disk) is still notified, with the
    /// reason, and its evidence is left due, to be tried again after the
    /// next run. The error returned names what is still due.
    pub fn settle(
        &self,
        history: &History,
        analyzer: &Analyzer,
        data_used: &DataUsed,
    ) -> Result<()> {
        let mut undone = Vec::new();
        for episode in history.pending()? {
            let id = episode.id;
            if let Err(e) = self.settle_one(history, analyzer, data_used, episode) {
                undone.push(format!("episode {id}: {e:#}"));
            }
        }
        match undone.is_empty() {
            true => Ok(()),
            false => Err(anyhow::anyhow!(undone.join("; "))),
        }
    }

    /// [`Deliver::settle`] for one episode.
    fn settle_one(
        &self,
        history: &History,
        analyzer: &Analyzer,
        data_used: &DataUsed,
        episode: Episode,
    ) -> Result<()> {
        let id = episode.id;
        let mut evidence_error = None;
        if !episode.evidence_written {
            match self.write_evidence(history, analyzer, data_used, &episode) {
                Ok(dir) => {
                    let shown = dir.as_ref().map(|d| d.display().to_string());
                    history.mark_evidence(id, shown.as_deref())?;
                }
                // Left due (tried again after the next run); the alarm
                // goes out regardless.
                Err(e) => evidence_error = Some(format!("{e:#}")),
            }
        }
        let Some(episode) = history.episode(id)? else {
            return Ok(());
        };
        if !episode.notified_open {
            self.notify(history.path(), &episode, false, evidence_error.clone());
            history.mark_notified(id, false)?;
        }
        if episode.closed_run.is_some() && !episode.notified_close {
            self.notify(history.path(), &episode, true, None);
            history.mark_notified(id, true)?;
        }
        match evidence_error {
            Some(e) => Err(anyhow::anyhow!("its evidence was not written: {e}")),
            None => Ok(()),
        }
    }

    /// The log line, the `--on-change` command and the desktop notification.
    fn notify(&self, db: &Path, episode: &Episode, closing: bool, evidence_error: Option<String>) {
        let mut event = Event::new(episode, closing, db);
        event.evidence_error = evidence_error;
        let sentence = event.sentence();
        let evidence = match (&episode.evidence_dir, &event.evidence_error, closing) {
            (Some(dir), _, false) => format!("; evidence in {dir}"),
            (None, Some(why), false) => format!(
                "; its evidence could not be written (tried again after the next run): {why}"
            ),
            _ => String::new(),
        };
        // Always printed (not a note that -q silences): this is the alarm.
        eprintln!(
            "mitmwatch: {}: {}{}",
            super::history_db::second(time::OffsetDateTime::now_utc()),
            escape(&sentence),
            escape(&evidence)
        );
        if let Some(command) = &self.on_change {
            match notify::run_hook(command, &event, notify::HOOK_TIMEOUT) {
                HookOutcome::Ok => {}
                HookOutcome::Failed(code) => eprintln!(
                    "mitmwatch: warning: --on-change command exited with {}",
                    code.map_or("a signal".to_string(), |c| format!("status {c}"))
                ),
                HookOutcome::TimedOut => eprintln!(
                    "mitmwatch: warning: --on-change command ran past {}s and was stopped",
                    notify::HOOK_TIMEOUT.as_secs()
                ),
                HookOutcome::NotStarted(why) => eprintln!(
                    "mitmwatch: warning: --on-change command could not start: {}",
                    escape(&why)
                ),
            }
        }
        if self.desktop && !notify::desktop("mitmwatch", &sentence) {
            super::verbosity::note("no desktop notification could be shown");
        }
    }

    /// Writes the episode's evidence: for interception, the bundle
    /// `evidence` writes, from the intercepted observations of the run that
    /// opened it; for a new issuing CA, those sites' observations (JSON
    /// Lines). A local root has nothing to bundle: `None`.
    fn write_evidence(
        &self,
        history: &History,
        analyzer: &Analyzer,
        data_used: &DataUsed,
        episode: &Episode,
    ) -> Result<Option<PathBuf>> {
        if episode.kind == "local-root" {
            return Ok(None);
        }
        let mut observations = Vec::new();
        history.observations(None, Some(episode.opened_run), |o| {
            observations.push(o);
            Ok(())
        })?;
        let input = Input::in_memory("the episode's first run", observations.clone(), true);
        let mut judged = Judge::new(analyzer, ValidationTime::Observed)
            .judge(input, &mut super::analysis::print_notice)?;
        let assessments = judged.assessments()?;
        let (observations, assessments): (Vec<Observation>, Vec<Assessment>) = observations
            .into_iter()
            .zip(assessments)
            .filter(|(_, a)| belongs(episode, a))
            .unzip();
        if observations.is_empty() {
            return Ok(None);
        }
        let dir = self.episode_dir(episode);
        prepare_dir(&dir)?;
        if episode.kind == "interception" {
            let options = BundleOptions {
                tool: tool_name(),
                generated_at: time::OffsetDateTime::now_utc(),
                // No path: it would name the user's home directory.
                vantage_note: Some(format!(
                    "Recorded by `mitmwatch watch`, which opened episode {} in its run {} \
                     (the first run in which this interception was seen).",
                    episode.id, episode.opened_run
                )),
                include_addresses: false,
                data_used: Some(data_used.clone()),
                // Judged above as of each observation's own time.
                validated_at: Some("observed".to_string()),
            };
            let bundle = evidence::build(&observations, &assessments, analyzer.catalog(), &options);
            for file in &bundle.files {
                write_file(&dir, file)?;
            }
        } else {
            let mut text = Vec::new();
            for o in &observations {
                mitmwatch_core::model::json::write_line(&mut text, o)?;
            }
            let path = dir.join("observations.jsonl");
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(Some(dir))
    }

    /// A new directory for the episode's evidence:
    /// `episode-ID-YYYYMMDDTHHMMSSZ` (with a suffix if it exists).
    fn episode_dir(&self, episode: &Episode) -> PathBuf {
        let t = episode.opened_at;
        let stamp = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        let base = format!("episode-{}-{stamp}", episode.id);
        let mut dir = self.evidence_root.join(&base);
        let mut n = 2;
        while dir.exists() {
            dir = self.evidence_root.join(format!("{base}-{n}"));
            n += 1;
        }
        dir
    }
}

/// Whether an assessment is part of the episode's evidence.
fn belongs(episode: &Episode, a: &Assessment) -> bool {
    match episode.kind.as_str() {
        "interception" => {
            a.verdict == Verdict::Intercepted
                && match &a.interceptor {
                    Some(i) => i.id == episode.key,
                    None => episode.key == "unidentified",
                }
        }
        _ => episode.sites.contains(&a.target.host),
    }
}
