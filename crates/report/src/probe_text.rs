//! Text for control-SNI probes (`mitmwatch probe`). Names and DNs come
//! from the network and go through [`escape`].

use super::terminal::escape;
use super::text::wrap;
use mitmwatch_core::model::{CaBrief, Observation, SniOutcome, SniProbe};
use std::collections::BTreeMap;

/// Upper-case label of an outcome.
pub fn outcome_label(o: SniOutcome) -> &'static str {
    match o {
        SniOutcome::SniTriggered => "SNI-TRIGGERED INTERCEPTION",
        SniOutcome::IssuerDiffers => "different CA, chain verifies (not interception by itself)",
        SniOutcome::SameIssuer => "same CA: no interception triggered by this name",
        SniOutcome::TargetFailed => "TARGET BLOCKED: no chain for the target name",
        SniOutcome::ControlFailed => "inconclusive: the control name got no chain",
        SniOutcome::BothFailed => "inconclusive: no chain for either name",
    }
}

/// A CA in one line: name and the start of its key identifier or key.
pub(crate) fn ca_brief(ca: &CaBrief) -> String {
    let key = match (&ca.key_id, &ca.spki_sha256) {
        (Some(k), _) => format!(" (key id {})", short(k)),
        (None, Some(s)) => format!(" (SPKI {})", short(&s.to_string())),
        (None, None) => String::new(),
    };
    format!("'{}'{key}", escape(&ca.name))
}

fn short(hex: &str) -> String {
    match hex.get(..16) {
        Some(head) if hex.len() > 16 => format!("{head}…"),
        _ => hex.to_string(),
    }
}

fn side(label: &str, obs: &Observation, issuer: Option<&CaBrief>) -> String {
    let name = escape(obs.target.expected_name());
    match issuer {
        Some(ca) => {
            let verified = match obs.stock_verification.as_ref() {
                Some(v) if v.ok => "chain verifies".to_string(),
                Some(v) => format!(
                    "chain does not verify ({})",
                    escape(v.error.as_deref().unwrap_or("no reason given"))
                ),
                None => "not verified".to_string(),
            };
            format!(
                "  {label:<8} {name:<28} issued by {}; {verified}\n",
                ca_brief(ca)
            )
        }
        None => format!(
            "  {label:<8} {name:<28} no chain: {} ({})\n",
            obs.status,
            escape(obs.failure.as_deref().unwrap_or("no certificate received"))
        ),
    }
}

/// One probe: where, both sides, the outcome and why.
pub fn probe(p: &SniProbe) -> String {
    let mut out = format!(
        "{}:{}{}\n",
        escape(&p.host),
        p.port,
        p.address
            .as_deref()
            .map(|a| format!(" at {}", escape(a)))
            .unwrap_or_default()
    );
    let c = &p.comparison;
    out.push_str(&side("control", &p.control, c.control_issuer.as_ref()));
    out.push_str(&side("target", &p.target, c.target_issuer.as_ref()));
    out.push_str(&format!("  => {}\n", outcome_label(c.outcome)));
    out.push_str(&wrap(&escape(&c.explanation), 5, 96));
    out
}

/// Counts per outcome and what they mean together.
pub fn summary(probes: &[SniProbe]) -> String {
    let mut counts: BTreeMap<SniOutcome, usize> = BTreeMap::new();
    for p in probes {
        *counts.entry(p.comparison.outcome).or_insert(0) += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(o, n)| format!("{} {n}", o.as_str()))
        .collect();
    let mut out = format!(
        "{} probed: {}\n",
        mitmwatch_core::plural::count(probes.len(), "host", "hosts"),
        parts.join(", ")
    );
    let triggered: Vec<String> = probes
        .iter()
        .filter(|p| p.comparison.outcome == SniOutcome::SniTriggered)
        .map(|p| escape(&p.target_sni))
        .collect();
    let conclusion = if triggered.is_empty() {
        "No name was answered by another CA than its control: no SNI-triggered interception was seen \
         on these paths."
            .to_string()
    } else {
        format!(
            "Interception triggered by the name (SNI) on the path for: {}. The same addresses answer \
             the control name with the usual CA, so this is a device in the network choosing which \
             connections to re-sign, not the servers.",
            triggered.join(", ")
        )
    };
    out.push_str(&wrap(&conclusion, 0, 96));
    out
}
