//! Evidence bundles: a directory per interceptor with a `REPORT.md` for a
//! browser vendor's bug tracker, `evidence.json`, the redacted
//! observations and every certificate as PEM, plus a `manifest.json` with
//! the SHA-256 of every file. Building a bundle is pure: it returns the
//! files' paths and bytes, and the caller writes them.
//!
//! Paths are made only of fixed names and `filename` slugs, so nothing
//! from a certificate can steer a file outside the bundle.

pub(crate) mod filename;
pub(crate) mod gather;
pub(crate) mod markdown;
pub(crate) mod report_md;

use mitmwatch_core::analysis_data::catalog::Catalog;
use mitmwatch_core::encoding::sha256_hex;
use mitmwatch_core::model::{
    Assessment, Interceptor, Manifest, ManifestEntry, ManifestFile, Observation, Verdict,
    EVIDENCE_SCHEMA,
};
use time::OffsetDateTime;

/// What the user chose for the bundle.
#[derive(Clone, Debug)]
pub struct BundleOptions {
    /// Written into every record, e.g. `mitmwatch 0.1.0`.
    pub tool: String,
    /// When the bundle is made.
    pub generated_at: OffsetDateTime,
    /// The user's note about where and how the observations were made.
    pub vantage_note: Option<String>,
    /// Keep addresses, routes, failure texts, trust-store names and import
    /// references (they can identify the user; left out by default).
    pub include_addresses: bool,
    /// The analysis data the verdicts rest on, for REPORT.md's "Data used".
    pub data_used: Option<mitmwatch_core::model::DataUsed>,
    /// The validation time (`--at`) as given, or the instant `now` was.
    pub validated_at: Option<String>,
}

/// One file of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleFile {
    /// Path relative to the bundle directory, `/`-separated.
    pub path: String,
    /// The file's bytes, written as they are.
    pub bytes: Vec<u8>,
}

/// A whole bundle; `files` ends with `manifest.json`. Empty when nothing
/// was intercepted.
#[derive(Clone, Debug, Default)]
pub struct Bundle {
    /// Every file, the manifest last.
    pub files: Vec<BundleFile>,
    /// The interceptors, one directory each.
    pub interceptors: Vec<ManifestEntry>,
}

/// Intercepted observations grouped by interceptor id and attribution, in
/// input order: chains that carry a catalogued key and chains that only
/// carry its name are two interceptors (the second may be an imitation).
pub(crate) fn group<'a>(
    observations: &'a [Observation],
    assessments: &'a [Assessment],
) -> Vec<(Interceptor, Vec<(&'a Observation, &'a Assessment)>)> {
    let mut groups: Vec<(Interceptor, Vec<(&Observation, &Assessment)>)> = Vec::new();
    for (obs, a) in observations.iter().zip(assessments) {
        let Some(who) = a
            .interceptor
            .as_ref()
            .filter(|_| a.verdict == Verdict::Intercepted)
        else {
            continue;
        };
        match groups
            .iter_mut()
            .find(|(i, _)| i.id == who.id && i.matched_by == who.matched_by)
        {
            Some((_, members)) => members.push((obs, a)),
            None => groups.push((who.clone(), vec![(obs, a)])),
        }
    }
    groups
}

fn json_pretty<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Builds the bundle for `observations` and their `assessments` (same
/// order, as `Analyzer::assess_scan` returns them).
pub fn build(
    observations: &[Observation],
    assessments: &[Assessment],
    catalog: &Catalog,
    options: &BundleOptions,
) -> Bundle {
    let mut bundle = Bundle::default();
    let mut taken: Vec<String> = Vec::new();
    for (interceptor, members) in group(observations, assessments) {
        let dir = filename::interceptor_dir(&interceptor.id, &taken);
        taken.push(dir.clone());
        let gathered = gather::gather(&interceptor, &members, catalog, options);
        let mut add = |name: &str, bytes: Vec<u8>| {
            bundle.files.push(BundleFile {
                path: format!("{dir}/{name}"),
                bytes,
            })
        };
        add(
            "REPORT.md",
            report_md::render(&gathered.evidence).into_bytes(),
        );
        add("evidence.json", json_pretty(&gathered.evidence));
        let mut lines = Vec::new();
        for obs in &gathered.observations {
            if let Ok(mut line) = serde_json::to_vec(obs) {
                line.push(b'\n');
                lines.extend(line);
            }
        }
        add("observations.jsonl", lines);
        for (path, pem) in gathered.pems {
            add(&path, pem.into_bytes());
        }
        bundle.interceptors.push(ManifestEntry {
            id: interceptor.id.clone(),
            label: interceptor.label.clone(),
            dir,
        });
    }
    if bundle.interceptors.is_empty() {
        return bundle;
    }
    let manifest = Manifest {
        record_type: "evidence-manifest".into(),
        schema: EVIDENCE_SCHEMA,
        tool: options.tool.clone(),
        generated_at: options.generated_at,
        interceptors: bundle.interceptors.clone(),
        files: bundle
            .files
            .iter()
            .map(|f| ManifestFile {
                path: f.path.clone(),
                sha256: sha256_hex(&f.bytes),
                bytes: f.bytes.len(),
            })
            .collect(),
    };
    bundle.files.push(BundleFile {
        path: "manifest.json".into(),
        bytes: json_pretty(&manifest),
    });
    bundle
}
