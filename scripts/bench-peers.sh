#!/usr/bin/env bash
# docker heal lint side by side with dclint (the npm package) over the same
# compose files, in one run. dclint is installed in a temporary folder.
#   scripts/bench-peers.sh [RUNS]      (default 5 runs each; the best is kept)
#   DOCKER_HEAL_BIN=/path/to/docker-heal scripts/bench-peers.sh   (time that build instead)
#   BENCH_ALL=1 scripts/bench-peers.sh   (also every compose file of the corpus: minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
corpus=${DOCKER_HEAL_CORPUS:-$(cd .. && pwd)/shared/corpus}
[ -d "$corpus/compose" ] || { echo "bench-peers: no corpus at $corpus (set DOCKER_HEAL_CORPUS)" >&2; exit 2; }
command -v npm >/dev/null || { echo "bench-peers: npm is needed to install dclint" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "installing dclint into $tmp ..." >&2
(cd "$tmp" && npm install --silent --no-audit --no-fund dclint@3 >/dev/null 2>&1) || { echo "bench-peers: npm install dclint failed" >&2; exit 2; }
dclint="$tmp/node_modules/.bin/dclint"

# DOCKER_HEAL_BIN times another build (an older release, for a before/after).
heal=${DOCKER_HEAL_BIN:-}
if [ -z "$heal" ]; then
  make -s build >/dev/null
  heal=bin/docker-heal
fi

# The same files for both: the awesome-compose examples, then every compose
# file of the corpus.
compose_files() {
  find "$1" -type f \( -name 'compose.yaml' -o -name 'compose.yml' -o -name 'docker-compose.yml' -o -name 'docker-compose.yaml' \) | sort
}

# best_ms CMD...: the fastest of $runs wall-clock runs, in milliseconds.
best_ms() {
  local best=""
  for _ in $(seq "$runs"); do
    local t0 t1 ms
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

# compare NAME DIR: both tools over the compose files under DIR.
compare() {
  local name=$1 files n heal_ms dclint_ms
  mapfile -t files < <(compose_files "$2")
  n=${#files[@]}
  echo "$name: $n compose files from $2, best of $runs runs" >&2
  heal_ms=$(best_ms "$heal" lint --fail-on none "${files[@]}")
  dclint_ms=$(best_ms "$dclint" --color=false "${files[@]}")
  awk -v name="$name" -v n="$n" -v h="$heal_ms" -v d="$dclint_ms" 'BEGIN {
    printf "%s (%d files)\n", name, n
    printf "  docker heal lint: %6d ms  (%.2f ms/file)\n", h, h / n
    printf "  dclint:           %6d ms  (%.2f ms/file)\n", d, d / n
    if (h > 0) printf "  ratio: docker heal lint is %.1fx faster than dclint\n", d / h
  }'
}

one="$corpus/compose/awesome-compose/flask-redis/compose.yaml"
if [ -f "$one" ]; then
  echo "one file ($one): docker heal lint $(best_ms "$heal" lint --fail-on none "$one") ms, best of $runs"
fi
compare awesome-compose "$corpus/compose/awesome-compose"
if [ "${BENCH_ALL:-}" = 1 ]; then
  compare "whole corpus" "$corpus/compose"
fi
