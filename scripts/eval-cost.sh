#!/usr/bin/env bash
# Evaluation cost of lookout's rules against Sloth's for the same SLOs, on a
# real Prometheus, side by side in one run (docs/src/explanation/evaluation-cost.md).
#
#   scripts/eval-cost.sh [SLOS] [REPEAT]      defaults: 1000 SLOs, 2 repeats
#   EVAL_COST_WINDOW=month scripts/eval-cost.sh 300 1   calendar SLOs instead
#
# It builds N single-SLO services (svc-i, 99.9% over 30d, errors over total
# of http_requests_total, as ../shared/tools/prom_eval_cost.py's synthetic
# data and its Sloth rules expect), compiles them with the release binary,
# merges the rule files into one, and hands both rule sets to the harness,
# which backfills 3 days of data, primes recorded history and reads
# Prometheus's own rule-evaluation and CPU metrics. Takes 30-60 minutes at
# 1,000 SLOs; the data is cached under $EVAL_COST_DIR (default
# /tmp/lookout-eval-cost).
set -euo pipefail
cd "$(dirname "$0")/.."
slos=${1:-1000}
repeat=${2:-2}
window=${EVAL_COST_WINDOW:-30d}
harness=../shared/tools/prom_eval_cost.py
work=${EVAL_COST_DIR:-/tmp/lookout-eval-cost}
[ -f "$harness" ] || { echo "eval-cost: $harness not found" >&2; exit 1; }
command -v prometheus >/dev/null && command -v promtool >/dev/null \
  || { echo "eval-cost: needs prometheus and promtool (apt-get install prometheus)" >&2; exit 1; }
python3 -c 'import yaml' 2>/dev/null || { echo "eval-cost: needs PyYAML (pip install pyyaml)" >&2; exit 1; }

cargo build --release --quiet
rm -rf "$work/project" && mkdir -p "$work/project/slos"
printf 'runbooks:\n  base_url: https://runbooks.example.com\n' > "$work/project/lookout.yaml"
for ((i = 0; i < slos; i++)); do
  cat > "$work/project/slos/svc-$i.yaml" <<SPEC
service: svc-$i
team: myteam
slos:
  - name: requests-availability
    objective: 99.9
    window: $window
    sli:
      events:
        errors: sum(rate(http_requests_total{service="svc-$i",code=~"(5..|429)"}[{{window}}]))
        total: sum(rate(http_requests_total{service="svc-$i"}[{{window}}]))
SPEC
done
(cd "$work/project" && "$OLDPWD/target/release/lookout" build >/dev/null)
python3 - "$work/project/rules" "$work/lookout.yaml" <<'PY'
import glob, os, sys, yaml
groups = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.yaml"))):
    groups += yaml.safe_load(open(path))["groups"]
yaml.safe_dump({"groups": groups}, open(sys.argv[2], "w"), sort_keys=False, width=1 << 20)
print(f"lookout: {len(groups)} groups, {sum(len(g['rules']) for g in groups)} rules")
PY
python3 "$harness" --make-sloth "$slos" "$work/sloth.yaml"
python3 "$harness" --slos "$slos" --series-per-slo 10 --days 3 --cache-dir "$work/cache" \
  --repeat "$repeat" "$work/sloth.yaml" "$work/lookout.yaml"
