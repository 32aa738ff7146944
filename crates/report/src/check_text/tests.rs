use super::*;
use mitmwatch_core::analyze::summary::summarise;
use mitmwatch_core::model::{DataUsed, LinkStatus, ScanLink, StoreSource};

const LABEL: &str = "'Qaznet Trust Network', Kazakhstan state interception (Kazakhtelecom, 2019)";

/// An assessment of `host` with `verdict`; `who` names an interceptor
/// (matched by name, state interception).
fn site(host: &str, verdict: &str, status: &str, who: Option<&str>) -> Assessment {
    let interceptor = who.map_or("null".to_string(), |label| {
        format!(
            r#"{{"id":"kz","label":{},"category":"state-interception","matched_by":"name"}}"#,
            serde_json::to_string(label).unwrap()
        )
    });
    let findings = match verdict {
        "suspicious" => {
            r#"[{"code":"untrusted-root","severity":"medium","title":"The chain does not build to a trusted root",
            "explanation":"x","evidence":{"cert_index":null,"subject":null,"sha256":null,"spki_sha256":null,"catalog_id":null,"detail":null}}]"#
        }
        _ => "[]",
    };
    serde_json::from_str(&format!(
        r#"{{"type":"assessment","schema":2,"target":{{"host":"{host}","port":443,"sni":"{host}"}},
        "address":null,"observed_at":"2026-06-01T00:00:00Z","validated_at":"2026-06-01T00:00:00Z",
        "status":"{status}","failure":null,"verdict":"{verdict}","chain_trust":null,
        "interceptor":{interceptor},"leaf":null,"findings":{findings}}}"#
    ))
    .unwrap()
}

fn data(trust_store: &str) -> DataUsed {
    DataUsed {
        ct_log_list: "built-in certs/ct/log_list.json".into(),
        pins: "built-in certs/pins.json".into(),
        catalog: "built-in catalog, 52 entries".into(),
        trust_store: trust_store.into(),
    }
}

fn path(assessments: Vec<Assessment>) -> CheckPath {
    CheckPath::new(summarise(&assessments, true), assessments)
}

fn report(assessments: Vec<Assessment>) -> CheckReport {
    CheckReport::new(
        time::macros::datetime!(2026-06-01 00:00 UTC),
        Some(time::macros::datetime!(2026-06-01 00:00:00.123456789 UTC)),
        (None, path(assessments)),
        None,
        data("webpki-roots (Mozilla, 146 roots)"),
    )
}

/// 3 sites intercepted by the Qaznet label, 2 clean.
fn intercepted() -> CheckReport {
    let mut sites: Vec<Assessment> = ["a.kz", "b.kz", "c.kz"]
        .iter()
        .map(|h| site(h, "intercepted", "ok", Some(LABEL)))
        .collect();
    sites.push(site("example.com", "clean", "ok", None));
    sites.push(site("example.org", "clean", "ok", None));
    report(sites)
}

fn store(links: Vec<ScanLink>, added_roots: usize) -> CheckStore {
    CheckStore {
        schema: 1,
        sources: vec![serde_json::from_str::<StoreSource>(
            r#"{"kind":"bundle","path":"/etc/ssl/certs/ca-certificates.crt","status":"read","certificates":140,"errors":[]}"#,
        )
        .unwrap()],
        links,
        added_roots,
        compared_with: "webpki-roots (Mozilla, 146 roots)".into(),
    }
}

#[test]
fn the_first_line_is_the_verdict_with_its_count() {
    let text = render(&intercepted(), &CheckText::default());
    assert!(
        text.starts_with("YOUR CONNECTIONS ARE BEING INTERCEPTED: 3 of 5 sites\n"),
        "{text}"
    );
    let clean = report(vec![
        site("example.com", "clean", "ok", None),
        site("example.org", "clean", "ok", None),
        site("example.net", "error", "connect-refused", None),
    ]);
    assert_eq!(clean.verdict, CheckVerdict::Clean);
    let text = render(&clean, &CheckText::default());
    assert!(
        text.starts_with(
            "No interception found: 2 of 3 sites answered with their genuine certificates\n"
        ),
        "{text}"
    );
    let unreachable = report(vec![
        site("example.com", "error", "dns-failed", None),
        site("example.org", "error", "dns-failed", None),
    ]);
    let text = render(&unreachable, &CheckText::default());
    assert!(
        text.starts_with(
            "INCONCLUSIVE: too few sites could be reached (all 2 failed: 2 dns-failed)\n"
        ),
        "{text}"
    );
    assert!(text.contains("this machine looks offline"), "{text}");
}

#[test]
fn the_interceptor_is_named_once_and_the_text_fits_the_width() {
    for width in [40, 80, 120] {
        let how = CheckText {
            width,
            ..CheckText::default()
        };
        let text = render(&intercepted(), &how);
        // The label wraps with the text: compare without line breaks.
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(flat.matches(LABEL).count(), 1, "{text}");
        assert!(flat.contains("identified by name only"), "{text}");
        assert!(flat.contains("What this means: this interceptor"), "{text}");
        assert!(
            flat.contains("The other 2 sites that answered were left alone"),
            "{text}"
        );
        // Every line but the headline, which stays one line for `head -1`.
        for line in text.lines().skip(1) {
            assert!(
                line.chars().count() <= width || !line.trim().contains(' '),
                "wider than {width}: {line:?}"
            );
        }
    }
}

#[test]
fn the_headline_is_coloured_only_when_asked() {
    let plain = render(&intercepted(), &CheckText::default());
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let styled = render(
        &intercepted(),
        &CheckText {
            styled: true,
            ..CheckText::default()
        },
    );
    assert!(
        styled.starts_with("\x1b[1m\x1b[31mYOUR CONNECTIONS ARE BEING INTERCEPTED"),
        "{styled:?}"
    );
}

#[test]
fn suspicious_sites_name_no_interceptor() {
    let mut sites = vec![site(
        "odd.example",
        "suspicious",
        "ok",
        Some("unknown CA 'CN=Odd'"),
    )];
    sites.extend((0..3).map(|i| site(&format!("s{i}.example"), "clean", "ok", None)));
    let r = report(sites);
    assert_eq!(r.verdict, CheckVerdict::Suspicious);
    let text = render(&r, &CheckText::default());
    assert!(
        text.starts_with("SUSPICIOUS, not proven: 1 of 4 sites could not be vouched for"),
        "{text}"
    );
    assert!(!text.contains("unknown CA"), "{text}");
    assert!(!text.contains(" by "), "{text}");
    assert!(
        text.contains("The chain does not build to a trusted root"),
        "{text}"
    );
}

#[test]
fn the_added_roots_note_names_the_store_the_sites_were_judged_against() {
    let mut r = report(vec![
        site("example.com", "clean", "ok", None),
        site("example.org", "clean", "ok", None),
    ]);
    r.data_used = data("/tmp/my-roots.pem (1 root)");
    r.store = Some(store(Vec::new(), 2));
    let text = render(&r, &CheckText::default());
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "This machine trusts 2 roots added to it that are not in webpki-roots (Mozilla, 146 \
             roots). mitmwatch judged the sites against /tmp/my-roots.pem (1 root)"
        ),
        "{text}"
    );
    r.store = Some(store(Vec::new(), 0));
    assert!(!render(&r, &CheckText::default()).contains("This machine trusts"));
}

#[test]
fn an_installed_root_is_tied_to_the_interceptor_without_naming_it_again() {
    let mut r = intercepted();
    let link: ScanLink = ScanLink {
        domains: vec!["a.kz".into(), "b.kz".into(), "c.kz".into()],
        interceptor: r.measured.assessments[0].interceptor.clone(),
        status: LinkStatus::Installed,
        matched_by: None,
        root_sha256: None,
        root_subject: None,
        locations: Vec::new(),
    };
    r.store = Some(store(vec![link], 0));
    let text = render(&r, &CheckText::default());
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(flat.matches(LABEL).count(), 1, "{text}");
    assert!(
        flat.contains("intercepted by a root that is installed on this machine (in no store)"),
        "{text}"
    );
}

#[test]
fn a_name_only_attribution_is_said_before_the_advice() {
    let text = render(&intercepted(), &CheckText::default());
    let note = text.find("identified by name only").unwrap();
    assert!(note < text.find("What this means").unwrap(), "{text}");
}

#[test]
fn the_validation_time_is_shown_to_the_second() {
    let text = render(&intercepted(), &CheckText::default());
    assert!(
        text.contains("validated:   certificates as of 2026-06-01T00:00:00Z\n"),
        "{text}"
    );
}

#[test]
fn the_paths_paragraph_says_which_path_is_intercepted() {
    let p = "http://proxy.example:3128";
    let sites = |n: usize, verdict: &str, status: &str| -> Vec<Assessment> {
        (0..n)
            .map(|i| site(&format!("s{i}.example"), verdict, status, Some(LABEL)))
            .collect()
    };
    let with = |proxied: Vec<Assessment>, direct: Vec<Assessment>| {
        let r = CheckReport::new(
            time::macros::datetime!(2026-06-01 00:00 UTC),
            None,
            (Some(p.into()), path(proxied)),
            Some(path(direct)),
            data("webpki-roots"),
        );
        render(&r, &CheckText::default())
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let text = with(sites(4, "intercepted", "ok"), sites(4, "clean", "ok"));
    assert!(
        text.contains("through the proxy http://proxy.example:3128: 4 of 4 sites reached"),
        "{text}"
    );
    assert!(text.contains("direct, without a proxy: 0 of 4"), "{text}");
    assert!(
        text.contains("Interception happens at or behind the proxy"),
        "{text}"
    );
    let text = with(sites(4, "clean", "ok"), sites(3, "intercepted", "ok"));
    assert!(text.contains("bypasses the proxy"), "{text}");
    assert!(
        text.starts_with("YOUR CONNECTIONS ARE BEING INTERCEPTED: 3 of 3 sites on the direct path"),
        "{text}"
    );
    let text = with(sites(4, "intercepted", "ok"), sites(2, "intercepted", "ok"));
    assert!(text.contains("Both paths are intercepted"), "{text}");
    let text = with(
        sites(4, "intercepted", "ok"),
        sites(4, "error", "connect-refused"),
    );
    assert!(text.contains("direct path could not be judged"), "{text}");
    let text = with(sites(4, "clean", "ok"), sites(4, "clean", "ok"));
    assert!(text.contains("Neither path is intercepted"), "{text}");
    // A proxy URL with control characters is escaped for the terminal.
    let r = CheckReport::new(
        time::macros::datetime!(2026-06-01 00:00 UTC),
        None,
        (
            Some("http://a\x1b[31m:1".into()),
            path(sites(1, "clean", "ok")),
        ),
        Some(path(sites(1, "clean", "ok"))),
        data("webpki-roots"),
    );
    assert!(!render(&r, &CheckText::default()).contains('\x1b'));
}
