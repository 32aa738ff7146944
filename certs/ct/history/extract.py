#!/usr/bin/env python3
"""Writes the state extract of one version of Chrome's CT log list.

An extract is what certs/ct/history/build.py reads: a few header lines and
one line per log, `LOG_ID STATE TIMESTAMP DESCRIPTION`, in list order.

    python3 certs/ct/history/extract.py LIST.json --source "REPO COMMIT PATH" \
        [--sig LIST.sig] > certs/ct/history/sources/NAME.txt

With --sig, the list's signature is checked with Google's key
(certs/ct/log_list_pubkey.pem) by `openssl dgst -sha256 -verify`, and the
extract says whether it verified; the extract is refused if it does not.
Standard library only (plus the openssl command for --sig).
"""

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PUBKEY = os.path.join(HERE, "..", "log_list_pubkey.pem")
STATES = ("pending", "qualified", "usable", "readonly", "retired", "rejected")


def fail(msg):
    sys.exit(f"extract.py: {msg}")


def verify(list_path, sig_path):
    proc = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", PUBKEY, "-signature", sig_path, list_path],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or "Verified OK" not in proc.stdout:
        fail(f"{sig_path}: the signature does not verify for {list_path}: {proc.stdout}{proc.stderr}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("list", help="a v3 log_list.json or all_logs_list.json")
    ap.add_argument("--source", required=True, help="REPO COMMIT PATH the file came from")
    ap.add_argument("--sig", help="the list's .sig file, checked with Google's key")
    args = ap.parse_args()
    with open(args.list, "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw)
    except ValueError as e:
        fail(f"{args.list}: not JSON: {e}")
    signature = "not available"
    if args.sig:
        verify(args.list, args.sig)
        signature = "verified with certs/ct/log_list_pubkey.pem"
    kind = "all_logs_list" if doc.get("is_all_logs") else "log_list"
    out = [
        f"# Chrome {kind} version {doc['version']}, log_list_timestamp {doc['log_list_timestamp']}",
        f"# source: {args.source}",
        f"# sha256 of the file: {hashlib.sha256(raw).hexdigest()}",
        f"# signature: {signature}",
        "# extracted by certs/ct/history/extract.py (log_id, state, state timestamp, description)",
    ]
    for op in doc["operators"]:
        for log in op.get("logs", []) + op.get("tiled_logs", []):
            where = f"{args.list}: operator {op.get('name')!r}, log {log.get('description')!r}"
            key = base64.b64decode(log["key"])
            if base64.b64encode(hashlib.sha256(key).digest()).decode() != log["log_id"]:
                fail(f"{where}: log_id is not the SHA-256 of the key")
            state = log.get("state")
            if not state:
                # Test logs (Google's Submariner, Daedalus) carry no state.
                out.append(f"{log['log_id']} none - {log.get('description', '')}")
                continue
            if len(state) != 1 or next(iter(state)) not in STATES:
                fail(f"{where}: state {state!r} is not one of {STATES}")
            (name, body), = state.items()
            out.append(f"{log['log_id']} {name} {body['timestamp']} {log.get('description', '')}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
