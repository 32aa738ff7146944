//! Chain completion inputs: the certificates, beyond those the server sent,
//! that chain building may use for one observation. They come from the
//! observation's AIA fetches (`fetched_issuers`, made at scan time) and
//! from the [`IntermediatePool`] (shipped set, `--intermediates`). Only
//! pool certificates named as the issuer of a served certificate (or of
//! another picked one) are picked, so the list stays short.

use super::chain::CertFacts;
use crate::analysis_data::intermediates::IntermediatePool;
use crate::model::{FetchOutcome, Fingerprint, Observation};

/// Fetched certificates offered per observation.
const MAX_FETCHED: usize = 8;
/// Pool certificates offered per observation.
const MAX_POOL: usize = 8;
/// Levels of pool lookups above the served chain.
const MAX_POOL_DEPTH: usize = 3;

/// Where a completing certificate came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Fetched at scan time from this AIA caIssuers URL.
    Fetched(String),
    /// From the intermediate pool: the shipped set or an `--intermediates` file.
    Pool(String),
}

impl Origin {
    /// How a finding names the origin.
    pub(crate) fn describe(&self) -> String {
        match self {
            Origin::Fetched(url) => format!("fetched at scan time from {url} (AIA caIssuers)"),
            Origin::Pool(source) => format!("from the {source}"),
        }
    }
}

/// A certificate chain building may use although the server did not send it.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    /// The certificate; its `index` continues the served chain's numbering.
    pub(crate) facts: CertFacts,
    /// Where it came from.
    pub(crate) origin: Origin,
}

/// The candidates for `obs`, whose served chain is `certs`.
pub(crate) fn candidates(
    obs: &Observation,
    certs: &[CertFacts],
    pool: &IntermediatePool,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let is_new = |out: &[Candidate], sha: &Fingerprint| {
        !certs.iter().any(|c| &c.sha256 == sha) && !out.iter().any(|c| &c.facts.sha256 == sha)
    };
    let fetched = obs
        .fetched_issuers
        .iter()
        .filter(|f| f.outcome == FetchOutcome::Ok)
        .flat_map(|f| f.certificates.iter().map(move |c| (f, c)));
    for (fetch, record) in fetched {
        if out.len() >= MAX_FETCHED {
            break;
        }
        let Ok(der) = crate::encoding::base64_decode(&record.der) else {
            continue;
        };
        let facts = CertFacts::from_der(certs.len() + out.len(), der);
        if facts.ok() && is_new(&out, &facts.sha256) {
            out.push(Candidate {
                facts,
                origin: Origin::Fetched(fetch.url.clone()),
            });
        }
    }
    if pool.is_empty() {
        return out;
    }
    let mut wanted: Vec<Vec<u8>> = certs
        .iter()
        .chain(out.iter().map(|c| &c.facts))
        .filter(|c| c.ok() && !c.self_issued())
        .map(|c| c.issuer_raw.clone())
        .collect();
    let mut picked = 0;
    for _ in 0..MAX_POOL_DEPTH {
        let mut next = Vec::new();
        for name in &wanted {
            for cert in pool.named(name) {
                if picked >= MAX_POOL || !is_new(&out, &cert.sha256) {
                    continue;
                }
                picked += 1;
                next.push(cert.issuer_raw.clone());
                out.push(Candidate {
                    facts: CertFacts::from_der(certs.len() + out.len(), cert.der.clone()),
                    origin: Origin::Pool(cert.source.clone()),
                });
            }
        }
        if next.is_empty() {
            break;
        }
        wanted = next;
    }
    out
}
