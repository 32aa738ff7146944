//! Scan-level conclusions: how many targets were intercepted, by whom, and
//! whether interception was blanket (every name: a corporate proxy or
//! antivirus) or targeted (some names only: SNI-triggered, as in
//! Kazakhstan).

use crate::model::{Assessment, InterceptorHits, Pattern, ScanSummary, Verdict, ASSESSMENT_SCHEMA};
use std::collections::{BTreeMap, BTreeSet};

/// Builds a summary one assessment at a time, so a streaming scan need not
/// keep its assessments.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    targets: usize,
    verdicts: BTreeMap<Verdict, usize>,
    statuses: BTreeMap<crate::model::Status, usize>,
    hits: BTreeMap<String, (crate::model::Interceptor, BTreeSet<String>)>,
}

impl SummaryBuilder {
    /// Counts one assessment.
    pub fn add(&mut self, a: &Assessment) {
        self.targets += 1;
        *self.verdicts.entry(a.verdict).or_insert(0) += 1;
        *self.statuses.entry(a.status).or_insert(0) += 1;
        if a.verdict == Verdict::Intercepted {
            if let Some(who) = &a.interceptor {
                self.hits
                    .entry(who.id.clone())
                    .or_insert_with(|| (who.clone(), BTreeSet::new()))
                    .1
                    .insert(a.target.expected_name().to_string());
            }
        }
    }

    /// The verdict counts so far.
    pub fn verdicts(&self) -> &BTreeMap<Verdict, usize> {
        &self.verdicts
    }

    /// The summary. `network_scan` is false for chains read from files,
    /// where blanket/targeted says nothing.
    pub fn finish(self, network_scan: bool) -> ScanSummary {
        let mut interceptors: Vec<InterceptorHits> = self
            .hits
            .into_values()
            .map(|(interceptor, domains)| InterceptorHits {
                interceptor,
                domains: domains.into_iter().collect(),
            })
            .collect();
        interceptors.sort_by(|a, b| {
            b.domains
                .len()
                .cmp(&a.domains.len())
                .then(a.interceptor.id.cmp(&b.interceptor.id))
        });
        let count = |v: Verdict| self.verdicts.get(&v).copied().unwrap_or(0);
        let judged = self.targets - count(Verdict::Error);
        let intercepted = count(Verdict::Intercepted);
        let pattern = match intercepted {
            _ if !network_scan => None,
            0 => None,
            n if n == judged && judged >= 2 => Some(Pattern::Blanket),
            n if n == judged => None,
            _ => Some(Pattern::Targeted),
        };
        let conclusion = conclusion(
            self.targets,
            judged,
            intercepted,
            count(Verdict::Suspicious),
            pattern,
            &interceptors,
        );
        ScanSummary {
            record_type: "summary".into(),
            schema: ASSESSMENT_SCHEMA,
            targets: self.targets,
            verdicts: self.verdicts,
            statuses: self.statuses,
            interceptors,
            pattern,
            conclusion,
        }
    }
}

/// Summarises assessments. `network_scan` is false for chains read from
/// files, where blanket/targeted says nothing.
pub fn summarise(assessments: &[Assessment], network_scan: bool) -> ScanSummary {
    let mut builder = SummaryBuilder::default();
    for a in assessments {
        builder.add(a);
    }
    builder.finish(network_scan)
}

fn conclusion(
    total: usize,
    judged: usize,
    intercepted: usize,
    suspicious: usize,
    pattern: Option<Pattern>,
    interceptors: &[InterceptorHits],
) -> String {
    if judged == 0 {
        return format!(
            "No certificate could be collected from any of the {total} targets: nothing to judge."
        );
    }
    if intercepted == 0 {
        let mut s = format!("No interception found in {judged} of {total} targets that answered.");
        if suspicious > 0 {
            s.push_str(&format!(
                " {suspicious} looked suspicious; see their findings."
            ));
        }
        return s;
    }
    let mut who: Vec<String> = interceptors
        .iter()
        .take(3)
        .map(|i| format!("{} ({} domains)", i.interceptor.label, i.domains.len()))
        .collect();
    if interceptors.len() > 3 {
        who.push(format!("{} others", interceptors.len() - 3));
    }
    let how = match pattern {
        Some(Pattern::Blanket) => " Every target was intercepted: this is blanket interception, typical of a corporate proxy, a firewall or antivirus software on this machine.",
        Some(Pattern::Targeted) => " Only some targets were intercepted while others were left alone: this is targeted interception, triggered by the name you connect to (SNI), the pattern of the Kazakhstan state interception.",
        None => "",
    };
    format!(
        "{intercepted} of {judged} targets were intercepted by {}.{how}",
        if who.is_empty() {
            "an unidentified party".to_string()
        } else {
            who.join(", ")
        }
    )
}
