//! What `mitmwatch check` concludes ([`CheckReport`]): one document with a
//! verdict for the person who asked "am I intercepted right now?", the
//! judged sites, the direct path when a proxy is configured, what this
//! machine's trust stores hold, and the data the verdicts rest on. The
//! measurement that fills it is `mitmwatch_collect::check::run_check`; the
//! text is rendered by `mitmwatch_report::check_text`. The JSON form is
//! documented in `docs/formats.md` with a JSON Schema
//! (`docs/schemas/check.schema.json`) that the tests validate real output
//! against.

use super::{Assessment, DataUsed, ScanLink, ScanSummary, StoreSource, Verdict};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Version of the check document.
pub const CHECK_SCHEMA: u32 = 1;

/// The answer of `check`, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckVerdict {
    /// At least one site was intercepted (positive evidence).
    Intercepted,
    /// Fewer than half of the sites could be reached: too little to say
    /// "clean".
    Inconclusive,
    /// Enough sites were reached, none was intercepted, and at least one
    /// gave a finding that cannot be settled either way.
    Suspicious,
    /// Enough sites were reached, and every one that answered presented
    /// its genuine chain.
    Clean,
}

impl CheckVerdict {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckVerdict::Intercepted => "intercepted",
            CheckVerdict::Inconclusive => "inconclusive",
            CheckVerdict::Suspicious => "suspicious",
            CheckVerdict::Clean => "clean",
        }
    }

    /// The verdict for one path's counts: intercepted if any site was;
    /// else inconclusive if fewer than half of the sites (at least one)
    /// answered; else suspicious if any site was; else clean.
    pub fn of(counts: &SiteCounts) -> CheckVerdict {
        if counts.intercepted > 0 {
            CheckVerdict::Intercepted
        } else if counts.reached < counts.sites.div_ceil(2).max(1) {
            CheckVerdict::Inconclusive
        } else if counts.suspicious > 0 {
            CheckVerdict::Suspicious
        } else {
            CheckVerdict::Clean
        }
    }
}

impl std::fmt::Display for CheckVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many sites a path measured, and what they came to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteCounts {
    /// Sites measured.
    pub sites: usize,
    /// Of those, sites that answered with a certificate chain (judged).
    pub reached: usize,
    /// Of those, judged `intercepted`.
    pub intercepted: usize,
    /// Of those, judged `suspicious`.
    pub suspicious: usize,
}

impl SiteCounts {
    /// The counts of a judged scan.
    pub fn of(summary: &ScanSummary) -> SiteCounts {
        let count = |v: Verdict| summary.verdicts.get(&v).copied().unwrap_or(0);
        SiteCounts {
            sites: summary.targets,
            reached: summary.targets - count(Verdict::Error),
            intercepted: count(Verdict::Intercepted),
            suspicious: count(Verdict::Suspicious),
        }
    }
}

/// One network path's measurement: the sites judged and their verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckPath {
    /// This path's verdict ([`CheckVerdict::of`] its counts).
    pub verdict: CheckVerdict,
    /// Sites measured, reached, intercepted and suspicious.
    pub counts: SiteCounts,
    /// The scan's summary (interceptors, pattern, conclusion).
    pub summary: ScanSummary,
    /// One assessment per site, in the list's order.
    pub assessments: Vec<Assessment>,
}

impl CheckPath {
    /// A path from its judged sites.
    pub fn new(summary: ScanSummary, assessments: Vec<Assessment>) -> CheckPath {
        let counts = SiteCounts::of(&summary);
        CheckPath {
            verdict: CheckVerdict::of(&counts),
            counts,
            summary,
            assessments,
        }
    }
}

/// What this machine's trust stores say, looked at after the sites were
/// judged (unless `--no-store`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckStore {
    /// The store audit's format version (`STORE_SCHEMA`) of `sources`
    /// and `links`.
    pub schema: u32,
    /// Every store looked at.
    pub sources: Vec<StoreSource>,
    /// For each interceptor found: whether the root behind it is
    /// installed here (empty unless something was intercepted).
    pub links: Vec<ScanLink>,
    /// Roots this machine trusts that were added to it and are not in
    /// `compared_with`: browsers here accept certificates from them
    /// without a warning.
    pub added_roots: usize,
    /// The public store the roots found were compared with (Mozilla's).
    pub compared_with: String,
}

/// The whole answer of `mitmwatch check` (`--format json` prints it as one
/// document).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckReport {
    /// Always `check`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// [`CHECK_SCHEMA`].
    pub schema: u32,
    /// The answer: `intercepted` if either path was intercepted, else the
    /// measured path's verdict.
    pub verdict: CheckVerdict,
    /// When the measurement started.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    /// The validation time the chains were judged at; null when each was
    /// judged as of when it was served (`--at observed`).
    #[serde(with = "time::serde::rfc3339::option")]
    pub validated_at: Option<OffsetDateTime>,
    /// The proxy the sites were reached through (its URL without
    /// credentials), or null.
    pub proxy: Option<String>,
    /// The measured path: through `proxy` when one is set, else direct.
    pub measured: CheckPath,
    /// With a proxy: the same sites measured directly, bypassing it.
    pub direct: Option<CheckPath>,
    /// This machine's trust stores; null with `--no-store`.
    pub store: Option<CheckStore>,
    /// The analysis data the verdicts rest on.
    pub data_used: DataUsed,
}

impl CheckReport {
    /// A report from the measured path and, with a proxy, the direct one.
    /// The store is added afterwards ([`CheckReport::store`]) by whoever
    /// can read this machine's stores.
    pub fn new(
        checked_at: OffsetDateTime,
        validated_at: Option<OffsetDateTime>,
        (proxy, measured): (Option<String>, CheckPath),
        direct: Option<CheckPath>,
        data_used: DataUsed,
    ) -> CheckReport {
        let verdict = match &direct {
            Some(d) if d.verdict == CheckVerdict::Intercepted => CheckVerdict::Intercepted,
            _ => measured.verdict,
        };
        CheckReport {
            record_type: "check".into(),
            schema: CHECK_SCHEMA,
            verdict,
            checked_at,
            validated_at,
            proxy,
            measured,
            direct,
            store: None,
            data_used,
        }
    }

    /// The path whose interception the store audit should look at: the
    /// direct one when only it was intercepted, else the measured one.
    pub fn intercepted_path(&self) -> &CheckPath {
        match &self.direct {
            Some(d) if self.only_direct_intercepted() => d,
            _ => &self.measured,
        }
    }

    /// Whether the direct path was intercepted and the measured one (through
    /// the proxy) was not.
    pub fn only_direct_intercepted(&self) -> bool {
        self.measured.counts.intercepted == 0
            && self
                .direct
                .as_ref()
                .is_some_and(|d| d.counts.intercepted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(sites: usize, reached: usize, intercepted: usize, suspicious: usize) -> SiteCounts {
        SiteCounts {
            sites,
            reached,
            intercepted,
            suspicious,
        }
    }

    #[test]
    fn the_verdict_needs_half_the_sites_unless_one_was_intercepted() {
        assert_eq!(
            CheckVerdict::of(&counts(63, 63, 37, 0)),
            CheckVerdict::Intercepted
        );
        assert_eq!(
            CheckVerdict::of(&counts(63, 1, 1, 0)),
            CheckVerdict::Intercepted
        );
        assert_eq!(CheckVerdict::of(&counts(63, 32, 0, 0)), CheckVerdict::Clean);
        assert_eq!(
            CheckVerdict::of(&counts(63, 31, 0, 0)),
            CheckVerdict::Inconclusive
        );
        assert_eq!(
            CheckVerdict::of(&counts(63, 31, 0, 3)),
            CheckVerdict::Inconclusive
        );
        assert_eq!(
            CheckVerdict::of(&counts(63, 40, 0, 3)),
            CheckVerdict::Suspicious
        );
        assert_eq!(
            CheckVerdict::of(&counts(0, 0, 0, 0)),
            CheckVerdict::Inconclusive
        );
    }
}
