//! The analyzer benchmark's first baseline: a bare loop doing only what any
//! analyzer of the corpus must do before it can look at a chain. It reads
//! the JSON Lines file, decodes each line into an [`Observation`] with
//! serde, decodes the base64 of every certificate of the chain to DER, and
//! parses the leaf's DER with x509-parser (every leaf is new, so no analyzer
//! can skip that). The certificates above the leaf repeat across a scan, and
//! mitmwatch remembers their parsed facts, so they are decoded but not
//! parsed here: the floor stays the least work, not a generous one.
//!
//! No mitmwatch command runs, nothing is judged or written. The count of
//! observations decoded is printed, with the count that failed to decode;
//! the program fails if any did, so a broken corpus cannot pass as a fast
//! one.
//!
//! Usage: decode-floor CORPUS.jsonl

use mitmwatch_core::encoding::base64_decode;
use mitmwatch_core::model::Observation;
use std::io::BufRead;
use std::time::Instant;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Decodes one line; returns the number of bytes of DER it held, so the
/// work cannot be optimised away.
fn decode(line: &str) -> Result<usize, String> {
    let obs: Observation = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let mut bytes = 0;
    for (i, cert) in obs.chain.iter().enumerate() {
        let der = base64_decode(&cert.der).map_err(|e| format!("certificate #{i}: {e}"))?;
        if i == 0 {
            let (_, leaf) =
                X509Certificate::from_der(&der).map_err(|e| format!("certificate #{i}: {e}"))?;
            bytes += leaf.tbs_certificate.as_ref().len();
        }
        bytes += der.len();
    }
    Ok(bytes)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: decode-floor CORPUS.jsonl")?;
    let start = Instant::now();
    let reader = std::io::BufReader::new(std::fs::File::open(&path)?);
    let (mut decoded, mut failed, mut bytes) = (0usize, 0usize, 0usize);
    let mut first_error = None;
    for (n, line) in reader.lines().enumerate() {
        match decode(&line?) {
            Ok(b) => {
                decoded += 1;
                bytes += b;
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{path}:{}: {e}", n + 1));
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{decoded} decoded, {failed} failed, {bytes} DER bytes in {secs:.3} s = {:.0}/s",
        decoded as f64 / secs
    );
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
