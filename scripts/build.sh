#!/usr/bin/env bash
# Builds every module of the workspace (and the service binaries into bin/).
source "$(dirname "$0")/lib.sh"
for m in $(modules); do
  echo "build: $m"
  (cd "$m" && go build ./...)
done
mkdir -p bin
for svc in services/*/; do
  [ -f "$svc/main.go" ] || continue
  name=$(basename "$svc")
  (cd "$svc" && go build -o "$ROOT/bin/$name" .)
done
