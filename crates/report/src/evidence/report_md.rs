//! `REPORT.md`: one interceptor, written for a browser vendor's bug
//! tracker: what was seen, the fingerprints to block, how to reproduce it
//! with mitmwatch, and every certificate in detail. Everything that came
//! from the network is written through [`code`] or [`cell`].

use super::markdown::{cell, code, quote};
// Times to the second: fractions only make the report harder to read.
use mitmwatch_core::encoding::rfc3339_seconds as rfc3339;
use mitmwatch_core::model::{Attribution, CertRole, EvidenceCert, InterceptionEvidence, Severity};
use mitmwatch_core::plural::{count, noun};
use mitmwatch_core::target_spec::normalise_host;
use std::fmt::Write;

/// Domains named in the reproduction commands, at most.
const COMMAND_DOMAINS: usize = 8;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
    }
}

fn time(t: Option<time::OffsetDateTime>) -> String {
    t.map(rfc3339).unwrap_or_else(|| "unknown".into())
}

fn or_dash(text: Option<&str>) -> String {
    text.map(cell).unwrap_or_else(|| "-".into())
}

/// Renders the report.
pub(crate) fn render(e: &InterceptionEvidence) -> String {
    let mut out = String::new();
    let _ = write_report(&mut out, e);
    out
}

fn write_report(out: &mut String, e: &InterceptionEvidence) -> std::fmt::Result {
    // By name only, the label is what the CA resembles, not who it is.
    let who = match (e.interceptor.matched_by, &e.catalog) {
        (Attribution::Name, Some(_)) => {
            format!("a CA named like {}", code(&e.interceptor.label))
        }
        _ => code(&e.interceptor.label),
    };
    writeln!(out, "# TLS interception by {who}\n")?;
    writeln!(
        out,
        "Made by {} on {}. Interceptor id {}{}.\n",
        code(&e.tool),
        rfc3339(e.generated_at),
        code(&e.interceptor.id),
        e.interceptor
            .category
            .map(|c| format!(", category: {}", c.describe()))
            .unwrap_or_default()
    )?;
    write_summary(out, e, &who)?;
    write_proves(out, e)?;
    write_data_used(out, e)?;

    writeln!(out, "## What was seen\n")?;
    writeln!(
        out,
        "{} between {} and {} (UTC) to {} {} answered with \
         certificates issued under {}, not by the sites' own certificate authorities. \
         mitmwatch judged each of them `intercepted`. Its findings, with how many of the \
         handshakes had each:\n",
        count(e.observations, "TLS handshake", "TLS handshakes"),
        rfc3339(e.first_seen),
        rfc3339(e.last_seen),
        count(e.domains.len(), "domain", "domains"),
        noun(e.observations, "was", "were"),
        who
    )?;
    for f in &e.findings {
        writeln!(
            out,
            "- {} ({}, {} of {}): {}",
            code(&f.code),
            severity(f.severity),
            f.observations,
            e.observations,
            code(&f.title)
        )?;
    }
    writeln!(out)?;
    if e.no_sni_observations > 0 {
        writeln!(
            out,
            "{} of these handshakes sent no server name (SNI): the interceptor could not see \
             which site was asked for, so it chose them by destination (IP address and port), \
             not by name.\n",
            e.no_sni_observations
        )?;
    }
    if e.leaf_only_observations > 0 {
        writeln!(
            out,
            "{} of these chains were recorded leaf-only (OONI keeps only the leaf when its own \
             verification fails): for them the issuing CA is known only by the name and key \
             identifier written in the leaf.\n",
            e.leaf_only_observations
        )?;
    }
    write_attribution(out, e)?;

    write_block(out, e)?;

    writeln!(out, "## Affected domains\n")?;
    writeln!(
        out,
        "| domain | handshakes | first seen (UTC) | last seen (UTC) |"
    )?;
    writeln!(out, "|---|---|---|---|")?;
    for d in &e.domains {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&d.domain),
            d.observations,
            rfc3339(d.first_seen),
            rfc3339(d.last_seen)
        )?;
    }
    writeln!(out)?;

    writeln!(out, "## TLS parameters\n")?;
    writeln!(
        out,
        "| version | cipher suite | key exchange | ALPN | handshakes |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    for t in &e.tls {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&t.version),
            or_dash(t.cipher_suite.as_deref()),
            or_dash(t.kx_group.as_deref()),
            or_dash(t.alpn.as_deref()),
            t.observations
        )?;
    }
    writeln!(out)?;

    write_reproduce(out, e)?;

    writeln!(out, "## Certificates\n")?;
    for c in e.certificates.iter().filter(|c| c.role != CertRole::Leaf) {
        write_cert(out, c)?;
    }
    write_leaves(out, e)?;

    writeln!(out, "## Vantage\n")?;
    match &e.vantage {
        None => writeln!(
            out,
            "The reporter included no vantage information. mitmwatch leaves out of its bundles \
             everything that could say who or where the reporter is (server addresses, routing \
             rules, file names, trust-store paths, failure texts) unless asked to keep them.\n"
        )?,
        Some(v) => {
            if let Some(note) = &v.note {
                writeln!(out, "The reporter's note:\n\n{}", quote(note))?;
            }
            for (what, list) in [
                ("Server addresses connected to", &v.addresses),
                ("Routing rules", &v.routes),
                ("Sources of imported records", &v.references),
            ] {
                if !list.is_empty() {
                    writeln!(out, "{what}:\n")?;
                    for item in list {
                        writeln!(out, "- {}", code(item))?;
                    }
                    writeln!(out)?;
                }
            }
        }
    }

    writeln!(out, "## Files\n")?;
    writeln!(
        out,
        "- `evidence.json`: all of the above, for machines (mitmwatch evidence format, schema {});\n\
         - `observations.jsonl`: the intercepted handshakes as mitmwatch records them{};\n\
         - `certs/`: every certificate above, PEM.\n\n\
         `manifest.json` at the top of the bundle lists the SHA-256 of every file.\n",
        e.schema,
        if e.vantage.as_ref().is_some_and(|v| !v.addresses.is_empty() || !v.routes.is_empty()) {
            ""
        } else {
            " (address, route, failure text, trust-store name and import reference replaced by `(redacted)` or left out)"
        }
    )?;
    Ok(())
}

/// How the interceptor was identified, said plainly: by its key, or by
/// name only (then the catalog entry is only what the served CA is named
/// like, and none of the entry's certificate is cited).
fn write_attribution(out: &mut String, e: &InterceptionEvidence) -> std::fmt::Result {
    writeln!(out, "## Attribution\n")?;
    match (e.interceptor.matched_by, &e.catalog) {
        (Attribution::Key, Some(c)) => {
            let keys: Vec<String> = c.spki_sha256_base64.iter().map(|k| code(k)).collect();
            writeln!(
                out,
                "Identified by its key{}: a certificate served, or the authority key identifier \
                 in one, matches the key of an entry in mitmwatch's catalog of known interception \
                 certificates. Only the holder of that key can sign with it. The catalog lists it \
                 as {}, used by {} ({}). Sources:\n",
                if keys.is_empty() {
                    String::new()
                } else {
                    format!(" (SPKI SHA-256 {})", keys.join(", "))
                },
                code(&c.label),
                code(&c.operator),
                c.category.describe()
            )?;
            for s in &c.sources {
                writeln!(out, "- {}", code(s))?;
            }
        }
        (Attribution::Name, Some(c)) => {
            writeln!(
                out,
                "Identified by name only: the key served is not the catalogued one; this may be a \
                 re-issued root or an imitation. The served CA is named like the catalog entry {} \
                 ({}, used by {}, {}). The catalogued certificate and its fingerprints are not \
                 cited here, as they are not what was served; block the served certificates' own \
                 fingerprints below. Sources for the name:\n",
                code(&c.id),
                code(&c.label),
                code(&c.operator),
                c.category.describe()
            )?;
            if c.sources.is_empty() {
                writeln!(
                    out,
                    "- (the catalog's only sources for this entry are copies of its certificate)"
                )?;
            }
            for s in &c.sources {
                writeln!(out, "- {}", code(s))?;
            }
        }
        (Attribution::Key, None) => writeln!(
            out,
            "Identified by its key: the interceptor served its own CA certificate, which is not \
             in mitmwatch's catalog; its SPKI SHA-256 is listed under the fingerprints to block."
        )?,
        (Attribution::Name, None) => writeln!(
            out,
            "Identified by name only: the CA is known by the issuer name written in the \
             certificates it signed; its own certificate was not recorded, so its key could not \
             be checked."
        )?,
    }
    writeln!(out)
}

fn write_block(out: &mut String, e: &InterceptionEvidence) -> std::fmt::Result {
    writeln!(out, "## Fingerprints to block\n")?;
    let cas: Vec<&EvidenceCert> = e
        .certificates
        .iter()
        .filter(|c| c.role != CertRole::Leaf)
        .collect();
    if cas.is_empty() {
        writeln!(
            out,
            "No CA certificate of the interceptor was recorded (the chains were leaf-only or \
             stopped at the leaf).\n"
        )?;
    } else {
        writeln!(
            out,
            "The CA certificates served{}. The SPKI SHA-256 in base64 is the form of \
             Chromium's SPKI blocklist and of `sha256/…` pins; the certificate SHA-256 is what \
             `openssl x509 -noout -fingerprint -sha256` prints (without colons).\n",
            if e.interceptor.matched_by == Attribution::Name && e.catalog.is_some() {
                " (their own fingerprints, not the catalog entry's: only the name matched)"
            } else {
                ""
            }
        )?;
        writeln!(
            out,
            "| role | subject | SPKI SHA-256 (base64) | certificate SHA-256 |"
        )?;
        writeln!(out, "|---|---|---|---|")?;
        for c in cas {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.role.as_str(),
                or_dash(c.certificate.subject.as_deref()),
                or_dash(c.spki_sha256_base64.as_deref()),
                cell(&c.certificate.sha256.to_string())
            )?;
        }
        writeln!(out)?;
    }
    if !e.block.unseen_issuers.is_empty() {
        writeln!(
            out,
            "CAs the chains name (as issuer of the leaf, or as root) whose certificate was not \
             sent or not recorded; block them by key once their certificate is found, on crt.sh \
             for instance:\n"
        )?;
        for i in &e.block.unseen_issuers {
            writeln!(out, "- {}", code(i))?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "Leaf certificates, minted per domain (blocking the CA above covers them):\n"
    )?;
    writeln!(out, "| domains | certificate SHA-256 |")?;
    writeln!(out, "|---|---|")?;
    for c in e.certificates.iter().filter(|c| c.role == CertRole::Leaf) {
        writeln!(
            out,
            "| {} | {} |",
            cell(&c.domains.join(", ")),
            cell(&c.certificate.sha256.to_string())
        )?;
    }
    writeln!(out)
}

fn write_reproduce(out: &mut String, e: &InterceptionEvidence) -> std::fmt::Result {
    // Only names that are valid host names go into commands.
    let domains: Vec<&str> = e
        .domains
        .iter()
        .map(|d| d.domain.as_str())
        .filter(|d| normalise_host(d).is_ok_and(|n| n == *d))
        .take(COMMAND_DOMAINS)
        .collect();
    let list = if domains.is_empty() {
        "DOMAIN".to_string()
    } else {
        domains.join(" ")
    };
    let first = domains.first().copied().unwrap_or("DOMAIN");
    writeln!(out, "## How to reproduce\n")?;
    writeln!(
        out,
        "With mitmwatch (`cargo install --path .` in its source tree), from a network where \
         the interception happens:\n"
    )?;
    // Handshakes without SNI are reproduced without SNI; a probe by name
    // says nothing about interception that never saw a name.
    let all_without_sni = e.no_sni_observations == e.observations;
    let (no_sni, pattern) = if all_without_sni {
        (
            " --no-sni",
            "# the handshakes sent no name: the choice was by destination (address and port)\n"
                .to_string(),
        )
    } else {
        (
            "",
            format!(
                "# is it the network choosing by name? same address, control name example.com\n\
                 mitmwatch probe {first} --control-sni example.com\n"
            ),
        )
    };
    writeln!(
        out,
        "```sh\n\
         # record what these sites serve, and judge it\n\
         mitmwatch scan {list}{no_sni} -o observations.jsonl\n\
         mitmwatch analyze observations.jsonl -v\n\
         {pattern}\
         # re-judge the handshakes of this bundle, as of when they were made\n\
         mitmwatch analyze observations.jsonl -v --at observed\n\
         ```\n"
    )
}

/// Three sentences first: what was seen, how sure, and what to do.
fn write_summary(out: &mut String, e: &InterceptionEvidence, who: &str) -> std::fmt::Result {
    writeln!(out, "## Summary\n")?;
    if e.loopback_only {
        writeln!(
            out,
            "**Made from a simulation or a local test, not a network path:** every handshake \
             below went to a loopback address of the machine that recorded it, as `mitmwatch \
             demo` and `mitmwatch sim` do. This bundle shows what a report looks like; it is no evidence \
             about any real network.\n"
        )?;
    }
    let how = match e.interceptor.matched_by {
        Attribution::Key => "identified by its key",
        Attribution::Name => "identified by name only",
    };
    writeln!(
        out,
        "{} to {} between {} and {} (UTC) were answered with certificates issued under {who} \
         ({how}) instead of the sites' own certificate authorities, and were judged \
         `intercepted`. Block the CA fingerprints under \"Fingerprints to block\"; reproduce \
         with the commands under \"How to reproduce\".\n",
        count(e.observations, "TLS handshake", "TLS handshakes"),
        count(e.domains.len(), "domain", "domains"),
        rfc3339(e.first_seen),
        rfc3339(e.last_seen),
    )
}

/// What the bundle shows and what it cannot.
fn write_proves(out: &mut String, e: &InterceptionEvidence) -> std::fmt::Result {
    writeln!(out, "## What this proves and what it does not\n")?;
    writeln!(
        out,
        "It shows:\n\n\
         - the certificate chains these handshakes received, byte for byte (`certs/`, \
         `observations.jsonl`), and why each was judged `intercepted` (the findings below);\n\
         - the fingerprints of the CA that issued them, to block or to look up;\n\
         - {}.\n",
        match (e.interceptor.matched_by, &e.catalog) {
            (Attribution::Key, Some(_)) => {
                "who holds that CA's key, as far as mitmwatch's catalog knows it (matched by key)"
            }
            (Attribution::Key, None) => {
                "that one CA key, served by the interceptor itself, signed them all"
            }
            (Attribution::Name, _) => {
                "the name the CA gives itself, which anyone can write into a certificate"
            }
        }
    )?;
    writeln!(
        out,
        "It does not show:\n\n\
         - who operates the interceptor, or where it sits on the path (`mitmwatch locate` \
         can find the hop);\n\
         - that other users, networks or times are affected: only these handshakes were \
         recorded;\n\
         - that the records are genuine: they are the reporter's; the fingerprints can be \
         checked against the certificates, and the interception by reproducing it;{}\n\
         - anything about sites that were not asked for.\n",
        if e.interceptor.matched_by == Attribution::Name {
            "\n- that the CA is the catalogued product it is named like: only the name matched;"
        } else {
            ""
        }
    )
}

/// The data the verdicts rest on, with its dates.
fn write_data_used(out: &mut String, e: &InterceptionEvidence) -> std::fmt::Result {
    writeln!(out, "## Data used\n")?;
    match &e.data_used {
        None => writeln!(out, "Not recorded by the program that made this bundle.\n"),
        Some(d) => {
            for (label, text) in d.lines() {
                writeln!(out, "- {label}: {}", code(text))?;
            }
            writeln!(
                out,
                "- validation time: {}\n",
                match e.validated_at.as_deref() {
                    Some("observed") | None => {
                        "each handshake as of when it was made (`--at observed`)".to_string()
                    }
                    Some(at) => code(at),
                }
            )
        }
    }
}

/// The leaf certificates, one row each: they differ only in their names,
/// keys and dates.
fn write_leaves(out: &mut String, e: &InterceptionEvidence) -> std::fmt::Result {
    let leaves: Vec<&EvidenceCert> = e
        .certificates
        .iter()
        .filter(|c| c.role == CertRole::Leaf)
        .collect();
    if leaves.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "### {} (one per row; PEM in `certs/`)\n",
        count(leaves.len(), "leaf certificate", "leaf certificates")
    )?;
    writeln!(
        out,
        "| domains | subject | serial | valid (UTC) | certificate SHA-256 | SPKI SHA-256 | file |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for c in leaves {
        writeln!(
            out,
            "| {} | {} | {} | {} to {} | {} | {} | {} |",
            cell(&c.domains.join(", ")),
            or_dash(c.certificate.subject.as_deref()),
            or_dash(c.certificate.serial.as_deref()),
            time(c.certificate.not_before),
            time(c.certificate.not_after),
            cell(&c.certificate.sha256.to_string()),
            or_dash(c.certificate.spki_sha256.map(|k| k.to_string()).as_deref()),
            or_dash(c.file.as_deref()),
        )?;
    }
    writeln!(out)
}

fn write_cert(out: &mut String, c: &EvidenceCert) -> std::fmt::Result {
    writeln!(
        out,
        "### {} {}\n",
        c.role.as_str(),
        code(c.certificate.subject.as_deref().unwrap_or("(unparsed)"))
    )?;
    if let Some(file) = &c.file {
        writeln!(out, "- file: {}", code(file))?;
    }
    writeln!(
        out,
        "- subject: {}",
        code(c.certificate.subject.as_deref().unwrap_or("-"))
    )?;
    writeln!(
        out,
        "- issuer: {}",
        code(c.certificate.issuer.as_deref().unwrap_or("-"))
    )?;
    writeln!(
        out,
        "- serial: {}",
        code(c.certificate.serial.as_deref().unwrap_or("-"))
    )?;
    writeln!(
        out,
        "- valid: {} to {}",
        time(c.certificate.not_before),
        time(c.certificate.not_after)
    )?;
    writeln!(
        out,
        "- certificate SHA-256: {} (base64 {})",
        code(&c.certificate.sha256.to_string()),
        code(&c.sha256_base64)
    )?;
    if let (Some(hex), Some(b64)) = (&c.certificate.spki_sha256, &c.spki_sha256_base64) {
        writeln!(
            out,
            "- SPKI SHA-256: {} (base64 {})",
            code(&hex.to_string()),
            code(b64)
        )?;
    }
    for link in &c.crtsh {
        // A link is made clickable only when its query is plain hex.
        let hex_query = link
            .split_once('=')
            .is_some_and(|(_, q)| !q.is_empty() && q.chars().all(|c| c.is_ascii_hexdigit()));
        if hex_query && link.starts_with("https://crt.sh/?") {
            writeln!(out, "- crt.sh: <{link}>")?;
        } else {
            writeln!(out, "- crt.sh: {}", code(link))?;
        }
    }
    writeln!(
        out,
        "- served in {}, for: {}",
        count(c.observations, "handshake", "handshakes"),
        c.domains
            .iter()
            .map(|d| code(d))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    if let Some(e) = &c.certificate.parse_error {
        writeln!(out, "- parse error: {}", code(e))?;
    }
    writeln!(out)
}
