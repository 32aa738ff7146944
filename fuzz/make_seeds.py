#!/usr/bin/env python3
"""Builds the seed corpus in fuzz/corpus/<target>/ from the repository's
fixtures: the test chains and catalog roots (fixtures/, certs/), the domain
lists (certs/domains/), the regression inputs (fixtures/regressions/) and,
when given, a JSON Lines file of observations (e.g. from `mitmwatch demo -o`).

    python3 fuzz/make_seeds.py [observations.jsonl]
"""
import base64
import hashlib
import json
import pathlib
import re
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def pem_certs(path):
    text = path.read_text(errors="replace")
    blocks = re.findall(
        r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S
    )
    return [base64.b64decode("".join(b.split())) for b in blocks]


def framed(certs):
    out = b""
    for c in certs:
        out += len(c).to_bytes(2, "big") + c
    return out


def observation(host, certs):
    return {
        "schema": 1,
        "tool": "seed",
        "target": {"host": host, "port": 443, "sni": host},
        "address": None,
        "route": None,
        "started_at": "2026-06-01T00:00:00Z",
        "duration_ms": 1.0,
        "status": "ok",
        "failure": None,
        "tls": None,
        "chain": [
            {
                "der": base64.b64encode(c).decode(),
                "sha256": hashlib.sha256(c).hexdigest(),
                "spki_sha256": None,
                "subject": None,
                "issuer": None,
                "serial": None,
                "not_before": None,
                "not_after": None,
                "parse_error": None,
            }
            for c in certs
        ],
        "stock_verification": None,
    }


def main():
    for target in ("observation_file", "der_chain", "domain_list"):
        shutil.rmtree(CORPUS / target, ignore_errors=True)
        (CORPUS / target).mkdir(parents=True)
    pems = sorted((ROOT / "fixtures").rglob("*.pem")) + sorted((ROOT / "certs").glob("*.pem"))
    for i, pem in enumerate(pems):
        certs = pem_certs(pem)
        if not certs:
            continue
        (CORPUS / "der_chain" / f"{pem.stem}").write_bytes(framed(certs))
        line = json.dumps(observation(f"seed{i}.example", certs))
        (CORPUS / "observation_file" / f"{pem.stem}.jsonl").write_text(line + "\n")
    for lst in sorted((ROOT / "certs" / "domains").glob("*.txt")):
        shutil.copy(lst, CORPUS / "domain_list" / lst.name)
    regressions = ROOT / "fixtures" / "regressions"
    for target in ("observation_file", "der_chain", "domain_list"):
        for f in sorted((regressions / target).glob("*")) if (regressions / target).is_dir() else []:
            shutil.copy(f, CORPUS / target / f"regression-{f.name}")
    if len(sys.argv) > 1:
        for i, line in enumerate(pathlib.Path(sys.argv[1]).read_text().splitlines()):
            (CORPUS / "observation_file" / f"observed-{i}.jsonl").write_text(line + "\n")
    for target in ("observation_file", "der_chain", "domain_list"):
        print(target, len(list((CORPUS / target).iterdir())), "seeds")


if __name__ == "__main__":
    main()
