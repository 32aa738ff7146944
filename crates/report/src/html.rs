//! A self-contained HTML report. Conclusion first: the summary with its
//! pictures (`super::html_charts`), one card per interceptor
//! (`super::html_cards`), then the flagged targets, then errors and
//! clean targets collapsed in pages of `PAGE_ROWS`, and last how the
//! report was made (provenance). A small inline script, allowed by its
//! hash in the Content-Security-Policy, filters and sorts the rows; the
//! page reads the same without it, loads nothing, and prints without the
//! controls and with the pages closed. Every string from a certificate or
//! the network goes through `escape_html`.

pub(crate) use super::html_escape::escape_html;
use super::{html_cards, html_charts};
use mitmwatch_core::encoding::pem_encode;
use mitmwatch_core::judge::facts::{ReportFacts, ServedCas};
use mitmwatch_core::model::{Assessment, Observation, ScanSummary, Verdict};
use std::fmt::Write;

/// Rows per page of the collapsed sections (errors, clean targets).
pub(crate) const PAGE_ROWS: usize = 1000;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\
[hidden]{display:none!important}h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
tr.d td{border-bottom:1px solid #ccc;background:#fafafa}tr.d details>summary{cursor:pointer;color:#555}\
.intercepted{color:#fff;background:#b00020}.suspicious{background:#e0a800}.clean{background:#d7f0dd}.error{background:#ddd}\
.v{padding:1px 6px;border-radius:3px;font-weight:600;white-space:nowrap}code,pre{font:12px ui-monospace,monospace;overflow-wrap:anywhere}\
pre{white-space:pre-wrap;background:#f6f6f6;padding:6px}details{margin:2px 0}.muted{color:#666}.sev-high{color:#b00020;font-weight:600}\
.sev-medium{color:#a15c00;font-weight:600}.warn{background:#fff3cd;border-left:4px solid #e0a800;padding:6px 10px}\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:12px}\
.card{border:1px solid #ccc;border-left:6px solid #b00020;border-radius:4px;padding:8px 12px}.card h3{margin:0 0 4px}\
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 8px;margin:6px 0}.card dt{color:#666}.card dd{margin:0;overflow-wrap:anywhere}\
ul.dom{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:3px}ul.dom li{background:#f1f1f1;border-radius:3px;padding:0 5px;font-size:12px}\
details.page>summary{cursor:pointer;font-weight:600;padding:3px 0}#controls{background:#f4f6f9;padding:6px 10px;border-radius:4px;margin:8px 0}\
#controls label{margin-right:12px}figure{margin:8px 0}figcaption{font-weight:600}#provenance dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}#provenance dt{color:#666}#provenance dd{margin:0;overflow-wrap:anywhere}\
@media print{#controls{display:none}body{max-width:none;margin:0;font-size:11px}.card,tbody.t{break-inside:avoid}h2{break-after:avoid}}";

/// The filter and sort script, allowed by its SHA-256 in the CSP.
const SCRIPT: &str = include_str!("html_script.js");

/// The CSP source for `SCRIPT`: `'sha256-…'`.
pub fn script_hash() -> String {
    format!(
        "'sha256-{}'",
        mitmwatch_core::encoding::base64_encode(&mitmwatch_core::encoding::sha256(
            SCRIPT.as_bytes()
        ))
    )
}

fn verdict_badge(v: Verdict) -> String {
    format!("<span class=\"v {0}\">{0}</span>", v.as_str())
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
    let mut h = head(summary, &facts, generated);
    let mut order: Vec<usize> = (0..assessments.len()).collect();
    row_order(&mut order, |i| {
        (assessments[*i].verdict, assessments[*i].target.host.clone())
    });
    let mut rows = Rows::new(summary);
    for i in order {
        h.push_str(&rows.row(&assessments[i], Some(&observations[i])));
    }
    h.push_str(&rows.finish(summary));
    h
}

/// The page up to the first row: title, summary, pictures, interceptor
/// cards and the filter controls.
pub fn head(summary: &ScanSummary, facts: &ReportFacts, generated: &str) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>mitmwatch report</title><style>{STYLE}</style></head><body>",
        script_hash()
    );
    let _ = write!(
        h,
        "<h1>mitmwatch report</h1><p class=\"muted\">Generated {} by mitmwatch {} from {}. \
         How it was made: <a href=\"#provenance\">provenance</a>.</p>",
        escape_html(generated),
        env!("CARGO_PKG_VERSION"),
        mitmwatch_core::plural::count(summary.targets, "observation", "observations")
    );
    let _ = write!(
        h,
        "<h2>Summary</h2><p id=\"conclusion\">{}</p>",
        escape_html(&summary.conclusion)
    );
    if let Some(p) = summary.provenance.as_ref().filter(|p| p.skipped_lines > 0) {
        let _ = write!(
            h,
            "<p class=\"warn\" id=\"skipped-warning\">{} no observation and {} skipped: \
             this report covers the others only (<a href=\"#provenance\">positions</a>).</p>",
            mitmwatch_core::plural::count(p.skipped_lines, "input line held", "input lines held"),
            mitmwatch_core::plural::noun(p.skipped_lines, "was", "were")
        );
    }
    h.push_str(&html_charts::verdict_shares(summary));
    let statuses: Vec<(String, usize)> = summary
        .statuses
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), *n))
        .collect();
    h.push_str(&html_charts::bars(
        "statuses",
        "Handshake statuses",
        &statuses,
        summary.targets,
    ));
    h.push_str(&html_charts::timeline(facts));
    h.push_str(&html_cards::interceptor_cards(summary, facts));
    h.push_str(&html_cards::controls(summary, facts));
    h
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

const SECTIONS: [(&str, &str, Verdict); 3] = [
    ("flagged", "Flagged targets", Verdict::Intercepted),
    ("errors", "Errors", Verdict::Error),
    ("clean", "Clean targets", Verdict::Clean),
];

const FULL_HEADER: &str = "<colgroup><col style=\"width:24%\"><col style=\"width:10%\"><col style=\"width:10%\"><col style=\"width:18%\"><col style=\"width:20%\"><col style=\"width:18%\"></colgroup>\
<thead><tr><th>Target</th><th>Verdict</th><th>Status</th><th>Interceptor</th><th>Top finding</th><th>Leaf issuer</th></tr></thead>";

const COMPACT_HEADER: &str = "<colgroup><col style=\"width:34%\"><col style=\"width:12%\"><col style=\"width:34%\"><col style=\"width:20%\"></colgroup>\
<thead><tr><th>Target</th><th>Status</th><th>Leaf issuer</th><th>Findings</th></tr></thead>";

/// Writes the target rows section by section, as they come in
/// [`row_order`]: each call returns the markup to append.
pub struct Rows {
    counts: [usize; 3],
    current: Option<usize>,
    written: usize,
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
        }
    }

    fn open(&self, s: usize, out: &mut String) {
        let (id, title, _) = SECTIONS[s];
        let n = self.counts[s];
        let _ = write!(out, "<h2 id=\"{id}\">{title} ({n})</h2>");
        match s {
            _ if n == 0 => out.push_str("<p>None.</p>"),
            0 => {
                let _ = write!(
                    out,
                    "<table class=\"targets sortable\" id=\"flagged-table\">{FULL_HEADER}"
                );
            }
            1 => out.push_str(
                "<p class=\"muted\">No certificate chain was received from these: nothing to judge.</p>",
            ),
            _ => out.push_str(
                "<p class=\"muted\">Nothing points at interception here (findings of low weight at most). \
                 Collapsed in pages; open one to read it.</p>",
            ),
        }
    }

    fn close(&self, s: usize, out: &mut String) {
        if self.written == 0 {
            return;
        }
        out.push_str(if s == 0 {
            "</table>"
        } else {
            "</table></details>"
        });
    }

    /// Closes the current section and opens those up to `to` (empty ones
    /// say so).
    fn advance(&mut self, to: usize, out: &mut String) {
        if let Some(cur) = self.current {
            if cur >= to {
                return;
            }
            self.close(cur, out);
        }
        let from = self.current.map_or(0, |c| c + 1);
        for s in from..=to.min(2) {
            self.written = 0;
            self.open(s, out);
            self.current = Some(s);
        }
    }

    /// One target, with its details: findings, and, given the
    /// observation, its TLS parameters and chain. A clean target without
    /// its observation gets a compact row.
    pub fn row(&mut self, a: &Assessment, obs: Option<&Observation>) -> String {
        let mut out = String::new();
        let s = section(a.verdict);
        self.advance(s, &mut out);
        if s > 0 && self.written % PAGE_ROWS == 0 {
            if self.written > 0 {
                out.push_str("</table></details>");
            }
            let n = self.counts[s].max(self.written + 1);
            let _ = write!(
                out,
                "<details class=\"page\"><summary>{} {}–{} of {n}</summary><table class=\"targets\">{}",
                SECTIONS[s].1,
                self.written + 1,
                (self.written + PAGE_ROWS).min(n),
                if s == 2 && obs.is_none() {
                    COMPACT_HEADER
                } else {
                    FULL_HEADER
                }
            );
        }
        self.written += 1;
        if s == 2 && obs.is_none() {
            out.push_str(&compact_row(a));
        } else {
            out.push_str(&target_row(a, obs));
        }
        out
    }

    /// Closes the last section (opening any empty ones after it), then
    /// the provenance, the script and the end of the page.
    pub fn finish(mut self, summary: &ScanSummary) -> String {
        let mut out = String::new();
        self.advance(2, &mut out);
        self.close(2, &mut out);
        out.push_str(&html_cards::provenance(summary.provenance.as_ref()));
        let _ = writeln!(out, "<script>{SCRIPT}</script></body></html>");
        out
    }
}

/// Space-separated finding codes, each once, most severe first.
fn codes(a: &Assessment) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for f in &a.findings {
        if !seen.contains(&f.code.as_str()) {
            seen.push(f.code.as_str());
        }
    }
    seen.join(" ")
}

fn severity_rank(a: &Assessment) -> u8 {
    a.top_finding().map_or(0, |f| f.severity as u8 + 1)
}

/// A clean target without details: one table row.
fn compact_row(a: &Assessment) -> String {
    let codes = codes(a);
    let issuer = a.leaf.as_ref().and_then(|l| l.issuer.as_deref());
    format!(
        "<tr class=\"t\"{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        if codes.is_empty() {
            String::new()
        } else {
            format!(" data-f=\"{codes}\"")
        },
        escape_html(&a.target.to_string()),
        a.status.as_str(),
        escape_html(issuer.unwrap_or("")),
        codes
    )
}

/// One target's rows: a line of facts, then its details across the whole
/// width (so that opening them leaves the columns as they are).
pub(crate) fn target_row(a: &Assessment, obs: Option<&Observation>) -> String {
    let top = a.top_finding().map(|f| f.title.as_str()).unwrap_or("");
    let issuer = a
        .leaf
        .as_ref()
        .and_then(|l| l.issuer.as_deref())
        .unwrap_or("");
    let who = a
        .interceptor
        .as_ref()
        .filter(|_| a.verdict != Verdict::Clean);
    format!(
        "<tbody class=\"t\" data-v=\"{}\" data-i=\"{}\" data-f=\"{}\" data-s=\"{}\" data-h=\"{}\">\
         <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\
         <tr class=\"d\"><td colspan=\"6\"><details><summary>details</summary>{}</details></td></tr></tbody>",
        a.verdict,
        escape_html(who.map_or("", |w| w.id.as_str())),
        codes(a),
        severity_rank(a),
        escape_html(&a.target.to_string()),
        escape_html(&a.target.to_string()),
        verdict_badge(a.verdict),
        a.status.as_str(),
        who.map(|w| format!(
            "{} <span class=\"muted\">({})</span>",
            escape_html(&w.label),
            w.matched_by.as_str()
        ))
        .unwrap_or_default(),
        escape_html(top),
        escape_html(issuer),
        details(a, obs)
    )
}

/// Said in place of the TLS parameters and chain of a target shown without
/// its observation.
const LEFT_OUT: &str = "<p class=\"muted\">TLS parameters and chain left out: this report \
                        (<code>--details flagged</code>) shows them for flagged targets only.</p>";

fn details(a: &Assessment, obs: Option<&Observation>) -> String {
    let mut d = String::new();
    if let Some(who) = a
        .interceptor
        .as_ref()
        .filter(|_| a.verdict != Verdict::Clean)
    {
        let _ = write!(
            d,
            "<p>Interceptor: {} <code>{}</code> ({})</p>",
            escape_html(&who.label),
            escape_html(&who.id),
            crate::text::attribution(who.matched_by)
        );
    }
    if let Some(f) = &a.failure {
        let _ = write!(d, "<p>{}: {}</p>", a.status.as_str(), escape_html(f));
    }
    if let Some((obs, tls)) = obs.and_then(|o| Some((o, o.tls.as_ref()?))) {
        let _ = write!(
            d,
            "<p class=\"muted\">{} {} {} ALPN {} · {} · {}</p>",
            escape_html(&tls.version),
            escape_html(&tls.cipher_suite),
            escape_html(tls.kx_group.as_deref().unwrap_or("")),
            escape_html(tls.alpn.as_deref().unwrap_or("none")),
            escape_html(obs.address.as_deref().unwrap_or("")),
            mitmwatch_core::certinfo::rfc3339(obs.started_at)
        );
    }
    for f in &a.findings {
        let _ = write!(
            d,
            "<p><span class=\"sev-{0}\">[{0}]</span> <b>{1}</b> <code>{2}</code><br>{3}{4}</p>",
            serde_json::to_value(f.severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            escape_html(&f.title),
            f.code.as_str(),
            escape_html(&f.explanation),
            f.evidence
                .detail
                .as_deref()
                .map(|x| format!("<br><span class=\"muted\">{}</span>", escape_html(x)))
                .unwrap_or_default()
        );
    }
    let Some(obs) = obs else {
        d.push_str(LEFT_OUT);
        return d;
    };
    for (i, c) in obs.chain.iter().enumerate() {
        let pem = mitmwatch_core::encoding::base64_decode(&c.der)
            .map(|der| pem_encode("CERTIFICATE", &der))
            .unwrap_or_default();
        let _ = write!(
            d,
            "<div><b>#{i}</b> {}<br><span class=\"muted\">issuer</span> {}<br>\
             <span class=\"muted\">SHA-256</span> <code>{}</code><br><span class=\"muted\">SPKI SHA-256</span> <code>{}</code>\
             <details><summary>PEM</summary><pre>{}</pre></details></div>",
            escape_html(c.subject.as_deref().unwrap_or("(unparsed)")),
            escape_html(c.issuer.as_deref().unwrap_or("(unparsed)")),
            escape_html(&c.sha256.to_string()),
            escape_html(&c.spki_sha256.map(|k| k.to_string()).unwrap_or_default()),
            escape_html(&pem)
        );
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_neutralised() {
        assert_eq!(
            escape_html("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\u{1b}"
        );
    }

    #[test]
    fn clean_targets_are_paged_and_every_table_is_closed() {
        let obs = mitmwatch_core::import::pem_dir::file_observation::<&[u8]>(
            &[],
            "x.example".into(),
            time::macros::datetime!(2026-01-01 0:00 UTC),
        );
        let a = mitmwatch_core::analyze::Analyzer::new(
            mitmwatch_core::analyze::AnalysisData::builtin().unwrap(),
        )
        .assess(&obs, mitmwatch_core::analyze::ValidationTime::Observed);
        let mut summary = mitmwatch_core::analyze::summary::summarise(&[], true);
        summary.verdicts = [(Verdict::Error, 1), (Verdict::Clean, 2501)].into();
        summary.targets = 2502;
        let mut rows = Rows::new(&summary);
        let mut page = rows.row(&a, Some(&obs));
        for i in 0..2501 {
            let mut clean = a.clone();
            clean.verdict = Verdict::Clean;
            clean.target.host = format!("h{i:04}.example");
            page.push_str(&rows.row(&clean, None));
        }
        page.push_str(&rows.finish(&summary));
        assert!(page.contains("<h2 id=\"flagged\">Flagged targets (0)</h2><p>None.</p>"));
        assert!(page.contains("<summary>Errors 1–1 of 1</summary>"));
        assert!(page.contains("<summary>Clean targets 2001–2501 of 2501</summary>"));
        assert_eq!(page.matches("<details class=\"page\">").count(), 1 + 3);
        assert_eq!(
            page.matches("<table").count(),
            page.matches("</table>").count()
        );
        assert_eq!(
            page.matches("<details").count(),
            page.matches("</details>").count()
        );
        assert_eq!(page.matches("<tr class=\"t\"").count(), 2501);
        assert!(page.contains("<section id=\"provenance\">"));
    }

    #[test]
    fn the_script_hash_is_that_of_the_script_in_the_page() {
        let h = script_hash();
        assert!(h.starts_with("'sha256-") && h.ends_with('\''), "{h}");
        assert_eq!(h.len(), "'sha256-'".len() + 44);
        assert!(!SCRIPT.contains("</script"));
    }
}
