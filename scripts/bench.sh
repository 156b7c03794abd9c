#!/usr/bin/env bash
# Runs the Go benchmarks of every workspace module's packages that have some (no tests), keeps
# the output in .ci-artifacts/bench.txt and, when BENCH_BASE names an earlier output, compares.
# Usage: scripts/bench.sh [go test flags]   e.g. scripts/bench.sh -bench Relay -benchtime 2s
# Environment: BENCH_COUNT (runs per benchmark, default 10: benchstat needs 6+ for intervals),
# BENCH_BASE (a previous bench.txt to compare with benchstat), TEST_DATABASE_URL (the outbox
# benchmark needs PostgreSQL; it is skipped without, or fails with CI=true).
source "$(dirname "$0")/lib.sh"
mkdir -p .ci-artifacts
out="$ROOT/.ci-artifacts/bench.txt"
base=""
if [ -n "${BENCH_BASE:-}" ]; then
  [ -f "$BENCH_BASE" ] || { echo "bench: BENCH_BASE=$BENCH_BASE: no such file" >&2; exit 1; }
  # A copy, so that BENCH_BASE may be the output file of the previous run.
  base="$(mktemp)"
  trap 'rm -f "$base"' EXIT
  cp "$BENCH_BASE" "$base"
fi
pkgs=()
for m in $(modules); do
  while IFS= read -r dir; do
    pkgs+=("./$dir")
  done < <(grep -rl --include='*_test.go' '^func Benchmark' "$m" | xargs -r -n1 dirname | sort -u)
done
if [ ${#pkgs[@]} -eq 0 ]; then
  echo "bench: no benchmarks found" >&2; exit 1
fi
go test -run '^$' -bench . -benchmem -count "${BENCH_COUNT:-10}" "$@" "${pkgs[@]}" | tee "$out"
echo "bench: output in ${out#"$ROOT"/}"
if [ -n "$base" ]; then
  go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "base=$base" "new=$out"
fi
