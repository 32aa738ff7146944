//! Flagged targets in groups: the targets that share a verdict, an
//! interceptor and the same finding codes get one row with their count and
//! an expandable list, instead of one near-identical row each. A group's
//! evidence is that of its first target (findings, TLS parameters, chain
//! with fingerprints), and its list gives every member's leaf fingerprint.

use super::{badge, chain, codes, visible, when};
use maud::{html, Markup};
use mitmwatch_core::model::{Assessment, Attribution, Observation, Verdict};

/// Members listed in a group's table; the rest are counted.
const LISTED_MEMBERS: usize = 1000;

/// Targets named in a group's row before "and N more".
const NAMED_IN_ROW: usize = 4;

/// What makes targets one group: verdict (intercepted first), interceptor
/// and how it was identified, finding codes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GroupKey {
    suspicious: bool,
    interceptor: Option<(String, Attribution)>,
    codes: String,
}

impl GroupKey {
    pub(crate) fn of(a: &Assessment) -> Self {
        GroupKey {
            suspicious: a.verdict != Verdict::Intercepted,
            interceptor: a
                .interceptor
                .as_ref()
                .filter(|_| a.verdict == Verdict::Intercepted)
                .map(|i| (i.id.clone(), i.matched_by)),
            codes: codes(a),
        }
    }
}

/// One member, as its group lists it.
struct Member {
    target: String,
    address: Option<String>,
    observed_at: time::OffsetDateTime,
    leaf_sha256: Option<mitmwatch_core::model::Fingerprint>,
}

/// Targets that share a [`GroupKey`].
pub(crate) struct Group {
    first: Assessment,
    first_obs: Option<Observation>,
    count: usize,
    members: Vec<Member>,
}

impl Group {
    pub(crate) fn new(a: &Assessment, obs: Option<&Observation>) -> Self {
        Group {
            first: a.clone(),
            first_obs: obs.cloned(),
            count: 0,
            members: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, a: &Assessment, _obs: Option<&Observation>) {
        self.count += 1;
        if self.members.len() < LISTED_MEMBERS {
            self.members.push(Member {
                target: a.target.to_string(),
                address: a.address.clone(),
                observed_at: a.observed_at,
                leaf_sha256: a.leaf.as_ref().map(|l| l.sha256),
            });
        }
    }

    fn severity_rank(&self) -> u8 {
        self.first.top_finding().map_or(0, |f| f.severity as u8 + 1)
    }

    fn row(&self) -> Markup {
        let a = &self.first;
        let who = a
            .interceptor
            .as_ref()
            .filter(|_| a.verdict == Verdict::Intercepted);
        let names: Vec<String> = self
            .members
            .iter()
            .take(NAMED_IN_ROW)
            .map(|m| visible(&m.target))
            .collect();
        let more = self.count.saturating_sub(names.len());
        let issuer = a
            .leaf
            .as_ref()
            .and_then(|l| l.issuer.as_deref())
            .unwrap_or("");
        html! {
            tbody.t data-v=(a.verdict.as_str())
                data-i=(who.map_or(String::new(), |w| visible(&w.id)))
                data-f=(codes(a)) data-s=(self.severity_rank())
                data-h=(names.first().cloned().unwrap_or_default()) data-n=(self.count) {
                tr {
                    td data-label="Targets" {
                        b.count { (mitmwatch_core::plural::count(self.count, "target", "targets")) }
                        br; (names.join(", "))
                        @if more > 0 { " and " (more) " more" }
                    }
                    td data-label="Verdict" { (badge(a.verdict)) }
                    td data-label="Interceptor" {
                        @if let Some(w) = who {
                            (visible(&w.label)) " " span.muted { "(" (crate::text::attribution(w.matched_by)) ")" }
                        } @else { span.muted { "none named" } }
                    }
                    td data-label="Findings" {
                        @for f in distinct_codes(a) {
                            span class={ "sev-" (severity(f.severity)) } { (f.code.as_str()) } " "
                        }
                    }
                    td data-label="Leaf issuer" { (visible(issuer)) }
                }
                tr.d {
                    td colspan="5" {
                        details.evidence {
                            summary { "Evidence: findings, chain and the "
                                (mitmwatch_core::plural::count(self.count, "target", "targets")) }
                            (self.evidence())
                        }
                    }
                }
            }
        }
    }

    fn evidence(&self) -> Markup {
        let a = &self.first;
        let example = visible(&a.target.to_string());
        html! {
            @if self.count > 1 {
                p.muted { "Findings and chain as served to " (example)
                    "; every target of this group has the same finding codes." }
            }
            @if let Some(f) = &a.failure { p { (a.status.as_str()) ": " (visible(f)) } }
            @if let Some(tls) = self.first_obs.as_ref().and_then(|o| o.tls.as_ref()) {
                p.muted {
                    (visible(&tls.version)) " " (visible(&tls.cipher_suite)) " "
                    (visible(tls.kx_group.as_deref().unwrap_or(""))) " ALPN "
                    (visible(tls.alpn.as_deref().unwrap_or("none")))
                }
            }
            @for f in &a.findings {
                p {
                    span class={ "sev-" (severity(f.severity)) } { "[" (severity(f.severity)) "]" } " "
                    b { (visible(&f.title)) } " " code { (f.code.as_str()) }
                    br; (visible(&f.explanation))
                    @if let Some(d) = &f.evidence.detail { br; span.muted { (visible(d)) } }
                }
            }
            @match &self.first_obs {
                Some(obs) => (chain(obs)),
                None => p.muted { "TLS parameters and chain left out (--details flagged shows them for flagged targets only)." },
            }
            table.members {
                thead { tr { th { "Target" } th { "Address" } th { "Observed" } th { "Leaf SHA-256" } } }
                tbody {
                    @for m in &self.members {
                        tr {
                            td { (visible(&m.target)) }
                            td { (visible(m.address.as_deref().unwrap_or(""))) }
                            td { (when(Some(m.observed_at))) }
                            td { code.fp { (m.leaf_sha256.map(|f| f.to_string()).unwrap_or_default()) } }
                        }
                    }
                }
            }
            @if self.count > self.members.len() {
                p.muted { "and " (self.count - self.members.len())
                    " more: the CSV report (report --format csv) lists every target." }
            }
        }
    }
}

/// The findings with a code not seen before, most severe first.
fn distinct_codes(a: &Assessment) -> Vec<&mitmwatch_core::model::Finding> {
    let mut seen = Vec::new();
    a.findings
        .iter()
        .filter(|f| {
            let new = !seen.contains(&f.code);
            seen.push(f.code);
            new
        })
        .collect()
}

/// The kebab-case name of a severity.
fn severity(s: mitmwatch_core::model::Severity) -> &'static str {
    use mitmwatch_core::model::Severity;
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
    }
}

/// The flagged section's table: one row per group, largest first within
/// intercepted, then suspicious.
pub(crate) fn flagged_table(mut groups: Vec<Group>) -> String {
    if groups.is_empty() {
        return String::new();
    }
    groups.sort_by(|a, b| {
        (
            a.first.verdict != Verdict::Intercepted,
            std::cmp::Reverse(a.count),
        )
            .cmp(&(
                b.first.verdict != Verdict::Intercepted,
                std::cmp::Reverse(b.count),
            ))
    });
    let targets: usize = groups.iter().map(|g| g.count).sum();
    html! {
        p.muted { (mitmwatch_core::plural::count(targets, "target", "targets")) " in "
            (mitmwatch_core::plural::count(groups.len(), "group", "groups"))
            ": targets with the same verdict, interceptor and findings share a row. Open its evidence for \
             the findings, the chain with its fingerprints and every target." }
        table.targets.sortable #flagged-table {
            colgroup {
                col style="width:26%"; col style="width:13%"; col style="width:22%";
                col style="width:19%"; col style="width:20%";
            }
            thead { tr { th { "Targets" } th { "Verdict" } th { "Interceptor" } th { "Findings" } th { "Leaf issuer" } } }
            @for g in &groups { (g.row()) }
        }
    }
    .into_string()
}
