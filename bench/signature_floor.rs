//! The analyzer benchmark's second baseline: how many leaf signatures per
//! second ring can check on this core, with nothing else to do.
//!
//! Every observation in the corpus has its own leaf, so any analyzer that
//! proves a chain (rather than trusting names) must check one issuer
//! signature per observation. This program reads the corpus, sets aside each
//! leaf's to-be-signed bytes, signature and issuer key (untimed), then times
//! only `ring::signature::UnparsedPublicKey::verify` over all of them: the
//! ceiling for `mitmwatch analyze` on the same corpus and core.
//!
//! The machine this runs on is shared, so the wall-clock rate depends on
//! what else runs on the core. The CPU time the timed loop took (from
//! `/proc/thread-self/stat`, in clock ticks of 10 ms) is printed as well.
//!
//! Output: `RATE verifications/s (GOOD of N good, US us each; CPU_US us CPU each)`.
//!
//! Usage: signature-floor CORPUS.jsonl

use mitmwatch_core::encoding::base64_decode;
use mitmwatch_core::model::Observation;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use std::io::BufRead;
use std::time::Instant;
use x509_parser::prelude::{FromDer, X509Certificate};

struct SignedLeaf {
    tbs: Vec<u8>,
    signature: Vec<u8>,
    issuer_key: Vec<u8>,
}

fn signed_leaf(obs: &Observation) -> Result<SignedLeaf, String> {
    let [leaf, issuer, ..] = obs.chain.as_slice() else {
        return Err(format!("{}: chain shorter than two", obs.target.host));
    };
    let leaf_der = base64_decode(&leaf.der).map_err(|e| e.to_string())?;
    let issuer_der = base64_decode(&issuer.der).map_err(|e| e.to_string())?;
    let (_, leaf) = X509Certificate::from_der(&leaf_der).map_err(|e| e.to_string())?;
    let (_, issuer) = X509Certificate::from_der(&issuer_der).map_err(|e| e.to_string())?;
    Ok(SignedLeaf {
        tbs: leaf.tbs_certificate.as_ref().to_vec(),
        signature: leaf.signature_value.data.to_vec(),
        issuer_key: issuer.public_key().subject_public_key.data.to_vec(),
    })
}

/// CPU time (user + system) of the calling thread so far, in seconds, from
/// `/proc/thread-self/stat` (Linux); `None` where that cannot be read.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // sysconf(_SC_CLK_TCK) is 100 on every Linux architecture Rust supports.
    Some(ticks as f64 / 100.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: signature-floor CORPUS.jsonl")?;
    let reader = std::io::BufReader::new(std::fs::File::open(&path)?);
    let mut leaves = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let obs: Observation =
            serde_json::from_str(&line?).map_err(|e| format!("{path}:{}: {e}", n + 1))?;
        leaves.push(signed_leaf(&obs).map_err(|e| format!("{path}:{}: {e}", n + 1))?);
    }
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let mut good = 0usize;
    for leaf in &leaves {
        let key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &leaf.issuer_key);
        if key.verify(&leaf.tbs, &leaf.signature).is_ok() {
            good += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) => format!("{:.1}", (b - a) * 1e6 / leaves.len() as f64),
        _ => "unknown".into(),
    };
    println!(
        "{:.0} verifications/s ({good} of {} good, {:.1} us each; {cpu} us CPU each)",
        leaves.len() as f64 / secs,
        leaves.len(),
        secs * 1e6 / leaves.len() as f64
    );
    Ok(())
}
