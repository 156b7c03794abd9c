#!/usr/bin/env bash
# gofmt, go vet, and a GOWORK=off build of each module (each module must build on its own,
# with its go.mod/replace, as a user's single-module checkout or a Docker build does).
source "$(dirname "$0")/lib.sh"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi
for m in $(modules); do
  echo "vet: $m"
  (cd "$m" && go vet ./...)
  echo "build (GOWORK=off): $m"
  (cd "$m" && GOWORK=off go build ./... && GOWORK=off go vet ./... >/dev/null)
done
echo "lint: ok"
