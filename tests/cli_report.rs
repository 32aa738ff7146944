//! `mitmwatch report`: a self-contained HTML report checked by loading it in
//! headless Chromium, CSV for spreadsheets, and escaping of hostile
//! certificate text.

mod common;

use common::binary;
use mitmwatch::import::pem_dir::file_observation;
use mitmwatch::model::Observation;
use std::path::Path;
use std::process::Stdio;
use tokio::process::Command;

/// A scan through the simulated box, plus one observation whose certificate
/// subject is an HTML/script injection attempt.
async fn observations_file(dir: &Path) -> std::path::PathBuf {
    let sim = mitmwatch::sim::SimNetwork::start(Default::default())
        .await
        .unwrap();
    let c = common::box_collector(&sim);
    let mut lines = Vec::new();
    for name in ["facebook.com", "vk.com", "wikipedia.org", "github.com"] {
        lines.push(serde_json::to_string(&common::probe(&c, name).await).unwrap());
    }
    let mut params = rcgen::CertificateParams::new(vec!["evil.example".to_string()]).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "<script>alert(1)</script><img src=x onerror=alert(2)>=cmd|calc",
    );
    let cert = params
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let evil = Observation {
        address: Some("127.0.0.1:443".into()),
        duration_ms: 1.0,
        ..file_observation(
            &[cert.der()],
            "evil.example".into(),
            time::OffsetDateTime::now_utc(),
        )
    };
    lines.push(serde_json::to_string(&evil).unwrap());
    let path = dir.join("obs.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_report_renders_offline_in_chromium_and_escapes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let input = observations_file(dir.path()).await;
    let html = dir.path().join("report.html");
    let out = Command::new(binary())
        .arg("report")
        .arg(&input)
        .arg("--html")
        .arg(&html)
        .output()
        .await
        .unwrap();
    common::assert_exit(&out, 2);
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: no script, no external reference, a CSP that forbids loading.
    assert!(!page.contains("<script"), "no script element may appear");
    assert!(!page.contains("<img"), "injected markup is escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // How the interceptor was identified: by name only (the box's own keys).
    assert!(page.contains("<th>Identified by</th>"));
    assert!(page.contains("<td>name only</td>"));
    assert!(page.contains("(identified by name only)</p>"));
    for reference in [" src=\"", " href=\"", "<link", "url(", "@import"] {
        assert!(!page.contains(reference), "external reference {reference}");
    }
    assert!(page.contains("Content-Security-Policy"));
    assert!(
        page.contains("-----BEGIN CERTIFICATE-----"),
        "PEM on demand"
    );

    let Some(browser) = chromium() else {
        eprintln!("SKIPPED the Chromium part: chromium is not installed");
        assert!(
            std::env::var_os("CI").is_none(),
            ".ci/run installs chromium"
        );
        return;
    };
    let profile = dir.path().join("profile");
    let dom = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .stderr(Stdio::null())
        .output()
        .await
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("mitmwatch report"),
        "Chromium rendered nothing: {dom}"
    );
    assert!(dom.contains("id=\"conclusion\""));
    assert!(dom.contains("Qaznet Trust Network"));
    assert_eq!(
        dom.matches("<tr>").count(),
        1 + 1 + 1 + 5,
        "headers, one interceptor, five targets"
    );
    assert!(dom.contains("<svg"), "charts render");
    assert!(
        !dom.contains("<script>alert"),
        "the injection stays text in the DOM"
    );
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_has_one_row_per_target_and_defuses_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let input = observations_file(dir.path()).await;
    let out = Command::new(binary())
        .arg("report")
        .arg(&input)
        .args(["--format", "csv"])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], mitmwatch::report::csv::HEADER);
    assert_eq!(lines.len(), 6);
    let fb = lines
        .iter()
        .find(|l| l.starts_with("facebook.com,"))
        .unwrap();
    assert!(fb.contains(",intercepted,kz-qaznet-trust-network,"), "{fb}");
    // The simulated box mints under Qaznet's name with its own keys.
    // (the label before it is quoted: it holds commas)
    assert!(lines[0].contains(",interceptor,interceptor_matched_by,top_finding_code,"));
    assert!(fb.contains(")\",name,"), "{fb}");
    let evil = lines
        .iter()
        .find(|l| l.starts_with("evil.example,"))
        .unwrap();
    assert!(!evil.contains(",=cmd"), "{evil}");
}

/// `report` judges the file without holding it (records wait in a
/// temporary file, the scan-level finding is applied afterwards). Its HTML
/// and CSV must be what the library renders from the whole scan in memory,
/// for any number of threads.
#[tokio::test]
async fn streamed_report_matches_the_whole_scan_rendered_at_once() {
    use common::fixtures::{analyzer, fixture, observation, scan, FIXTURE_TIME};
    use mitmwatch::analyze::ValidationTime;
    use mitmwatch::report::{csv, html};

    let (observations, lines) = scan(200, |i| match i {
        // One key in two unrelated leaves, far apart: leaf-key-reuse.
        5 => observation("mitmproxy-a", "a.example"),
        190 => observation("mitmproxy-b", "b.example"),
        _ if i % 9 == 0 => observation("unknown-ca-forged", &format!("f{i}.example")),
        // Clean (the leaf's own name) or for other names (suspicious).
        _ if i % 3 == 1 => observation("public-ok", "example.com"),
        _ => observation("public-ok", &format!("c{:03}.example", 200 - i)),
    });
    let text = lines.join("\n") + "\n";
    let (assessments, summary) =
        analyzer(None).assess_scan(&observations, ValidationTime::At(FIXTURE_TIME));
    let page = html::render(&observations, &assessments, &summary, "GENERATED");
    // Intercepted targets come first, whatever their names.
    assert_eq!(
        assessments[9].verdict,
        mitmwatch::model::Verdict::Intercepted
    );
    let table = &page[page.find("<table id=\"targets\">").unwrap()..];
    assert!(table.find("f9.example").unwrap() < table.find("c003.example").unwrap());
    let rows: String = assessments.iter().map(|a| csv::row(a) + "\n").collect();

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("scan.jsonl");
    std::fs::write(&input, text).unwrap();
    // `report` on the file, at the fixtures' time and under their root, with
    // the HTML page written to `html_out`.
    let report = |html_out: std::path::PathBuf, extra: &'static [&'static str]| {
        let input = input.clone();
        async move {
            let out = Command::new(binary())
                .arg("report")
                .arg(&input)
                .arg("--html")
                .arg(&html_out)
                .args(["--at", "2026-06-01T00:00:00Z"])
                .args(extra)
                .arg("--roots")
                .arg(fixture("roots/public-root-r1.pem"))
                .output()
                .await
                .unwrap();
            common::assert_exit(&out, 2);
            (std::fs::read_to_string(&html_out).unwrap(), out.stdout)
        }
    };
    for jobs in ["1", "3"] {
        let extra: &'static [&'static str] = match jobs {
            "1" => &["--format", "csv", "--jobs", "1"],
            _ => &["--format", "csv", "--jobs", "3"],
        };
        let (written, stdout) = report(dir.path().join(format!("report-{jobs}.html")), extra).await;
        // Only the time of generation differs.
        let start = written.find("Generated ").unwrap() + "Generated ".len();
        let end = start + written[start..].find(" by mitmwatch").unwrap();
        let written = format!("{}GENERATED{}", &written[..start], &written[end..]);
        assert!(written == page, "--jobs {jobs}: the HTML differs");
        assert!(page.contains("leaf-key-reuse"));
        let csv_out = String::from_utf8(stdout).unwrap();
        assert_eq!(csv_out, format!("{}\n{rows}", csv::HEADER), "--jobs {jobs}");
    }

    // --details flagged: every row stays, only flagged ones carry a chain.
    let (flagged, _) = report(dir.path().join("flagged.html"), &["--details", "flagged"]).await;
    let pems: usize = observations
        .iter()
        .zip(&assessments)
        .filter(|(_, a)| a.verdict != mitmwatch::model::Verdict::Clean)
        .map(|(o, _)| o.chain.len())
        .sum();
    assert!(pems > 0 && pems < page.matches("BEGIN CERTIFICATE").count());
    assert_eq!(flagged.matches("BEGIN CERTIFICATE").count(), pems);
    assert_eq!(
        flagged.matches("<tr><td><details>").count(),
        observations.len()
    );
    let clean_row = &flagged[flagged.find("<summary>example.com:443").unwrap()..];
    let clean_row = &clean_row[..clean_row.find("</tr>").unwrap()];
    assert!(clean_row.contains("chain left out"), "{clean_row}");
}
