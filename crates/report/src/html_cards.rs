//! Parts of the HTML report around the rows: one card per interceptor
//! (fingerprints of the CAs it served, key or name match, first and last
//! seen, its domains as a compact list), the filter and sort controls
//! (hidden until the script shows them), and the provenance block.

use super::html_charts;
use super::html_escape::escape_html;
use mitmwatch_core::judge::facts::{ReportFacts, ServedCa};
use mitmwatch_core::model::{Attribution, Provenance, ScanSummary, Verdict};
use std::fmt::Write;

/// Domains listed on a card before the rest fold away.
const SHOWN_DOMAINS: usize = 60;

/// RFC 3339 to the second (fractions only make the cards wrap).
fn time(t: Option<time::OffsetDateTime>) -> String {
    t.map_or_else(
        || "—".into(),
        |t| mitmwatch_core::certinfo::rfc3339(t.replace_nanosecond(0).unwrap_or(t)),
    )
}

fn ca_lines(role: &str, cas: &std::collections::BTreeSet<ServedCa>, out: &mut String) {
    for ca in cas {
        let _ = write!(
            out,
            "<dt>{role}</dt><dd>{}<br><span class=\"muted\">SHA-256</span> <code class=\"fp\">{}</code><br>\
             <span class=\"muted\">SPKI SHA-256</span> <code class=\"fp\">{}</code></dd>",
            escape_html(ca.subject.as_deref().unwrap_or("(unparsed)")),
            escape_html(&ca.sha256.to_string()),
            escape_html(&ca.spki_sha256.map_or("(unparsed)".into(), |k| k.to_string()))
        );
    }
}

/// The interceptors section: a bar chart of domains per interceptor and a
/// card for each.
pub(crate) fn interceptor_cards(summary: &ScanSummary, facts: &ReportFacts) -> String {
    let mut h = String::from("<h2 id=\"interceptors\">Interceptors</h2>");
    if summary.interceptors.is_empty() {
        h.push_str("<p>None found.</p>");
        return h;
    }
    if summary.interceptors.len() > 1 {
        let rows: Vec<(String, usize)> = summary
            .interceptors
            .iter()
            .take(12)
            .map(|hit| (hit.interceptor.label.clone(), hit.domains.len()))
            .collect();
        let domains: usize = summary.interceptors.iter().map(|h| h.domains.len()).sum();
        h.push_str(&html_charts::bars(
            "domains-per-interceptor",
            "Domains per interceptor",
            &rows,
            domains,
        ));
    }
    h.push_str("<div class=\"cards\">");
    for hit in &summary.interceptors {
        let who = &hit.interceptor;
        let f = facts.interceptors.get(&who.id).cloned().unwrap_or_default();
        let _ = write!(
            h,
            "<div class=\"card\" data-i=\"{}\"><h3>{}</h3><code>{}</code> · {}<dl>\
             <dt>Identified by</dt><dd class=\"match\">{}</dd>\
             <dt>First seen</dt><dd>{}</dd><dt>Last seen</dt><dd>{}</dd>\
             <dt>Domains</dt><dd class=\"count\">{}</dd>",
            escape_html(&who.id),
            escape_html(&who.label),
            escape_html(&who.id),
            who.category
                .map(|c| c.describe())
                .unwrap_or("category unknown"),
            match who.matched_by {
                Attribution::Key =>
                    "<b>key</b>: a served key or fingerprint matches; one key, one holder",
                Attribution::Name => "<b>name only</b>: anyone can put this name in a certificate",
            },
            time(f.first_seen),
            time(f.last_seen),
            hit.domains.len()
        );
        ca_lines("Issuing CA as served", &f.issuing, &mut h);
        ca_lines("Top of chain as served", &f.top, &mut h);
        if f.issuing.is_empty() {
            h.push_str("<dt>CA certificates</dt><dd>none served (leaf only)</dd>");
        }
        if f.more_cas {
            h.push_str("<dt></dt><dd class=\"muted\">more CAs were served than are listed</dd>");
        }
        h.push_str("</dl><ul class=\"dom\">");
        for d in hit.domains.iter().take(SHOWN_DOMAINS) {
            let _ = write!(h, "<li>{}</li>", escape_html(d));
        }
        h.push_str("</ul>");
        if hit.domains.len() > SHOWN_DOMAINS {
            let _ = write!(
                h,
                "<details><summary>{} more</summary><ul class=\"dom\">",
                hit.domains.len() - SHOWN_DOMAINS
            );
            for d in &hit.domains[SHOWN_DOMAINS..] {
                let _ = write!(h, "<li>{}</li>", escape_html(d));
            }
            h.push_str("</ul></details>");
        }
        h.push_str("</div>");
    }
    h.push_str("</div>");
    h
}

/// Filter and sort controls, hidden: the script shows them.
pub(crate) fn controls(summary: &ScanSummary, facts: &ReportFacts) -> String {
    let mut h = String::from(
        "<div id=\"controls\" hidden><label>Verdict <select id=\"f-verdict\"><option value=\"\">any</option>",
    );
    for v in [
        Verdict::Intercepted,
        Verdict::Suspicious,
        Verdict::Error,
        Verdict::Clean,
    ] {
        if summary.verdicts.get(&v).copied().unwrap_or(0) > 0 {
            let _ = write!(h, "<option>{v}</option>");
        }
    }
    h.push_str("</select></label><label>Interceptor <select id=\"f-interceptor\"><option value=\"\">any</option>");
    for hit in &summary.interceptors {
        let _ = write!(
            h,
            "<option value=\"{}\">{}</option>",
            escape_html(&hit.interceptor.id),
            escape_html(&hit.interceptor.label)
        );
    }
    h.push_str(
        "</select></label><label>Finding <select id=\"f-finding\"><option value=\"\">any</option>",
    );
    for code in &facts.codes {
        let _ = write!(h, "<option>{}</option>", code.as_str());
    }
    h.push_str(
        "</select></label><label>Sort flagged by <select id=\"f-sort\"><option value=\"h\">target</option>\
         <option value=\"s\">severity</option><option value=\"v\">verdict</option><option value=\"i\">interceptor</option>\
         </select></label> <span id=\"f-count\" class=\"muted\"></span></div>",
    );
    h
}

/// How the report was made; says so when nothing was recorded.
pub(crate) fn provenance(p: Option<&Provenance>) -> String {
    let mut h = String::from("<section id=\"provenance\"><h2>How this report was made</h2>");
    let Some(p) = p else {
        h.push_str("<p class=\"muted\">Not recorded (a report rendered from judgements in memory).</p></section>");
        return h;
    };
    h.push_str("<dl>");
    for input in &p.inputs {
        let _ = write!(
            h,
            "<dt>Input</dt><dd><code>{}</code>, {} bytes, SHA-256 <code class=\"fp\">{}</code></dd>",
            escape_html(&input.name),
            input.bytes,
            escape_html(&input.sha256)
        );
    }
    let _ = write!(
        h,
        "<dt>Observations made</dt><dd>{} to {}</dd><dt>Validation time (<code>--at</code>)</dt><dd>{}</dd>",
        time(p.observed_from),
        time(p.observed_until),
        escape_html(&p.at)
    );
    for (label, text) in p.data.lines() {
        let _ = write!(h, "<dt>{label}</dt><dd>{}</dd>", escape_html(text));
    }
    let _ = write!(
        h,
        "<dt>Skipped input lines</dt><dd id=\"skipped\">{}</dd>",
        p.skipped_lines
    );
    h.push_str("</dl>");
    if !p.first_skipped.is_empty() {
        h.push_str("<ul id=\"skipped-lines\">");
        for s in &p.first_skipped {
            let _ = write!(h, "<li>line {}: {}</li>", s.line, escape_html(&s.message));
        }
        if p.skipped_lines > p.first_skipped.len() {
            let _ = write!(
                h,
                "<li>and {} more</li>",
                p.skipped_lines - p.first_skipped.len()
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>");
    h
}
