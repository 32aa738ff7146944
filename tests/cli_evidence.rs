//! `mitmwatch evidence`: bundles from scans of the simulation, their
//! documented formats (re-declared with `deny_unknown_fields`), the
//! manifest's hashes, what is left out by default, and certificate text
//! that tries to escape its file name or its Markdown.

mod common;

use common::binary;
use mitmwatch_core::encoding::{base64_decode, hex, sha256_hex};
use mitmwatch_core::import::pem_dir::file_observation;
use mitmwatch_core::model::Observation;
use mitmwatch_sim::{SimConfig, SimNetwork};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tokio::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Manifest {
    #[serde(rename = "type")]
    record_type: String,
    schema: u32,
    tool: String,
    generated_at: String,
    interceptors: Vec<ManifestEntry>,
    files: Vec<ManifestFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ManifestEntry {
    id: String,
    label: String,
    dir: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    path: String,
    sha256: String,
    bytes: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Evidence {
    #[serde(rename = "type")]
    record_type: String,
    schema: u32,
    tool: String,
    generated_at: String,
    interceptor: Interceptor,
    catalog: Option<CatalogRef>,
    observations: usize,
    leaf_only_observations: usize,
    no_sni_observations: usize,
    first_seen: String,
    last_seen: String,
    domains: Vec<Domain>,
    tls: Vec<Tls>,
    findings: Vec<Tally>,
    certificates: Vec<Cert>,
    block: Block,
    data_used: Option<serde_json::Value>,
    validated_at: Option<String>,
    loopback_only: bool,
    vantage: Option<Vantage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Interceptor {
    id: String,
    label: String,
    category: Option<String>,
    matched_by: Attribution,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Attribution {
    Key,
    Name,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CatalogRef {
    id: String,
    label: String,
    operator: String,
    category: String,
    matched_by: Attribution,
    spki_sha256_base64: Vec<String>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Domain {
    domain: String,
    observations: usize,
    first_seen: String,
    last_seen: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Tls {
    version: String,
    cipher_suite: Option<String>,
    kx_group: Option<String>,
    alpn: Option<String>,
    observations: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Tally {
    code: String,
    severity: String,
    title: String,
    observations: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Cert {
    file: Option<String>,
    role: String,
    certificate: Certificate,
    sha256_base64: String,
    spki_sha256_base64: Option<String>,
    crtsh: Vec<String>,
    domains: Vec<String>,
    observations: usize,
}

/// A certificate as observations record it (`certificates[].certificate`).
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
struct Block {
    ca_spki_sha256_base64: Vec<String>,
    ca_sha256: Vec<String>,
    leaf_sha256: Vec<String>,
    unseen_issuers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Vantage {
    note: Option<String>,
    addresses: Vec<String>,
    routes: Vec<String>,
    references: Vec<String>,
}

/// Every file under `dir`, relative, `/`-separated, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

async fn evidence(input: &Path, out: &Path, dir: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("evidence")
        .arg(input)
        .arg("-o")
        .arg(out)
        .arg("--roots")
        .arg(dir.join("root.pem"))
        .arg("--pins")
        .arg(dir.join("pins.json"))
        .args(extra)
        .output()
        .await
        .unwrap()
}

async fn scan_through(sim: &SimNetwork, port: u16, dir: &Path, name: &str) -> PathBuf {
    std::fs::write(dir.join("root.pem"), sim.public_root_pem()).unwrap();
    std::fs::write(dir.join("pins.json"), sim.pins_json()).unwrap();
    let list = dir.join("list.txt");
    std::fs::write(
        &list,
        mitmwatch_core::analysis_data::domains::popular().join("\n"),
    )
    .unwrap();
    let out = dir.join(name);
    let status = Command::new(binary())
        .args(["scan", "-q", "-i"])
        .arg(&list)
        .args(["--connect-to", &format!("::127.0.0.1:{port}"), "--roots"])
        .arg(dir.join("root.pem"))
        .arg("-o")
        .arg(&out)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_for_the_simulated_box() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scan = scan_through(&sim, sim.interceptor.port(), dir.path(), "box.jsonl").await;
    let bundle = dir.path().join("bundle");
    let out = evidence(&scan, &bundle, dir.path(), &[]).await;
    common::assert_exit(&out, 2);

    // The manifest lists every other file, with its hash and size.
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap())
            .expect("documented manifest format");
    assert_eq!(
        (manifest.record_type.as_str(), manifest.schema),
        ("evidence-manifest", 4)
    );
    assert_eq!(manifest.interceptors.len(), 1);
    let idir = &manifest.interceptors[0].dir;
    assert_eq!(idir, "kz-qaznet-trust-network");
    let mut listed: Vec<String> = manifest.files.iter().map(|f| f.path.clone()).collect();
    listed.push("manifest.json".into());
    listed.sort();
    assert_eq!(listed, files_under(&bundle));
    for f in &manifest.files {
        let bytes = std::fs::read(bundle.join(&f.path)).unwrap();
        assert_eq!(sha256_hex(&bytes), f.sha256, "{}", f.path);
        assert_eq!(bytes.len(), f.bytes);
    }
    #[cfg(unix)]
    for f in files_under(&bundle) {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(bundle.join(&f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o022, 0, "{f} is writable by group or others");
    }

    // evidence.json: 37 domains, the box's intermediate to block.
    let e: Evidence =
        serde_json::from_slice(&std::fs::read(bundle.join(idir).join("evidence.json")).unwrap())
            .expect("documented evidence format");
    assert_eq!(e.record_type, "interception-evidence");
    assert_eq!(e.observations, 37);
    assert_eq!(e.domains.len(), 37);
    // The box mints under Qaznet's names with keys of its own: named like
    // the catalog entry, which is then cited without its certificate.
    assert_eq!(e.schema, 4);
    assert_eq!(e.interceptor.matched_by, Attribution::Name);
    let catalog = e.catalog.as_ref().unwrap();
    assert_eq!(catalog.id, "kz-qaznet-trust-network");
    assert_eq!(catalog.matched_by, Attribution::Name);
    assert!(catalog.spki_sha256_base64.is_empty());
    assert!(!catalog.sources.is_empty());
    assert!(
        catalog.sources.iter().all(|s| !s.contains(".pem")),
        "{:?}",
        catalog.sources
    );
    let intermediate = x509_spki_sha256(&sim.interceptor_intermediate);
    let blocked: Vec<String> = e
        .block
        .ca_spki_sha256_base64
        .iter()
        .map(|b| hex(&base64_decode(b).unwrap()))
        .collect();
    assert_eq!(blocked, [intermediate]);
    assert_eq!(e.block.leaf_sha256.len(), 37);
    assert!(e
        .block
        .unseen_issuers
        .iter()
        .any(|i| i.starts_with("C=KZ, CN=Qaznet Trust Network")));
    assert_eq!(e.tls[0].version, "TLSv1.2");
    assert!(e
        .findings
        .iter()
        .any(|f| f.code == "known-interception-root"));
    let ca = e
        .certificates
        .iter()
        .find(|c| c.role == "intermediate")
        .unwrap();
    assert!(ca.crtsh[0].starts_with("https://crt.sh/?q="));
    let pem = std::fs::read(bundle.join(idir).join(ca.file.as_ref().unwrap())).unwrap();
    let der = mitmwatch_core::analysis_data::trust_store::parse_pem_certs(&pem, "pem").unwrap();
    assert_eq!(sha256_hex(&der[0]), ca.certificate.sha256);
    assert_eq!(
        mitmwatch_core::encoding::base64_decode(&ca.certificate.der).unwrap(),
        der[0].as_ref()
    );
    assert!(e.vantage.is_none());

    // Nothing about the vantage point by default: no address, no path.
    let tmp = dir.path().display().to_string();
    for f in files_under(&bundle) {
        let text = String::from_utf8_lossy(&std::fs::read(bundle.join(&f)).unwrap()).into_owned();
        assert!(!text.contains("127.0.0.1"), "{f} names a local address");
        assert!(!text.contains(&tmp), "{f} names a local path");
    }
    let report = std::fs::read_to_string(bundle.join(idir).join("REPORT.md")).unwrap();
    assert!(
        report.starts_with("# TLS interception by a CA named like `'Qaznet Trust Network'"),
        "{report}"
    );
    assert!(report.contains("## Fingerprints to block"));
    // The conclusion first, what it proves and not, the data, the
    // simulation said as such; leaves in one table, not a section each.
    for section in [
        "## Summary",
        "## What this proves and what it does not",
        "## Data used",
        "### 37 leaf certificates (one per row",
    ] {
        assert!(report.contains(section), "{section}: {report}");
    }
    assert!(report.find("## Summary").unwrap() < report.find("## What was seen").unwrap());
    assert!(
        report.contains("**Made from a simulation or a local test, not a network path:**"),
        "{report}"
    );
    assert!(!report.contains("### leaf"), "{report}");
    assert!(
        report.lines().count() < 300,
        "{} lines",
        report.lines().count()
    );
    // A finding whose title names its target is counted under a title
    // that holds for all of them.
    assert!(
        report.contains(
            "- `pin-mismatch` (medium, 24 of 37): `a pinned domain was served a chain with none of its pinned keys`"
        ),
        "{report}"
    );
    assert!(report.contains("- validation time: "), "{report}");
    assert!(report.contains(&e.block.ca_spki_sha256_base64[0]));
    assert!(report.contains(
        "Identified by name only: the key served is not the catalogued one; this may be a \
         re-issued root or an imitation."
    ));
    assert!(report.contains("not the catalog entry's: only the name matched"));
    // Neither the blocklist PEM nor the catalogued key is presented.
    assert!(!report.contains("net/data/ssl/blocklist/00309c"));
    let qaznet_spki = mitmwatch_core::analysis_data::catalog::Catalog::builtin()
        .unwrap()
        .get("kz-qaznet-trust-network")
        .unwrap()
        .spki_sha256[0];
    assert!(!report.contains(&qaznet_spki.to_base64()));
    assert!(!report.contains(&qaznet_spki.to_string()));
    assert!(report.contains("--control-sni example.com"));
    assert!(report.contains("mitmwatch scan "));
    assert!(report.contains("The reporter included no vantage information"));

    // Asked for: the note and the addresses.
    let bundle2 = dir.path().join("bundle2");
    let out = evidence(
        &scan,
        &bundle2,
        dir.path(),
        &[
            "--vantage-note",
            "Home DSL, Almaty, July",
            "--include-addresses",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let e: Evidence =
        serde_json::from_slice(&std::fs::read(bundle2.join(idir).join("evidence.json")).unwrap())
            .unwrap();
    let v = e.vantage.unwrap();
    assert_eq!(v.note.as_deref(), Some("Home DSL, Almaty, July"));
    assert!(v.addresses[0].starts_with("127.0.0.1:"));
    let report = std::fs::read_to_string(bundle2.join(idir).join("REPORT.md")).unwrap();
    assert!(report.contains("> Home DSL, Almaty, July"));

    // An existing, non-empty directory is refused.
    let out = evidence(&scan, &bundle, dir.path(), &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));

    // Straight to the origin: nothing intercepted, no bundle, exit 0.
    let direct = scan_through(&sim, sim.origin.port(), dir.path(), "direct.jsonl").await;
    let bundle3 = dir.path().join("bundle3");
    let out = evidence(&direct, &bundle3, dir.path(), &[]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(!bundle3.exists());
}

fn x509_spki_sha256(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    sha256_hex(cert.public_key().raw)
}

/// A leaf minted moments ago by a CA whose name is hostile, sent alone.
/// Every such leaf has the same key, so that a scan of two of them shows
/// one key minting leaves for unrelated names: interception.
fn hostile_observation(ca_name: &str, host: &str) -> Observation {
    static LEAF_KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let leaf_key = LEAF_KEY.get_or_init(|| rcgen::KeyPair::generate().unwrap().serialize_pem());
    let now = time::OffsetDateTime::now_utc();
    let mut ca = rcgen::CertificateParams::default();
    ca.distinguished_name = rcgen::DistinguishedName::new();
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, ca_name);
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let mut leaf = rcgen::CertificateParams::new(vec![host.to_string()]).unwrap();
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    leaf.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("{host} `|<b>x</b>\n# hi"),
    );
    leaf.not_before = now - time::Duration::hours(1);
    leaf.not_after = now + time::Duration::days(30);
    let cert = leaf
        .signed_by(&rcgen::KeyPair::from_pem(leaf_key).unwrap(), &issuer)
        .unwrap();
    Observation {
        address: Some("10.9.8.7:443".into()),
        route: Some("resolve evil:443:10.9.8.7".into()),
        duration_ms: 1.0,
        ..file_observation(&[cert.der()], host.into(), now)
    }
}

#[tokio::test]
async fn hostile_certificate_text_stays_inside_its_file_and_its_code_span() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), "").unwrap();
    let mut lines = String::new();
    for (ca, host) in [
        ("../../../etc/evil`|\n# injected", "evil.example"),
        ("/abs\\path\u{202e}..", "other.example"),
    ] {
        lines.push_str(&serde_json::to_string(&hostile_observation(ca, host)).unwrap());
        lines.push('\n');
    }
    let input = dir.path().join("hostile.jsonl");
    std::fs::write(&input, lines).unwrap();
    let bundle = dir.path().join("bundle");
    let out = Command::new(binary())
        .arg("evidence")
        .arg(&input)
        .arg("-o")
        .arg(&bundle)
        .output()
        .await
        .unwrap();
    common::assert_exit(&out, 2);
    // Everything written is inside the bundle, under safe names.
    let files = files_under(&bundle);
    assert!(files.len() > 4, "{files:?}");
    let outside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(outside.len(), 3, "{outside:?}");
    for f in &files {
        assert!(
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)),
            "{f}"
        );
        assert!(!f.contains(".."), "{f}");
        assert!(f.len() < 120);
    }
    // The Markdown cannot be broken: no injected heading, no raw HTML.
    for f in files.iter().filter(|f| f.ends_with("REPORT.md")) {
        let report = std::fs::read_to_string(bundle.join(f)).unwrap();
        assert!(!report
            .lines()
            .any(|l| l.starts_with("# injected") || l.starts_with("# hi")));
        for line in report.lines().filter(|l| l.contains("<b>")) {
            // Only inside code spans: an odd number of backtick runs before it.
            let before = &line[..line.find("<b>").unwrap()];
            assert!(before.contains('`'), "{line}");
        }
        assert!(report.contains("\\u{a}"), "newlines are shown escaped");
        assert!(!report.contains("10.9.8.7"));
    }
}

/// From a mitmwatch file, `evidence` keeps only the intercepted targets'
/// observations in memory. The bundle must be the one the library builds
/// from the whole scan: same files, and the same bytes in every file that
/// does not carry the time it was made.
#[tokio::test]
async fn streamed_bundle_matches_the_whole_scan() {
    use common::fixtures::{analyzer, fixture, observation, scan, FIXTURE_TIME};
    use mitmwatch_core::analyze::ValidationTime;
    use mitmwatch_report::evidence::{build, BundleOptions};

    let (observations, lines) = scan(120, |i| match i {
        7 => observation("mitmproxy-a", "a.example"),
        100 => observation("mitmproxy-b", "b.example"),
        _ if i % 10 == 3 => observation("kz-2019-forged-facebook", "facebook.com"),
        _ => observation("public-ok", &format!("h{i}.example")),
    });
    let analyzer = analyzer(None);
    let (assessments, _) = analyzer.assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    let options = BundleOptions {
        tool: mitmwatch_core::model::tool_name(),
        generated_at: FIXTURE_TIME,
        vantage_note: None,
        include_addresses: false,
        data_used: None,
        validated_at: None,
    };
    let expected = build(&observations, &assessments, analyzer.catalog(), &options);
    assert_eq!(expected.interceptors.len(), 2, "mitmproxy and the 2019 box");

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("scan.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let bundle = dir.path().join("bundle");
    // The library's analyzer: the fixture root and the built-in pins.
    std::fs::copy(
        fixture("roots/public-root-r1.pem"),
        dir.path().join("root.pem"),
    )
    .unwrap();
    let pins = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/pins.json");
    std::fs::copy(pins, dir.path().join("pins.json")).unwrap();
    let out = evidence(
        &input,
        &bundle,
        dir.path(),
        &["--at", "2026-06-01T00:00:00Z"],
    )
    .await;
    common::assert_exit(&out, 2);
    // The command says which data and validation time it used; so does
    // the library, told the same.
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join(&expected.files[1].path)).unwrap())
            .unwrap();
    let options = BundleOptions {
        data_used: serde_json::from_value(written["data_used"].clone()).unwrap(),
        validated_at: serde_json::from_value(written["validated_at"].clone()).unwrap(),
        ..options
    };
    let expected = build(&observations, &assessments, analyzer.catalog(), &options);
    let mut paths: Vec<String> = expected.files.iter().map(|f| f.path.clone()).collect();
    paths.sort();
    assert_eq!(files_under(&bundle), paths);
    for file in &expected.files {
        let written = std::fs::read(bundle.join(&file.path)).unwrap();
        let timed = ["manifest.json", "evidence.json", "REPORT.md"]
            .iter()
            .any(|name| file.path.ends_with(name));
        if file.path.ends_with("evidence.json") {
            // Everything but the time of making.
            let untimed = |bytes: &[u8]| {
                let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                v.as_object_mut().unwrap().remove("generated_at");
                v
            };
            assert_eq!(untimed(&written), untimed(&file.bytes), "{}", file.path);
        } else if timed {
            // The time of making differs, so the manifest's hashes do too.
            let (ours, theirs) = (
                String::from_utf8_lossy(&written),
                String::from_utf8_lossy(&file.bytes),
            );
            assert_eq!(
                ours.lines().count(),
                theirs.lines().count(),
                "{}",
                file.path
            );
        } else {
            assert!(written == file.bytes, "{} differs", file.path);
        }
    }
}

/// A chain matched by the catalogued key and one that only carries the
/// catalogued name are two interceptors: the first cites the entry's key
/// and every source, the second says "name only" and cites neither.
#[test]
fn key_and_name_attributions_are_told_apart() {
    use common::fixtures::{analyzer, observation, FIXTURE_TIME};
    use mitmwatch_core::analyze::ValidationTime;
    use mitmwatch_report::evidence::{build, BundleOptions};

    let observations = vec![
        observation("kz-keyid-only", "mail.ru"),
        observation("kz-2019-forged-facebook", "facebook.com"),
    ];
    let analyzer = analyzer(None);
    let (assessments, _) = analyzer.assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    let options = BundleOptions {
        tool: "mitmwatch test".into(),
        generated_at: FIXTURE_TIME,
        vantage_note: None,
        include_addresses: false,
        data_used: None,
        validated_at: None,
    };
    let bundle = build(&observations, &assessments, analyzer.catalog(), &options);
    let ids: Vec<(&str, &str)> = bundle
        .interceptors
        .iter()
        .map(|i| (i.id.as_str(), i.dir.as_str()))
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.iter().all(|(id, _)| *id == "kz-qaznet-trust-network"));
    let file = |dir: &str, name: &str| {
        bundle
            .files
            .iter()
            .find(|f| f.path == format!("{dir}/{name}"))
            .map(|f| f.bytes.clone())
            .unwrap()
    };
    let qaznet = analyzer.catalog().get("kz-qaznet-trust-network").unwrap();
    let qaznet_b64 = qaznet.spki_sha256[0].to_base64();

    let (_, key_dir) = ids[0];
    let e: Evidence = serde_json::from_slice(&file(key_dir, "evidence.json")).unwrap();
    assert_eq!(e.interceptor.matched_by, Attribution::Key);
    let c = e.catalog.unwrap();
    assert_eq!(c.matched_by, Attribution::Key);
    assert_eq!(c.spki_sha256_base64, std::slice::from_ref(&qaznet_b64));
    assert_eq!(c.sources, qaznet.sources);
    let report = String::from_utf8(file(key_dir, "REPORT.md")).unwrap();
    assert!(
        report.contains(&format!(
            "Identified by its key (SPKI SHA-256 `{qaznet_b64}`)"
        )),
        "{report}"
    );
    assert!(report.contains("net/data/ssl/blocklist/00309c"));

    let (_, name_dir) = ids[1];
    let e: Evidence = serde_json::from_slice(&file(name_dir, "evidence.json")).unwrap();
    assert_eq!(e.interceptor.matched_by, Attribution::Name);
    let c = e.catalog.unwrap();
    assert_eq!(c.matched_by, Attribution::Name);
    assert!(c.spki_sha256_base64.is_empty());
    assert_eq!(c.sources, qaznet.name_sources());
    let report = String::from_utf8(file(name_dir, "REPORT.md")).unwrap();
    assert!(report.contains("Identified by name only"), "{report}");
    assert!(!report.contains("net/data/ssl/blocklist/00309c"));
    assert!(!report.contains(&qaznet_b64));
}

/// Handshakes made without SNI (`--no-sni`): the interceptor saw no name,
/// so the report says it chose by destination and reproduces without SNI,
/// never "choosing by name".
#[test]
fn handshakes_without_sni_are_not_called_a_choice_by_name() {
    use common::fixtures::{analyzer, observation, FIXTURE_TIME};
    use mitmwatch_core::analyze::ValidationTime;
    use mitmwatch_report::evidence::{build, BundleOptions};

    let mut observations = vec![
        observation("mitmproxy-a", "a.example"),
        observation("mitmproxy-b", "b.example"),
    ];
    for o in &mut observations {
        o.target.sni = None;
    }
    let analyzer = analyzer(None);
    let (assessments, _) = analyzer.assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    let options = BundleOptions {
        tool: "mitmwatch test".into(),
        generated_at: FIXTURE_TIME,
        vantage_note: None,
        include_addresses: false,
        data_used: None,
        validated_at: None,
    };
    let bundle = build(&observations, &assessments, analyzer.catalog(), &options);
    assert_eq!(bundle.interceptors.len(), 1);
    let dir = &bundle.interceptors[0].dir;
    let read = |name: &str| {
        let path = format!("{dir}/{name}");
        bundle
            .files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.bytes.clone())
            .unwrap()
    };
    let e: Evidence = serde_json::from_slice(&read("evidence.json")).unwrap();
    assert_eq!((e.observations, e.no_sni_observations), (2, 2));
    let report = String::from_utf8(read("REPORT.md")).unwrap();
    assert!(
        report.contains("chose them by destination (IP address and port), not by name"),
        "{report}"
    );
    assert!(report.contains("mitmwatch scan a.example b.example --no-sni -o"));
    assert!(!report.contains("choosing by name"), "{report}");
    assert!(!report.contains("--control-sni"), "{report}");
}
