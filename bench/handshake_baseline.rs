//! The baseline for the collector benchmark: a bare tokio-rustls handshake
//! loop (TCP connect with TCP_NODELAY, full TLS handshake with resumption
//! off, close), nothing recorded, hashed or written. `bench/run.sh` runs it against the
//! same server, with the same concurrency, in the same run as
//! `mitmwatch scan`.
//!
//! It counts what mitmwatch counts: only handshakes that completed (the
//! server's chain verified, the connection closed cleanly). Failures are
//! counted apart and never make the loop look faster: the rate printed is
//! completed handshakes per second, and the program fails when none
//! completed.
//!
//! Output: `OK ok, FAILED failed in SECS s = RATE/s`.
//!
//! Usage: handshake-baseline ADDR SNI COUNT CONCURRENCY ROOT.pem

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        return Err("usage: handshake-baseline ADDR SNI COUNT CONCURRENCY ROOT.pem".into());
    }
    let addr: std::net::SocketAddr = args[1].parse()?;
    let sni = ServerName::try_from(args[2].clone())?;
    let count: usize = args[3].parse()?;
    let concurrency: usize = args[4].parse()?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&args[5])? {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let next = Arc::new(AtomicUsize::new(0));
    let completed = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (connector, sni, next, completed, failed) = (
            connector.clone(),
            sni.clone(),
            next.clone(),
            completed.clone(),
            failed.clone(),
        );
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let ok = async {
                    let tcp = TcpStream::connect(addr).await.ok()?;
                    // As mitmwatch's collector does: without it, Nagle's
                    // algorithm holds the client's last small writes back
                    // for the server's delayed ACK, and the loop measures
                    // waiting instead of handshakes.
                    tcp.set_nodelay(true).ok()?;
                    let mut tls = connector.connect(sni.clone(), tcp).await.ok()?;
                    tls.shutdown().await.ok()
                }
                .await;
                match ok {
                    Some(()) => completed.fetch_add(1, Ordering::Relaxed),
                    None => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let (ok, failed) = (
        completed.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    );
    println!(
        "{ok} ok, {failed} failed in {secs:.2} s = {:.0}/s",
        ok as f64 / secs
    );
    if ok == 0 {
        return Err(format!("no handshake of {count} completed").into());
    }
    Ok(())
}
