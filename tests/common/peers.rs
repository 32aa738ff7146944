//! Real software as peers on 127.0.0.1 (mitmproxy, SSLsplit, nginx, goproxy,
//! Selenium Wire): start it on a free port, wait until it listens, stop it
//! when the test ends; then scan through it and analyse with the
//! `mitmwatch` binary.

use mitmwatch_sim::{SimConfig, SimNetwork};
use serde_json::Value;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Names scanned through the interceptors: two with static pins, one without.
pub(crate) const NAMES: [&str; 3] = ["facebook.com", "vk.com", "google.com"];

/// The simulated origin (genuine certificates for any name) and its root
/// as a PEM file in `dir`.
pub(crate) async fn origin(dir: &Path) -> (SimNetwork, PathBuf) {
    let config = SimConfig {
        intercepted: Default::default(),
        ..SimConfig::default()
    };
    let sim = SimNetwork::start(config).await.unwrap();
    let roots = dir.join("sim-root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    (sim, roots)
}

/// `p` as text, for command-line arguments.
pub(crate) fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// How long a peer may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether `program` runs (`program ARGS` exits 0).
pub(crate) fn tool_present(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Returns when `program` is installed; otherwise the test fails, saying how
/// to install it. The tests that call this are `#[ignore]`d with the tool
/// they need, so that `cargo test` on a machine without it reports them as
/// ignored; `cargo test -- --ignored` (as `.ci/run` runs it, after
/// installing the tools) runs them, and then a missing tool is a failure.
pub(crate) fn require(program: &str, args: &[&str], how: &str) {
    assert!(
        tool_present(program, args),
        "`{program}` is not installed (install it with: {how}); this test runs only when asked \
         for (`cargo test -- --ignored`)"
    );
}

/// Returns when `path` exists (a package's files, a prepared environment);
/// otherwise the test fails, saying how to prepare it (see [`require`]).
pub(crate) fn require_path(path: &Path, how: &str) {
    assert!(
        path.exists(),
        "{} does not exist (prepare it with: {how}); this test runs only when asked for \
         (`cargo test -- --ignored`)",
        path.display()
    );
}

/// `n` distinct ports on 127.0.0.1 that were free a moment ago.
///
/// All `n` listeners are held until every port is chosen: ports picked one
/// at a time can repeat, and a peer configured with the same port twice
/// (nginx with two `server` blocks) then serves the wrong one.
pub(crate) fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// A running peer process; dropping it ends the process and its children.
pub(crate) struct Peer {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Peer {
    /// Starts `cmd` in its own process group, its output going to `log`,
    /// and waits (bounded) until every port in `ports` accepts on 127.0.0.1.
    pub(crate) fn start(
        name: &str,
        mut cmd: Command,
        ports: &[u16],
        log: &Path,
    ) -> Result<Peer, String> {
        let out = std::fs::File::create(log).unwrap();
        let err = out.try_clone().unwrap();
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| format!("{name} did not start: {e}"))?;
        let mut peer = Peer {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        for &port in ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            loop {
                if let Ok(Some(status)) = peer.child.try_wait() {
                    return Err(format!(
                        "{name} exited ({status}) before listening on {addr}:\n{}",
                        peer.log()
                    ));
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "{name} did not listen on {addr} within {START_TIMEOUT:?}:\n{}",
                        peer.log()
                    ));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(peer)
    }

    /// Starts a peer on `n` free ports made by `make(ports)`. A port can be
    /// taken between our check and the peer's bind, so this tries three times.
    pub(crate) fn start_on_free_ports(
        name: &str,
        n: usize,
        log: &Path,
        make: impl Fn(&[u16]) -> Command,
    ) -> (Peer, Vec<u16>) {
        let mut last = String::new();
        for _ in 0..3 {
            let ports = free_ports(n);
            match Peer::start(name, make(&ports), &ports, log) {
                Ok(peer) => return (peer, ports),
                Err(e) => last = e,
            }
        }
        panic!("{last}");
    }

    /// What the peer printed so far (last 4 KB).
    pub(crate) fn log(&self) -> String {
        let text = std::fs::read(&self.log).unwrap_or_default();
        let tail = &text[text.len().saturating_sub(4096)..];
        String::from_utf8_lossy(tail).into_owned()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // The whole process group: SSLsplit forks a privilege-separation child.
        let group = format!("-{}", self.child.id());
        let signal = |sig: &str| {
            let _ = Command::new("kill")
                .args([sig, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal("-KILL");
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} output (tail) ---\n{}", self.name, self.log());
        }
    }
}

/// Runs `mitmwatch ARGS`, bounded by `timeout` (killed after it).
pub(crate) fn mitmwatch(args: &[&str], timeout: Duration) -> Output {
    let mut child = Command::new(super::binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + timeout;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("mitmwatch {args:?} ran longer than {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Scans `names` (port 443) with every connection sent to 127.0.0.1:`port`,
/// trusting `roots`; returns the observations file.
pub(crate) fn scan_through(dir: &Path, names: &[&str], port: u16, roots: &Path) -> PathBuf {
    let out = dir.join(format!("scan-{port}.jsonl"));
    scan_into(&out, &format!("::127.0.0.1:{port}"), &[], names, roots);
    out
}

/// `scan -q --timeout 10` of `names` into `out`, with `--connect-to
/// CONNECT_TO`, the flags `extra` and trusting `roots`; it must exit 0.
fn scan_into(out: &Path, connect_to: &str, extra: &[&str], names: &[&str], roots: &Path) {
    let mut args = vec!["scan", "-q", "--timeout", "10", "--connect-to", connect_to];
    args.extend(extra);
    args.extend(["--roots", roots.to_str().unwrap()]);
    args.extend(["-o", out.to_str().unwrap()]);
    args.extend(names);
    let output = mitmwatch(&args, Duration::from_secs(60));
    super::assert_exit(&output, 0);
}

/// Scans `names` (port 443) through the explicit HTTP proxy on
/// 127.0.0.1:`proxy_port`, every tunnel asked for `origin` (the proxy
/// never needs a name resolved), trusting `roots`; the proxy variables of
/// the environment are ignored. Returns the observations file.
pub(crate) fn scan_via_proxy(
    dir: &Path,
    names: &[&str],
    proxy_port: u16,
    origin: SocketAddr,
    roots: &Path,
) -> PathBuf {
    let out = dir.join(format!("scan-via-{proxy_port}.jsonl"));
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    scan_into(
        &out,
        &format!("::{origin}"),
        &["--proxy", &proxy, "--no-proxy-env", "--no-aia"],
        names,
        roots,
    );
    out
}

/// The records of a JSON Lines file.
pub(crate) fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `mitmwatch ARGS --format json`: the assessments, the summary and the exit code.
pub(crate) struct Analysis {
    /// One per target, in input order.
    pub(crate) assessments: Vec<Value>,
    /// The closing `summary` object.
    pub(crate) summary: Value,
    /// The exit code.
    pub(crate) code: Option<i32>,
    /// Standard error, for messages.
    pub(crate) stderr: String,
}

impl Analysis {
    /// Runs `mitmwatch ARGS --format json` and splits its output.
    pub(crate) fn run(args: &[&str]) -> Analysis {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let out = mitmwatch(&args, Duration::from_secs(60));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let mut assessments = Vec::new();
        let mut summary = Value::Null;
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line}; stderr: {stderr}"));
            match v["type"].as_str() {
                Some("assessment") => assessments.push(v),
                Some("summary") => summary = v,
                other => panic!("unexpected record type {other:?}: {line}"),
            }
        }
        Analysis {
            assessments,
            summary,
            code: out.status.code(),
            stderr,
        }
    }

    /// The assessment of `host`.
    pub(crate) fn of(&self, host: &str) -> &Value {
        self.assessments
            .iter()
            .find(|a| a["target"]["host"] == host)
            .unwrap_or_else(|| panic!("no assessment for {host}: {:#?}", self.assessments))
    }
}

/// The finding codes of an assessment, most severe first.
pub(crate) fn codes(assessment: &Value) -> Vec<&str> {
    assessment["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

/// One line per assessment: host, verdict, interceptor and findings, for messages.
pub(crate) fn brief(assessments: &[Value]) -> String {
    assessments
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {:?}\n",
                a["target"]["host"],
                a["verdict"],
                a["interceptor"],
                codes(a)
            )
        })
        .collect()
}

/// SHA-256 (hex) of the SubjectPublicKeyInfo of a DER certificate.
pub(crate) fn spki_sha256(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    hex(ring::digest::digest(&ring::digest::SHA256, cert.public_key().raw).as_ref())
}

/// The DNS names in the SAN of the certificate recorded as base64 `der`.
pub(crate) fn san_dns_names(der_base64: &str) -> Vec<String> {
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD
        .decode(der_base64)
        .unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let Some(san) = cert.subject_alternative_name().unwrap() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(name) => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

/// SHA-256 (hex) of bytes.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The DER certificates of a PEM file.
pub(crate) fn pem_certs(path: &Path) -> Vec<Vec<u8>> {
    let name = path.display().to_string();
    mitmwatch_core::analysis_data::trust_store::parse_pem_certs(
        &std::fs::read(path).unwrap(),
        &name,
    )
    .unwrap()
    .into_iter()
    .map(|c| c.to_vec())
    .collect()
}
