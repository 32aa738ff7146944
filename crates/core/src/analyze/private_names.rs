//! Names no public CA may certify: private-use domains, single-label
//! names and private or local IP addresses. A private CA is the normal way
//! to give such a server a certificate (a BMC, a printer, a router's admin
//! page, an internal service), so the traits that mark an interceptor's
//! freshly minted leaf for a public name say little there.
//!
//! `.test`, `.example` and `.invalid` (RFC 2606) are not here: test suites
//! use them to stand for public names, and they keep the public treatment.

use std::net::IpAddr;

/// Private-use suffixes: `.internal` (reserved by ICANN for private use in
/// 2024), `.local` (multicast DNS, RFC 6762), `home.arpa` (RFC 8375), and
/// `.lan`, `.home`, `.corp`, `.localdomain`, `.intranet`, `.private`, which
/// are in wide private use and which no public CA may issue for (internal
/// names have been forbidden to public CAs since 2015, CA/Browser Forum
/// Baseline Requirements §7.1.4.2).
const PRIVATE_SUFFIXES: [&str; 9] = [
    "internal",
    "local",
    "home.arpa",
    "lan",
    "home",
    "corp",
    "localdomain",
    "intranet",
    "private",
];

/// Whether no public CA may certify `name` (a DNS name or an IP literal).
pub(crate) fn is_private_use(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = name
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
    {
        return is_private_address(ip);
    }
    if name.is_empty() {
        return false;
    }
    if !name.contains('.') {
        return true; // a single label: "printer", "localhost"
    }
    PRIVATE_SUFFIXES
        .iter()
        .any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}")))
}

/// Private (RFC 1918, RFC 4193), shared (RFC 6598), link-local and
/// loopback addresses.
fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_private_use;

    #[test]
    fn private_names_and_addresses() {
        for name in [
            "bmc01.internal",
            "printer.local",
            "router.home.arpa",
            "nas.lan",
            "printer",
            "localhost",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.1.1",
            "127.0.0.1",
            "fd00::1",
            "[fe80::1]",
            "::1",
            "GATEWAY.LAN.",
        ] {
            assert!(is_private_use(name), "{name}");
        }
        for name in [
            "example.com",
            "facebook.com",
            "www.google.com",
            "site.test",
            "8.8.8.8",
            "2001:4860:4860::8888",
            "internal.example.com",
            "locals.com",
            "",
        ] {
            assert!(!is_private_use(name), "{name}");
        }
    }
}
