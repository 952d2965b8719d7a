#!/usr/bin/env bash
# Compiles every VRL program of generated Vector configs with the real VRL
# compiler (the `vrl` crate, scripts/vrl-check), and runs the Loki route
# programs on the hand-written cases of tests/fixtures/routes/cases.json.
# Usage:
#   scripts/check-vrl.sh [shipping/vector/vector.yaml]
# Without an argument: the examples' config, and the routes fixture built
# with Vector as Loki's shipper (one log per format).
# Not run by the test suite: see ARCHITECTURE.md for the build cost.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import yaml' 2>/dev/null || pip install --quiet pyyaml
configs=("$@")
cases=""
if [ ${#configs[@]} -eq 0 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cargo build --quiet
  printf 'runbooks: {base_url: https://runbooks.example.com}\nloki: {url: http://loki:3100}\nelasticsearch: {url: https://es:9200}\nshipping: {loki: vector}\n' >"$work/lookout.yaml"
  ./target/debug/lookout build --config "$work/lookout.yaml" --slos tests/fixtures/routes/slos --out "$work" >/dev/null
  configs=(shipping/vector/vector.yaml "$work/shipping/vector/vector.yaml")
  cases=tests/fixtures/routes/cases.json
fi
python3 - "$cases" "${configs[@]}" <<'PY' | cargo run --quiet --release --manifest-path scripts/vrl-check/Cargo.toml
import json, sys, yaml
cases_path, configs = sys.argv[1], sys.argv[2:]
programs, runs = {}, []
for path in configs:
    config = yaml.safe_load(open(path))
    for name, t in (config.get("transforms") or {}).items():
        if t.get("type") == "remap":
            programs[f"{path}: {name}"] = t["source"]
if cases_path:
    route_config = configs[-1]
    for case in json.load(open(cases_path)):
        runs.append({
            "program": f"{route_config}: api__{case['log']}__route",
            "message": case["line"],
            "field": "http_route",
            "expect": case["route"],
        })
json.dump({"programs": programs, "runs": runs}, sys.stdout)
PY
