//! A self-contained HTML report, written with maud's compiled templates,
//! which escape every interpolation by default. Conclusion first: the
//! summary with its counts and pictures ([`charts`]), one card per
//! interceptor with the fingerprints of what it served ([`cards`]), then the
//! flagged targets grouped by verdict, interceptor and findings (a count
//! and an expandable list per group), then errors and clean targets
//! collapsed in pages of [`PAGE_ROWS`], and last how the report was made.
//!
//! The page is written in parts ([`head`], [`Rows::row`], [`Rows::finish`])
//! so that a large scan is never held whole. A small inline script,
//! allowed by its hash in the Content-Security-Policy, filters and sorts the
//! rows and opens the evidence for printing; the page reads the same
//! without it and loads nothing. Printed, the controls go, the evidence
//! (findings, chains, fingerprints) is shown, PEM blocks are left out, and
//! rows are compact. At narrow widths (a phone) table rows become stacked
//! blocks. Certificate text is made visible ([`visible`]: control and bidi
//! characters as `\u{…}`, the backslash doubled) before maud escapes it.

mod cards;
mod charts;
mod group;

use group::{Group, GroupKey};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use mitmwatch_core::encoding::{pem_encode, rfc3339_seconds};
use mitmwatch_core::judge::facts::{ReportFacts, ServedCas};
use mitmwatch_core::model::{Assessment, Observation, ScanSummary, Verdict};
use std::collections::BTreeMap;

/// Rows per page of the collapsed sections (errors, clean targets).
pub(crate) const PAGE_ROWS: usize = 1000;

const STYLE: &str = include_str!("style.css");
const PRINT_STYLE: &str = include_str!("print.css");

/// The filter, sort and print script, allowed by its SHA-256 in the CSP.
const SCRIPT: &str = include_str!("script.js");

/// The CSP source for the page's script: `'sha256-…'`.
pub fn script_hash() -> String {
    format!(
        "'sha256-{}'",
        mitmwatch_core::encoding::base64_encode(&mitmwatch_core::encoding::sha256(
            SCRIPT.as_bytes()
        ))
    )
}

/// Untrusted text as the page shows it: control and bidi characters as
/// visible `\u{…}`, and the backslash itself doubled so that a literal
/// `\u{1b}` in a certificate cannot pass for an escaped one. maud then
/// escapes `&`, `<`, `>` and `"`.
pub(crate) fn visible(text: &str) -> String {
    crate::terminal::escape(text)
}

/// An instant to the second, or a dash.
pub(crate) fn when(t: Option<time::OffsetDateTime>) -> String {
    t.map_or_else(|| "—".into(), rfc3339_seconds)
}

/// A verdict badge.
pub(crate) fn badge(v: Verdict) -> Markup {
    html! { span class={ "v " (v.as_str()) } { (v.as_str()) } }
}

/// The whole page from judgements in memory: [`head`], a row per target
/// in [`row_order`] through [`Rows`], then [`Rows::finish`].
pub fn render(
    observations: &[Observation],
    assessments: &[Assessment],
    summary: &ScanSummary,
    generated: &str,
) -> String {
    let mut facts = ReportFacts::default();
    for (a, o) in assessments.iter().zip(observations) {
        facts.add(a, &ServedCas::of(o));
    }
    let mut page = head(summary, &facts, generated);
    let mut order: Vec<usize> = (0..assessments.len()).collect();
    row_order(&mut order, |i| {
        (assessments[*i].verdict, assessments[*i].target.host.clone())
    });
    let mut rows = Rows::new(summary);
    for i in order {
        page.push_str(&rows.row(&assessments[i], Some(&observations[i])));
    }
    page.push_str(&rows.finish(summary));
    page
}

/// The validation time, as the page states it: the instant of `--at`
/// (`now` was resolved to one when the report was made), or each
/// observation's own time.
fn validation(summary: &ScanSummary) -> String {
    summary
        .provenance
        .as_ref()
        .map_or_else(|| "a time not recorded".into(), |p| validation_text(&p.at))
}

/// The validation time of a provenance block (`--at`), in words.
pub(crate) fn validation_text(at: &str) -> String {
    match at {
        "observed" => "each observation's own time (--at observed)".into(),
        at => visible(at),
    }
}

/// The page up to the first row: title, summary with counts and pictures,
/// interceptor cards and the filter controls.
pub fn head(summary: &ScanSummary, facts: &ReportFacts, generated: &str) -> String {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {}",
        script_hash()
    );
    let skipped = summary.provenance.as_ref().map_or(0, |p| p.skipped_lines);
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "mitmwatch report" }
                style { (PreEscaped(STYLE)) }
                style media="print" { (PreEscaped(PRINT_STYLE)) }
            }
            body {
                h1 { "mitmwatch report" }
                p.muted {
                    "Generated " (visible(generated)) " by mitmwatch " (env!("CARGO_PKG_VERSION"))
                    " from " (mitmwatch_core::plural::count(summary.targets, "observation", "observations"))
                    ". Certificates validated at " span #validated-at { (validation(summary)) } ". "
                    a href="#provenance" { "How this report was made" } "."
                }
                h2 #summary { "Summary" }
                p #conclusion { (visible(&summary.conclusion)) }
                @if skipped > 0 {
                    p.warn #skipped-warning {
                        (mitmwatch_core::plural::count(skipped, "input line held", "input lines held"))
                        " no observation and " (mitmwatch_core::plural::noun(skipped, "was", "were"))
                        " skipped: this report covers the others only ("
                        a href="#provenance" { "positions" } ")."
                    }
                }
                (charts::counts_table(summary))
                (charts::verdict_shares(summary))
                (charts::statuses(summary))
                (charts::timeline(facts))
                (cards::interceptor_cards(summary, facts))
                (cards::controls(summary, facts))
            }
        }
    };
    // The body and the document stay open: rows follow.
    let mut text = page.into_string();
    let end = "</body></html>";
    if text.ends_with(end) {
        text.truncate(text.len() - end.len());
    }
    text
}

/// Sorts targets as the page lists them: flagged ones (intercepted first,
/// then suspicious), errors, clean ones; by host within each. Equal ones
/// keep their order. `key` gives an item's verdict and host.
pub fn row_order<T>(items: &mut [T], key: impl Fn(&T) -> (Verdict, String)) {
    items.sort_by_cached_key(|item| {
        let (verdict, host) = key(item);
        (section(verdict), verdict != Verdict::Intercepted, host)
    });
}

/// The section a verdict is listed in: 0 flagged, 1 errors, 2 clean.
fn section(v: Verdict) -> usize {
    match v {
        Verdict::Intercepted | Verdict::Suspicious => 0,
        Verdict::Error => 1,
        Verdict::Clean => 2,
    }
}

const SECTIONS: [(&str, &str); 3] = [
    ("flagged", "Flagged targets"),
    ("errors", "Errors"),
    ("clean", "Clean targets"),
];

/// Writes the target rows section by section, as they come in
/// [`row_order`]: each call returns the markup to append. Flagged targets
/// are gathered into groups (same verdict, interceptor and finding codes)
/// and written when their section ends; the others are written as they
/// come, in pages.
pub struct Rows {
    counts: [usize; 3],
    current: Option<usize>,
    written: usize,
    groups: BTreeMap<GroupKey, Group>,
}

impl Rows {
    /// For a page on a scan with this summary (its verdict counts size the
    /// sections and their pages).
    pub fn new(summary: &ScanSummary) -> Self {
        let n = |v: Verdict| summary.verdicts.get(&v).copied().unwrap_or(0);
        Rows {
            counts: [
                n(Verdict::Intercepted) + n(Verdict::Suspicious),
                n(Verdict::Error),
                n(Verdict::Clean),
            ],
            current: None,
            written: 0,
            groups: BTreeMap::new(),
        }
    }

    /// The heading of a section, and what opens it.
    fn open(&mut self, s: usize) -> String {
        let (id, title) = SECTIONS[s];
        let n = self.counts[s];
        let intro = match s {
            _ if n == 0 => html! { p { "None." } },
            0 => html! {},
            1 => {
                html! { p.muted { "No certificate chain was received from these: nothing to judge." } }
            }
            _ => html! {
                p.muted { "Nothing points at interception here (findings of low weight at most). \
                           Collapsed in pages; open one to read it." }
            },
        };
        html! { h2 id=(id) { (title) " (" (n) ")" } (intro) }.into_string()
    }

    /// Ends section `s`: the flagged groups are written now.
    fn close(&mut self, s: usize) -> String {
        match s {
            0 => {
                let groups = std::mem::take(&mut self.groups);
                group::flagged_table(groups.into_values().collect())
            }
            _ if self.written == 0 => String::new(),
            _ => "</table></details>".into(),
        }
    }

    /// Closes the current section and opens those up to `to` (empty ones
    /// say so).
    fn advance(&mut self, to: usize) -> String {
        let mut out = String::new();
        loop {
            match self.current {
                Some(cur) if cur >= to.min(2) => return out,
                Some(cur) => out.push_str(&self.close(cur)),
                None => {}
            }
            let next = self.current.map_or(0, |c| c + 1);
            self.written = 0;
            out.push_str(&self.open(next));
            self.current = Some(next);
        }
    }

    /// One target: flagged ones join their group; others get a row, with
    /// the observation's chain when given.
    pub fn row(&mut self, a: &Assessment, obs: Option<&Observation>) -> String {
        let s = section(a.verdict);
        let mut out = self.advance(s);
        if s == 0 {
            self.groups
                .entry(GroupKey::of(a))
                .or_insert_with(|| Group::new(a, obs))
                .add(a, obs);
            return out;
        }
        if self.written.is_multiple_of(PAGE_ROWS) {
            if self.written > 0 {
                out.push_str("</table></details>");
            }
            let n = self.counts[s].max(self.written + 1);
            let summary = format!(
                "{} {}–{} of {n}",
                SECTIONS[s].1,
                self.written + 1,
                (self.written + PAGE_ROWS).min(n)
            );
            out.push_str(
                &html! {
                    (PreEscaped("<details class=\"page\">"))
                    summary { (summary) }
                    (PreEscaped("<table class=\"targets\">"))
                    colgroup { col style="width:40%"; col style="width:15%"; col style="width:45%"; }
                    thead { tr { th { "Target" } th { "Status" } th { "Issuer, or what failed" } } }
                }
                .into_string(),
            );
        }
        self.written += 1;
        out.push_str(&compact_row(a, obs).into_string());
        out
    }

    /// Closes the last section (opening any empty ones after it), then
    /// the provenance, the script and the end of the page.
    pub fn finish(mut self, summary: &ScanSummary) -> String {
        let mut out = self.advance(2);
        out.push_str(&self.close(2));
        out.push_str(&cards::provenance(summary.provenance.as_ref()).into_string());
        out.push_str(&html! { script { (PreEscaped(SCRIPT)) } }.into_string());
        out.push_str("</body></html>\n");
        out
    }
}

/// Space-separated finding codes, each once, most severe first.
pub(crate) fn codes(a: &Assessment) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for f in &a.findings {
        if !seen.contains(&f.code.as_str()) {
            seen.push(f.code.as_str());
        }
    }
    seen.join(" ")
}

/// An error or clean target: one table row, with its chain when its
/// observation is given (`--details all`).
fn compact_row(a: &Assessment, obs: Option<&Observation>) -> Markup {
    let codes = codes(a);
    let what = match a.verdict {
        Verdict::Error => a.failure.clone().unwrap_or_default(),
        _ => a
            .leaf
            .as_ref()
            .and_then(|l| l.issuer.clone())
            .unwrap_or_default(),
    };
    html! {
        tbody.t data-v=(a.verdict.as_str()) data-f=(codes) data-h=(visible(&a.target.to_string())) {
            tr {
                td data-label="Target" { (visible(&a.target.to_string())) }
                td data-label="Status" { (a.status.as_str()) }
                td data-label=(if a.verdict == Verdict::Error { "Failure" } else { "Issuer" }) {
                    (visible(&what))
                    @if !codes.is_empty() { " " span.muted { "(" (codes) ")" } }
                    @if let Some(obs) = obs.filter(|o| !o.chain.is_empty()) {
                        details { summary { "chain" } (chain(obs)) }
                    }
                }
            }
        }
    }
}

/// A served chain: each certificate with its fingerprints (kept when
/// printed) and its PEM (screen only).
pub(crate) fn chain(obs: &Observation) -> Markup {
    html! {
        @for (i, c) in obs.chain.iter().enumerate() {
            div.cert {
                b { "#" (i) } " " (visible(c.subject.as_deref().unwrap_or("(unparsed)")))
                br; span.muted { "issuer " } (visible(c.issuer.as_deref().unwrap_or("(unparsed)")))
                br; span.muted { "SHA-256 " } code.fp { (c.sha256.to_string()) }
                br; span.muted { "SPKI SHA-256 " } code.fp { (c.spki_sha256.map(|k| k.to_string()).unwrap_or_default()) }
                details.pem {
                    summary { "PEM" }
                    pre { (mitmwatch_core::encoding::base64_decode(&c.der)
                        .map(|der| pem_encode("CERTIFICATE", &der))
                        .unwrap_or_default()) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
