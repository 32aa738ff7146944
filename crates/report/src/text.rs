//! Human-readable text for assessments and summaries. Every string that
//! came from a certificate or the network goes through [`escape`].

use super::terminal::escape;
use mitmwatch_core::model::{
    Assessment, Attribution, FindingCode, Interceptor, Observation, ScanSummary, Severity, Verdict,
};

/// Upper-case verdict label, fixed width.
pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Clean => "clean",
        Verdict::Suspicious => "SUSPICIOUS",
        Verdict::Intercepted => "INTERCEPTED",
        Verdict::Error => "error",
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "HIGH",
    }
}

/// How an interceptor was identified, in a few words: a key match is an
/// identification, a name match only a resemblance.
pub(crate) fn attribution(how: Attribution) -> &'static str {
    match how {
        Attribution::Key => "identified by key",
        Attribution::Name => "identified by name only",
    }
}

/// The interceptor's label with how it was identified, escaped:
/// `'Qaznet Trust Network', … (identified by key)`.
pub(crate) fn interceptor_label(who: &Interceptor) -> String {
    format!("{} ({})", escape(&who.label), attribution(who.matched_by))
}

/// One line: target, verdict, who, top finding.
pub fn assessment_line(a: &Assessment) -> String {
    let target = escape(&a.target.to_string());
    let what = match (&a.interceptor, a.top_finding()) {
        _ if a.verdict == Verdict::Error => {
            escape(a.failure.as_deref().unwrap_or("no certificate received"))
        }
        // An interceptor is named only for interception: a suspicious
        // chain's CA is an issuer nobody has shown to intercept.
        (Some(who), _) if a.verdict == Verdict::Intercepted => {
            format!("by {}", interceptor_label(who))
        }
        (_, Some(f)) if f.severity >= Severity::Medium => escape(&f.title),
        _ => a
            .leaf
            .as_ref()
            .and_then(|l| l.issuer.as_deref())
            .map(|i| format!("issued by {}", escape(i)))
            .unwrap_or_default(),
    };
    let leaf_only = if a.has(FindingCode::LeafOnlyChain) {
        " [leaf only]"
    } else {
        ""
    };
    format!(
        "{target:<32} {:<12} {what}{leaf_only}",
        verdict_label(a.verdict)
    )
}

/// [`assessment_line`] with its verdict label styled (red for
/// `INTERCEPTED`, …). The codes are only placed around the label mitmwatch
/// wrote; text from the network in the rest of the line was escaped.
pub fn styled_assessment_line(a: &Assessment) -> String {
    let line = assessment_line(a);
    let label = verdict_label(a.verdict);
    // The label follows the target column (padded to 32) and one space.
    let target_width = escape(&a.target.to_string()).chars().count().max(32);
    let Some((at, _)) = line.char_indices().nth(target_width + 1) else {
        return line;
    };
    if !line[at..].starts_with(label) {
        return line;
    }
    let style = super::terminal::verdict_style(a.verdict);
    format!(
        "{}{style}{label}{style:#}{}",
        &line[..at],
        &line[at + label.len()..]
    )
}

/// The note under a summary when some chains were recorded leaf-only.
pub fn leaf_only_note(count: usize) -> String {
    wrap(
        &format!(
            "{} leaf-only: the recorder kept only the server's certificate (OONI \
             does when its verification fails). Their issuing CA was judged by the issuer name and \
             key identifier in the leaf alone; its key could not be checked.",
            mitmwatch_core::plural::count(count, "chain is", "chains are")
        ),
        0,
        96,
    )
}

/// A full account: verdict, every finding with its explanation and evidence.
pub fn assessment_detail(a: &Assessment) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{}: {}\n",
        escape(&a.target.to_string()),
        verdict_label(a.verdict)
    ));
    // An interceptor is named only for interception (see assessment_line).
    if let Some(who) = a
        .interceptor
        .as_ref()
        .filter(|_| a.verdict == Verdict::Intercepted)
    {
        out.push_str(&format!("  interceptor: {}\n", interceptor_label(who)));
        if who.matched_by == Attribution::Name {
            let why = if who.category.is_some() {
                "the key served is not the catalogued one: the name alone matched, so this may \
                 be a re-issued root or an imitation"
            } else {
                "the CA is known only by a name in the chain, not by a key that identifies its \
                 holder; anyone can put any name in a certificate"
            };
            out.push_str(&wrap(why, 4, 92));
        }
    }
    if let Some(failure) = &a.failure {
        out.push_str(&format!(
            "  handshake: {} ({})\n",
            a.status,
            escape(failure)
        ));
    }
    if a.findings.is_empty() && a.verdict == Verdict::Clean {
        out.push_str("  no findings\n");
    }
    for f in &a.findings {
        out.push_str(&format!(
            "  [{}] {} ({})\n",
            severity_label(f.severity),
            escape(&f.title),
            f.code.as_str()
        ));
        out.push_str(&wrap(&escape(&f.explanation), 6, 92));
        let e = &f.evidence;
        if let Some(i) = e.cert_index {
            out.push_str(&format!(
                "      certificate #{i}: {}\n",
                escape(e.subject.as_deref().unwrap_or("(unparsed)"))
            ));
        }
        if let Some(spki) = &e.spki_sha256 {
            out.push_str(&format!("      SPKI SHA-256: {spki}\n"));
        }
        if let Some(id) = &e.catalog_id {
            out.push_str(&format!("      catalog entry: {}\n", escape(id)));
        }
        if let Some(d) = &e.detail {
            out.push_str(&format!("      {}\n", escape(d)));
        }
    }
    out
}

/// The analyzer's phrases about what "the server sent", and their words
/// for a chain read from a file (`inspect`), longest first.
const FILE_WORDING: &[(&str, &str)] = &[
    (
        "a root certificate the server sent itself",
        "a root certificate in the file",
    ),
    ("a CA the server sent itself", "a CA in the file"),
    (
        "and the server sent a certificate with that name",
        "and the file holds a certificate with that name",
    ),
    (
        "the server sent a certificate named like",
        "the file holds a certificate named like",
    ),
    ("the issuer the server sent", "the issuer in the file"),
    ("The server sent the CA", "The file holds the CA"),
    ("The server sent bytes", "The file holds bytes"),
    (
        "and the server did not send it",
        "and the file does not hold it",
    ),
    (
        "which the server did not send",
        "which the file does not hold",
    ),
    (
        "that the server did not send",
        "that the file does not hold",
    ),
    ("the server did not send", "the file does not hold"),
    ("The server's certificate", "The leaf certificate"),
    ("the server's certificate", "the leaf certificate"),
];

/// An assessment of a chain read from a file, worded for a file: its
/// findings speak of what the file holds, not of what a server sent.
pub fn worded_for_a_file(a: &Assessment) -> Assessment {
    let reword = |text: &str| {
        FILE_WORDING
            .iter()
            .fold(text.to_string(), |t, (from, to)| t.replace(from, to))
    };
    let mut a = a.clone();
    for f in &mut a.findings {
        f.title = reword(&f.title);
        f.explanation = reword(&f.explanation);
        f.evidence.detail = f.evidence.detail.as_deref().map(reword);
    }
    a
}

/// The served chain, one certificate per block.
pub fn chain_listing(obs: &Observation) -> String {
    let mut out = String::new();
    for (i, c) in obs.chain.iter().enumerate() {
        out.push_str(&format!(
            "  #{i} subject: {}\n",
            escape(c.subject.as_deref().unwrap_or("(unparsed)"))
        ));
        out.push_str(&format!(
            "     issuer:  {}\n",
            escape(c.issuer.as_deref().unwrap_or("(unparsed)"))
        ));
        if let (Some(nb), Some(na)) = (c.not_before, c.not_after) {
            out.push_str(&format!(
                "     valid:   {} .. {}\n",
                mitmwatch_core::certinfo::rfc3339(nb),
                mitmwatch_core::certinfo::rfc3339(na)
            ));
        }
        out.push_str(&format!("     SHA-256: {}\n", c.sha256));
        if let Some(spki) = &c.spki_sha256 {
            out.push_str(&format!("     SPKI SHA-256: {spki}\n"));
        }
        if let Some(e) = &c.parse_error {
            out.push_str(&format!("     parse error: {}\n", escape(e)));
        }
    }
    out
}

/// The counts line of a summary: "63 targets: clean 26, intercepted 37".
pub fn counts_line(s: &ScanSummary) -> String {
    let counts: Vec<String> = s.verdicts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    format!(
        "{}: {}\n",
        mitmwatch_core::plural::count(s.targets, "target", "targets"),
        counts.join(", ")
    )
}

/// Renders the scan summary for the terminal: counts per verdict, the
/// interceptors seen with the domains each one hit, and the conclusion.
pub fn summary_text(s: &ScanSummary) -> String {
    let mut out = counts_line(s);
    for hit in &s.interceptors {
        out.push_str(&format!(
            "  {} intercepted {}:\n",
            interceptor_label(&hit.interceptor),
            mitmwatch_core::plural::count(hit.domains.len(), "domain", "domains")
        ));
        out.push_str(&wrap(&escape(&hit.domains.join(", ")), 4, 96));
    }
    out.push_str(&wrap(&escape(&s.conclusion), 0, 96));
    out
}

/// The "Data used:" block under a summary: which CT log list, pins,
/// catalog and trust store the verdicts rest on, with their dates, wrapped
/// at `width` columns.
pub fn data_used_text(d: &mitmwatch_core::model::DataUsed, width: usize) -> String {
    let mut out = String::from("\nData used:\n");
    for (label, text) in d.lines() {
        let wrapped = wrap(&escape(text), 15, width);
        let body = wrapped.get(15..).filter(|b| !b.is_empty()).unwrap_or("\n");
        out.push_str(&format!("  {:<13}{body}", format!("{label}:")));
    }
    out
}

/// Word-wraps `text` at `width` columns with `indent` spaces.
pub fn wrap(text: &str, indent: usize, width: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.len() + 1 + word.len() > width {
            out.push_str(&pad);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&pad);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assessment(matched_by: &str, category: &str) -> Assessment {
        serde_json::from_str(&format!(
            r#"{{"type":"assessment","schema":2,"target":{{"host":"facebook.com","port":443,"sni":"facebook.com"}},
            "address":null,"observed_at":"2026-06-01T00:00:00Z","validated_at":"2026-06-01T00:00:00Z",
            "status":"ok","failure":null,"verdict":"intercepted",
            "interceptor":{{"id":"kz","label":"'Qaznet Trust Network'","category":{category},"matched_by":"{matched_by}"}},
            "leaf":null,"findings":[]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn lines_and_details_say_how_the_interceptor_was_identified() {
        let key = assessment("key", "\"state-interception\"");
        assert!(assessment_line(&key).contains("by 'Qaznet Trust Network' (identified by key)"));
        assert!(!assessment_detail(&key).contains("name only"));
        let name = assessment("name", "\"state-interception\"");
        assert!(assessment_line(&name).contains("(identified by name only)"));
        let detail = assessment_detail(&name);
        assert!(
            detail.contains("the key served is not the catalogued one"),
            "{detail}"
        );
        let unknown = assessment("name", "null");
        assert!(assessment_detail(&unknown).contains("known only by a name in the chain"));
    }
}
