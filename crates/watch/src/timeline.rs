//! Each site's history as a few segments: runs in a row with the same
//! verdict (and interceptor) make one segment, "clean from 09:00 to 14:30
//! (12 runs), intercepted by X from 15:00 to 18:00 (7 runs)".

use crate::query::SiteResult;
use mitmwatch_core::model::Target;
use serde::Serialize;
use time::OffsetDateTime;

/// One site's timeline.
#[derive(Clone, Debug, Serialize)]
pub struct SiteTimeline {
    /// The site.
    pub target: Target,
    /// The proxy it was reached through (`None`: directly).
    pub via: Option<String>,
    /// Its segments, oldest first.
    pub segments: Vec<Segment>,
}

/// Runs in a row with the same result for a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// The verdict.
    pub verdict: String,
    /// How the connections ended (the first run's status when they differ).
    pub status: String,
    /// The interceptor, when intercepted.
    pub interceptor: Option<String>,
    /// When the first run of the segment started.
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    /// When the last run of the segment started.
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// The first run's id.
    pub first_run: i64,
    /// The last run's id.
    pub last_run: i64,
    /// How many runs.
    pub runs: usize,
}

/// Groups results (by site, then run, as
/// [`crate::History::site_results`] returns them) into timelines.
pub fn timelines(results: &[SiteResult]) -> Vec<SiteTimeline> {
    let mut out: Vec<SiteTimeline> = Vec::new();
    for r in results {
        if out
            .last()
            .is_none_or(|t| t.target != r.target || t.via != r.via)
        {
            out.push(SiteTimeline {
                target: r.target.clone(),
                via: r.via.clone(),
                segments: Vec::new(),
            });
        }
        let Some(timeline) = out.last_mut() else {
            continue;
        };
        match timeline.segments.last_mut() {
            Some(s) if s.verdict == r.verdict && s.interceptor == r.interceptor => {
                s.to = r.run_at;
                s.last_run = r.run_id;
                s.runs += 1;
            }
            _ => timeline.segments.push(Segment {
                verdict: r.verdict.clone(),
                status: r.status.clone(),
                interceptor: r.interceptor.clone(),
                from: r.run_at,
                to: r.run_at,
                first_run: r.run_id,
                last_run: r.run_id,
                runs: 1,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(host: &str, run: i64, verdict: &str, by: Option<&str>) -> SiteResult {
        SiteResult {
            run_id: run,
            run_at: OffsetDateTime::from_unix_timestamp(run * 1800).unwrap(),
            target: Target::new(host, 443),
            via: None,
            status: "ok".into(),
            verdict: verdict.into(),
            interceptor: by.map(str::to_string),
        }
    }

    #[test]
    fn runs_in_a_row_with_one_result_make_one_segment() {
        let rows = vec![
            result("a.example", 1, "clean", None),
            result("a.example", 2, "clean", None),
            result("a.example", 3, "intercepted", Some("X")),
            result("a.example", 4, "intercepted", Some("Y")),
            result("a.example", 5, "clean", None),
            result("b.example", 1, "clean", None),
        ];
        let t = timelines(&rows);
        assert_eq!(t.len(), 2);
        let a: Vec<(&str, usize, i64, i64)> = t[0]
            .segments
            .iter()
            .map(|s| (s.verdict.as_str(), s.runs, s.first_run, s.last_run))
            .collect();
        assert_eq!(
            a,
            vec![
                ("clean", 2, 1, 2),
                ("intercepted", 1, 3, 3),
                ("intercepted", 1, 4, 4),
                ("clean", 1, 5, 5)
            ]
        );
        assert_eq!(t[1].segments.len(), 1);
    }
}
