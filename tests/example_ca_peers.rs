//! Interception libraries that ship their CA's private key in their own
//! package, run for real on 127.0.0.1: goproxy's built-in CA (Debian's
//! `golang-github-elazarl-goproxy-dev`) and martian with Selenium's
//! CyberVillains CA (Debian's `golang-github-google-martian-dev`), each
//! built here as a small Go program; Selenium Wire's default CA (PyPI
//! `selenium-wire`, its own `standaloneproxy` command); and, in an ignored
//! test (its build takes minutes), hudsucker's example CA (the crate,
//! through `tests/peers/hudsucker`). Anyone who has the package can
//! intercept with these keys, so the catalog lists them by key (`certs/`):
//! a chain that carries one is `intercepted`, and the interceptor is named
//! by key.
//!
//! All are explicit HTTP proxies. The scan asks each for a tunnel to the
//! simulated origin's address (`--connect-to` with `--proxy`), so nothing
//! is resolved or dialled outside 127.0.0.1. `.ci/run` installs the
//! packages; without them a test says so and passes, except under CI.

mod common;

use common::peers::{
    brief, codes, json_lines, origin, path, pem_certs, require, require_path, scan_via_proxy,
    sha256, spki_sha256, Analysis, Peer, NAMES,
};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The catalog's copy of a shipped CA (`certs/NAME`), as DER.
fn catalog_ca(name: &str) -> Vec<u8> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("certs")
        .join(name);
    pem_certs(&file).remove(0)
}

/// Scans `NAMES` through the proxy on `port` and checks what every
/// handshake recorded: the forged leaf, then the shipped CA itself.
fn scan_and_check_chains(
    d: &Path,
    peer: &Peer,
    port: u16,
    origin: SocketAddr,
    roots: &Path,
    ca: &[u8],
) -> (PathBuf, Vec<Value>) {
    let scan = scan_via_proxy(d, &NAMES, port, origin, roots);
    let observations = json_lines(&scan);
    assert_eq!(observations.len(), NAMES.len());
    for o in &observations {
        assert_eq!(o["status"], "ok", "{o}\n{}", peer.log());
        assert_eq!(o["proxy"], format!("http://127.0.0.1:{port}"), "{o}");
        let chain = o["chain"].as_array().unwrap();
        assert_eq!(chain.len(), 2, "leaf and the shipped CA: {o}");
        assert_eq!(chain[1]["sha256"].as_str().unwrap(), sha256(ca), "{o}");
        assert_eq!(chain[0]["issuer"], chain[1]["subject"], "{o}");
        assert_eq!(o["stock_verification"]["ok"], false, "{o}");
    }
    (scan, observations)
}

/// The verdict, the attribution by key and the exit code for a chain
/// signed with the shipped CA of catalog entry `id`, and the product's own
/// tell (`trait_code`) on every target.
fn assert_intercepted_by_key(scan: &Path, roots: &Path, id: &str, ca: &[u8], trait_code: &str) {
    let a = Analysis::run(&["analyze", path(scan), "--roots", path(roots)]);
    let all = brief(&a.assessments);
    eprintln!("{id}:\n{all}");
    assert_eq!(a.assessments.len(), NAMES.len(), "{all}{}", a.stderr);
    for host in NAMES {
        let x = a.of(host);
        assert_eq!(x["verdict"], "intercepted", "{all}");
        assert_eq!(x["interceptor"]["id"], id, "{all}");
        assert_eq!(x["interceptor"]["matched_by"], "key", "{all}");
        assert_eq!(x["interceptor"]["category"], "debugging-proxy", "{all}");
        let known = x["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "known-interception-root")
            .unwrap_or_else(|| panic!("{host}: no known-interception-root:\n{all}"));
        assert_eq!(known["severity"], "high", "{known:#}");
        assert_eq!(known["evidence"]["catalog_id"], id, "{known:#}");
        assert_eq!(
            known["evidence"]["spki_sha256"].as_str().unwrap(),
            spki_sha256(ca),
            "the evidence is the shipped key: {known:#}"
        );
        for code in ["untrusted-root", trait_code] {
            assert!(codes(x).contains(&code), "{host}: {code} missing:\n{all}");
        }
    }
    assert_eq!(a.summary["pattern"], "blanket", "{}", a.summary);
    assert_eq!(a.code, Some(2), "{}", a.stderr);
}

/// Where Debian's `golang-github-elazarl-goproxy-dev` puts goproxy.
const GOPROXY_SOURCE: &str = "/usr/share/gocode/src/github.com/elazarl/goproxy";

/// A proxy as goproxy's README writes one: every CONNECT is intercepted
/// with the built-in CA (`goproxy.AlwaysMitm`). Upstream requests, if any
/// came, would go to `-origin`.
const GOPROXY_MAIN: &str = r#"package main

import (
	"flag"
	"log"
	"net"
	"net/http"

	"github.com/elazarl/goproxy"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	origin := flag.String("origin", "", "where every upstream connection goes")
	flag.Parse()
	proxy := goproxy.NewProxyHttpServer()
	proxy.OnRequest().HandleConnect(goproxy.AlwaysMitm)
	if *origin != "" {
		proxy.Tr.Dial = func(network, _ string) (net.Conn, error) {
			return net.Dial(network, *origin)
		}
	}
	log.Fatal(http.ListenAndServe(*listen, proxy))
}
"#;

/// Builds the Go program `main_go` (package `name`) against Debian's Go
/// packages in GOPATH mode (no module download, no network) and returns
/// the binary.
fn build_go(d: &Path, name: &str, main_go: &str) -> PathBuf {
    let gopath = d.join("gopath");
    let src = gopath.join("src").join(name);
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("main.go"), main_go).unwrap();
    let binary = d.join(name);
    let out = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(name)
        .env("GO111MODULE", "off")
        .env("GOPATH", format!("{}:/usr/share/gocode", gopath.display()))
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env(
            "GOCACHE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-build"),
        )
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "go build {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    binary
}

/// Builds the Go proxy `main_go` (as `NAME-peer`), starts it on a free
/// port (`-listen`, and `-origin` with the simulated origin's address when
/// `with_origin`), and scans [`NAMES`] through it, checking that every
/// chain is a forged leaf and the shipped CA `certs/CA_FILE`. Returns the
/// scan file, the roots file, the CA (DER) and the observations; the files
/// are in `d`.
async fn scan_through_go_proxy(
    d: &Path,
    name: &str,
    main_go: &str,
    with_origin: bool,
    ca_file: &str,
) -> (PathBuf, PathBuf, Vec<u8>, Vec<Value>) {
    let binary = build_go(d, &format!("{name}-peer"), main_go);
    let (sim, roots) = origin(d).await;
    let log = d.join(format!("{name}.log"));
    let origin_addr = sim.origin.to_string();
    let (peer, ports) = Peer::start_on_free_ports(name, 1, &log, |ports| {
        let mut cmd = Command::new(&binary);
        cmd.arg("-listen").arg(format!("127.0.0.1:{}", ports[0]));
        if with_origin {
            cmd.args(["-origin", &origin_addr]);
        }
        cmd
    });
    let ca = catalog_ca(ca_file);
    let (scan, observations) = tokio::task::spawn_blocking({
        let d = d.to_path_buf();
        let roots = roots.clone();
        let ca = ca.clone();
        let origin = sim.origin;
        move || scan_and_check_chains(&d, &peer, ports[0], origin, &roots, &ca)
    })
    .await
    .unwrap();
    (scan, roots, ca, observations)
}

/// goproxy 1.1 (Debian) intercepting with its built-in CA: `intercepted`,
/// named by key as `goproxy-ca`, exit 2.
///
/// What goproxy sends, as recorded here: the forged leaf and the built-in
/// CA. The leaf is for the host of the CONNECT request (here the origin's
/// address, so its subject is only `O=GoProxy untrusted MITM proxy Inc`),
/// valid from 1970-01-01 to 2049-12-31.
#[ignore = "needs Go and goproxy's source (golang-go, golang-github-elazarl-goproxy-dev); .ci/run runs it with --ignored"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goproxy_built_in_ca_is_named_by_key() {
    require("go", &["version"], "apt-get install golang-go");
    require_path(
        &Path::new(GOPROXY_SOURCE).join("certs.go"),
        "apt-get install golang-github-elazarl-goproxy-dev",
    );
    let dir = tempfile::tempdir().unwrap();
    let (scan, roots, ca, observations) = scan_through_go_proxy(
        dir.path(),
        "goproxy",
        GOPROXY_MAIN,
        true,
        "goproxy-ca-4ca2f57b4a9958bf.pem",
    )
    .await;
    for o in &observations {
        let leaf = &o["chain"][0];
        assert_eq!(leaf["subject"], "O=GoProxy untrusted MITM proxy Inc", "{o}");
        assert_eq!(leaf["not_before"], "1970-01-01T00:00:00Z", "{o}");
        assert_ne!(leaf["spki_sha256"].as_str().unwrap(), spki_sha256(&ca));
    }
    // Its leaves run to 2049, its CA to 2037.
    assert_intercepted_by_key(&scan, &roots, "goproxy-ca", &ca, "leaf-outlives-issuer");
}

/// Where Debian's `golang-github-google-martian-dev` puts martian.
const MARTIAN_SOURCE: &str = "/usr/share/gocode/src/github.com/google/martian";

/// A martian proxy that intercepts with the CyberVillains CA of martian's
/// `cybervillains` package, as its documentation offers for testing.
/// (Imported without `/v3`: GOPATH mode finds martian's own `/v3`
/// imports through its go.mod.)
const MARTIAN_MAIN: &str = r#"package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"log"
	"net"

	"github.com/google/martian"
	"github.com/google/martian/cybervillains"
	"github.com/google/martian/mitm"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	pair, err := tls.X509KeyPair([]byte(cybervillains.Cert), []byte(cybervillains.Key))
	if err != nil {
		log.Fatal(err)
	}
	ca, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		log.Fatal(err)
	}
	config, err := mitm.NewConfig(ca, pair.PrivateKey)
	if err != nil {
		log.Fatal(err)
	}
	proxy := martian.NewProxy()
	proxy.SetMITM(config)
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(proxy.Serve(l))
}
"#;

/// martian 3.3.2 (Debian) intercepting with Selenium's CyberVillains CA:
/// `intercepted`, named by key as `selenium-cybervillains-ca`, exit 2.
///
/// What martian sends, as recorded here: the forged leaf (for the SNI
/// name, `O=Martian Proxy`, valid from an hour before to an hour after the
/// handshake) and the CyberVillains CA, a 1024-bit RSA key.
#[ignore = "needs Go and martian's source (golang-go, golang-github-google-martian-dev); .ci/run runs it with --ignored"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn martian_with_cybervillains_ca_is_named_by_key() {
    require("go", &["version"], "apt-get install golang-go");
    require_path(
        &Path::new(MARTIAN_SOURCE).join("cybervillains/cybervillains.go"),
        "apt-get install golang-github-google-martian-dev",
    );
    let dir = tempfile::tempdir().unwrap();
    let (scan, roots, ca, observations) = scan_through_go_proxy(
        dir.path(),
        "martian",
        MARTIAN_MAIN,
        false,
        "cybervillains-ca-8203964551b3a12d.pem",
    )
    .await;
    for o in &observations {
        let host = o["target"]["host"].as_str().unwrap();
        assert_eq!(
            o["chain"][0]["subject"],
            format!("O=Martian Proxy, CN={host}"),
            "{o}"
        );
    }
    assert_intercepted_by_key(
        &scan,
        &roots,
        "selenium-cybervillains-ca",
        &ca,
        "leaf-key-reuse",
    );
}

/// The Python of a virtual environment with `selenium-wire` 5.1.0 and the
/// versions it still runs with, made by `.ci/run` (or named by
/// `MITMWATCH_SELENIUM_WIRE_PYTHON`).
fn selenium_wire_python() -> PathBuf {
    match std::env::var_os("MITMWATCH_SELENIUM_WIRE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("selenium-wire-5.1.0/bin/python"),
    }
}

/// Selenium Wire 5.1.0 (PyPI) as a standalone proxy with its default CA:
/// `intercepted`, named by key as `selenium-wire-ca`, exit 2.
///
/// What Selenium Wire sends, as recorded here: the forged leaf and its
/// CA. The leaf carries the CA's own public key (its bundled mitmproxy
/// copy sets the CA's key as the leaf's), so the leaf itself matches.
#[ignore = "needs Selenium Wire in a Python venv (.ci/run prepares it); .ci/run runs it with --ignored"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selenium_wire_default_ca_is_named_by_key() {
    let python = selenium_wire_python();
    let how = "python3 -m venv DIR && DIR/bin/pip install selenium-wire==5.1.0 blinker==1.7.0 \
               pyOpenSSL==24.2.1 cryptography==43.0.3, as .ci/run does";
    require_path(&python, how);
    require(path(&python), &["-c", "import seleniumwire"], how);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (sim, roots) = origin(d).await;
    let log = d.join("selenium-wire.log");
    let (peer, ports) = Peer::start_on_free_ports("selenium-wire", 1, &log, |ports| {
        let mut cmd = Command::new(&python);
        cmd.args(["-m", "seleniumwire", "standaloneproxy"])
            .arg(format!("port={}", ports[0]))
            // Its request storage, and a copy of its CA and key, go to
            // the temporary directory.
            .env("TMPDIR", d);
        cmd
    });
    let ca = catalog_ca("selenium-wire-ca-ad50effc88e7253c.pem");
    let (scan, observations) = tokio::task::spawn_blocking({
        let d = d.to_path_buf();
        let roots = roots.clone();
        let ca = ca.clone();
        let origin = sim.origin;
        move || scan_and_check_chains(&d, &peer, ports[0], origin, &roots, &ca)
    })
    .await
    .unwrap();
    for o in &observations {
        assert_eq!(
            o["chain"][0]["spki_sha256"].as_str().unwrap(),
            spki_sha256(&ca),
            "the leaf carries the CA's key: {o}"
        );
    }
    assert_intercepted_by_key(&scan, &roots, "selenium-wire-ca", &ca, "leaf-key-is-ca-key");
}

/// The hudsucker proxy of `tests/peers/hudsucker` (its own Cargo project).
fn hudsucker_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/hudsucker/Cargo.toml")
}

/// Builds `tests/peers/hudsucker` from cargo's local registry (`--offline`:
/// its crates must have been fetched) and returns the binary and the
/// directory of the hudsucker crate it was built with.
fn build_hudsucker() -> (PathBuf, PathBuf) {
    let manifest = hudsucker_manifest();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hudsucker-peer");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let fetch = format!(
        "cargo fetch --locked --manifest-path {}",
        manifest.display()
    );
    let out = Command::new(&cargo)
        .args(["build", "--offline", "--locked", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building hudsucker-peer failed (its crates are fetched with `{fetch}`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The host's platform only: the packages of other platforms were not
    // fetched, and --offline cannot fetch them.
    let rustc = Command::new("rustc").arg("-vV").output().unwrap();
    let host = String::from_utf8(rustc.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let out = Command::new(&cargo)
        .args(["metadata", "--offline", "--locked", "--format-version", "1"])
        .args(["--filter-platform", &host])
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    let crate_dir = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "hudsucker")
        .and_then(|p| Path::new(p["manifest_path"].as_str()?).parent())
        .expect("hudsucker in the peer's dependencies")
        .to_path_buf();
    (target.join("debug/hudsucker-peer"), crate_dir)
}

/// hudsucker 0.25.0 (crate) with the example CA it ships
/// (`examples/ca/hudsucker.cer` and `.key`): `intercepted`, named by key
/// as `hudsucker-example-ca`, exit 2.
///
/// What hudsucker sends, as recorded here: the forged leaf only, for the
/// SNI name, valid from a minute before the handshake for a year, carrying
/// the CA's own key and its key identifier. The leaf alone matches the
/// catalogued key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "builds hudsucker and its dependencies, about 2.5 minutes on two cores; \
            fetch them (cargo fetch --locked --manifest-path tests/peers/hudsucker/Cargo.toml), \
            then: cargo test --test example_ca_peers -- --ignored"]
async fn hudsucker_example_ca_is_named_by_key() {
    let (binary, crate_dir) = build_hudsucker();
    let ca_dir = crate_dir.join("examples/ca");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (sim, roots) = origin(d).await;
    let log = d.join("hudsucker.log");
    let (peer, ports) = Peer::start_on_free_ports("hudsucker", 1, &log, |ports| {
        let mut cmd = Command::new(&binary);
        cmd.arg(ports[0].to_string())
            .arg(ca_dir.join("hudsucker.cer"))
            .arg(ca_dir.join("hudsucker.key"));
        cmd
    });
    let ca = catalog_ca("hudsucker-example-ca-db081516d081ec16.pem");
    assert_eq!(
        pem_certs(&ca_dir.join("hudsucker.cer")).remove(0),
        ca,
        "the catalog holds the certificate the crate ships"
    );
    let scan = tokio::task::spawn_blocking({
        let d = d.to_path_buf();
        let roots = roots.clone();
        let origin = sim.origin;
        move || {
            let scan = scan_via_proxy(&d, &NAMES, ports[0], origin, &roots);
            for o in json_lines(&scan) {
                assert_eq!(o["status"], "ok", "{o}\n{}", peer.log());
                let chain = o["chain"].as_array().unwrap();
                assert_eq!(chain.len(), 1, "hudsucker sends the leaf only: {o}");
                let host = o["target"]["host"].as_str().unwrap();
                assert_eq!(chain[0]["subject"], format!("CN={host}"), "{o}");
                assert_eq!(
                    chain[0]["issuer"],
                    "CN=Hudsucker Industries, O=Hudsucker Industries, C=US, ST=NY, L=NYC"
                );
            }
            scan
        }
    })
    .await
    .unwrap();
    assert_intercepted_by_key(
        &scan,
        &roots,
        "hudsucker-example-ca",
        &ca,
        // Every leaf carries the same key, the CA's. (`leaf-key-is-ca-key`
        // needs the CA served; here only the catalog knows it.)
        "leaf-key-reuse",
    );
}
