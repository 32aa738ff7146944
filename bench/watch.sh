#!/usr/bin/env bash
# The watch benchmark (docs/watch.md, "Benchmark"): the size of a year of
# half-hourly runs of check's 63 sites in the history database next to the
# JSON Lines the same observations would take, and the CPU of a run next to
# `check`'s. Everything runs on 127.0.0.1 against the simulation.
#
#   bench/watch.sh            (ROUNDS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-5}"
echo "== building (release)"
cargo build --release --locked --bin mitmwatch --example watch-db 2>&1 | tail -1
target="${CARGO_TARGET_DIR:-target}"
"$target/release/examples/watch-db" "$target/release/mitmwatch" "$ROUNDS"
