//! Which explicit proxy a probe goes through, decided the way curl decides:
//! `--proxy` first, else `https_proxy`/`HTTPS_PROXY`, else
//! `all_proxy`/`ALL_PROXY` (lower case first, as curl reads them); hosts in
//! `--noproxy`, else in `no_proxy`/`NO_PROXY`, go direct. The rules follow
//! curl's manual (`--noproxy`, ENVIRONMENT) and lib/noproxy.c: a comma
//! separated list, `*` alone for every host, a leading dot optional (both
//! `example.com` and `.example.com` match the name and its subdomains),
//! no ports, IP addresses and CIDR ranges compared as addresses.
//!
//! The tunnel itself (HTTP CONNECT, SOCKS5) is in [`super::tunnel`].

use mitmwatch_core::target_spec::parse_port;
use std::fmt;
use std::net::IpAddr;

/// How mitmwatch talks to a proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProxyKind {
    /// HTTP `CONNECT host:port` (RFC 9110 §9.3.6), over plain TCP.
    Http,
    /// SOCKS5 (RFC 1928) with the target's name resolved here (`socks5://`).
    Socks5,
    /// SOCKS5 with the name sent to the proxy to resolve (`socks5h://`).
    Socks5h,
}

/// One proxy: where it is and how to authenticate. `Display` never shows
/// the credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The protocol spoken to it.
    pub(crate) kind: ProxyKind,
    /// Host name or IP literal (IPv6 without brackets).
    pub(crate) host: String,
    /// TCP port.
    pub(crate) port: u16,
    /// User and password, percent-decoded, when the URL had them.
    pub(crate) credentials: Option<(String, String)>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

impl fmt::Display for Proxy {
    /// The URL without credentials, e.g. `http://[::1]:3128`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Socks5 => "socks5",
            ProxyKind::Socks5h => "socks5h",
        };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// curl's default port for a proxy URL without one.
const DEFAULT_PROXY_PORT: u16 = 1080;

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i} of the credentials"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the credentials are not UTF-8".to_string())
}

impl Proxy {
    /// Parses `[SCHEME://][USER:PASS@]HOST[:PORT][/]` where SCHEME is
    /// `http`, `socks5` or `socks5h` (none means `http`, as in curl) and
    /// the port defaults to 1080, as in curl. The error never repeats the
    /// credentials.
    pub(crate) fn parse(url: &str) -> Result<Proxy, String> {
        let shown = redact_url(url);
        let err = |m: &str| format!("proxy {shown:?}: {m}");
        let (kind, rest) = match url.split_once("://") {
            None => (ProxyKind::Http, url),
            Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
                "http" => (ProxyKind::Http, rest),
                "socks5" => (ProxyKind::Socks5, rest),
                "socks5h" => (ProxyKind::Socks5h, rest),
                "https" => {
                    return Err(err(
                        "HTTPS proxies (TLS to the proxy) are not supported; use http://",
                    ))
                }
                other => {
                    return Err(err(&format!(
                        "unsupported scheme {other:?} (http, socks5 or socks5h)"
                    )))
                }
            },
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') || rest.contains('#') {
            return Err(err("a proxy URL has no path"));
        }
        let (credentials, hostport) = match rest.rsplit_once('@') {
            None => (None, rest),
            Some((userinfo, hostport)) => {
                let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let user = percent_decode(user).map_err(|m| err(&m))?;
                let pass = percent_decode(pass).map_err(|m| err(&m))?;
                (Some((user, pass)), hostport)
            }
        };
        let (host, port) = split_host_port(hostport).map_err(|m| err(&m))?;
        if host.is_empty() {
            return Err(err("no host"));
        }
        let host =
            mitmwatch_core::target_spec::normalise_host(&host).map_err(|e| err(&e.to_string()))?;
        Ok(Proxy {
            kind,
            host,
            port: port.unwrap_or(DEFAULT_PROXY_PORT),
            credentials,
        })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address needs its closing bracket")?;
        return match after {
            "" => Ok((host.to_string(), None)),
            _ => match after.strip_prefix(':') {
                Some(p) => Ok((
                    host.to_string(),
                    Some(parse_port(p).map_err(|e| e.to_string())?),
                )),
                None => Err(format!("unexpected {after:?} after the address")),
            },
        };
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Ok((
            host.to_string(),
            Some(parse_port(port).map_err(|e| e.to_string())?),
        )),
        Some(_) => Err("an IPv6 address must be in brackets".into()),
        None => Ok((s.to_string(), None)),
    }
}

/// A proxy URL with any `user:pass@` replaced by `***@`, for messages.
pub(crate) fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    match rest.rsplit_once('@') {
        Some((_, hostport)) => format!("{scheme}***@{hostport}"),
        None => url.to_string(),
    }
}

/// One entry of a no-proxy list.
#[derive(Clone, Debug, PartialEq, Eq)]
enum NoProxyEntry {
    /// A name: matches itself and its subdomains.
    Name(String),
    /// An address or CIDR range.
    Net(IpAddr, u8),
}

/// A parsed `NO_PROXY` / `--noproxy` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    everything: bool,
    entries: Vec<NoProxyEntry>,
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let bits = u32::from(bits.min(32));
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let bits = u32::from(bits.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

impl NoProxy {
    /// Parses a comma (or space) separated list. Entries that are neither
    /// names nor addresses are ignored, as curl ignores them.
    pub(crate) fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for raw in list.split([',', ' ', '\t']).map(str::trim) {
            if raw.is_empty() {
                continue;
            }
            if raw == "*" {
                out.everything = true;
                continue;
            }
            let entry = raw.trim_start_matches('.').trim_end_matches('.');
            let entry = entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(entry);
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            if let Ok(ip) = addr.parse::<IpAddr>() {
                let full = if ip.is_ipv4() { 32 } else { 128 };
                out.entries
                    .push(NoProxyEntry::Net(ip, bits.unwrap_or(full).min(full)));
            } else if !entry.is_empty() {
                out.entries
                    .push(NoProxyEntry::Name(entry.to_ascii_lowercase()));
            }
        }
        out
    }

    /// Whether `host` (a name or IP literal, any port) goes direct.
    pub(crate) fn matches(&self, host: &str) -> bool {
        if self.everything {
            return true;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&host);
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|e| match (e, ip) {
            (NoProxyEntry::Net(net, bits), Some(ip)) => in_net(ip, *net, *bits),
            (NoProxyEntry::Name(name), None) => {
                host == name
                    || host
                        .strip_suffix(name.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            }
            (NoProxyEntry::Name(name), Some(_)) => host == name,
            (NoProxyEntry::Net(..), None) => false,
        })
    }
}

/// The proxy configuration of a scan: the proxy, if any, and the hosts
/// that bypass it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxySettings {
    proxy: Option<Proxy>,
    bypass: NoProxy,
    source: String,
}

/// Where the proxy settings come from on the command line.
#[derive(Clone, Debug, Default)]
pub struct ProxyFlags {
    /// `--proxy URL` (an empty string means "no proxy", as in curl).
    pub proxy: Option<String>,
    /// `--noproxy LIST`.
    pub noproxy: Option<String>,
    /// `--no-proxy-env`: ignore the environment entirely.
    pub ignore_env: bool,
}

/// A proxy setting that cannot be used. The message never repeats the
/// credentials of the proxy URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct ProxySettingError {
    /// Where the setting came from: `--proxy` or the environment
    /// variable's name.
    pub setting: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ProxySettings {
    /// No proxy at all.
    pub fn direct() -> ProxySettings {
        ProxySettings::default()
    }

    /// Settings from flags and the environment (`env` looks a variable up;
    /// pass `|k| std::env::var(k).ok()` in the program).
    pub fn resolve(
        flags: &ProxyFlags,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ProxySettings, ProxySettingError> {
        let env = |k: &str| {
            if flags.ignore_env {
                None
            } else {
                env(k).filter(|v| !v.trim().is_empty())
            }
        };
        let (url, source) = match &flags.proxy {
            Some(url) => (Some(url.clone()), "--proxy".to_string()),
            None => ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
                .iter()
                .find_map(|k| env(k).map(|v| (Some(v), k.to_string())))
                .unwrap_or((None, String::new())),
        };
        let proxy = match url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(Proxy::parse(url).map_err(|reason| ProxySettingError {
                setting: source.clone(),
                reason,
            })?),
        };
        let bypass = match &flags.noproxy {
            Some(list) => NoProxy::parse(list),
            None => env("no_proxy")
                .or_else(|| env("NO_PROXY"))
                .map(|l| NoProxy::parse(&l))
                .unwrap_or_default(),
        };
        Ok(ProxySettings {
            proxy,
            bypass,
            source,
        })
    }

    /// The proxy for `host`, or `None` to go direct.
    pub(crate) fn for_host(&self, host: &str) -> Option<&Proxy> {
        self.proxy.as_ref().filter(|_| !self.bypass.matches(host))
    }

    /// The configured proxy, whatever the bypass list says.
    pub fn proxy(&self) -> Option<&Proxy> {
        self.proxy.as_ref()
    }

    /// Where the proxy came from: `--proxy` or the environment variable.
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn proxy_urls_parse_and_never_show_credentials() {
        let p = Proxy::parse("http://al%40ice:s3cr%3At@proxy.example:3128/").unwrap();
        assert_eq!(p.kind, ProxyKind::Http);
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 3128));
        assert_eq!(p.credentials, Some(("al@ice".into(), "s3cr:t".into())));
        assert_eq!(p.to_string(), "http://proxy.example:3128");
        assert!(!format!("{p:?}").contains("s3cr"));
        let p = Proxy::parse("socks5h://[::1]").unwrap();
        assert_eq!((p.kind, p.port), (ProxyKind::Socks5h, 1080));
        assert_eq!(p.to_string(), "socks5h://[::1]:1080");
        assert_eq!(
            Proxy::parse("10.0.0.1:8080").unwrap().to_string(),
            "http://10.0.0.1:8080"
        );
        let e = Proxy::parse("ftp://u:hunter2@p:1").unwrap_err();
        assert!(
            e.contains("unsupported scheme") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(Proxy::parse("http://p:99999")
            .unwrap_err()
            .contains("range"));
        assert!(Proxy::parse("https://p:1").unwrap_err().contains("HTTPS"));
    }

    #[test]
    fn no_proxy_follows_curl() {
        let n = NoProxy::parse("example.com, .local.test,10.0.0.0/8 ,[::1],192.168.1.1");
        assert!(n.matches("example.com"));
        assert!(n.matches("www.example.com"));
        assert!(n.matches("WWW.Example.COM."));
        assert!(!n.matches("notexample.com"));
        assert!(n.matches("local.test"));
        assert!(n.matches("a.b.local.test"));
        assert!(n.matches("10.20.30.40"));
        assert!(!n.matches("11.0.0.1"));
        assert!(n.matches("::1"));
        assert!(n.matches("192.168.1.1"));
        assert!(!n.matches("192.168.1.2"));
        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(!NoProxy::parse("").matches("anything.example"));
    }

    #[test]
    fn flags_and_environment_are_chosen_as_curl_does() {
        let env: HashMap<&str, &str> = [
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
            ("ALL_PROXY", "socks5://all:3"),
            ("NO_PROXY", "direct.example"),
        ]
        .into();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let s = ProxySettings::resolve(&ProxyFlags::default(), lookup).unwrap();
        assert_eq!(s.proxy().unwrap().host, "lower");
        assert_eq!(s.source(), "https_proxy");
        assert!(s.for_host("direct.example").is_none());
        assert!(s.for_host("other.example").is_some());
        let flags = ProxyFlags {
            proxy: Some("http://flag:4".into()),
            noproxy: Some("other.example".into()),
            ignore_env: false,
        };
        let s = ProxySettings::resolve(&flags, lookup).unwrap();
        assert_eq!(s.proxy().unwrap().host, "flag");
        assert!(
            s.for_host("direct.example").is_some(),
            "--noproxy replaces NO_PROXY"
        );
        assert!(s.for_host("other.example").is_none());
        let only_all = |k: &str| (k == "ALL_PROXY").then(|| "socks5://all:3".to_string());
        let s = ProxySettings::resolve(&ProxyFlags::default(), only_all).unwrap();
        assert_eq!(s.proxy().unwrap().kind, ProxyKind::Socks5);
        let ignore = ProxyFlags {
            ignore_env: true,
            ..ProxyFlags::default()
        };
        assert!(ProxySettings::resolve(&ignore, lookup)
            .unwrap()
            .proxy()
            .is_none());
        let empty = ProxyFlags {
            proxy: Some(String::new()),
            ..ProxyFlags::default()
        };
        assert!(ProxySettings::resolve(&empty, lookup)
            .unwrap()
            .proxy()
            .is_none());
        let bad = |k: &str| (k == "HTTPS_PROXY").then(|| "gopher://u:pw@x".to_string());
        let e = ProxySettings::resolve(&ProxyFlags::default(), bad).unwrap_err();
        assert_eq!(e.setting, "HTTPS_PROXY");
        let shown = e.to_string();
        assert!(
            shown.starts_with("HTTPS_PROXY") && !shown.contains("pw"),
            "{e}"
        );
    }
}
