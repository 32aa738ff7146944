//! Human-readable text for the trust-store audit (`mitmwatch store`) and
//! the sentences `check` borrows from it. Paths, nicknames and certificate
//! names go through [`escape`]: certificate text is attacker-controlled,
//! and so are file names in a profile directory.

use super::terminal::escape;
use super::text::wrap;
use mitmwatch_core::model::{
    CatalogMatchKind, InstalledRoot, LinkMatch, LinkStatus, RootClass, ScanLink, SourceKind,
    SourceStatus, StoreAudit, StoreLocation,
};

/// Where a certificate is, as a phrase: "your system store at PATH".
pub(crate) fn location_phrase(l: &StoreLocation) -> String {
    let path = escape(l.path.as_deref().unwrap_or(""));
    let mut s = match l.kind {
        SourceKind::System => "the operating system store".to_string(),
        SourceKind::Bundle | SourceKind::Anchors => format!("your system store at {path}"),
        SourceKind::Path => path,
        SourceKind::Firefox => format!("your Firefox profile at {path}"),
        SourceKind::Chrome => format!("Chrome's certificate database at {path}"),
    };
    if let Some(nick) = &l.nickname {
        s.push_str(&format!(" (nickname '{}')", escape(nick)));
    }
    s
}

fn locations_phrase(locations: &[StoreLocation]) -> String {
    match locations {
        [] => "no store".into(),
        [one] => location_phrase(one),
        [first, rest @ ..] => format!(
            "{} and {} other place{}",
            location_phrase(first),
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    }
}

fn domains_phrase(domains: &[String]) -> String {
    const SHOWN: usize = 5;
    let shown: Vec<String> = domains.iter().take(SHOWN).map(|d| escape(d)).collect();
    if domains.len() > SHOWN {
        format!("{} and {} more", shown.join(", "), domains.len() - SHOWN)
    } else {
        shown.join(", ")
    }
}

/// One sentence tying intercepted connections to the stores.
pub fn link_sentence(link: &ScanLink) -> String {
    link_sentence_calling(link, None)
}

/// [`link_sentence`], calling the interceptor `who` (already escaped)
/// instead of by its label, when the text around it has named it.
pub fn link_sentence_calling(link: &ScanLink, who: Option<&str>) -> String {
    let named = who.is_none();
    let who = match who {
        Some(w) => w.to_string(),
        None => link
            .interceptor
            .as_ref()
            .map(|i| escape(&i.label))
            .unwrap_or_else(|| "an unidentified party".into()),
    };
    let domains = domains_phrase(&link.domains);
    match link.status {
        LinkStatus::Installed => format!(
            "Your connections to {domains} were intercepted by a root that is installed on this machine \
             ({}in {}), so your browser shows no warning. Remove that root unless you installed it \
             on purpose.",
            if named { format!("{who}, ") } else { String::new() },
            locations_phrase(&link.locations)
        ),
        LinkStatus::SimilarInstalled => format!(
            "Your connections to {domains} were intercepted by {who}. A root with the same {} is \
             installed in {}, but it is not shown to be the key that signed these certificates: browsers \
             may still show a warning for these sites.",
            if link.matched_by == Some(LinkMatch::Catalog) {
                "catalog entry"
            } else {
                "name"
            },
            locations_phrase(&link.locations)
        ),
        LinkStatus::NotInstalled => format!(
            "Your connections to {domains} were intercepted by {who}, whose root is not installed in the \
             trust stores mitmwatch read: your browser will show a certificate warning for these sites. \
             Do not click through it, and do not install a certificate you are asked to install."
        ),
    }
}

fn matched_by(kind: CatalogMatchKind) -> &'static str {
    match kind {
        CatalogMatchKind::Spki => "recognised by its public key (SPKI SHA-256)",
        CatalogMatchKind::Certificate => "recognised by its certificate fingerprint",
        CatalogMatchKind::KeyId => "issued by a known interception key (authority key identifier)",
        CatalogMatchKind::Name => "recognised by its name only: it looks like this product",
    }
}

fn root_block(out: &mut String, root: &InstalledRoot) {
    let subject = escape(root.certificate.subject.as_deref().unwrap_or("(unparsed)"));
    match &root.catalog {
        Some(hit) => {
            out.push_str(&format!(
                "  '{}' ({})\n",
                escape(&hit.label),
                escape(&hit.operator)
            ));
            out.push_str(&format!(
                "      {}; {}\n",
                hit.category.describe(),
                matched_by(hit.matched_by)
            ));
            out.push_str(&format!("      subject: {subject}\n"));
        }
        None => out.push_str(&format!("  {subject}\n")),
    }
    out.push_str(&format!("      SHA-256: {}\n", root.certificate.sha256));
    for l in &root.locations {
        let nick = l
            .nickname
            .as_ref()
            .map(|n| format!(", nickname '{}'", escape(n)))
            .unwrap_or_default();
        let line = match &l.path {
            Some(p) => format!(
                "in {} ({}{nick}, {})",
                escape(p),
                l.kind.describe(),
                l.trust.describe()
            ),
            None => format!("in the {} ({})", l.kind.describe(), l.trust.describe()),
        };
        out.push_str(&format!("      {line}\n"));
    }
}

/// The sources, one line each, with their problems.
fn sources_text(out: &mut String, audit: &StoreAudit) {
    out.push_str("Trust stores read:\n");
    if audit.sources.is_empty() {
        out.push_str("  none (nothing to read was found or asked for)\n");
    }
    for s in &audit.sources {
        let path = s
            .path
            .as_deref()
            .map(|p| format!(" {}", escape(p)))
            .unwrap_or_default();
        let what = match s.status {
            SourceStatus::Read => format!(
                "{} certificate{}",
                s.certificates,
                if s.certificates == 1 { "" } else { "s" }
            ),
            SourceStatus::Error => "COULD NOT BE READ".into(),
        };
        out.push_str(&format!("  {}{path}: {what}\n", s.kind.describe()));
        for e in &s.errors {
            out.push_str(&format!("      {}\n", escape(e)));
        }
    }
}

/// The full text report of `mitmwatch store`. `verbose` also lists the
/// public roots.
pub fn store_text(audit: &StoreAudit, verbose: bool) -> String {
    let mut out = String::new();
    sources_text(&mut out, audit);
    let of = |class: RootClass, trusted: bool| -> Vec<&InstalledRoot> {
        audit
            .roots
            .iter()
            .filter(|r| r.class == class && r.trusted == trusted)
            .collect()
    };
    let installed = of(RootClass::KnownInterception, true);
    if !installed.is_empty() {
        out.push_str("\nKNOWN INTERCEPTION ROOT INSTALLED\n");
        for root in &installed {
            if let Some(hit) = &root.catalog {
                let trusted: Vec<StoreLocation> = root
                    .locations
                    .iter()
                    .filter(|l| l.trust == mitmwatch_core::model::StoreTrust::Anchor)
                    .cloned()
                    .collect();
                out.push_str(&wrap(
                    &format!(
                        "{} root '{}' is installed in {}.",
                        capitalise(hit.category.describe()),
                        escape(&hit.label),
                        locations_phrase(&trusted)
                    ),
                    0,
                    96,
                ));
            }
            root_block(&mut out, root);
        }
    }
    let local: Vec<&InstalledRoot> = audit
        .roots
        .iter()
        .filter(|r| r.class == RootClass::Local)
        .collect();
    let (added, bundled): (Vec<&InstalledRoot>, Vec<&InstalledRoot>) =
        local.into_iter().partition(|r| added_locally(r));
    let sections = [
        (
            of(RootClass::KnownInterception, false),
            "Known interception certificates stored without trust for websites (harmless while untrusted):",
        ),
        (
            added,
            "Roots added locally (anchor directories, given paths, browser databases), not in Mozilla's store:",
        ),
    ];
    for (roots, title) in sections {
        if !roots.is_empty() {
            out.push_str(&format!("\n{title}\n"));
            for root in roots {
                root_block(&mut out, root);
            }
        }
    }
    if !bundled.is_empty() {
        if verbose {
            out.push_str(
                "\nRoots only in the operating system store or CA bundles, not in Mozilla's store:\n",
            );
            for root in &bundled {
                root_block(&mut out, root);
            }
        } else {
            out.push('\n');
            out.push_str(&wrap(
                &format!(
                    "{} more root{} only in the operating system store or CA bundles, not in \
                     Mozilla's store: often roots the distribution still ships after Mozilla removed \
                     them. `-v` lists them.",
                    bundled.len(),
                    if bundled.len() == 1 { " is" } else { "s are" }
                ),
                0,
                96,
            ));
        }
    }
    if verbose {
        let public: Vec<&InstalledRoot> = audit
            .roots
            .iter()
            .filter(|r| r.class == RootClass::Public)
            .collect();
        if !public.is_empty() {
            out.push_str("\nPublic roots (in Mozilla's store):\n");
            for root in public {
                root_block(&mut out, root);
            }
        }
    }
    let s = &audit.summary;
    out.push_str(&format!(
        "\n{}: {} public (in {}), {} local, {} known interception ({} trusted).\n",
        mitmwatch_core::plural::count(s.certificates, "certificate", "certificates"),
        s.public,
        escape(&audit.public_store),
        s.local,
        s.known_interception,
        s.known_interception_trusted
    ));
    out.push_str(&wrap(&escape(&s.conclusion), 0, 96));
    if let Some(scan) = &audit.scan {
        out.push_str(&format!(
            "\nIntercepted connections in {} ({} of {}):\n",
            escape(scan.file.as_deref().unwrap_or("the scan")),
            scan.intercepted,
            mitmwatch_core::plural::count(scan.observations, "observation", "observations")
        ));
        if scan.links.is_empty() {
            out.push_str("  none\n");
        }
        for link in &scan.links {
            out.push_str(&wrap(&link_sentence(link), 2, 96));
        }
    }
    out
}

/// Whether a root was found somewhere other than the operating system
/// store and the CA bundles built from the distribution's list.
fn added_locally(root: &InstalledRoot) -> bool {
    root.locations.iter().any(|l| {
        matches!(
            l.kind,
            SourceKind::Anchors | SourceKind::Path | SourceKind::Firefox | SourceKind::Chrome
        )
    })
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitmwatch_core::model::{Interceptor, StoreTrust};

    #[test]
    fn sentences_escape_what_came_from_outside() {
        let link = ScanLink {
            domains: vec!["facebook.com".into()],
            interceptor: Some(Interceptor {
                id: "x".into(),
                label: "'Evil\u{1b}[31m CA'".into(),
                category: None,
                matched_by: mitmwatch_core::model::Attribution::Name,
            }),
            status: LinkStatus::Installed,
            matched_by: Some(LinkMatch::Signature),
            root_sha256: None,
            root_subject: None,
            locations: vec![StoreLocation {
                kind: SourceKind::Anchors,
                path: Some("/usr/local/share/ca-certificates/\u{202e}x.crt".into()),
                nickname: None,
                trust: StoreTrust::Anchor,
            }],
        };
        let s = link_sentence(&link);
        assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}'), "{s}");
        assert!(s.contains("installed on this machine"), "{s}");
        assert!(
            s.contains("your system store at /usr/local/share/ca-certificates/"),
            "{s}"
        );
    }
}
