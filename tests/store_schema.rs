//! The store audit format (`mitmwatch store --json`) as documented in the
//! docs/formats.md, re-declared with `deny_unknown_fields`: a field added, renamed
//! or removed without updating docs/formats.md fails here.

mod common;

use common::fixtures::{analyzer, observation, FIXTURE_TIME};
use common::stores::debian_layout;
use mitmwatch_core::analysis_data::catalog::Catalog;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::analyze::ValidationTime;
use mitmwatch_store::{audit, link::scan_links, read_stores, StoreOptions};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StoreAudit {
    #[serde(rename = "type")]
    record_type: String,
    schema: u32,
    tool: String,
    audited_at: String,
    public_store: String,
    sources: Vec<Source>,
    roots: Vec<Root>,
    scan: Option<Scan>,
    summary: Summary,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Source {
    kind: String,
    path: Option<String>,
    status: String,
    certificates: usize,
    errors: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Root {
    certificate: Certificate,
    class: String,
    trusted: bool,
    catalog: Option<CatalogHit>,
    locations: Vec<Location>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Certificate {
    der: String,
    sha256: String,
    spki_sha256: Option<String>,
    subject: Option<String>,
    issuer: Option<String>,
    serial: Option<String>,
    not_before: Option<String>,
    not_after: Option<String>,
    parse_error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CatalogHit {
    id: String,
    label: String,
    operator: String,
    category: String,
    matched_by: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Location {
    kind: String,
    path: Option<String>,
    nickname: Option<String>,
    trust: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Scan {
    file: Option<String>,
    observations: usize,
    intercepted: usize,
    links: Vec<Link>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Link {
    domains: Vec<String>,
    interceptor: Option<serde_json::Value>,
    status: String,
    matched_by: Option<String>,
    root_sha256: Option<String>,
    root_subject: Option<String>,
    locations: Vec<Location>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Summary {
    sources_read: usize,
    sources_failed: usize,
    certificates: usize,
    public: usize,
    local: usize,
    known_interception: usize,
    known_interception_trusted: usize,
    conclusion: String,
}

#[test]
fn the_store_audit_matches_the_documented_format() {
    let sysroot = tempfile::tempdir().unwrap();
    debian_layout(sysroot.path());
    let reads = read_stores(&StoreOptions {
        system: true,
        sysroot: Some(sysroot.path().to_path_buf()),
        ..StoreOptions::default()
    });
    let catalog = Catalog::builtin().unwrap();
    let audit = audit(reads, &catalog, &TrustStore::mozilla());
    let observations = vec![observation("kz-2019-forged-facebook", "facebook.com")];
    let (assessments, _) =
        analyzer(None).assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    let links = scan_links(
        &audit,
        Some("obs.jsonl".into()),
        &observations,
        &assessments,
    );
    let report = audit.report("test".into(), FIXTURE_TIME, Some(links));
    let text = serde_json::to_string(&report).unwrap();
    let doc: StoreAudit = serde_json::from_str(&text).unwrap();
    assert_eq!(doc.schema, mitmwatch_core::model::STORE_SCHEMA);
    assert_eq!(doc.record_type, "store-audit");
    let scan = doc.scan.unwrap();
    assert_eq!(scan.links.len(), 1);
    // The fixture's forged chain hangs under another key with Qaznet's
    // name; the installed ISCA root has nothing to do with it.
    assert_eq!(scan.links[0].status, "not-installed");
    for root in &doc.roots {
        assert!(["known-interception", "local", "public"].contains(&root.class.as_str()));
        for l in &root.locations {
            assert!(["anchor", "stored", "distrusted"].contains(&l.trust.as_str()));
        }
    }
    for s in &doc.sources {
        assert!(
            ["system", "bundle", "anchors", "path", "firefox", "chrome"].contains(&s.kind.as_str())
        );
        assert!(["read", "error"].contains(&s.status.as_str()));
    }
}
