#!/usr/bin/env python3
"""A reference scanner for the collector benchmark, in Python's standard
library only (asyncio + ssl, which wraps OpenSSL): what a short script
written for the same job costs in CPU time per handshake.

It does what `bench/run.sh` asks of `mitmwatch scan`: one connection per
name of the target list, all to the same address, with the same SNI, at the
same concurrency; a full TLS handshake (no session resumption: a new
SSLContext session is never reused), the chain verified against ROOT.pem,
the server's certificate kept in DER, then a clean close. Only completed
handshakes are counted; failures are counted apart and the program exits
with status 1 when none completed.

Output: `OK ok, FAILED failed in SECS s = RATE/s`.

Usage: py_asyncio_scan.py HOST PORT SNI TARGETS.txt CONCURRENCY ROOT.pem
"""

import asyncio
import ssl
import sys
import time


async def handshake(host, port, sni, context):
    """One connection; returns the server certificate's DER, or raises."""
    reader, writer = await asyncio.open_connection(
        host, port, ssl=context, server_hostname=sni
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        if not der:
            raise ssl.SSLError("no peer certificate")
        return der
    finally:
        writer.close()
        await writer.wait_closed()


async def scan(host, port, sni, targets, concurrency, context):
    queue = iter(targets)
    counts = {"ok": 0, "failed": 0, "bytes": 0}

    async def worker():
        for _target in queue:
            try:
                der = await handshake(host, port, sni, context)
            except (OSError, ssl.SSLError, asyncio.TimeoutError):
                counts["failed"] += 1
            else:
                counts["ok"] += 1
                counts["bytes"] += len(der)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counts


def main():
    if len(sys.argv) != 7:
        sys.exit("usage: py_asyncio_scan.py HOST PORT SNI TARGETS.txt CONCURRENCY ROOT.pem")
    host, port, sni, path, concurrency, roots = sys.argv[1:]
    with open(path, encoding="utf-8") as f:
        targets = [line.strip() for line in f if line.strip()]
    context = ssl.create_default_context(cafile=roots)
    context.set_alpn_protocols(["h2", "http/1.1"])
    started = time.monotonic()
    counts = asyncio.run(scan(host, int(port), sni, targets, int(concurrency), context))
    secs = time.monotonic() - started
    print(
        f"{counts['ok']} ok, {counts['failed']} failed in {secs:.2f} s = "
        f"{counts['ok'] / secs:.0f}/s"
    )
    if counts["ok"] == 0:
        sys.exit(f"no handshake of {len(targets)} completed")


if __name__ == "__main__":
    main()
