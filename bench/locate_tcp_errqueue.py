#!/usr/bin/env python3
"""Does Linux queue ICMP time-exceeded for an established TCP socket on its
error queue? (It does not; this is the measurement behind `locate`'s use of
UDP probes, README section `locate`.)

Usage: locate_tcp_errqueue.py ADDR [PORT] [TTL]
ADDR:PORT must accept TCP and be more than TTL (default 2) hops away, e.g.
the origin of the namespace topology in tests/locate_netns.rs, run with
`ip netns exec CLIENT python3 bench/locate_tcp_errqueue.py 10.77.4.2`.

Prints, for a UDP socket and an established TCP socket, both with
IP_RECVERR and TTL lowered, what the error queue held and SO_ERROR.
"""
import select
import socket
import struct
import sys
import time

IP_RECVERR = 11
MSG_ERRQUEUE = 0x2000
WAIT = 2.0


def error_queue(sock):
    """The first error-queue entry within WAIT seconds, or None."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            _, ancillary, _, _ = sock.recvmsg(64, 512, MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            select.select([], [], [], 0.01)
            continue
        except OSError as e:
            return f"recvmsg failed: {e}"
        for _, _, data in ancillary:
            errno_, origin, icmp_type, icmp_code = struct.unpack("IBBB", data[:7])
            offender = socket.inet_ntoa(data[20:24])
            return f"errno {errno_} origin {origin} icmp {icmp_type}/{icmp_code} from {offender}"
    return None


def main():
    addr = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 443
    ttl = int(sys.argv[3]) if len(sys.argv) > 3 else 2

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    udp.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    udp.connect((addr, 33434 + ttl))
    udp.send(b"probe")
    print(f"UDP, TTL {ttl}: error queue: {error_queue(udp)}")

    tcp = socket.create_connection((addr, port), timeout=5)
    tcp.settimeout(None)  # MSG_DONTWAIT below, not Python's own waiting
    tcp.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    tcp.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    tcp.send(b"x" * 50)
    print(f"TCP (established), TTL {ttl}: error queue: {error_queue(tcp)}")
    print(f"TCP SO_ERROR: {tcp.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)}")
    tcp.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 64)
    tcp.close()


if __name__ == "__main__":
    main()
