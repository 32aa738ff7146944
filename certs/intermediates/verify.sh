#!/usr/bin/env bash
# Verify certs/intermediates/intermediates.json against the PEM files next to it.
#
#   certs/intermediates/verify.sh   # exit 0 = all good, 1 = a check failed, 2 = missing tool
#
# For every entry, recomputes the certificate's SHA-256 with openssl
# (openssl x509 -in F -outform DER | sha256) and requires it to equal the
# entry's cert_sha256; every PEM file here must be listed and hold exactly
# one certificate of a CA (basicConstraints CA:TRUE).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in openssl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "verify.sh: '$tool' not found in PATH" >&2; exit 2; }
done
status=0
listed="$(python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["entries"]: print(e["file"], e["cert_sha256"])' "$here/intermediates.json")"
while read -r file want; do
    f="$here/$file"
    if [[ ! -f "$f" ]]; then echo "FAIL  $file: missing"; status=1; continue; fi
    if [[ "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$f")" != 1 ]]; then
        echo "FAIL  $file: must hold exactly one certificate"; status=1; continue
    fi
    got="$(openssl x509 -in "$f" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)"
    if [[ "$got" != "$want" ]]; then echo "FAIL  $file: sha256 $got, listed $want"; status=1; continue; fi
    if ! openssl x509 -in "$f" -noout -ext basicConstraints 2>/dev/null | grep -q 'CA:TRUE'; then
        echo "FAIL  $file: not a CA certificate"; status=1; continue
    fi
    echo "ok    $file ${got:0:16}…"
done <<< "$listed"
for f in "$here"/*.pem; do
    name="$(basename "$f")"
    grep -q "^$name " <<< "$listed" || { echo "FAIL  $name: not listed in intermediates.json"; status=1; }
done
exit "$status"
