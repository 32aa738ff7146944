//! The HTML report's layout, in headless Chromium: at 1400 px (a desktop),
//! at 400 px (a phone) and printed (the print style, at an A4 page's
//! width), no two cells of a table row and no verdict badge overlap
//! another cell (bounding boxes), nothing is wider than the window, and
//! the printed PDF holds the fingerprints of every interceptor's CAs.
//! Screenshots and the PDF are kept under the cargo target directory
//! (`html-layout/`) for a person to look at.

mod common;

use common::binary;
use mitmwatch_sim::{SimConfig, SimNetwork};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs in the page after it is laid out; writes what overlaps into a
/// `<pre id="layout-check">` (a JSON list of problems) for `--dump-dom`.
const CHECK: &str = r#"
(function () {
  function over(a, b) {
    return a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
      a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  }
  function shown(r) { return r.width > 0 && r.height > 0; }
  var problems = [], rows = 0, badges = 0;
  document.querySelectorAll("table tr").forEach(function (tr) {
    var cells = [].slice.call(tr.children).map(function (c) {
      return c.getBoundingClientRect();
    }).filter(shown);
    if (cells.length) rows++;
    for (var i = 0; i < cells.length; i++)
      for (var j = i + 1; j < cells.length; j++)
        if (over(cells[i], cells[j]))
          problems.push("cells overlap: " + tr.textContent.trim().slice(0, 80));
  });
  document.querySelectorAll(".v").forEach(function (b) {
    var r = b.getBoundingClientRect();
    if (!shown(r)) return;
    badges++;
    var td = b.closest("td");
    if (!td) return;
    var c = td.getBoundingClientRect();
    if (r.left < c.left - 0.5 || r.right > c.right + 0.5)
      problems.push("badge leaves its cell: " + b.textContent);
    [].slice.call(td.parentElement.children).forEach(function (o) {
      if (o !== td && shown(o.getBoundingClientRect()) && over(r, o.getBoundingClientRect()))
        problems.push("badge covers another cell: " + b.textContent);
    });
  });
  var width = document.documentElement.scrollWidth;
  if (width > window.innerWidth + 1)
    problems.push("page " + width + " px wide in a " + window.innerWidth + " px window");
  parent.postMessage(JSON.stringify({ problems: problems, rows: rows, badges: badges,
    width: window.innerWidth }), "*");
})();
"#;

/// A page that shows `file` in a frame `width` px wide (headless Chromium
/// will not make its window narrower than 500 px) and writes what the
/// checker in it found into `<pre id="layout-check">`, for `--dump-dom`.
fn harness(file: &str, width: u32) -> String {
    format!(
        "<!DOCTYPE html><html><body style=\"margin:0\">\
         <iframe src=\"{file}\" style=\"width:{width}px;height:3000px;border:0;display:block\"></iframe>\
         <script>window.addEventListener(\"message\", function (e) {{\
           var pre = document.createElement(\"pre\"); pre.id = \"layout-check\";\
           pre.textContent = e.data; document.body.appendChild(pre); }});</script></body></html>"
    )
}

fn chromium() -> &'static str {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("chromium is not installed (apt-get install chromium)")
}

fn headless(profile: &Path) -> Command {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stderr(Stdio::null());
    cmd
}

/// Where screenshots and the PDF are kept.
fn kept() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-layout");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The report with the checker appended, allowed by a CSP for inline
/// scripts; `print`: with the print style applied on screen and every
/// evidence block open, as printing shows it.
fn checked_copy(page: &str, print: bool) -> String {
    let mut page = page.replace(&mitmwatch_report::html::script_hash(), "'unsafe-inline'");
    if print {
        page = page.replace("<style media=\"print\">", "<style media=\"all\">");
        page = page.replace(
            "<details class=\"evidence\">",
            "<details class=\"evidence\" open>",
        );
    }
    let end = page.rfind("</body>").unwrap();
    format!("{}<script>{CHECK}</script>{}", &page[..end], &page[end..])
}

/// The problems the checker found at `width` px, and how many rows it saw.
fn layout_problems(dir: &Path, name: &str, page: &str, width: u32) -> (Vec<String>, u64) {
    std::fs::write(dir.join(format!("{name}.html")), page).unwrap();
    let frame = dir.join(format!("{name}-frame.html"));
    std::fs::write(&frame, harness(&format!("{name}.html"), width)).unwrap();
    let out = headless(&dir.join(format!("profile-{name}")))
        .arg(format!("--window-size={},3000", width.max(500) + 20))
        .arg("--virtual-time-budget=5000")
        .arg("--dump-dom")
        .arg(format!("file://{}", frame.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom
        .find("<pre id=\"layout-check\">")
        .expect("the checker ran")
        + 23;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["width"], width, "the frame is {width} px wide");
    let problems = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    (problems, v["rows"].as_u64().unwrap())
}

/// A screenshot of the report `width` px wide (in a frame, as above).
fn screenshot(dir: &Path, html: &Path, width: u32) -> PathBuf {
    let png = kept().join(format!("report-{width}.png"));
    let frame = dir.join(format!("shot-{width}.html"));
    std::fs::write(&frame, harness(&html.display().to_string(), width)).unwrap();
    let status = headless(&dir.join(format!("profile-shot-{width}")))
        .arg(format!("--window-size={width},2400"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", frame.display()))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success() && png.exists());
    png
}

/// The simulation scanned through its box (37 of 63 intercepted), and a
/// report of it.
async fn report(dir: &Path) -> (PathBuf, PathBuf) {
    let sim = SimNetwork::start(SimConfig::default()).await.unwrap();
    let data = common::sim_data_args(&sim, dir);
    let observations = common::scan_popular_via_box(&sim, dir).await;
    let html = dir.join("report.html");
    let out = tokio::process::Command::new(binary())
        .arg("report")
        .arg(&observations)
        .arg("--html")
        .arg(&html)
        .args(&data)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    (observations, html)
}

#[ignore = "needs Chromium and pdftotext (apt-get install chromium poppler-utils); .ci/run runs it with --ignored"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_lays_out_at_1400_and_400_px_and_prints_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (observations, html) = report(dir.path()).await;
    let page = std::fs::read_to_string(&html).unwrap();
    // A4 portrait is 794 px at 96 dpi; less the margins, about 720.
    for (name, width, print) in [
        ("desktop", 1400, false),
        ("phone", 400, false),
        ("print", 720, true),
    ] {
        let (problems, rows) =
            layout_problems(dir.path(), name, &checked_copy(&page, print), width);
        assert!(rows > 5, "{name}: only {rows} rows laid out");
        assert!(problems.is_empty(), "{name} ({width} px): {problems:#?}");
        if !print {
            eprintln!(
                "screenshot: {}",
                screenshot(dir.path(), &html, width).display()
            );
        }
    }

    // Printed to PDF: every interceptor's CA fingerprints are on paper.
    let pdf = kept().join("report.pdf");
    let status = headless(&dir.path().join("profile-pdf"))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    eprintln!("PDF: {}", pdf.display());
    let text = Command::new("pdftotext")
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    let text: String = String::from_utf8_lossy(&text.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let intercepted: Vec<mitmwatch_core::model::Observation> =
        std::fs::read_to_string(&observations)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|o: &mitmwatch_core::model::Observation| {
                o.chain.len() > 1
                    && o.chain[1].subject.as_deref() == Some("C=KZ, CN=Security Certificate")
            })
            .collect();
    assert_eq!(intercepted.len(), 37);
    // Every CA certificate the interceptor served (the box serves one).
    let cas: std::collections::BTreeSet<(String, String)> = intercepted
        .iter()
        .flat_map(|o| o.chain[1..].iter())
        .map(|c| (c.sha256.to_string(), c.spki_sha256.unwrap().to_string()))
        .collect();
    for (sha256, spki) in &cas {
        assert!(text.contains(sha256), "{sha256} not in the PDF");
        assert!(text.contains(spki), "{spki} not in the PDF");
    }
    // The evidence is printed: every intercepted target's leaf fingerprint
    // (the groups' lists), and the findings' explanations.
    for o in &intercepted {
        assert!(
            text.contains(&o.chain[0].sha256.to_string()),
            "{} not printed",
            o.target.host
        );
    }
    assert!(text.contains("Thecertificatewasmintedthewayinterceptionsoftwaredoes"));
    // And fits many rows a page: the 63 targets on a few pages.
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let pages: usize = String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages <= 8, "{pages} pages");
}
