//! CSV for spreadsheets: one row per target, with when it was observed,
//! the highest severity, the issuing CA as served (SHA-256 and SPKI) and
//! how the interceptor was matched (key or name). Certificate text is
//! attacker-controlled, so cells that a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading `'`.

use mitmwatch_core::judge::facts::ServedCas;
use mitmwatch_core::model::Assessment;

/// The CSV header row, naming the columns that [`row`] writes, in order.
pub const HEADER: &str = "host,port,sni,address,observed_at,status,verdict,severity,interceptor_id,interceptor,interceptor_matched_by,top_finding_code,top_finding,leaf_subject,leaf_issuer,leaf_sha256,leaf_spki_sha256,issuing_ca_subject,issuing_ca_sha256,issuing_ca_spki_sha256,finding_codes";

/// Quotes a cell when needed, defuses formulas and writes control and
/// bidi characters as `\u{…}` and the backslash as `\\` (CSV often goes
/// to a terminal first), so that the cell reads back unambiguously.
pub fn cell(text: &str) -> String {
    // The backslash is doubled too: a literal `\u{1b}` in a certificate
    // must not read as an escaped control character.
    let mut t = super::terminal::escape(text);
    if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        t.insert(0, '\'');
    }
    if t.contains([',', '"', '\n', '\r']) || t.starts_with(' ') || t.ends_with(' ') {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t
    }
}

/// One row for an assessment and the CAs its chain served. Finding codes
/// appear once each, most severe first; `severity` is the highest.
pub fn row(a: &Assessment, cas: &ServedCas) -> String {
    let top = a.top_finding();
    let mut codes: Vec<&str> = Vec::new();
    for f in &a.findings {
        if !codes.contains(&f.code.as_str()) {
            codes.push(f.code.as_str());
        }
    }
    let severity = a.findings.iter().map(|f| f.severity).max();
    let leaf = a.leaf.as_ref();
    let ca = cas.issuing.as_ref();
    // An interceptor is named only for interception: the CA of a
    // suspicious chain is an issuer nobody has shown to intercept.
    let who = a
        .interceptor
        .as_ref()
        .filter(|_| a.verdict == mitmwatch_core::model::Verdict::Intercepted);
    [
        a.target.host.clone(),
        a.target.port.to_string(),
        a.target.sni.clone().unwrap_or_default(),
        a.address.clone().unwrap_or_default(),
        mitmwatch_core::certinfo::rfc3339(a.observed_at),
        a.status.as_str().to_string(),
        a.verdict.as_str().to_string(),
        severity
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        who.map(|i| i.id.clone()).unwrap_or_default(),
        who.map(|i| i.label.clone()).unwrap_or_default(),
        who.map(|i| i.matched_by.as_str().to_string())
            .unwrap_or_default(),
        top.map(|f| f.code.as_str().to_string()).unwrap_or_default(),
        top.map(|f| f.title.clone()).unwrap_or_default(),
        leaf.and_then(|l| l.subject.clone()).unwrap_or_default(),
        leaf.and_then(|l| l.issuer.clone()).unwrap_or_default(),
        leaf.map(|l| l.sha256.to_string()).unwrap_or_default(),
        leaf.and_then(|l| l.spki_sha256.map(|k| k.to_string()))
            .unwrap_or_default(),
        ca.and_then(|c| c.subject.clone()).unwrap_or_default(),
        ca.map(|c| c.sha256.to_string()).unwrap_or_default(),
        ca.and_then(|c| c.spki_sha256.map(|k| k.to_string()))
            .unwrap_or_default(),
        codes.join(";"),
    ]
    .iter()
    .map(|c| cell(c))
    .collect::<Vec<_>>()
    .join(",")
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("CN=\u{1b}[31m\u{202e}"), "CN=\\u{1b}[31m\\u{202e}");
        // A certificate that spells out an escape is not taken for one.
        assert_eq!(cell("CN=\\u{1b}"), "CN=\\\\u{1b}");
        assert_ne!(cell("CN=\\u{1b}"), cell("CN=\u{1b}"));
    }
}
