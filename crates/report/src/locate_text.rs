//! Text for `mitmwatch locate`. Certificate names come from the network and
//! go through [`escape`].

use super::terminal::escape;
use mitmwatch_core::model::{
    IcmpKind, IcmpResponder, LocateConclusion, LocateRecord, TlsAnswer, TlsAnswerStatus,
};
use std::fmt::Write;

fn hops(n: u8) -> String {
    mitmwatch_core::plural::count(usize::from(n), "hop", "hops")
}

/// One TLS answer in one line.
pub(crate) fn answer_line(answer: &TlsAnswer) -> String {
    match answer.status {
        TlsAnswerStatus::Certificate => {
            let mut line = String::from("certificate");
            if let Some(leaf) = &answer.leaf {
                let subject = leaf.subject.as_deref().unwrap_or("(unparsed)");
                let issuer = leaf.issuer.as_deref().unwrap_or("(unparsed)");
                let _ = write!(
                    line,
                    " '{}' issued by '{}', sha256 {}…",
                    escape(subject),
                    escape(issuer),
                    leaf.sha256.short(16)
                );
            }
            line.push_str(match answer.verified {
                Some(true) => ", verifies",
                Some(false) => ", does not verify",
                None => "",
            });
            line
        }
        TlsAnswerStatus::NoAnswer => format!("no answer in {} ms", answer.elapsed_ms),
        TlsAnswerStatus::Failed => format!(
            "failed: {}",
            escape(answer.error.as_deref().unwrap_or("unknown error"))
        ),
    }
}

fn router_cell(router: Option<&IcmpResponder>) -> String {
    match router {
        None => "*".into(),
        Some(r) => {
            let kind = match r.kind {
                IcmpKind::TimeExceeded => "time-exceeded".to_string(),
                IcmpKind::Unreachable => format!("unreachable (code {})", r.icmp_code),
                IcmpKind::Other => format!("ICMP type {} code {}", r.icmp_type, r.icmp_code),
            };
            format!("{} {kind}", r.address)
        }
    }
}

/// The sentence that sums the run up.
pub(crate) fn conclusion_text(record: &LocateRecord) -> String {
    let addr = record.address;
    match (record.conclusion, record.answer_hop, record.destination_hop) {
        (LocateConclusion::AnsweredBeforeDestination, Some(a), Some(d)) => {
            let router = record
                .hops
                .iter()
                .find(|h| h.ttl == a)
                .and_then(|h| h.router.as_ref())
                .map(|r| format!(" (the router there is {})", r.address))
                .unwrap_or_default();
            let cert = match record.same_as_reference {
                Some(true) => "the same certificate the complete path gets",
                Some(false) => "a different certificate from the one the complete path gets",
                None => "a certificate",
            };
            format!(
                "a device {} away{router} answers for {addr}, {} before it: it serves \
                 {cert}. Where that certificate is not the server's own, this device is the \
                 interceptor.",
                hops(a),
                hops(d - a)
            )
        }
        (LocateConclusion::AnsweredAtDestination, Some(a), _) => format!(
            "the first certificate came from hop {a}, where {addr} itself answers: no device \
             before it answers the ClientHello."
        ),
        (LocateConclusion::DestinationUnknown, Some(a), _) => format!(
            "the first certificate came from hop {a}; the UDP probes never reached {addr} \
             (filtered?), so whether hop {a} is {addr} itself cannot be told."
        ),
        _ => format!("no certificate came back within {}.", hops(record.max_ttl)),
    }
}

/// `host:port`, with brackets around an IPv6 address.
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{}]:{port}", escape(host))
    } else {
        format!("{}:{port}", escape(host))
    }
}

/// Renders a `locate` record as terminal text: the reference answer, one line
/// per TTL, then the conclusion.
pub fn render(record: &LocateRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "locate {} ({}), TTL 1..{}, routers named by UDP probes (IP_RECVERR)",
        host_port(&record.host, record.port),
        record.address,
        record.max_ttl
    );
    let _ = writeln!(
        out,
        "reference (normal TTL): {}",
        answer_line(&record.reference)
    );
    let _ = writeln!(out, "{:>4}  {:<36} TLS answer", "TTL", "router (ICMP)");
    for hop in &record.hops {
        let tls = match &hop.tls {
            Some(a) => {
                let mut line = answer_line(a);
                if record.answer_hop == Some(hop.ttl) {
                    match record.same_as_reference {
                        Some(true) => line.push_str("; same as the reference"),
                        Some(false) => line.push_str("; NOT the reference certificate"),
                        None => {}
                    }
                }
                line
            }
            None => "(not probed: answered earlier)".into(),
        };
        let _ = writeln!(
            out,
            "{:>4}  {:<36} {tls}",
            hop.ttl,
            router_cell(hop.router.as_ref())
        );
    }
    match record.answer_hop {
        Some(a) => {
            let _ = write!(out, "first certificate at hop {a}");
        }
        None => {
            let _ = write!(out, "no certificate");
        }
    }
    match record.destination_hop {
        Some(d) => {
            let _ = writeln!(out, "; {} answers UDP at hop {d}", record.address);
        }
        None => {
            let _ = writeln!(out, "; {} never answered UDP", record.address);
        }
    }
    let _ = writeln!(out, "conclusion: {}", conclusion_text(record));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitmwatch_core::model::{CertRecord, Fingerprint, Hop, LOCATE_SCHEMA};

    fn answer(subject: &str) -> TlsAnswer {
        TlsAnswer {
            status: TlsAnswerStatus::Certificate,
            leaf: Some(CertRecord {
                der: String::new(),
                sha256: Fingerprint::from([0xab; 32]),
                spki_sha256: None,
                subject: Some(subject.into()),
                issuer: Some("CN=Forged CA".into()),
                serial: None,
                not_before: None,
                not_after: None,
                parse_error: None,
            }),
            chain_len: 2,
            verified: Some(false),
            error: None,
            elapsed_ms: 3,
        }
    }

    #[test]
    fn names_from_the_network_are_escaped_and_the_hop_is_named() {
        let hostile = "CN=evil\u{1b}[2J\u{7}";
        let record = LocateRecord {
            schema: LOCATE_SCHEMA,
            tool: "mitmwatch test".into(),
            host: "example.com".into(),
            port: 443,
            address: "192.0.2.7".parse().unwrap(),
            started_at: time::macros::datetime!(2026-01-01 00:00 UTC),
            max_ttl: 5,
            router_method: "udp-recverr".into(),
            reference: answer(hostile),
            hops: vec![
                Hop {
                    ttl: 1,
                    router: Some(IcmpResponder {
                        address: "198.51.100.1".parse().unwrap(),
                        kind: IcmpKind::TimeExceeded,
                        icmp_type: 11,
                        icmp_code: 0,
                    }),
                    tls: Some(answer(hostile)),
                },
                Hop {
                    ttl: 2,
                    router: None,
                    tls: None,
                },
            ],
            answer_hop: Some(1),
            destination_hop: Some(2),
            same_as_reference: Some(true),
            conclusion: LocateConclusion::AnsweredBeforeDestination,
        };
        let text = render(&record);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("first certificate at hop 1; 192.0.2.7 answers UDP at hop 2"));
        assert!(text.contains("a device 1 hop away (the router there is 198.51.100.1) answers for 192.0.2.7, 1 hop before it"));
        assert!(text.contains("   2  *"), "{text}");
    }
}
