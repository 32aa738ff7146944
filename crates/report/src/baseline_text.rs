//! A baseline as text (`baseline --format text`): per domain, the issuing
//! CAs a trusted vantage saw. Issuer names come from certificates, so they
//! are escaped for the terminal.

use super::terminal::escape;
use mitmwatch_core::analysis_data::baseline::Baseline;
use mitmwatch_core::encoding::rfc3339;
use mitmwatch_core::plural::count;
use std::fmt::Write;

/// The whole baseline: a header, one block per domain, then the count.
pub fn render(baseline: &Baseline) -> String {
    let mut out = format!(
        "baseline from {}, made {}\n\n",
        escape(&baseline.source),
        rfc3339(baseline.created_at)
    );
    for (domain, entry) in &baseline.domains {
        let _ = writeln!(out, "{}", escape(domain));
        for issuer in &entry.issuers {
            let _ = writeln!(out, "  issuer {}", escape(issuer));
        }
        let _ = writeln!(
            out,
            "  {} above the leaf",
            count(entry.ca_spki_sha256.len(), "CA key", "CA keys")
        );
    }
    let _ = writeln!(
        out,
        "\n{}",
        count(baseline.domains.len(), "domain", "domains")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitmwatch_core::analysis_data::baseline::BaselineEntry;

    #[test]
    fn each_domain_lists_its_issuers_and_control_characters_are_escaped() {
        let mut b = Baseline::new(
            "scan.jsonl",
            time::macros::datetime!(2026-01-02 03:04:05 UTC),
        );
        b.domains.insert(
            "example.com".into(),
            BaselineEntry {
                issuers: ["CN=R11,O=Let's Encrypt\u{1b}[31m".to_string()].into(),
                ca_spki_sha256: [mitmwatch_core::model::Fingerprint::from([0xab; 32])].into(),
                ..Default::default()
            },
        );
        let text = render(&b);
        assert!(
            text.starts_with("baseline from scan.jsonl, made 2026-01-02T03:04:05Z\n"),
            "{text}"
        );
        assert!(
            text.contains("example.com\n  issuer CN=R11,O=Let's Encrypt"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("  1 CA key above the leaf\n"), "{text}");
        assert!(text.ends_with("\n1 domain\n"), "{text}");
    }
}
