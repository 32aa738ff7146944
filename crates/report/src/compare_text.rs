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

/// The comparison: differences in full, ordinary agreement counted
/// (everything in full with `verbose`), then the counts and conclusion.
pub fn comparison(c: &VantageComparison, verbose: bool) -> String {
    let (la, lb) = (c.a.label.as_str(), c.b.label.as_str());
    let mut out = format!(
        "{} = {} ({})\n{} = {} ({})\n\n",
        escape(la),
        escape(&c.a.file),
        count(c.a.observations, "observation", "observations"),
        escape(lb),
        escape(&c.b.file),
        count(c.b.observations, "observation", "observations")
    );
    let ordinary = |d: &DomainDiff| matches!(d, DomainDiff::SameKey | DomainDiff::SameCa);
    for d in &c.domains {
        if verbose || !ordinary(&d.diff) {
            out.push_str(&domain(d, la, lb));
            out.push('\n');
        }
    }
    if !verbose {
        for kind in [DomainDiff::SameCa, DomainDiff::SameKey] {
            let names: Vec<String> = c
                .domains
                .iter()
                .filter(|d| d.diff == kind)
                .map(|d| escape(&d.domain))
                .collect();
            if !names.is_empty() {
                out.push_str(&wrap(
                    &format!(
                        "{} ({}): {}",
                        kind.as_str(),
                        count(names.len(), "domain", "domains"),
                        names.join(", ")
                    ),
                    0,
                    96,
                ));
            }
        }
        out.push('\n');
    }
    let counts: Vec<String> = c
        .counts
        .iter()
        .map(|(k, n)| format!("{} {n}", k.as_str()))
        .collect();
    out.push_str(&format!(
        "{}: {}\n",
        count(c.domains.len(), "domain", "domains"),
        counts.join(", ")
    ));
    out.push_str(&wrap(&escape(&c.conclusion), 0, 96));
    out
}
