//! Naming the router at each TTL without privileges: a UDP datagram sent
//! with that TTL to a closed port of the target (as `traceroute -U` does),
//! on a socket with `IP_RECVERR` (`IPV6_RECVERR`), so that the kernel
//! queues the ICMP error the datagram draws, with the address of its
//! sender, on the socket's error queue (read with `MSG_ERRQUEUE`).
//!
//! Why not the TCP socket itself: Linux does not queue ICMP errors for an
//! established TCP connection. `tcp_v4_err` only records them as a soft
//! error (`sk_err_soft`), or, with `IP_RECVERR` set, as a hard error that
//! the next read returns, in both cases without the sender's address
//! (measured: see docs/commands.md, `locate`). Linux only.

use mitmwatch_core::model::{IcmpKind, IcmpResponder};
use nix::errno::Errno;
use nix::libc;
use nix::sys::socket::{
    recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrStorage,
};
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// First destination port of the UDP probes (traceroute's): port
/// `BASE_PORT + ttl` of the target, which is almost never open.
pub(crate) const BASE_PORT: u16 = 33434;

/// How often the error queue is looked at while waiting.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// Sends one UDP probe with `ttl` to `target` and waits up to `wait` for
/// the ICMP error it draws. `Ok(None)`: nothing came back in time.
/// Blocking; run it off the async runtime.
pub(crate) fn udp_probe(
    target: IpAddr,
    ttl: u8,
    wait: Duration,
) -> io::Result<Option<IcmpResponder>> {
    let local: SocketAddr = match target {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local)?;
    match target {
        IpAddr::V4(_) => {
            setsockopt(&socket, sockopt::Ipv4RecvErr, &true)?;
            socket.set_ttl(u32::from(ttl))?;
        }
        IpAddr::V6(_) => {
            setsockopt(&socket, sockopt::Ipv6RecvErr, &true)?;
            setsockopt(&socket, sockopt::Ipv6Ttl, &i32::from(ttl))?;
        }
    }
    socket.connect((target, BASE_PORT.saturating_add(u16::from(ttl))))?;
    socket.send(b"mitmwatch locate")?;
    let deadline = Instant::now() + wait;
    loop {
        if let Some(found) = read_error_queue(&socket)? {
            return Ok(Some(found));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(POLL_EVERY.min(deadline - now));
    }
}

/// One entry of the error queue, if there is one.
fn read_error_queue(socket: &UdpSocket) -> io::Result<Option<IcmpResponder>> {
    let mut data = [0u8; 512];
    let mut iov = [IoSliceMut::new(&mut data)];
    let mut control = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
    let msg = match recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(control.as_mut_slice()),
        MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
    ) {
        Ok(msg) => msg,
        Err(Errno::EAGAIN) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    for cmsg in msg.cmsgs()? {
        match cmsg {
            ControlMessageOwned::Ipv4RecvErr(err, Some(from))
                if err.ee_origin == libc::SO_EE_ORIGIN_ICMP =>
            {
                let address = IpAddr::V4(Ipv4Addr::from(u32::from_be(from.sin_addr.s_addr)));
                let kind = match err.ee_type {
                    11 => IcmpKind::TimeExceeded,
                    3 => IcmpKind::Unreachable,
                    _ => IcmpKind::Other,
                };
                return Ok(Some(responder(address, kind, err.ee_type, err.ee_code)));
            }
            ControlMessageOwned::Ipv6RecvErr(err, Some(from))
                if err.ee_origin == libc::SO_EE_ORIGIN_ICMP6 =>
            {
                let address = IpAddr::V6(Ipv6Addr::from(from.sin6_addr.s6_addr));
                let kind = match err.ee_type {
                    3 => IcmpKind::TimeExceeded,
                    1 => IcmpKind::Unreachable,
                    _ => IcmpKind::Other,
                };
                return Ok(Some(responder(address, kind, err.ee_type, err.ee_code)));
            }
            _ => {}
        }
    }
    Ok(None)
}

fn responder(address: IpAddr, kind: IcmpKind, icmp_type: u8, icmp_code: u8) -> IcmpResponder {
    IcmpResponder {
        address,
        kind,
        icmp_type,
        icmp_code,
    }
}
