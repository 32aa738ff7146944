#!/usr/bin/env python3
"""Builds certs/ct/log_history.json from the state extracts in sources/.

Each extract is one version of Chrome's CT log list (log_list.json or
all_logs_list.json) reduced to `LOG_ID STATE TIMESTAMP DESCRIPTION` lines
(see extract.py). A list gives each log's current state and the time it
entered it; a log's successive versions therefore show its timeline. For
every log this writes each (state, since) pair seen, in time order, with
the first and last list version that showed it.

    python3 certs/ct/history/build.py            # writes certs/ct/log_history.json
    python3 certs/ct/history/build.py --check    # fails if the file is not up to date

Checks: every extract line is well formed (times included), and every log
the history names has its key in the shipped lists (certs/ct/log_list.json
or certs/ct/all_logs_list.json), so that its SCTs can be verified.
Standard library only.
"""

import argparse
import base64
import datetime
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CT = os.path.dirname(HERE)
OUT = os.path.join(CT, "log_history.json")
STATES = ("pending", "qualified", "usable", "readonly", "retired", "rejected")
HEADER = re.compile(r"^# Chrome (log_list|all_logs_list) version (\S+), log_list_timestamp (\S+)$")


def fail(msg):
    sys.exit(f"build.py: {msg}")


def parse_time(text, where):
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        fail(f"{where}: {text!r} is not a time like 2024-01-31T12:00:00Z")


def shipped_keys():
    """Log id -> key of every log in the shipped lists."""
    keys = {}
    for name in ("log_list.json", "all_logs_list.json"):
        with open(os.path.join(CT, name), encoding="utf-8") as f:
            doc = json.load(f)
        for op in doc["operators"]:
            for log in op.get("logs", []) + op.get("tiled_logs", []):
                keys[log["log_id"]] = log["key"]
    return keys


def read_extract(path):
    rel = os.path.relpath(path, CT)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    m = HEADER.match(lines[0]) if lines else None
    if not m:
        fail(f"{rel}:1: the first line must be '# Chrome log_list|all_logs_list version V, log_list_timestamp T'")
    source = {
        "version": m.group(2),
        "list": m.group(1),
        "log_list_timestamp": m.group(3),
        "extract": rel,
        "source": None,
        "signature": None,
        "partial": False,
    }
    listed_at = parse_time(m.group(3), f"{rel}:1")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        where = f"{rel}:{n}"
        if line.startswith("# source: "):
            source["source"] = line[len("# source: "):]
        elif line.startswith("# signature: "):
            source["signature"] = line[len("# signature: "):]
        elif line.startswith("# partial: "):
            source["partial"] = True
        elif line.startswith("#") or not line.strip():
            continue
        else:
            parts = line.split(" ", 3)
            if len(parts) < 3:
                fail(f"{where}: expected 'LOG_ID STATE TIMESTAMP DESCRIPTION'")
            log_id, state, stamp = parts[0], parts[1], parts[2]
            rest = parts[3] if len(parts) > 3 else ""
            try:
                if len(base64.b64decode(log_id, validate=True)) != 32:
                    raise ValueError
            except ValueError:
                fail(f"{where}: {log_id!r} is not a base64 log id")
            if state == "none":
                rows.append((log_id, None, None, rest))
                continue
            if state not in STATES:
                fail(f"{where}: unknown state {state!r}")
            # A state may start after the list's date: Chrome announces
            # retirements ahead (53.6 of 2025-04-08 retires Nessie2025 on
            # 2025-04-15).
            parse_time(stamp, where)
            rows.append((log_id, state, stamp, rest))
    if not source["source"]:
        fail(f"{rel}: no '# source: REPO COMMIT PATH' line")
    return source, listed_at, rows


def build():
    keys = shipped_keys()
    extracts = [read_extract(p) for p in sorted(glob.glob(os.path.join(HERE, "sources", "*.txt")))]
    if not extracts:
        fail("no extracts in certs/ct/history/sources")
    extracts.sort(key=lambda e: e[1])
    logs = {}
    for source, _, rows in extracts:
        version = source["version"]
        for log_id, state, stamp, description in rows:
            entry = logs.setdefault(log_id, {"description": description, "states": {}})
            if description:
                entry["description"] = description
            if state is None:
                continue
            seen = entry["states"].setdefault((stamp, state), [version, version])
            seen[1] = version
    out_logs = []
    for log_id, entry in logs.items():
        if log_id not in keys:
            fail(f"log {log_id} ({entry['description']}) is in neither certs/ct/log_list.json nor all_logs_list.json: its key is unknown")
        states = sorted(entry["states"].items())
        record = {
            "log_id": log_id,
            "description": entry["description"],
            "states": [[state, stamp, first, last] for (stamp, state), (first, last) in states],
        }
        out_logs.append(record)
    out_logs.sort(key=lambda r: (r["description"].lower(), r["log_id"]))
    sources = [s for s, _, _ in extracts]
    lines = [
        "{",
        '  "format": "mitmwatch-ct-log-history-1",',
        '  "generated_by": "certs/ct/history/build.py from certs/ct/history/sources (see certs/ct/README.md)",',
        '  "states_are": "[state, since, first list version showing it, last list version showing it]",',
        '  "sources": [',
        ",\n".join("    " + json.dumps(s, ensure_ascii=False) for s in sources),
        "  ],",
        '  "logs": [',
        ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in out_logs),
        "  ]",
        "}",
    ]
    return "\n".join(lines) + "\n", len(sources), len(out_logs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if log_history.json is not up to date")
    args = ap.parse_args()
    text, n_sources, n_logs = build()
    if args.check:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                fail("certs/ct/log_history.json is not what build.py makes: run python3 certs/ct/history/build.py")
        print(f"certs/ct/log_history.json is up to date: {n_sources} list versions, {n_logs} logs")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote certs/ct/log_history.json: {n_sources} list versions, {n_logs} logs")


if __name__ == "__main__":
    main()
