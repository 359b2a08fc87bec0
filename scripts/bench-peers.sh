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

# measure CMD...: the fastest of $runs runs, wall-clock and CPU (user + system,
# the process and its children, from bash's time to the millisecond: GNU
# time's 10 ms steps made one file's lint read 0 ms) in
# milliseconds: "WALL CPU". CPU time is the
# steadier figure on a busy machine, where wall time mostly measures the wait
# for a core.
measure() {
  local best_wall="" best_cpu="" t0 t1 wall cpu TIMEFORMAT='%3U %3S'
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    { time "$@" >/dev/null 2>&1 || true; } 2>"$tmp/time"
    t1=$(date +%s%N)
    wall=$(( (t1 - t0) / 1000000 ))
    cpu=$(tail -1 "$tmp/time" | awk '{printf "%d", ($1 + $2) * 1000}')
    if [ -z "$best_wall" ] || [ "$wall" -lt "$best_wall" ]; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || [ "$cpu" -lt "$best_cpu" ]; then best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

# compare NAME DIR: both tools over the compose files under DIR.
compare() {
  local name=$1 files n heal_t dclint_t
  mapfile -t files < <(compose_files "$2")
  n=${#files[@]}
  echo "$name: $n compose files from $2, best of $runs runs" >&2
  heal_t=$(measure "$heal" lint --fail-on none "${files[@]}")
  dclint_t=$(measure "$dclint" --color=false "${files[@]}")
  awk -v name="$name" -v n="$n" -v h="$heal_t" -v d="$dclint_t" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    split(h, hh, " "); split(d, dd, " ")
    printf "%s (%d files, load average %s)\n", name, n, load
    printf "  docker heal lint: %6d ms wall (%.2f ms/file), %6d ms CPU\n", hh[1], hh[1] / n, hh[2]
    printf "  dclint:           %6d ms wall (%.2f ms/file), %6d ms CPU\n", dd[1], dd[1] / n, dd[2]
    if (hh[1] > 0 && hh[2] > 0) printf "  ratio: docker heal lint is %.1fx faster than dclint (wall), %.1fx less CPU\n", dd[1] / hh[1], dd[2] / hh[2]
  }'
}

one="$corpus/compose/awesome-compose/flask-redis/compose.yaml"
if [ -f "$one" ]; then
  read -r wall cpu < <(measure "$heal" lint --fail-on none "$one")
  echo "one file ($one): docker heal lint $wall ms wall, $cpu ms CPU, best of $runs"
fi
compare awesome-compose "$corpus/compose/awesome-compose"
if [ "${BENCH_ALL:-}" = 1 ]; then
  compare "whole corpus" "$corpus/compose"
fi
