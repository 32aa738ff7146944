#!/usr/bin/env bash
# mitmwatch benchmarks. Prints each figure next to its baseline, measured in
# the same run on the same machine. Everything runs on 127.0.0.1 against the
# built-in simulation; nothing leaves the machine.
#
#   bench/run.sh [collector|memory|analyzer|report|all]     (default: all)
#
# Environment: HANDSHAKES (20000), CONCURRENCY (64), MEM_SIZES ("10000 100000"),
# CORPUS (100000). Needs openssl, python3 and GNU time (/usr/bin/time); the
# report part needs chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
HANDSHAKES="${HANDSHAKES:-20000}"
CONCURRENCY="${CONCURRENCY:-64}"
MEM_SIZES="${MEM_SIZES:-10000 100000}"
CORPUS="${CORPUS:-100000}"

echo "== building (release)"
cargo build --release --locked --bin mitmwatch --example handshake-baseline --example gen-corpus --example signature-floor 2>&1 | tail -1
bin=target/release/mitmwatch
ex=target/release/examples
tmp="$(mktemp -d)"
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "mitmwatch $($bin --version | cut -d' ' -f2), $(date -u +%Y-%m-%dT%H:%MZ)"

now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1/($3-$2):.0f}')"; }

start_sim() {
    "$bin" sim --duration 3600 --roots-out "$tmp/root.pem" > "$tmp/sim.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 100); do [ -s "$tmp/root.pem" ] && break; sleep 0.1; done
    origin=$(sed -n 's/^origin (genuine certificates for any name): //p' "$tmp/sim.log")
    port="${origin##*:}"
}

targets() { # N -> file of N distinct host names
    python3 -c "import sys; print('\n'.join(f'h{i}.bench.example' for i in range($1)))" > "$tmp/targets-$1.txt"
    echo "$tmp/targets-$1.txt"
}

scan_args() { # common flags: every name to the origin, one SNI so the origin's cached leaf is used
    echo "scan -q --sni bench.example --connect-to ::127.0.0.1:$port --roots $tmp/root.pem --retries 0 --per-address 100000"
}

collector() {
    echo
    echo "== collector throughput: $HANDSHAKES handshakes, concurrency $CONCURRENCY, against the simulated origin (TLS 1.3, ECDSA P-256)"
    local list; list=$(targets "$HANDSHAKES")
    # Warm-up: the origin mints and caches its leaf.
    "$ex/handshake-baseline" "127.0.0.1:$port" bench.example 200 8 "$tmp/root.pem" > /dev/null
    for round in 1 2; do
        local out; out=$("$ex/handshake-baseline" "127.0.0.1:$port" bench.example "$HANDSHAKES" "$CONCURRENCY" "$tmp/root.pem")
        local base; base=$(echo "$out" | sed -n 's/.*= \([0-9]*\)\/s.*/\1/p')
        local t0; t0=$(now)
        # shellcheck disable=SC2046
        "$bin" $(scan_args) --concurrency "$CONCURRENCY" -i "$list" -o "$tmp/scan.jsonl"
        local t1; t1=$(now)
        local n; n=$(grep -c '"status":"ok"' "$tmp/scan.jsonl" || true)
        local ours; ours=$(rate "$n" "$t0" "$t1")
        echo "round $round: baseline (bare tokio-rustls loop) $base/s; mitmwatch scan $ours/s ($n ok of $HANDSHAKES, JSON written) = $(python3 -c "print(f'{100*$ours/$base:.0f}')")% of baseline (goal >= 80%)"
    done
    echo "openssl s_time (sequential, one connection at a time, 5 s, no SNI):"
    openssl s_time -connect "127.0.0.1:$port" -new -time 5 2>/dev/null | grep -E "connections in|connections/user" | sed 's/^/  /'
}

memory() {
    echo
    echo "== scan memory: peak RSS by list size (concurrency $CONCURRENCY)"
    local first=""
    for n in $MEM_SIZES; do
        local list; list=$(targets "$n")
        # shellcheck disable=SC2046
        /usr/bin/time -f "%M" -o "$tmp/rss" "$bin" $(scan_args) --concurrency "$CONCURRENCY" -i "$list" -o /dev/null
        local kb; kb=$(cat "$tmp/rss")
        [ -z "$first" ] && first=$kb
        echo "$n targets: peak RSS $((kb / 1024)) MiB (goal < 150 MiB; first size: $((first / 1024)) MiB)"
    done
}

analyzer() {
    echo
    echo "== analyzer throughput: $CORPUS observations, 5 RSA-2048 intermediates under one root"
    for k in root int0 int1 int2 int3 int4; do
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/$k.key" 2>/dev/null
    done
    "$ex/gen-corpus" "$CORPUS" "$tmp" "$tmp" > /dev/null
    cat "$tmp/corpus.jsonl" > /dev/null # in the page cache for every run below
    local analyze=("$bin" analyze "$tmp/corpus.jsonl" --format json -o "$tmp/assessments.jsonl" --roots "$tmp/roots.pem" --at 2026-06-01T00:00:00Z)
    echo "(each figure is the better of two runs; the machine is shared, so single runs vary)"
    local decode; decode=$(best_rate taskset -c 0 "$bin" baseline "$tmp/corpus.jsonl" -o /dev/null)
    echo "baseline 1, decode floor (read and decode every observation, no chain work), one core: $decode observations/s"
    local sig sig2
    sig=$(taskset -c 0 "$ex/signature-floor" "$tmp/corpus.jsonl")
    sig2=$(taskset -c 0 "$ex/signature-floor" "$tmp/corpus.jsonl")
    [ "${sig2%% *}" -gt "${sig%% *}" ] && sig=$sig2
    echo "baseline 2, signature floor (ring alone checking each leaf's RSA-2048 signature), one core: $sig"
    sig=${sig%% *}
    local ceiling; ceiling=$(python3 -c "print(f'{1/(1/$decode + 1/$sig):.0f}')")
    echo "ceiling for one core (decoding plus the signature checks, nothing else): $ceiling observations/s"
    local one; one=$(best_rate /usr/bin/time -f "%M" -o "$tmp/rss" taskset -c 0 "${analyze[@]}" --jobs 1)
    local clean; clean=$(grep -c '"verdict":"clean"' "$tmp/assessments.jsonl" || true)
    echo "mitmwatch analyze --jobs 1, one core: $one observations/s ($clean of $CORPUS clean; $(python3 -c "print(f'{100*$one/$ceiling:.0f}')")% of the ceiling; goal >= 50000/s), peak RSS $(($(cat "$tmp/rss") / 1024)) MiB"
    echo "mitmwatch analyze, all $(nproc) cores (--jobs default): $(best_rate "${analyze[@]}") observations/s"
    local report=("$bin" report "$tmp/corpus.jsonl" --roots "$tmp/roots.pem" --at 2026-06-01T00:00:00Z)
    /usr/bin/time -f "%M" -o "$tmp/rss-html" "${report[@]}" --html "$tmp/report.html" -o /dev/null 2>/dev/null || true
    /usr/bin/time -f "%M" -o "$tmp/rss-csv" "${report[@]}" --format csv -o /dev/null || true
    echo "mitmwatch report on the same corpus: peak RSS $(($(cat "$tmp/rss-html") / 1024)) MiB with --html ($(($(stat -c %s "$tmp/report.html") / 1048576)) MiB page), $(($(cat "$tmp/rss-csv") / 1024)) MiB with --format csv"
}

report_bench() {
    echo
    echo "== HTML report: $CORPUS observations (1 in 1000 intercepted, over 7 days), page size and headless Chromium render time"
    for k in root int0 int1 int2 int3 int4; do
        [ -s "$tmp/$k.key" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/$k.key" 2>/dev/null
    done
    mkdir -p "$tmp/report"
    "$ex/gen-corpus" "$CORPUS" "$tmp" "$tmp/report" 1000 > /dev/null
    local input="$tmp/report/corpus.jsonl"
    local t0 r0 r1; r0=$(now)
    "$bin" report "$input" --roots "$tmp/report/roots.pem" --at 2026-06-01T00:00:00Z --html "$tmp/report.html" -o /dev/null 2>/dev/null || true
    r1=$(now)
    local chrome=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2000 --disable-background-networking --disable-component-update --no-first-run)
    echo "<!DOCTYPE html><title>empty</title>" > "$tmp/empty.html"
    local best_empty=999 best_page=999 r
    for _ in 1 2; do
        t0=$(now); "${chrome[@]}" --user-data-dir="$tmp/chrome-e" --screenshot="$tmp/empty.png" "file://$tmp/empty.html" 2>/dev/null; r=$(python3 -c "print(f'{$(now)-$t0:.2f}')")
        best_empty=$(python3 -c "print(min($best_empty,$r))")
        t0=$(now); "${chrome[@]}" --user-data-dir="$tmp/chrome-p" --screenshot="$tmp/report.png" "file://$tmp/report.html" 2>/dev/null; r=$(python3 -c "print(f'{$(now)-$t0:.2f}')")
        best_page=$(python3 -c "print(min($best_page,$r))")
    done
    echo "input: $CORPUS observations, $(($(stat -c %s "$input") / 1048576)) MiB; mitmwatch report --html took $(python3 -c "print(f'{$r1-$r0:.1f}')") s"
    echo "HTML page: $(python3 -c "print(f'{$(stat -c %s "$tmp/report.html")/1e6:.1f}')") MB (goal < 30 MB); $(python3 -c "print(f'{$(stat -c %s "$tmp/report.html")/$(stat -c %s "$input")*100:.1f}')")% of the input"
    echo "headless Chromium load + render + screenshot: $best_page s (goal < 5 s); baseline, the same on an empty page: $best_empty s (better of two runs each)"
    [ -n "${KEEP_REPORT:-}" ] && cp "$tmp/report.html" "$tmp/report.png" "$KEEP_REPORT"/ && echo "page and screenshot copied to $KEEP_REPORT"
    return 0
}

best_rate() { # COMMAND... -> the better of two runs' rates, in $CORPUS items per second
    local best=0 t0 t1 r
    for _ in 1 2; do
        t0=$(now)
        "$@" 2>/dev/null || true
        t1=$(now)
        r=$(rate "$CORPUS" "$t0" "$t1")
        [ "$r" -gt "$best" ] && best=$r
    done
    echo "$best"
}

case "$what" in
    collector) start_sim; collector ;;
    memory) start_sim; memory ;;
    analyzer) analyzer ;;
    report) report_bench ;;
    all) start_sim; collector; memory; analyzer; report_bench ;;
    *) echo "usage: bench/run.sh [collector|memory|analyzer|report|all]" >&2; exit 2 ;;
esac
