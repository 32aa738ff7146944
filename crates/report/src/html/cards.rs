//! Parts of the HTML report around the rows: one card per interceptor
//! (fingerprints of the CAs it served, key or name match, first and last
//! seen, its domains as a compact list), the filter and sort controls
//! (hidden until the script shows them), and the provenance block.

use super::{charts, visible, when};
use maud::{html, Markup};
use mitmwatch_core::judge::facts::{ReportFacts, ServedCa};
use mitmwatch_core::model::{Attribution, Provenance, ScanSummary, Verdict};
use std::collections::BTreeSet;

/// Domains listed on a card before the rest fold away.
const SHOWN_DOMAINS: usize = 60;

fn ca_lines(role: &str, cas: &BTreeSet<ServedCa>) -> Markup {
    html! {
        @for ca in cas {
            dt { (role) }
            dd {
                (visible(ca.subject.as_deref().unwrap_or("(unparsed)")))
                br; span.muted { "SHA-256 " } code.fp { (ca.sha256.to_string()) }
                br; span.muted { "SPKI SHA-256 " } code.fp { (ca.spki_sha256.map_or_else(|| "(unparsed)".to_owned(), |k| k.to_string())) }
            }
        }
    }
}

/// The interceptors section: a bar chart of domains per interceptor (when
/// there are several) and a card for each.
pub(crate) fn interceptor_cards(summary: &ScanSummary, facts: &ReportFacts) -> Markup {
    let domains: usize = summary.interceptors.iter().map(|h| h.domains.len()).sum();
    let rows: Vec<(String, usize)> = summary
        .interceptors
        .iter()
        .take(12)
        .map(|hit| (hit.interceptor.label.clone(), hit.domains.len()))
        .collect();
    html! {
        h2 #interceptors { "Interceptors" }
        @if summary.interceptors.is_empty() {
            p { "None found." }
        } @else {
            @if summary.interceptors.len() > 1 {
                (charts::bars("domains-per-interceptor", "Domains per interceptor", &rows, domains))
            }
            div.cards {
                @for hit in &summary.interceptors {
                    @let who = &hit.interceptor;
                    @let f = facts.interceptors.get(&who.id).cloned().unwrap_or_default();
                    div.card data-i=(visible(&who.id)) {
                        h3 { (visible(&who.label)) }
                        code { (visible(&who.id)) } " · "
                        (who.category.map(|c| c.describe()).unwrap_or("category unknown"))
                        dl.kv {
                            dt { "Identified by" }
                            dd.match {
                                @match who.matched_by {
                                    Attribution::Key => { b { "key" } ": a served key or fingerprint matches; one key, one holder" }
                                    Attribution::Name => { b { "name only" } ": anyone can put this name in a certificate" }
                                }
                            }
                            dt { "First seen" } dd { (when(f.first_seen)) }
                            dt { "Last seen" } dd { (when(f.last_seen)) }
                            dt { "Domains" } dd.count { (hit.domains.len()) }
                            (ca_lines("Issuing CA as served", &f.issuing))
                            (ca_lines("Top of chain as served", &f.top))
                            @if f.issuing.is_empty() { dt { "CA certificates" } dd { "none served (leaf only)" } }
                            @if f.more_cas { dt {} dd.muted { "more CAs were served than are listed" } }
                        }
                        ul.dom {
                            @for d in hit.domains.iter().take(SHOWN_DOMAINS) { li { (visible(d)) } }
                        }
                        @if hit.domains.len() > SHOWN_DOMAINS {
                            details {
                                summary { (hit.domains.len() - SHOWN_DOMAINS) " more" }
                                ul.dom { @for d in &hit.domains[SHOWN_DOMAINS..] { li { (visible(d)) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Filter and sort controls, hidden: the script shows them.
pub(crate) fn controls(summary: &ScanSummary, facts: &ReportFacts) -> Markup {
    let verdicts = [
        Verdict::Intercepted,
        Verdict::Suspicious,
        Verdict::Error,
        Verdict::Clean,
    ];
    html! {
        div #controls hidden {
            label { "Verdict "
                select #f-verdict {
                    option value="" { "any" }
                    @for v in verdicts {
                        @if summary.verdicts.get(&v).copied().unwrap_or(0) > 0 { option { (v.as_str()) } }
                    }
                }
            }
            label { "Interceptor "
                select #f-interceptor {
                    option value="" { "any" }
                    @for hit in &summary.interceptors {
                        option value=(visible(&hit.interceptor.id)) { (visible(&hit.interceptor.label)) }
                    }
                }
            }
            label { "Finding "
                select #f-finding {
                    option value="" { "any" }
                    @for code in &facts.codes { option { (code.as_str()) } }
                }
            }
            label { "Sort flagged by "
                select #f-sort {
                    option value="n" { "group size" }
                    option value="s" { "severity" }
                    option value="h" { "target" }
                    option value="i" { "interceptor" }
                }
            }
            " " span #f-count .muted {}
        }
    }
}

/// How the report was made; says so when nothing was recorded.
pub(crate) fn provenance(p: Option<&Provenance>) -> Markup {
    html! {
        section #provenance {
            h2 { "How this report was made" }
            @match p {
                None => p.muted { "Not recorded (a report rendered from judgements in memory)." },
                Some(p) => {
                    dl.kv {
                        @for input in &p.inputs {
                            dt { "Input" }
                            dd { code { (visible(&input.name)) } ", " (input.bytes) " bytes, SHA-256 "
                                code.fp { (visible(&input.sha256)) } }
                        }
                        dt { "Observations made" } dd { (when(p.observed_from)) " to " (when(p.observed_until)) }
                        dt { "Validation time" } dd #validation-time { (super::validation_text(&p.at)) }
                        @for (label, text) in p.data.lines() { dt { (label) } dd { (visible(text)) } }
                        dt { "Skipped input lines" } dd #skipped { (p.skipped_lines) }
                    }
                    @if !p.first_skipped.is_empty() {
                        ul #skipped-lines {
                            @for s in &p.first_skipped { li { "line " (s.line) ": " (visible(&s.message)) } }
                            @if p.skipped_lines > p.first_skipped.len() {
                                li { "and " (p.skipped_lines - p.first_skipped.len()) " more" }
                            }
                        }
                    }
                }
            }
        }
    }
}
