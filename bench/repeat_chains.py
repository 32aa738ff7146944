#!/usr/bin/env python3
"""Writes the real-chains benchmark input (issue 22): x509-limbo's 279
genuine chains of 14 popular sites, as observations
(fixtures/limbo/online-observations.jsonl.gz, made by tests/limbo.rs from
x509-limbo's online test cases; fixtures/limbo/README.md names the source),
repeated REPEATS times, as an archive of daily scans or an OONI dump repeats
the same sites.

Repeat k of a chain (k = 0 .. REPEATS-1) is the same observation made
k * STEP_HOURS later than limbo's validation time (the leaf's notBefore plus
one second), so that every repeat is judged at a time of its own
(`analyze --at observed`, the default): a cache may reuse what does not
depend on the time, never what does. The chains stay valid: the shortest
lives 29 days past limbo's time, and the last repeat comes 24.75 days
after it with the defaults. Repeats follow each other as scans do: all 279
chains, then all 279 again.

Usage: repeat_chains.py REPEATS [STEP_HOURS] > OUT.jsonl   (STEP_HOURS: 6)
"""
import datetime
import gzip
import json
import os
import sys

SOURCE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "fixtures", "limbo", "online-observations.jsonl.gz",
)


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: repeat_chains.py REPEATS [STEP_HOURS] > OUT.jsonl")
    repeats = int(sys.argv[1])
    step = datetime.timedelta(hours=float(sys.argv[2]) if len(sys.argv) == 3 else 6)
    if repeats < 1:
        sys.exit("repeat_chains.py: REPEATS must be at least 1")
    with gzip.open(SOURCE, "rt", encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    if len(lines) != 279:
        sys.exit(f"repeat_chains.py: {SOURCE} holds {len(lines)} chains, not 279")
    # Each line split around its time, so that a repeat is a concatenation
    # (a million lines must not take longer to write than to judge).
    parts = []
    for line in lines:
        start = json.loads(line)["started_at"]
        field = f'"started_at":"{start}"'
        if line.count(field) != 1:
            sys.exit(f"repeat_chains.py: {field} is not in the line once")
        before, after = line.split(field)
        t = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
        parts.append((before + '"started_at":"', t, '"' + after + "\n"))
    out = sys.stdout
    for k in range(repeats):
        out.writelines(before + rfc3339(t + k * step) + after for before, t, after in parts)


if __name__ == "__main__":
    main()
