#!/usr/bin/env bash
# Runs the tests of every module: unit, integration (real Postgres, Redis and daprd) and e2e.
# Usage: scripts/test.sh [go test flags]   e.g. scripts/test.sh -run Outbox
# Environment: TEST_DATABASE_URL, TEST_REDIS_ADDR, DAPRD (see README). With CI=true a missing
# prerequisite fails instead of skipping. The JSON event stream is kept in .ci-artifacts/ so
# that .ci/run can check which suites really ran.
source "$(dirname "$0")/lib.sh"
mkdir -p .ci-artifacts
json="$ROOT/.ci-artifacts/test.json"
: >"$json"
pkgs=()
for m in $(modules); do pkgs+=("./$m/..."); done
# One go test invocation over all modules (workspace mode): packages run in parallel, the
# closing summary counts everything.
$GOTESTSUM --format testname --jsonfile "$json" -- -count=1 -timeout 30m "$@" "${pkgs[@]}"
