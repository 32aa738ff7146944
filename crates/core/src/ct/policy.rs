//! Browser CT policies over verified embedded SCTs.
//!
//! **Chrome** (googlechrome.github.io/CertificateTransparency/ct_policy.html),
//! certificates issued on or after 2022-04-15: at least one SCT from a log
//! that is Qualified, Usable or ReadOnly; SCTs from at least N distinct logs
//! that are Qualified, Usable, ReadOnly or Retired (N = 2 for a lifetime of
//! at most 180 days, else 3); among them at least two log operators. Before
//! that date: one Google and one non-Google log instead of two operators,
//! and N = 2/3/4/5 for lifetimes < 15, ≤ 27, ≤ 39, > 39 months. A Retired
//! log's SCT counts only if it predates the retirement.
//!
//! **Apple** (support.apple.com/103214), notBefore on or after 2021-04-21:
//! at least one SCT from a currently approved log, SCTs from at least two
//! once- or currently approved logs, and by lifetime (RFC 5280, inclusive,
//! in 86 400-second days) 2 SCTs with at most 1 per operator counting (≤ 180
//! days) or 3 with at most 2 per operator (181–398 days); at least one from
//! an RFC 6962 log. Before that date: 2/3/4/5 SCTs by 15/27/39 months. The
//! states of Chrome's list stand in for Apple's approvals.
//!
//! Both: an SCT counts only if its log stood so that it counts (`standing`:
//! qualified, usable or read-only at the validation time, or retired after
//! the SCT was made, and trusted when it made it; the states are those of
//! that time, from the log history and the list), its timestamp is not after
//! the validation time, the log's temporal interval (if any) contains the
//! certificate's notAfter, and the log is not a test log.

use super::history::LogHistory;
use super::log_list::CtLog;
use super::standing::{standing, Standing};
use std::collections::{BTreeMap, BTreeSet};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Chrome's current rules apply to certificates issued from this date.
pub(crate) const CHROME_2022_RULES: OffsetDateTime = datetime!(2022-04-15 0:00 UTC);
/// Apple's current rules apply to certificates valid from this date.
pub(crate) const APPLE_2021_RULES: OffsetDateTime = datetime!(2021-04-21 0:00 UTC);

/// A verified SCT: its log and timestamp.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VerifiedSct<'a> {
    /// The log that signed it (from the list).
    pub(crate) log: &'a CtLog,
    /// The SCT's timestamp.
    pub(crate) timestamp: OffsetDateTime,
}

/// One policy's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Whether the SCTs satisfy the policy.
    pub(crate) compliant: bool,
    /// The requirements not met (empty when compliant).
    pub(crate) unmet: Vec<String>,
}

/// Both policies' answers, and why some SCTs did not count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PolicyReport {
    /// Chrome's policy.
    pub(crate) chrome: Outcome,
    /// Apple's policy.
    pub(crate) apple: Outcome,
    /// Verified SCTs that did not count, each with the reason.
    pub(crate) not_counted: Vec<String>,
}

impl PolicyReport {
    /// Whether both policies are satisfied.
    pub(crate) fn compliant(&self) -> bool {
        self.chrome.compliant && self.apple.compliant
    }
}

/// An SCT that counts towards a policy.
#[derive(Clone, Debug)]
struct Counted {
    log: String,
    operator: String,
    /// Qualified, Usable or ReadOnly (Chrome) / currently approved (Apple).
    current: bool,
    google: bool,
    tiled: bool,
}

fn counted(
    scts: &[VerifiedSct<'_>],
    history: &LogHistory,
    not_after: OffsetDateTime,
    at: OffsetDateTime,
) -> (Vec<Counted>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for sct in scts {
        let log = sct.log;
        let standing = standing(log, history, sct.timestamp, at);
        let why_not = if sct.timestamp > at {
            Some("its timestamp is after the validation time".to_string())
        } else if log.log_type.as_deref() == Some("test") {
            Some("it is from a test log".to_string())
        } else if let Some((start, end)) = log
            .temporal_interval
            .filter(|(s, e)| not_after < *s || not_after >= *e)
        {
            Some(format!(
                "the log only takes certificates expiring from {} to {}",
                start.date(),
                end.date()
            ))
        } else {
            match &standing {
                Standing::Counts { .. } => None,
                Standing::DoesNotCount(why) | Standing::Unknown(why) => Some(why.clone()),
            }
        };
        match (why_not, standing) {
            (Some(why), _)
            | (None, Standing::DoesNotCount(why))
            | (None, Standing::Unknown(why)) => skipped.push(format!("{}: {why}", log.description)),
            (None, Standing::Counts { current }) => out.push(Counted {
                log: log.id_base64(),
                operator: log.operator_at(sct.timestamp).to_string(),
                current,
                google: log.google_operated(),
                tiled: log.tiled,
            }),
        }
    }
    (out, skipped)
}

/// `from` plus `months` calendar months (clamped to the month's last day).
fn add_months(from: OffsetDateTime, months: i32) -> OffsetDateTime {
    let total = from.year() * 12 + i32::from(u8::from(from.month())) - 1 + months;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let Ok(month) = time::Month::try_from((month0 + 1) as u8) else {
        return from;
    };
    let day = from.day().min(month.length(year));
    time::Date::from_calendar_date(year, month, day)
        .map(|d| from.replace_date(d))
        .unwrap_or(from)
}

/// SCTs required under the month bands of the older rules.
fn by_months(not_before: OffsetDateTime, not_after: OffsetDateTime) -> usize {
    if not_after < add_months(not_before, 15) {
        2
    } else if not_after <= add_months(not_before, 27) {
        3
    } else if not_after <= add_months(not_before, 39) {
        4
    } else {
        5
    }
}

fn distinct_logs(c: &[Counted]) -> usize {
    c.iter().map(|c| &c.log).collect::<BTreeSet<_>>().len()
}

fn outcome(unmet: Vec<String>) -> Outcome {
    Outcome {
        compliant: unmet.is_empty(),
        unmet,
    }
}

fn chrome(c: &[Counted], not_before: OffsetDateTime, not_after: OffsetDateTime) -> Outcome {
    let mut unmet = Vec::new();
    if !c.iter().any(|c| c.current) {
        unmet.push("an SCT from a log that is qualified, usable or read-only".to_string());
    }
    let logs = distinct_logs(c);
    if not_before >= CHROME_2022_RULES {
        let n = if not_after - not_before <= Duration::days(180) {
            2
        } else {
            3
        };
        if logs < n {
            unmet.push(format!("SCTs from {n} distinct logs (has {logs})"));
        }
        let operators = c.iter().map(|c| &c.operator).collect::<BTreeSet<_>>().len();
        if operators < 2 {
            unmet.push(format!("SCTs from 2 log operators (has {operators})"));
        }
    } else {
        let n = by_months(not_before, not_after);
        if logs < n {
            unmet.push(format!("SCTs from {n} distinct logs (has {logs})"));
        }
        if !c.iter().any(|c| c.google) {
            unmet.push("an SCT from a Google log".to_string());
        }
        if !c.iter().any(|c| !c.google) {
            unmet.push("an SCT from a non-Google log".to_string());
        }
    }
    outcome(unmet)
}

fn apple(c: &[Counted], not_before: OffsetDateTime, not_after: OffsetDateTime) -> Outcome {
    let mut unmet = Vec::new();
    let logs = distinct_logs(c);
    if logs < 2 {
        unmet.push(format!("SCTs from 2 approved logs (has {logs})"));
    }
    if !c.iter().any(|c| c.current) {
        unmet.push("an SCT from a currently approved log".to_string());
    }
    if not_before >= APPLE_2021_RULES {
        let seconds = (not_after - not_before).whole_seconds() + 1;
        let days = (seconds + 86_399).div_euclid(86_400);
        if days > 398 {
            unmet.push(format!(
                "a lifetime of at most 398 days (this certificate: {days})"
            ));
        } else {
            let (n, cap) = if days <= 180 { (2, 1) } else { (3, 2) };
            let mut per_operator: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for c in c {
                per_operator
                    .entry(c.operator.as_str())
                    .or_default()
                    .insert(c.log.as_str());
            }
            let capped: usize = per_operator.values().map(|l| l.len().min(cap)).sum();
            if capped < n {
                unmet.push(format!(
                    "{n} SCTs from distinct logs, at most {cap} per operator counting (has {capped})"
                ));
            }
        }
        if !c.iter().any(|c| !c.tiled) {
            unmet.push("an SCT from an RFC 6962 log".to_string());
        }
    } else {
        let n = by_months(not_before, not_after);
        if logs < n {
            unmet.push(format!("SCTs from {n} distinct logs (has {logs})"));
        }
    }
    outcome(unmet)
}

/// Evaluates Chrome's and Apple's policies for a certificate valid from
/// `not_before` to `not_after`, with these verified SCTs, at time `at`,
/// with the logs' states of that time (`history` and the logs' own states).
/// `assume_unknown` adds that many SCTs from logs missing from the list,
/// each treated as a usable RFC 6962 log of its own operator: if the
/// certificate passes then, a newer log list may well show it compliant.
pub(crate) fn evaluate(
    scts: &[VerifiedSct<'_>],
    history: &LogHistory,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    at: OffsetDateTime,
    assume_unknown: usize,
) -> PolicyReport {
    let (mut c, not_counted) = counted(scts, history, not_after, at);
    for i in 0..assume_unknown {
        c.push(Counted {
            log: format!("unknown log {i}"),
            operator: format!("unknown operator {i}"),
            current: true,
            google: false,
            tiled: false,
        });
    }
    PolicyReport {
        chrome: chrome(&c, not_before, not_after),
        apple: apple(&c, not_before, not_after),
        not_counted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ct::log_list::{LogState, StateKind};

    const T0: OffsetDateTime = datetime!(2026-03-01 0:00 UTC);

    fn log(n: u8, operator: &str, kind: StateKind) -> CtLog {
        let mut log = CtLog::new(
            &format!("log {n}"),
            operator,
            vec![n],
            "https://log.invalid/",
        );
        log.state = Some(LogState {
            kind,
            since: datetime!(2020-01-01 0:00 UTC),
            final_tree_head: None,
        });
        if operator == "Google" {
            log.operator_email = vec!["google-ct-logs@googlegroups.com".into()];
        }
        log
    }

    fn scts<'a>(logs: &'a [CtLog], at: OffsetDateTime) -> Vec<VerifiedSct<'a>> {
        logs.iter()
            .map(|log| VerifiedSct { log, timestamp: at })
            .collect()
    }

    fn eval(logs: &[CtLog], days: i64) -> PolicyReport {
        evaluate(
            &scts(logs, T0),
            &LogHistory::none(),
            T0,
            T0 + Duration::days(days),
            T0 + Duration::days(10),
            0,
        )
    }

    #[test]
    fn two_operators_satisfy_both_policies_for_short_certificates() {
        let logs = [
            log(1, "A", StateKind::Usable),
            log(2, "B", StateKind::Qualified),
        ];
        let r = eval(&logs, 90);
        assert!(r.compliant(), "{r:?}");
        assert!(r.not_counted.is_empty());
    }

    #[test]
    fn one_operator_is_not_enough() {
        let logs = [
            log(1, "A", StateKind::Usable),
            log(2, "A", StateKind::Usable),
        ];
        let r = eval(&logs, 90);
        assert!(!r.chrome.compliant && !r.apple.compliant, "{r:?}");
        assert!(r.chrome.unmet[0].contains("2 log operators"), "{r:?}");
        assert!(r.apple.unmet[0].contains("at most 1 per operator"), "{r:?}");
        // The same SCT log twice counts once.
        let same = [
            log(1, "A", StateKind::Usable),
            log(1, "A", StateKind::Usable),
        ];
        assert!(eval(&same, 90).chrome.unmet[0].contains("has 1"));
    }

    #[test]
    fn longer_lifetimes_need_three_logs() {
        let two = [
            log(1, "A", StateKind::Usable),
            log(2, "B", StateKind::Usable),
        ];
        let r = eval(&two, 365);
        assert!(!r.chrome.compliant && !r.apple.compliant, "{r:?}");
        let three = [
            log(1, "A", StateKind::Usable),
            log(2, "A", StateKind::Usable),
            log(3, "B", StateKind::Usable),
        ];
        assert!(eval(&three, 365).compliant());
        // 180 days is still "short" for Chrome; Apple counts inclusively.
        let r = eval(&two, 180);
        assert!(r.chrome.compliant, "{r:?}");
        assert!(!r.apple.compliant, "181 inclusive days: {r:?}");
        assert!(eval(&two, 179).apple.compliant);
        // Apple accepts nothing over 398 days.
        let r = eval(&three, 400);
        assert!(r.chrome.compliant && !r.apple.compliant, "{r:?}");
    }

    #[test]
    fn states_intervals_and_times_decide_what_counts() {
        let mut retired = log(2, "B", StateKind::Retired);
        retired.state.as_mut().unwrap().since = T0 + Duration::days(1);
        let logs = [log(1, "A", StateKind::Usable), retired.clone()];
        assert!(
            eval(&logs, 90).compliant(),
            "an SCT before the retirement counts"
        );
        retired.state.as_mut().unwrap().since = T0;
        let r = eval(&[log(1, "A", StateKind::Usable), retired.clone()], 90);
        assert!(
            !r.compliant() && r.not_counted[0].contains("retired"),
            "{r:?}"
        );
        // Only retired logs: no current one.
        retired.state.as_mut().unwrap().since = T0 + Duration::days(1);
        let mut retired2 = log(3, "C", StateKind::Retired);
        retired2.state = retired.state.clone();
        let r = eval(&[retired, retired2], 90);
        assert!(
            r.chrome.unmet[0].contains("qualified, usable or read-only"),
            "{r:?}"
        );

        for kind in [StateKind::Pending, StateKind::Rejected] {
            let r = eval(&[log(1, "A", StateKind::Usable), log(2, "B", kind)], 90);
            assert!(
                !r.compliant() && r.not_counted.len() == 1,
                "{kind:?}: {r:?}"
            );
        }
        let mut sharded = log(2, "B", StateKind::Usable);
        sharded.temporal_interval = Some((T0 + Duration::days(100), T0 + Duration::days(200)));
        let r = eval(&[log(1, "A", StateKind::Usable), sharded.clone()], 90);
        assert!(r.not_counted[0].contains("expiring from"), "{r:?}");
        sharded.temporal_interval = Some((T0, T0 + Duration::days(91)));
        assert!(eval(&[log(1, "A", StateKind::Usable), sharded], 90).compliant());

        let logs = [
            log(1, "A", StateKind::Usable),
            log(2, "B", StateKind::Usable),
        ];
        let future = evaluate(
            &scts(&logs, T0),
            &LogHistory::none(),
            T0,
            T0 + Duration::days(90),
            T0 - Duration::days(1),
            0,
        );
        assert_eq!(future.not_counted.len(), 2);
    }

    #[test]
    fn unknown_logs_can_be_assumed_for_a_stale_list() {
        let none = LogHistory::none();
        let logs = [log(1, "A", StateKind::Usable)];
        let at = T0 + Duration::days(10);
        let r = evaluate(&scts(&logs, T0), &none, T0, T0 + Duration::days(90), at, 0);
        assert!(!r.compliant());
        let r = evaluate(&scts(&logs, T0), &none, T0, T0 + Duration::days(90), at, 1);
        assert!(r.compliant(), "{r:?}");
    }

    #[test]
    fn older_certificates_follow_the_older_rules() {
        let none = LogHistory::none();
        let nb = datetime!(2021-01-10 0:00 UTC);
        let na = add_months(nb, 13);
        let logs = [
            log(1, "Google", StateKind::Usable),
            log(2, "B", StateKind::Usable),
        ];
        let r = evaluate(&scts(&logs, nb), &none, nb, na, nb + Duration::days(1), 0);
        assert!(r.compliant(), "{r:?}");
        let no_google = [
            log(1, "A", StateKind::Usable),
            log(2, "B", StateKind::Usable),
        ];
        let r = evaluate(
            &scts(&no_google, nb),
            &none,
            nb,
            na,
            nb + Duration::days(1),
            0,
        );
        assert!(!r.chrome.compliant && r.apple.compliant, "{r:?}");
        let r = evaluate(&scts(&logs, nb), &none, nb, add_months(nb, 20), nb, 0);
        assert!(
            !r.chrome.compliant && !r.apple.compliant,
            "15-27 months needs 3: {r:?}"
        );
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(
            add_months(datetime!(2024-01-31 12:00 UTC), 1),
            datetime!(2024-02-29 12:00 UTC)
        );
        assert_eq!(
            add_months(datetime!(2024-11-15 0:00 UTC), 15),
            datetime!(2026-02-15 0:00 UTC)
        );
    }
}
