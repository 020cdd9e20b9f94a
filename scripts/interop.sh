#!/usr/bin/env bash
# Runs Tests/interop/run.sh: the independent reader of docs/FORMAT.md against the built binary.
# Installs PyNaCl from PyPI when missing; says so and skips if Python or pip is not there.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${SARAH_VAULT_BIN:-$PWD/.build/debug/sarah-vault}"
if ! command -v python3 >/dev/null; then
  echo "interop: skipped (no python3)"; exit 0
fi
if ! python3 -c 'import nacl.bindings' 2>/dev/null; then
  python3 -m pip install -q pynacl >/dev/null 2>&1 || { echo "interop: skipped (could not install pynacl)"; exit 0; }
fi
bash Tests/interop/run.sh "$bin"
