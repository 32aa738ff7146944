//! `mitmwatch locate` on a real routed path: network namespaces joined by
//! veth pairs (client → routers → box → routers → origin), Linux routers
//! forwarding with `ip_forward=1`, an interception box that takes every
//! TCP connection to port 443 passing through it (policy routing to a
//! local table, IP_TRANSPARENT listener) and answers with a forged
//! certificate, and the origin's TLS server behind it. Both servers are
//! Python's `ssl` module (OpenSSL), started with `ip netns exec`.
//!
//! Addresses are 10.77.x.y and fd77:x::y, only inside the namespaces the test creates;
//! nothing leaves them. Needs root (CI runs as root): without it the tests
//! say so and pass, except under CI (env `CI` set), where they fail.

mod common;

use common::peers::require;
use mitmwatch_core::model::{IcmpKind, LocateConclusion, LocateRecord, TlsAnswerStatus};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The name the client asks for; both servers' leaves are for it.
const NAME: &str = "origin.test";

/// A TLS server for `ip netns exec`: one thread per connection, handshake,
/// read a byte, close. `transparent` sets IP_TRANSPARENT so that it
/// accepts connections addressed to other hosts (the box).
const TLS_SERVER: &str = r#"
import socket, ssl, sys, threading
cert, key, mode, family = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
v6 = family == "6"
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if mode == "transparent" and v6:
    s.setsockopt(socket.IPPROTO_IPV6, 75, 1)  # IPV6_TRANSPARENT
elif mode == "transparent":
    s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT
s.bind(("::" if v6 else "0.0.0.0", 443))
s.listen(64)
print("ready", flush=True)
def serve(c):
    try:
        c.settimeout(10)
        t = ctx.wrap_socket(c, server_side=True)
        t.recv(1)
    except Exception:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// What sits at one position of the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Client,
    Router,
    /// A router that also intercepts TCP port 443.
    Box,
    Origin,
}

/// The namespaces and servers of one test; dropping it stops the servers
/// and deletes the namespaces.
struct Topology {
    namespaces: Vec<String>,
    servers: Vec<Child>,
    _dir: tempfile::TempDir,
    dir: PathBuf,
    /// The origin's address.
    origin: IpAddr,
    /// IPv6 addresses and routes instead of IPv4.
    v6: bool,
}

impl Drop for Topology {
    fn drop(&mut self) {
        for child in &mut self.servers {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in &self.namespaces {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Address of the left (`.1`, `::1`) or right (`.2`, `::2`) end of link
/// `i` (between node `i` and node `i + 1`).
fn link_addr(i: usize, right: bool, v6: bool) -> String {
    let end = if right { 2 } else { 1 };
    if v6 {
        format!("fd77:{}::{end}", i + 1)
    } else {
        format!("10.77.{}.{end}", i + 1)
    }
}

/// The network of link `j`.
fn link_net(j: usize, v6: bool) -> String {
    if v6 {
        format!("fd77:{}::/64", j + 1)
    } else {
        format!("10.77.{}.0/24", j + 1)
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The certificates: a public root (given to the client with --roots)
/// issuing the origin's leaf, and the box's own CA issuing its forgery.
struct Pki {
    root_pem: PathBuf,
    origin: (PathBuf, PathBuf),
    forged: (PathBuf, PathBuf),
}

fn make_pki(dir: &Path) -> Pki {
    let issue = |ca_name: &str, tag: &str| -> (String, PathBuf, PathBuf) {
        let mut ca = CertificateParams::default();
        ca.distinguished_name.push(DnType::CommonName, ca_name);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let mut leaf = CertificateParams::new(vec![NAME.to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, format!("{NAME} ({tag})"));
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
        let chain = dir.join(format!("{tag}-chain.pem"));
        let key = dir.join(format!("{tag}-key.pem"));
        std::fs::write(&chain, leaf_cert.pem() + &ca_cert.pem()).unwrap();
        std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
        (ca_cert.pem(), chain, key)
    };
    let (root, origin_chain, origin_key) = issue("Test Public Root", "origin");
    let (_, forged_chain, forged_key) = issue("Forged Interception CA", "forged");
    let root_pem = dir.join("root.pem");
    std::fs::write(&root_pem, root).unwrap();
    Pki {
        root_pem,
        origin: (origin_chain, origin_key),
        forged: (forged_chain, forged_key),
    }
}

/// Builds the path `nodes` (first the client, last the origin); the test
/// fails, saying why, when it cannot (no root, no `ip`).
fn build(nodes: &[Node], v6: bool) -> (Topology, Pki) {
    assert_eq!(nodes.first(), Some(&Node::Client));
    assert_eq!(nodes.last(), Some(&Node::Origin));
    require("ip", &["-V"], "apt-get install iproute2");
    require("python3", &["--version"], "apt-get install python3");
    let id = format!(
        "mwl{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let dir = tempfile::tempdir().unwrap();
    let mut topo = Topology {
        namespaces: Vec::new(),
        servers: Vec::new(),
        dir: dir.path().to_path_buf(),
        _dir: dir,
        origin: link_addr(nodes.len() - 2, true, v6).parse().unwrap(),
        v6,
    };
    // The first namespace shows whether this process may create them.
    let first = format!("{id}-0");
    if let Err(e) = run("ip", &["netns", "add", &first]) {
        panic!("cannot create network namespaces (this test needs root): {e}");
    }
    topo.namespaces.push(first);
    for i in 1..nodes.len() {
        let ns = format!("{id}-{i}");
        run("ip", &["netns", "add", &ns]).unwrap();
        topo.namespaces.push(ns);
    }
    setup(&topo, nodes).unwrap();
    let pki = make_pki(&topo.dir);
    for (i, node) in nodes.iter().enumerate() {
        let ns = &topo.namespaces[i];
        match node {
            Node::Box => {
                let (chain, key) = &pki.forged;
                let server = start_server(&topo.dir, ns, chain, key, true, v6);
                topo.servers.push(server);
            }
            Node::Origin => {
                let (chain, key) = &pki.origin;
                let server = start_server(&topo.dir, ns, chain, key, false, v6);
                topo.servers.push(server);
            }
            _ => {}
        }
    }
    (topo, pki)
}

/// `ip -n NS ARGS…`, the arguments split at spaces.
fn ip_in(ns: &str, args: &str) -> Result<(), String> {
    let mut all = vec!["-n", ns];
    all.extend(args.split_whitespace());
    run("ip", &all)
}

/// Links, addresses, routes and forwarding.
fn setup(topo: &Topology, nodes: &[Node]) -> Result<(), String> {
    let ns = &topo.namespaces;
    let v6 = topo.v6;
    let family = if v6 { "-6" } else { "-4" };
    // No duplicate address detection for IPv6: the addresses work at once.
    let (prefix, dad) = if v6 { ("/64", "nodad") } else { ("/24", "") };
    let last = nodes.len() - 1;
    for n in ns {
        ip_in(n, "link set lo up")?;
    }
    for i in 0..last {
        // Each end is created directly in its namespace, named `east` on
        // the client's side of the link and `west` on the origin's.
        let (a, b) = (&ns[i], &ns[i + 1]);
        ip_in(
            a,
            &format!("link add east type veth peer name west netns {b}"),
        )?;
        let (left, right) = (link_addr(i, false, v6), link_addr(i, true, v6));
        ip_in(a, &format!("addr add {left}{prefix} dev east {dad}"))?;
        ip_in(b, &format!("addr add {right}{prefix} dev west {dad}"))?;
        ip_in(a, "link set east up")?;
        ip_in(b, "link set west up")?;
    }
    for (i, node) in nodes.iter().enumerate() {
        let n = &ns[i];
        // Toward the origin by default; the origin back toward the client.
        let via = if i < last {
            link_addr(i, true, v6)
        } else {
            link_addr(i - 1, false, v6)
        };
        ip_in(n, &format!("{family} route add default via {via}"))?;
        if i > 0 && i < last {
            // Back toward the client for the links behind this router.
            let back = link_addr(i - 1, false, v6);
            for j in 0..i - 1 {
                let net = link_net(j, v6);
                ip_in(n, &format!("{family} route add {net} via {back}"))?;
            }
            // Forward, and answer every probe with ICMP (no rate limit).
            let sysctl = if v6 {
                "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding && \
                 echo 0 > /proc/sys/net/ipv6/icmp/ratelimit"
            } else {
                "echo 1 > /proc/sys/net/ipv4/ip_forward && \
                 echo 0 > /proc/sys/net/ipv4/icmp_ratelimit"
            };
            run("ip", &["netns", "exec", n, "sh", "-c", sysctl])?;
        }
        if *node == Node::Box {
            // TCP to port 443 arriving from the client's side is delivered
            // locally, whatever its destination; everything else is routed.
            let all = if v6 { "::/0" } else { "0.0.0.0/0" };
            ip_in(
                n,
                &format!("{family} rule add iif west ipproto tcp dport 443 lookup 100"),
            )?;
            ip_in(
                n,
                &format!("{family} route add local {all} dev lo table 100"),
            )?;
        }
    }
    Ok(())
}

/// Starts the TLS server in `ns` and waits until it listens.
fn start_server(
    dir: &Path,
    ns: &str,
    chain: &Path,
    key: &Path,
    transparent: bool,
    v6: bool,
) -> Child {
    let script = dir.join("tls_server.py");
    std::fs::write(&script, TLS_SERVER).unwrap();
    let log = std::fs::File::create(dir.join(format!("{ns}.log"))).unwrap();
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "python3", "-u"])
        .arg(&script)
        .arg(chain)
        .arg(key)
        .arg(if transparent { "transparent" } else { "plain" })
        .arg(if v6 { "6" } else { "4" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    if line.trim() != "ready" {
        let _ = child.kill();
        let log = std::fs::read_to_string(dir.join(format!("{ns}.log"))).unwrap_or_default();
        panic!("the TLS server in {ns} did not start: {log}");
    }
    child
}

/// Runs `mitmwatch locate` in the client's namespace.
fn locate(topo: &Topology, pki: &Pki, format: &str) -> Output {
    Command::new("ip")
        .args([
            "netns",
            "exec",
            &topo.namespaces[0],
            common::binary(),
            "locate",
            NAME,
        ])
        .args(["--address", &topo.origin.to_string()])
        .arg("--roots")
        .arg(&pki.root_pem)
        .args(["--wait", "2", "--max-ttl", "10", "--format", format])
        .output()
        .unwrap()
}

fn locate_json(topo: &Topology, pki: &Pki) -> LocateRecord {
    let out = locate(topo, pki, "json");
    common::assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a locate record ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The checks common to every path: one router per TTL before the
/// answer, named by the address of its client-side link; the destination
/// answers UDP with "port unreachable" at its own distance.
fn assert_path(record: &LocateRecord, nodes: &[Node], v6: bool) {
    let destination = nodes.len() - 1;
    assert_eq!(record.destination_hop, Some(destination as u8));
    for hop in &record.hops {
        let router = hop
            .router
            .as_ref()
            .unwrap_or_else(|| panic!("no ICMP error at TTL {}", hop.ttl));
        let expected: IpAddr = link_addr(hop.ttl as usize - 1, true, v6).parse().unwrap();
        assert_eq!(router.address, expected, "router at TTL {}", hop.ttl);
        let kind = if (hop.ttl as usize) < destination {
            IcmpKind::TimeExceeded
        } else {
            IcmpKind::Unreachable
        };
        assert_eq!(router.kind, kind, "ICMP at TTL {}", hop.ttl);
    }
    let answer = record.answer_hop.unwrap();
    for hop in record.hops.iter().filter(|h| h.ttl < answer) {
        let tls = hop.tls.as_ref().unwrap();
        assert_eq!(
            tls.status,
            TlsAnswerStatus::NoAnswer,
            "TLS at TTL {}",
            hop.ttl
        );
    }
    assert!(record
        .hops
        .iter()
        .filter(|h| h.ttl > answer)
        .all(|h| h.tls.is_none()));
}

fn leaf_subject(record: &LocateRecord, ttl: u8) -> String {
    let hop = record.hops.iter().find(|h| h.ttl == ttl).unwrap();
    let tls = hop.tls.as_ref().unwrap();
    assert_eq!(tls.status, TlsAnswerStatus::Certificate);
    tls.leaf.as_ref().unwrap().subject.clone().unwrap()
}

/// The box at `depth` hops from the client, with `after` routers between
/// it and the origin.
fn box_at(depth: usize, after: usize, v6: bool) {
    let mut nodes = vec![Node::Client];
    nodes.extend(std::iter::repeat_n(Node::Router, depth - 1));
    nodes.push(Node::Box);
    nodes.extend(std::iter::repeat_n(Node::Router, after));
    nodes.push(Node::Origin);
    let (topo, pki) = build(&nodes, v6);
    let record = locate_json(&topo, &pki);
    assert_eq!(record.address, topo.origin);
    assert_eq!(record.answer_hop, Some(depth as u8), "{record:#?}");
    assert_path(&record, &nodes, v6);
    assert_eq!(
        record.conclusion,
        LocateConclusion::AnsweredBeforeDestination
    );
    assert_eq!(
        leaf_subject(&record, depth as u8),
        format!("CN={NAME} (forged)")
    );
    // The complete path is intercepted too: the reference is the forgery.
    assert_eq!(record.same_as_reference, Some(true));
    assert_eq!(record.reference.verified, Some(false));
}

#[ignore = "needs root, `ip netns` (iproute2) and python3; .ci/run runs it with --ignored"]
#[test]
fn box_three_hops_away_is_found_at_hop_three() {
    box_at(3, 1, false);
}

#[ignore = "needs root, `ip netns` (iproute2) and python3; .ci/run runs it with --ignored"]
#[test]
fn box_next_to_the_client_is_found_at_hop_one() {
    box_at(1, 2, false);
}

#[ignore = "needs root, `ip netns` (iproute2) and python3; .ci/run runs it with --ignored"]
#[test]
fn box_over_ipv6_is_found_at_its_hop() {
    box_at(2, 1, true);
}

#[ignore = "needs root, `ip netns` (iproute2) and python3; .ci/run runs it with --ignored"]
#[test]
fn path_without_a_box_reports_the_origin_hop() {
    let nodes = [
        Node::Client,
        Node::Router,
        Node::Router,
        Node::Router,
        Node::Origin,
    ];
    let (topo, pki) = build(&nodes, false);
    let record = locate_json(&topo, &pki);
    assert_eq!(record.answer_hop, Some(4), "{record:#?}");
    assert_path(&record, &nodes, false);
    assert_eq!(record.conclusion, LocateConclusion::AnsweredAtDestination);
    assert_eq!(leaf_subject(&record, 4), format!("CN={NAME} (origin)"));
    assert_eq!(record.same_as_reference, Some(true));
    assert_eq!(record.reference.verified, Some(true));
}

#[ignore = "needs root, `ip netns` (iproute2) and python3; .ci/run runs it with --ignored"]
#[test]
fn text_report_names_the_hop_and_the_router_before_it() {
    let nodes = [
        Node::Client,
        Node::Router,
        Node::Box,
        Node::Router,
        Node::Origin,
    ];
    let (topo, pki) = build(&nodes, false);
    let out = locate(&topo, &pki, "text");
    common::assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("first certificate at hop 2"), "{text}");
    assert!(text.contains("10.77.1.2 time-exceeded"), "{text}");
    assert!(
        text.contains("a device 2 hops away (the router there is 10.77.2.2)"),
        "{text}"
    );
    assert!(text.contains(&format!("'CN={NAME} (forged)'")), "{text}");
}
