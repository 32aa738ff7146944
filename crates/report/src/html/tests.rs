use super::*;

#[test]
fn certificate_text_is_escaped_and_its_backslashes_doubled() {
    let shown =
        html! { p { (visible("<script>alert('x')</script>&\"\u{1b}\\u{1b}")) } }.into_string();
    assert_eq!(
        shown,
        "<p>&lt;script&gt;alert('x')&lt;/script&gt;&amp;&quot;\\u{1b}\\\\u{1b}</p>"
    );
}

/// 1 error, 3 intercepted (one group) and 2,501 clean targets without
/// their observations.
fn page() -> String {
    let obs = mitmwatch_core::import::pem_dir::file_observation::<&[u8]>(
        &[],
        "x.example".into(),
        time::macros::datetime!(2026-01-01 0:00 UTC),
    );
    let a = mitmwatch_core::analyze::Analyzer::new(
        mitmwatch_core::analyze::AnalysisData::builtin().unwrap(),
    )
    .assess(&obs, mitmwatch_core::analyze::ValidationTime::Observed);
    let mut summary = mitmwatch_core::analyze::summary::summarise(&[], true);
    summary.verdicts = [
        (Verdict::Error, 1),
        (Verdict::Intercepted, 3),
        (Verdict::Clean, 2501),
    ]
    .into();
    summary.targets = 2505;
    let mut rows = Rows::new(&summary);
    let mut page = String::new();
    for i in 0..3 {
        let mut hit = a.clone();
        hit.verdict = Verdict::Intercepted;
        hit.target.host = format!("kz{i}.example");
        page.push_str(&rows.row(&hit, Some(&obs)));
    }
    page.push_str(&rows.row(&a, Some(&obs)));
    for i in 0..2501 {
        let mut clean = a.clone();
        clean.verdict = Verdict::Clean;
        clean.target.host = format!("h{i:04}.example");
        page.push_str(&rows.row(&clean, None));
    }
    page.push_str(&rows.finish(&summary));
    page
}

#[test]
fn flagged_targets_are_grouped_and_the_rest_paged_and_every_element_closed() {
    let page = page();
    assert!(
        page.contains("<h2 id=\"flagged\">Flagged targets (3)</h2>"),
        "{page}"
    );
    assert_eq!(
        page.matches("data-n=\"3\"").count(),
        1,
        "one group of three"
    );
    assert!(page.contains("3 targets in 1 group"));
    assert!(page.contains("<summary>Errors 1–1 of 1</summary>"));
    assert!(page.contains("<summary>Clean targets 2001–2501 of 2501</summary>"));
    assert_eq!(page.matches("<details class=\"page\">").count(), 1 + 3);
    for (open, close) in [
        ("<table", "</table>"),
        ("<details", "</details>"),
        ("<tbody", "</tbody>"),
    ] {
        assert_eq!(
            page.matches(open).count(),
            page.matches(close).count(),
            "{open}"
        );
    }
    assert_eq!(page.matches("<tbody class=\"t\"").count(), 1 + 1 + 2501);
    assert!(page.contains("<section id=\"provenance\">"));
    assert!(page.ends_with("</body></html>\n"));
}

#[test]
fn the_script_hash_is_that_of_the_script_in_the_page() {
    let h = script_hash();
    assert!(h.starts_with("'sha256-") && h.ends_with('\''), "{h}");
    assert_eq!(h.len(), "'sha256-'".len() + 44);
    assert!(!SCRIPT.contains("</script"));
    assert!(page().contains(&format!("<script>{SCRIPT}</script>")));
}
