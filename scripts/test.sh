#!/usr/bin/env bash
# The whole test suite, as the README and CI run it.
#
# Installs what the tests need when it is missing: promtool (Debian package
# `prometheus`), Alertmanager and vmalert (`victoria-metrics`), headless
# Chromium (`chromium`, for the report's HTML), Node.js, and
# the npm packages the tests run under it, pinned by their lockfiles:
# Grafana's LogQL grammar (`tests/logql`), `@grafana/data`
# (`tests/grafana-data`), `@elastic/elasticsearch` with TypeScript
# (`tests/es-types`) and kubernetes-models' validators (`tests/k8s-models`).
# Tests that need them fail, never skip, when they are absent.
#
# Two tiers: `cargo test` alone is the fast one (about 20 s warm); the slow
# tier runs the test targets Cargo.toml marks `test = false`. This script,
# and so CI, runs both. CONTRIBUTING.md has the timings.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v vmalert >/dev/null 2>&1 || missing+=(victoria-metrics)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# Renders `lookout report`'s HTML in tests/prometheus.rs.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
promtool --version 2>&1 | head -n 1

if [ ! -d tests/logql/node_modules/@grafana/lezer-logql ]; then
  echo "==> npm ci (Grafana's LogQL grammar, for tests/logql.rs)"
  npm ci --prefix tests/logql --silent --no-audit --no-fund
fi
if [ ! -d tests/grafana-data/node_modules/@grafana/data ]; then
  echo "==> npm ci (Grafana's @grafana/data, for tests/grafana_data.rs)"
  npm ci --prefix tests/grafana-data --silent --no-audit --no-fund
fi
if [ ! -d tests/es-types/node_modules/@elastic/elasticsearch ]; then
  echo "==> npm ci (@elastic/elasticsearch and typescript, for tests/es_types.rs)"
  npm ci --prefix tests/es-types --silent --no-audit --no-fund
fi

if [ ! -d tests/k8s-models/node_modules/@kubernetes-models/argo-rollouts ]; then
  echo "==> npm ci (kubernetes-models: the Prometheus Operator's, Argo Rollouts' and core validators, for tests/kubernetes.rs)"
  npm ci --prefix tests/k8s-models --silent --no-audit --no-fund
fi

# The fast tier: unit, snapshot, tidy, transcript and fake-server tests.
echo "==> cargo test (fast tier)"
cargo test --locked

# The slow tier: the `[[test]]` targets Cargo.toml marks `test = false`
# (real Prometheus, Alertmanager, promtool, vmalert, Node, crash kills).
slow=()
while read -r name; do slow+=(--test "$name"); done < <(
  awk '
    function flush() { if (name != "" && slow) print name; name = ""; slow = 0 }
    /^\[/ { flush(); intest = ($0 == "[[test]]"); next }
    intest && $1 == "name" { gsub(/"/, "", $3); name = $3 }
    intest && $1 == "test" && $3 == "false" { slow = 1 }
    END { flush() }
  ' Cargo.toml
)
if [ "${#slow[@]}" -eq 0 ]; then
  echo "no slow-tier test targets found in Cargo.toml" >&2
  exit 1
fi
echo "==> cargo test ${slow[*]} (slow tier)"
cargo test --locked "${slow[@]}"

echo "==> lookout check (the committed example output is up to date)"
# The binary cargo test just built; `cargo run` would rebuild it without
# the dev-dependencies' features.
"${CARGO_TARGET_DIR:-target}/debug/lookout" check

# The book renders where mdBook is installed; the tests above check its
# sources (pages, links, snippets, transcripts) without it.
if command -v mdbook >/dev/null; then
  echo "==> mdbook build docs"
  book_out="$(mktemp -d)"
  mdbook build docs -d "$book_out"
  rm -rf "$book_out"
fi
