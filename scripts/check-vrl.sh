#!/usr/bin/env bash
# Compiles every VRL program in a generated Vector config with the real VRL
# compiler (the `vrl` crate, scripts/vrl-check). Usage:
#   scripts/check-vrl.sh [shipping/vector/vector.yaml]
# Not run by the test suite: see ARCHITECTURE.md for the build cost.
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:-shipping/vector/vector.yaml}"
python3 -c 'import yaml' 2>/dev/null || pip install --quiet pyyaml
python3 - "$config" <<'PY' | cargo run --quiet --release --manifest-path scripts/vrl-check/Cargo.toml
import json, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
programs = {name: t["source"] for name, t in (config.get("transforms") or {}).items() if t.get("type") == "remap"}
json.dump(programs, sys.stdout)
PY
