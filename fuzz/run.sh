#!/usr/bin/env bash
# Fuzzes parse + compile with libFuzzer (needs a nightly toolchain and `cargo install cargo-fuzz`).
# Usage: fuzz/run.sh [RUNS]   (default 1000000 executions; the seed corpus is every golden
# program and example program of the repository, copied into fuzz/corpus/compile).
set -euo pipefail
cd "$(dirname "$0")"
runs="${1:-1000000}"
mkdir -p corpus/compile
for f in ../tests/golden/accept/*.mpc ../tests/golden/reject/*.mpc ../programs/*.mpc ../programs/*/*.mpc; do
    cp "$f" "corpus/compile/seed_$(basename "$(dirname "$f")")_$(basename "$f")"
done
exec cargo +nightly fuzz run --sanitizer none compile corpus/compile -- \
    -dict=mpc.dict -runs="$runs" -timeout=10 -rss_limit_mb=4096 -max_len=512 -print_final_stats=1
