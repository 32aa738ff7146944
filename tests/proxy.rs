//! Probes through explicit proxies on 127.0.0.1: a small pass-through
//! CONNECT proxy and a SOCKS5 proxy written here, hostile proxies (407,
//! 403, garbage, TLS back, stall, oversized headers, refused), and Debian's
//! squid twice: plain CONNECT pass-through, and `ssl-bump` with a CA made
//! here, whose forged chain `check` must attribute to the proxied path.

mod common;

use common::peers::{require, Peer};
use common::probe;
use mitmwatch_collect::{Collector, ProbeTls, ProxyFlags, ProxySettings, Router, Timeouts};
use mitmwatch_core::model::Status;
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the in-test proxy does with a CONNECT request.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    PassThrough,
    AuthRequired,
    Forbidden,
    Garbage,
    TlsBack,
    Stall,
    Oversized,
    CloseAtOnce,
}

/// Reads an HTTP request head (bounded) from `tcp`.
async fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if tcp.read(&mut b).await.unwrap_or(0) == 0 {
            break;
        }
        head.push(b[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// An HTTP CONNECT proxy on 127.0.0.1 that behaves as told; it keeps the
/// request heads it received.
async fn http_proxy(behaviour: Behaviour) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                if matches!(behaviour, Behaviour::CloseAtOnce) {
                    return;
                }
                let head = read_head(&mut tcp).await;
                log.lock().unwrap().push(head.clone());
                let reply: Vec<u8> = match behaviour {
                    Behaviour::PassThrough => {
                        let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
                        let Ok(mut upstream) = TcpStream::connect(&target).await else {
                            let _ = tcp.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                            return;
                        };
                        let _ = tcp
                            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                            .await;
                        let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream).await;
                        return;
                    }
                    Behaviour::AuthRequired => b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                        Proxy-Authenticate: Basic realm=\"corp\"\r\n\r\n"
                        .to_vec(),
                    Behaviour::Forbidden => b"HTTP/1.1 403 Forbidden\r\n\r\n".to_vec(),
                    Behaviour::Garbage => b"SSH-2.0-OpenSSH_9.2p1\r\n\x1b[31mred\r\n".to_vec(),
                    // What a TLS server says to a plaintext request: a fatal alert.
                    Behaviour::TlsBack => vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32],
                    Behaviour::Stall => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    Behaviour::Oversized => {
                        let mut r = b"HTTP/1.1 200 OK\r\n".to_vec();
                        for _ in 0..4000 {
                            r.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
                        }
                        r
                    }
                    Behaviour::CloseAtOnce => unreachable!(),
                };
                let _ = tcp.write_all(&reply).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    (addr, seen)
}

/// A SOCKS5 proxy (no authentication, CONNECT to IPv4 or a name) that
/// passes bytes through; it keeps the destinations it was asked for.
async fn socks5_proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut hello = [0u8; 2];
                tcp.read_exact(&mut hello).await.unwrap();
                let mut methods = vec![0u8; hello[1] as usize];
                tcp.read_exact(&mut methods).await.unwrap();
                tcp.write_all(&[5, 0]).await.unwrap();
                let mut req = [0u8; 4];
                tcp.read_exact(&mut req).await.unwrap();
                let host = match req[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        tcp.read_exact(&mut ip).await.unwrap();
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        tcp.read_exact(&mut len).await.unwrap();
                        let mut name = vec![0u8; len[0] as usize];
                        tcp.read_exact(&mut name).await.unwrap();
                        String::from_utf8(name).unwrap()
                    }
                    _ => return,
                };
                let mut port = [0u8; 2];
                tcp.read_exact(&mut port).await.unwrap();
                let target = format!("{host}:{}", u16::from_be_bytes(port));
                log.lock().unwrap().push(target.clone());
                let Ok(mut upstream) = TcpStream::connect(&target).await else {
                    let _ = tcp.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await;
                    return;
                };
                tcp.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream).await;
            });
        }
    });
    (addr, seen)
}

fn settings(proxy: &str, noproxy: Option<&str>) -> ProxySettings {
    let flags = ProxyFlags {
        proxy: Some(proxy.to_string()),
        noproxy: noproxy.map(str::to_string),
        ignore_env: true,
    };
    ProxySettings::resolve(&flags, |_| None).unwrap()
}

/// A collector that sends every name to the simulated origin, through `proxy`.
fn collector(sim: &SimNetwork, proxy: ProxySettings, timeout: Duration) -> Collector {
    Collector::new(
        ProbeTls::new(&sim.trust_store()),
        Router::new(vec![sim.direct_to_origin()], vec![]),
        Timeouts {
            connect: timeout,
            handshake: timeout,
        },
    )
    .with_proxy(proxy)
}

async fn origin() -> SimNetwork {
    SimNetwork::start(SimConfig {
        intercepted: Default::default(),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_pass_through_proxy_shows_the_genuine_chain_and_hides_credentials() {
    let sim = origin().await;
    let (proxy, seen) = http_proxy(Behaviour::PassThrough).await;
    let c = collector(
        &sim,
        settings(&format!("http://alice:s3cret@{proxy}"), None),
        Duration::from_secs(5),
    );
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.failure);
    assert_eq!(
        obs.proxy.as_deref(),
        Some(format!("http://{proxy}").as_str())
    );
    assert_eq!(
        obs.address,
        Some(proxy.to_string()),
        "address is the proxy's"
    );
    assert!(obs.stock_verification.as_ref().unwrap().ok, "genuine chain");
    assert!(obs.chain[0]
        .subject
        .as_deref()
        .unwrap()
        .contains("example.com"));
    let line = serde_json::to_string(&obs).unwrap();
    assert!(
        !line.contains("s3cret") && !line.contains("alice"),
        "{line}"
    );
    let head = seen.lock().unwrap()[0].clone();
    assert!(
        head.starts_with(&format!("CONNECT {} HTTP/1.1\r\n", sim.origin)),
        "the tunnel goes where --connect-to says: {head}"
    );
    // "alice:s3cret" in base64.
    assert!(
        head.contains("Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn socks5_proxies_tunnel_by_address_or_by_name() {
    let sim = origin().await;
    let (proxy, seen) = socks5_proxy().await;
    let c = collector(
        &sim,
        settings(&format!("socks5://{proxy}"), None),
        Duration::from_secs(5),
    );
    let obs = probe(&c, "example.org").await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.failure);
    assert_eq!(
        obs.proxy.as_deref(),
        Some(format!("socks5://{proxy}").as_str())
    );
    assert!(obs.stock_verification.as_ref().unwrap().ok);
    // Through socks5h the name goes to the proxy; here `localhost` with the origin's port.
    let by_name = Collector::new(
        ProbeTls::new(&sim.trust_store()),
        Router::new(
            vec![mitmwatch_collect::ConnectTo::parse(&format!(
                "::localhost:{}",
                sim.origin.port()
            ))
            .unwrap()],
            vec![],
        ),
        Timeouts::default(),
    )
    .with_proxy(settings(&format!("socks5h://{proxy}"), None));
    let obs = probe(&by_name, "example.org").await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0], sim.origin.to_string());
    assert_eq!(
        seen[1],
        format!("localhost:{}", sim.origin.port()),
        "{obs:?}"
    );
}

#[tokio::test]
async fn hostile_proxies_become_proxy_failed_records() {
    let sim = origin().await;
    let cases = [
        (Behaviour::AuthRequired, "407"),
        (Behaviour::Forbidden, "403 Forbidden"),
        (Behaviour::Garbage, "did not answer CONNECT with HTTP"),
        (Behaviour::TlsBack, "answered with TLS"),
        (Behaviour::Stall, "did not open a tunnel"),
        (Behaviour::Oversized, "more than 16 KiB of reply headers"),
        (
            Behaviour::CloseAtOnce,
            "the connection without answering CONNECT",
        ),
    ];
    for (behaviour, expected) in cases {
        let (proxy, _) = http_proxy(behaviour).await;
        let c = collector(
            &sim,
            settings(&format!("http://{proxy}"), None),
            Duration::from_secs(1),
        );
        let started = Instant::now();
        let obs = probe(&c, "example.com").await;
        let failure = obs.failure.clone().unwrap_or_default();
        assert_eq!(obs.status, Status::ProxyFailed, "{behaviour:?}: {failure}");
        assert!(failure.contains(expected), "{behaviour:?}: {failure}");
        assert!(obs.chain.is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{behaviour:?} is bounded"
        );
    }
    // A 407 without credentials says how to give them.
    let (proxy, _) = http_proxy(Behaviour::AuthRequired).await;
    let c = collector(
        &sim,
        settings(&format!("http://{proxy}"), None),
        Duration::from_secs(1),
    );
    let failure = probe(&c, "example.com").await.failure.unwrap();
    assert!(failure.contains("USER:PASS@"), "{failure}");
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connect_failure_that_names_it() {
    let sim = origin().await;
    let dead = common::refused_port().await;
    let c = collector(
        &sim,
        settings(&format!("http://{dead}"), None),
        Duration::from_secs(2),
    );
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::ConnectRefused);
    assert!(obs
        .failure
        .unwrap()
        .starts_with(&format!("proxy http://{dead}")));
}

#[tokio::test]
async fn noproxy_hosts_go_direct() {
    let sim = origin().await;
    let (proxy, seen) = http_proxy(Behaviour::PassThrough).await;
    let c = collector(
        &sim,
        settings(
            &format!("http://{proxy}"),
            Some("internal.example, .corp.example"),
        ),
        Duration::from_secs(5),
    );
    for name in ["internal.example", "www.corp.example"] {
        let obs = probe(&c, name).await;
        assert_eq!(obs.status, Status::Ok);
        assert_eq!(obs.proxy, None, "{name} bypasses the proxy");
        assert_eq!(obs.address, Some(sim.origin.to_string()));
    }
    let obs = probe(&c, "example.com").await;
    assert!(obs.proxy.is_some());
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "only example.com went through it"
    );
}

/// A CA for squid's ssl-bump, as PEM files `ca.pem` and `ca.key` in `dir`.
fn squid_ca(dir: &Path) -> rcgen::Certificate {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Squid Bump Test CA");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "mitmwatch tests");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join("ca.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("ca.key"), key.serialize_pem()).unwrap();
    cert
}

/// Starts squid with a configuration in `dir`: plain CONNECT pass-through,
/// or `ssl-bump` (bump every CONNECT after peeking at the SNI) with a CA
/// made here. No daemon, no cache; pid, logs and certificate database in
/// `dir`. Returns the peer and its port.
fn squid(dir: &Path, bump: bool) -> (Peer, u16) {
    let d = dir.display();
    let mut tls = String::new();
    if bump {
        squid_ca(dir);
        let db = dir.join("ssl_db");
        let made = Command::new("/usr/lib/squid/security_file_certgen")
            .args(["-c", "-s", db.to_str().unwrap(), "-M", "4MB"])
            .output()
            .unwrap();
        assert!(made.status.success(), "{made:?}");
        tls = format!(
            " ssl-bump tls-cert={d}/ca.pem tls-key={d}/ca.key generate-host-certificates=on \
             dynamic_cert_mem_cache_size=4MB\n\
             sslcrtd_program /usr/lib/squid/security_file_certgen -s {d}/ssl_db -M 4MB\n\
             sslcrtd_children 5 startup=1 idle=1\n\
             tls_outgoing_options flags=DONT_VERIFY_PEER\n\
             sslproxy_cert_error allow all\n\
             acl step1 at_step SslBump1\n\
             ssl_bump peek step1\n\
             ssl_bump bump all"
        );
    }
    // Started as root, squid and its helpers run as the `proxy` user.
    let _ = Command::new("chmod")
        .args(["-R", "a+rwX", &d.to_string()])
        .status();
    let log = dir.join("squid.out");
    let (peer, ports) = Peer::start_on_free_ports("squid", 1, &log, |ports| {
        let conf = dir.join("squid.conf");
        std::fs::write(
            &conf,
            format!(
                "http_port 127.0.0.1:{port}{tls}\n\
                 http_access allow all\n\
                 cache deny all\n\
                 pid_filename {d}/squid.pid\n\
                 access_log stdio:{d}/access.log\n\
                 cache_log {d}/cache.log\n\
                 cache_store_log none\n\
                 coredump_dir {d}\n\
                 netdb_filename none\n\
                 pinger_enable off\n\
                 shutdown_lifetime 0 seconds\n",
                port = ports[0]
            ),
        )
        .unwrap();
        let mut cmd = Command::new("squid");
        cmd.arg("-N").arg("-f").arg(&conf);
        cmd
    });
    (peer, ports[0])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_passes_connect_through_untouched() {
    if !require("squid", &["-v"], "apt-get install squid-openssl") {
        return;
    }
    let sim = origin().await;
    let dir = tempfile::tempdir().unwrap();
    let (peer, port) = squid(dir.path(), false);
    let c = collector(
        &sim,
        settings(&format!("http://127.0.0.1:{port}"), None),
        Duration::from_secs(10),
    );
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::Ok, "{:?}\n{}", obs.failure, peer.log());
    assert!(
        obs.stock_verification.as_ref().unwrap().ok,
        "the origin's genuine chain"
    );
    assert_eq!(obs.proxy, Some(format!("http://127.0.0.1:{port}")));
    drop(peer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_ssl_bump_is_seen_through_the_proxy_and_not_directly() {
    if !require("squid", &["-v"], "apt-get install squid-openssl") {
        return;
    }
    let sim = origin().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (peer, port) = squid(d, true);
    let c = collector(
        &sim,
        settings(&format!("http://127.0.0.1:{port}"), None),
        Duration::from_secs(10),
    );
    let obs = probe(&c, "example.com").await;
    assert_eq!(obs.status, Status::Ok, "{:?}\n{}", obs.failure, peer.log());
    assert_eq!(
        obs.chain[0].issuer.as_deref(),
        Some("CN=Squid Bump Test CA, O=mitmwatch tests"),
        "squid forged the leaf with the CA made here"
    );
    assert!(!obs.stock_verification.as_ref().unwrap().ok);

    // `check` measures both paths and says which one is intercepted. The
    // simulated origin's root and pins make the direct path genuine.
    let roots = d.join("sim-root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let pins = d.join("sim-pins.json");
    std::fs::write(&pins, sim.pins_json()).unwrap();
    let connect_to = format!("::127.0.0.1:{}", sim.origin.port());
    let proxy = format!("http://127.0.0.1:{port}");
    let check = |json: bool| {
        let mut cmd = tokio::process::Command::new(common::binary());
        cmd.args([
            "check",
            "--timeout",
            "10",
            "--retries",
            "0",
            "--no-store",
            "--no-aia",
        ])
        .args(["--connect-to", &connect_to, "--proxy", &proxy])
        .arg("--roots")
        .arg(&roots)
        .arg("--pins")
        .arg(&pins)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
        if json {
            cmd.arg("--json");
        }
        async move {
            tokio::time::timeout(Duration::from_secs(120), cmd.output())
                .await
                .expect("check finishes")
                .unwrap()
        }
    };
    let text = check(false).await;
    let json = check(true).await;
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert_eq!(
        text.status.code(),
        Some(2),
        "{stdout}\n{}",
        String::from_utf8_lossy(&text.stderr)
    );
    assert!(stdout.contains("Paths compared:"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "Interception happens at or behind the proxy {proxy}"
        )),
        "{stdout}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["proxy"], proxy);
    assert!(
        doc["measured"]["summary"]["verdicts"]["intercepted"]
            .as_u64()
            .unwrap()
            > 0,
        "{}",
        doc["measured"]["summary"]
    );
    assert_eq!(doc["verdict"], "intercepted");
    assert!(
        doc["direct"]["summary"]["verdicts"]
            .get("intercepted")
            .is_none(),
        "{}",
        doc["direct"]["summary"]
    );
    assert!(
        doc["direct"]["summary"]["verdicts"]["clean"]
            .as_u64()
            .unwrap()
            > 0
    );
    drop(peer);
}

/// A server that answers its client's first reads with `chunks`, one per
/// read, then waits.
async fn scripted(chunks: Vec<Vec<u8>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let chunks = chunks.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 512];
                for chunk in chunks {
                    if tcp.read(&mut buf).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let _ = tcp.write_all(&chunk).await;
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn hostile_socks5_proxies_become_proxy_failed_records() {
    let sim = origin().await;
    let cases: [(Vec<Vec<u8>>, &str); 5] = [
        (
            vec![vec![5, 0xff]],
            "accepts none of the offered authentication methods",
        ),
        (
            vec![vec![5, 0], vec![5, 2, 0, 1, 0, 0, 0, 0, 0, 0]],
            "reply 2 (connection not allowed by ruleset)",
        ),
        (
            vec![b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()],
            "does not speak SOCKS5",
        ),
        (vec![vec![0x15, 3, 3, 0, 2, 2, 0x32]], "answered with TLS"),
        (vec![vec![5, 0], vec![5, 0, 0, 9]], "unknown address type 9"),
    ];
    for (chunks, expected) in cases {
        let proxy = scripted(chunks).await;
        let c = collector(
            &sim,
            settings(&format!("socks5h://{proxy}"), None),
            Duration::from_secs(1),
        );
        let obs = probe(&c, "example.com").await;
        let failure = obs.failure.clone().unwrap_or_default();
        assert_eq!(obs.status, Status::ProxyFailed, "{failure}");
        assert!(failure.contains(expected), "{expected}: {failure}");
    }
}

/// `mitmwatch scan` with the proxy taken from the environment, as curl
/// would take it, and the flags that override it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reads_the_proxy_environment_as_curl_does() {
    let sim = origin().await;
    let (proxy, seen) = http_proxy(Behaviour::PassThrough).await;
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("sim-root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let connect_to = format!("::127.0.0.1:{}", sim.origin.port());
    let scan = |env: Vec<(&'static str, String)>, extra: Vec<&'static str>| {
        let mut cmd = tokio::process::Command::new(common::binary());
        cmd.args([
            "scan",
            "-q",
            "--no-aia",
            "--timeout",
            "5",
            "--connect-to",
            &connect_to,
        ])
        .arg("--roots")
        .arg(&roots)
        .args(extra)
        .args(["example.com", "www.internal.example"]);
        for k in [
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
        ] {
            cmd.env_remove(k);
        }
        cmd.envs(env);
        async move {
            let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
                .await
                .unwrap()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            (out.status.code(), text, stderr)
        }
    };
    let via = |lines: &str, host: &str| -> Option<String> {
        lines
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|o| o["target"]["host"] == host)
            .map(|o| o["proxy"].as_str().map(str::to_string))
            .expect("one record per target")
    };
    let url = format!("http://{proxy}");
    let env = vec![
        ("HTTPS_PROXY", format!("http://bob:pw@{proxy}")),
        ("NO_PROXY", ".internal.example".to_string()),
    ];
    let (code, out, err) = scan(env.clone(), vec![]).await;
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(via(&out, "example.com"), Some(url.clone()), "{out}");
    assert_eq!(via(&out, "www.internal.example"), None, "NO_PROXY");
    assert!(!out.contains("bob") && !out.contains("pw@"), "{out}");
    let (_, out, _) = scan(env.clone(), vec!["--noproxy", "example.com"]).await;
    assert_eq!(
        via(&out, "example.com"),
        None,
        "--noproxy replaces NO_PROXY"
    );
    assert_eq!(via(&out, "www.internal.example"), Some(url.clone()));
    let (_, out, _) = scan(env.clone(), vec!["--no-proxy-env"]).await;
    assert_eq!(via(&out, "example.com"), None);
    let all = vec![("ALL_PROXY", url.clone())];
    let (_, out, _) = scan(all, vec![]).await;
    assert_eq!(via(&out, "example.com"), Some(url.clone()), "ALL_PROXY");
    assert_eq!(seen.lock().unwrap().len(), 4, "1 + 1 + 0 + 2 tunnels");
    // Bad values are refused before any connection, without the password.
    let bad = vec![("HTTPS_PROXY", "gopher://eve:hunter2@x:1".to_string())];
    let (code, _, err) = scan(bad, vec![]).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("HTTPS_PROXY") && !err.contains("hunter2"),
        "{err}"
    );
    let (code, _, err) = scan(vec![], vec!["--starttls", "gopher"]).await;
    assert_ne!(code, Some(0));
    assert!(err.contains("unknown STARTTLS protocol"), "{err}");
}
