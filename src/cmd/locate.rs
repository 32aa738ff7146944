//! `mitmwatch locate HOST`: TTL-limited ClientHellos (CenTrace's method)
//! to find the hop at which a certificate first comes back.

use super::exit;
use crate::cli::{LocateArgs, LocateFormat, TrustArgs};
use anyhow::{bail, Result};
use mitmwatch_collect::locate::{locate, LocateOptions};
use mitmwatch_collect::ProbeTls;
use mitmwatch_report::locate_text;
use std::io::Write;
use std::time::Duration;

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 600.0) {
        bail!("{flag} must be between 0 and 600 seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

/// Runs `locate` and prints the record; exit 0 when a certificate came
/// back at some hop, 3 when none did.
pub async fn run(args: LocateArgs) -> Result<i32> {
    if args.max_ttl == 0 {
        bail!("--max-ttl must be between 1 and 255, not 0");
    }
    let store = super::flags_setup::trust_store(&TrustArgs {
        roots: args.roots.clone(),
        extra_roots: Vec::new(),
        system_roots: false,
    })?;
    let options = LocateOptions {
        host: args.host.clone(),
        port: args.port,
        address: args.address,
        max_ttl: args.max_ttl,
        wait: seconds(args.wait, "--wait")?,
        timeout: seconds(args.timeout, "--timeout")?,
        send_sni: !args.no_sni,
    };
    let record = locate(&ProbeTls::new(&store), &options).await?;
    let text = match args.format {
        LocateFormat::Json => format!("{}\n", serde_json::to_string(&record)?),
        LocateFormat::Text => locate_text::render(&record),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(if record.answer_hop.is_some() {
        exit::OK
    } else {
        exit::INCONCLUSIVE
    })
}
