//! Where a log stood at a given time, and so whether one of its SCTs counts,
//! by the rules Chrome applies: an SCT counts if, at the validation time,
//! its log is qualified, usable or read-only, or retired with the SCT made
//! before the retirement; pending and rejected logs never count. And the log
//! must have been trusted (qualified, usable or read-only) when it made the
//! SCT: a log that was still pending then vouched for nothing.
//!
//! A log's state at a time comes from the [`LogHistory`] (the states seen
//! in past versions of Chrome's list) together with the state the log list
//! in use gives: the latest state entered at or before that time.

use super::history::LogHistory;
use super::log_list::{CtLog, StateKind};
use time::OffsetDateTime;

/// A state and since when.
pub(crate) type StateSince = (StateKind, OffsetDateTime);

/// Whether a state is one in which a log's SCTs count.
fn trusted(kind: StateKind) -> bool {
    matches!(
        kind,
        StateKind::Qualified | StateKind::Usable | StateKind::ReadOnly
    )
}

/// Every state known for the log: the history's, then the list's own.
/// Ordered by the time each began, a later one in this sequence wins a tie
/// (the list's own over the history's). Judged once per SCT and
/// observation, so the states are walked, not collected and sorted.
fn known_states<'a>(
    log: &'a CtLog,
    history: &'a LogHistory,
) -> impl Iterator<Item = StateSince> + 'a {
    history
        .states(&log.id)
        .iter()
        .map(|s| (s.kind, s.since))
        .chain(log.state.as_ref().map(|s| (s.kind, s.since)))
}

/// The log's state at `t`: the latest one entered at or before `t`. `None`
/// when no state is known that early (the log was not in Chrome's list yet,
/// as far as the data shows).
pub(crate) fn state_at(log: &CtLog, history: &LogHistory, t: OffsetDateTime) -> Option<StateSince> {
    // The latest start at or before `t`; of equal starts, the last met.
    known_states(log, history)
        .filter(|(_, since)| *since <= t)
        .fold(None, |best: Option<StateSince>, s| match best {
            Some(b) if s.1 < b.1 => Some(b),
            _ => Some(s),
        })
}

/// The first state the log entered after `t`; of equal starts, the first
/// met.
fn state_after(log: &CtLog, history: &LogHistory, t: OffsetDateTime) -> Option<StateSince> {
    known_states(log, history)
        .filter(|(_, since)| *since > t)
        .fold(None, |best: Option<StateSince>, s| match best {
            Some(b) if s.1 >= b.1 => Some(b),
            _ => Some(s),
        })
}

/// How an SCT's log stood, for counting the SCT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// The SCT counts. `current`: the log is qualified, usable or read-only
    /// at the validation time (not retired).
    Counts {
        /// Qualified, usable or read-only at the validation time.
        current: bool,
    },
    /// The SCT does not count, and why, in words.
    DoesNotCount(String),
    /// The data cannot say: no state is known for the log at the
    /// validation time, or when it made the SCT (the history has a gap).
    /// The SCT does not count, but it might have: like an SCT of a log
    /// missing from the list, it leaves compliance unsettled.
    Unknown(String),
}

/// How the log of an SCT made at `made` stood for a certificate checked at
/// `at`.
pub(crate) fn standing(
    log: &CtLog,
    history: &LogHistory,
    made: OffsetDateTime,
    at: OffsetDateTime,
) -> Standing {
    let day = |t: OffsetDateTime| t.date();
    let Some((kind, since)) = state_at(log, history, at) else {
        return Standing::Unknown(format!(
            "no state is known for the log on {} (the log list and its history show none that early)",
            day(at)
        ));
    };
    match kind {
        StateKind::Pending | StateKind::Rejected => {
            return Standing::DoesNotCount(format!(
                "the log was {} (since {}) on {}",
                kind.as_str(),
                day(since),
                day(at)
            ))
        }
        StateKind::Retired if made >= since => {
            return Standing::DoesNotCount(format!(
                "the log was retired on {} and this SCT is from {}",
                day(since),
                day(made)
            ))
        }
        _ => {}
    }
    // When it made the SCT: trusted, or at least about to enter a state
    // that only a trusted log enters (read-only, retired).
    match state_at(log, history, made) {
        Some((k, _)) if trusted(k) => {}
        Some((k, s)) => {
            return Standing::DoesNotCount(format!(
                "the log was {} (since {}), not yet trusted, when it made this SCT on {}",
                k.as_str(),
                day(s),
                day(made)
            ))
        }
        None => {
            let next = state_after(log, history, made);
            if !next.is_some_and(|(k, _)| matches!(k, StateKind::ReadOnly | StateKind::Retired)) {
                return Standing::Unknown(format!(
                    "no state is known for the log on {}, when it made this SCT (the log list and its \
                     history show none that early)",
                    day(made)
                ));
            }
        }
    }
    Standing::Counts {
        current: trusted(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ct::log_list::LogState;
    use time::macros::datetime;

    fn log_with(states: &[(StateKind, OffsetDateTime)]) -> (CtLog, LogHistory) {
        let mut log = CtLog::new("log", "A", vec![1], "https://log.invalid/");
        let (last, earlier) = states.split_last().unwrap();
        log.state = Some(LogState {
            kind: last.0,
            since: last.1,
            final_tree_head: None,
        });
        let id = crate::encoding::base64_encode(&log.id);
        let rows: Vec<String> = earlier
            .iter()
            .map(|(k, s)| {
                format!(
                    r#"["{}", "{}", "1", "1"]"#,
                    k.as_str(),
                    crate::encoding::rfc3339(*s)
                )
            })
            .collect();
        let json = format!(
            r#"{{"format": "mitmwatch-ct-log-history-1", "sources": [], "logs": [{{"log_id": "{id}", "states": [{}]}}]}}"#,
            rows.join(",")
        );
        (log, LogHistory::from_json(&json, "test").unwrap())
    }

    const Q: OffsetDateTime = datetime!(2022-08-18 0:00 UTC);
    const U: OffsetDateTime = datetime!(2022-11-01 0:00 UTC);
    const R: OffsetDateTime = datetime!(2025-02-01 0:00 UTC);
    const S: OffsetDateTime = datetime!(2024-05-01 12:00 UTC);

    #[test]
    fn a_log_usable_then_and_rejected_now_counts_then_but_not_now() {
        let (log, history) = log_with(&[
            (StateKind::Qualified, Q),
            (StateKind::Usable, U),
            (StateKind::Rejected, R),
        ]);
        let day_after = S + time::Duration::days(1);
        assert_eq!(
            standing(&log, &history, S, day_after),
            Standing::Counts { current: true }
        );
        assert_eq!(state_at(&log, &history, Q), Some((StateKind::Qualified, Q)));
        let Standing::DoesNotCount(why) = standing(&log, &history, S, R) else {
            panic!("rejected at the validation time")
        };
        assert!(why.contains("rejected (since 2025-02-01)"), "{why}");
        // Without the history, the list alone says only "rejected".
        let Standing::Unknown(why) = standing(&log, &LogHistory::none(), S, day_after) else {
            panic!()
        };
        assert!(
            why.contains("no state is known for the log on 2024-05-02"),
            "{why}"
        );
    }

    #[test]
    fn a_log_that_became_trusted_after_the_sct_does_not_count() {
        let (log, history) = log_with(&[(StateKind::Pending, Q), (StateKind::Usable, U)]);
        let made = Q + time::Duration::days(10);
        let Standing::DoesNotCount(why) =
            standing(&log, &history, made, U + time::Duration::days(1))
        else {
            panic!("pending when it signed")
        };
        assert!(
            why.contains("pending (since 2022-08-18), not yet trusted"),
            "{why}"
        );
        // Before any known state, a log that is usable later may have been
        // qualified or still pending then: the data cannot say.
        let (log, history) = log_with(&[(StateKind::Usable, U)]);
        assert!(matches!(
            standing(&log, &history, Q, U),
            Standing::Unknown(_)
        ));
    }

    #[test]
    fn retired_logs_count_for_scts_made_before_the_retirement() {
        // Retired is only entered from a trusted state, so a list that
        // shows only the retirement still counts the earlier SCTs.
        let (log, history) = log_with(&[(StateKind::Retired, R)]);
        assert_eq!(
            standing(&log, &history, S, R + time::Duration::days(30)),
            Standing::Counts { current: false }
        );
        let Standing::DoesNotCount(why) = standing(&log, &history, R, R + time::Duration::days(1))
        else {
            panic!()
        };
        assert!(why.contains("retired on 2025-02-01"), "{why}");
        // Still usable at the validation time: current.
        let (log, history) = log_with(&[(StateKind::Usable, U), (StateKind::Retired, R)]);
        assert_eq!(
            standing(&log, &history, S, S),
            Standing::Counts { current: true }
        );
    }
}
