#!/usr/bin/env bash
# Usage: check-required-tests.sh TEST_JSON REQUIRED_LIST
# Fails unless every test named in REQUIRED_LIST (one "package-suffix TestName" per line)
# passed in the go test -json stream TEST_JSON. Guards against suites that skip silently.
set -euo pipefail
json="$1"; list="$2"
missing=0
while read -r pkg test; do
  [ -z "${pkg:-}" ] || [ "${pkg#\#}" != "$pkg" ] && continue
  if ! grep -F "\"Action\":\"pass\"" "$json" | grep -F "\"Test\":\"$test\"" | grep -qE "\"Package\":\"[^\"]*$pkg\""; then
    echo "required test did not pass: $pkg $test" >&2
    missing=1
  fi
done <"$list"
[ "$missing" = 0 ] && echo "required tests: all passed ($(grep -cvE '^(#|$)' "$list") checked)"
exit "$missing"
