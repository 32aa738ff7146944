//! Helpers shared by the integration tests: the simulated network,
//! purpose-built misbehaving servers on 127.0.0.1, and a collector aimed at
//! them. Nothing here touches the internet.
#![allow(dead_code)]

pub(crate) mod fixtures;
pub(crate) mod hostile;
pub(crate) mod http;
pub(crate) mod limbo;
pub(crate) mod limbo_judge;
pub(crate) mod peers;
pub(crate) mod pki;
pub(crate) mod sharded;
pub(crate) mod stores;
pub(crate) mod watch;

use mitmwatch_collect::{Collector, ConnectTo, ProbeTls, Router, Timeouts};
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::model::{Observation, Target};
use mitmwatch_sim::SimNetwork;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A collector that sends every name to `addr`.
pub(crate) fn collector_to(addr: SocketAddr, store: &TrustStore, timeout: Duration) -> Collector {
    let rule = ConnectTo::parse(&format!("::{}:{}", addr.ip(), addr.port())).unwrap();
    Collector::new(
        ProbeTls::new(store),
        Router::new(vec![rule], vec![]),
        Timeouts {
            connect: timeout,
            handshake: timeout,
        },
    )
}

/// A collector whose every connection goes to the simulation's
/// interception box, trusting the simulation's public root.
pub(crate) fn box_collector(sim: &SimNetwork) -> Collector {
    collector_to(sim.interceptor, &sim.trust_store(), Duration::from_secs(5))
}

/// Probes `name` through `collector`.
pub(crate) async fn probe(collector: &Collector, name: &str) -> Observation {
    collector.probe(&Target::new(name, 443)).await
}

/// A port on 127.0.0.1 where nothing listens, held for as long as this
/// value lives: the socket is bound but never listens, so connections to it
/// are refused (RST), and, bound without SO_REUSEADDR, no other test's
/// listener or outgoing connection can take the port meanwhile. Keep it in
/// a variable until the last connection attempt is over.
pub(crate) struct RefusedPort {
    _socket: tokio::net::TcpSocket,
    addr: SocketAddr,
}

impl RefusedPort {
    /// The address, 127.0.0.1 and the held port.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The held port.
    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl std::fmt::Display for RefusedPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.addr.fmt(f)
    }
}

/// Binds a [`RefusedPort`].
pub(crate) async fn refused_port() -> RefusedPort {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    RefusedPort {
        _socket: socket,
        addr,
    }
}

/// What a purpose-built server does after accepting.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Misbehaviour {
    /// Accepts and never says anything.
    Silent,
    /// Sends bytes that are not TLS.
    Garbage,
    /// Reads the ClientHello and closes.
    CloseAfterHello,
    /// Answers the ClientHello with a fatal handshake_failure alert.
    Alert,
}

/// Starts a misbehaving server; it runs until the test's runtime ends.
pub(crate) async fn misbehaving_server(kind: Misbehaviour) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                match kind {
                    Misbehaviour::Silent => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    Misbehaviour::Garbage => {
                        let _ = tcp.read(&mut buf).await;
                        let _ = tcp
                            .write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nnot tls at all")
                            .await;
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    Misbehaviour::CloseAfterHello => {
                        let _ = tcp.read(&mut buf).await;
                    }
                    Misbehaviour::Alert => {
                        let _ = tcp.read(&mut buf).await;
                        // TLS record: alert, TLS 1.2, length 2, fatal(2) handshake_failure(40).
                        let _ = tcp
                            .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
                            .await;
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            });
        }
    });
    addr
}

/// Path of the built `mitmwatch` binary.
pub(crate) fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_mitmwatch")
}

/// Asserts a command's exit code, naming the case (`what`) and showing
/// stdout and stderr when it differs.
#[track_caller]
pub(crate) fn assert_code(out: &std::process::Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: stdout {:?} stderr {:?}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts a command's exit code, showing its stderr when it differs.
pub(crate) fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The simulation's analysis data (its root, pins and CT log list)
/// written into `dir`, as the flags that give them to mitmwatch:
/// `--roots FILE --pins FILE --ct-log-list FILE`.
pub(crate) fn sim_data_args(sim: &SimNetwork, dir: &std::path::Path) -> Vec<String> {
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    vec![
        "--roots".into(),
        write("root.pem", sim.public_root_pem()),
        "--pins".into(),
        write("pins.json", sim.pins_json()),
        "--ct-log-list".into(),
        write("ct.json", sim.ct_log_list_json()),
    ]
}

/// The popular domains (the sites `check` measures) as a target list in
/// `dir`: its path.
pub(crate) fn popular_list(dir: &std::path::Path) -> String {
    let path = dir.join("list.txt");
    std::fs::write(
        &path,
        mitmwatch_core::analysis_data::domains::popular().join("\n"),
    )
    .unwrap();
    path.display().to_string()
}

/// Scans the popular sites through the simulation's box (37 of the 63 are
/// intercepted there) into `dir/obs.jsonl`, with `scan -q --timeout 5`:
/// the observations' path.
pub(crate) async fn scan_popular_via_box(
    sim: &SimNetwork,
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let list = popular_list(dir);
    let observations = dir.join("obs.jsonl");
    let status = tokio::process::Command::new(binary())
        .args(["scan", "-q", "-i", &list, "--timeout", "5", "--connect-to"])
        .arg(format!("::127.0.0.1:{}", sim.interceptor.port()))
        .arg("-o")
        .arg(&observations)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    observations
}
