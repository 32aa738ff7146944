//! `mitmwatch inspect`: judge certificate chains from files.

use super::analysis::{analyzer, exit_code, validation_time};
use crate::cli::{Format, InspectArgs};
use anyhow::{bail, Result};
use mitmwatch::analyze::ValidationTime;
use mitmwatch::certinfo::cert_record;
use mitmwatch::collect::probe::tool_name;
use mitmwatch::model::{Observation, Status, Target, OBSERVATION_SCHEMA};
use mitmwatch::report::{terminal::escape, text};
use mitmwatch::trust_store::pem_certificate_blocks;
use std::io::{Read, Write};
use std::path::Path;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Largest chain file `inspect` reads: far above any real chain, and a
/// bound on memory for whatever file it is pointed at.
const MAX_CHAIN_FILE_BYTES: usize = 16 << 20;

/// Reads the certificates of one chain file (PEM with one or more
/// certificates, leaf first, or a single DER certificate).
pub fn read_chain(path: &Path) -> Result<Vec<Vec<u8>>> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    let limit = MAX_CHAIN_FILE_BYTES as u64 + 1;
    if path.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    }
    if bytes.len() > MAX_CHAIN_FILE_BYTES {
        bail!(
            "{name}: larger than {} MiB, not a certificate chain",
            MAX_CHAIN_FILE_BYTES >> 20
        );
    }
    if bytes.is_empty() {
        bail!("{name}: the file is empty");
    }
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        let mut certs = Vec::new();
        for (line, item) in pem_certificate_blocks(&bytes) {
            match item {
                Ok(c) => certs.push(c.to_vec()),
                Err(e) => bail!("{name}:{line}: the PEM block is not readable: {e}"),
            }
        }
        if certs.is_empty() {
            bail!("{name}: no CERTIFICATE block in the PEM text");
        }
        Ok(certs)
    } else if bytes[0] == 0x30 {
        Ok(vec![bytes])
    } else {
        bail!("{name}: neither PEM nor DER (DER starts with byte 0x30)")
    }
}

/// Host shown for a chain whose leaf names no host (a root, say).
const UNNAMED: &str = "(unnamed)";

fn default_host(leaf: &[u8]) -> String {
    let Ok((_, x)) = X509Certificate::from_der(leaf) else {
        return UNNAMED.into();
    };
    if let Ok(Some(san)) = x.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                return d.trim_start_matches("*.").to_ascii_lowercase();
            }
        }
    }
    let cn = x
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .and_then(|s| mitmwatch::collect::targets::normalise_host(s).ok());
    cn.unwrap_or_else(|| UNNAMED.into())
}

/// Runs the inspection; returns the exit code.
pub fn run(args: InspectArgs) -> Result<i32> {
    let when = validation_time(&args.analysis.at)?;
    let analyzer = analyzer(&args.analysis)?;
    let now = time::OffsetDateTime::now_utc();
    let observed_at = match when {
        ValidationTime::At(t) => t,
        ValidationTime::Observed => now,
    };
    let mut observations = Vec::new();
    let mut failed = 0;
    for path in &args.files {
        match read_chain(path) {
            Ok(ders) => {
                let host = args.host.clone().unwrap_or_else(|| default_host(&ders[0]));
                observations.push(Observation {
                    schema: OBSERVATION_SCHEMA,
                    tool: tool_name(),
                    target: Target::new(host, 443),
                    address: None,
                    route: Some(format!("file {}", path.display())),
                    started_at: observed_at,
                    duration_ms: 0.0,
                    status: Status::Ok,
                    failure: None,
                    tls: None,
                    chain: ders.iter().map(|d| cert_record(d)).collect(),
                    stock_verification: None,
                });
            }
            Err(e) => {
                failed += 1;
                eprintln!("mitmwatch: {}", escape(&format!("{e:#}")));
            }
        }
    }
    if observations.is_empty() {
        bail!("no chain could be read");
    }
    let (assessments, summary) = analyzer.assess_files(&observations, when);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            for a in &assessments {
                mitmwatch::report::json::write_line(&mut out, a)?;
            }
            mitmwatch::report::json::write_line(&mut out, &summary)?;
        }
        Format::Text => {
            for (obs, a) in observations.iter().zip(&assessments) {
                if let Some(route) = &obs.route {
                    writeln!(out, "== {}", escape(route))?;
                }
                write!(out, "{}", text::chain_listing(obs))?;
                writeln!(out, "{}", text::assessment_detail(a))?;
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("mitmwatch: {failed} file(s) could not be read");
    }
    Ok(exit_code(&summary, 1))
}
