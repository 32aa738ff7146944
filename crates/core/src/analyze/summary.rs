//! Scan-level conclusions: how many targets were intercepted, by whom, and
//! whether interception was blanket (every name: a corporate proxy or
//! antivirus) or targeted (some names only: SNI-triggered, as in
//! Kazakhstan).

use crate::model::{
    Assessment, Attribution, InterceptorHits, Pattern, ScanSummary, Verdict, ASSESSMENT_SCHEMA,
};
use std::collections::BTreeMap;

/// Builds a summary one assessment at a time, so a streaming scan need not
/// keep its assessments.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    targets: usize,
    verdicts: BTreeMap<Verdict, usize>,
    statuses: BTreeMap<crate::model::Status, usize>,
    /// Interceptor id -> the interceptor and how many assessments named each domain.
    /// Keyed by id and attribution, so that a key match and a name-only
    /// match of one catalog entry are reported apart.
    hits: BTreeMap<(String, Attribution), (crate::model::Interceptor, BTreeMap<String, usize>)>,
    /// Intercepted observations whose handshake sent an SNI.
    intercepted_with_sni: usize,
}

impl SummaryBuilder {
    /// Counts one assessment.
    pub fn add(&mut self, a: &Assessment) {
        self.targets += 1;
        *self.verdicts.entry(a.verdict).or_insert(0) += 1;
        *self.statuses.entry(a.status).or_insert(0) += 1;
        if a.verdict == Verdict::Intercepted {
            if a.target.sni.is_some() {
                self.intercepted_with_sni += 1;
            }
            if let Some(who) = &a.interceptor {
                *self
                    .hits
                    .entry((who.id.clone(), who.matched_by))
                    .or_insert_with(|| (who.clone(), BTreeMap::new()))
                    .1
                    .entry(a.target.expected_name().to_string())
                    .or_insert(0) += 1;
            }
        }
    }

    /// Takes back an assessment counted by [`SummaryBuilder::add`], before
    /// counting its amended version (a scan-level finding changed it).
    pub(crate) fn remove(&mut self, a: &Assessment) {
        fn take<K: Ord>(map: &mut BTreeMap<K, usize>, key: &K) {
            if let Some(n) = map.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(key);
                }
            }
        }
        self.targets = self.targets.saturating_sub(1);
        take(&mut self.verdicts, &a.verdict);
        take(&mut self.statuses, &a.status);
        if a.verdict == Verdict::Intercepted {
            if a.target.sni.is_some() {
                self.intercepted_with_sni = self.intercepted_with_sni.saturating_sub(1);
            }
            if let Some(who) = &a.interceptor {
                let key = (who.id.clone(), who.matched_by);
                if let Some((_, domains)) = self.hits.get_mut(&key) {
                    take(domains, &a.target.expected_name().to_string());
                    if domains.is_empty() {
                        self.hits.remove(&key);
                    }
                }
            }
        }
    }

    /// The summary. `network_scan` is false for chains read from files,
    /// where blanket/targeted says nothing.
    pub fn finish(self, network_scan: bool) -> ScanSummary {
        let mut interceptors: Vec<InterceptorHits> = self
            .hits
            .into_values()
            .map(|(interceptor, domains)| InterceptorHits {
                interceptor,
                domains: domains.into_keys().collect(),
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
        // Interception can be said to follow the name only if a name was
        // sent in the handshakes it hit.
        let named = self.intercepted_with_sni > 0;
        let conclusion = conclusion(
            self.targets,
            judged,
            (intercepted, count(Verdict::Suspicious)),
            pattern,
            named,
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
            provenance: None,
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
    (intercepted, suspicious): (usize, usize),
    pattern: Option<Pattern>,
    named: bool,
    interceptors: &[InterceptorHits],
) -> String {
    if judged == 0 {
        return format!(
            "No certificate could be collected from {}: nothing to judge.",
            match total {
                1 => "the target".to_string(),
                n => format!("any of the {n} targets"),
            }
        );
    }
    if intercepted == 0 {
        if suspicious == 0 {
            return format!(
                "No interception found in the {judged} of {} that answered.",
                crate::plural::count(total, "target", "targets")
            );
        }
        return format!(
            "No interception was proven in the {judged} of {} that answered, but {suspicious} \
             could not be settled (suspicious): their findings say what points at interception and what \
             harmless cause would explain it.",
            crate::plural::count(total, "target", "targets")
        );
    }
    let mut who: Vec<String> = interceptors
        .iter()
        .take(3)
        .map(|i| {
            format!(
                "{} ({})",
                i.interceptor.label,
                crate::plural::count(i.domains.len(), "domain", "domains")
            )
        })
        .collect();
    if interceptors.len() > 3 {
        who.push(crate::plural::count(
            interceptors.len() - 3,
            "other",
            "others",
        ));
    }
    let how = match pattern {
        Some(Pattern::Blanket) => " Every target was intercepted: this is blanket interception, typical of a corporate proxy, a firewall or antivirus software on this machine.",
        Some(Pattern::Targeted) if !named => " Only some destinations were intercepted while others were left alone: this is targeted interception. No server name (SNI) was sent, so it was chosen by address and port, not by name.",
        Some(Pattern::Targeted) => " Only some targets were intercepted while others were left alone: this is targeted interception, triggered by the name you connect to (SNI), the pattern of the Kazakhstan state interception.",
        None => "",
    };
    let also = if suspicious > 0 {
        format!(" {suspicious} more could not be settled (suspicious).")
    } else {
        String::new()
    };
    format!(
        "{intercepted} of {} {} intercepted by {}.{how}{also}",
        crate::plural::count(judged, "target", "targets"),
        crate::plural::noun(intercepted, "was", "were"),
        if who.is_empty() {
            "an unidentified party".to_string()
        } else {
            who.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assessment(host: &str, verdict: &str, interceptor: Option<&str>) -> Assessment {
        let who = interceptor.map_or("null".to_string(), |id| {
            format!(r#"{{"id":"{id}","label":"{id}","category":null,"matched_by":"key"}}"#)
        });
        serde_json::from_str(&format!(
            r#"{{"type":"assessment","schema":2,"target":{{"host":"{host}","port":443,"sni":"{host}"}},
            "address":null,"observed_at":"2026-06-01T00:00:00Z","validated_at":"2026-06-01T00:00:00Z",
            "status":"ok","failure":null,"verdict":"{verdict}","interceptor":{who},"leaf":null,"findings":[]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn removing_an_assessment_undoes_adding_it() {
        let kept = [
            assessment("a.example", "intercepted", Some("kz")),
            assessment("a.example", "intercepted", Some("kz")),
            assessment("b.example", "clean", None),
        ];
        let gone = assessment("a.example", "intercepted", Some("kz"));
        let mut builder = SummaryBuilder::default();
        builder.add(&kept[0]);
        builder.add(&gone);
        builder.add(&kept[1]);
        builder.add(&kept[2]);
        builder.remove(&gone);
        let with_removal = serde_json::to_value(builder.finish(true)).unwrap();
        let direct = serde_json::to_value(summarise(&kept, true)).unwrap();
        assert_eq!(with_removal, direct);
        // a.example is still named: two assessments still see it intercepted.
        assert_eq!(direct["interceptors"][0]["domains"][0], "a.example");

        let mut only = SummaryBuilder::default();
        only.add(&gone);
        only.remove(&gone);
        only.add(&kept[2]);
        assert_eq!(
            serde_json::to_value(only.finish(true)).unwrap(),
            serde_json::to_value(summarise(&kept[2..], true)).unwrap()
        );
    }
}
