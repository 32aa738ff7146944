//! Text for `mitmwatch compare`. Names come from certificates and files
//! and go through [`escape`].

use super::terminal::escape;
use super::text::wrap;
use mitmwatch_core::model::{CaBrief, DomainComparison, DomainDiff, SideView, VantageComparison};
use mitmwatch_core::plural::count;

fn cas(set: &[CaBrief]) -> String {
    if set.is_empty() {
        return "none".into();
    }
    set.iter()
        .map(|c| format!("'{}'", escape(&c.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn side(label: &str, v: &SideView) -> String {
    if v.chains == 0 {
        return format!(
            "    {}: no chain in {}\n",
            escape(label),
            count(v.observations, "observation", "observations")
        );
    }
    format!(
        "    {}: root {}; issuer {}; {}\n",
        escape(label),
        cas(&v.roots),
        cas(&v.issuers),
        count(v.leaf_spki_sha256.len(), "leaf key", "leaf keys")
    )
}

fn domain(d: &DomainComparison, la: &str, lb: &str) -> String {
    let mut out = format!("{:<15} {}\n", d.diff.as_str(), escape(&d.domain));
    if d.a.observations > 0 {
        out.push_str(&side(la, &d.a));
    }
    if d.b.observations > 0 {
        out.push_str(&side(lb, &d.b));
    }
    out.push_str(&wrap(&escape(&d.explanation), 4, 96));
    out
}

/// The comparison: the counts and conclusion first, then the two inputs,
/// the differences in full and the ordinary agreement counted (listed
/// domain by domain with `verbose`), and the counts again after a long list.
pub fn comparison(c: &VantageComparison, verbose: bool) -> String {
    let (la, lb) = (c.a.label.as_str(), c.b.label.as_str());
    let counts: Vec<String> = c
        .counts
        .iter()
        .map(|(k, n)| format!("{} {n}", k.as_str()))
        .collect();
    let counts = format!(
        "{}: {}\n",
        count(c.domains.len(), "domain", "domains"),
        counts.join(", ")
    );
    let mut out = counts.clone();
    out.push_str(&wrap(&escape(&c.conclusion), 0, 96));
    out.push_str(&format!(
        "\n{} = {} ({})\n{} = {} ({})\n\n",
        escape(la),
        escape(&c.a.file),
        count(c.a.observations, "observation", "observations"),
        escape(lb),
        escape(&c.b.file),
        count(c.b.observations, "observation", "observations")
    ));
    let ordinary = |d: &DomainDiff| matches!(d, DomainDiff::SameKey | DomainDiff::SameCa);
    let mut listed = 0;
    for d in &c.domains {
        if verbose || !ordinary(&d.diff) {
            out.push_str(&domain(d, la, lb));
            out.push('\n');
            listed += 1;
        }
    }
    if !verbose {
        let agreeing: Vec<String> = [DomainDiff::SameCa, DomainDiff::SameKey]
            .iter()
            .map(|kind| (kind, c.domains.iter().filter(|d| d.diff == *kind).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{} {}", count(n, "domain", "domains"), kind.as_str()))
            .collect();
        if !agreeing.is_empty() {
            out.push_str(&wrap(
                &format!(
                    "{} agree ({}); -v lists them.",
                    agreeing.join(", "),
                    "the same root on both sides"
                ),
                0,
                96,
            ));
        }
    }
    if listed > 20 {
        out.push('\n');
        out.push_str(&counts);
    }
    out
}
