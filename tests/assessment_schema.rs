//! The assessment and summary formats as documented in docs/formats.md,
//! re-declared with `deny_unknown_fields`, and every finding code documented.

mod common;

use common::fixtures::{analyzer, observation, FIXTURE_TIME};
use mitmwatch_core::analyze::ValidationTime;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Assessment {
    #[serde(rename = "type")]
    record_type: String,
    schema: u32,
    target: serde_json::Value,
    address: Option<String>,
    observed_at: String,
    validated_at: String,
    status: String,
    failure: Option<String>,
    verdict: String,
    chain_trust: Option<ChainTrust>,
    interceptor: Option<Interceptor>,
    leaf: Option<Leaf>,
    findings: Vec<Finding>,
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

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum ChainTrust {
    Public,
    Local,
    AnchoredRejected,
    LocalRejected,
    ServedUntrustedCa,
    UnknownIssuer,
    SelfSigned,
    Broken,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum Attribution {
    Key,
    Name,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Leaf {
    subject: Option<String>,
    issuer: Option<String>,
    sha256: String,
    spki_sha256: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Finding {
    code: String,
    severity: String,
    title: String,
    explanation: String,
    evidence: Evidence,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Evidence {
    cert_index: Option<usize>,
    subject: Option<String>,
    sha256: Option<String>,
    spki_sha256: Option<String>,
    catalog_id: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Summary {
    #[serde(rename = "type")]
    record_type: String,
    schema: u32,
    targets: usize,
    verdicts: std::collections::BTreeMap<String, usize>,
    statuses: std::collections::BTreeMap<String, usize>,
    interceptors: Vec<Hits>,
    pattern: Option<String>,
    conclusion: String,
    #[serde(default)]
    provenance: Option<Provenance>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Provenance {
    inputs: Vec<InputFile>,
    observed_from: Option<String>,
    observed_until: Option<String>,
    at: String,
    data: DataUsed,
    skipped_lines: usize,
    first_skipped: Vec<SkippedLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct InputFile {
    name: String,
    sha256: String,
    bytes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DataUsed {
    ct_log_list: String,
    pins: String,
    catalog: String,
    trust_store: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SkippedLine {
    line: usize,
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Hits {
    interceptor: Interceptor,
    domains: Vec<String>,
}

#[test]
fn assessments_and_summaries_match_the_documented_format() {
    let observations = [
        observation("kz-2019-forged-facebook", "facebook.com"),
        observation("public-ok", "example.com"),
    ];
    let (assessments, summary) =
        analyzer(None).assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    for a in &assessments {
        let parsed: Assessment = serde_json::from_str(&serde_json::to_string(a).unwrap()).unwrap();
        assert_eq!(parsed.record_type, "assessment");
        for f in &parsed.findings {
            assert!(
                mitmwatch_core::model::FindingCode::iter().any(|c| c.as_str() == f.code.as_str()),
                "{}",
                f.code
            );
        }
    }
    let parsed: Summary = serde_json::from_str(&serde_json::to_string(&summary).unwrap()).unwrap();
    assert_eq!(parsed.record_type, "summary");
    assert!(parsed.provenance.is_none(), "absent unless a file was read");
    assert!(!serde_json::to_string(&summary)
        .unwrap()
        .contains("provenance"));

    // With the provenance `analyze` and `report` add on files.
    let mut summary = summary;
    summary.provenance = Some(mitmwatch_core::model::Provenance {
        inputs: vec![mitmwatch_core::model::InputFile {
            name: "scan.jsonl".into(),
            sha256: "00".repeat(32),
            bytes: 10,
        }],
        observed_from: Some(FIXTURE_TIME),
        observed_until: None,
        at: "observed".into(),
        data: mitmwatch_core::model::DataUsed {
            ct_log_list: "l".into(),
            pins: "p".into(),
            catalog: "c".into(),
            trust_store: "t".into(),
        },
        skipped_lines: 1,
        first_skipped: vec![mitmwatch_core::model::SkippedLine {
            line: 3,
            message: "not valid JSON".into(),
        }],
    });
    let json = serde_json::to_string(&summary).unwrap();
    assert!(json.ends_with("}}"), "provenance is the last field: {json}");
    let parsed: Summary = serde_json::from_str(&json).unwrap();
    let p = parsed.provenance.unwrap();
    assert_eq!(p.first_skipped[0].line, 3);
    assert_eq!(p.observed_until, None);
    let readme = include_str!("../docs/formats.md");
    for field in [
        "provenance",
        "observed_from",
        "first_skipped",
        "skipped_lines",
    ] {
        assert!(
            readme.contains(&format!("| `{field}")) || readme.contains(&format!(", `{field}`")),
            "docs/formats.md documents {field}"
        );
    }
}

#[test]
fn every_finding_code_is_documented() {
    // The list comes from the enum itself, so a new code cannot be missed.
    let readme = include_str!("../docs/verdicts.md");
    let table = &readme[readme
        .find("## Findings")
        .expect("docs/verdicts.md has a Findings section")..];
    let mut count = 0;
    for code in mitmwatch_core::model::FindingCode::iter() {
        // The JSON name and the text name are one.
        assert_eq!(
            serde_json::to_value(code).unwrap(),
            serde_json::Value::String(code.as_str().into())
        );
        assert!(
            table.contains(&format!("| `{}` |", code.as_str())),
            "docs/verdicts.md's findings table must have a row for {}",
            code.as_str()
        );
        count += 1;
    }
    assert!(count >= 22, "{count}");
}
