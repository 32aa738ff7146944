//! Building what the flags describe: the trust store, the collector, the
//! proxy and the pacing options, and the SNI applied to a target.

use crate::cli::{CollectArgs, TrustArgs};
use anyhow::{bail, Context, Result};
use mitmwatch_collect::{
    Collector, ConnectTo, ProbeTls, ProxyFlags, ProxySettings, Resolve, Router, Timeouts,
};
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::model::Target;
use std::time::Duration;

/// Builds the trust store the flags ask for.
pub fn trust_store(args: &TrustArgs) -> Result<TrustStore> {
    let mut store = match &args.roots {
        Some(path) => {
            let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            TrustStore::from_pem(&pem, &path.display().to_string())?
        }
        None => TrustStore::mozilla(),
    };
    for path in &args.extra_roots {
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        store.add_pem(&pem, &path.display().to_string())?;
    }
    if args.system_roots {
        let (_, errors) = store.add_system_roots(rustls_native_certs::load_native_certs());
        for e in errors.iter().take(5) {
            eprintln!(
                "mitmwatch: warning: system roots: {}",
                mitmwatch_report::terminal::escape(e)
            );
        }
    }
    Ok(store)
}

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 3600.0) {
        bail!("{flag} must be between 0 and 3600 seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

/// Builds the collector the flags ask for.
pub fn collector(args: &CollectArgs, store: &TrustStore) -> Result<Collector> {
    let connect_to = args
        .connect_to
        .iter()
        .map(|s| ConnectTo::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let resolve = args
        .resolve
        .iter()
        .map(|s| Resolve::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let timeouts = Timeouts {
        connect: seconds(
            args.connect_timeout.unwrap_or(args.timeout),
            "--connect-timeout",
        )?,
        handshake: seconds(
            args.handshake_timeout.unwrap_or(args.timeout),
            "--handshake-timeout",
        )?,
    };
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    if let Some(sni) = &args.sni {
        mitmwatch_core::target_spec::normalise_host(sni)
            .map_err(|m| anyhow::anyhow!("--sni {sni:?}: {m}"))?;
    }
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        bail!("--rate must be a positive number of handshakes per second");
    }
    let proxy = proxy_settings(args)?;
    let collector = Collector::new(
        ProbeTls::new(store),
        Router::new(connect_to, resolve),
        timeouts,
    )
    .with_per_address_limit(args.per_address.max(1))
    .with_proxy(proxy)
    .with_starttls(args.starttls);
    Ok(match args.no_aia {
        true => collector,
        false => collector.with_aia(mitmwatch_collect::AiaLimits::default()),
    })
}

/// The proxy the flags and the environment ask for (curl's rules).
pub fn proxy_settings(args: &CollectArgs) -> Result<ProxySettings> {
    let flags = ProxyFlags {
        proxy: args.proxy.clone(),
        noproxy: args.noproxy.clone(),
        ignore_env: args.no_proxy_env,
    };
    ProxySettings::resolve(&flags, |k| std::env::var(k).ok()).map_err(anyhow::Error::new)
}

/// The pacing options the flags ask for.
pub fn scan_options(args: &CollectArgs) -> mitmwatch_collect::ScanOptions {
    mitmwatch_collect::ScanOptions {
        concurrency: args.concurrency,
        rate: args.rate,
        retries: args.retries,
        backoff: Duration::from_millis(500),
    }
}

/// Applies `--sni` / `--no-sni` to a target.
pub fn apply_sni(mut target: Target, args: &CollectArgs) -> Target {
    if args.no_sni {
        target.sni = None;
    } else if let Some(sni) = &args.sni {
        target.sni = Some(sni.to_ascii_lowercase());
    }
    target
}
