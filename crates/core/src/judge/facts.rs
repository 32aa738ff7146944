//! What a report shows beyond the scan summary, gathered one assessment
//! at a time so that a streamed report can have it before its first row:
//! the fingerprints of the CAs each interceptor served, when each was
//! first and last seen, the span of the observation times and the
//! verdicts per day (for the timeline).

use crate::model::{Assessment, FindingCode, Fingerprint, Observation, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, OffsetDateTime};

/// A CA certificate as the server sent it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServedCa {
    /// Certificate SHA-256, hex.
    pub sha256: Fingerprint,
    /// SPKI SHA-256, hex (absent if the certificate did not parse).
    pub spki_sha256: Option<Fingerprint>,
    /// Subject DN (untrusted text).
    pub subject: Option<String>,
}

impl ServedCa {
    fn of(c: &crate::model::CertRecord) -> Self {
        ServedCa {
            sha256: c.sha256,
            spki_sha256: c.spki_sha256,
            subject: c.subject.clone(),
        }
    }
}

/// The CAs of a served chain: the leaf's issuer (position 1) and, when the
/// chain is longer, the topmost certificate ("root as served").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedCas {
    /// The certificate sent right after the leaf.
    pub issuing: Option<ServedCa>,
    /// The last certificate sent, when it is not the issuing one.
    pub(crate) top: Option<ServedCa>,
}

impl ServedCas {
    /// Reads them from an observation's chain.
    pub fn of(obs: &Observation) -> Self {
        ServedCas {
            issuing: obs.chain.get(1).map(ServedCa::of),
            top: obs
                .chain
                .last()
                .filter(|_| obs.chain.len() > 2)
                .map(ServedCa::of),
        }
    }
}

/// At most this many distinct CAs are kept per interceptor and role.
pub(crate) const MAX_CAS: usize = 4;

/// What is known of one interceptor across the scan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterceptorFacts {
    /// Earliest observation attributed to it.
    pub first_seen: Option<OffsetDateTime>,
    /// Latest one.
    pub last_seen: Option<OffsetDateTime>,
    /// Issuing CAs it served (at most [`MAX_CAS`]).
    pub issuing: BTreeSet<ServedCa>,
    /// Top certificates of its chains (at most [`MAX_CAS`]).
    pub top: BTreeSet<ServedCa>,
    /// Whether more distinct CAs were seen than are kept.
    pub more_cas: bool,
}

/// Observations of one day, by verdict.
pub(crate) type DayCounts = BTreeMap<Verdict, usize>;

/// Facts for a report, built by `ReportFacts::add`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportFacts {
    /// By interceptor id.
    pub interceptors: BTreeMap<String, InterceptorFacts>,
    /// Earliest observation time.
    pub(crate) first: Option<OffsetDateTime>,
    /// Latest one.
    pub(crate) last: Option<OffsetDateTime>,
    /// Verdicts per UTC day.
    pub days: BTreeMap<Date, DayCounts>,
    /// Every finding code that occurs.
    pub codes: BTreeSet<FindingCode>,
}

fn widen(lo: &mut Option<OffsetDateTime>, hi: &mut Option<OffsetDateTime>, t: OffsetDateTime) {
    *lo = Some(lo.map_or(t, |l| l.min(t)));
    *hi = Some(hi.map_or(t, |h| h.max(t)));
}

impl ReportFacts {
    /// Counts one assessment and the CAs its chain served.
    pub fn add(&mut self, a: &Assessment, cas: &ServedCas) {
        let t = a.observed_at;
        widen(&mut self.first, &mut self.last, t);
        *self
            .days
            .entry(crate::encoding::utc(t).date())
            .or_default()
            .entry(a.verdict)
            .or_default() += 1;
        self.codes.extend(a.findings.iter().map(|f| f.code));
        let Some(who) = &a.interceptor else { return };
        let f = self.interceptors.entry(who.id.clone()).or_default();
        widen(&mut f.first_seen, &mut f.last_seen, t);
        for (set, ca) in [(&mut f.issuing, &cas.issuing), (&mut f.top, &cas.top)] {
            if let Some(ca) = ca {
                if set.len() < MAX_CAS {
                    set.insert(ca.clone());
                } else if !set.contains(ca) {
                    f.more_cas = true;
                }
            }
        }
    }

    /// Moves one assessment's day count from its verdict `before` to its
    /// current one, and notes its codes (a scan-level finding changed it).
    pub(crate) fn reverdict(&mut self, a: &Assessment, before: Verdict) {
        self.codes.extend(a.findings.iter().map(|f| f.code));
        let day = crate::encoding::utc(a.observed_at).date();
        if let Some(counts) = self.days.get_mut(&day) {
            if let Some(n) = counts.get_mut(&before).filter(|n| **n > 0) {
                *n -= 1;
                *counts.entry(a.verdict).or_default() += 1;
            }
        }
    }

    /// Whether the observations span more than a day.
    pub fn spans_days(&self) -> bool {
        match (self.first, self.last) {
            (Some(f), Some(l)) => l - f > time::Duration::DAY,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interceptor;

    #[test]
    fn first_and_last_seen_and_days_follow_the_assessments() {
        let fixture = crate::import::pem_dir::file_observation::<&[u8]>(
            &[],
            "a.example".into(),
            time::macros::datetime!(2026-01-01 0:00 UTC),
        );
        let mut facts = ReportFacts::default();
        let mut a = crate::analyze::Analyzer::new(crate::analyze::AnalysisData::builtin().unwrap())
            .assess(&fixture, crate::analyze::ValidationTime::Observed);
        a.interceptor = Some(Interceptor {
            id: "x".into(),
            label: "X".into(),
            category: None,
            matched_by: crate::model::Attribution::Key,
        });
        facts.add(&a, &ServedCas::default());
        a.observed_at += time::Duration::days(3);
        let before = a.verdict;
        facts.add(&a, &ServedCas::default());
        assert!(facts.spans_days());
        assert_eq!(facts.days.len(), 2);
        let x = &facts.interceptors["x"];
        assert_eq!(
            x.last_seen.unwrap() - x.first_seen.unwrap(),
            time::Duration::days(3)
        );
        a.verdict = Verdict::Intercepted;
        facts.reverdict(&a, before);
        let last_day = facts.days.values().last().unwrap();
        assert_eq!(last_day.get(&Verdict::Intercepted), Some(&1));
    }
}
