//! `mitmwatch check`: the one command for "am I intercepted right now?".

use super::analysis::{analyzer_and_data, exit_code, print_notice, validation_time, LIVE};
use crate::cli::CheckArgs;
use anyhow::Result;
use mitmwatch_collect::ProxySettings;
use mitmwatch_core::analyze::{Analyzer, ValidationTime};
use mitmwatch_core::judge::{Input, Judge};
use mitmwatch_core::model::{
    Assessment, Attribution, Category, Observation, ScanLinks, ScanSummary, Status, StoreSource,
    Target, Verdict, STORE_SCHEMA,
};
use mitmwatch_report::{store_text::link_sentence, terminal::escape, text};
use mitmwatch_sim::domains;
use mitmwatch_store::link::scan_links;
use mitmwatch_store::StoreOutcome;
use std::io::Write;

/// Runs the check; returns the exit code.
pub async fn run(args: CheckArgs) -> Result<i32> {
    let (when, _) = validation_time(&args.analysis, LIVE)?;
    let (analyzer, data) = analyzer_and_data(&args.analysis, when)?;
    let store = super::flags_setup::trust_store(&args.analysis.trust)?;
    let collector = super::flags_setup::collector(&args.collect, &store)?;
    // Created before the scan, so a bad path cannot lose the scan.
    let mut saved = match &args.save {
        Some(path) => Some((path, super::output_files::open_output(Some(path))?)),
        None => None,
    };
    let json = args.json();
    // With a proxy configured, the direct path is measured too.
    let proxy = collector.proxy_settings().proxy().cloned();
    let direct_collector = proxy
        .as_ref()
        .map(|_| collector.clone().with_proxy(ProxySettings::direct()));
    let targets: Vec<Target> = domains::popular()
        .into_iter()
        .map(|d| super::flags_setup::apply_sni(Target::new(d, args.collect.port), &args.collect))
        .collect();
    if !json && !super::verbosity::quiet() {
        match &proxy {
            Some(p) => eprintln!(
                "mitmwatch: checking {} popular sites through the proxy {} ({}), then directly...",
                targets.len(),
                escape(&p.to_string()),
                escape(collector.proxy_settings().source())
            ),
            None => eprintln!("mitmwatch: checking {} popular sites...", targets.len()),
        }
    }
    let options = super::flags_setup::scan_options(&args.collect);
    let observations = super::output_files::collect_all(collector, targets.clone(), &options).await;
    let direct_observations = match direct_collector {
        Some(c) => Some(super::output_files::collect_all(c, targets, &options).await),
        None => None,
    };
    if let Some((path, file)) = &mut saved {
        let mut all = observations.clone();
        all.extend(direct_observations.iter().flatten().cloned());
        super::output_files::write_observations(file.as_mut(), path, &all)?;
    }
    let (assessments, summary) = judge_scan(&analyzer, when, &observations)?;
    // Too little reached to say "clean": fewer than half of the sites.
    let min_judged = assessments.len().div_ceil(2);
    let mut code = exit_code(&summary, min_judged, args.analysis.fail_on);
    let direct = match direct_observations {
        None => None,
        Some(obs) => {
            let (assessments, summary) = judge_scan(&analyzer, when, &obs)?;
            let code = exit_code(&summary, min_judged, args.analysis.fail_on);
            Some(DirectPath {
                observations: obs,
                assessments,
                summary,
                code,
            })
        }
    };
    if direct
        .as_ref()
        .is_some_and(|d| d.code == super::exit::INTERCEPTED)
    {
        code = super::exit::INTERCEPTED;
    }
    // The store audit looks at the path that is intercepted.
    let (audited_obs, audited) = match &direct {
        Some(d) if summary_intercepted(&summary) == 0 => (&d.observations, &d.assessments),
        _ => (&observations, &assessments),
    };
    // When interception is found: is the intercepting root installed here?
    let stores = if code == super::exit::INTERCEPTED && !args.no_store {
        let options = super::store::options(&args.stores, Vec::new(), Vec::new())?;
        let audit = super::store::audit(&options, analyzer.catalog());
        let links = scan_links(&audit, None, audited_obs, audited);
        Some(StoreCheck {
            sources: audit.sources.clone(),
            outcome: audit.outcome(),
            links,
        })
    } else {
        None
    };
    // Without a finding: roots added on this machine deserve a mention,
    // since a browser would trust interception through them silently.
    let local_note = if stores.is_none() && !args.no_store && !json {
        let options = super::store::options(&args.stores, Vec::new(), Vec::new())?;
        local_roots_note(&super::store::audit(&options, analyzer.catalog()))
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    if json {
        let store = stores.as_ref().map(|s| {
            serde_json::json!({ "schema": STORE_SCHEMA, "sources": s.sources, "links": s.links.links })
        });
        let mut doc =
            serde_json::json!({ "summary": summary, "assessments": assessments, "store": store });
        if let (Some(p), Some(d)) = (&proxy, &direct) {
            doc["proxy"] = serde_json::json!(p.to_string());
            doc["direct"] =
                serde_json::json!({ "summary": d.summary, "assessments": d.assessments });
        }
        mitmwatch_core::model::json::write_pretty(&mut out, &doc)?;
    } else {
        write!(out, "{}", report(&summary, &assessments, code))?;
        if super::verbosity::verbose() {
            let mut out = anstream::AutoStream::auto(&mut out);
            writeln!(out, "\nEvery site:")?;
            for a in &assessments {
                writeln!(out, "  {}", super::output::coloured_assessment_line(a))?;
            }
        }
        if let (Some(p), Some(d)) = (&proxy, &direct) {
            write!(out, "{}", paths_paragraph(&p.to_string(), &summary, d))?;
        }
        if let Some(stores) = &stores {
            write!(out, "{}", store_paragraph(stores))?;
        }
        if let Some(note) = &local_note {
            write!(out, "\n{}", text::wrap(note, 0, 96))?;
        }
        write!(out, "{}", text::data_used_text(&data))?;
        if let Some(path) = &args.save {
            writeln!(
                out,
                "\nObservations saved to {}; re-analyse them with `mitmwatch analyze -v {}`.",
                super::output_files::shown(path),
                super::output_files::shown(path)
            )?;
        }
    }
    out.flush()?;
    Ok(code)
}

/// Judges the check's observations as one network scan, with the judge
/// every subcommand uses ([`mitmwatch_core::judge`]).
fn judge_scan(
    analyzer: &Analyzer,
    when: ValidationTime,
    observations: &[Observation],
) -> Result<(Vec<Assessment>, ScanSummary)> {
    let input = Input::in_memory("the check", observations.to_vec(), true);
    let mut judged = Judge::new(analyzer, when).judge(input, &mut print_notice)?;
    Ok((judged.assessments()?, judged.summary))
}

/// A note when this machine trusts roots that were added to it (anchor
/// directories, browser databases) and are not in Mozilla's store.
fn local_roots_note(audit: &mitmwatch_store::Audit) -> Option<String> {
    let added = audit
        .roots
        .iter()
        .filter(|r| {
            r.class == mitmwatch_core::model::RootClass::Local && r.trusted() && r.added_locally()
        })
        .count();
    (added > 0).then(|| {
        format!(
            "This machine trusts {added} root{} added to it that {} not in Mozilla's store. \
             mitmwatch judged the sites against Mozilla's store, but browsers here would accept \
             certificates from {} without a warning: run `mitmwatch store` to see {} and where {} \
             came from.",
            if added == 1 { "" } else { "s" },
            if added == 1 { "is" } else { "are" },
            if added == 1 { "it" } else { "them" },
            if added == 1 { "it" } else { "them" },
            if added == 1 { "it" } else { "they" },
        )
    })
}

/// The direct path's measurement, when a proxy is configured.
struct DirectPath {
    observations: Vec<mitmwatch_core::model::Observation>,
    assessments: Vec<Assessment>,
    summary: ScanSummary,
    code: i32,
}

fn summary_intercepted(summary: &ScanSummary) -> usize {
    summary
        .verdicts
        .get(&Verdict::Intercepted)
        .copied()
        .unwrap_or(0)
}

/// Which of the two paths is intercepted, in a sentence or two.
fn paths_paragraph(proxy: &str, proxied: &ScanSummary, direct: &DirectPath) -> String {
    let through = summary_intercepted(proxied);
    let straight = summary_intercepted(&direct.summary);
    let reached =
        |s: &ScanSummary| s.targets - s.verdicts.get(&Verdict::Error).copied().unwrap_or(0);
    let proxy = escape(proxy);
    let mut s = String::from("\nPaths compared:\n");
    s.push_str(&format!(
        "  through the proxy {proxy}: {through} of {} reached intercepted\n",
        mitmwatch_core::plural::count(reached(proxied), "site", "sites")
    ));
    s.push_str(&format!(
        "  direct, without a proxy: {straight} of {} reached intercepted\n",
        mitmwatch_core::plural::count(reached(&direct.summary), "site", "sites")
    ));
    let conclusion = match (through > 0, straight > 0) {
        (true, false) if direct.code == super::exit::INCONCLUSIVE => format!(
            "The proxied path is intercepted; the direct path could not be judged (most sites \
             could not be reached without the proxy), so the interceptor may be the proxy {proxy} \
             or something before it."
        ),
        (true, false) => format!(
            "Interception happens at or behind the proxy {proxy}: the direct path is not intercepted."
        ),
        (false, true) => "The direct path is intercepted and the proxied one is not: the interceptor \
             is on the network path that bypasses the proxy."
            .to_string(),
        (true, true) => "Both paths are intercepted: the interceptor sits on this machine or on the \
             network before the proxy (or the proxy and the direct path are intercepted separately)."
            .to_string(),
        (false, false) => "Neither path is intercepted.".to_string(),
    };
    s.push_str(&text::wrap(&conclusion, 2, 96));
    s
}

/// What the trust-store audit says about the interception `check` found.
struct StoreCheck {
    sources: Vec<StoreSource>,
    outcome: StoreOutcome,
    links: ScanLinks,
}

/// The verdict's paragraph about this machine's trust stores.
fn store_paragraph(stores: &StoreCheck) -> String {
    let mut s = String::from("\nThis machine's trust stores:\n");
    if stores.outcome == StoreOutcome::NothingRead {
        s.push_str(&text::wrap(
            "mitmwatch could not read any trust store on this machine, so it cannot tell whether the \
             intercepting root is installed. Run `mitmwatch store` for details.",
            2,
            96,
        ));
        return s;
    }
    for link in &stores.links.links {
        s.push_str(&text::wrap(&link_sentence(link), 2, 96));
    }
    s.push_str(&text::wrap(
        &format!(
            "({} read; `mitmwatch store` lists every root they hold.)",
            mitmwatch_core::plural::count(
                stores
                    .sources
                    .iter()
                    .filter(|s| s.status == mitmwatch_core::model::SourceStatus::Read)
                    .count(),
                "store",
                "stores"
            )
        ),
        2,
        96,
    ));
    s
}

fn report(summary: &ScanSummary, assessments: &[Assessment], code: i32) -> String {
    let mut s = String::new();
    let headline = match code {
        super::exit::INTERCEPTED => "YOUR CONNECTIONS ARE BEING INTERCEPTED".to_string(),
        super::exit::INCONCLUSIVE => format!(
            "INCONCLUSIVE: too few sites could be reached ({})",
            failure_breakdown(assessments)
        ),
        _ => "No interception found".to_string(),
    };
    s.push_str(&format!("\n{headline}\n\n"));
    s.push_str(&text::summary_text(summary));
    // Intercepted sites are listed, grouped by interceptor, in the summary.
    let suspicious: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| a.verdict == Verdict::Suspicious)
        .collect();
    if !suspicious.is_empty() {
        s.push_str("\nSuspicious (not conclusive on their own):\n");
        for a in &suspicious {
            s.push_str(&format!("  {}\n", text::assessment_line(a)));
        }
    }
    s.push('\n');
    if code == super::exit::INTERCEPTED {
        if let Some(note) = attribution_note(summary) {
            s.push_str(&text::wrap(&note, 0, 96));
            s.push('\n');
        }
    }
    s.push_str(&text::wrap(&advice(summary, assessments, code), 0, 96));
    s
}

/// How the sites that gave no chain failed, most common first:
/// "all 63 failed: 63 dns-failed", "40 of 63 failed: 30 connect-timeout, …".
fn failure_breakdown(assessments: &[Assessment]) -> String {
    let failed: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| a.status != Status::Ok)
        .collect();
    let mut counts: Vec<(Status, usize)> = Status::ALL
        .iter()
        .map(|s| (*s, failed.iter().filter(|a| a.status == *s).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let by_status: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let share = if failed.len() == assessments.len() {
        format!("all {} failed", failed.len())
    } else {
        format!("{} of {} failed", failed.len(), assessments.len())
    };
    match by_status.is_empty() {
        true => share,
        false => format!("{share}: {}", by_status.join(", ")),
    }
}

fn advice(summary: &ScanSummary, assessments: &[Assessment], code: i32) -> String {
    if code == super::exit::INCONCLUSIVE {
        let all_dns =
            !assessments.is_empty() && assessments.iter().all(|a| a.status == Status::DnsFailed);
        let cause = if all_dns {
            "No site's name could be resolved: this machine looks offline, or its DNS does not work."
        } else {
            "Most sites could not be reached."
        };
        return format!(
            "{cause} mitmwatch cannot tell whether your connections are intercepted. Check that \
             you are online, then run the check again (`-v` lists every site and its failure)."
        );
    }
    let Some(top) = summary.interceptors.first() else {
        return if code == super::exit::INTERCEPTED {
            "Someone who is not the real website answered for these sites with certificates of their own. \
             Anyone able to do that can read and change what you send, including passwords. Avoid logging \
             in to anything on this network, and use a VPN you trust or Tor."
                .into()
        } else {
            "Every site that answered presented its genuine certificate chain. mitmwatch cannot see \
             interception that targets other sites or other times."
                .into()
        };
    };
    what_it_means(top.interceptor.category, &escape(&top.interceptor.label))
}

/// A paragraph before the advice when the interceptor named in it is
/// identified by name only: the advice then rests on a name.
fn attribution_note(summary: &ScanSummary) -> Option<String> {
    let top = summary.interceptors.first()?;
    let who = escape(&top.interceptor.label);
    match (top.interceptor.matched_by, top.interceptor.category) {
        (Attribution::Key, _) => None,
        (Attribution::Name, Some(_)) => Some(format!(
            "Identified by name only: the certificates carry the name of {who} but not a key \
             mitmwatch knows for it, so this may be a re-issued root or an imitation."
        )),
        (Attribution::Name, None) => Some(
            "Identified by name only: this CA did not send its own certificate, so mitmwatch \
             knows it only by the name in the certificates it signed."
                .into(),
        ),
    }
}

/// The advice for an interceptor of this category.
fn what_it_means(category: Option<Category>, who: &str) -> String {
    match category {
        Some(Category::StateInterception) => format!(
            "What this means: {who} is decrypting your connections to these sites. Whoever operates it can \
             read and change what you send them, including passwords and messages. What to do: do not log \
             in to these sites on this network; use a VPN you trust or Tor. If you were asked to install a \
             security certificate (in Kazakhstan: 'Qaznet Trust Network' or 'Information Security \
             Certification Authority'), remove it from your browser and system trust stores: browsers \
             block these roots, and removing it makes interception visible instead of silent."
        ),
        Some(Category::CorporateProxy) => format!(
            "What this means: your network inspects encrypted traffic with {who}. On a work or school \
             device this is often deliberate policy. What to do: if this is your own device or you did \
             not agree to it, ask the network's administrator, and avoid personal logins on this network."
        ),
        Some(Category::Antivirus) => format!(
            "What this means: security software on this computer ({who}) decrypts your traffic to scan \
             it. What to do: if you did not intend that, turn off its HTTPS or web-shield scanning; a \
             flaw in such software exposes every connection."
        ),
        Some(Category::DebuggingProxy) => format!(
            "What this means: a debugging proxy ({who}) is intercepting. If you are a developer running \
             it, this is expected. Otherwise remove its root certificate from your trust stores: someone \
             installed it to read your traffic."
        ),
        Some(Category::Adware) | Some(Category::CompromisedKey) => format!(
            "What this means: your connections are signed with {who}, whose private key is public or \
             misused: anyone on your network can read them. What to do: remove that root certificate from \
             your system and browsers now, and check the machine for the software that installed it."
        ),
        Some(Category::Test) => format!("A test interception root ({who}) is in use: this is a test setup."),
        None => format!(
            "What this means: an unidentified party ({who}) answered for these sites with certificates of \
             its own. Anyone able to do that can read and change what you send. Avoid logging in to \
             anything on this network, and use a VPN you trust or Tor."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitmwatch_core::model::{Interceptor, InterceptorHits};

    fn summary(matched_by: Attribution, category: Option<Category>) -> ScanSummary {
        ScanSummary {
            record_type: "summary".into(),
            schema: mitmwatch_core::model::ASSESSMENT_SCHEMA,
            targets: 2,
            verdicts: [(Verdict::Intercepted, 1), (Verdict::Clean, 1)].into(),
            statuses: Default::default(),
            interceptors: vec![InterceptorHits {
                interceptor: Interceptor {
                    id: "kz-qaznet-trust-network".into(),
                    label: "'Qaznet Trust Network'".into(),
                    category,
                    matched_by,
                },
                domains: vec!["facebook.com".into()],
            }],
            pattern: None,
            provenance: None,
            conclusion: String::new(),
        }
    }

    #[test]
    fn a_name_only_attribution_is_said_before_the_advice() {
        let state = Some(Category::StateInterception);
        assert_eq!(attribution_note(&summary(Attribution::Key, state)), None);
        let by_name = attribution_note(&summary(Attribution::Name, state)).unwrap();
        assert!(
            by_name.starts_with("Identified by name only")
                && by_name.contains("re-issued root or an imitation"),
            "{by_name}"
        );
        let unknown = attribution_note(&summary(Attribution::Name, None)).unwrap();
        assert!(
            unknown.contains("did not send its own certificate"),
            "{unknown}"
        );
        // The paragraph comes before the advice in the verdict.
        let text = report(
            &summary(Attribution::Name, state),
            &[],
            super::super::exit::INTERCEPTED,
        );
        let note = text.find("Identified by name only").unwrap();
        assert!(note < text.find("What this means").unwrap(), "{text}");
    }
}

#[cfg(test)]
mod paths_tests {
    use super::*;

    fn summary(intercepted: usize, clean: usize, errors: usize) -> ScanSummary {
        ScanSummary {
            record_type: "summary".into(),
            schema: mitmwatch_core::model::ASSESSMENT_SCHEMA,
            targets: intercepted + clean + errors,
            verdicts: [
                (Verdict::Intercepted, intercepted),
                (Verdict::Clean, clean),
                (Verdict::Error, errors),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect(),
            statuses: Default::default(),
            interceptors: Vec::new(),
            pattern: None,
            conclusion: String::new(),
            provenance: None,
        }
    }

    fn direct(s: ScanSummary, code: i32) -> DirectPath {
        DirectPath {
            observations: Vec::new(),
            assessments: Vec::new(),
            summary: s,
            code,
        }
    }

    #[test]
    fn the_paragraph_says_which_path_is_intercepted() {
        use super::super::exit::{INCONCLUSIVE, INTERCEPTED, OK};
        let p = "http://proxy.example:3128";
        let text = paths_paragraph(p, &summary(4, 0, 0), &direct(summary(0, 4, 0), OK));
        assert!(text.contains("through the proxy http://proxy.example:3128: 4 of 4"));
        assert!(text.contains("direct, without a proxy: 0 of 4"));
        assert!(
            text.contains("Interception happens at or behind the proxy"),
            "{text}"
        );
        let text = paths_paragraph(p, &summary(0, 4, 0), &direct(summary(3, 1, 0), INTERCEPTED));
        assert!(text.contains("bypasses the proxy"), "{text}");
        let text = paths_paragraph(p, &summary(4, 0, 0), &direct(summary(2, 2, 0), INTERCEPTED));
        assert!(text.contains("Both paths are intercepted"), "{text}");
        let text = paths_paragraph(
            p,
            &summary(4, 0, 0),
            &direct(summary(0, 0, 4), INCONCLUSIVE),
        );
        assert!(text.contains("direct path could not be judged"), "{text}");
        assert!(text.contains("direct, without a proxy: 0 of 0"), "{text}");
        let text = paths_paragraph(p, &summary(0, 4, 0), &direct(summary(0, 4, 0), OK));
        assert!(text.contains("Neither path is intercepted"), "{text}");
        // A proxy URL with control characters is escaped for the terminal.
        let text = paths_paragraph(
            "http://a\x1b[31m:1",
            &summary(0, 1, 0),
            &direct(summary(0, 1, 0), OK),
        );
        assert!(!text.contains('\x1b'), "{text:?}");
    }
}
