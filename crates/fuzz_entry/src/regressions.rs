//! Replays every input in `fixtures/regressions/<target>/` through the
//! entry point its fuzz target calls, plus the fixture chains. Crashes that
//! fuzzing finds are added there; hostile inputs made by hand (deep
//! nesting, thousands of certificates, control characters, IDNs) are there
//! from the start. Each must run without a panic and within a bounded time.
//! A unit test of the fuzz-entry crate, a default member of the
//! workspace, so that it runs in a plain `cargo test`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Path of a file or folder under fixtures/.
fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path)
}

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fixture(&format!("regressions/{target}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn replay(target: &str, entry: fn(&[u8])) {
    for (path, bytes) in inputs(target) {
        let started = Instant::now();
        entry(&bytes);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{} took {:?}",
            path.display(),
            started.elapsed()
        );
    }
}

#[test]
fn observation_file_regressions() {
    replay("observation_file", super::observation_file);
}

#[test]
fn der_chain_regressions() {
    replay("der_chain", super::der_chain);
}

#[test]
fn aia_response_regressions() {
    replay("aia_response", super::aia_response);
}

#[test]
fn domain_list_regressions() {
    replay("domain_list", super::domain_list);
}

#[test]
fn fixture_chains_run_through_the_der_entry_point() {
    let dir = fixture("chains");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let pem = std::fs::read(entry.unwrap().path()).unwrap();
        let certs: Vec<Vec<u8>> =
            mitmwatch_core::analysis_data::trust_store::parse_pem_certs(&pem, "fixture")
                .unwrap()
                .iter()
                .map(|c| c.to_vec())
                .collect();
        let framed = super::join_chain(&certs);
        assert_eq!(super::split_chain(&framed).len(), certs.len());
        super::der_chain(&framed);
        n += 1;
    }
    assert!(n >= 10, "{n} fixture chains");
}
