#!/usr/bin/env python3
"""Builds certs/removed-roots/ from the history of rustls/webpki-roots.

Usage: build.py WEBPKI_ROOTS_GIT_DIR

webpki-roots is generated from Mozilla's CCADB report and prints every
root's PEM in a comment above its trust anchor. Walking the commits that
changed the generated file, oldest first, gives for every root the first
commit that listed it and the first later commit that no longer did. The
roots that are not in the newest commit are written to removed-roots.pem,
and removed-roots.json records, for each, its SHA-256, SPKI SHA-256, subject,
and the two commits with their dates.

The dates are those of webpki-roots' commits, which follow Mozilla's store
with some delay (days to weeks): they bound, not pinpoint, when Mozilla
stopped trusting a root. Needs git and openssl on PATH.
"""
import base64, hashlib, json, os, re, subprocess, sys

FILES = ["src/lib.rs", "webpki-roots/src/lib.rs"]
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo, *args], check=True,
                          capture_output=True).stdout.decode("utf-8", "replace")


def pems_at(repo, commit):
    found = {}
    for path in FILES:
        try:
            text = git(repo, "show", f"{commit}:{path}")
        except subprocess.CalledProcessError:
            continue
        for m in PEM_RE.finditer(text):
            body = "".join(line.strip().lstrip("*").strip() for line in m.group(1).splitlines())
            try:
                der = base64.b64decode(body, validate=True)
            except Exception:
                continue
            found[hashlib.sha256(der).hexdigest()] = der
    return found


def openssl(der, *args):
    return subprocess.run(["openssl", "x509", "-inform", "DER", *args], input=der,
                          check=True, capture_output=True).stdout


def main():
    repo = sys.argv[1]
    out_dir = os.path.dirname(os.path.abspath(__file__))
    commits = git(repo, "log", "--reverse", "--format=%H %cs", "--", *FILES).split("\n")
    commits = [c.split() for c in commits if c.strip()]
    first_seen, removed, ders = {}, {}, {}
    previous = set()
    for sha, day in commits:
        now = pems_at(repo, sha)
        if not now:
            continue  # a commit that moved or emptied the file
        for h, der in now.items():
            first_seen.setdefault(h, (sha, day))
            ders[h] = der
            removed.pop(h, None)  # listed again
        for h in previous - set(now):
            removed.setdefault(h, (sha, day))
        previous = set(now)
    entries = []
    pem_out = []
    for h in sorted(removed, key=lambda h: (removed[h][1], h)):
        der = ders[h]
        pubkey = subprocess.run(["openssl", "x509", "-inform", "DER", "-pubkey", "-noout"],
                                input=der, check=True, capture_output=True).stdout
        spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pubkey,
                              check=True, capture_output=True).stdout
        subject = openssl(der, "-noout", "-subject", "-nameopt", "RFC2253").decode().strip()
        subject = subject.removeprefix("subject=")
        pem_out.append(f"# {subject}\n# SHA-256 {h}, removed {removed[h][1]}\n")
        pem_out.append(openssl(der, "-outform", "PEM").decode())
        entries.append({
            "sha256": h,
            "spki_sha256": hashlib.sha256(spki).hexdigest(),
            "subject": subject,
            "first_listed": {"date": first_seen[h][1], "commit": first_seen[h][0]},
            "removed": {"date": removed[h][1], "commit": removed[h][0]},
        })
    head = git(repo, "rev-parse", "HEAD").strip()
    doc = {
        "schema": 1,
        "description": "Roots that Mozilla's store (as webpki-roots generates it from the CCADB) "
                       "listed once and no longer lists, with the webpki-roots commits that first "
                       "listed and then dropped each. A chain validated at a time before a root's "
                       "removal may be judged with it.",
        "source": f"rustls/webpki-roots, history of {' and '.join(FILES)} up to commit {head}",
        "roots": entries,
    }
    with open(os.path.join(out_dir, "removed-roots.pem"), "w") as f:
        f.write("".join(pem_out))
    with open(os.path.join(out_dir, "removed-roots.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"{len(entries)} removed roots from {len(commits)} commits", file=sys.stderr)


if __name__ == "__main__":
    main()
