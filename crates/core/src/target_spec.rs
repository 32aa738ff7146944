//! Target specifications (`host[:port]`, `[v6]:port`, `https://host/`) and
//! streaming domain lists (one target per line, `#` comments, blank lines,
//! Tranco-style `rank,domain` lines). A bad line is an error value naming
//! the input and line; reading goes on.

use crate::lines::{BoundedLines, Line};
use crate::model::Target;
use std::io::BufRead;
use std::net::IpAddr;

/// Longest line accepted in a domain list, in bytes.
pub(crate) const MAX_LINE_BYTES: usize = 4096;

/// A target specification that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input}:{line}: {message}")]
pub struct TargetLineError {
    /// File name (or `-` for stdin, `argument` for the command line).
    pub input: String,
    /// 1-based line number (argument position for the command line).
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

/// Why a target specification, host name or port was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetSpecError {
    /// Nothing was given.
    #[error("empty target")]
    EmptyTarget,
    /// A URL with a scheme other than `https://`.
    #[error("only https:// URLs are understood, not {0:?}")]
    NotHttps(String),
    /// `[` without its `]`.
    #[error("unclosed '[' in {0:?}")]
    UnclosedBracket(String),
    /// Something other than `:PORT` after `]`.
    #[error("unexpected text after ']' in {0:?}")]
    AfterBracket(String),
    /// A number outside 1–65535.
    #[error("port {0} is out of range (1-65535)")]
    PortOutOfRange(u32),
    /// Not a number.
    #[error("{0:?} is not a port number")]
    NotAPort(String),
    /// An empty host name.
    #[error("empty host name")]
    EmptyHost,
    /// A non-ASCII name that UTS #46 refuses.
    #[error("{0:?} is not a valid internationalised domain name")]
    BadInternationalName(String),
    /// Longer than 253 characters.
    #[error("host name is {0} characters long (max 253)")]
    TooLong(usize),
    /// `a..b` or a leading dot.
    #[error("{0:?} has an empty label")]
    EmptyLabel(String),
    /// A label over 63 characters.
    #[error("{0:?} has a label longer than 63 characters")]
    LongLabel(String),
    /// A label starting or ending with `-`.
    #[error("{0:?} has a label that starts or ends with '-'")]
    HyphenAtEdge(String),
    /// A character outside letters, digits, `-` and `_`.
    #[error("{host:?} contains {found:?}, not allowed in a host name")]
    BadCharacter {
        /// The host name.
        host: String,
        /// The first character refused.
        found: char,
    },
    /// Not a name rustls can send as SNI (a numeric last label, as in
    /// `127.1`).
    #[error("{0:?} is not a DNS name a TLS client can send (an IP address written oddly?)")]
    NotSniName(String),
}

/// Parses one target specification. `default_port` applies when none is
/// given. Host names are lower-cased and a trailing dot is removed.
pub fn parse_target(spec: &str, default_port: u16) -> Result<Target, TargetSpecError> {
    let mut s = spec.trim();
    if s.is_empty() {
        return Err(TargetSpecError::EmptyTarget);
    }
    if let Some(rest) = s.strip_prefix("https://") {
        s = rest;
        s = s.split(['/', '?', '#']).next().unwrap_or(s);
    } else if s.contains("://") {
        return Err(TargetSpecError::NotHttps(s.to_string()));
    }
    let (host, port) = split_host_port(s)?;
    let port = match port {
        None => default_port,
        Some(p) => parse_port(p)?,
    };
    let host = normalise_host(host)?;
    Ok(Target::new(host, port))
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, bare IPv6 or `host`.
pub(crate) fn split_host_port(s: &str) -> Result<(&str, Option<&str>), TargetSpecError> {
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| TargetSpecError::UnclosedBracket(s.to_string()))?;
        let host = &rest[..end];
        let after = &rest[end + 1..];
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(TargetSpecError::AfterBracket(s.to_string())),
            },
        };
    }
    if s.matches(':').count() > 1 {
        // A bare IPv6 literal without brackets: no port possible.
        return Ok((s, None));
    }
    match s.split_once(':') {
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((s, None)),
    }
}

/// Parses a TCP port (1–65535).
pub fn parse_port(p: &str) -> Result<u16, TargetSpecError> {
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => Err(TargetSpecError::PortOutOfRange(n)),
        Err(_) => Err(TargetSpecError::NotAPort(p.to_string())),
    }
}

/// Validates and normalises a host name or IP literal. Internationalised
/// names are converted to punycode (`bücher.de` -> `xn--bcher-kva.de`).
pub fn normalise_host(host: &str) -> Result<String, TargetSpecError> {
    if host.is_empty() {
        return Err(TargetSpecError::EmptyHost);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    let host = if host.is_ascii() {
        host.to_ascii_lowercase()
    } else {
        // An internationalised name: UTS #46 mapping and punycode, by the
        // idna crate (the one rust-url uses).
        idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL)
            .map_err(|_| TargetSpecError::BadInternationalName(host.to_string()))?
            .into_owned()
    };
    let host = host.strip_suffix('.').unwrap_or(&host).to_string();
    if host.len() > 253 {
        return Err(TargetSpecError::TooLong(host.len()));
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err(TargetSpecError::EmptyLabel(host.clone()));
        }
        if label.len() > 63 {
            return Err(TargetSpecError::LongLabel(host.clone()));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(TargetSpecError::HyphenAtEdge(host.clone()));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(TargetSpecError::BadCharacter {
                host: host.clone(),
                found: bad,
            });
        }
    }
    // What rustls will send as SNI: this also refuses a numeric last label
    // ("127.1", "0x7f.1"), which resolvers may read as an IP address.
    if rustls::pki_types::DnsName::try_from(host.as_str()).is_err() {
        return Err(TargetSpecError::NotSniName(host));
    }
    Ok(host)
}

/// Reads targets from a domain list, one per line, as an iterator. Lines
/// are read one at a time, so memory does not grow with the list.
pub struct DomainListReader<R> {
    lines: BoundedLines<R>,
    input: String,
    default_port: u16,
}

impl<R: BufRead> DomainListReader<R> {
    /// `input` names the source in error messages.
    pub fn new(reader: R, input: impl Into<String>, default_port: u16) -> Self {
        DomainListReader {
            lines: BoundedLines::new(reader, MAX_LINE_BYTES),
            input: input.into(),
            default_port,
        }
    }
}

impl<R: BufRead> Iterator for DomainListReader<R> {
    type Item = Result<Target, TargetLineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (line, read) = self.lines.next_line()?;
            let input = &self.input;
            let error = |message: String| TargetLineError {
                input: input.clone(),
                line,
                message,
            };
            let bytes = match read {
                Err(e) => return Some(Err(error(format!("read error: {e}")))),
                Ok(Line::TooLong) => {
                    return Some(Err(error(format!(
                        "line is longer than {MAX_LINE_BYTES} bytes"
                    ))))
                }
                Ok(Line::Text(bytes)) => bytes,
            };
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => return Some(Err(error("line is not valid UTF-8".into()))),
            };
            let text = text.split('#').next().unwrap_or("").trim();
            if text.is_empty() {
                continue;
            }
            let spec = tranco_domain(text).unwrap_or(text);
            if spec.split_whitespace().count() > 1 {
                return Some(Err(error(format!(
                    "{spec:?}: one target per line expected"
                ))));
            }
            let result =
                parse_target(spec, self.default_port).map_err(|m| error(format!("{spec:?}: {m}")));
            return Some(result);
        }
    }
}

/// For a Tranco-style `rank,domain` line, the domain.
fn tranco_domain(line: &str) -> Option<&str> {
    let (rank, domain) = line.split_once(',')?;
    if !rank.is_empty() && rank.bytes().all(|b| b.is_ascii_digit()) {
        Some(domain.trim())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(
            parse_target("Example.COM.", 443).unwrap(),
            Target::new("example.com", 443)
        );
        assert_eq!(parse_target("example.com:8443", 443).unwrap().port, 8443);
        assert_eq!(
            parse_target("https://example.com/a?b", 443).unwrap().host,
            "example.com"
        );
        let v6 = parse_target("[::1]:444", 443).unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.port, v6.sni.clone()),
            ("::1", 444, None)
        );
        assert_eq!(parse_target("::1", 443).unwrap().host, "::1");
        assert_eq!(parse_target("127.0.0.1", 443).unwrap().sni, None);
    }

    #[test]
    fn rejects_bad_forms() {
        assert!(parse_target("example.com:0", 443).is_err());
        assert!(parse_target("example.com:70000", 443).is_err());
        assert!(parse_target("exa mple.com", 443).is_err());
        assert!(parse_target("-bad.com", 443).is_err());
        assert!(parse_target("ftp://x", 443).is_err());
        assert!(parse_target("a..b", 443).is_err());
        // Found by fuzzing: names rustls cannot send as SNI, which some
        // resolvers read as IPv4 addresses.
        assert!(parse_target("0x7f.1", 443).is_err());
        assert!(parse_target("127.1", 443).is_err());
        assert!(parse_target("_srv._tcp.example", 443).is_ok());
    }

    #[test]
    fn internationalised_names_become_punycode() {
        assert_eq!(
            parse_target("Bücher.DE", 443).unwrap().host,
            "xn--bcher-kva.de"
        );
        let t = parse_target("https://пример.рф:8443/путь", 443).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("xn--e1afmkfd.xn--p1ai", 8443));
        assert_eq!(t.sni.as_deref(), Some("xn--e1afmkfd.xn--p1ai"));
        // Not a valid IDN (a bidi rule violation, a forbidden code point).
        assert!(parse_target("a\u{202e}b.com", 443).is_err());
        assert!(parse_target("ex ample.рф", 443).is_err());
    }

    #[test]
    fn domain_list_skips_comments_and_reports_bad_lines() {
        let text = b"# list\nexample.com\n\n  bad host  \n2,tranco.example # rank\nok.example:8443\n\xff\n";
        let items: Vec<_> = DomainListReader::new(&text[..], "list.txt", 443).collect();
        assert_eq!(items.len(), 5);
        assert_eq!(items[0].as_ref().unwrap().host, "example.com");
        let err = items[1].as_ref().unwrap_err();
        assert_eq!((err.input.as_str(), err.line), ("list.txt", 4));
        assert_eq!(items[2].as_ref().unwrap().host, "tranco.example");
        assert_eq!(items[3].as_ref().unwrap().port, 8443);
        assert_eq!(items[4].as_ref().unwrap_err().line, 7);
    }

    #[test]
    fn over_long_lines_are_reported_and_skipped() {
        let mut text = vec![b'a'; MAX_LINE_BYTES * 3];
        text.extend_from_slice(b"\nexample.org\n");
        let items: Vec<_> = DomainListReader::new(&text[..], "x", 443).collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_err());
        assert_eq!(items[1].as_ref().unwrap().host, "example.org");
    }
}
