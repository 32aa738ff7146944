//! The text of `mitmwatch check` for the worried person: the verdict with
//! its count on the first line, then who intercepted (named once), what it
//! means and what to do, the paths and trust stores, and the data used.
//! Everything from the network or a file goes through [`escape`]; the
//! text is wrapped to the width the caller gives (the terminal's).

use super::store_text::link_sentence_calling;
use super::terminal::escape;
use super::text::{assessment_line, data_used_text, styled_assessment_line, wrap};
use anstyle::{AnsiColor, Style};
use mitmwatch_core::model::{
    Assessment, Attribution, Category, CheckPath, CheckReport, CheckStore, CheckVerdict,
    InterceptorHits, Pattern, SourceStatus, Status, Verdict,
};
use mitmwatch_core::plural::count;

/// How to lay the text out.
#[derive(Clone, Debug)]
pub struct CheckText {
    /// Columns to wrap at (the terminal's width; 80 when unknown).
    pub width: usize,
    /// `-v`: list every site with its verdict.
    pub verbose: bool,
    /// Colour the headline and verdict labels (ANSI styles).
    pub styled: bool,
    /// Where the observations were saved (`--save`), already escaped.
    pub saved: Option<String>,
}

impl Default for CheckText {
    fn default() -> Self {
        CheckText {
            width: 80,
            verbose: false,
            styled: false,
            saved: None,
        }
    }
}

/// The style of a check verdict's headline.
fn headline_style(v: CheckVerdict) -> Style {
    let colour = match v {
        CheckVerdict::Intercepted => AnsiColor::Red,
        CheckVerdict::Suspicious => AnsiColor::Yellow,
        CheckVerdict::Inconclusive => AnsiColor::Magenta,
        CheckVerdict::Clean => AnsiColor::Green,
    };
    Style::new().fg_color(Some(colour.into())).bold()
}

/// The first line, without styles: the verdict and its count.
pub fn headline(report: &CheckReport) -> String {
    let m = &report.measured.counts;
    match report.verdict {
        CheckVerdict::Intercepted if report.only_direct_intercepted() => {
            let d = report.intercepted_path().counts;
            format!(
                "YOUR CONNECTIONS ARE BEING INTERCEPTED: {} of {} on the direct path",
                d.intercepted,
                count(d.sites, "site", "sites")
            )
        }
        CheckVerdict::Intercepted => format!(
            "YOUR CONNECTIONS ARE BEING INTERCEPTED: {} of {}",
            m.intercepted,
            count(m.sites, "site", "sites")
        ),
        CheckVerdict::Inconclusive => format!(
            "INCONCLUSIVE: too few sites could be reached ({})",
            failure_breakdown(&report.measured.assessments)
        ),
        CheckVerdict::Suspicious => format!(
            "SUSPICIOUS, not proven: {} of {} could not be vouched for",
            m.suspicious,
            count(m.sites, "site", "sites")
        ),
        CheckVerdict::Clean => format!(
            "No interception found: {} of {} answered with their genuine certificates",
            m.reached,
            count(m.sites, "site", "sites")
        ),
    }
}

/// The whole text of a check.
pub fn render(report: &CheckReport, how: &CheckText) -> String {
    let width = how.width.max(40);
    let mut s = String::new();
    let line = headline(report);
    if how.styled {
        let style = headline_style(report.verdict);
        s.push_str(&format!("{style}{line}{style:#}\n"));
    } else {
        s.push_str(&line);
        s.push('\n');
    }
    let path = report.intercepted_path();
    let single = path.summary.interceptors.len() == 1;
    if report.verdict == CheckVerdict::Intercepted {
        s.push('\n');
        s.push_str(&interceptors_text(path, width));
    }
    let suspicious: Vec<&Assessment> = report
        .measured
        .assessments
        .iter()
        .filter(|a| a.verdict == Verdict::Suspicious)
        .collect();
    if !suspicious.is_empty() && !how.verbose {
        s.push_str(&format!(
            "\nSuspicious, not conclusive on their own ({}):\n",
            count(suspicious.len(), "site", "sites")
        ));
        for a in &suspicious {
            s.push_str(&format!("  {}\n", line_of(a, how.styled)));
        }
    }
    s.push('\n');
    s.push_str(&wrap(&advice(report, single), 0, width));
    if how.verbose {
        s.push_str("\nEvery site:\n");
        for a in &report.measured.assessments {
            s.push_str(&format!("  {}\n", line_of(a, how.styled)));
        }
    }
    if let (Some(proxy), Some(direct)) = (&report.proxy, &report.direct) {
        s.push_str(&paths_paragraph(proxy, report, direct, width));
    }
    if let Some(store) = &report.store {
        s.push_str(&store_paragraph(report, store, single, width));
    }
    s.push_str(&data_used_wrapped(report, width));
    if let Some(saved) = &how.saved {
        s.push('\n');
        s.push_str(&wrap(
            &format!(
                "Observations saved to {saved}; re-analyse them with `mitmwatch analyze -v {saved}`."
            ),
            0,
            width,
        ));
    }
    s
}

fn line_of(a: &Assessment, styled: bool) -> String {
    if styled {
        styled_assessment_line(a)
    } else {
        assessment_line(a)
    }
}

/// The interceptors of the intercepted path, each named once, with the
/// sites it intercepted and how it chose them.
fn interceptors_text(path: &CheckPath, width: usize) -> String {
    let mut s = String::new();
    let hits: Vec<InterceptorHits> = if path.summary.interceptors.is_empty() {
        // Intercepted, but no chain named anyone.
        let mut domains: Vec<String> = path
            .assessments
            .iter()
            .filter(|a| a.verdict == Verdict::Intercepted)
            .map(|a| a.target.expected_name().to_string())
            .collect();
        domains.sort();
        domains.dedup();
        vec![InterceptorHits {
            interceptor: mitmwatch_core::model::Interceptor {
                id: String::new(),
                label: "an unidentified party".into(),
                category: None,
                matched_by: Attribution::Name,
            },
            domains,
        }]
    } else {
        path.summary.interceptors.clone()
    };
    for hit in &hits {
        let who = &hit.interceptor;
        let how = match (who.id.is_empty(), who.matched_by, who.category) {
            (true, _, _) => String::new(),
            (false, Attribution::Key, _) => ", identified by its key".into(),
            (false, Attribution::Name, Some(_)) => ", identified by name only: the certificates \
                 carry this name but not a key mitmwatch knows for it, so this may be a re-issued \
                 root or an imitation"
                .into(),
            (false, Attribution::Name, None) => ", identified by name only: this CA did not send \
                 its own certificate, so mitmwatch knows it only by the name in the certificates \
                 it signed"
                .into(),
        };
        s.push_str(&wrap(
            &format!(
                "Intercepted by {}{how}.",
                if who.id.is_empty() {
                    who.label.clone()
                } else {
                    escape(&who.label)
                }
            ),
            0,
            width,
        ));
        s.push_str(&format!(
            "  {}:\n",
            count(hit.domains.len(), "site", "sites")
        ));
        s.push_str(&wrap(&escape(&hit.domains.join(", ")), 4, width));
    }
    let others = path.counts.reached - path.counts.intercepted;
    let named = path
        .assessments
        .iter()
        .any(|a| a.verdict == Verdict::Intercepted && a.target.sni.is_some());
    let pattern = match path.summary.pattern {
        Some(Pattern::Blanket) => Some(
            "Every site that answered was intercepted: this is blanket interception, typical of a \
             corporate proxy, a firewall or antivirus software on this machine."
                .to_string(),
        ),
        Some(Pattern::Targeted) if named => Some(format!(
            "The other {} that answered {} left alone: this is targeted interception, triggered by \
             the name you connect to (SNI), the pattern of the Kazakhstan state interception.",
            count(others, "site", "sites"),
            mitmwatch_core::plural::noun(others, "was", "were")
        )),
        Some(Pattern::Targeted) => Some(format!(
            "The other {} that answered {} left alone: this is targeted interception. No server \
             name (SNI) was sent, so it was chosen by address and port, not by name.",
            count(others, "site", "sites"),
            mitmwatch_core::plural::noun(others, "was", "were")
        )),
        None => None,
    };
    if let Some(p) = pattern {
        s.push_str(&wrap(&p, 0, width));
    }
    s
}

/// How the sites that gave no chain failed, most common first:
/// "all 63 failed: 63 dns-failed", "40 of 63 failed: 30 connect-timeout, …".
pub fn failure_breakdown(assessments: &[Assessment]) -> String {
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

/// What the verdict means and what to do, in plain words.
fn advice(report: &CheckReport, single: bool) -> String {
    let assessments = &report.measured.assessments;
    match report.verdict {
        CheckVerdict::Inconclusive => {
            let all_dns = !assessments.is_empty()
                && assessments.iter().all(|a| a.status == Status::DnsFailed);
            let cause = if all_dns {
                "No site's name could be resolved: this machine looks offline, or its DNS does not work."
            } else {
                "Most sites could not be reached."
            };
            format!(
                "{cause} mitmwatch cannot tell whether your connections are intercepted. Check that \
                 you are online, then run the check again (`-v` lists every site and its failure)."
            )
        }
        CheckVerdict::Suspicious => "Nothing proves interception, but the sites above answered with \
             something mitmwatch cannot vouch for; each has a harmless explanation too (a server's own \
             misconfiguration, a network device). Run `mitmwatch check -v` again later, or from another \
             network, and compare: interception repeats, a misconfigured site stays the same everywhere."
            .into(),
        CheckVerdict::Clean => "Every site that answered presented its genuine certificate chain. \
             mitmwatch cannot see interception that targets other sites or other times."
            .into(),
        CheckVerdict::Intercepted => {
            let path = report.intercepted_path();
            match path.summary.interceptors.first() {
                None => "What this means: someone who is not the real website answered for these \
                     sites with certificates of their own. Anyone able to do that can read and change \
                     what you send, including passwords. What to do: avoid logging in to anything on \
                     this network, and use a VPN you trust or Tor."
                    .into(),
                Some(top) => {
                    let who = if single {
                        "this interceptor".to_string()
                    } else {
                        short_name(&top.interceptor.label)
                    };
                    what_it_means(top.interceptor.category, &who)
                }
            }
        }
    }
}

/// The name part of a catalog label, escaped: the text before its first
/// ", " ("'Qaznet Trust Network'" of "'Qaznet Trust Network', Kazakhstan
/// state interception (Kazakhtelecom, 2019)").
fn short_name(label: &str) -> String {
    escape(label.split(", ").next().unwrap_or(label))
}

/// The advice for an interceptor of this category; `who` is escaped.
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
        Some(Category::Test) => {
            format!("What this means: a test interception root ({who}) is in use: this is a test setup.")
        }
        None => format!(
            "What this means: an unidentified party ({who}) answered for these sites with certificates of \
             its own. Anyone able to do that can read and change what you send. What to do: avoid logging \
             in to anything on this network, and use a VPN you trust or Tor."
        ),
    }
}

/// Which of the two paths is intercepted, in a sentence or two.
fn paths_paragraph(proxy: &str, report: &CheckReport, direct: &CheckPath, width: usize) -> String {
    let proxied = &report.measured.counts;
    let straight = &direct.counts;
    let proxy = escape(proxy);
    let mut s = String::from("\nPaths compared:\n");
    s.push_str(&wrap(
        &format!(
            "through the proxy {proxy}: {} of {} reached intercepted",
            proxied.intercepted,
            count(proxied.reached, "site", "sites")
        ),
        2,
        width,
    ));
    s.push_str(&wrap(
        &format!(
            "direct, without a proxy: {} of {} reached intercepted",
            straight.intercepted,
            count(straight.reached, "site", "sites")
        ),
        2,
        width,
    ));
    let conclusion = match (proxied.intercepted > 0, straight.intercepted > 0) {
        (true, false) if direct.verdict == CheckVerdict::Inconclusive => format!(
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
    s.push_str(&wrap(&conclusion, 2, width));
    s
}

/// What this machine's trust stores say: for an interception, whether its
/// root is installed here; otherwise, roots added to this machine.
fn store_paragraph(report: &CheckReport, store: &CheckStore, single: bool, width: usize) -> String {
    let read = store
        .sources
        .iter()
        .filter(|s| s.status == SourceStatus::Read)
        .count();
    if report.verdict != CheckVerdict::Intercepted {
        if store.added_roots == 0 {
            return String::new();
        }
        let n = store.added_roots;
        let plural =
            |one: &'static str, many: &'static str| mitmwatch_core::plural::noun(n, one, many);
        return format!(
            "\n{}",
            wrap(
                &format!(
                    "This machine trusts {} added to it that {} not in {}. mitmwatch judged the sites \
                     against {}, but browsers here would accept certificates from {} without a warning: \
                     run `mitmwatch store` to see {} and where {} came from.",
                    count(n, "root", "roots"),
                    plural("is", "are"),
                    escape(&store.compared_with),
                    escape(&report.data_used.trust_store),
                    plural("it", "them"),
                    plural("it", "them"),
                    plural("it", "they"),
                ),
                0,
                width,
            )
        );
    }
    let mut s = String::from("\nThis machine's trust stores:\n");
    if read == 0 {
        s.push_str(&wrap(
            "mitmwatch could not read any trust store on this machine, so it cannot tell whether the \
             intercepting root is installed. Run `mitmwatch store` for details.",
            2,
            width,
        ));
        return s;
    }
    let who = single.then_some("the interceptor above");
    for link in &store.links {
        s.push_str(&wrap(&link_sentence_calling(link, who), 2, width));
    }
    s.push_str(&wrap(
        &format!(
            "({} read; `mitmwatch store` lists every root they hold.)",
            count(read, "store", "stores")
        ),
        2,
        width,
    ));
    s
}

/// The "Data used" block, wrapped to `width`.
fn data_used_wrapped(report: &CheckReport, width: usize) -> String {
    let block = data_used_text(&report.data_used, width);
    match report.validated_at {
        Some(at) => block + &validated_line(at, width),
        None => block,
    }
}

fn validated_line(at: time::OffsetDateTime, width: usize) -> String {
    let text = wrap(
        &format!(
            "certificates as of {}",
            mitmwatch_core::encoding::rfc3339_seconds(at)
        ),
        15,
        width,
    );
    format!("  {:<13}{}", "validated:", text.get(15..).unwrap_or("\n"))
}

#[cfg(test)]
mod tests;
