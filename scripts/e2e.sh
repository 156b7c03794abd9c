#!/usr/bin/env bash
# Runs only the end-to-end suites (e2e/): the whole system through the gateway.
source "$(dirname "$0")/lib.sh"
exec "$ROOT/scripts/test.sh" -run 'E2E' "$@"
