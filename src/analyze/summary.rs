//! Scan-level conclusions: how many targets were intercepted, by whom, and
//! whether interception was blanket (every name: a corporate proxy or
//! antivirus) or targeted (some names only: SNI-triggered, as in
//! Kazakhstan).

use crate::model::{Assessment, InterceptorHits, Pattern, ScanSummary, Verdict, ASSESSMENT_SCHEMA};
use std::collections::BTreeMap;

/// Summarises assessments. `network_scan` is false for chains read from
/// files, where blanket/targeted says nothing.
pub fn summarise(assessments: &[Assessment], network_scan: bool) -> ScanSummary {
    let mut verdicts = BTreeMap::new();
    let mut statuses = BTreeMap::new();
    let mut hits: BTreeMap<String, InterceptorHits> = BTreeMap::new();
    for a in assessments {
        *verdicts.entry(a.verdict).or_insert(0) += 1;
        *statuses.entry(a.status).or_insert(0) += 1;
        if a.verdict == Verdict::Intercepted {
            if let Some(who) = &a.interceptor {
                let entry = hits
                    .entry(who.id.clone())
                    .or_insert_with(|| InterceptorHits {
                        interceptor: who.clone(),
                        domains: Vec::new(),
                    });
                let name = a.target.expected_name().to_string();
                if !entry.domains.contains(&name) {
                    entry.domains.push(name);
                }
            }
        }
    }
    let mut interceptors: Vec<InterceptorHits> = hits.into_values().collect();
    for i in &mut interceptors {
        i.domains.sort();
    }
    interceptors.sort_by(|a, b| {
        b.domains
            .len()
            .cmp(&a.domains.len())
            .then(a.interceptor.id.cmp(&b.interceptor.id))
    });
    let count = |v: Verdict| verdicts.get(&v).copied().unwrap_or(0);
    let judged = assessments.len() - count(Verdict::Error);
    let intercepted = count(Verdict::Intercepted);
    let pattern = match intercepted {
        _ if !network_scan => None,
        0 => None,
        n if n == judged && judged >= 2 => Some(Pattern::Blanket),
        n if n == judged => None,
        _ => Some(Pattern::Targeted),
    };
    let conclusion = conclusion(
        assessments.len(),
        judged,
        intercepted,
        count(Verdict::Suspicious),
        pattern,
        &interceptors,
    );
    ScanSummary {
        record_type: "summary".into(),
        schema: ASSESSMENT_SCHEMA,
        targets: assessments.len(),
        verdicts,
        statuses,
        interceptors,
        pattern,
        conclusion,
    }
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
