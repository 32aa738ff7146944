#!/usr/bin/env bash
# Sharding on one machine: N `scan --shard K/N` processes sharing the total
# concurrency versus one process with all of it, on the same list against
# the built-in simulation (127.0.0.1 only), then `merge` of the N outputs.
# Prints the one-process baseline and the shards from the same run: wall
# time, throughput ratio, per-shard peak RSS, and the merge's time and RSS.
#
#   bench/shards.sh
#
# Environment: TARGETS_N (20000), SHARDS ("2 4"), CONCURRENCY (64, the total
# for each configuration), PROFILE (release; `dev` for a quick look).
# Needs python3 and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS_N="${TARGETS_N:-20000}"
SHARDS="${SHARDS:-2 4}"
CONCURRENCY="${CONCURRENCY:-64}"
PROFILE="${PROFILE:-release}"

echo "== building ($PROFILE)"
cargo build --profile "$PROFILE" --locked --bin mitmwatch 2>&1 | tail -1
dir=$PROFILE
[ "$PROFILE" = dev ] && dir=debug
bin="${CARGO_TARGET_DIR:-target}/$dir/mitmwatch"
tmp="$(mktemp -d)"
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "mitmwatch $($bin --version | cut -d' ' -f2) ($PROFILE), $(date -u +%Y-%m-%dT%H:%MZ)"

"$bin" sim --duration 3600 --roots-out "$tmp/root.pem" > "$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$tmp/root.pem" ] && break; sleep 0.1; done
origin=$(sed -n 's/^origin (genuine certificates for any name): //p' "$tmp/sim.log")
port="${origin##*:}"
python3 -c "print('\n'.join(f'h{i}.bench.example' for i in range($TARGETS_N)))" > "$tmp/list.txt"
# Every name to the origin, one SNI so that its cached leaf is used (as in bench/run.sh).
scan=("$bin" scan -q --sni bench.example --connect-to "::127.0.0.1:$port" --roots "$tmp/root.pem" --retries 0 --per-address 100000 -i "$tmp/list.txt")
now() { date +%s.%N; }
mib() { echo $(($(head -c 20 "$1" | tr -dc 0-9) / 1024)); }
ok() { cat "$@" | grep -c '"status":"ok"' || true; }

# Warm-up: the origin mints and caches its leaf.
"${scan[@]}" --concurrency 8 --shard "1/$((TARGETS_N / 200 + 1))" -o /dev/null

echo
echo "== $TARGETS_N targets, total concurrency $CONCURRENCY"
t0=$(now)
/usr/bin/time -f "%M" -o "$tmp/rss-one" "${scan[@]}" --concurrency "$CONCURRENCY" -o "$tmp/one.jsonl"
t1=$(now)
one_s=$(python3 -c "print(f'{$t1-$t0:.2f}')")
one_rate=$(python3 -c "print(f'{$TARGETS_N/($t1-$t0):.0f}')")
echo "baseline, one process: ${one_s} s, $one_rate handshakes/s ($(ok "$tmp/one.jsonl") ok), peak RSS $(mib "$tmp/rss-one") MiB"

for n in $SHARDS; do
    per=$(( CONCURRENCY / n > 0 ? CONCURRENCY / n : 1 ))
    pids=()
    t0=$(now)
    for k in $(seq 1 "$n"); do
        /usr/bin/time -f "%M" -o "$tmp/rss-$n-$k" "${scan[@]}" --concurrency "$per" --shard "$k/$n" -o "$tmp/shard-$n-$k.jsonl" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    t1=$(now)
    rss=""
    for k in $(seq 1 "$n"); do rss="$rss $(mib "$tmp/rss-$n-$k")"; done
    secs=$(python3 -c "print(f'{$t1-$t0:.2f}')")
    rate=$(python3 -c "print(f'{$TARGETS_N/($t1-$t0):.0f}')")
    ratio=$(python3 -c "print(f'{($TARGETS_N/($t1-$t0))/$one_rate:.2f}')")
    echo "$n shards in parallel, concurrency $per each: ${secs} s, $rate handshakes/s ($(ok "$tmp"/shard-"$n"-*.jsonl) ok) = ${ratio}x the one process; per-shard peak RSS (MiB):$rss"
    t0=$(now)
    /usr/bin/time -f "%M" -o "$tmp/rss-merge-$n" "$bin" merge -q "$tmp"/shard-"$n"-*.jsonl --targets "$tmp/list.txt" --sni bench.example -o "$tmp/merged-$n.jsonl"
    t1=$(now)
    echo "  merge of the $n outputs: $(python3 -c "print(f'{$t1-$t0:.2f}')") s, peak RSS $(mib "$tmp/rss-merge-$n") MiB, every target exactly once (exit 0)"
done
