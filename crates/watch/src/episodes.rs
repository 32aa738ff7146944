//! Episodes: a stretch of time in which something alarming was seen, with
//! hysteresis so that a flapping path opens one episode, not one per run.
//!
//! Each conclusive run yields *signals*, each with a kind and a key:
//!
//! | kind | key | signal |
//! |---|---|---|
//! | `interception` | the interceptor's id | a site judged `intercepted` by it |
//! | `new-issuer` | the issuing CA's name | a site not intercepted whose issuing CA is not the one `--baseline` accepts |
//! | `local-root` | the root's SHA-256 | a root added on this machine that was not there when the database's first audit ran |
//!
//! A signal without an open episode of its kind and key opens one (a new
//! interceptor while another's episode is open opens its own). An open
//! episode whose signal is missing from `close_after` conclusive runs in a
//! row closes; a run with its signal resets the count. Inconclusive runs
//! (offline, DNS down) change nothing: they neither open, extend nor
//! close an episode. The step is a pure function of the open episodes and
//! the run, so it is the same live and in tests.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What kind of change an episode is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EpisodeKind {
    /// Sites judged intercepted by one interceptor.
    Interception,
    /// Sites served by an issuing CA the baseline does not list for them.
    NewIssuer,
    /// A root newly added to this machine's trust stores.
    LocalRoot,
}

impl EpisodeKind {
    /// The name stored and printed (`interception`, `new-issuer`, `local-root`).
    pub fn as_str(self) -> &'static str {
        match self {
            EpisodeKind::Interception => "interception",
            EpisodeKind::NewIssuer => "new-issuer",
            EpisodeKind::LocalRoot => "local-root",
        }
    }

    /// Parses [`EpisodeKind::as_str`].
    pub fn parse(text: &str) -> Option<EpisodeKind> {
        [
            EpisodeKind::Interception,
            EpisodeKind::NewIssuer,
            EpisodeKind::LocalRoot,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// One signal of a run: something that opens or keeps open an episode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    /// Its kind.
    pub kind: EpisodeKind,
    /// What it is about (interceptor id, issuer name, root fingerprint).
    pub key: String,
    /// A name for people (interceptor label, issuer, root subject).
    pub label: String,
    /// The sites concerned (none for a local root).
    pub sites: BTreeSet<String>,
}

/// An open episode as the step sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenEpisode {
    /// Its id in the database.
    pub id: i64,
    /// Its kind.
    pub kind: EpisodeKind,
    /// Its key.
    pub key: String,
    /// Conclusive runs in a row without its signal.
    pub quiet_runs: u32,
    /// Sites seen in it so far.
    pub sites: BTreeSet<String>,
}

/// What a run does to the episodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Signals that open a new episode.
    pub opened: Vec<Signal>,
    /// Open episodes that go on: id, new quiet count, sites so far.
    pub continued: Vec<(i64, u32, BTreeSet<String>)>,
    /// Open episodes that close with this run.
    pub closed: Vec<i64>,
}

/// Whether a run could judge anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// Enough sites were reached to judge.
    Conclusive,
    /// Too few sites were reached (offline, DNS down): recorded, no alarm.
    Inconclusive,
}

/// The step of one run: which episodes open, go on and close.
/// `audited` says whether the run looked at the trust stores (a run
/// without an audit leaves local-root episodes as they are); `baselined`
/// whether it judged issuers against `--baseline` (a run without one
/// cannot see a new issuing CA, so it leaves new-issuer episodes as they
/// are rather than close them as no longer seen).
pub fn step(
    open: &[OpenEpisode],
    run: RunKind,
    signals: &[Signal],
    audited: bool,
    baselined: bool,
    close_after: u32,
) -> Step {
    let mut out = Step::default();
    if run == RunKind::Inconclusive {
        return out;
    }
    let by_key: BTreeMap<(EpisodeKind, &str), &Signal> = signals
        .iter()
        .map(|s| ((s.kind, s.key.as_str()), s))
        .collect();
    for episode in open {
        let untouched = match episode.kind {
            EpisodeKind::LocalRoot => !audited,
            EpisodeKind::NewIssuer => !baselined,
            EpisodeKind::Interception => false,
        };
        match by_key.get(&(episode.kind, episode.key.as_str())) {
            _ if untouched => {}
            Some(signal) => {
                let mut sites = episode.sites.clone();
                sites.extend(signal.sites.iter().cloned());
                out.continued.push((episode.id, 0, sites));
            }
            None if episode.quiet_runs + 1 >= close_after.max(1) => out.closed.push(episode.id),
            None => out
                .continued
                .push((episode.id, episode.quiet_runs + 1, episode.sites.clone())),
        }
    }
    for signal in signals {
        let is_open = open
            .iter()
            .any(|e| e.kind == signal.kind && e.key == signal.key);
        if !is_open {
            out.opened.push(signal.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn box_signal() -> Signal {
        Signal {
            kind: EpisodeKind::Interception,
            key: "kz-qaznet".into(),
            label: "Qaznet Trust Network".into(),
            sites: ["facebook.com".to_string()].into(),
        }
    }

    /// Runs a sequence of runs (`I` intercepted, `C` clean, `-`
    /// inconclusive) and returns (episodes opened, episodes closed).
    fn replay(runs: &str, close_after: u32) -> (usize, usize) {
        let mut open: Vec<OpenEpisode> = Vec::new();
        let (mut opened, mut closed, mut next_id) = (0, 0, 1);
        for c in runs.chars() {
            let (kind, signals) = match c {
                'I' => (RunKind::Conclusive, vec![box_signal()]),
                'C' => (RunKind::Conclusive, vec![]),
                _ => (RunKind::Inconclusive, vec![]),
            };
            let s = step(&open, kind, &signals, true, true, close_after);
            open.retain(|e| !s.closed.contains(&e.id));
            for (id, quiet, sites) in s.continued {
                let e = open.iter_mut().find(|e| e.id == id).unwrap();
                e.quiet_runs = quiet;
                e.sites = sites;
            }
            closed += s.closed.len();
            for signal in s.opened {
                opened += 1;
                open.push(OpenEpisode {
                    id: next_id,
                    kind: signal.kind,
                    key: signal.key,
                    quiet_runs: 0,
                    sites: signal.sites,
                });
                next_id += 1;
            }
        }
        (opened, closed)
    }

    #[test]
    fn an_episode_opens_once_and_closes_after_a_stable_clean_stretch() {
        assert_eq!(replay("CCIIICCC", 3), (1, 1));
        assert_eq!(replay("CCIIICC", 3), (1, 0));
    }

    #[test]
    fn a_flapping_path_keeps_one_episode() {
        assert_eq!(replay("ICICICICIC", 3), (1, 0));
        assert_eq!(replay("ICICICICICCC", 3), (1, 1));
        // Without hysteresis every return would be a new episode.
        assert_eq!(replay("ICICIC", 1), (3, 3));
    }

    #[test]
    fn inconclusive_runs_never_open_nor_close() {
        assert_eq!(replay("--C--C-", 3), (0, 0));
        // Offline runs in the middle do not count as clean ones.
        assert_eq!(replay("I------C", 3), (1, 0));
        assert_eq!(replay("I-C-C-C", 3), (1, 1));
    }

    #[test]
    fn a_new_interceptor_opens_its_own_episode() {
        let open = vec![OpenEpisode {
            id: 1,
            kind: EpisodeKind::Interception,
            key: "kz-qaznet".into(),
            quiet_runs: 0,
            sites: BTreeSet::new(),
        }];
        let mut other = box_signal();
        other.key = "fortinet".into();
        let s = step(
            &open,
            RunKind::Conclusive,
            &[box_signal(), other.clone()],
            true,
            true,
            3,
        );
        assert_eq!(s.opened, vec![other]);
        assert_eq!(s.continued.len(), 1);
    }

    #[test]
    fn a_local_root_episode_waits_for_an_audit() {
        let open = vec![OpenEpisode {
            id: 7,
            kind: EpisodeKind::LocalRoot,
            key: "ab".into(),
            quiet_runs: 2,
            sites: BTreeSet::new(),
        }];
        let s = step(&open, RunKind::Conclusive, &[], false, true, 3);
        assert!(s.closed.is_empty() && s.continued.is_empty());
        let s = step(&open, RunKind::Conclusive, &[], true, true, 3);
        assert_eq!(s.closed, vec![7]);
    }

    #[test]
    fn a_new_issuer_episode_waits_for_a_baseline() {
        let open = vec![OpenEpisode {
            id: 9,
            kind: EpisodeKind::NewIssuer,
            key: "C=US, O=Another CA".into(),
            quiet_runs: 2,
            sites: ["wikipedia.org".to_string()].into(),
        }];
        // Runs without --baseline cannot see the signal: no false all-clear.
        for _ in 0..5 {
            let s = step(&open, RunKind::Conclusive, &[], true, false, 3);
            assert_eq!(s, Step::default());
        }
        let s = step(&open, RunKind::Conclusive, &[], true, true, 3);
        assert_eq!(s.closed, vec![9]);
    }
}
