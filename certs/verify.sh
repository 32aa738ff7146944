#!/usr/bin/env bash
# Verify certs/catalog.json against the PEM files next to it.
#
#   certs/verify.sh            # exit 0 = all good, 1 = a check failed, 2 = missing tool
#
# Needs only openssl and python3 (standard library). For every entry with a
# "pem" it recomputes
#   cert SHA-256 = openssl x509 -in F -outform DER | sha256
#   SPKI SHA-256 = openssl x509 -in F -pubkey -noout | openssl pkey -pubin -outform DER | sha256
# and requires both values to be listed in the entry, and that the file holds
# one certificate and no private key. It also checks the
# catalog structure (keys, ids, categories, kinds, hex format), that every name
# regex compiles and avoids syntax Rust's `regex` crate rejects (lookaround,
# backreferences, ...), that PEM-backed entries' name rules match their own
# certificate's subject, and (warning only) that no name rule matches a root in
# the system CA bundle.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
catalog="$here/catalog.json"

for tool in openssl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "verify.sh: '$tool' not found in PATH" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sha256_hex() { openssl dgst -sha256 -r | cut -d' ' -f1; }

# 1. Which entries carry a PEM? (python prints "id<TAB>pem" lines; fails on unparsable JSON)
python3 - "$catalog" > "$work/pems.tsv" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    cat = json.load(f)
for e in cat.get("entries", []):
    if isinstance(e, dict) and isinstance(e.get("pem"), str):
        print(f"{e.get('id')}\t{e['pem']}")
PY

# 2. Recompute the hashes with openssl only.
: > "$work/computed.tsv"
while IFS=$'\t' read -r id pem; do
    f="$here/$pem"
    if [[ ! -f "$f" ]]; then
        printf '%s\t%s\tMISSING\tMISSING\n' "$id" "$pem" >> "$work/computed.tsv"
        continue
    fi
    cert="$(openssl x509 -in "$f" -outform DER 2>/dev/null | sha256_hex)" || cert=ERROR
    spki="$(openssl x509 -in "$f" -pubkey -noout 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | sha256_hex)" || spki=ERROR
    printf '%s\t%s\t%s\t%s\n' "$id" "$pem" "$cert" "$spki" >> "$work/computed.tsv"
done < "$work/pems.tsv"

# 3. Compare and validate.
python3 - "$catalog" "$work/computed.tsv" "$here" <<'PY'
import glob, json, os, re, subprocess, sys

catalog_path, computed_path, certdir = sys.argv[1:4]
errors, warnings = [], []

def err(msg):
    errors.append(msg)

with open(catalog_path, encoding="utf-8") as f:
    cat = json.load(f)

CATEGORIES = {"state-interception", "corporate-proxy", "antivirus", "debugging-proxy",
              "adware", "compromised-key", "test"}
KINDS = {"root", "intermediate", "product-pattern"}
ENTRY_KEYS = ["id", "label", "operator", "category", "kind", "years", "pem",
              "cert_sha256", "spki_sha256", "names", "sources", "notes"]
NAME_KEYS = {"c", "st", "l", "o", "ou", "cn"}
HEX64 = re.compile(r"[0-9a-f]{64}")
ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Constructs Python accepts but Rust's regex crate does not.
RUST_UNSUPPORTED = [
    (re.compile(r"\(\?<?[=!]"), "lookaround"),
    (re.compile(r"\\[1-9]"), "backreference"),
    (re.compile(r"\(\?P="), "named backreference"),
    (re.compile(r"\(\?>"), "atomic group"),
    (re.compile(r"\(\?\("), "conditional"),
    (re.compile(r"\\Z"), "\\Z (use \\z or $)"),
    (re.compile(r"(?<!\\)[*+?}]\+"), "possessive quantifier"),
]

if not isinstance(cat, dict) or set(cat) != {"schema", "description", "entries"}:
    err("top level must have exactly the keys schema, description, entries")
if cat.get("schema") != 1:
    err("schema must be 1")
if not isinstance(cat.get("description"), str):
    err("description must be a string")
entries = cat.get("entries")
if not isinstance(entries, list) or not entries:
    err("entries must be a non-empty list")
    entries = []

computed = {}
with open(computed_path, encoding="utf-8") as f:
    for line in f:
        eid, pem, cert, spki = line.rstrip("\n").split("\t")
        computed[eid] = (pem, cert, spki)

def subject_attrs(pem_text_or_path, is_path=True):
    """Subject as {attr_lower: [values]} via openssl (one RDN per line, unescaped)."""
    args = ["openssl", "x509", "-noout", "-subject", "-nameopt", "sep_multiline,sname,utf8"]
    if is_path:
        out = subprocess.run(args + ["-in", pem_text_or_path], capture_output=True, text=True)
    else:
        out = subprocess.run(args, input=pem_text_or_path, capture_output=True, text=True)
    if out.returncode != 0:
        return None
    attrs = {}
    for line in out.stdout.splitlines()[1:]:
        for ava in line.strip().split(" + "):
            if "=" in ava:
                k, v = ava.split("=", 1)
                attrs.setdefault(k.lower(), []).append(v)
    return attrs

def rule_matches(rule, attrs):
    return all(any(p.search(v) for v in attrs.get(k, [])) for k, p in rule.items())

compiled_rules = []   # (entry id, index, {key: compiled})
seen_ids, seen_pems = set(), set()
lines = []

for n, e in enumerate(entries):
    where = f"entry #{n}"
    if not isinstance(e, dict):
        err(f"{where}: not an object"); continue
    eid = e.get("id")
    if isinstance(eid, str):
        where = eid
    if list(e) != ENTRY_KEYS:
        missing = [k for k in ENTRY_KEYS if k not in e]
        extra = [k for k in e if k not in ENTRY_KEYS]
        if missing or extra:
            err(f"{where}: missing keys {missing}, unknown keys {extra}")
    if not isinstance(eid, str) or not ID_RE.fullmatch(eid):
        err(f"{where}: id must be lowercase kebab-case")
    elif eid in seen_ids:
        err(f"{where}: duplicate id")
    seen_ids.add(eid)
    for k in ("label", "operator"):
        if not isinstance(e.get(k), str) or not e.get(k).strip():
            err(f"{where}: {k} must be a non-empty string")
    for k in ("years", "notes"):
        if not isinstance(e.get(k), str):
            err(f"{where}: {k} must be a string")
    if e.get("category") not in CATEGORIES:
        err(f"{where}: category {e.get('category')!r} not in {sorted(CATEGORIES)}")
    if e.get("kind") not in KINDS:
        err(f"{where}: kind {e.get('kind')!r} not in {sorted(KINDS)}")
    for k in ("cert_sha256", "spki_sha256"):
        v = e.get(k)
        if not isinstance(v, list) or not all(isinstance(h, str) and HEX64.fullmatch(h) for h in v):
            err(f"{where}: {k} must be a list of 64-char lowercase hex strings")
        elif len(set(v)) != len(v):
            err(f"{where}: {k} has duplicates")
    srcs = e.get("sources")
    if not isinstance(srcs, list) or not srcs or not all(isinstance(s, str) and s.strip() for s in srcs):
        err(f"{where}: sources must be a non-empty list of strings")
    names = e.get("names")
    if not isinstance(names, list):
        err(f"{where}: names must be a list"); names = []
    for i, rule in enumerate(names):
        if not isinstance(rule, dict) or not rule:
            err(f"{where}: names[{i}] must be a non-empty object"); continue
        comp = {}
        for k, pat in rule.items():
            if k not in NAME_KEYS:
                err(f"{where}: names[{i}] key {k!r} not in {sorted(NAME_KEYS)}"); continue
            if not isinstance(pat, str) or not pat:
                err(f"{where}: names[{i}].{k} must be a non-empty string"); continue
            for rx, what in RUST_UNSUPPORTED:
                if rx.search(pat):
                    err(f"{where}: names[{i}].{k} uses {what}, unsupported by Rust regex: {pat}")
            try:
                comp[k] = re.compile(pat)
            except re.error as ex:
                err(f"{where}: names[{i}].{k} does not compile: {ex}: {pat}"); continue
            if not (pat.startswith("^") and pat.endswith("$") and not pat.endswith("\\$")):
                warnings.append(f"{where}: names[{i}].{k} is not anchored (^...$): {pat}")
        if comp and len(comp) == len(rule):
            compiled_rules.append((eid, i, comp))
    if isinstance(e.get("cert_sha256"), list) and isinstance(e.get("spki_sha256"), list) \
            and not (e["cert_sha256"] or e["spki_sha256"] or names):
        err(f"{where}: needs at least one of cert_sha256, spki_sha256, names")

    pem = e.get("pem")
    if pem is None:
        lines.append(f"ok    {eid:<34} no pem ({len(e.get('spki_sha256') or [])} spki, {len(names)} name rule(s))")
        continue
    if not isinstance(pem, str) or "/" in pem or not pem.endswith(".pem"):
        err(f"{where}: pem must be null or a .pem file name in certs/"); continue
    seen_pems.add(pem)
    got = computed.get(eid)
    if got is None or got[0] != pem:
        err(f"{where}: no recomputed hashes for {pem}"); continue
    _, cert, spki = got
    problems = []
    if cert in ("MISSING", "ERROR") or spki in ("MISSING", "ERROR"):
        problems.append(f"cannot read {pem} ({cert})")
    else:
        with open(os.path.join(certdir, pem), encoding="ascii", errors="replace") as f:
            text = f.read()
        if text.count("-----BEGIN CERTIFICATE-----") != 1:
            problems.append(f"{pem} must hold exactly one certificate")
        # Example CAs' keys are public, but they stay in their packages.
        if re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text):
            problems.append(f"{pem} holds a private key: keep certificates only")
        if cert not in e.get("cert_sha256", []):
            problems.append(f"cert sha256 {cert} not in cert_sha256")
        if spki not in e.get("spki_sha256", []):
            problems.append(f"spki sha256 {spki} not in spki_sha256")
        if names:
            attrs = subject_attrs(os.path.join(certdir, pem))
            mine = [r for (rid, _, r) in compiled_rules if rid == eid]
            if attrs is None or not any(rule_matches(r, attrs) for r in mine):
                problems.append("no name rule matches the PEM's own subject DN")
    if problems:
        for p in problems:
            err(f"{eid}: {p}")
        lines.append(f"FAIL  {eid:<34} {pem}: " + "; ".join(problems))
    else:
        lines.append(f"ok    {eid:<34} cert {cert[:16]}… spki {spki[:16]}… {pem}")

# PEM files that no entry references
for path in sorted(glob.glob(os.path.join(certdir, "*.pem"))):
    if os.path.basename(path) not in seen_pems:
        err(f"{os.path.basename(path)}: PEM file not referenced by any entry")

# Warning only: name rules that hit a root of the system CA bundle (public CAs,
# but a local bundle may also hold locally installed interception roots).
bundle = next((p for p in [os.environ.get("SSL_CERT_FILE", ""),
                           "/etc/ssl/certs/ca-certificates.crt",
                           "/etc/pki/tls/certs/ca-bundle.crt",
                           "/etc/ssl/cert.pem"] if p and os.path.isfile(p)), None)
checked_roots = 0
if bundle:
    with open(bundle, encoding="ascii", errors="replace") as f:
        blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", f.read(), re.S)
    for blk in blocks:
        attrs = subject_attrs(blk + "\n", is_path=False)
        if attrs is None:
            continue
        checked_roots += 1
        for rid, i, rule in compiled_rules:
            if rule_matches(rule, attrs):
                dn = ", ".join(f"{k}={'/'.join(v)}" for k, v in attrs.items())
                warnings.append(f"{rid}: names[{i}] matches system-bundle root {dn}")

for l in lines:
    print(l)
for w in warnings:
    print("WARN  " + w)
print(f"-- {len(entries)} entries, {len(seen_pems)} PEMs checked, "
      f"{len(compiled_rules)} name rules compiled, "
      + (f"{checked_roots} roots of {bundle} screened" if bundle else "no system CA bundle found to screen")
      + f", {len(warnings)} warning(s), {len(errors)} error(s)")
for x in errors:
    print("ERROR " + x, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
