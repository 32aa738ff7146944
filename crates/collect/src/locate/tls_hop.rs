//! One TLS answer at one TTL: the TCP handshake completes with the normal
//! TTL, then the socket's TTL (IPv6 hop limit) is lowered and the
//! ClientHello goes out with it. Whatever answers within the wait is at
//! most that many hops away; TCP retransmissions of the ClientHello keep
//! the lowered TTL, so nothing farther ever sees it.

use super::ttl;
use crate::tls_config::ProbeTls;
use mitmwatch_core::certinfo::cert_record;
use mitmwatch_core::model::{TlsAnswer, TlsAnswerStatus};
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Time limits of one TLS probe.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HopTimes {
    /// For the TCP handshake (normal TTL).
    pub(crate) connect: Duration,
    /// For a certificate to come back after the ClientHello.
    pub(crate) answer: Duration,
}

fn failed(error: String, started: Instant) -> TlsAnswer {
    TlsAnswer {
        status: TlsAnswerStatus::Failed,
        leaf: None,
        chain_len: 0,
        verified: None,
        error: Some(error),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// Connects to `addr`, sends the ClientHello with IP TTL `limit` (`None`:
/// the system's normal TTL) and records the certificate that comes back.
/// Never fails: errors are data in the answer.
pub(crate) async fn tls_answer(
    tls: &ProbeTls,
    addr: SocketAddr,
    name: ServerName<'static>,
    send_sni: bool,
    limit: Option<u8>,
    times: HopTimes,
) -> TlsAnswer {
    let started = Instant::now();
    let stream = match tokio::time::timeout(times.connect, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return failed(format!("TCP connect to {addr}: {e}"), started),
        Err(_) => return failed(format!("TCP connect to {addr}: timed out"), started),
    };
    // A second handle on the same socket, to put the TTL back and reset
    // the connection once the handshake attempt is over.
    let mut handle = match ttl::Handle::new(stream) {
        Ok(h) => h,
        Err(e) => return failed(format!("preparing the socket: {e}"), started),
    };
    if let Some(limit) = limit {
        if let Err(e) = handle.limit(limit) {
            return failed(format!("setting the TTL to {limit}: {e}"), started);
        }
    }
    let Some(stream) = handle.take_stream() else {
        return failed("socket handle lost".into(), started);
    };
    let sent = Instant::now();
    let (config, verifier) = tls.config_for_probe(send_sni);
    let connector = tokio_rustls::TlsConnector::from(config);
    let outcome = tokio::time::timeout(times.answer, connector.connect(name, stream)).await;
    let elapsed_ms = sent.elapsed().as_millis() as u64;
    // Whatever happened: normal TTL again, and a reset (not a FIN that the
    // lowered TTL would keep from the server), so that a server the
    // ClientHello never reached is not left waiting for it.
    handle.abort();
    let error = match &outcome {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(format!("TLS handshake: {e}")),
        Err(_) => None,
    };
    match verifier.take_record() {
        Some(record) => TlsAnswer {
            status: TlsAnswerStatus::Certificate,
            chain_len: record.sent,
            leaf: record.certs.first().map(|c| cert_record(c)),
            verified: Some(record.stock.ok),
            error: record.stock.error.or(error),
            elapsed_ms,
        },
        None => match outcome {
            Err(_) => TlsAnswer {
                status: TlsAnswerStatus::NoAnswer,
                leaf: None,
                chain_len: 0,
                verified: None,
                error: None,
                elapsed_ms,
            },
            Ok(_) => TlsAnswer {
                status: TlsAnswerStatus::Failed,
                leaf: None,
                chain_len: 0,
                verified: None,
                error: Some(error.unwrap_or_else(|| "no certificate in the handshake".into())),
                elapsed_ms,
            },
        },
    }
}
