//! The network a run was made on: the interfaces and their addresses, the
//! default route and the DNS resolvers. Stored with each run (once per
//! distinct set of facts), so the history can say "intercepted on the
//! café's Wi-Fi, clean at home". Nothing here leaves the machine: `history
//! --export` writes observations only.
//!
//! Linux reads `/proc/net/route`, `/proc/net/ipv6_route` and
//! `/etc/resolv.conf`; other Unix systems give the interfaces and the
//! resolvers (`/etc/resolv.conf`), and no default route.

use serde::{Deserialize, Serialize};

/// What the network looked like when a run started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkFacts {
    /// Interfaces that are up, with their addresses (loopback left out).
    pub interfaces: Vec<Interface>,
    /// The default routes (IPv4 and IPv6), if any.
    pub default_routes: Vec<DefaultRoute>,
    /// The DNS resolvers configured (`nameserver` lines).
    pub resolvers: Vec<String>,
}

/// One network interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// Its name (`eth0`, `wlan0`, `en0`).
    pub name: String,
    /// Its IP addresses.
    pub addresses: Vec<String>,
}

/// A default route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRoute {
    /// The interface it leaves through.
    pub interface: String,
    /// The gateway's address, when it has one.
    pub gateway: Option<String>,
}

impl NetworkFacts {
    /// Reads the facts of this machine now. What cannot be read is left
    /// empty: a run is never lost to a missing `/proc`.
    pub fn gather() -> NetworkFacts {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let mut default_routes = ipv4_default_routes(&read("/proc/net/route"));
        default_routes.extend(ipv6_default_routes(&read("/proc/net/ipv6_route")));
        NetworkFacts {
            interfaces: interfaces(),
            default_routes,
            resolvers: resolvers(&read("/etc/resolv.conf")),
        }
    }

    /// One line for logs and `history`: the default route's interface and
    /// gateway, and the resolvers.
    pub fn brief(&self) -> String {
        let route = match self.default_routes.first() {
            Some(r) => match &r.gateway {
                Some(g) => format!("via {g} on {}", r.interface),
                None => format!("on {}", r.interface),
            },
            None => "no default route".into(),
        };
        match self.resolvers.is_empty() {
            true => route,
            false => format!("{route}, DNS {}", self.resolvers.join(" ")),
        }
    }
}

/// The interfaces that are up and have an address, loopback left out.
#[cfg(unix)]
fn interfaces() -> Vec<Interface> {
    use nix::net::if_::InterfaceFlags;
    let mut out: Vec<Interface> = Vec::new();
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return out;
    };
    for a in addrs {
        if a.flags.contains(InterfaceFlags::IFF_LOOPBACK)
            || !a.flags.contains(InterfaceFlags::IFF_UP)
        {
            continue;
        }
        let ip = a.address.as_ref().and_then(|s| {
            s.as_sockaddr_in()
                .map(|v4| std::net::IpAddr::V4(v4.ip()))
                .or_else(|| s.as_sockaddr_in6().map(|v6| std::net::IpAddr::V6(v6.ip())))
        });
        let Some(ip) = ip else { continue };
        match out.iter_mut().find(|i| i.name == a.interface_name) {
            Some(i) => i.addresses.push(ip.to_string()),
            None => out.push(Interface {
                name: a.interface_name.clone(),
                addresses: vec![ip.to_string()],
            }),
        }
    }
    for i in &mut out {
        i.addresses.sort();
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// No interface list off Unix.
#[cfg(not(unix))]
fn interfaces() -> Vec<Interface> {
    Vec::new()
}

/// Default routes in `/proc/net/route`: destination and mask 0. The
/// gateway is a little-endian hexadecimal IPv4 address.
pub(crate) fn ipv4_default_routes(table: &str) -> Vec<DefaultRoute> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8 || f[1] != "00000000" || f[7] != "00000000" {
                return None;
            }
            let gw = u32::from_str_radix(f[2], 16).ok()?;
            let gateway = (gw != 0).then(|| std::net::Ipv4Addr::from(gw.swap_bytes()).to_string());
            Some(DefaultRoute {
                interface: f[0].to_string(),
                gateway,
            })
        })
        .collect()
}

/// Default routes in `/proc/net/ipv6_route`: destination `::/0`, not on
/// the loopback interface.
pub(crate) fn ipv6_default_routes(table: &str) -> Vec<DefaultRoute> {
    table
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[0] != "0".repeat(32) || f[1] != "00" || f[9] == "lo" {
                return None;
            }
            let bytes: Vec<u8> = (0..16)
                .map(|i| u8::from_str_radix(f[4].get(i * 2..i * 2 + 2)?, 16).ok())
                .collect::<Option<_>>()?;
            let octets: [u8; 16] = bytes.try_into().ok()?;
            let gw = std::net::Ipv6Addr::from(octets);
            Some(DefaultRoute {
                interface: f[9].to_string(),
                gateway: (!gw.is_unspecified()).then(|| gw.to_string()),
            })
        })
        .collect()
}

/// The `nameserver` lines of a resolv.conf.
pub(crate) fn resolvers(conf: &str) -> Vec<String> {
    conf.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next().map(str::to_string))
                .flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_routes_are_read_from_the_kernel_tables() {
        let v4 =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                  wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n\
                  wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n";
        assert_eq!(
            ipv4_default_routes(v4),
            vec![DefaultRoute {
                interface: "wlan0".into(),
                gateway: Some("192.168.1.1".into())
            }]
        );
        let v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003  wlan0\n\
                  00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
        assert_eq!(
            ipv6_default_routes(v6),
            vec![DefaultRoute {
                interface: "wlan0".into(),
                gateway: Some("fe80::1".into())
            }]
        );
        assert!(ipv4_default_routes("").is_empty());
    }

    #[test]
    fn resolvers_are_the_nameserver_lines() {
        let conf = "# generated\nsearch lan\nnameserver 192.168.1.1\nnameserver  2001:db8::53\nnameserverx 1.1.1.1\n";
        assert_eq!(resolvers(conf), vec!["192.168.1.1", "2001:db8::53"]);
        let facts = NetworkFacts {
            interfaces: vec![],
            default_routes: ipv4_default_routes(
                "h\nwlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n",
            ),
            resolvers: resolvers(conf),
        };
        assert_eq!(
            facts.brief(),
            "via 192.168.1.1 on wlan0, DNS 192.168.1.1 2001:db8::53"
        );
    }
}
