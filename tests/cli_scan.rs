//! `mitmwatch scan` as a user runs it: the binary against the simulated
//! network and against a server mitmwatch did not write (openssl s_server).

mod common;

use common::binary;
use mitmwatch_core::model::{Observation, Status};
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::io::Write;
use std::process::Stdio;
use tokio::process::Command;

fn observations(stdout: &[u8]) -> Vec<Observation> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is an observation"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_domain_file_lines_are_reported_and_the_scan_goes_on() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("root.pem");
    std::fs::write(&roots, sim.public_root_pem()).unwrap();
    let list = dir.path().join("list.txt");
    let mut f = std::fs::File::create(&list).unwrap();
    writeln!(
        f,
        "# targets\nfacebook.com\n\nnot a host\nwikipedia.org:443\nexample.com:99999\n1,github.com"
    )
    .unwrap();
    drop(f);
    let out = Command::new(binary())
        .args(["scan", "-i"])
        .arg(&list)
        .args([
            "--connect-to",
            &format!("::127.0.0.1:{}", sim.interceptor.port()),
        ])
        .arg("--roots")
        .arg(&roots)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("list.txt:4"), "{stderr}");
    assert!(stderr.contains("list.txt:6"), "{stderr}");
    assert!(stderr.contains("out of range"), "{stderr}");
    let obs = observations(&out.stdout);
    let mut hosts: Vec<_> = obs.iter().map(|o| o.target.host.as_str()).collect();
    hosts.sort();
    assert_eq!(hosts, ["facebook.com", "github.com", "wikipedia.org"]);
    assert!(obs.iter().all(|o| o.status == Status::Ok));
    let fb = obs
        .iter()
        .find(|o| o.target.host == "facebook.com")
        .unwrap();
    assert_eq!(
        fb.chain[0].issuer.as_deref(),
        Some("C=KZ, CN=Security Certificate")
    );
    assert!(fb.route.as_deref().unwrap().starts_with("connect-to"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_file_sni_override_and_no_sni() {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("obs.jsonl");
    let rule = format!("::127.0.0.1:{}", sim.interceptor.port());
    // An innocent host name with a targeted SNI is intercepted (the trigger is the SNI).
    let status = Command::new(binary())
        .args([
            "scan",
            "innocent.example",
            "--sni",
            "vk.com",
            "--quiet",
            "--connect-to",
            &rule,
            "-o",
        ])
        .arg(&out_path)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let text = std::fs::read(&out_path).unwrap();
    let obs = observations(&text);
    assert_eq!(obs.len(), 1);
    assert_eq!(obs[0].target.sni.as_deref(), Some("vk.com"));
    assert_eq!(obs[0].chain[0].subject.as_deref(), Some("CN=vk.com"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o022, 0, "no group/other write permission");
    }
    let out = Command::new(binary())
        .args([
            "scan",
            "vk.com",
            "--no-sni",
            "--quiet",
            "--connect-to",
            &rule,
        ])
        .output()
        .await
        .unwrap();
    let obs = observations(&out.stdout);
    assert_eq!(obs[0].target.sni, None);
    assert_eq!(
        obs[0].chain[0].subject.as_deref(),
        Some("CN=origin.sim.invalid")
    );
}

#[tokio::test]
async fn usage_errors_exit_1_with_a_message() {
    for args in [
        vec!["scan"],
        vec!["scan", "x.example", "--connect-to", "nonsense"],
        vec!["scan", "x.example", "--roots", "/nonexistent/roots.pem"],
        vec!["scan", "x.example", "--concurrency", "0"],
    ] {
        let out = Command::new(binary()).args(&args).output().await.unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("mitmwatch: "),
            "{args:?}"
        );
    }
}

fn openssl_available() -> bool {
    std::process::Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Fingerprints recorded from a server mitmwatch did not write equal what
/// `openssl x509 -fingerprint -sha256` prints for the same certificates.
#[ignore = "needs the openssl command; .ci/run runs it with --ignored"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprints_match_openssl_for_openssl_s_server() {
    assert!(
        openssl_available(),
        "the openssl command is not installed (apt-get install openssl)"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let ok = std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=Openssl Test CA",
        "-days",
        "30",
    ]);
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=s-server.test",
    ]);
    std::fs::write(d.join("ext.cnf"), "subjectAltName=DNS:s-server.test\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "30",
        "-extfile",
        "ext.cnf",
    ]);
    // openssl takes a port that was free a moment ago; if another test
    // took it first, openssl exits and Peer starts it again on another.
    let (server, ports) = common::peers::Peer::start_on_free_ports(
        "openssl s_server",
        1,
        &d.join("s_server.log"),
        |ports| {
            let mut cmd = std::process::Command::new("openssl");
            cmd.args([
                "s_server",
                "-quiet",
                "-accept",
                &format!("127.0.0.1:{}", ports[0]),
                "-cert",
                "leaf.pem",
                "-key",
                "leaf.key",
                "-cert_chain",
                "ca.pem",
                "-naccept",
                "20",
            ])
            .current_dir(d);
            cmd
        },
    );
    let port = ports[0];
    let out = Command::new(binary())
        .args([
            "scan",
            "s-server.test",
            "--quiet",
            "--resolve",
            &format!("s-server.test:{port}:127.0.0.1"),
            "--port",
            &port.to_string(),
            "--roots",
        ])
        .arg(d.join("ca.pem"))
        .output()
        .await
        .unwrap();
    drop(server);
    let obs = observations(&out.stdout);
    assert_eq!(obs.len(), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let obs = &obs[0];
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.failure);
    assert!(obs.stock_verification.as_ref().unwrap().ok);
    assert_eq!(obs.chain.len(), 2);
    for (cert, file) in obs.chain.iter().zip(["leaf.pem", "ca.pem"]) {
        let printed = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256", "-in", file])
            .current_dir(d)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&printed.stdout);
        let hex = text
            .trim()
            .rsplit('=')
            .next()
            .unwrap()
            .replace(':', "")
            .to_lowercase();
        assert_eq!(cert.sha256.to_string(), hex, "{file}");
    }
}
