//! Baselines: for each domain, the issuing CAs seen from a trusted vantage
//! (`mitmwatch baseline scan.jsonl`). A later chain whose issuer is none of
//! them is an `issuer-mismatch`. Building a baseline is pure; reading and
//! writing the file is the caller's job.

use crate::model::Observation;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// Version of the baseline format.
pub const BASELINE_SCHEMA: u32 = 1;

/// Accepted issuers for one domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// Issuer DNs of the leaves seen.
    pub issuers: BTreeSet<String>,
    /// SPKI SHA-256 (hex) of the CA certificates served above the leaf.
    pub ca_spki_sha256: BTreeSet<String>,
}

/// Domain -> accepted issuing CAs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA`].
    pub schema: u32,
    /// When the baseline was built.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Free text: where the observations came from.
    pub source: String,
    /// Per domain (the name the certificate was expected to cover).
    pub domains: BTreeMap<String, BaselineEntry>,
}

impl Baseline {
    /// An empty baseline.
    pub fn new(source: impl Into<String>, created_at: OffsetDateTime) -> Self {
        Baseline {
            schema: BASELINE_SCHEMA,
            created_at,
            source: source.into(),
            domains: BTreeMap::new(),
        }
    }

    /// Adds what `obs` saw, if its chain verified against the trust store
    /// at collection time (chains that did not are not evidence of what is
    /// normal). Returns whether it was used.
    pub fn add(&mut self, obs: &Observation) -> bool {
        let verified = obs.stock_verification.as_ref().is_some_and(|v| v.ok);
        let Some(leaf) = obs.chain.first() else {
            return false;
        };
        if !verified {
            return false;
        }
        let entry = self
            .domains
            .entry(obs.target.expected_name().to_string())
            .or_default();
        if let Some(issuer) = &leaf.issuer {
            entry.issuers.insert(issuer.clone());
        }
        for ca in obs.chain.iter().skip(1) {
            if let Some(spki) = &ca.spki_sha256 {
                entry.ca_spki_sha256.insert(spki.clone());
            }
        }
        true
    }

    /// The accepted issuers for `domain`, if the baseline has it.
    pub(crate) fn get(&self, domain: &str) -> Option<&BaselineEntry> {
        self.domains.get(domain)
    }
}
