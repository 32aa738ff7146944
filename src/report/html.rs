//! A self-contained HTML report: summary, charts of verdicts and statuses
//! (inline SVG), interceptors with the domains they hit, and per-domain
//! details with the chain (PEM on demand). No script, no external asset;
//! a Content-Security-Policy forbids loading anything. Every string from a
//! certificate or the network goes through [`escape_html`].

use crate::encoding::pem_encode;
use crate::model::{Assessment, Attribution, Observation, ScanSummary, Verdict};
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values. Control
/// and bidi characters become visible `\u{…}` text, as on the terminal.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Shown as visible text: a character reference would still
            // reorder the page (bidi) or be dropped silently (controls).
            c if c != '\n' && super::terminal::is_dangerous(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}\
.intercepted{color:#fff;background:#b00020}.suspicious{background:#f6c343}.clean{background:#d7f0dd}.error{background:#ddd}\
.v{padding:1px 6px;border-radius:3px;font-weight:600;white-space:nowrap}code,pre{font:12px ui-monospace,monospace;word-break:break-all}\
pre{white-space:pre-wrap;background:#f6f6f6;padding:6px}details{margin:2px 0}.muted{color:#666}.sev-high{color:#b00020;font-weight:600}\
.sev-medium{color:#a15c00;font-weight:600}";

fn verdict_badge(v: Verdict) -> String {
    format!("<span class=\"v {0}\">{0}</span>", v.as_str())
}

/// A horizontal bar chart of `counts` as inline SVG.
fn bar_chart(title: &str, counts: &[(String, usize, &str)]) -> String {
    let max = counts.iter().map(|c| c.1).max().unwrap_or(1).max(1);
    let height = 24 * counts.len() + 8;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" width=\"520\" height=\"{height}\">",
        escape_html(title),
        escape_html(title)
    );
    for (i, (label, n, colour)) in counts.iter().enumerate() {
        let y = 4 + i * 24;
        let w = (*n as f64 / max as f64 * 300.0).round() as usize;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"150\" y=\"{y}\" width=\"{}\" height=\"18\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{n}</text>",
            y + 13,
            escape_html(label),
            w.max(1),
            156 + w,
            y + 13
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Intercepted => "#b00020",
        Verdict::Suspicious => "#f6c343",
        Verdict::Clean => "#3a9d5d",
        Verdict::Error => "#999",
    }
}

/// The whole page: [`head`], a [`target_row`] per target in [`row_order`],
/// then [`TAIL`].
pub fn render(
    observations: &[Observation],
    assessments: &[Assessment],
    summary: &ScanSummary,
    generated: &str,
) -> String {
    let mut h = head(summary, observations.len(), generated);
    let mut order: Vec<usize> = (0..assessments.len()).collect();
    row_order(&mut order, |i| {
        (assessments[*i].verdict, assessments[*i].target.host.clone())
    });
    for i in order {
        h.push_str(&target_row(&assessments[i], Some(&observations[i])));
    }
    h.push_str(TAIL);
    h
}

/// The page up to the rows of the targets table: title, summary, charts
/// and interceptors, for a report on `observations` observations.
pub fn head(summary: &ScanSummary, observations: usize, generated: &str) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>mitmwatch report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        h,
        "<h1>mitmwatch report</h1><p class=\"muted\">Generated {} by mitmwatch {} from {} observations.</p>",
        escape_html(generated),
        env!("CARGO_PKG_VERSION"),
        observations
    );
    let _ = write!(
        h,
        "<h2>Summary</h2><p id=\"conclusion\">{}</p>",
        escape_html(&summary.conclusion)
    );
    let verdicts: Vec<(String, usize, &str)> = summary
        .verdicts
        .iter()
        .map(|(v, n)| (v.as_str().to_string(), *n, verdict_colour(*v)))
        .collect();
    let statuses: Vec<(String, usize, &str)> = summary
        .statuses
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), *n, "#4a78b5"))
        .collect();
    h.push_str(&bar_chart("Verdicts", &verdicts));
    h.push_str(&bar_chart("Handshake statuses", &statuses));

    h.push_str("<h2>Interceptors</h2>");
    if summary.interceptors.is_empty() {
        h.push_str("<p>None found.</p>");
    } else {
        h.push_str("<table id=\"interceptors\"><tr><th>Interceptor</th><th>Identified by</th><th>Category</th><th>Domains</th></tr>");
        for hit in &summary.interceptors {
            let _ = write!(
                h,
                "<tr><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td>{} ({})</td></tr>",
                escape_html(&hit.interceptor.label),
                escape_html(&hit.interceptor.id),
                match hit.interceptor.matched_by {
                    Attribution::Key => "key",
                    Attribution::Name => "name only",
                },
                hit.interceptor
                    .category
                    .map(|c| c.describe())
                    .unwrap_or("unknown"),
                escape_html(&hit.domains.join(", ")),
                hit.domains.len()
            );
        }
        h.push_str("</table>");
    }

    h.push_str("<h2>Targets</h2><table id=\"targets\"><tr><th>Target</th><th>Verdict</th><th>Status</th><th>Top finding</th><th>Leaf issuer</th></tr>");
    h
}

/// The end of the page, after the last [`target_row`].
pub const TAIL: &str = "</table></body></html>\n";

/// Sorts targets as the page lists them: intercepted first, then by host;
/// equal ones keep their order. `key` gives an item's verdict and host.
pub fn row_order<T>(items: &mut [T], key: impl Fn(&T) -> (Verdict, String)) {
    items.sort_by_cached_key(|item| {
        let (verdict, host) = key(item);
        (std::cmp::Reverse(verdict == Verdict::Intercepted), host)
    });
}

/// One target's row of the targets table, with its details: its findings,
/// and, given the observation, its TLS parameters and chain.
pub fn target_row(a: &Assessment, obs: Option<&Observation>) -> String {
    let top = a.top_finding().map(|f| f.title.as_str()).unwrap_or("");
    let issuer = a
        .leaf
        .as_ref()
        .and_then(|l| l.issuer.as_deref())
        .unwrap_or("");
    format!(
        "<tr><td><details><summary>{}</summary>{}</details></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        escape_html(&a.target.to_string()),
        details(a, obs),
        verdict_badge(a.verdict),
        a.status.as_str(),
        escape_html(top),
        escape_html(issuer)
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
            crate::report::text::attribution(who.matched_by)
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
            crate::certinfo::rfc3339(obs.started_at)
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
        let pem = crate::encoding::base64_decode(&c.der)
            .map(|der| pem_encode("CERTIFICATE", &der))
            .unwrap_or_default();
        let _ = write!(
            d,
            "<div><b>#{i}</b> {}<br><span class=\"muted\">issuer</span> {}<br>\
             <span class=\"muted\">SHA-256</span> <code>{}</code><br><span class=\"muted\">SPKI SHA-256</span> <code>{}</code>\
             <details><summary>PEM</summary><pre>{}</pre></details></div>",
            escape_html(c.subject.as_deref().unwrap_or("(unparsed)")),
            escape_html(c.issuer.as_deref().unwrap_or("(unparsed)")),
            escape_html(&c.sha256),
            escape_html(c.spki_sha256.as_deref().unwrap_or("")),
            escape_html(&pem)
        );
    }
    d
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn markup_is_neutralised() {
        assert_eq!(
            escape_html("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\u{1b}"
        );
    }
}
