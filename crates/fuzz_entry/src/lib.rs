//! Entry points that take untrusted bytes end to end, shared by the
//! cargo-fuzz targets in `fuzz/` and by the unit test in
//! its `regressions` module, which replays every input in
//! `fixtures/regressions/`. Each one must return normally for any input;
//! the properties it checks panic when broken. A crate of its own
//! (`mitmwatch-fuzz-entry`, not published) so that it can reach the
//! collector and the renderers while the core depends on neither, and so
//! that these entry points stay out of the library crates' surface.
#![forbid(unsafe_code)]

use mitmwatch_core::analysis_data::defaults::AnalysisData;
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::import::pem_dir::file_observation;
use mitmwatch_core::model::{Assessment, Observation};
use mitmwatch_core::observation_file::ObservationReader;
use mitmwatch_core::target_spec::normalise_host;
use mitmwatch_core::target_spec::DomainListReader;
use mitmwatch_report::{csv, html, text};
use std::sync::OnceLock;
use time::macros::datetime;
use time::OffsetDateTime;

#[cfg(test)]
mod regressions;

/// A fixed validation time, so that a replay judges as the fuzzer did.
const AT: OffsetDateTime = datetime!(2026-06-01 0:00 UTC);

fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER
        .get_or_init(|| Analyzer::new(AnalysisData::builtin().expect("the built-in data loads")))
}

/// Terminal text must hold no control character but newlines.
fn assert_terminal_safe(shown: &str) {
    if let Some(c) = shown.chars().find(|c| c.is_control() && *c != '\n') {
        panic!("raw control character {c:?} in terminal text: {shown:?}");
    }
}

/// Renders assessments every way a user can see them, checking that
/// terminal text is escaped.
fn render(observations: &[Observation], assessments: &[Assessment]) {
    for (obs, a) in observations.iter().zip(assessments) {
        assert_terminal_safe(&text::assessment_line(a));
        assert_terminal_safe(&text::assessment_detail(a));
        assert_terminal_safe(&text::chain_listing(obs));
        let _ = csv::row(a, &mitmwatch_core::judge::facts::ServedCas::of(obs));
        serde_json::to_string(a).expect("an assessment serialises");
    }
    let (_, summary) = analyzer().assess_scan(observations, ValidationTime::At(AT));
    assert_terminal_safe(&text::summary_text(&summary));
    let page = html::render(observations, assessments, &summary, "now");
    // The page's own script only.
    assert_eq!(
        page.matches("<script").count(),
        1,
        "markup from the input in HTML"
    );
}

/// An observation file: every line read as `analyze` reads it, every
/// observation judged (on its own and as a scan) and rendered.
pub fn observation_file(data: &[u8]) {
    let observations: Vec<Observation> = ObservationReader::new(data, "fuzz")
        .filter_map(Result::ok)
        .collect();
    let assessments: Vec<Assessment> = observations
        .iter()
        .map(|o| analyzer().assess(o, ValidationTime::At(AT)))
        .collect();
    render(&observations, &assessments);
}

/// Splits fuzz input into certificates: each is a 16-bit big-endian length
/// and that many bytes; a short tail is the last certificate. At most
/// [`mitmwatch_core::model::MAX_CHAIN_CERTS`], as the collector records.
pub fn split_chain(mut data: &[u8]) -> Vec<&[u8]> {
    let mut certs = Vec::new();
    while !data.is_empty() && certs.len() < mitmwatch_core::model::MAX_CHAIN_CERTS {
        if data.len() < 2 {
            certs.push(data);
            break;
        }
        let len = u16::from_be_bytes([data[0], data[1]]) as usize;
        let end = (2 + len).min(data.len());
        certs.push(&data[2..end]);
        data = &data[end..];
    }
    certs
}

/// The inverse of [`split_chain`], for building seed inputs.
pub fn join_chain(certs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in certs {
        out.extend_from_slice(&(c.len().min(0xffff) as u16).to_be_bytes());
        out.extend_from_slice(&c[..c.len().min(0xffff)]);
    }
    out
}

/// A served chain (DER certificates, framed as by [`split_chain`]): each
/// certificate recorded as the collector records it, the chain judged as
/// `analyze` judges it, with the observation's JSON form read back.
pub fn der_chain(data: &[u8]) {
    let obs = file_observation(&split_chain(data), "fuzz.example".into(), AT);
    let line = serde_json::to_string(&obs).expect("an observation serialises");
    let back = mitmwatch_core::observation_file::parse_line(&line);
    assert!(
        matches!(back, Ok(Some(_))),
        "a recorded observation must read back: {back:?}"
    );
    let a = analyzer().assess(&obs, ValidationTime::At(AT));
    render(&[obs], &[a]);
}

/// A domain list: every line read as `scan -i` reads it. A target that
/// comes out is normalised for good: normalising its host again changes
/// nothing.
pub fn domain_list(data: &[u8]) {
    for item in DomainListReader::new(data, "fuzz", 443).take(100_000) {
        let Ok(target) = item else { continue };
        assert!(target.port >= 1);
        assert!(target.host.is_ascii(), "{target:?}");
        assert_eq!(
            normalise_host(&target.host).as_deref(),
            Ok(target.host.as_str()),
            "normalising twice must be stable"
        );
        if let Some(sni) = &target.sni {
            assert!(
                rustls::pki_types::ServerName::try_from(sni.as_str()).is_ok(),
                "a target's SNI must be sendable: {sni:?}"
            );
        }
    }
}

/// An answer to an AIA caIssuers fetch (`collect::aia::parse_issuers`):
/// whatever the bytes, the result is an error or a non-empty list of
/// certificates that parse, each taken from the input.
pub fn aia_response(data: &[u8]) {
    if let Ok(certs) = mitmwatch_collect::aia::parse_issuers(data) {
        assert!(!certs.is_empty(), "Ok without a certificate");
        for der in &certs {
            assert!(
                der.len() <= data.len(),
                "a certificate longer than the input"
            );
            assert!(
                x509_parser::parse_x509_certificate(der).is_ok(),
                "an unparsable certificate returned"
            );
        }
    }
}
