//! `--starttls` against small servers on 127.0.0.1, one per protocol, that
//! speak the greeting, accept the upgrade and then do TLS with a generated
//! certificate; and hostile ones that never greet, greet with megabytes,
//! refuse the upgrade or answer it with nonsense.

mod common;

use mitmwatch_collect::Collector;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::model::{Observation, StartTls, Status, Target};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the plaintext part of a test server behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Script {
    /// The protocol, correctly.
    Proper,
    /// Accepts and never says anything.
    Silent,
    /// A greeting line of 4 MB.
    HugeGreeting,
    /// Greets, then refuses the upgrade.
    Refuse,
}

/// Reads one line (bounded), without its end.
async fn line<S: AsyncRead + Unpin>(s: &mut S) -> String {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while out.len() < 4096 && s.read(&mut b).await.unwrap_or(0) == 1 && b[0] != b'\n' {
        out.push(b[0]);
    }
    String::from_utf8_lossy(&out).trim_end().to_string()
}

/// Reads up to and including `end` (bounded).
async fn until<S: AsyncRead + Unpin>(s: &mut S, end: &str) -> String {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while out.len() < 8192 && !out.ends_with(end.as_bytes()) {
        if s.read(&mut b).await.unwrap_or(0) == 0 {
            break;
        }
        out.push(b[0]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

const XMPP_FEATURES: &str = "<?xml version='1.0'?><stream:stream from='mail.example' id='x1' \
    version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\
    <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
    </stream:features>";

async fn send(tcp: &mut TcpStream, bytes: &[u8]) {
    let _ = tcp.write_all(bytes).await;
}

/// The plaintext exchange, server side; returns true when TLS should start.
/// What the client sent is appended to `said`.
async fn plaintext(
    tcp: &mut TcpStream,
    proto: StartTls,
    script: Script,
    said: &Mutex<Vec<String>>,
) -> bool {
    let say = |s: String| said.lock().unwrap().push(s);
    match script {
        Script::Silent => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return false;
        }
        Script::HugeGreeting => {
            let mut g = match proto {
                StartTls::Imap => b"* OK ".to_vec(),
                StartTls::Pop3 => b"+OK ".to_vec(),
                _ => b"220-".to_vec(),
            };
            g.extend(std::iter::repeat_n(b'A', 4 << 20));
            let _ = tcp.write_all(&g).await;
            return false;
        }
        _ => {}
    }
    let refuse = script == Script::Refuse;
    match proto {
        StartTls::Smtp => {
            send(tcp, b"220 mail.example ESMTP test\r\n").await;
            say(line(tcp).await);
            send(
                tcp,
                b"250-mail.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
            )
            .await;
            say(line(tcp).await);
            send(
                tcp,
                if refuse {
                    &b"454 4.7.0 TLS not available\r\n"[..]
                } else {
                    b"220 2.0.0 Ready to start TLS\r\n"
                },
            )
            .await;
        }
        StartTls::Imap => {
            send(tcp, b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n").await;
            say(line(tcp).await);
            send(
                tcp,
                if refuse {
                    &b"a1 NO STARTTLS disabled\r\n"[..]
                } else {
                    b"a1 OK Begin TLS negotiation now\r\n"
                },
            )
            .await;
        }
        StartTls::Pop3 => {
            send(tcp, b"+OK POP3 ready\r\n").await;
            say(line(tcp).await);
            send(
                tcp,
                if refuse {
                    &b"-ERR not now\r\n"[..]
                } else {
                    b"+OK Begin TLS\r\n"
                },
            )
            .await;
        }
        StartTls::Ftp => {
            send(tcp, b"220-Welcome\r\n220 FTP ready\r\n").await;
            say(line(tcp).await);
            send(
                tcp,
                if refuse {
                    &b"534 Policy denied\r\n"[..]
                } else {
                    b"234 AUTH TLS successful\r\n"
                },
            )
            .await;
        }
        StartTls::Xmpp => {
            say(until(tcp, "version='1.0'>").await);
            send(tcp, XMPP_FEATURES.as_bytes()).await;
            say(until(tcp, "/>").await);
            send(
                tcp,
                if refuse {
                    &b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"[..]
                } else {
                    b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                },
            )
            .await;
        }
        StartTls::Postgres => {
            let mut req = [0u8; 8];
            if tcp.read_exact(&mut req).await.is_err() {
                return false;
            }
            say(format!("{req:02x?}"));
            send(tcp, if refuse { &b"N"[..] } else { b"S" }).await;
        }
    }
    !refuse
}

/// A server for `proto` on 127.0.0.1; returns its address, the SHA-256 of
/// the certificate it serves after the upgrade, and what clients sent.
async fn server(proto: StartTls, script: Script) -> (SocketAddr, String, Arc<Mutex<Vec<String>>>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["mail.example".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let fingerprint = mitmwatch_core::encoding::sha256_hex(cert.der());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let said = Arc::new(Mutex::new(Vec::new()));
    let log = said.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let log = log.clone();
            tokio::spawn(async move {
                if plaintext(&mut tcp, proto, script, &log).await {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let mut buf = [0u8; 64];
                        let _ = tls.read(&mut buf).await;
                    }
                }
            });
        }
    });
    (addr, fingerprint, said)
}

fn collector(addr: SocketAddr, proto: StartTls, timeout: Duration) -> Collector {
    common::collector_to(addr, &TrustStore::mozilla(), timeout).with_starttls(Some(proto))
}

async fn probe(addr: SocketAddr, proto: StartTls, timeout: Duration) -> Observation {
    collector(addr, proto, timeout)
        .probe(&Target::new("mail.example", 25))
        .await
}

#[tokio::test]
async fn every_protocol_upgrades_and_records_the_servers_chain() {
    for proto in StartTls::ALL {
        let (addr, fingerprint, said) = server(proto, Script::Proper).await;
        let obs = probe(addr, proto, Duration::from_secs(5)).await;
        assert_eq!(obs.status, Status::Ok, "{proto:?}: {:?}", obs.failure);
        assert_eq!(obs.starttls, Some(proto));
        assert_eq!(obs.chain.len(), 1, "{proto:?}");
        assert_eq!(obs.chain[0].sha256.to_string(), fingerprint, "{proto:?}");
        let line = serde_json::to_string(&obs).unwrap();
        assert!(
            line.contains(&format!("\"starttls\":\"{}\"", proto.as_str())),
            "{line}"
        );
        let said = said.lock().unwrap().clone();
        let expected: &[&str] = match proto {
            StartTls::Smtp => &["EHLO mitmwatch.invalid", "STARTTLS"],
            StartTls::Imap => &["a1 STARTTLS"],
            StartTls::Pop3 => &["STLS"],
            StartTls::Ftp => &["AUTH TLS"],
            StartTls::Xmpp => &[
                "<?xml version='1.0'?><stream:stream to='mail.example' xmlns='jabber:client' \
                 xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
                "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
            ],
            StartTls::Postgres => &["[00, 00, 00, 08, 04, d2, 16, 2f]"],
        };
        assert_eq!(said, expected, "{proto:?}");
    }
}

#[tokio::test]
async fn hostile_servers_become_starttls_failed_records() {
    for proto in StartTls::ALL {
        let cases: &[(Script, &str)] = &[
            (Script::Silent, "did not get to TLS within"),
            (Script::HugeGreeting, "more than 64 KiB before TLS"),
            (Script::Refuse, "refused"),
        ];
        for &(script, expected) in cases {
            if proto == StartTls::Postgres && script == Script::HugeGreeting {
                continue; // the client speaks first; covered by the byte check below
            }
            if proto == StartTls::Xmpp && script == Script::HugeGreeting {
                continue; // XMPP's server answers the client's header; see below
            }
            let (addr, _, _) = server(proto, script).await;
            let started = Instant::now();
            let obs = probe(addr, proto, Duration::from_secs(1)).await;
            let failure = obs.failure.clone().unwrap_or_default();
            assert_eq!(
                obs.status,
                Status::StarttlsFailed,
                "{proto:?} {script:?}: {failure}"
            );
            assert!(
                failure.contains(expected),
                "{proto:?} {script:?}: {failure}"
            );
            assert!(obs.chain.is_empty());
            assert_eq!(obs.starttls, Some(proto));
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "{proto:?} {script:?} bounded"
            );
        }
    }
}

/// A server that answers whatever it receives with `reply`, once.
async fn answering(reply: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 512];
                let _ = tcp.read(&mut buf).await;
                let _ = tcp.write_all(&reply).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn postgres_and_xmpp_nonsense_is_bounded() {
    // Postgres: an ErrorResponse ('E') instead of S or N.
    let addr = answering(b"EFATAL unsupported".to_vec()).await;
    let obs = probe(addr, StartTls::Postgres, Duration::from_secs(1)).await;
    assert_eq!(obs.status, Status::StarttlsFailed);
    assert!(obs.failure.unwrap().contains("byte 0x45"));
    // XMPP: megabytes of stream without ever closing the features.
    let mut flood = b"<stream:stream><stream:features>".to_vec();
    flood.extend(std::iter::repeat_n(b'x', 2 << 20));
    let addr = answering(flood).await;
    let obs = probe(addr, StartTls::Xmpp, Duration::from_secs(2)).await;
    assert_eq!(obs.status, Status::StarttlsFailed);
    assert!(obs.failure.unwrap().contains("more than 64 KiB"));
    // XMPP without STARTTLS among the features.
    let addr =
        answering(b"<stream:stream><stream:features><bind/></stream:features>".to_vec()).await;
    let obs = probe(addr, StartTls::Xmpp, Duration::from_secs(1)).await;
    assert_eq!(obs.status, Status::StarttlsFailed);
    assert!(obs.failure.unwrap().contains("does not offer STARTTLS"));
}
