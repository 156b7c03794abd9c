# Shared helpers for the scripts (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# modules prints the directories of go.work's modules, relative to the root (no hand-kept lists).
modules() {
  go work edit -json | sed -n 's/^[[:space:]]*"DiskPath": "\(.*\)"[,]*$/\1/p' | sed 's#^\./##'
}

GOTESTSUM="go run gotest.tools/gotestsum@v1.13.0"
