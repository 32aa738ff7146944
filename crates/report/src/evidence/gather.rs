//! Gathering one interceptor's evidence from its intercepted observations
//! and their assessments: distinct certificates, domains, times, TLS
//! parameters, findings and the fingerprints to block. Pure.

use super::filename::{cert_file, common_name};
use super::BundleOptions;
use mitmwatch_core::analysis_data::catalog::{Catalog, CatalogEntry};
use mitmwatch_core::analyze::issuers::chain_issuers;
use mitmwatch_core::certinfo::cert_record;
use mitmwatch_core::encoding::{base64_decode, pem_encode};
use mitmwatch_core::model::{
    Assessment, Attribution, BlockList, CatalogRef, CertRecord, CertRole, DomainSighting,
    EvidenceCert, FindingCode, FindingTally, Fingerprint, InterceptionEvidence, Interceptor,
    Observation, TlsSighting, VantageNote, EVIDENCE_SCHEMA,
};
use std::collections::BTreeMap;

/// One interceptor's evidence and the files that go with it.
#[derive(Debug)]
pub(crate) struct Gathered {
    /// `evidence.json`.
    pub(crate) evidence: InterceptionEvidence,
    /// PEM files: path relative to the interceptor's directory, and text.
    pub(crate) pems: Vec<(String, String)>,
    /// The observations, redacted unless `--include-addresses`.
    pub(crate) observations: Vec<Observation>,
}

/// Text put in place of a field that may identify the user.
pub(crate) const REDACTED: &str = "(redacted)";

fn role(record: &CertRecord, index: usize) -> CertRole {
    match (index, &record.subject, &record.issuer) {
        (0, _, _) => CertRole::Leaf,
        (_, Some(s), Some(i)) if s == i => CertRole::Root,
        _ => CertRole::Intermediate,
    }
}

fn new_cert(record: &CertRecord, role: CertRole) -> (EvidenceCert, Option<String>) {
    let pem = base64_decode(&record.der)
        .ok()
        .map(|der| pem_encode("CERTIFICATE", &der));
    let name = record
        .subject
        .as_deref()
        .map(|s| common_name(s).unwrap_or(s));
    let mut crtsh = vec![format!("https://crt.sh/?q={}", record.sha256)];
    if let Some(spki) = &record.spki_sha256 {
        crtsh.push(format!("https://crt.sh/?spkisha256={spki}"));
    }
    let mut certificate = record.clone();
    if pem.is_none() && certificate.parse_error.is_none() {
        certificate.parse_error = Some("the record's DER is not valid base64".into());
    }
    let cert = EvidenceCert {
        file: pem.as_ref().map(|_| {
            let hex = record.sha256.to_string();
            format!("certs/{}", cert_file(role.as_str(), &hex, name))
        }),
        role,
        sha256_base64: record.sha256.to_base64(),
        spki_sha256_base64: record.spki_sha256.map(|k| k.to_base64()),
        certificate,
        crtsh,
        domains: Vec::new(),
        observations: 0,
    };
    (cert, pem)
}

/// The record recomputed from its DER (fingerprints and names in a file
/// may have been edited); as it is when the DER is not valid base64.
fn canonical(record: &CertRecord) -> CertRecord {
    base64_decode(&record.der)
        .map(|der| cert_record(&der))
        .unwrap_or_else(|_| record.clone())
}

/// Removes what may identify the user: addresses, routes, failure texts
/// (they can hold addresses), trust-store descriptions (they can hold
/// paths) and import references (file names, report ids).
pub(crate) fn redact(obs: &Observation) -> Observation {
    let mut obs = obs.clone();
    obs.address = None;
    obs.route = None;
    if obs.failure.is_some() {
        obs.failure = Some(REDACTED.into());
    }
    if let Some(v) = &mut obs.stock_verification {
        v.trust_store = REDACTED.into();
    }
    if let Some(i) = &mut obs.imported {
        i.reference = REDACTED.into();
    }
    obs
}

/// The catalog entry as the evidence cites it: by key, with its keys and
/// every source; by name only, with neither its keys nor the copies of its
/// certificate among the sources.
fn catalog_ref(entry: &CatalogEntry, matched_by: Attribution) -> CatalogRef {
    let by_key = matched_by == Attribution::Key;
    CatalogRef {
        id: entry.id.clone(),
        label: entry.label.clone(),
        operator: entry.operator.clone(),
        category: entry.category,
        matched_by,
        spki_sha256_base64: if by_key {
            entry
                .spki_sha256
                .iter()
                .map(Fingerprint::to_base64)
                .collect()
        } else {
            Vec::new()
        },
        sources: if by_key {
            entry.sources.clone()
        } else {
            entry.name_sources()
        },
    }
}

/// The data used without the names of the reporter's files (a path can
/// say who or where the reporter is): built-in data keeps its name.
fn redact_data(d: &mitmwatch_core::model::DataUsed) -> mitmwatch_core::model::DataUsed {
    let redact = |text: &str| -> String {
        let (name, rest) = text
            .split_once(" (")
            .map_or((text, ""), |(n, _)| (n, &text[n.len()..]));
        let name = name.split(" + ").map(|part| {
            if part.starts_with("built-in")
                || part.starts_with("webpki-roots")
                || !part.contains(['/', '\\'])
                    && !part.ends_with(".pem")
                    && !part.ends_with(".json")
            {
                part.to_string()
            } else {
                "(a file of the reporter's; name redacted)".to_string()
            }
        });
        format!("{}{rest}", name.collect::<Vec<_>>().join(" + "))
    };
    mitmwatch_core::model::DataUsed {
        ct_log_list: redact(&d.ct_log_list),
        pins: redact(&d.pins),
        catalog: redact(&d.catalog),
        trust_store: redact(&d.trust_store),
    }
}

/// Gathers the evidence of one interceptor. `group` holds its intercepted
/// observations with their assessments, in input order (at least one).
pub(crate) fn gather(
    interceptor: &Interceptor,
    group: &[(&Observation, &Assessment)],
    catalog: &Catalog,
    options: &BundleOptions,
) -> Gathered {
    let mut certs: Vec<EvidenceCert> = Vec::new();
    let mut pems: Vec<(String, String)> = Vec::new();
    let mut domains: BTreeMap<String, DomainSighting> = BTreeMap::new();
    let mut tls: Vec<TlsSighting> = Vec::new();
    let mut findings: Vec<FindingTally> = Vec::new();
    let mut unseen_issuers: Vec<String> = Vec::new();
    let mut vantage = VantageNote {
        note: options.vantage_note.clone(),
        ..VantageNote::default()
    };
    let push_unique = |list: &mut Vec<String>, item: &str| {
        if !list.iter().any(|x| x == item) {
            list.push(item.to_string());
        }
    };
    for (obs, assessment) in group {
        let domain = obs.target.expected_name().to_string();
        let at = obs.started_at;
        let sighting = domains.entry(domain.clone()).or_insert(DomainSighting {
            domain: domain.clone(),
            observations: 0,
            first_seen: at,
            last_seen: at,
        });
        sighting.observations += 1;
        sighting.first_seen = sighting.first_seen.min(at);
        sighting.last_seen = sighting.last_seen.max(at);

        for (index, record) in obs.chain.iter().enumerate() {
            let record = &canonical(record);
            let i = match certs
                .iter()
                .position(|c| c.certificate.sha256 == record.sha256)
            {
                Some(i) => i,
                None => {
                    let (mut cert, pem) = new_cert(record, role(record, index));
                    if let (Some(file), Some(pem)) = (&mut cert.file, pem) {
                        while pems.iter().any(|(f, _)| f == file) {
                            file.insert(file.len() - ".pem".len(), '_');
                        }
                        pems.push((file.clone(), pem));
                    }
                    certs.push(cert);
                    certs.len() - 1
                }
            };
            certs[i].observations += 1;
            push_unique(&mut certs[i].domains, &domain);
        }
        if let Some(issuers) = chain_issuers(&obs.chain) {
            // CAs the chain names (the leaf's issuer, the root) but whose
            // certificate was not sent or not recorded.
            for ca in [issuers.issuer, issuers.root] {
                if ca.spki_sha256.is_none() {
                    let key = ca
                        .key_id
                        .map(|k| format!(" (key id {k})"))
                        .unwrap_or_else(|| " (no key identifier)".into());
                    push_unique(&mut unseen_issuers, &format!("{}{key}", ca.name));
                }
            }
        }

        let (version, cipher_suite, kx_group, alpn) = match &obs.tls {
            Some(t) => (
                t.version.clone(),
                Some(t.cipher_suite.clone()),
                t.kx_group.clone(),
                t.alpn.clone(),
            ),
            None => ("not recorded".to_string(), None, None, None),
        };
        match tls.iter_mut().find(|t| {
            t.version == version
                && t.cipher_suite == cipher_suite
                && t.kx_group == kx_group
                && t.alpn == alpn
        }) {
            Some(t) => t.observations += 1,
            None => tls.push(TlsSighting {
                version,
                cipher_suite,
                kx_group,
                alpn,
                observations: 1,
            }),
        }

        let mut codes_here: Vec<FindingCode> = Vec::new();
        for f in &assessment.findings {
            if codes_here.contains(&f.code) {
                continue;
            }
            codes_here.push(f.code);
            match findings.iter_mut().find(|t| t.code == f.code.as_str()) {
                Some(t) => {
                    t.observations += 1;
                    // Titles that name their target say nothing of all.
                    if t.title != f.title {
                        t.title = f.code.summary().to_string();
                    }
                }
                None => findings.push(FindingTally {
                    code: f.code.as_str().to_string(),
                    severity: f.severity,
                    title: f.title.clone(),
                    observations: 1,
                }),
            }
        }

        if options.include_addresses {
            if let Some(a) = &obs.address {
                push_unique(&mut vantage.addresses, a);
            }
            if let Some(r) = &obs.route {
                push_unique(&mut vantage.routes, r);
            }
            if let Some(i) = &obs.imported {
                push_unique(&mut vantage.references, &i.reference);
            }
        }
    }
    certs.sort_by_key(|c| match c.role {
        CertRole::Root => 0,
        CertRole::Intermediate => 1,
        CertRole::Leaf => 2,
    });
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.observations.cmp(&a.observations))
    });
    tls.sort_by_key(|t| std::cmp::Reverse(t.observations));

    let cas = certs.iter().filter(|c| c.role != CertRole::Leaf);
    let block = BlockList {
        ca_spki_sha256_base64: cas
            .clone()
            .filter_map(|c| c.spki_sha256_base64.clone())
            .fold(Vec::new(), |mut v, s| {
                if !v.contains(&s) {
                    v.push(s);
                }
                v
            }),
        ca_sha256: cas.map(|c| c.certificate.sha256).collect(),
        leaf_sha256: certs
            .iter()
            .filter(|c| c.role == CertRole::Leaf)
            .map(|c| c.certificate.sha256)
            .collect(),
        unseen_issuers,
    };
    let first_seen = group.iter().map(|(o, _)| o.started_at).min();
    let last_seen = group.iter().map(|(o, _)| o.started_at).max();
    let evidence = InterceptionEvidence {
        record_type: "interception-evidence".into(),
        schema: EVIDENCE_SCHEMA,
        tool: options.tool.clone(),
        generated_at: options.generated_at,
        interceptor: interceptor.clone(),
        catalog: catalog
            .get(&interceptor.id)
            .map(|e| catalog_ref(e, interceptor.matched_by)),
        observations: group.len(),
        leaf_only_observations: group
            .iter()
            .filter(|(_, a)| a.has(FindingCode::LeafOnlyChain))
            .count(),
        no_sni_observations: group.iter().filter(|(o, _)| o.target.sni.is_none()).count(),
        first_seen: first_seen.unwrap_or(options.generated_at),
        last_seen: last_seen.unwrap_or(options.generated_at),
        domains: domains.into_values().collect(),
        tls,
        findings,
        certificates: certs,
        block,
        data_used: options
            .data_used
            .as_ref()
            .map(|d| match options.include_addresses {
                true => d.clone(),
                false => redact_data(d),
            }),
        validated_at: options.validated_at.clone(),
        loopback_only: group.iter().all(|(o, _)| {
            o.address
                .as_deref()
                .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
                .is_some_and(|a| a.ip().is_loopback())
        }),
        vantage: (options.vantage_note.is_some() || options.include_addresses).then_some(vantage),
    };
    let observations = group
        .iter()
        .map(|(o, _)| {
            if options.include_addresses {
                (*o).clone()
            } else {
                redact(o)
            }
        })
        .collect();
    Gathered {
        evidence,
        pems,
        observations,
    }
}
